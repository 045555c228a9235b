package api

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/export"
	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring/contagion"
)

// egoIDs returns the ids of an ego network's people, sorted.
func egoIDs(n NetworkResponse) []graph.ID {
	var ids []graph.ID
	for _, p := range n.People {
		ids = append(ids, p.ID)
	}
	slices.Sort(ids)
	return ids
}

func TestEgoNetwork(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	rep := e.score("sesame")

	w := e.get("/v1/people/1/network")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var n NetworkResponse
	decode(t, w, &n)
	// depth 1 (default): friends 2 and 3, and 5 whom 1 recruited.
	assert.Equal(t, []graph.ID{1, 2, 3, 5}, egoIDs(n))
	assert.Equal(t, graph.ID(1), n.Center)
	assert.Equal(t, 1, n.Depth)
	assert.Equal(t, contagion.DefaultEgoLimit, n.Limit)
	assert.False(t, n.Truncated)
	assert.Equal(t, rep.Run.ID, n.RunID)
	assert.Equal(t, "sesame", n.Policy)
	assert.False(t, n.SnapshotAt.IsZero())
	assert.ElementsMatch(t, []contagion.Tie{
		{Kind: "friend", From: 1, To: 2, Weight: 1}, {Kind: "friend", From: 1, To: 3, Weight: 1},
		{Kind: "friend", From: 2, To: 3, Weight: 1}, {Kind: "recruited", From: 1, To: 5},
	}, n.Ties)
	for _, p := range n.People {
		res, _, ok := e.runner.Lookup(p.ID)
		require.True(t, ok)
		assert.True(t, p.Scored, "person %d", p.ID)
		assert.Equal(t, res.Score, p.Score, "person %d", p.ID)
		assert.Equal(t, res.Individual, p.Individual, "person %d", p.ID)
		assert.NotEmpty(t, p.Band)
		assert.InDelta(t, res.PageRank, p.PageRank, 1e-12)
		assert.NotNil(t, p.Pillars)
	}

	// depth 3 reaches 4 through 3, but never 6, who has not consented.
	w = e.get("/v1/people/1/network?depth=3&limit=100")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	decode(t, w, &n)
	assert.Equal(t, []graph.ID{1, 2, 3, 4, 5}, egoIDs(n))
	assert.NotContains(t, w.Body.String(), `"id":6`)
	w = e.get("/v1/people/4/network?depth=1")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	decode(t, w, &n)
	assert.Equal(t, []graph.ID{3, 4}, egoIDs(n), "6 is a friend of 4 but does not consent")

	// Truncation: the centre and the best-ranked of the first hop that
	// does not fit.
	w = e.get("/v1/people/1/network?depth=2&limit=2")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	decode(t, w, &n)
	assert.True(t, n.Truncated)
	assert.Equal(t, 2, n.Kept)
	assert.Equal(t, 5, n.Reached)
	assert.Len(t, n.People, 2)
	assert.Equal(t, graph.ID(1), n.People[0].ID)

	// Every score sent was audited, attributed to the app.
	var audited []graph.ID
	for _, r := range e.auditRecords() {
		assert.Equal(t, routeNetwork, r.Route)
		assert.Equal(t, "lender", r.App)
		audited = append(audited, r.Person)
	}
	assert.Len(t, audited, 4+5+2+2)
}

func TestEgoNetworkBadInput(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	e.score("sesame")
	for _, tc := range []struct {
		path, field, reason string
		status              int
	}{
		{"/v1/people/1/network?depth=0", "depth", "from 1 to 3", 400},
		{"/v1/people/1/network?depth=4", "depth", "from 1 to 3", 400},
		{"/v1/people/1/network?depth=two", "depth", "integer", 400},
		{"/v1/people/1/network?limit=0", "limit", "from 1 to 10000", 400},
		{"/v1/people/1/network?limit=10001", "limit", "from 1 to 10000", 400},
		{"/v1/people/1/network?limit=", "limit", "integer", 400},
		{"/v1/people/1/network?dept=2", "dept", "unknown query parameter", 400},
		{"/v1/people/1/network?depth=1&depth=2", "depth", "more than once", 400},
		{"/v1/people/x/network", "id", "positive integer", 400},
		{"/v1/people/999/network", "id", "no person 999", 404},
		{"/v1/people/6/network", "id", "no person 6", 404}, // not consenting
	} {
		t.Run(tc.path, func(t *testing.T) {
			typ := "invalid-input"
			if tc.status == 404 {
				typ = "not-found"
			}
			assertProblem(t, e.get(tc.path), tc.status, typ, tc.field, tc.reason)
		})
	}
	assert.Empty(t, e.auditRecords(), "nothing was sent, nothing audited")
}

