package neo4j

import (
	"testing"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/graphtest"
)

func TestConformance(t *testing.T) {
	graphtest.RunStore(t, func(t *testing.T) graph.Store {
		return openEmpty(t, nil)
	})
}

// TestConformanceSmallBatches runs the suite with tiny statements,
// transactions and chunks, so that batches are split over many
// transactions, results cross chunk boundaries and snapshots are read in
// many pages.
func TestConformanceSmallBatches(t *testing.T) {
	graphtest.RunStore(t, func(t *testing.T) graph.Store {
		s := openEmpty(t, func(c *Config) {
			c.BatchSize = 50
			c.TxRows = 200
			c.ChunkSize = 2
		})
		s.snapshotPage = 3
		return s
	})
}

// TestConformanceRetention: Config.KeepRuns sets how many runs are kept (default 24).
func TestConformanceRetention(t *testing.T) {
	graphtest.RunRetention(t, DefaultKeepRuns, func(t *testing.T, keep int) graph.Store {
		return openEmpty(t, func(c *Config) { c.KeepRuns = keep })
	})
}
