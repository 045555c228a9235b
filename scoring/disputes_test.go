package scoring

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

func TestPolicyDisputedEvents(t *testing.T) {
	for _, p := range Presets() {
		assert.False(t, p.IncludesDisputed(), "%s: disputed events are excluded by default", p.Name)
	}
	p, _ := Preset(PolicySesame)
	for _, v := range []string{"", DisputedExclude, DisputedInclude} {
		p.DisputedEvents = v
		assert.NoError(t, p.Validate(), v)
	}
	p.DisputedEvents = "Include"
	var ve *graph.ValidationError
	require.ErrorAs(t, p.Validate(), &ve)
	assert.Equal(t, "disputed_events", ve.Field)

	got, err := ParsePolicy([]byte(`{"name":"x","weights":{"purchase":1},"alpha":0,"centrality":0,
		"bands":[{"name":"all","min":350}],"perks":[],"disputed_events":"include"}`), "json")
	require.NoError(t, err)
	assert.True(t, got.IncludesDisputed())
	_, err = ParsePolicy([]byte("name: x\nweights: {purchase: 1}\nbands: [{name: all, min: 350}]\ndisputed_events: sometimes\n"), "yaml")
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "disputed_events", ve.Field)
}

// TestRecordsUnder checks that a run under "include" scores the disputed
// people on their full records and everyone else as under "exclude": the
// reference is ScoreSnapshot over a snapshot built independently with the
// full records in Records and nothing in Disputed.
func TestRecordsUnder(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	snap := randomSnapshot(t, rng, 60, 200, true)
	// People at positions 3 and 17 have a disputed default.
	full := slices.Clone(snap.Records)
	for _, i := range []int{3, 17} {
		full[i].Defaults++
		full[i].DefaultAmount += 500
		snap.Disputed = append(snap.Disputed, graph.DisputedRecord{ID: snap.IDs[i], Open: 1, Record: full[i]})
	}
	ref := *snap
	ref.Records, ref.Disputed = full, nil

	for _, name := range PresetNames() {
		p, _ := Preset(name)
		p.FriendDefaultPenalty, p.FriendDefaultCap = 15, 60 // friends' defaults count too
		assert.Same(t, snap, RecordsUnder(snap, p), "%s: exclude scores the snapshot as it is", name)
		excluded, _, err := ScoreSnapshot(t.Context(), snap, p, Options{})
		require.NoError(t, err)

		p.DisputedEvents = DisputedInclude
		included, _, err := ScoreSnapshot(t.Context(), snap, p, Options{})
		require.NoError(t, err)
		want, _, err := ScoreSnapshot(t.Context(), &ref, p, Options{})
		require.NoError(t, err)
		assert.Equal(t, want, included, "%s: include scores the full records", name)
		assert.Less(t, included[3].Individual, excluded[3].Individual, "%s: the disputed default costs points when included", name)
		assert.Equal(t, excluded[0].Individual, included[0].Individual, "%s: an undisputed person's own record is the same", name)
		assert.NotEqual(t, full[3], snap.Records[3], "the snapshot is not changed")
	}
}
