package embedded_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/embedded"
	"github.com/socialscore/socialscore/graph/graphtest"
)

func TestConformance(t *testing.T) {
	graphtest.RunStore(t, func(t *testing.T) graph.Store {
		s, err := embedded.Open(filepath.Join(t.TempDir(), "store.db"))
		require.NoError(t, err)
		return s
	})
}

// TestConformanceSmallChunks runs the suite with two results per chunk, so
// that saving, reading and erasing results cross chunk boundaries.
func TestConformanceSmallChunks(t *testing.T) {
	graphtest.RunStore(t, func(t *testing.T) graph.Store {
		s, err := embedded.Open(filepath.Join(t.TempDir(), "store.db"), embedded.WithChunkSize(2))
		require.NoError(t, err)
		return s
	})
}

// TestConformanceRetention: WithKeepRuns sets how many runs are kept (default 24).
func TestConformanceRetention(t *testing.T) {
	graphtest.RunRetention(t, embedded.DefaultKeepRuns, func(t *testing.T, keep int) graph.Store {
		var opts []embedded.Option
		if keep > 0 {
			opts = append(opts, embedded.WithKeepRuns(keep))
		}
		s, err := embedded.Open(filepath.Join(t.TempDir(), "store.db"), opts...)
		require.NoError(t, err)
		return s
	})
}
