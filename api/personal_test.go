package api

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

// postDefault reports a default for the person through the API.
func (e *testEnv) postDefault(id string) {
	e.t.Helper()
	w := e.do(request{method: http.MethodPost, path: "/v1/people/" + id + "/events",
		body: `{"events":[{"type":"default","amount":2500,"at":"2026-10-03T00:00:00Z"}]}`})
	require.Equal(e.t, http.StatusOK, w.Code, w.Body.String())
}

// TestScoreHistory: GET /v1/people/{id}/score/history lists the person's
// scores in the stored runs, newest first, as the store keeps them, with
// each run's band; limit cuts it; each read is audited.
func TestScoreHistory(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	r1 := e.score("sesame")
	e.postDefault("2")
	r2 := e.score("tencent")
	r3 := e.score("sesame")

	w := e.get("/v1/people/2/score/history")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var h HistoryResponse
	decode(t, w, &h)
	assert.Equal(t, graph.ID(2), h.ID)
	require.Len(t, h.History, 3)
	stored, err := e.store.History(context.Background(), 2, 0)
	require.NoError(t, err)
	for i, run := range []scoring.Report{r3, r2, r1} {
		item := h.History[i]
		assert.Equal(t, run.Run.ID, item.RunID)
		assert.Equal(t, run.Run.Policy, item.Policy)
		assert.True(t, run.Run.FinishedAt.Equal(item.ComputedAt))
		assert.Equal(t, stored[i].Score, item.Score)
		assert.Equal(t, stored[i].Individual, item.Individual)
		p, _ := scoring.Preset(run.Run.Policy)
		assert.Equal(t, p.BandOf(item.Score), item.Band)
	}
	cur, _, ok := e.runner.Lookup(2)
	require.True(t, ok)
	assert.Equal(t, cur.Score, h.History[0].Score, "the newest entry is the current score")

	w = e.get("/v1/people/2/score/history?limit=2")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	decode(t, w, &h)
	require.Len(t, h.History, 2)
	assert.Equal(t, r3.Run.ID, h.History[0].RunID)
	assert.Equal(t, r2.Run.ID, h.History[1].RunID)

	var routes []string
	for _, a := range e.auditRecords() {
		if a.Person == 2 {
			routes = append(routes, a.Route)
		}
	}
	assert.Equal(t, []string{routeScoreHistory, routeScoreHistory}, routes, "every history read is audited")
}

// TestScoreChangesAfterADefault: person 2 defaults between two runs; the
// changes answer names the default with its points (the credit
// component's move), gives CRD01 as a new reason, and the component
// deltas sum to the score's delta. The components are checked against
// scoring.Explain of the stored results of both runs.
func TestScoreChangesAfterADefault(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	r1 := e.score("sesame")
	e.postDefault("2")
	r2 := e.score("sesame")

	w := e.get("/v1/people/2/score/changes")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var ch ChangesResponse
	decode(t, w, &ch)
	assert.Equal(t, r1.Run.ID, ch.From.RunID, "from defaults to the run before")
	assert.Equal(t, r2.Run.ID, ch.To.RunID, "to defaults to the newest run")
	checkChanges(t, e.store, 2, ch)

	// The same with both runs named.
	w = e.get("/v1/people/2/score/changes?from=" + r1.Run.ID + "&to=" + r2.Run.ID)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var again ChangesResponse
	decode(t, w, &again)
	assert.Equal(t, ch, again)
}