// TestEgoNetworkBeforeFirstRun: people are listed unscored, and nothing
// is audited.
func TestEgoNetworkBeforeFirstRun(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	w := e.get("/v1/people/2/network")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var n NetworkResponse
	decode(t, w, &n)
	assert.Equal(t, []graph.ID{1, 2, 3}, egoIDs(n))
	for _, p := range n.People {
		assert.False(t, p.Scored)
		assert.Zero(t, p.Score)
	}
	assert.Empty(t, n.RunID)
	assert.Empty(t, e.auditRecords())
}

// TestSnapshotCache checks when the research routes see writes: ordinary
// writes after SnapshotRefresh, an erasure or a withdrawal of consent at
// once.
func TestSnapshotCache(t *testing.T) {
	e := newTestServer(t, openTestStore(t), func(c *Config) { c.SnapshotRefresh = time.Hour })
	e.seed()
	e.score("sesame")
	ids := func(path string) []graph.ID {
		t.Helper()
		w := e.get(path)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		var n NetworkResponse
		decode(t, w, &n)
		return egoIDs(n)
	}
	require.Equal(t, []graph.ID{1, 2, 3, 5}, ids("/v1/people/1/network"))

	// A new friendship is not seen within the refresh interval...
	w := e.do(request{method: http.MethodPut, path: "/v1/friendships/1/4"})
	require.Equal(t, http.StatusCreated, w.Code)
	assert.Equal(t, []graph.ID{1, 2, 3, 5}, ids("/v1/people/1/network"))

	// ...but a withdrawal of consent is, at once (and brings the new
	// friendship with it).
	w = e.do(request{method: http.MethodPut, path: "/v1/people/2?reason=test", body: `{"consent":false}`})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, []graph.ID{1, 3, 4, 5}, ids("/v1/people/1/network"))
	assertProblem(t, e.get("/v1/people/2/network"), 404, "not-found", "id", "no person 2")

	// So is an erasure.
	w = e.do(request{method: http.MethodDelete, path: "/v1/people/5"})
	require.Equal(t, http.StatusNoContent, w.Code, w.Body.String())
	assert.Equal(t, []graph.ID{1, 3, 4}, ids("/v1/people/1/network"))

	// Someone who consents again is shown, but not with the score of the
	// run that predates the withdrawal: the runner hides it.
	w = e.do(request{method: http.MethodPut, path: "/v1/people/2?reason=test", body: `{"consent":true}`})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	w = e.do(request{method: http.MethodDelete, path: "/v1/people/4"}) // forces a new snapshot
	require.Equal(t, http.StatusNoContent, w.Code, w.Body.String())
	w = e.get("/v1/people/1/network")
	require.Equal(t, http.StatusOK, w.Code)
	var n NetworkResponse
	decode(t, w, &n)
	require.Equal(t, []graph.ID{1, 2, 3}, egoIDs(n))
	for _, p := range n.People {
		assert.Equal(t, p.ID != 2, p.Scored, "person %d", p.ID)
	}

	// With a short refresh interval ordinary writes are seen too.
	e2 := newTestServer(t, openTestStore(t), func(c *Config) { c.SnapshotRefresh = time.Nanosecond })
	e2.seed()
	w = e2.get("/v1/people/1/network")
	require.Equal(t, http.StatusOK, w.Code)
	w = e2.do(request{method: http.MethodPut, path: "/v1/friendships/1/4"})
	require.Equal(t, http.StatusCreated, w.Code)
	w = e2.get("/v1/people/1/network")
	decode(t, w, &n)
	assert.Equal(t, []graph.ID{1, 2, 3, 4, 5}, egoIDs(n))
}

