package contagion

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

// TestShockCountsDisputesAsARun checks that a shock under a policy that
// includes disputed events starts from the records such a run scores: the
// reference is the same shock on a snapshot whose records already hold
// the disputed events (and has nothing in Disputed).
func TestShockCountsDisputesAsARun(t *testing.T) {
	snap := randomSnapshot(t, rand.New(rand.NewPCG(5, 6)), 60, 180, false)
	ref := *snap
	ref.Records = slices.Clone(snap.Records)
	for _, i := range []int{7, 30} {
		full := snap.Records[i]
		full.Defaults++
		snap.Disputed = append(snap.Disputed, graph.DisputedRecord{ID: snap.IDs[i], Open: 1, Record: full})
		ref.Records[i] = full
	}
	pol, _ := scoring.Preset(scoring.PolicyTencent)
	pol.DisputedEvents = scoring.DisputedInclude
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	req := ShockRequest{Changes: []Change{{ID: snap.IDs[7], Events: []graph.Event{{Type: graph.EventDefault, Amount: 100, At: at}}}}, Now: at}
	got, err := Shock(t.Context(), snap, pol, req)
	require.NoError(t, err)
	want, err := Shock(t.Context(), &ref, pol, req)
	require.NoError(t, err)
	got.ElapsedMS, want.ElapsedMS = 0, 0
	assert.Equal(t, want, got)
}
