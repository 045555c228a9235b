package embedded_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/embedded"
	"github.com/socialscore/socialscore/scoring"
)

// TestMigrateSchemaV1 opens a file that schema version 1 wrote
// (testdata/schema-v1.db, see testdata/README.md): it is migrated to the
// current version, reads back exactly what version 1 read from it
// (testdata/schema-v1.json) with record facts and friends' shares unknown,
// and then takes new runs, whose results carry both, beside the old ones.
func TestMigrateSchemaV1(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "schema-v1.db"))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "v1.db")
	require.NoError(t, os.WriteFile(path, src, 0o600))
	var want struct {
		LatestRun     graph.Run            `json:"latest_run"`
		LatestResults []graph.Result       `json:"latest_results"`
		HistoryOf2    []graph.HistoryEntry `json:"history_of_2"`
	}
	b, err := os.ReadFile(filepath.Join("testdata", "schema-v1.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &want))
	require.Len(t, want.HistoryOf2, 2)

	now := time.Date(2026, 11, 5, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s, err := embedded.Open(path, embedded.WithClock(clock))
	require.NoError(t, err)
	ctx := t.Context()

	run, results, err := s.LatestRun(ctx)
	require.NoError(t, err)
	assert.Equal(t, want.LatestRun, run)
	assert.Equal(t, want.LatestResults, results, "version 1 results read back as version 1 read them")
	for _, r := range results {
		assert.False(t, r.Facts.Known, "facts of %d were not kept by version 1", r.ID)
		assert.False(t, r.Share.Known, "shares of %d were not kept by version 1", r.ID)
	}
	h, err := s.History(ctx, 2, 0)
	require.NoError(t, err)
	require.Len(t, h, 2)
	for i := range h {
		assert.Equal(t, want.HistoryOf2[i].RunID, h[i].RunID)
		assert.Equal(t, want.HistoryOf2[i].Policy, h[i].Policy)
		assert.Equal(t, want.HistoryOf2[i].Score, h[i].Score)
		assert.Equal(t, want.HistoryOf2[i].Individual, h[i].Individual)
		assert.True(t, want.HistoryOf2[i].ComputedAt.Equal(h[i].ComputedAt))
		assert.Equal(t, graph.ID(2), h[i].Result.ID)
		assert.Equal(t, h[i].Score, h[i].Result.Score)
		assert.NotEmpty(t, h[i].PolicySpec, "the run's policy comes with the entry")
	}
	assert.Equal(t, want.LatestResults[1], h[0].Result)

	// A new run beside the old ones: its results carry facts and shares.
	p, _ := scoring.Preset(scoring.PolicySesame)
	_, err = scoring.NewRunner(s, clock).Run(ctx, p, scoring.Options{Workers: 1})
	require.NoError(t, err)
	_, results, err = s.LatestRun(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, results)
	for _, r := range results {
		assert.True(t, r.Facts.Known)
		assert.True(t, r.Share.Known)
	}
	// Person 2 defaulted once in the fixture (before its second run).
	assert.Equal(t, uint32(1), results[1].Facts.Defaults)
	h, err = s.History(ctx, 2, 0)
	require.NoError(t, err)
	require.Len(t, h, 3, "the new run follows the two old ones")
	assert.True(t, h[0].Result.Facts.Known)
	assert.False(t, h[1].Result.Facts.Known)

	// Erasing a person rewrites old and new chunks, each in its version.
	require.NoError(t, s.DeletePerson(ctx, 3))
	h, err = s.History(ctx, 1, 0)
	require.NoError(t, err)
	require.Len(t, h, 3)
	assert.Equal(t, want.LatestResults[0], h[1].Result, "person 1's version 1 result survives the rewrite of its chunk")
	require.NoError(t, s.Close())

	// The file now has the current version, and opens again as such.
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	require.NoError(t, err)
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		assert.Equal(t, []byte{0, 0, 0, 0, 0, 0, 0, 2}, tx.Bucket([]byte("meta")).Get([]byte("version")))
		return nil
	}))
	require.NoError(t, db.Close())
	s, err = embedded.Open(path)
	require.NoError(t, err)
	h, err = s.History(ctx, 2, 0)
	require.NoError(t, err)
	assert.Len(t, h, 3)
	require.NoError(t, s.Close())
}
