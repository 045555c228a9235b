package live

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/embedded"
	"github.com/socialscore/socialscore/graph/neo4j"
	"github.com/socialscore/socialscore/internal/neo4jtest"
	"github.com/socialscore/socialscore/scoring"
	"github.com/socialscore/socialscore/seed"
)

// TestAccuracyOnStores runs the accuracy check on both stores: a seeded
// network of 10,000 people is written to the store, the live view starts
// from a full run on the store's snapshot, random tie changes and events
// go to the store (PutTie, DeleteTie, UpdateRecord) and, once
// acknowledged, to the view; then a full run on a fresh snapshot of the
// store is the reference: every score within 1 point, mean absolute
// difference ≤ 0.05.
func TestAccuracyOnStores(t *testing.T) {
	n, changes := 10_000, 10_000
	if testing.Short() {
		n, changes = 2_000, 200
	}
	stores := []struct {
		name string
		open func(t *testing.T) graph.Store
	}{
		{"embedded", func(t *testing.T) graph.Store {
			s, err := embedded.Open(filepath.Join(t.TempDir(), "s.db"))
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			return s
		}},
		{"neo4j", func(t *testing.T) graph.Store {
			srv := neo4jtest.Shared(t)
			require.NoError(t, neo4jtest.Wipe(context.Background(), srv))
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			s, err := neo4j.Open(ctx, neo4j.Config{URI: srv.URI, User: srv.User, Password: srv.Password})
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			return s
		}},
	}
	p, _ := scoring.Preset(scoring.PolicyLenddo)
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			ctx := context.Background()
			store := st.open(t)
			batch, err := seed.Generate(seed.Config{People: n, Seed: 5})
			require.NoError(t, err)
			require.NoError(t, store.ApplyBatch(ctx, batch))
			w := newWorld(batch)
			snap, err := store.Snapshot(ctx)
			require.NoError(t, err)
			e, err := New(snap, fullRun(t, snap, p), p)
			require.NoError(t, err)
			rng := rand.New(rand.NewPCG(31, 32))
			in := w.consenting()
			for i := range 2 * changes {
				var c Change
				if i%2 == 0 {
					c = w.randomTieChange(rng, in)
					if c.Kind == TieRemoved {
						require.NoError(t, store.DeleteTie(ctx, graph.Friend, c.A, c.B))
					} else {
						require.NoError(t, store.PutTie(ctx, graph.Tie{Kind: graph.Friend, From: c.A, To: c.B, Weight: c.Weight}.Normalize()))
					}
				} else {
					c = w.randomEvent(t, rng, in)
					_, err := store.UpdateRecord(ctx, c.A, func(r *graph.Record) error { return r.Apply(c.Events, c.Now) })
					require.NoError(t, err)
				}
				require.NoError(t, e.Apply(c), "change %d", i)
			}
			after, err := store.Snapshot(ctx)
			require.NoError(t, err)
			d := compare(t, e.Results(), fullRun(t, after, p))
			t.Logf("%s: n=%d after %d changes: max|Δscore|=%v mean=%.5f max|Δs|=%.2e max|Δpct|=%.4f", st.name, d.n, 2*changes, d.maxScore, d.mean(), d.maxS, d.maxPct)
			require.LessOrEqual(t, d.maxScore, 1.0)
			require.LessOrEqual(t, d.mean(), 0.05)
			require.Zero(t, d.friendsDiffer)
			require.Zero(t, d.indDiffer)
		})
	}
}
