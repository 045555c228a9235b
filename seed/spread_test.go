package seed_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
	"github.com/socialscore/socialscore/seed"
)

// bandShares scores a batch under the policy (scoring.ScoreSnapshot, the
// scoring runs' own computation) and returns the share of people in each
// of the policy's bands (Policy.BandOf: the thresholds of
// scoring/policy.go).
func bandShares(t *testing.T, b graph.Batch, pol scoring.Policy) map[string]float64 {
	t.Helper()
	var sb graph.SnapshotBuilder
	for _, p := range b.People {
		sb.AddPerson(p)
	}
	for _, tie := range b.Ties {
		sb.AddTie(tie)
	}
	snap, err := sb.Build(time.Now())
	require.NoError(t, err)
	res, _, err := scoring.ScoreSnapshot(context.Background(), snap, pol, scoring.Options{})
	require.NoError(t, err)
	require.Len(t, res, len(b.People))
	count := map[string]int{}
	for _, r := range res {
		count[pol.BandOf(r.Score)]++
	}
	out := map[string]float64{}
	for _, band := range pol.Bands {
		out[band.Name] = float64(count[band.Name]) / float64(len(res))
	}
	return out
}

// TestSpreadBandsDemoPopulation: the demo's population (20,000 people,
// seed 1, scored under its default policy, sesame) has every band holding
// at least 10% of the people with SpreadBands, where the default
// population is mostly "excellent" and almost nobody "poor".
func TestSpreadBandsDemoPopulation(t *testing.T) {
	pol, ok := scoring.Preset(scoring.PolicySesame)
	require.True(t, ok)
	require.Len(t, pol.Bands, 5, "poor, fair, good, very good, excellent")

	plain, err := seed.Generate(seed.Config{People: 20000, Seed: 1})
	require.NoError(t, err)
	before := bandShares(t, plain, pol)
	t.Logf("default: %v", before)
	assert.Greater(t, before["excellent"], 0.5, "the default population is mostly excellent")
	assert.Less(t, before["poor"], 0.05)

	spread, err := seed.Generate(seed.Config{People: 20000, Seed: 1, SpreadBands: true})
	require.NoError(t, err)
	after := bandShares(t, spread, pol)
	t.Logf("spread bands: %v", after)
	for _, band := range pol.Bands {
		assert.GreaterOrEqual(t, after[band.Name], 0.10, "band %s holds at least a tenth of the people", band.Name)
	}

	// Only records and profiles change: the same people, consents and ties.
	assert.Equal(t, plain.Ties, spread.Ties)
	require.Len(t, spread.People, len(plain.People))
	changed := 0
	for i := range plain.People {
		assert.Equal(t, plain.People[i].ID, spread.People[i].ID)
		assert.Equal(t, plain.People[i].Consent, spread.People[i].Consent)
		if plain.People[i].Record != spread.People[i].Record {
			changed++
		}
	}
	assert.Greater(t, changed, len(plain.People)/2, "the records are drawn differently")
}

// TestSpreadBandsOtherSeeds: the spread does not depend on the seed.
func TestSpreadBandsOtherSeeds(t *testing.T) {
	pol, ok := scoring.Preset(scoring.PolicySesame)
	require.True(t, ok)
	for _, s := range []uint64{2, 42} {
		b, err := seed.Generate(seed.Config{People: 5000, Seed: s, SpreadBands: true})
		require.NoError(t, err)
		shares := bandShares(t, b, pol)
		for _, band := range pol.Bands {
			assert.GreaterOrEqual(t, shares[band.Name], 0.10, "seed %d: band %s", s, band.Name)
		}
	}
}
