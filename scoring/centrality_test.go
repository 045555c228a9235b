package scoring

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	gograph "gonum.org/v1/gonum/graph"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/datasets"
	"github.com/socialscore/socialscore/internal/datasets/datagraph"
)

// networkxCentrality reads a CSV written by scripts/reference/centrality.py
// ("id,betweenness,closeness", NetworkX's values printed with repr) into a
// map by the file's id.
func networkxCentrality(t testing.TB, elem ...string) map[int64]Centrality {
	t.Helper()
	rows := datasets.ReadFields(t, datasets.Path(t, elem...), "id,")
	out := make(map[int64]Centrality, len(rows))
	for _, row := range rows {
		f := strings.Split(row[0], ",")
		require.Len(t, f, 3)
		out[datasets.ParseInt(t, f[0])] = Centrality{
			Betweenness: datasets.ParseFloat(t, f[1]),
			Closeness:   datasets.ParseFloat(t, f[2]),
		}
	}
	return out
}

// assertCentralities checks Centralities of members against NetworkX's
// values, keyed by snapshot id − shift (the file's id), within 1e-9.
func assertCentralities(t *testing.T, s *graph.Snapshot, members []int32, want map[int64]Centrality, shift int64) {
	t.Helper()
	require.Len(t, members, len(want))
	got, err := Centralities(s, members)
	require.NoError(t, err)
	require.Len(t, got, len(members))
	for i, v := range members {
		id := int64(s.IDs[v]) - shift
		w, ok := want[id]
		require.True(t, ok, "id %d not in the reference", id)
		assert.InDelta(t, w.Betweenness, got[i].Betweenness, 1e-9, "betweenness of %d", id)
		assert.InDelta(t, w.Closeness, got[i].Closeness, 1e-9, "closeness of %d", id)
	}
}

// TestCentralitiesMatchNetworkX compares Centralities with
// nx.betweenness_centrality and nx.closeness_centrality (NetworkX 3.6.1,
// default arguments; testdata/*/SOURCE.md) on Zachary's karate club, on
// the karate club without its two leaders (disconnected, with an isolated
// member: wf_improved's scaling) and on the depth-1 ego network of node 0
// of ego-Facebook (348 people, 2,866 friendships). Members are passed in a
// random order, so the result's order is checked too.
func TestCentralitiesMatchNetworkX(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	shuffled := func(m []int32) []int32 {
		rng.Shuffle(len(m), func(i, j int) { m[i], m[j] = m[j], m[i] })
		return m
	}
	t.Run("karate", func(t *testing.T) {
		s := datagraph.KarateSnapshot(t)
		var all, rest []int32
		for i, id := range s.IDs {
			all = append(all, int32(i))
			if id != 1 && id != 34 {
				rest = append(rest, int32(i))
			}
		}
		want := networkxCentrality(t, datasets.KarateFolder, "karate_centrality_networkx.csv")
		assertCentralities(t, s, shuffled(all), want, 0)
		// Mr. Hi (1) and the officer (34) lie on most shortest paths.
		assert.InDelta(t, 0.43763528138528146, want[1].Betweenness, 0, "the file is NetworkX's")

		want = networkxCentrality(t, datasets.KarateFolder, "karate_without_leaders_centrality_networkx.csv")
		assert.Zero(t, want[12].Closeness, "12 knew only Mr. Hi")
		assertCentralities(t, s, shuffled(rest), want, 0)
	})
	t.Run("ego-facebook-0", func(t *testing.T) {
		s := datagraph.FacebookSnapshot(t)
		c, ok := s.Index(1) // file id 0
		require.True(t, ok)
		members := append([]int32{c}, s.Friends(c)...)
		want := networkxCentrality(t, datasets.FacebookFolder, "ego_0_centrality_networkx.csv")
		assertCentralities(t, s, shuffled(members), want, 1)
	})
}