// TestSnapshotCacheRefreshesAfterRunsAndWithAge: writes this server does
// not see (made to the store directly, as another process would) show up
// once a scoring run completes, or once the snapshot is older than
// SnapshotMaxAge.
func TestSnapshotCacheRefreshesAfterRunsAndWithAge(t *testing.T) {
	ctx := context.Background()
	e := newTestServer(t, openTestStore(t), func(c *Config) { c.SnapshotRefresh = time.Nanosecond })
	e.seed()
	e.score("sesame")
	ids := func() []graph.ID {
		t.Helper()
		w := e.get("/v1/people/1/network")
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		var n NetworkResponse
		decode(t, w, &n)
		return egoIDs(n)
	}
	require.Equal(t, []graph.ID{1, 2, 3, 5}, ids())
	require.NoError(t, e.store.PutTie(ctx, graph.Tie{Kind: graph.Friend, From: 1, To: 4}))
	assert.Equal(t, []graph.ID{1, 2, 3, 5}, ids(), "nothing says the network changed")
	e.score("sesame")
	assert.Equal(t, []graph.ID{1, 2, 3, 4, 5}, ids(), "a new run brings a new snapshot")

	e2 := newTestServer(t, openTestStore(t), func(c *Config) { c.SnapshotMaxAge = time.Millisecond })
	e2.seed()
	w := e2.get("/v1/people/1/network")
	require.Equal(t, http.StatusOK, w.Code)
	require.NoError(t, e2.store.PutTie(ctx, graph.Tie{Kind: graph.Friend, From: 1, To: 4}))
	time.Sleep(5 * time.Millisecond)
	w = e2.get("/v1/people/1/network")
	var n NetworkResponse
	decode(t, w, &n)
	assert.Equal(t, []graph.ID{1, 2, 3, 4, 5}, egoIDs(n), "an old snapshot is read again")
}

func TestShockExperiment(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	e.score("tencent")
	before := e.state(fixtureIDs...)

	w := e.do(request{method: http.MethodPost, path: "/v1/experiments/shock",
		body: `{"changes":[{"id":3,"events":["default",{"type":"bill_payment","amount":80,"due":"2024-02-01","paid":"2024-03-20"}]}],"max_steps":5}`})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var res ShockResponse
	decode(t, w, &res)
	assert.Equal(t, "tencent", res.Policy, "the policy of the current scores by default")
	assert.Equal(t, 5, res.People)
	require.Len(t, res.Changes, 1)
	ch := res.Changes[0]
	assert.Equal(t, graph.ID(3), ch.ID)
	assert.Less(t, ch.ScoreAfter, ch.ScoreBefore, "a default lowers the score")
	score3, _, _ := e.runner.Lookup(3)
	assert.Equal(t, score3.Score, ch.ScoreBefore, "the baseline is the stored run's scores")
	require.NotEmpty(t, res.Steps)
	assert.LessOrEqual(t, len(res.Steps), 6)
	assert.Equal(t, 0, res.Steps[0].Step)
	assert.Equal(t, 0, res.Steps[0].Moved)
	assert.Positive(t, res.Total.PointsLost)
	assert.Positive(t, res.Total.Moved)
	// 3's friends are 1, 2 and 4 (hop 1); 5 is tied to 1 only by a
	// recruitment, which scores do not travel along.
	require.Len(t, res.Total.Reach, 2)
	assert.Equal(t, []int{1, 3}, []int{res.Total.Reach[0].People, res.Total.Reach[1].People})
	assert.False(t, res.SnapshotAt.IsZero())

	// Nothing was stored.
	assert.Equal(t, before, e.state(fixtureIDs...))

	// Every person whose score was shown was audited once.
	var audited []graph.ID
	for _, r := range e.auditRecords() {
		assert.Equal(t, routeShock, r.Route)
		audited = append(audited, r.Person)
	}
	assert.Contains(t, audited, graph.ID(3))
	assert.Len(t, audited, res.Total.Moved)

	// Another policy, by name; list_limit cuts the lists, not the counts.
	w = e.do(request{method: http.MethodPost, path: "/v1/experiments/shock",
		body: `{"changes":[{"id":1,"events":["default:5000"]}],"policy":"baseline","list_limit":1}`})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	decode(t, w, &res)
	assert.Equal(t, "baseline", res.Policy)
	assert.Equal(t, 1, res.Total.Moved, "without contagion only the shocked person moves")
	assert.Len(t, res.Total.Deltas, 1)
	assert.Equal(t, before, e.state(fixtureIDs...))
}

