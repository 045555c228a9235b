package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// TestKeepRunsFlag: --keep-runs reaches the store, which then keeps that
// many runs; bad values are usage errors.
func TestKeepRunsFlag(t *testing.T) {
	url := "embedded://" + filepath.Join(t.TempDir(), "s.db")
	fs, c := newFlagSet("serve", io.Discard)
	require.NoError(t, parse(fs, []string{"--store", url, "--keep-runs", "2"}))
	assert.Equal(t, 2, c.neo4j.keepRuns)
	s, err := createStore(context.Background(), c.store, c.neo4j)
	require.NoError(t, err)
	defer s.Close()
	ctx := context.Background()
	require.NoError(t, s.ApplyBatch(ctx, graph.Batch{People: []graph.Person{{ID: 1, Consent: true}}}))
	for n := 1; n <= 4; n++ {
		require.NoError(t, s.SaveRun(ctx, graph.Run{ID: fmt.Sprint(n), Policy: "sesame"}, []graph.Result{{ID: 1, Score: 500 + n}}))
	}
	h, err := s.History(ctx, 1, 0)
	require.NoError(t, err)
	require.Len(t, h, 2, "two runs kept")
	assert.Equal(t, "4", h[0].RunID)

	for _, bad := range []string{"0", "-1", "x", "100001"} {
		fs, _ := newFlagSet("serve", io.Discard)
		err := parse(fs, []string{"--keep-runs", bad})
		var ue usageError
		assert.ErrorAs(t, err, &ue, "--keep-runs %s", bad)
	}
}
