package simulate

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

// TestRoundZeroCountsDisputesAsARun checks that step 0 scores the people
// with open disputes as a scoring run under the policy does (the
// reference: scoring.ScoreSnapshot), under disputed_events exclude and
// include.
func TestRoundZeroCountsDisputesAsARun(t *testing.T) {
	net := randomWeightedNetwork(t, rand.New(rand.NewPCG(3, 4)), 80, 240)
	for _, i := range []int{5, 40} {
		full := net.Records[i]
		full.Defaults++
		net.Disputed = append(net.Disputed, graph.DisputedRecord{ID: net.IDs[i], Open: 1, Record: full})
	}
	excl := slices.Clone(net.Records)
	for _, mode := range []string{scoring.DisputedExclude, scoring.DisputedInclude} {
		cfg := testConfig(t, scoring.PolicySesame, 0, 1)
		cfg.Policy.DisputedEvents = mode
		m, err := NewModel(context.Background(), cfg, net, Options{})
		require.NoError(t, err)
		want, _, err := scoring.ScoreSnapshot(t.Context(), net, cfg.Policy.Policy, scoring.Options{})
		require.NoError(t, err)
		got := m.Scores()
		for i, r := range want {
			assert.Equal(t, int32(r.Score), got[i], "%s: person %d", mode, r.ID)
		}
	}
	assert.Equal(t, excl, net.Records, "the network is not changed")
}
