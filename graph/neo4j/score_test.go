package neo4j

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

func result(id graph.ID, score int) graph.Result {
	return graph.Result{ID: id, Score: score, Individual: score - 1, PageRank: 0.1, Friends: 2, FriendMean: 500}
}

func results(ids []graph.ID, score int) []graph.Result {
	out := make([]graph.Result, len(ids))
	for i, id := range ids {
		out[i] = result(id, score)
	}
	return out
}

func idRange(lo, hi graph.ID) []graph.ID {
	var out []graph.ID
	for id := lo; id <= hi; id++ {
		out = append(out, id)
	}
	return out
}

// nodes counts the nodes with the label.
func nodes(t *testing.T, s *Store, label string) int64 {
	t.Helper()
	return single1(t, s, fmt.Sprintf("MATCH (n:%s) RETURN count(n)", label)) // label from the test, not input
}

// storeWithPeople opens a store with small statements and chunks holding
// consenting people 1..n.
func storeWithPeople(t *testing.T, n int, edit func(*Config)) *Store {
	t.Helper()
	s := openEmpty(t, func(c *Config) {
		c.BatchSize = 10
		c.ChunkSize = 4
		if edit != nil {
			edit(c)
		}
	})
	t.Cleanup(func() { s.Close() })
	var b graph.Batch
	for _, id := range idRange(1, graph.ID(n)) {
		b.People = append(b.People, graph.Person{ID: id, Consent: true})
	}
	require.NoError(t, s.ApplyBatch(t.Context(), b))
	return s
}

// TestSaveRunFailsMidway: a save that fails after writing some chunks
// leaves the previous run in place and nothing of itself behind.
func TestSaveRunFailsMidway(t *testing.T) {
	s := storeWithPeople(t, 50, nil)
	ctx := t.Context()
	first := graph.Run{ID: "r1", Policy: "sesame"}
	require.NoError(t, s.SaveRun(ctx, first, results(idRange(1, 50), 600)))
	chunks := nodes(t, s, "ScoreChunk")

	for _, fail := range []string{"error", "cancel"} {
		t.Run(fail, func(t *testing.T) {
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			wrote := 0
			s.afterChunks = func(saved int) error {
				wrote = saved
				if saved >= 20 {
					if fail == "cancel" {
						cancel()
						return nil
					}
					return errors.New("injected failure")
				}
				return nil
			}
			defer func() { s.afterChunks = nil }()
			err := s.SaveRun(ctx, graph.Run{ID: "r2-" + fail, Policy: "tencent"}, results(idRange(1, 50), 700))
			require.Error(t, err)
			require.GreaterOrEqual(t, wrote, 20, "chunks were written before the failure")

			run, rs, err := s.LatestRun(t.Context())
			require.NoError(t, err)
			assert.Equal(t, "r1", run.ID)
			assert.Equal(t, results(idRange(1, 50), 600), rs)
			assert.EqualValues(t, 1, nodes(t, s, "Run"), "the partial run is gone")
			assert.Equal(t, chunks, nodes(t, s, "ScoreChunk"), "its chunks are gone")
		})
	}
}

// TestEraseDuringSave: a person deleted while a run is being saved does
// not come back with it, whether their chunk was written before or after
// the deletion.
func TestEraseDuringSave(t *testing.T) {
	s := storeWithPeople(t, 50, nil)
	ctx := t.Context()
	s.afterChunks = func(saved int) error {
		if saved == 20 {
			require.NoError(t, s.DeletePerson(ctx, 5))  // chunk written already
			require.NoError(t, s.DeletePerson(ctx, 45)) // chunk not written yet
			_, err := s.PutPerson(ctx, graph.Person{ID: 7, Consent: false})
			require.NoError(t, err)
		}
		return nil
	}
	require.NoError(t, s.SaveRun(ctx, graph.Run{ID: "r1"}, results(idRange(1, 50), 600)))
	_, rs, err := s.LatestRun(ctx)
	require.NoError(t, err)
	var ids []graph.ID
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	assert.NotContains(t, ids, graph.ID(5))
	assert.NotContains(t, ids, graph.ID(45))
	assert.NotContains(t, ids, graph.ID(7), "withdrawn consent")
	assert.Len(t, ids, 47)
}

// TestRetention: only the newest KeepRuns runs are kept, with their
// chunks.
func TestRetention(t *testing.T) {
	s := storeWithPeople(t, 9, func(c *Config) { c.KeepRuns = 3 })
	ctx := t.Context()
	for i := 1; i <= 5; i++ {
		run := graph.Run{ID: fmt.Sprintf("r%d", i), FinishedAt: time.Date(2025, 1, i, 0, 0, 0, 0, time.UTC)}
		require.NoError(t, s.SaveRun(ctx, run, results(idRange(1, 9), 500+i)))
	}
	h, err := s.History(ctx, 3, 0)
	require.NoError(t, err)
	var got []string
	for _, e := range h {
		got = append(got, e.RunID)
		assert.Equal(t, 500+int(e.ComputedAt.Day()), e.Score)
	}
	assert.Equal(t, []string{"r5", "r4", "r3"}, got)
	assert.EqualValues(t, 3, nodes(t, s, "Run"))
	assert.EqualValues(t, 3*3, nodes(t, s, "ScoreChunk"), "3 runs of 9 results in chunks of 4")

	// A run id is saved once.
	err = s.SaveRun(ctx, graph.Run{ID: "r5"}, nil)
	assert.ErrorIs(t, err, graph.ErrConflict)
	assert.EqualValues(t, 3, nodes(t, s, "Run"))
}

// TestStaleSaveRemoved: a run left unfinished by a process that died is
// removed by the next save; a recent one (maybe still being saved) is not.
func TestStaleSaveRemoved(t *testing.T) {
	s := storeWithPeople(t, 3, nil)
	ctx := t.Context()
	_, err := s.write(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		return nil, execTx(ctx, tx, `
CREATE (:Run {key: 'old#1', id: 'old', complete: false, saving_at: $old})
CREATE (:ScoreChunk {run: 'old#1', lo: 1, hi: 1, n: 1, ids: [1]})
CREATE (:Run {key: 'new#1', id: 'new', complete: false, saving_at: $new})`,
			map[string]any{"old": time.Now().Add(-2 * staleSave).UTC(), "new": time.Now().UTC()})
	})
	require.NoError(t, err)
	require.NoError(t, s.SaveRun(ctx, graph.Run{ID: "r1"}, results(idRange(1, 3), 600)))
	assert.EqualValues(t, 2, nodes(t, s, "Run"), "r1 and the recent unfinished run")
	assert.EqualValues(t, 0, single1(t, s, `MATCH (r:Run {id: 'old'}) RETURN count(r)`))
	assert.EqualValues(t, 0, single1(t, s, `MATCH (c:ScoreChunk {run: 'old#1'}) RETURN count(c)`))
	run, _, err := s.LatestRun(ctx)
	require.NoError(t, err)
	assert.Equal(t, "r1", run.ID)
}
