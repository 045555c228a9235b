package contagion

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	gonum "gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/simple"
	"gonum.org/v1/gonum/graph/traverse"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

// hopsByGonum returns the hop distance of everyone from center over ties
// of both kinds (-1: farther than depth or unreachable), by gonum's BFS.
func hopsByGonum(s *graph.Snapshot, center int32, depth int) []int {
	g := simple.NewUndirectedGraph()
	for u := range s.Len() {
		g.AddNode(simple.Node(u))
	}
	for u := range s.Len() {
		for _, v := range s.Friends(int32(u)) {
			if int(v) > u {
				g.SetEdge(simple.Edge{F: simple.Node(u), T: simple.Node(v)})
			}
		}
		for _, v := range s.Recruits(int32(u)) {
			if !g.HasEdgeBetween(int64(u), int64(v)) {
				g.SetEdge(simple.Edge{F: simple.Node(u), T: simple.Node(v)})
			}
		}
	}
	hop := make([]int, s.Len())
	for i := range hop {
		hop[i] = -1
	}
	var bf traverse.BreadthFirst
	bf.Walk(g, simple.Node(center), func(n gonum.Node, d int) bool {
		if d <= depth {
			hop[n.ID()] = d
		}
		return d > depth
	})
	return hop
}

func TestEgoAgainstGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	pol, _ := scoring.Preset(scoring.PolicySesame)
	for trial := range 10 {
		s := randomSnapshot(t, rng, 60, 90, trial%2 == 0)
		results, _, err := scoring.ScoreSnapshot(context.Background(), s, pol, scoring.Options{})
		require.NoError(t, err)
		center := int32(rng.IntN(s.Len()))
		for depth := 1; depth <= MaxEgoDepth; depth++ {
			eg, err := Ego(s, Scores{Results: results, Policy: &pol}, s.IDs[center], depth, MaxEgoLimit)
			require.NoError(t, err)
			want := hopsByGonum(s, center, depth)
			wantN := 0
			for _, h := range want {
				if h >= 0 {
					wantN++
				}
			}
			assert.False(t, eg.Truncated)
			assert.Equal(t, wantN, eg.Reached)
			require.Len(t, eg.People, wantN)
			in := map[graph.ID]bool{}
			for _, p := range eg.People {
				k, ok := s.Index(p.ID)
				require.True(t, ok)
				assert.Equal(t, want[k], p.Hop, "hop of %d", p.ID)
				in[p.ID] = true
				r := results[k]
				assert.True(t, p.Scored)
				assert.Equal(t, r.Score, p.Score)
				assert.Equal(t, r.Individual, p.Individual)
				assert.Equal(t, pol.BandOf(r.Score), p.Band)
				assert.Equal(t, s.Degree(k), p.Friends)
			}
			// Every tie among the people, and only those.
			wantTies := 0
			for u := range s.Len() {
				if !in[s.IDs[u]] {
					continue
				}
				for _, v := range s.Friends(int32(u)) {
					if int(v) > u && in[s.IDs[v]] {
						wantTies++
					}
				}
				for _, v := range s.Recruits(int32(u)) {
					if in[s.IDs[v]] {
						wantTies++
					}
				}
			}
			assert.Len(t, eg.Ties, wantTies)
			for _, tie := range eg.Ties {
				assert.True(t, in[tie.From] && in[tie.To])
				if tie.Kind == KindFriend {
					assert.Less(t, tie.From, tie.To)
					assert.Greater(t, tie.Weight, 0.0)
				} else {
					assert.Equal(t, KindRecruited, tie.Kind)
					assert.Zero(t, tie.Weight)
				}
			}
		}
	}
}

