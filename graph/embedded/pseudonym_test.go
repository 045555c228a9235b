package embedded_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/embedded"
)

// TestPseudonymKeySurvivesRestart: the key is kept in the file, so a
// store opened again (a restart, another process) returns the same one.
func TestPseudonymKeySurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := embedded.Open(path)
	require.NoError(t, err)
	first, err := s.PseudonymKey(t.Context())
	require.NoError(t, err)
	require.Len(t, first, graph.PseudonymKeyLen)
	require.NoError(t, s.Close())

	s, err = embedded.Open(path)
	require.NoError(t, err)
	defer s.Close()
	again, err := s.PseudonymKey(t.Context())
	require.NoError(t, err)
	assert.Equal(t, first, again)
}

// TestPseudonymKeyOnOldFile: a file written before the key existed (the
// schema-v1 fixture, see testdata/README.md) is opened as it is and gets
// its key on first use.
func TestPseudonymKeyOnOldFile(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "schema-v1.db"))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "old.db")
	require.NoError(t, os.WriteFile(path, src, 0o600))
	s, err := embedded.Open(path)
	require.NoError(t, err)
	key, err := s.PseudonymKey(t.Context())
	require.NoError(t, err)
	require.NoError(t, s.Close())
	s, err = embedded.Open(path)
	require.NoError(t, err)
	defer s.Close()
	again, err := s.PseudonymKey(t.Context())
	require.NoError(t, err)
	assert.Equal(t, key, again)
}
