package neo4j

import (
	"testing"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// TestChunksWithoutFacts: chunks saved before record facts and friends'
// shares were kept have none of their lists (made here by removing them
// from a saved run, leaving what the previous version wrote). Their
// results read back with facts and shares unknown, beside newer runs
// that carry both, and erasing a person works on both kinds.
func TestChunksWithoutFacts(t *testing.T) {
	ctx := t.Context()
	s := storeWithPeople(t, 6, nil)
	result := func(id graph.ID, score int) graph.Result {
		return graph.Result{ID: id, Score: score, Individual: score - 5, Base: 0.4, Network: 0.45,
			Facts: graph.RecordFacts{Known: true, CreditOnTime: 3, Defaults: 1},
			Share: graph.NetworkShare{Known: true, Raise: 0.07, Lower: -0.02, Raising: 2, Lowering: 1}}
	}
	var old, cur []graph.Result
	for id := graph.ID(1); id <= 6; id++ {
		old = append(old, result(id, 500+int(id)))
		cur = append(cur, result(id, 600+int(id)))
	}
	require.NoError(t, s.SaveRun(ctx, graph.Run{ID: "old", Policy: "sesame"}, old))
	sess := s.session(ctx, drv.AccessModeWrite)
	var remove string
	for _, f := range chunkFields[baseFields:] {
		remove += ", c." + f
	}
	require.NoError(t, execTx(ctx, autoCommit{sess}, `MATCH (c:ScoreChunk) REMOVE `+remove[2:], nil))
	require.NoError(t, sess.Close(ctx))

	_, got, err := s.LatestRun(ctx)
	require.NoError(t, err)
	require.Len(t, got, 6)
	for i, r := range got {
		want := old[i]
		want.Facts, want.Share = graph.RecordFacts{}, graph.NetworkShare{}
		assert.Equal(t, want, r)
	}

	require.NoError(t, s.SaveRun(ctx, graph.Run{ID: "new", Policy: "sesame"}, cur))
	require.NoError(t, s.DeletePerson(ctx, 2))
	h, err := s.History(ctx, 5, 0)
	require.NoError(t, err)
	require.Len(t, h, 2)
	assert.Equal(t, cur[4], h[0].Result, "a new run's result carries facts and shares")
	oldWant := old[4]
	oldWant.Facts, oldWant.Share = graph.RecordFacts{}, graph.NetworkShare{}
	assert.Equal(t, oldWant, h[1].Result, "an old run's result has them unknown")
	_, got, err = s.LatestRun(ctx)
	require.NoError(t, err)
	assert.Equal(t, append([]graph.Result{cur[0]}, cur[2:]...), got)
}
