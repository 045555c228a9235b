package neo4j

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// TestPseudonymKeySurvivesRestart: the key is a node of the database, so
// another Store opened on it (a restart, another process) returns the
// same key.
func TestPseudonymKeySurvivesRestart(t *testing.T) {
	s := openEmpty(t, nil)
	first, err := s.PseudonymKey(t.Context())
	require.NoError(t, err)
	require.Len(t, first, graph.PseudonymKeyLen)
	require.NoError(t, s.Close())

	s2, err := Open(t.Context(), testConfig(t))
	require.NoError(t, err)
	defer s2.Close()
	again, err := s2.PseudonymKey(t.Context())
	require.NoError(t, err)
	assert.Equal(t, first, again)
}
