package contagion

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
	"github.com/socialscore/socialscore/scoring/simulate"
)

// One snapshot scored three ways: a scoring run (scoring.ScoreSnapshot,
// the reference), a shock's step 0 (the shock recombines its baseline's
// network values, percentiles and its own friend-default penalties), and
// a simulation's round 0 (the policy lab scores its own copy of the
// network with its own propagation). All three call scoring's model
// (scoring/model.go), so every person gets the same score and components,
// for every preset and with and without tie weights.
func TestScoringShockAndSimulationAgree(t *testing.T) {
	ctx := context.Background()
	plain, err := simulate.SeededNetwork(3000, 9)
	require.NoError(t, err)
	for _, net := range []struct {
		name string
		snap *graph.Snapshot
	}{{"unweighted", plain}, {"weighted", weighted(plain)}} {
		for _, name := range scoring.PresetNames() {
			t.Run(net.name+"/"+name, func(t *testing.T) {
				snap := net.snap
				n := snap.Len()
				pol, ok := scoring.Preset(name)
				require.True(t, ok)

				// (a) the scoring run.
				want, _, err := scoring.ScoreSnapshot(ctx, snap, pol, scoring.Options{})
				require.NoError(t, err)

				// (b) a shock's step 0. The change leaves the record as it
				// is, so at step 0 (and after) nobody should move.
				rec := snap.Records[n/2]
				req := ShockRequest{Changes: []Change{{ID: snap.IDs[n/2], Record: &rec}}}
				sh, err := prepare(ctx, snap, pol, req)
				require.NoError(t, err)
				ds0 := make([]float64, n)
				res, err := Shock(ctx, snap, pol, req)
				require.NoError(t, err)
				assert.Zero(t, res.Steps[0].Moved, "step 0 moves nobody")

				// (c) a simulation's round 0.
				cfg := simulate.DefaultConfig()
				cfg.People = 0
				cfg.Policy = simulate.PolicySpec{Policy: pol}
				m, err := simulate.NewModel(ctx, cfg, snap, simulate.Options{})
				require.NoError(t, err)
				sim := m.Results()
				require.Len(t, sim, n)

				worst := 0.0
				for u := range n {
					w := want[u]
					// Shock, step 0.
					b := sh.base[u]
					require.Equal(t, w.ID, b.ID)
					require.Equal(t, w.Score, scoring.RoundScore(sh.engine.raw(int32(u), ds0)), "shock: person %d score", u)
					require.Equal(t, w.Network, b.Network+ds0[u], "shock: person %d network", u)
					require.Equal(t, w.Percentile, b.Percentile, "shock: person %d percentile", u)
					require.Equal(t, w.Base, sh.bNew[u], "shock: person %d base", u)
					require.Equal(t, w.Individual, scoring.IndividualScore(sh.bNew[u]), "shock: person %d individual", u)

					// Simulation, round 0.
					s := sim[u]
					require.Equal(t, w.ID, s.ID)
					require.Equal(t, w.Score, s.Score, "simulation: person %d score", u)
					require.Equal(t, w.Base, s.Base, "simulation: person %d base", u)
					require.Equal(t, w.Individual, s.Individual, "simulation: person %d individual", u)
					require.Equal(t, w.Friends, s.Friends, "simulation: person %d friends", u)
					require.Equal(t, w.FriendMean, s.FriendMean, "simulation: person %d friend mean", u)
					if pol.Centrality > 0 { // the model skips PageRank otherwise
						require.Equal(t, w.Percentile, s.Percentile, "simulation: person %d percentile", u)
					}
					worst = max(worst, math.Abs(w.Network-s.Network))
				}
				// The model settles its propagation further (every row's
				// residual below 1e-11, simulate's pushTol) than the scoring
				// run's stopping rule (changes below 1e-10), so network
				// values agree to the two tolerances, not bit for bit.
				assert.Less(t, worst, 1e-9, "largest |s_simulation − s_run|")
			})
		}
	}
}

// weighted returns a copy of the snapshot whose friendships weigh between
// 0.5 and 2, the same both ways.
func weighted(s *graph.Snapshot) *graph.Snapshot {
	c := *s
	c.Weights = make([]float32, len(s.Targets))
	for u := range int32(s.Len()) {
		for k := s.Offsets[u]; k < s.Offsets[u+1]; k++ {
			v := s.Targets[k]
			a, b := min(u, v), max(u, v)
			c.Weights[k] = 0.5 + float32((a*31+b*17)%7)/4
		}
	}
	c.Records = slices.Clone(s.Records)
	return &c
}
