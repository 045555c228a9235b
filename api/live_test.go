package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/neo4j"
	"github.com/socialscore/socialscore/internal/neo4jtest"
)

// liveStores are the stores the live-score tests run on: the embedded
// store and the shared Neo4j server (wiped first).
func liveStores() []struct {
	name string
	open func(t *testing.T) graph.Store
} {
	return []struct {
		name string
		open func(t *testing.T) graph.Store
	}{
		{"embedded", func(t *testing.T) graph.Store { return openTestStore(t) }},
		{"neo4j", func(t *testing.T) graph.Store {
			srv := neo4jtest.Shared(t)
			require.NoError(t, neo4jtest.Wipe(context.Background(), srv))
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			s, err := neo4j.Open(ctx, neo4j.Config{URI: srv.URI, User: srv.User, Password: srv.Password})
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			return s
		}},
	}
}

func (e *testEnv) liveScore(id string) LiveScoreResponse {
	e.t.Helper()
	w := e.get("/v1/people/" + id + "/score")
	require.Equal(e.t, http.StatusOK, w.Code, w.Body.String())
	var r LiveScoreResponse
	decode(e.t, w, &r)
	return r
}

// TestLiveFriendshipIsReflected is the example: after PUT
// /v1/friendships/1/100001 the next reads of both people show the new
// friend count, score and explanation (live: true, as_of counting the
// change); the scores equal those of a full run on the same data (the
// reference); DELETE puts them back.
func TestLiveFriendshipIsReflected(t *testing.T) {
	for _, st := range liveStores() {
		t.Run(st.name, func(t *testing.T) {
			e := newTestServer(t, st.open(t), func(c *Config) { c.Live = true })
			e.seed()
			rep := e.score("sesame")
			w := e.do(request{method: http.MethodPut, path: "/v1/people/100001", body: `{"consent":true,"profile":{"provided":["name"]}}`})
			require.Equal(t, http.StatusCreated, w.Code, w.Body.String())

			before1, before2 := e.liveScore("1"), e.liveScore("100001")
			assert.True(t, before1.Live)
			assert.Equal(t, rep.Run.ID, before1.AsOf.Run)
			assert.Equal(t, int32(0), before2.Friends.Count)

			w = e.do(request{method: http.MethodPut, path: "/v1/friendships/1/100001"})
			require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
			after1, after2 := e.liveScore("1"), e.liveScore("100001")
			assert.Equal(t, before1.Friends.Count+1, after1.Friends.Count)
			assert.Equal(t, int32(1), after2.Friends.Count)
			assert.Equal(t, before1.AsOf.Changes+1, after1.AsOf.Changes)
			require.NotNil(t, after2.Friends.MeanScore)
			assert.InDelta(t, float64(after1.Score), *after2.Friends.MeanScore, 1e-9, "100001's only friend is 1")
			for _, r := range []LiveScoreResponse{after1, after2} {
				sum := 350
				for _, c := range r.Components {
					sum += c.Points
				}
				assert.Equal(t, r.Score, sum, "components of %d", r.ID)
			}
			// 100001's network component moved: friends now count.
			assert.NotEqual(t, before2.Components, after2.Components)

			// Reference: a full run on the same data. Its view replaces
			// the live one (rebuilt from it), so read the run's results.
			e.score("sesame")
			for _, r := range []LiveScoreResponse{after1, after2} {
				full, _, ok := e.runner.Lookup(r.ID)
				require.True(t, ok)
				assert.LessOrEqual(t, abs(full.Score-r.Score), 1, "person %d: live %d, full run %d", r.ID, r.Score, full.Score)
				assert.Equal(t, full.Friends, r.Friends.Count)
			}

			w = e.do(request{method: http.MethodDelete, path: "/v1/friendships/100001/1"})
			require.Equal(t, http.StatusNoContent, w.Code, w.Body.String())
			back1, back2 := e.liveScore("1"), e.liveScore("100001")
			assert.Equal(t, before1.Friends.Count, back1.Friends.Count)
			assert.Equal(t, int32(0), back2.Friends.Count)
			assert.Nil(t, back2.Friends.MeanScore)
			assert.LessOrEqual(t, abs(before1.Score-back1.Score), 1)
			assert.Equal(t, before2.Score, back2.Score)

			// Events move the score at once, too.
			w = e.do(request{method: http.MethodPost, path: "/v1/people/100001/events", body: `{"events":[{"type":"default","amount":9000,"at":"2024-03-01T00:00:00Z"}]}`})
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			assert.Less(t, e.liveScore("100001").Score, back2.Score)

			// Erased: no score.
			w = e.do(request{method: http.MethodDelete, path: "/v1/people/100001"})
			require.Equal(t, http.StatusNoContent, w.Code, w.Body.String())
			assert.Equal(t, http.StatusNotFound, e.get("/v1/people/100001/score").Code)
		})
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// TestWhatIfAndAdviceRoutes: what-if answers without changing anything,
// advice's points are what-if's for the same change, and no advice is
// about friends (default policy).
func TestWhatIfAndAdviceRoutes(t *testing.T) {
	e := newTestServer(t, openTestStore(t), func(c *Config) { c.Live = true })
	e.seed()
	e.score("sesame")
	before := e.liveScore("2")

	w := e.do(request{method: http.MethodPost, path: "/v1/people/2/what-if", body: `{"changes":[
		{"type":"events","events":[{"type":"bill_payment","amount":80,"due":"2024-03-01","paid":"2024-03-01"}]},
		{"type":"friendship_added","with":5,"weight":2},
		{"type":"friendship_removed","with":1},
		{"type":"profile","profile":{"provided":["name","phone","email"],"verified":["phone","email"]}}]}`})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var wi WhatIfResponse
	decode(t, w, &wi)
	assert.True(t, wi.Live)
	assert.Equal(t, before.Score, wi.Now.Score)
	assert.Equal(t, wi.Score-wi.Now.Score, wi.Delta)
	assert.Equal(t, before.Friends.Count, wi.Friends.Count, "one friend added, one removed")
	// Nothing stored.
	assert.Equal(t, before, e.liveScore("2"))

	// Bad changes name the field.
	w = e.do(request{method: http.MethodPost, path: "/v1/people/2/what-if", body: `{"changes":[{"type":"events","events":[{"type":"purchase","amount":-1,"at":"2024-01-01T00:00:00Z"}]}]}`})
	assertProblem(t, w, http.StatusBadRequest, "invalid-input", "changes/0/events/0/amount", "")
	w = e.do(request{method: http.MethodPost, path: "/v1/people/2/what-if", body: `{"changes":[{"type":"friendship_added","with":6}]}`})
	assertProblem(t, w, http.StatusNotFound, "not-found", "changes/0/b", "")
	w = e.do(request{method: http.MethodPost, path: "/v1/people/2/what-if", body: `{"changes":[{"type":"marry","with":3}]}`})
	assertProblem(t, w, http.StatusBadRequest, "invalid-input", "changes/0/type", "")

	w = e.get("/v1/people/3/advice")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var adv AdviceResponse
	decode(t, w, &adv)
	require.NotEmpty(t, adv.Actions)
	require.LessOrEqual(t, len(adv.Actions), 4)
	for i, a := range adv.Actions {
		assert.NotContains(t, strings.ToLower(a.Text), "friend")
		if i > 0 {
			assert.GreaterOrEqual(t, adv.Actions[i-1].Points, a.Points)
		}
		if a.Code != "verify_field" && a.Code != "provide_field" {
			continue
		}
		// The same change through what-if gives the same points.
		prof := []string{"name"} // person 3's profile (seed)
		var verified []string
		if a.Code == "provide_field" {
			prof = append(prof, a.Field)
		} else {
			verified = append(verified, a.Field)
		}
		body := fmt.Sprintf(`{"changes":[{"type":"profile","profile":{"provided":%s,"verified":%s}}]}`, jsonList(prof), jsonList(verified))
		w := e.do(request{method: http.MethodPost, path: "/v1/people/3/what-if", body: body})
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		var x WhatIfResponse
		decode(t, w, &x)
		assert.Equal(t, x.Delta, a.Points, "%s %s", a.Code, a.Field)
	}
	// What-if and advice reads are audited like score reads.
	var routes []string
	for _, r := range e.auditRecords() {
		routes = append(routes, r.Route)
	}
	assert.True(t, slices.Contains(routes, routeWhatIf) && slices.Contains(routes, routeAdvice), "%v", routes)
}

func jsonList(xs []string) string {
	if len(xs) == 0 {
		return "[]"
	}
	return `["` + strings.Join(xs, `","`) + `"]`
}

// TestWhatIfNeedsLive: without live scores the routes say so.
func TestWhatIfNeedsLive(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	e.score("sesame")
	assertProblem(t, e.get("/v1/people/1/advice"), http.StatusNotFound, "not-found", "id", "")
	w := e.get("/v1/people/1/score")
	require.Equal(t, http.StatusOK, w.Code)
	assert.NotContains(t, w.Body.String(), `"live"`)
}

// TestLiveDisputeIsReflected: a scoring run leaves out events under an
// open dispute (graph.DeriveRecord), so opening a dispute moves the live
// score at once, a rejection moves it back and an upheld dispute removes
// the event; after each step the live score is within a point of a full
// run on the same data (the reference), on both stores.
func TestLiveDisputeIsReflected(t *testing.T) {
	for _, st := range liveStores() {
		t.Run(st.name, func(t *testing.T) {
			e := newTestServer(t, st.open(t), func(c *Config) { c.Live = true })
			e.seed()
			e.score("sesame")
			const id = "3"
			before := e.liveScore(id)

			w := e.do(request{method: http.MethodPost, path: "/v1/people/" + id + "/events", body: `{"events":[{"type":"default","amount":9000,"at":"2024-03-01T00:00:00Z"}]}`})
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			var posted struct {
				EventIDs []graph.EventID `json:"event_ids"`
			}
			decode(t, w, &posted)
			require.Len(t, posted.EventIDs, 1)
			lowered := e.liveScore(id)
			require.Less(t, lowered.Score, before.Score, "the default lowers the live score")

			// fullRun checks the live score against a full run on the
			// same data, then reads the live view the run rebuilt.
			fullRun := func(live LiveScoreResponse, step string) {
				t.Helper()
				e.score("sesame")
				full, _, ok := e.runner.Lookup(live.ID)
				require.True(t, ok)
				assert.LessOrEqual(t, abs(full.Score-live.Score), 1, "%s: live %d, full run %d", step, live.Score, full.Score)
			}

			open := func() DisputeResponse {
				w := e.do(request{method: http.MethodPost, path: "/v1/people/" + id + "/disputes",
					body: `{"event":` + posted.EventIDs[0].String() + `,"reason":"not my loan"}`})
				require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
				var d DisputeResponse
				decode(t, w, &d)
				return d
			}
			resolve := func(d DisputeResponse, outcome string) {
				w := e.do(request{method: http.MethodPost, path: "/v1/disputes/" + d.ID.String() + "/resolution", body: `{"outcome":"` + outcome + `"}`})
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			}

			d := open()
			disputed := e.liveScore(id)
			assert.Greater(t, disputed.Score, lowered.Score, "a disputed default no longer counts")
			assert.LessOrEqual(t, abs(disputed.Score-before.Score), 1)
			fullRun(disputed, "opened")

			resolve(d, "rejected")
			rejected := e.liveScore(id)
			assert.Less(t, rejected.Score, disputed.Score, "a rejected dispute counts the default again")
			fullRun(rejected, "rejected")

			d = open()
			resolve(d, "upheld")
			upheld := e.liveScore(id)
			assert.Greater(t, upheld.Score, rejected.Score, "an upheld dispute removes the default")
			fullRun(upheld, "upheld")
		})
	}
}
