package api

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

// TestChangesNameEvents goes through a default, its dispute and a rejected
// resolution on both stores, through the API, and reads the changes
// between each pair of runs. The reference for every driver's points is
// the credit component's move computed independently: scoring.Explain of
// the two runs' results as the store's History returns them. The event
// lists are checked against what was posted (id, type, amount, date,
// provider) and the disputes against what was opened and resolved.
func TestChangesNameEvents(t *testing.T) {
	t.Run("embedded", func(t *testing.T) { testChangesNameEvents(t, openTestStore(t)) })
	t.Run("neo4j", func(t *testing.T) { testChangesNameEvents(t, openNeo4jTestStore(t)) })
}

// creditDelta is the credit component's move for person id between two
// runs, from scoring.Explain of the stored results.
func creditDelta(t *testing.T, store graph.Store, id graph.ID, from, to string) (credit, score int) {
	t.Helper()
	h, err := store.History(context.Background(), id, 0)
	require.NoError(t, err)
	pts := map[string]int{}
	scores := map[string]int{}
	for _, e := range h {
		p, err := scoring.PolicyOf(e.Policy, e.PolicySpec)
		require.NoError(t, err)
		x := scoring.Explain(e.Result, p)
		scores[e.RunID] = x.Score
		for _, c := range x.Components {
			if c.Name == scoring.ComponentCredit {
				pts[e.RunID] = c.Points
			}
		}
	}
	require.Contains(t, pts, from)
	require.Contains(t, pts, to)
	return pts[to] - pts[from], scores[to] - scores[from]
}

// changesOf reads the changes of person 2 between the newest run and the
// one before, and checks that the components' deltas sum to the score's.
func (e *testEnv) changesOf() ChangesResponse {
	e.t.Helper()
	w := e.get("/v1/people/2/score/changes")
	require.Equal(e.t, http.StatusOK, w.Code, w.Body.String())
	var ch ChangesResponse
	decode(e.t, w, &ch)
	sum := 0
	for _, c := range ch.Components {
		sum += c.Delta
	}
	assert.Equal(e.t, ch.Delta, sum, "the components' deltas sum to the score's delta")
	assert.LessOrEqual(e.t, len(ch.Drivers), scoring.MaxDrivers)
	e.t.Logf("components %+v drivers %q", ch.Components, ch.Drivers)
	return ch
}

func testChangesNameEvents(t *testing.T, store graph.Store) {
	e := newTestServer(t, store)
	e.seed()
	r0 := e.score("sesame")
	e.postDefault("2")
	r1 := e.score("sesame")

	// The default: named with its date and the credit component's points.
	ch := e.changesOf()
	require.Equal(t, r1.Run.ID, ch.To.RunID)
	credit, delta := creditDelta(t, store, 2, r0.Run.ID, r1.Run.ID)
	require.Less(t, credit, 0)
	assert.Equal(t, delta, ch.Delta)
	assert.Equal(t, fmt.Sprintf("a default on 2026-10-03 cost %d points", -credit), ch.Drivers[0], "drivers: %q", ch.Drivers)
	require.Len(t, ch.Events.Added, 1)
	def := ch.Events.Added[0]
	assert.Equal(t, graph.EventDefault, def.Type)
	assert.Equal(t, 2500.0, def.Amount)
	assert.Equal(t, "2026-10-03", def.Date.Format("2006-01-02"))
	assert.Equal(t, "lender", def.Provider, "the posting key's app")
	assert.False(t, def.CountedBefore)
	assert.True(t, def.CountedAfter)
	assert.Equal(t, scoring.CauseArrived, def.Cause)
	assert.Equal(t, []scoring.EventChange{def}, ch.Events.Moved)
	assert.Empty(t, ch.Events.Removed)
	assert.Empty(t, ch.Disputes)
	// The ids are the store's.
	evs, err := store.Events(context.Background(), 2)
	require.NoError(t, err)
	assert.Equal(t, evs[len(evs)-1].ID, def.ID)

	// Disputed: the next run leaves it out, the score rises back, and the
	// changes name the dispute.
	w := e.do(request{method: http.MethodPost, path: "/v1/people/2/disputes",
		body: `{"event":` + def.ID.String() + `,"reason":"not mine"}`, header: map[string]string{"Authorization": "Bearer " + hotelKey}})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	var d DisputeResponse
	decode(t, w, &d)
	r2 := e.score("sesame")
	ch = e.changesOf()
	require.Equal(t, r2.Run.ID, ch.To.RunID)
	credit, delta = creditDelta(t, store, 2, r1.Run.ID, r2.Run.ID)
	require.Greater(t, credit, 0)
	assert.Equal(t, delta, ch.Delta)
	assert.Greater(t, ch.Delta, 0, "the dispute raises the score back")
	_, back := creditDelta(t, store, 2, r0.Run.ID, r2.Run.ID)
	assert.Equal(t, 0, back, "back to the score before the default")
	assert.Equal(t, fmt.Sprintf("disputing the default of 2026-10-03 raised your credit points by %d", credit), ch.Drivers[0], "drivers: %q", ch.Drivers)
	assert.Empty(t, ch.Events.Added)
	require.Len(t, ch.Events.Moved, 1)
	assert.Equal(t, scoring.CauseDisputed, ch.Events.Moved[0].Cause)
	assert.Equal(t, d.ID, ch.Events.Moved[0].Dispute)
	require.Len(t, ch.Disputes, 1)
	assert.Equal(t, d.ID, ch.Disputes[0].ID)
	assert.Equal(t, def.ID, ch.Disputes[0].Event)
	assert.True(t, ch.Disputes[0].Opened)
	assert.False(t, ch.Disputes[0].Resolved)

	// Rejected: the next run counts it again and the changes say so.
	w = e.do(postJSON("/v1/disputes/"+d.ID.String()+"/resolution", `{"outcome":"rejected","note":"signed contract"}`))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	r3 := e.score("sesame")
	ch = e.changesOf()
	require.Equal(t, r3.Run.ID, ch.To.RunID)
	credit, delta = creditDelta(t, store, 2, r2.Run.ID, r3.Run.ID)
	require.Less(t, credit, 0)
	assert.Equal(t, delta, ch.Delta)
	assert.Less(t, ch.Delta, 0, "the rejected resolution lowers the score again")
	assert.Equal(t, fmt.Sprintf("the dispute of the default of 2026-10-03 was rejected: it counts again (−%d points)", -credit), ch.Drivers[0], "drivers: %q", ch.Drivers)
	require.Len(t, ch.Events.Moved, 1)
	assert.Equal(t, scoring.CauseRejected, ch.Events.Moved[0].Cause)
	require.Len(t, ch.Disputes, 1)
	assert.Equal(t, graph.DisputeRejected, ch.Disputes[0].Status)
	assert.True(t, ch.Disputes[0].Resolved)
	assert.False(t, ch.Disputes[0].Opened)
	assert.NotNil(t, ch.Disputes[0].ResolvedAt)

	// From the first run to the last, the default arrived and counts.
	w = e.get("/v1/people/2/score/changes?from=" + r0.Run.ID + "&to=" + r3.Run.ID)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	decode(t, w, &ch)
	credit, _ = creditDelta(t, store, 2, r0.Run.ID, r3.Run.ID)
	assert.Equal(t, fmt.Sprintf("a default on 2026-10-03 cost %d points", -credit), ch.Drivers[0], "drivers: %q", ch.Drivers)
	require.Len(t, ch.Disputes, 1, "opened and resolved between the runs")
	assert.True(t, ch.Disputes[0].Opened && ch.Disputes[0].Resolved)
}
