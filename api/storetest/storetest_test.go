package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/api"
	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/embedded"
	"github.com/socialscore/socialscore/graph/neo4j"
	"github.com/socialscore/socialscore/internal/neo4jtest"
	"github.com/socialscore/socialscore/scoring"
)

func TestMain(m *testing.M) { os.Exit(neo4jtest.Main(m)) }

// stores opens each store for a test: a fresh embedded file, and the
// shared Neo4j server wiped.
var stores = map[string]func(t *testing.T) graph.Store{
	"embedded": func(t *testing.T) graph.Store {
		s, err := embedded.Open(filepath.Join(t.TempDir(), "s.db"))
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		return s
	},
	"neo4j": func(t *testing.T) graph.Store {
		srv := neo4jtest.Shared(t)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		require.NoError(t, neo4jtest.Wipe(ctx, srv))
		s, err := neo4j.Open(ctx, neo4j.Config{URI: srv.URI, User: srv.User, Password: srv.Password})
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		return s
	},
}

// operatorKey is the key every request of these tests carries: the
// routes are the person's and operators' (api/authz.go).
const operatorKey = "storetest-operator-key-0123456789"

type env struct {
	t      *testing.T
	h      http.Handler
	store  graph.Store
	runner *scoring.Runner
}

func newEnv(t *testing.T, store graph.Store) *env {
	aud, err := api.NewFileAuditor(filepath.Join(t.TempDir(), "audit.jsonl"))
	require.NoError(t, err)
	sesame, _ := scoring.Preset(scoring.PolicySesame)
	runner := scoring.NewRunner(store, nil)
	srv, err := api.New(api.Config{Store: store, Runner: runner, Policy: sesame, Audit: aud,
		Keys:   map[string]api.KeyHolder{operatorKey: {Name: "storetest-operator", Role: graph.RoleOperator}},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	return &env{t: t, h: srv.Handler(), store: store, runner: runner}
}

func (e *env) do(method, path, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	req.Header.Set("Authorization", "Bearer "+operatorKey)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return w
}

func (e *env) must(method, path, body string, status int) *httptest.ResponseRecorder {
	e.t.Helper()
	w := e.do(method, path, body)
	require.Equal(e.t, status, w.Code, "%s %s: %s", method, path, w.Body.String())
	return w
}

func (e *env) run(p scoring.Policy) scoring.Report {
	e.t.Helper()
	rep, err := e.runner.Run(context.Background(), p, scoring.Options{})
	require.NoError(e.t, err)
	return rep
}

// seed stores people 1-4 (consenting) with records, friendships 1-2, 2-3,
// 2-4 and 3-4.
func (e *env) seed() {
	for id, body := range map[string]string{
		"1": `{"consent":true,"profile":{"provided":["name","phone"],"verified":["phone"]}}`,
		"2": `{"consent":true,"profile":{"provided":["name"]}}`,
		"3": `{"consent":true}`,
		"4": `{"consent":true,"profile":{"provided":["name","email"]}}`,
	} {
		e.must(http.MethodPut, "/v1/people/"+id, body, http.StatusCreated)
	}
	for id, body := range map[string]string{
		"1": `{"events":[{"type":"purchase","amount":1200,"at":"2026-01-10T10:00:00Z"},{"type":"credit_payment","amount":300,"due":"2026-02-15","paid":"2026-02-14"}]}`,
		"2": `{"events":[{"type":"purchase","amount":90,"at":"2026-01-11T10:00:00Z"},{"type":"bill_payment","amount":80,"due":"2026-02-01","paid":"2026-01-30"}]}`,
		"3": `{"events":[{"type":"bill_payment","amount":80,"due":"2026-02-01","paid":"2026-02-20"}]}`,
		"4": `{"events":[{"type":"purchase","amount":4000,"at":"2026-01-12T10:00:00Z"}]}`,
	} {
		e.must(http.MethodPost, "/v1/people/"+id+"/events", body, http.StatusOK)
	}
	for _, p := range [][2]string{{"1", "2"}, {"2", "3"}, {"2", "4"}, {"3", "4"}} {
		e.must(http.MethodPut, "/v1/friendships/"+p[0]+"/"+p[1], "", http.StatusCreated)
	}
}

// TestPersonalScoreRoutes runs on both stores: person 2 defaults between
// two runs; history lists both runs, changes names the default and its
// points with deltas summing to the score's delta (checked against
// scoring.Explain of the stored results), and under a policy that lists
// friends' shares the per-friend points sum to the network component.
func TestPersonalScoreRoutes(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, open(t))
			e.seed()
			sesame, _ := scoring.Preset(scoring.PolicySesame)
			r1 := e.run(sesame)
			e.must(http.MethodPost, "/v1/people/2/events", `{"events":[{"type":"default","amount":2500,"at":"2026-10-03T00:00:00Z"}]}`, http.StatusOK)
			r2 := e.run(sesame)

			var h api.HistoryResponse
			require.NoError(t, json.Unmarshal(e.must(http.MethodGet, "/v1/people/2/score/history", "", http.StatusOK).Body.Bytes(), &h))
			require.Len(t, h.History, 2)
			assert.Equal(t, r2.Run.ID, h.History[0].RunID)
			assert.Equal(t, r1.Run.ID, h.History[1].RunID)

			var ch api.ChangesResponse
			require.NoError(t, json.Unmarshal(e.must(http.MethodGet, "/v1/people/2/score/changes", "", http.StatusOK).Body.Bytes(), &ch))
			assert.Equal(t, r1.Run.ID, ch.From.RunID)
			assert.Equal(t, r2.Run.ID, ch.To.RunID)
			stored, err := e.store.History(context.Background(), 2, 0)
			require.NoError(t, err)
			require.Len(t, stored, 2)
			eb, ea := scoring.Explain(stored[1].Result, sesame), scoring.Explain(stored[0].Result, sesame)
			assert.Equal(t, stored[0].Score-stored[1].Score, ch.Delta)
			sum, credit := 0, 0
			for i, c := range ch.Components {
				assert.Equal(t, eb.Components[i].Points, c.Before)
				assert.Equal(t, ea.Components[i].Points, c.After)
				sum += c.Delta
				if c.Name == scoring.ComponentCredit {
					credit = c.Delta
				}
			}
			assert.Equal(t, ch.Delta, sum, "component deltas sum to the score's delta")
			require.Less(t, credit, 0)
			assert.Contains(t, ch.Drivers, fmt.Sprintf("a default on 2026-10-03 cost %d points", -credit), "drivers: %q", ch.Drivers)
			assert.Contains(t, ch.Record.Changes, scoring.FactChange{Fact: "defaults", Before: 0, After: 1})
			var added []string
			for _, r := range ch.Reasons.Added {
				added = append(added, r.Code)
			}
			assert.Contains(t, added, scoring.ReasonCredit)

			// Friends' shares, under a policy that lists them.
			listed, _ := scoring.Preset(scoring.PolicyTencent)
			listed.Name, listed.FriendShares = "tencent-listed", scoring.FriendSharesListed
			e.run(listed)
			var f api.FriendsResponse
			require.NoError(t, json.Unmarshal(e.must(http.MethodGet, "/v1/people/2/score/friends", "", http.StatusOK).Body.Bytes(), &f))
			require.Len(t, f.Friends, 3)
			r, _, ok := e.runner.Lookup(2)
			require.True(t, ok)
			var total float64
			for _, fr := range f.Friends {
				total += fr.Points
			}
			assert.InDelta(t, 600*(1-listed.Centrality)*(r.Network-r.Base), total, 1e-6)
			assert.LessOrEqual(t, math.Abs(float64(f.NetworkPoints)-total), 1.0)
		})
	}
}