// checkChanges checks a changes answer for person id, who defaulted
// between its two runs, against the store's history.
func checkChanges(t *testing.T, store graph.Store, id graph.ID, ch ChangesResponse) {
	t.Helper()
	h, err := store.History(context.Background(), id, 0)
	require.NoError(t, err)
	var before, after graph.HistoryEntry
	for _, e := range h {
		switch e.RunID {
		case ch.From.RunID:
			before = e
		case ch.To.RunID:
			after = e
		}
	}
	require.NotEmpty(t, before.RunID)
	require.NotEmpty(t, after.RunID)
	assert.Equal(t, after.Score-before.Score, ch.Delta)
	assert.Less(t, ch.Delta, 0, "a default lowers the score")
	pb, err := scoring.PolicyOf(before.Policy, before.PolicySpec)
	require.NoError(t, err)
	pa, err := scoring.PolicyOf(after.Policy, after.PolicySpec)
	require.NoError(t, err)
	eb, ea := scoring.Explain(before.Result, pb), scoring.Explain(after.Result, pa)
	sum, credit := 0, 0
	for i, c := range ch.Components {
		assert.Equal(t, eb.Components[i].Points, c.Before, c.Name)
		assert.Equal(t, ea.Components[i].Points, c.After, c.Name)
		assert.Equal(t, c.After-c.Before, c.Delta, c.Name)
		sum += c.Delta
		if c.Name == scoring.ComponentCredit {
			credit = c.Delta
		}
	}
	assert.Equal(t, ch.Delta, sum, "the component deltas sum to the score's delta")
	require.Less(t, credit, 0)
	assert.True(t, ch.Record.Known)
	assert.Contains(t, ch.Record.Changes, scoring.FactChange{Fact: "defaults", Before: 0, After: 1})
	assert.Contains(t, ch.Drivers, fmt.Sprintf("a default on 2026-10-03 cost %d points", -credit), "drivers: %q", ch.Drivers)
	var added []string
	for _, r := range ch.Reasons.Added {
		added = append(added, r.Code)
	}
	assert.Contains(t, added, scoring.ReasonCredit, "CRD01 is new: the record now has a default")
	for _, r := range ch.Reasons.Before {
		assert.NotEqual(t, scoring.ReasonCredit, r.Code, "before the default the record had no late payment or default")
	}
	assert.LessOrEqual(t, len(ch.Drivers), scoring.MaxDrivers)
}

// TestScoreChangesBadInput: bad parameters get problem+json naming the
// field, and change nothing (not even the audit log).
func TestScoreChangesBadInput(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	assertProblem(t, e.get("/v1/people/2/score/changes"), http.StatusNotFound, "not-found", "id", "no score history for person 2")
	assertProblem(t, e.get("/v1/people/2/score/history"), http.StatusNotFound, "not-found", "id", "no score history for person 2")
	r1 := e.score("sesame")
	// One run: nothing to compare with.
	assertProblem(t, e.get("/v1/people/2/score/changes"), http.StatusNotFound, "not-found", "from", "no earlier run scored person 2")
	r2 := e.score("sesame")
	before := e.state(fixtureIDs...)
	audited := len(e.auditRecords())

	for _, c := range []struct {
		path, typ, field, reason string
		status                   int
	}{
		{"/v1/people/2/score/history?limit=0", "invalid-input", "limit", "must be an integer from 1 to 1000", 400},
		{"/v1/people/2/score/history?limit=1001", "invalid-input", "limit", "must be an integer from 1 to 1000", 400},
		{"/v1/people/2/score/history?limit=two", "invalid-input", "limit", "must be an integer", 400},
		{"/v1/people/2/score/history?limit=1&limit=2", "invalid-input", "limit", "given more than once", 400},
		{"/v1/people/2/score/history?lmit=2", "invalid-input", "lmit", "unknown query parameter", 400},
		{"/v1/people/x/score/history", "invalid-input", "id", "", 400},
		{"/v1/people/99/score/history", "not-found", "id", "no score history for person 99", 404},
		{"/v1/people/6/score/history", "not-found", "id", "no score history for person 6", 404},
		{"/v1/people/2/score/changes?from=nope", "not-found", "from", `run "nope" is not among the 2 retained runs`, 404},
		{"/v1/people/2/score/changes?to=nope", "not-found", "to", `run "nope" is not among`, 404},
		{"/v1/people/2/score/changes?from=" + r2.Run.ID + "&to=" + r1.Run.ID, "invalid-input", "from", "from must be the earlier run", 400},
		{"/v1/people/2/score/changes?from=" + r1.Run.ID + "&to=" + r1.Run.ID, "invalid-input", "from", "names the same run as to", 400},
		{"/v1/people/2/score/changes?to=" + r1.Run.ID, "not-found", "from", "no earlier run scored person 2 before run " + r1.Run.ID, 404},
		{"/v1/people/2/score/changes?from=", "invalid-input", "from", "must be a run id", 400},
		{"/v1/people/2/score/changes?since=x", "invalid-input", "since", "unknown query parameter", 400},
		{"/v1/people/99/score/changes", "not-found", "id", "no score history for person 99", 404},
		{"/v1/people/2/score/friends?x=1", "invalid-input", "x", "this route takes none", 400},
		{"/v1/people/99/score/friends", "not-found", "id", "no score for person 99", 404},
	} {
		t.Run(c.path, func(t *testing.T) {
			assertProblem(t, e.get(c.path), c.status, c.typ, c.field, c.reason)
		})
	}
	// The default policy offers friends' shares in aggregate only.
	p := assertProblem(t, e.get("/v1/people/2/score/friends"), http.StatusForbidden, "forbidden", "-", "")
	assert.Contains(t, p.Detail, `policy "sesame" offers friends' shares only in aggregate`)

	assert.Equal(t, before, e.state(fixtureIDs...), "bad input changes nothing")
	assert.Len(t, e.auditRecords(), audited, "a refused read is not a read")
}