func TestShockExperimentBadInput(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	e.score("sesame")
	before := e.state(fixtureIDs...)
	for _, tc := range []struct {
		name, body, typ, field, reason string
		status                         int
	}{
		{"no body", ``, "invalid-input", "", "required", 400},
		{"no changes", `{}`, "invalid-input", "changes", "required", 400},
		{"empty changes", `{"changes":[]}`, "invalid-input", "changes", "1 to 10000", 400},
		{"unknown field", `{"changes":[{"id":1,"events":["default"]}],"steps":3}`, "invalid-input", "steps", "unknown field", 400},
		{"unknown change field", `{"changes":[{"id":1,"events":["default"],"record":{}}]}`, "invalid-input", "changes/0/record", "unknown field", 400},
		{"no id", `{"changes":[{"events":["default"]}]}`, "invalid-input", "changes/0/id", "required", 400},
		{"bad id", `{"changes":[{"id":"1","events":["default"]}]}`, "invalid-input", "changes/0/id", "positive integer", 400},
		{"duplicate id", `{"changes":[{"id":1,"events":["default"]},{"id":1,"events":["paid_bill"]}]}`, "invalid-input", "changes/1/id", "one change per person", 400},
		{"no events", `{"changes":[{"id":1}]}`, "invalid-input", "changes/0/events", "required", 400},
		{"empty events", `{"changes":[{"id":1,"events":[]}]}`, "invalid-input", "changes/0/events", "1 to 1000", 400},
		{"unknown shorthand", `{"changes":[{"id":1,"events":["bankrupt"]}]}`, "invalid-input", "changes/0/events/0", "shorthands", 400},
		{"bad shorthand amount", `{"changes":[{"id":1,"events":["default:-5"]}]}`, "invalid-input", "changes/0/events/0", "non-negative", 400},
		{"event neither string nor object", `{"changes":[{"id":1,"events":[3]}]}`, "invalid-input", "changes/0/events/0", "shorthand string", 400},
		{"bad event object", `{"changes":[{"id":1,"events":[{"type":"default","amount":-1,"at":"2024-01-01"}]}]}`, "invalid-input", "changes/0/events/0/amount", "", 400},
		{"event object with an item", `{"changes":[{"id":1,"events":[{"type":"purchase","amount":1,"at":"2024-01-01","item":"tv"}]}]}`, "invalid-input", "changes/0/events/0/item", "unknown field", 400},
		{"future event", `{"changes":[{"id":1,"events":[{"type":"default","amount":1,"at":"2999-01-01"}]}]}`, "invalid-input", "changes/0/events/0/at", "", 400},
		{"unknown policy", `{"changes":[{"id":1,"events":["default"]}],"policy":"nope"}`, "invalid-input", "policy", "unknown policy", 400},
		{"max_steps too large", `{"changes":[{"id":1,"events":["default"]}],"max_steps":201}`, "invalid-input", "max_steps", "0", 400},
		{"negative max_steps", `{"changes":[{"id":1,"events":["default"]}],"max_steps":-1}`, "invalid-input", "max_steps", "0", 400},
		{"list_limit zero", `{"changes":[{"id":1,"events":["default"]}],"list_limit":0}`, "invalid-input", "list_limit", "from 1", 400},
		{"malformed", `{"changes":[`, "malformed-json", "", "", 400},
		{"unknown person", `{"changes":[{"id":1,"events":["default"]},{"id":999,"events":["default"]}]}`, "not-found", "changes/1/id", "", 404},
		{"not consenting", `{"changes":[{"id":6,"events":["default"]}]}`, "not-found", "changes/0/id", "", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := request{method: http.MethodPost, path: "/v1/experiments/shock", body: tc.body}
			assertProblem(t, e.do(r), tc.status, tc.typ, tc.field, tc.reason)
		})
	}
	w := e.do(request{method: http.MethodPost, path: "/v1/experiments/shock", body: `{"changes":[{"id":1,"events":["default"]}]}`,
		header: map[string]string{"Content-Type": "text/plain"}})
	assertProblem(t, w, http.StatusUnsupportedMediaType, "unsupported-media-type", "", "application/json")
	assert.Equal(t, before, e.state(fixtureIDs...))
	assert.Empty(t, e.auditRecords())
}