// TestChangesListTies runs on both stores: between two runs person 3
// gains friends 1 and 5 and loses friend 4, through the API. changes
// lists the ties added and removed with the times the server acknowledged
// them, and its drivers name the new and lost friends with points. The
// reference for the points is the split the issue states, written out
// here from the stored results of the two runs (History of 3 and of
// each friend): friend j adds 600·(1−c)·α·W_3j·(s_j − b_3), W_3j = 1/(the
// number of friends) for unit weights. The policy has no centrality, so
// the network component is the only one that moves and its sentences are
// the drivers.
func TestChangesListTies(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, open(t))
			e.seed()
			e.must(http.MethodPut, "/v1/people/5", `{"consent":true,"profile":{"provided":["name","phone","email"],"verified":["phone","email"]}}`, http.StatusCreated)
			e.must(http.MethodPost, "/v1/people/5/events", `{"events":[{"type":"purchase","amount":9000,"at":"2026-01-10T10:00:00Z"},{"type":"credit_payment","amount":300,"due":"2026-02-15","paid":"2026-02-14"},{"type":"bill_payment","amount":80,"due":"2026-02-01","paid":"2026-01-30"}]}`, http.StatusOK)
			p, _ := scoring.Preset(scoring.PolicyTencent)
			p.Name, p.Centrality = "tencent-no-centrality", 0
			r1 := e.run(p)

			put := func(a, b string) (before, after time.Time) {
				before = time.Now()
				e.must(http.MethodPut, "/v1/friendships/"+a+"/"+b, "", http.StatusCreated)
				return before, time.Now()
			}
			b1, a1 := put("3", "1")
			b5, a5 := put("5", "3")
			b4 := time.Now()
			e.must(http.MethodDelete, "/v1/friendships/4/3", "", http.StatusNoContent)
			a4 := time.Now()
			r2 := e.run(p)

			var ch api.ChangesResponse
			require.NoError(t, json.Unmarshal(e.must(http.MethodGet, "/v1/people/3/score/changes?from="+r1.Run.ID+"&to="+r2.Run.ID, "", http.StatusOK).Body.Bytes(), &ch))
			within := func(at, from, to time.Time) {
				t.Helper()
				assert.False(t, at.Before(from.Truncate(time.Millisecond)), "%v before %v", at, from)
				assert.False(t, at.After(to), "%v after %v", at, to)
			}
			require.Len(t, ch.Ties.Added, 2, "%+v", ch.Ties)
			assert.Equal(t, graph.ID(1), ch.Ties.Added[0].With)
			assert.Equal(t, "friend", ch.Ties.Added[0].Kind)
			within(ch.Ties.Added[0].At, b1, a1)
			assert.Equal(t, graph.ID(5), ch.Ties.Added[1].With)
			within(ch.Ties.Added[1].At, b5, a5)
			require.Len(t, ch.Ties.Removed, 1)
			assert.Equal(t, graph.ID(4), ch.Ties.Removed[0].With)
			within(ch.Ties.Removed[0].At, b4, a4)
			assert.Less(t, ch.Ties.Added[0].Seq, ch.Ties.Removed[0].Seq)
			assert.Empty(t, ch.Ties.Reweighted)
			assert.True(t, ch.Ties.SharesKnown)
			assert.Equal(t, api.CountChange{Before: 2, After: 3}, ch.Friends)

			// The reference split, from the stored results.
			results := map[string]map[graph.ID]graph.Result{r1.Run.ID: {}, r2.Run.ID: {}}
			for _, id := range []graph.ID{1, 2, 3, 4, 5} {
				h, err := e.store.History(context.Background(), id, 0)
				require.NoError(t, err)
				for _, x := range h {
					results[x.RunID][id] = x.Result
				}
			}
			share := func(run string, j graph.ID, n float64) float64 {
				r := results[run]
				return 600 * (1 - p.Centrality) * p.Alpha / n * (r[j].Network - r[3].Base)
			}
			newPts := share(r2.Run.ID, 1, 3) + share(r2.Run.ID, 5, 3)
			lostPts := share(r1.Run.ID, 4, 2)
			keptPts := share(r2.Run.ID, 2, 3) - share(r1.Run.ID, 2, 2)
			sentence := func(what string, pts float64) string {
				n := int(math.Round(pts))
				require.NotZero(t, n, "%s: the scenario gives whole points", what)
				verb := "raised"
				if n < 0 {
					verb, n = "lowered", -n
				}
				return fmt.Sprintf("%s %s your network points by %d", what, verb, n)
			}
			assert.Contains(t, ch.Drivers, sentence("2 new friends", newPts), "drivers: %q", ch.Drivers)
			assert.Contains(t, ch.Drivers, sentence("losing a friend", -lostPts), "drivers: %q", ch.Drivers)
			// The three parts are the network component's exact move.
			move := 600 * (1 - p.Centrality) * ((results[r2.Run.ID][3].Network - results[r2.Run.ID][3].Base) - (results[r1.Run.ID][3].Network - results[r1.Run.ID][3].Base))
			assert.InDelta(t, move, newPts-lostPts+keptPts, 1e-6)
			sum := 0
			for _, c := range ch.Components {
				sum += c.Delta
			}
			assert.Equal(t, ch.Delta, sum, "component deltas sum to the score's delta")

			// Person 1 sees the friendship with 3 added; bad input keeps
			// problem+json.
			require.NoError(t, json.Unmarshal(e.must(http.MethodGet, "/v1/people/1/score/changes", "", http.StatusOK).Body.Bytes(), &ch))
			require.Len(t, ch.Ties.Added, 1)
			assert.Equal(t, graph.ID(3), ch.Ties.Added[0].With)
			for _, q := range []string{"from=" + r2.Run.ID + "&to=" + r1.Run.ID, "from=nope", "to=" + r1.Run.ID + "x", "from="} {
				w := e.do(http.MethodGet, "/v1/people/3/score/changes?"+q, "")
				assert.Contains(t, []int{http.StatusBadRequest, http.StatusNotFound}, w.Code, q)
				assert.Equal(t, "application/problem+json", w.Header().Get("Content-Type"), q)
			}

			// Erasing 5 takes the friendship out of 3's changes: the log
			// keeps nothing of 5.
			e.must(http.MethodDelete, "/v1/people/5", "", http.StatusNoContent)
			require.NoError(t, json.Unmarshal(e.must(http.MethodGet, "/v1/people/3/score/changes?from="+r1.Run.ID+"&to="+r2.Run.ID, "", http.StatusOK).Body.Bytes(), &ch))
			for _, tc := range append(ch.Ties.Added, ch.Ties.Removed...) {
				assert.NotEqual(t, graph.ID(5), tc.With)
			}
			assert.False(t, ch.Ties.SharesKnown, "5's results are erased: the later run's shares cannot be reproduced")
		})
	}
}