// TestScoreFriends: under a policy that lists friends' shares, each
// friend's points are 600·(1−c)·α·W_ij·(s_j − b_i), recomputed here from
// the stored results, and they sum to the network component before
// rounding; the score's network.raise and network.lower count the same
// friends and sum to the network component. After a friendship changes
// the list is refused until the next run.
func TestScoreFriends(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	p, _ := scoring.Preset("tencent")
	p.Name = "tencent-listed"
	p.FriendShares = scoring.FriendSharesListed
	_, err := e.runner.Run(context.Background(), p, scoring.Options{})
	require.NoError(t, err)

	// Person 3's friends are 1, 2 and 4 (all weight 1).
	w := e.get("/v1/people/3/score/friends")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var f FriendsResponse
	decode(t, w, &f)
	r3, _, ok := e.runner.Lookup(3)
	require.True(t, ok)
	own := 600 * (1 - p.Centrality)
	require.Len(t, f.Friends, 3)
	var sum float64
	raise, lower := 0, 0
	for _, fr := range f.Friends {
		rj, _, ok := e.runner.Lookup(fr.ID)
		require.True(t, ok)
		want := own * p.Alpha * (1.0 / 3) * (rj.Network - r3.Base) // W_3j = 1/3
		assert.InDelta(t, want, fr.Points, 1e-12, "friend %d", fr.ID)
		sum += fr.Points
		switch {
		case fr.Points > 0:
			raise++
		case fr.Points < 0:
			lower++
		}
	}
	assert.InDelta(t, own*(r3.Network-r3.Base), sum, 1e-6, "the friends' points sum to the network component before rounding")
	assert.InDelta(t, f.NetworkExact, sum, 1e-6)
	for k := 1; k < len(f.Friends); k++ {
		assert.GreaterOrEqual(t, f.Friends[k-1].Points, f.Friends[k].Points, "most points first")
	}

	var s ScoreResponse
	decode(t, e.get("/v1/people/3/score"), &s)
	require.NotNil(t, s.Network)
	assert.Equal(t, f.NetworkPoints, s.Network.Raise.Points+s.Network.Lower.Points)
	assert.Equal(t, raise, s.Network.Raise.Friends)
	assert.Equal(t, lower, s.Network.Lower.Friends)
	for _, c := range s.Components {
		if c.Name == scoring.ComponentNetwork {
			assert.Equal(t, c.Points, f.NetworkPoints)
			assert.InDelta(t, f.NetworkExact, float64(c.Points), 1)
		}
	}

	// A new friendship since the run: the list no longer matches it.
	w = e.do(request{method: http.MethodPut, path: "/v1/friendships/3/5"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	p409 := assertProblem(t, e.get("/v1/people/3/score/friends"), http.StatusConflict, "conflict", "-", "")
	assert.Contains(t, p409.Detail, "friendships changed since run")
	_, err = e.runner.Run(context.Background(), p, scoring.Options{})
	require.NoError(t, err)
	w = e.get("/v1/people/3/score/friends")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	decode(t, w, &f)
	assert.Len(t, f.Friends, 4)

	var routes []string
	for _, a := range e.auditRecords() {
		if a.Route == routeScoreFriends {
			routes = append(routes, a.Route)
		}
	}
	assert.Len(t, routes, 2, "the two lists given were audited")
}

// TestScoreNetworkSplit: every score carries network.raise and
// network.lower summing to its network component.
func TestScoreNetworkSplit(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	ids := e.seed()
	e.score("tencent")
	for _, id := range ids {
		var s ScoreResponse
		decode(t, e.get("/v1/people/"+id.String()+"/score"), &s)
		require.NotNil(t, s.Network)
		net := math.MinInt
		for _, c := range s.Components {
			if c.Name == scoring.ComponentNetwork {
				net = c.Points
				assert.Nil(t, c.Max)
			} else {
				assert.NotNil(t, c.Max, c.Name)
			}
		}
		assert.Equal(t, net, s.Network.Raise.Points+s.Network.Lower.Points, "person %d", id)
	}
}