func TestNetworkMetrics(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	rep := e.score("sesame")
	w := e.get("/v1/network/metrics")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var m MetricsResponse
	decode(t, w, &m)
	assert.Equal(t, 5, m.People, "6 does not consent")
	assert.Equal(t, 4, m.Friendships, "1-2, 2-3, 3-4, 1-3; not 4-6")
	assert.Equal(t, 5, m.Scored)
	assert.Equal(t, 3, m.MaxDegree)
	assert.Equal(t, 2, m.Components.Count, "5 is alone: a recruitment is not a friendship")
	assert.Equal(t, 1, m.Components.Isolated)
	require.NotNil(t, m.AverageClustering)
	require.Len(t, m.Communities, 2)
	assert.Equal(t, "cdlp", m.Communities[0].Method)
	assert.Equal(t, "louvain", m.Communities[1].Method)
	assert.Equal(t, rep.Run.ID, m.RunID)
	var raw map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &raw))
	assert.Contains(t, raw, "score_assortativity")
	assert.Contains(t, raw, "degree_histogram")
	// By hand: triangle 1-2-3 with 4 on 3 and 5 alone: one triangle, 1+1+3
	// connected triples, T = 3/5; degrees 0,1,2,2,3: Σ|x_i−x_j| over
	// ordered pairs is 28, so Gini = 28 / (2·5²·1.6) = 0.35.
	require.NotNil(t, m.Transitivity)
	assert.InDelta(t, 0.6, *m.Transitivity, 1e-12)
	require.NotNil(t, m.DegreeGini)
	assert.InDelta(t, 0.35, *m.DegreeGini, 1e-12)
	assert.NotNil(t, m.DegreeAssortativity)
	require.NotNil(t, m.ScoreGini)
	assert.Positive(t, *m.ScoreGini)
	for _, k := range []string{"transitivity", "degree_assortativity", "degree_gini", "score_gini"} {
		assert.Contains(t, raw, k)
	}
	for _, c := range raw["communities"].([]any) {
		assert.Contains(t, c, "single_community")
	}

	assertProblem(t, e.get("/v1/network/metrics?top=3"), 400, "invalid-input", "top", "takes none")
}

// exportKey is the pseudonymisation key of the export tests.
var testExportKey = []byte("export-key-0123456789abcdef")

