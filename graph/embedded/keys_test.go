package embedded_test

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/embedded"
)

// TestKeysInAStoreFromBeforeKeys opens a file written by the version
// before API keys were kept (testdata/before-keys.db.gz: 30 seeded people
// and one scoring run, written by that version's code): it reads as a
// store without keys, its data is intact, and keys can be added.
func TestKeysInAStoreFromBeforeKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	gz, err := os.Open("testdata/before-keys.db.gz")
	require.NoError(t, err)
	defer gz.Close()
	zr, err := gzip.NewReader(gz)
	require.NoError(t, err)
	f, err := os.Create(path)
	require.NoError(t, err)
	_, err = io.Copy(f, zr)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	s, err := embedded.Open(path)
	require.NoError(t, err)
	defer s.Close()
	ctx := t.Context()
	keys, err := s.Keys(ctx)
	require.NoError(t, err)
	assert.Empty(t, keys)
	c, err := s.Counts(ctx)
	require.NoError(t, err)
	assert.Equal(t, 30, c.People)
	_, results, err := s.LatestRun(ctx)
	require.NoError(t, err)
	assert.Len(t, results, 30)
	require.ErrorIs(t, s.RevokeKey(ctx, "x"), graph.ErrNotFound)
	require.NoError(t, s.CreateKey(ctx, graph.APIKey{Name: "ops", Role: graph.RoleOperator, Hash: graph.HashKey("k")}))
	keys, err = s.Keys(ctx)
	require.NoError(t, err)
	require.Len(t, keys, 1)
}
