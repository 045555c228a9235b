package simulate

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
	"github.com/socialscore/socialscore/seed"
)

// testConfig returns DefaultConfig on a seeded network of people, under
// the preset, for rounds.
func testConfig(t testing.TB, policy string, people, rounds int) Config {
	t.Helper()
	c := DefaultConfig()
	p, ok := scoring.Preset(policy)
	require.True(t, ok, policy)
	c.Policy = PolicySpec{p}
	c.People = people
	c.Rounds = rounds
	return c
}

// withAlpha returns the config with the policy's alpha set.
func withAlpha(c Config, alpha float64) Config {
	c.Policy.Alpha = alpha
	return c
}

// randomWeightedNetwork builds, through graph.SnapshotBuilder, n people
// with random records, about m random weighted friendships and some
// recruitments.
func randomWeightedNetwork(t testing.TB, rng *rand.Rand, n, m int) *graph.Snapshot {
	t.Helper()
	var b graph.SnapshotBuilder
	for i := 1; i <= n; i++ {
		r := graph.Record{PurchaseTotal: 1000 * rng.Float64(), PurchaseCount: int64(rng.IntN(20)),
			BillsOnTime: int64(rng.IntN(20)), BillsLate: int64(rng.IntN(5)), BillDaysLate: int64(rng.IntN(90)),
			CreditOnTime: int64(rng.IntN(10)), CreditLate: int64(rng.IntN(3))}
		if rng.IntN(6) == 0 {
			r.Defaults = 1
		}
		b.AddPerson(graph.Person{ID: graph.ID(i), Consent: true, Record: r,
			Profile: graph.Profile{Provided: graph.FieldSet(rng.IntN(128))}})
	}
	for k := 0; k < m; k++ {
		u, v := 1+rng.IntN(n), 1+rng.IntN(n)
		if u == v {
			continue
		}
		b.AddTie(graph.Tie{Kind: graph.Friend, From: graph.ID(u), To: graph.ID(v), Weight: 0.2 + 2*rng.Float64()})
	}
	for i := 2; i <= n; i++ {
		if rng.IntN(3) == 0 {
			b.AddTie(graph.Tie{Kind: graph.Recruited, From: graph.ID(1 + rng.IntN(i-1)), To: graph.ID(i)})
		}
	}
	s, err := b.Build(testTime)
	require.NoError(t, err)
	return s
}

var testTime = seed.DefaultNow

func runModel(t testing.TB, cfg Config, net *graph.Snapshot, rounds int) *Model {
	t.Helper()
	m, err := NewModel(context.Background(), cfg, net, Options{})
	require.NoError(t, err)
	for range rounds {
		_, err := m.Step(context.Background())
		require.NoError(t, err)
	}
	return m
}