func TestExports(t *testing.T) {
	e := newTestServer(t, openTestStore(t), func(c *Config) { c.ExportKey = testExportKey })
	e.seed()
	e.score("sesame")
	before := e.state(fixtureIDs...)
	ps := export.Pseudonymizer{Key: testExportKey}

	// The whole network, as JSON, pseudonymised.
	w := e.get("/v1/exports")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	assert.Equal(t, `attachment; filename="socialscore-network.json"`, w.Header().Get("Content-Disposition"))
	var g export.Graph
	decode(t, w, &g)
	assert.True(t, g.Meta.Pseudonymised)
	assert.Equal(t, "snapshot", g.Meta.Kind)
	var nodeIDs []string
	hex16 := regexp.MustCompile(`^[0-9a-f]{16}$`)
	for _, n := range g.Nodes {
		assert.Regexp(t, hex16, n.ID)
		nodeIDs = append(nodeIDs, n.ID)
	}
	want := []string{ps.ID(1), ps.ID(2), ps.ID(3), ps.ID(4), ps.ID(5)}
	assert.ElementsMatch(t, want, nodeIDs, "everyone who consents, and not 6")
	assert.NotContains(t, nodeIDs, ps.ID(6))
	assert.Len(t, g.Links, 5, "4 friendships and 1 recruitment")
	assert.Empty(t, e.auditRecords(), "a pseudonymised export names nobody")

	// An ego network as GEXF and GraphML: well-formed XML in their
	// namespaces.
	for _, tc := range []struct{ format, ctype, ns string }{
		{"gexf", "application/gexf+xml", export.GEXFNamespace},
		{"graphml", "application/graphml+xml", export.GraphMLNamespace},
	} {
		w = e.get("/v1/exports?format=" + tc.format + "&ego=1&depth=2&limit=100")
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Equal(t, tc.ctype, w.Header().Get("Content-Type"))
		assert.Equal(t, `attachment; filename="socialscore-ego.`+tc.format+`"`, w.Header().Get("Content-Disposition"))
		root, nodes := xmlNodes(t, w.Body.String())
		assert.Equal(t, tc.ns, root.Space)
		assert.ElementsMatch(t, []string{ps.ID(1), ps.ID(2), ps.ID(3), ps.ID(4), ps.ID(5)}, nodes)
	}

	// Recruitments: undirected by default (NetworkX and igraph read the
	// file), directed on request; the kind says which edge is which.
	w = e.get("/v1/exports?format=graphml")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.NotContains(t, w.Body.String(), `directed="true"`, "no directed edge by default")
	assert.Equal(t, 1, strings.Count(w.Body.String(), `<data key="kind">recruited</data>`), "the recruitment, undirected")
	for _, format := range []string{"graphml", "gexf"} {
		marker := map[string]string{"graphml": `directed="true"`, "gexf": `type="directed"`}[format]
		w = e.get("/v1/exports?format=" + format + "&undirected_recruitments=true")
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.NotContains(t, w.Body.String(), marker, format)
		w = e.get("/v1/exports?format=" + format + "&undirected_recruitments=false")
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Equal(t, 1, strings.Count(w.Body.String(), marker), "%s: the recruitment directed on request", format)
	}

	// A sample.
	w = e.get("/v1/exports?sample=3&seed=7&method=uniform")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	decode(t, w, &g)
	assert.Len(t, g.Nodes, 3)
	require.NotNil(t, g.Meta.Sample)
	assert.Equal(t, uint64(7), g.Meta.Sample.Seed)
	assert.Equal(t, "uniform", g.Meta.Sample.Method)
	w = e.get("/v1/exports?sample=3")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	decode(t, w, &g)
	assert.Equal(t, "snowball", g.Meta.Sample.Method)

	// Real ids are refused unless the server allows them.
	assertProblem(t, e.get("/v1/exports?real_ids=true"), http.StatusForbidden, "forbidden", "real_ids", "not allowed")
	w = e.get("/v1/exports?real_ids=false")
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, before, e.state(fixtureIDs...))
}

// xmlNodes returns the root element and the id attributes of every <node>.
func xmlNodes(t *testing.T, doc string) (xml.Name, []string) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(doc))
	var root xml.Name
	var ids []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if se, ok := tok.(xml.StartElement); ok {
			if root.Local == "" {
				root = se.Name
			}
			if se.Name.Local == "node" {
				for _, a := range se.Attr {
					if a.Name.Local == "id" {
						ids = append(ids, a.Value)
					}
				}
			}
		}
	}
	return root, ids
}

func TestExportRealIDs(t *testing.T) {
	e := newTestServer(t, openTestStore(t), func(c *Config) { c.ExportRealIDs = true })
	e.seed()
	e.score("sesame")
	w := e.get("/v1/exports?ego=3&real_ids=true")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var g export.Graph
	decode(t, w, &g)
	assert.False(t, g.Meta.Pseudonymised)
	var ids []string
	for _, n := range g.Nodes {
		ids = append(ids, n.ID)
	}
	assert.ElementsMatch(t, []string{"1", "2", "3", "4"}, ids)
	var audited []graph.ID
	for _, r := range e.auditRecords() {
		assert.Equal(t, routeExports, r.Route)
		audited = append(audited, r.Person)
	}
	assert.ElementsMatch(t, []graph.ID{1, 2, 3, 4}, audited, "an export with real ids is a read of every score in it")

	// Without a configured key, pseudonyms come from the store's own key
	// (api/storetest checks them on both stores and across restarts).
	w = e.get("/v1/exports?ego=3")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	decode(t, w, &g)
	assert.True(t, g.Meta.Pseudonymised)
	key, err := e.store.(graph.PseudonymKeyStore).PseudonymKey(t.Context())
	require.NoError(t, err)
	ids = ids[:0]
	for _, n := range g.Nodes {
		ids = append(ids, n.ID)
	}
	ps := export.Pseudonymizer{Key: key}
	assert.ElementsMatch(t, []string{ps.ID(1), ps.ID(2), ps.ID(3), ps.ID(4)}, ids)
}

