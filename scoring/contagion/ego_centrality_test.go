package contagion

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/datasets"
	"github.com/socialscore/socialscore/scoring"
)

// TestEgoCentralitiesKarate: the depth-3 ego network of Mr. Hi (1) is the
// whole karate club, and AddCentralities gives NetworkX's
// betweenness_centrality and closeness_centrality of it
// (karate_centrality_networkx.csv, NetworkX 3.6.1; see the folder's
// SOURCE.md) within 1e-9.
func TestEgoCentralitiesKarate(t *testing.T) {
	s := karateSnapshot(t)
	eg, err := Ego(s, Scores{}, 1, 3, 100)
	require.NoError(t, err)
	require.Equal(t, 34, eg.Kept)
	for _, p := range eg.People {
		assert.Nil(t, p.Betweenness, "Ego alone sets no centralities")
	}
	ok, err := eg.AddCentralities(s)
	require.NoError(t, err)
	require.True(t, ok)

	rows := datasets.ReadFields(t, datasets.Path(t, datasets.KarateFolder, "karate_centrality_networkx.csv"), "id,")
	require.Len(t, rows, 34)
	want := map[graph.ID][2]float64{}
	for _, row := range rows {
		f := strings.Split(row[0], ",")
		require.Len(t, f, 3)
		want[graph.ID(datasets.ParseInt(t, f[0]))] = [2]float64{datasets.ParseFloat(t, f[1]), datasets.ParseFloat(t, f[2])}
	}
	for _, p := range eg.People {
		require.NotNil(t, p.Betweenness)
		require.NotNil(t, p.Closeness)
		assert.InDelta(t, want[p.ID][0], *p.Betweenness, 1e-9, "betweenness of %d", p.ID)
		assert.InDelta(t, want[p.ID][1], *p.Closeness, 1e-9, "closeness of %d", p.ID)
	}
}

// TestEgoCentralitiesFriendshipsOnly: 1 is friends with 2 and recruited 4;
// 2 and 3 are friends. The depth-1 ego network of 1 lists 1, 2 and 4, but
// its centralities are those of the friendship 1–2 with 4 alone (worked
// out from the definitions: n = 3, no one between two others, closeness
// (1/1)·(1/2) = 1/2 for 1 and 2 and 0 for 4). Counting the recruitment
// would put 1 between 2 and 4 (betweenness 1).
func TestEgoCentralitiesFriendshipsOnly(t *testing.T) {
	var b graph.Batch
	for id := graph.ID(1); id <= 4; id++ {
		b.People = append(b.People, graph.Person{ID: id, Consent: true})
	}
	b.Ties = []graph.Tie{
		{Kind: graph.Friend, From: 1, To: 2}, {Kind: graph.Friend, From: 2, To: 3},
		{Kind: graph.Recruited, From: 1, To: 4},
	}
	s := snapshotOf(t, b)
	eg, err := Ego(s, Scores{}, 1, 1, 10)
	require.NoError(t, err)
	ok, err := eg.AddCentralities(s)
	require.NoError(t, err)
	require.True(t, ok)
	got := map[graph.ID][2]float64{}
	for _, p := range eg.People {
		got[p.ID] = [2]float64{*p.Betweenness, *p.Closeness}
	}
	assert.Equal(t, map[graph.ID][2]float64{1: {0, 0.5}, 2: {0, 0.5}, 4: {0, 0}}, got)
}

// TestEgoCentralitiesBound: above scoring.MaxCentralityPeople people
// nothing is computed or set; a person missing from the snapshot is an
// error. The bound is the default limit, so a network view at its default
// always has them.
func TestEgoCentralitiesBound(t *testing.T) {
	assert.Equal(t, DefaultEgoLimit, scoring.MaxCentralityPeople)
	s := facebookSnapshot(t)
	eg, err := Ego(s, Scores{}, 1, 2, scoring.MaxCentralityPeople+1)
	require.NoError(t, err)
	require.Equal(t, scoring.MaxCentralityPeople+1, eg.Kept)
	ok, err := eg.AddCentralities(s)
	require.NoError(t, err)
	assert.False(t, ok)
	for _, p := range eg.People {
		assert.Nil(t, p.Betweenness)
		assert.Nil(t, p.Closeness)
	}

	eg, err = Ego(s, Scores{}, 1, 1, 10)
	require.NoError(t, err)
	eg.People = append(eg.People, EgoPerson{ID: 999_999})
	_, err = eg.AddCentralities(s)
	assert.ErrorIs(t, err, graph.ErrNotFound)
}
