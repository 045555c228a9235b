package scoring

import (
	"math"
	"slices"

	gograph "gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/network"
	"gonum.org/v1/gonum/graph/path"

	"github.com/socialscore/socialscore/graph"
)

// MaxCentralityPeople bounds the people of one Centralities call; it is
// contagion.DefaultEgoLimit, the size of the network view at its default
// limit. gonum's Brandes betweenness takes O(n·m) time and O(n + m)
// memory for n people and m friendships; its all-pairs shortest paths
// (for closeness) O(n·m + n²·log n) time and O(n²) memory (a distance
// matrix and a predecessor list per pair); both keep their state in maps.
// BenchmarkCentralities on ego networks of ego-Facebook (dense: an average
// of 16–25 friends inside the ego network), on a shared 2-core machine
// under load: 348 people (2,866 friendships) 0.4–0.8 s and 28 MB a call;
// 500 people (3,513) 1.1–1.4 s and 57 MB; 1,000 people (12,502) 6.5–11 s
// and 230 MB. A request may wait for the first two, not the third.
const MaxCentralityPeople = 500

// Centrality is one person's betweenness and closeness centrality in an
// undirected, unweighted graph, as NetworkX defines them by default.
type Centrality struct {
	// Betweenness is the share of shortest paths between other people that
	// pass through the person, equal to nx.betweenness_centrality(G)
	// (normalized=True, endpoints=False):
	//
	//	B(v) = 2/((n−1)(n−2)) · Σ_{ {s,t}: s≠v≠t } σ_st(v)/σ_st    (0 when n ≤ 2)
	//
	// over unordered pairs, σ_st the number of shortest s–t paths and
	// σ_st(v) those through v.
	Betweenness float64
	// Closeness is NetworkX's nx.closeness_centrality(G) with
	// wf_improved=True, the Wasserman–Faust form for disconnected graphs:
	//
	//	C(v) = (r−1)/Σ_u d(u,v) · (r−1)/(n−1)    (0 when r = 1)
	//
	// where r is the number of people in v's connected component (v
	// included) and the sum runs over them. In a connected graph it is
	// (n−1)/Σ_u d(u,v), the reciprocal of the mean distance.
	Closeness float64
}

// Centralities returns the betweenness and closeness centrality
// (Centrality) of each of members in G, the subgraph of the snapshot's
// friendships induced by members: the people are members (indices into
// the snapshot, distinct, in any order) and the edges every friendship
// between two of them. Friendship weights are ignored: distances count
// ties, as in nx.betweenness_centrality(G) and nx.closeness_centrality(G)
// with their default arguments. out[i] belongs to members[i].
//
// gonum computes both, on G's CSR arrays through the csrGraph adapter
// (each friendship presented as two arcs): the induced subgraph is first
// extracted into CSR arrays of its own (one pass over the members'
// friend lists, O(Σ degree · log n)), which gonum then reads in place.
// The conversions from gonum's definitions, with n = len(members):
//
//   - network.Betweenness(G) is Brandes' unnormalised sum over ordered
//     pairs (s,t), so it counts each unordered pair twice;
//     B(v) = network.Betweenness(G)[v] / ((n−1)(n−2)) for n ≥ 3, else 0.
//   - network.Closeness(G, path.DijkstraAllPaths(G)) is 1/Σ_u d(u,v) over
//     the u that v can reach; with r the number of those (v included,
//     counted from the same shortest paths),
//     C(v) = network.Closeness(G)[v] · (r−1)² / (n−1) for r > 1, else 0
//     (gonum's value is +Inf when r = 1).
//
// More than MaxCentralityPeople members, an index out of range or a
// repeated index returns an error wrapping graph.ErrInvalid naming
// "members".
func Centralities(s *graph.Snapshot, members []int32) ([]Centrality, error) {
	if s == nil {
		return nil, graph.Invalid("snapshot", "is nil")
	}
	n := len(members)
	if n > MaxCentralityPeople {
		return nil, graph.Invalid("members", "at most %d people, got %d", MaxCentralityPeople, n)
	}
	return centralities(s, members)
}

// centralities is Centralities without the bound on the number of members.
func centralities(s *graph.Snapshot, members []int32) ([]Centrality, error) {
	n := len(members)
	sorted := slices.Clone(members)
	slices.Sort(sorted)
	for i, v := range sorted {
		if v < 0 || int(v) >= s.Len() {
			return nil, graph.Invalid("members", "index %d is not in the snapshot of %d people", v, s.Len())
		}
		if i > 0 && sorted[i-1] == v {
			return nil, graph.Invalid("members", "index %d is listed twice", v)
		}
	}
	out := make([]Centrality, n)
	if n == 0 {
		return out, nil
	}

	// G as a CSR over local indices 0..n-1 (the position in sorted). The
	// snapshot's friend lists are ascending and the local numbering keeps
	// their order, so G's lists are ascending too, as csrGraph requires.
	offsets := make([]int32, n+1)
	var targets []int32
	for i, v := range sorted {
		for _, u := range s.Friends(v) {
			if j, ok := slices.BinarySearch(sorted, u); ok {
				targets = append(targets, int32(j))
			}
		}
		offsets[i+1] = int32(len(targets))
	}
	g := unitWeights{csrGraph{out: offsets, outTargets: targets, in: offsets, inTargets: targets}.withBoxedNodes()}

	between := network.Betweenness(g) // absent: 0
	paths := path.DijkstraAllPaths(g)
	closeness := network.Closeness(g, paths)
	local := make([]Centrality, n)
	for v := range n {
		c := &local[v]
		if n >= 3 {
			c.Betweenness = between[int64(v)] / (float64(n-1) * float64(n-2))
		}
		r := 0
		for u := range n {
			if !math.IsInf(paths.Weight(int64(u), int64(v)), 1) {
				r++
			}
		}
		if r > 1 {
			c.Closeness = closeness[int64(v)] * float64(r-1) * (float64(r-1) / float64(n-1))
		}
	}
	for i, v := range members {
		j, _ := slices.BinarySearch(sorted, v)
		out[i] = local[j]
	}
	return out, nil
}

// unitWeights is a csrGraph whose edges weigh 1, so that gonum's shortest
// paths read weights from the CSR (a binary search) instead of asking for
// every edge as an allocated value (path.UniformCost). The distances are
// the same: hops. Only Centralities uses it; PageRank is given the plain
// csrGraph, which gonum's network.PageRank treats as unweighted.
type unitWeights struct{ csrGraph }

var _ gograph.Weighted = unitWeights{}

// Weight is 0 from a node to itself, 1 along an edge, +Inf otherwise.
func (g unitWeights) Weight(xid, yid int64) (w float64, ok bool) {
	switch {
	case xid == yid && g.has(xid):
		return 0, true
	case g.HasEdgeFromTo(xid, yid):
		return 1, true
	}
	return math.Inf(1), false
}

// WeightedEdge returns the edge u→v with weight 1, or nil.
func (g unitWeights) WeightedEdge(uid, vid int64) gograph.WeightedEdge {
	if !g.HasEdgeFromTo(uid, vid) {
		return nil
	}
	return unitEdge{csrEdge{from: csrNode(uid), to: csrNode(vid)}}
}

// unitEdge is a csrEdge of weight 1.
type unitEdge struct{ csrEdge }

func (e unitEdge) Weight() float64 { return 1 }