func TestExportsBadInput(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	e.score("sesame")
	for _, tc := range []struct {
		query, typ, field, reason string
		status                    int
	}{
		{"format=csv", "invalid-input", "format", "want json, gexf or graphml", 400},
		{"format=", "invalid-input", "format", "unknown format", 400},
		{"ego=1&sample=3", "invalid-input", "sample", "exclude each other", 400},
		{"depth=2", "invalid-input", "depth", "only allowed with ego", 400},
		{"limit=2", "invalid-input", "limit", "only allowed with ego", 400},
		{"seed=2", "invalid-input", "seed", "only allowed with sample", 400},
		{"method=uniform", "invalid-input", "method", "only allowed with sample", 400},
		{"ego=0", "invalid-input", "ego", "positive integer", 400},
		{"ego=1&depth=4", "invalid-input", "depth", "from 1 to 3", 400},
		{"ego=1&limit=0", "invalid-input", "limit", "from 1", 400},
		{"sample=0", "invalid-input", "sample", "integer from 1", 400},
		{"sample=3&seed=-1", "invalid-input", "seed", "non-negative", 400},
		{"sample=3&method=random", "invalid-input", "method", "snowball or uniform", 400},
		{"real_ids=yes", "invalid-input", "real_ids", `"true" or "false"`, 400},
		{"undirected_recruitments=no", "invalid-input", "undirected_recruitments", `"true" or "false"`, 400},
		{"undirected_recruitments=", "invalid-input", "undirected_recruitments", `"true" or "false"`, 400},
		{"shock=1", "invalid-input", "shock", "unknown query parameter", 400},
		{"ego=999", "not-found", "ego", "no person 999", 404},
		{"ego=6", "not-found", "ego", "no person 6", 404},
	} {
		t.Run(tc.query, func(t *testing.T) {
			assertProblem(t, e.get("/v1/exports?"+tc.query), tc.status, tc.typ, tc.field, tc.reason)
		})
	}
}

// TestResearchRoutesNeedAKey: the research routes are under /v1 like the
// rest.
func TestResearchRoutesNeedAKey(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	for _, r := range []request{
		{method: http.MethodGet, path: "/v1/people/1/network"},
		{method: http.MethodGet, path: "/v1/exports"},
		{method: http.MethodGet, path: "/v1/network/metrics"},
		{method: http.MethodPost, path: "/v1/experiments/shock", body: `{"changes":[{"id":1,"events":["default"]}]}`},
		{method: http.MethodPost, path: "/v1/simulations", body: `{"base":{"rounds":1}}`},
		{method: http.MethodGet, path: "/v1/simulations/abc"},
		{method: http.MethodDelete, path: "/v1/simulations/abc"},
	} {
		r.header = map[string]string{"Authorization": ""}
		t.Run(fmt.Sprint(r.method, " ", r.path), func(t *testing.T) {
			assertProblem(t, e.do(r), http.StatusUnauthorized, "unauthorized", "Authorization", "missing API key")
		})
	}
}

// TestResearchRoutesConcurrently runs reads, shocks and writes at once
// (for the race detector): readers share snapshots and baselines while
// writes and a scoring run make them stale.
func TestResearchRoutesConcurrently(t *testing.T) {
	e := newTestServer(t, openTestStore(t), func(c *Config) { c.SnapshotRefresh = time.Nanosecond })
	e.seed()
	e.score("sesame")
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			for i := range 10 {
				var w *httptest.ResponseRecorder
				switch (g + i) % 3 {
				case 0:
					w = e.get("/v1/people/1/network?depth=2")
				case 1:
					w = e.do(request{method: http.MethodPost, path: "/v1/experiments/shock", body: `{"changes":[{"id":2,"events":["default"]}]}`})
				default:
					w = e.get("/v1/network/metrics")
				}
				assert.Equal(t, http.StatusOK, w.Code, w.Body.String())
			}
		})
	}
	wg.Go(func() {
		for i := range 10 {
			path := "/v1/friendships/1/4"
			method := http.MethodPut
			if i%2 == 1 {
				method = http.MethodDelete
			}
			w := e.do(request{method: method, path: path})
			assert.Less(t, w.Code, 300, w.Body.String())
		}
	})
	wg.Go(func() { e.score("tencent") })
	wg.Wait()
}