// TestCentralitiesSmall checks the definitions' edge cases against values
// worked out by hand: a path a–b–c and an isolated d (n = 4): b is on the
// a–c path, 1 of the 3 pairs without b, B(b) = 2·1/(3·2) = 1/3; closeness
// of a: r = 3, Σd = 1+2 = 3, C = (2/3)·(2/3) = 4/9; of b: (2/2)·(2/3) =
// 2/3; of d: 0. Two people with a friendship: B = 0, C = 1; one person:
// zeros; no one: empty.
func TestCentralitiesSmall(t *testing.T) {
	var b graph.SnapshotBuilder
	for id := graph.ID(1); id <= 6; id++ {
		b.AddPerson(graph.Person{ID: id, Consent: true})
	}
	for _, e := range [][2]graph.ID{{1, 2}, {2, 3}, {5, 6}} {
		b.AddTie(graph.Tie{Kind: graph.Friend, From: e[0], To: e[1]})
	}
	s, err := b.Build(time.Time{})
	require.NoError(t, err)
	idx := func(ids ...graph.ID) []int32 {
		var out []int32
		for _, id := range ids {
			i, ok := s.Index(id)
			require.True(t, ok)
			out = append(out, i)
		}
		return out
	}
	got, err := Centralities(s, idx(4, 3, 2, 1))
	require.NoError(t, err)
	want := []Centrality{{0, 0}, {0, 4.0 / 9}, {1.0 / 3, 2.0 / 3}, {0, 4.0 / 9}}
	for i := range want {
		assert.InDelta(t, want[i].Betweenness, got[i].Betweenness, 1e-15, "betweenness %d", i)
		assert.InDelta(t, want[i].Closeness, got[i].Closeness, 1e-15, "closeness %d", i)
	}
	got, err = Centralities(s, idx(5, 6))
	require.NoError(t, err)
	assert.Equal(t, []Centrality{{0, 1}, {0, 1}}, got)
	got, err = Centralities(s, idx(2))
	require.NoError(t, err)
	assert.Equal(t, []Centrality{{0, 0}}, got)
	got, err = Centralities(s, nil)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestCentralitiesBadInput(t *testing.T) {
	s := datagraph.KarateSnapshot(t)
	for _, c := range []struct {
		members []int32
		reason  string
	}{
		{[]int32{0, 1, 0}, "listed twice"},
		{[]int32{0, 34}, "not in the snapshot"},
		{[]int32{-1}, "not in the snapshot"},
		{make([]int32, MaxCentralityPeople+1), "at most 500"},
	} {
		_, err := Centralities(s, c.members)
		var ve *graph.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, "members", ve.Field)
		assert.Contains(t, ve.Reason, c.reason)
		assert.ErrorIs(t, err, graph.ErrInvalid)
	}
	_, err := Centralities(nil, nil)
	assert.ErrorIs(t, err, graph.ErrInvalid)
}

// TestCentralityAdapter checks what Centralities adds to the csrGraph
// adapter: with its node table the graph hands gonum the same nodes as
// without, and unitWeights gives hop weights (0 to oneself, 1 along a
// friendship, none otherwise).
func TestCentralityAdapter(t *testing.T) {
	s := datagraph.KarateSnapshot(t)
	plain := snapshotGraph(s)
	boxed := plain.withBoxedNodes()
	ids := func(it interface {
		Next() bool
		Node() gograph.Node
	}) []int64 {
		var out []int64
		for it.Next() {
			out = append(out, it.Node().ID())
		}
		return out
	}
	assert.Equal(t, ids(plain.Nodes()), ids(boxed.Nodes()))
	for v := range int64(s.Len()) {
		assert.Equal(t, ids(plain.From(v)), ids(boxed.From(v)))
		assert.Equal(t, ids(plain.To(v)), ids(boxed.To(v)))
		assert.Equal(t, v, boxed.Node(v).ID())
	}
	assert.Nil(t, boxed.Node(int64(s.Len())))

	g := unitWeights{boxed}
	w, ok := g.Weight(0, 0)
	assert.True(t, ok)
	assert.Zero(t, w)
	w, ok = g.Weight(0, 1) // karate 1–2
	assert.True(t, ok)
	assert.Equal(t, 1.0, w)
	w, ok = g.Weight(1, 33) // 2 and 34 are not friends
	assert.False(t, ok)
	assert.True(t, math.IsInf(w, 1))
	_, ok = g.Weight(99, 99)
	assert.False(t, ok)
	e := g.WeightedEdge(1, 0)
	require.NotNil(t, e)
	assert.Equal(t, 1.0, e.Weight())
	assert.Equal(t, int64(1), e.From().ID())
	assert.Nil(t, g.WeightedEdge(1, 33))
}