// TestEgoTruncation checks the documented rule on karate: member 34 has
// 17 friends; with limit 6 the centre and the 5 friends of highest
// PageRank are kept.
func TestEgoTruncation(t *testing.T) {
	s := karateSnapshot(t)
	pol, _ := scoring.Preset(scoring.PolicyTencent)
	results, _, err := scoring.ScoreSnapshot(context.Background(), s, pol, scoring.Options{})
	require.NoError(t, err)
	sc := Scores{Results: results, Policy: &pol}

	full, err := Ego(s, sc, 34, 1, 100)
	require.NoError(t, err)
	assert.Equal(t, 18, full.Reached)
	assert.False(t, full.Truncated)

	eg, err := Ego(s, sc, 34, 2, 6)
	require.NoError(t, err)
	assert.True(t, eg.Truncated)
	assert.Equal(t, 6, eg.Kept)
	require.Len(t, eg.People, 6)
	assert.Equal(t, []HopCount{{0, 1, 1}, {1, 17, 5}, {2, eg.Hops[2].Reached, 0}}, eg.Hops)
	assert.Equal(t, 1+17+eg.Hops[2].Reached, eg.Reached)
	assert.Equal(t, graph.ID(34), eg.People[0].ID)
	// The kept friends are the top five by PageRank among 34's friends.
	var friendPR []float64
	for _, f := range s.Friends(33) {
		friendPR = append(friendPR, results[f].PageRank)
	}
	kept := map[graph.ID]bool{34: true}
	for _, p := range eg.People[1:] {
		assert.Equal(t, 1, p.Hop)
		kept[p.ID] = true
		higher := 0
		for _, x := range friendPR {
			if x > p.PageRank {
				higher++
			}
		}
		assert.Less(t, higher, 5, "%d is among the top five", p.ID)
	}
	for i := 2; i < len(eg.People); i++ {
		assert.GreaterOrEqual(t, eg.People[i-1].PageRank, eg.People[i].PageRank)
	}
	for _, tie := range eg.Ties {
		assert.True(t, kept[tie.From] && kept[tie.To])
	}

	// Limit 1: the centre alone.
	one, err := Ego(s, sc, 1, 3, 1)
	require.NoError(t, err)
	require.Len(t, one.People, 1)
	assert.Empty(t, one.Ties)
	assert.Equal(t, 34, one.Reached)
}

func TestEgoErrorsAndUnscored(t *testing.T) {
	s := karateSnapshot(t)
	_, err := Ego(s, Scores{}, 99, 1, 10)
	assert.ErrorIs(t, err, graph.ErrNotFound)
	for _, c := range []struct{ depth, limit int }{{0, 10}, {4, 10}, {1, 0}, {1, MaxEgoLimit + 1}} {
		_, err := Ego(s, Scores{}, 1, c.depth, c.limit)
		assert.ErrorIs(t, err, graph.ErrInvalid)
	}
	// Without scores everyone is unscored, and the JSON omits score fields.
	eg, err := Ego(s, Scores{}, 1, 1, 10)
	require.NoError(t, err)
	assert.Len(t, eg.People, 10)
	for _, p := range eg.People {
		assert.False(t, p.Scored)
	}
	data, err := json.Marshal(eg.People[0])
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":1,"hop":0,"friends":16,"scored":false}`, string(data))
}

// TestEgoJSON pins the JSON shape the API exposes.
func TestEgoJSON(t *testing.T) {
	s := karateSnapshot(t)
	pol, _ := scoring.Preset(scoring.PolicySesame)
	results, _, err := scoring.ScoreSnapshot(context.Background(), s, pol, scoring.Options{})
	require.NoError(t, err)
	eg, err := Ego(s, ViewScores(scoring.NewView(graph.Run{}, pol, results)), 12, 1, 10)
	require.NoError(t, err)
	data, err := json.Marshal(eg)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	for _, k := range []string{"center", "depth", "limit", "reached", "kept", "truncated", "hops", "people", "ties"} {
		assert.Contains(t, m, k)
	}
	p := m["people"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "hop", "friends", "scored", "score", "individual", "band", "pagerank", "percentile", "pillars"} {
		assert.Contains(t, p, k)
	}
	tie := m["ties"].([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"kind": "friend", "from": float64(1), "to": float64(12), "weight": float64(1)}, tie)
}

func TestParseEvent(t *testing.T) {
	ev, err := ParseEvent("default", testNow)
	require.NoError(t, err)
	assert.Equal(t, graph.Event{Type: graph.EventDefault, Amount: DefaultDefaultAmount, At: testNow}, ev)
	ev, err = ParseEvent("default:250.5", testNow)
	require.NoError(t, err)
	assert.Equal(t, 250.5, ev.Amount)
	ev, err = ParseEvent("missed_bill:45", testNow)
	require.NoError(t, err)
	var r graph.Record
	require.NoError(t, r.Apply([]graph.Event{ev}, testNow))
	assert.Equal(t, graph.Record{BillsLate: 1, BillDaysLate: 45, LastEventAt: testNow}, r)
	for _, spec := range []string{"late_credit", "paid_bill", "paid_credit", "purchase:10", "missed_bill"} {
		ev, err := ParseEvent(spec, testNow)
		require.NoError(t, err, spec)
		require.NoError(t, ev.Validate("", testNow), spec)
	}
	for _, bad := range []string{"", "defualt", "default:-1", "default:x", "purchase", "paid_bill:3", "missed_bill:1.5"} {
		_, err := ParseEvent(bad, testNow)
		assert.ErrorIs(t, err, graph.ErrInvalid, bad)
	}
}
