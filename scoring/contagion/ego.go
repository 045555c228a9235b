package contagion

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

// Limits of Ego.
const (
	MaxEgoDepth     = 3
	DefaultEgoLimit = 500
	MaxEgoLimit     = 10_000
)

// Tie kinds as they appear in JSON.
const (
	KindFriend    = "friend"
	KindRecruited = "recruited"
)

// EgoNetwork is the network around one person: everyone within Depth ties
// of the centre, as far as Limit allows, and the ties among them.
type EgoNetwork struct {
	Center graph.ID `json:"center"`
	Depth  int      `json:"depth"`
	Limit  int      `json:"limit"`
	// Reached is the number of people within Depth ties of the centre
	// (the centre included); Kept the number listed in People. Truncated
	// is Kept < Reached.
	Reached   int  `json:"reached"`
	Kept      int  `json:"kept"`
	Truncated bool `json:"truncated"`
	// Hops counts, for hop 0 (the centre), 1, …, Depth, the people at
	// that distance and how many of them were kept.
	Hops   []HopCount  `json:"hops"`
	People []EgoPerson `json:"people"`
	Ties   []Tie       `json:"ties"`
}

// HopCount is the number of people at one hop distance.
type HopCount struct {
	Hop     int `json:"hop"`
	Reached int `json:"reached"`
	Kept    int `json:"kept"`
}

// EgoPerson is one person of an ego network. The score fields are absent
// (zero) when the person has no score (Scored false): they consented
// after the scores were computed.
type EgoPerson struct {
	ID      graph.ID `json:"id"`
	Hop     int      `json:"hop"`
	Friends int      `json:"friends"` // consenting friends in the whole network
	Scored  bool     `json:"scored"`
	// Score is the network-adjusted score, Individual the pillars-only
	// score, both 350..950; Band is the score's band under the policy.
	Score      int      `json:"score,omitempty"`
	Individual int      `json:"individual,omitempty"`
	Band       string   `json:"band,omitempty"`
	PageRank   float64  `json:"pagerank,omitempty"`
	Percentile float64  `json:"percentile,omitempty"` // PageRank percentile, 0..100
	Pillars    *Pillars `json:"pillars,omitempty"`
	// Betweenness and Closeness are the person's centralities in the ego
	// network (scoring.Centrality: NetworkX's betweenness_centrality and
	// closeness_centrality) over the friendships among the people listed.
	// They are set by AddCentralities only, so they are absent (nil)
	// unless it was called and the network had at most
	// scoring.MaxCentralityPeople people. They do not depend on the scores.
	Betweenness *float64 `json:"betweenness,omitempty"`
	Closeness   *float64 `json:"closeness,omitempty"`
}

// Tie is a friendship (Kind "friend", From < To, Weight the friendship's
// strength) or a recruitment (Kind "recruited", From recruited To).
type Tie struct {
	Kind   string   `json:"kind"`
	From   graph.ID `json:"from"`
	To     graph.ID `json:"to"`
	Weight float64  `json:"weight,omitempty"`
}

// Ego returns the ego network of center in the snapshot: the people
// within depth ties of the centre (1 ≤ depth ≤ MaxEgoDepth), found by
// breadth-first search over ties of both kinds (friendships, and
// recruitments in either direction), annotated with their scores, and the
// ties among them. Only consenting people are in a snapshot, so only they
// appear.
//
// Truncation rule: when more than limit people (1 ≤ limit ≤ MaxEgoLimit)
// are within depth, whole hops are kept in order of distance while they
// fit; within the first hop that does not fit, the people with the highest
// PageRank (from the scores; unscored people last, ties by ascending id)
// fill the remaining places, and farther hops are dropped. The centre is
// always kept. Because the hops before the overflowing one are whole,
// every kept person still has a path to the centre through kept people.
// Ties are listed only between kept people. Truncated, Reached and Hops
// tell what was left out.
//
// People are listed by hop, then (within a hop) by descending PageRank
// and ascending id; ties are friendships (by From, then To) and then
// recruitments (by recruiter, then recruit).
//
// It returns an error wrapping graph.ErrNotFound if the centre is not in
// the snapshot (no such person, or not consenting), and one wrapping
// graph.ErrInvalid (a *graph.ValidationError naming "depth" or "limit")
// for bad arguments.
func Ego(snap *graph.Snapshot, sc Scores, center graph.ID, depth, limit int) (EgoNetwork, error) {
	if snap == nil {
		return EgoNetwork{}, graph.Invalid("snapshot", "is nil")
	}
	if depth < 1 || depth > MaxEgoDepth {
		return EgoNetwork{}, graph.Invalid("depth", "must be between 1 and %d, got %d", MaxEgoDepth, depth)
	}
	if limit < 1 || limit > MaxEgoLimit {
		return EgoNetwork{}, graph.Invalid("limit", "must be between 1 and %d, got %d", MaxEgoLimit, limit)
	}
	c, ok := snap.Index(center)
	if !ok {
		return EgoNetwork{}, fmt.Errorf("contagion: ego network of %d: %w", center, graph.ErrNotFound)
	}
	n := snap.Len()
	recruiter := recruiters(snap)

	// Breadth-first search to depth, over both kinds of tie. seen[v] is
	// v's hop + 1 (0: not reached).
	seen := make([]int8, n)
	seen[c] = 1
	levels := [][]int32{{c}}
	for d := 1; d <= depth; d++ {
		var next []int32
		visit := func(u int32) {
			if seen[u] == 0 {
				seen[u] = int8(d + 1)
				next = append(next, u)
			}
		}
		for _, v := range levels[d-1] {
			for _, u := range snap.Friends(v) {
				visit(u)
			}
			if len(snap.RecruitOffsets) == n+1 {
				for _, u := range snap.Recruits(v) {
					visit(u)
				}
			}
			if r := recruiter[v]; r >= 0 {
				visit(r)
			}
		}
		levels = append(levels, next)
	}

	find := newFinder(sc.Results)
	pr := func(i int32) float64 {
		if k := find(snap.IDs[i]); k >= 0 {
			return sc.Results[k].PageRank
		}
		return -1
	}
	eg := EgoNetwork{Center: center, Depth: depth, Limit: limit, People: []EgoPerson{}, Ties: []Tie{}}
	kept := make(map[int32]bool, min(limit, n))
	var order []int32
	type ranked struct {
		v  int32
		pr float64
	}
	var buf []ranked
	for d, lv := range levels {
		room := max(limit-len(order), 0)
		take := min(room, len(lv))
		if take > 0 { // order the hop by descending PageRank, then index
			buf = buf[:0]
			for _, v := range lv {
				buf = append(buf, ranked{v, pr(v)})
			}
			slices.SortFunc(buf, func(a, b ranked) int {
				if x := cmp.Compare(b.pr, a.pr); x != 0 {
					return x
				}
				return cmp.Compare(a.v, b.v)
			})
			for i := range lv {
				lv[i] = buf[i].v
			}
		}
		eg.Hops = append(eg.Hops, HopCount{Hop: d, Reached: len(lv), Kept: take})
		eg.Reached += len(lv)
		for _, v := range lv[:take] {
			kept[v] = true
			order = append(order, v)
		}
	}
	eg.Kept = len(order)
	eg.Truncated = eg.Kept < eg.Reached

	for _, v := range order {
		p := EgoPerson{ID: snap.IDs[v], Hop: int(seen[v]) - 1, Friends: snap.Degree(v)}
		if k := find(snap.IDs[v]); k >= 0 {
			r := sc.Results[k]
			pl := PillarsOf(r.Pillars)
			p.Scored, p.Score, p.Individual = true, r.Score, r.Individual
			p.PageRank, p.Percentile, p.Pillars = r.PageRank, r.Percentile, &pl
			if sc.Policy != nil {
				p.Band = sc.Policy.BandOf(r.Score)
			}
		}
		eg.People = append(eg.People, p)
	}
	eg.Ties = tiesAmong(snap, order, kept)
	return eg, nil
}

// AddCentralities sets the Betweenness and Closeness of every person of
// the ego network, computed by scoring.Centralities on snap (the snapshot
// the network was taken from) over the graph of the people listed and the
// friendships among them: the friendships of Ties, unweighted.
// Recruitments are left out: the score model counts them only in the
// recruiter's own recruitment pillar, while propagation and PageRank run
// on the friendships, so the friendship graph is the one whose paths
// carry influence; a recruitment is also a one-off, directed event. A
// person reached only through a recruitment may therefore be alone in
// that graph (both centralities 0).
//
// When the network lists more than scoring.MaxCentralityPeople people it
// sets nothing and returns false: gonum's algorithms cost O(n·m) time and
// O(n²) memory there (see scoring.MaxCentralityPeople). Ego does not call
// it, so that callers that do not show centralities (exports) do not pay
// for them. A listed person missing from snap is an error wrapping
// graph.ErrNotFound.
func (eg *EgoNetwork) AddCentralities(snap *graph.Snapshot) (bool, error) {
	if len(eg.People) > scoring.MaxCentralityPeople {
		return false, nil
	}
	members := make([]int32, len(eg.People))
	for i, p := range eg.People {
		v, ok := snap.Index(p.ID)
		if !ok {
			return false, fmt.Errorf("contagion: centralities of %d: %w", p.ID, graph.ErrNotFound)
		}
		members[i] = v
	}
	cs, err := scoring.Centralities(snap, members)
	if err != nil {
		return false, fmt.Errorf("contagion: %w", err)
	}
	for i := range eg.People {
		eg.People[i].Betweenness, eg.People[i].Closeness = &cs[i].Betweenness, &cs[i].Closeness
	}
	return true, nil
}

// tiesAmong lists the friendships and recruitments between people of the
// set (members lists them), friendships first.
func tiesAmong(snap *graph.Snapshot, members []int32, in map[int32]bool) []Tie {
	sorted := slices.Clone(members)
	slices.Sort(sorted)
	ties := []Tie{}
	for _, v := range sorted {
		for k := snap.Offsets[v]; k < snap.Offsets[v+1]; k++ {
			if u := snap.Targets[k]; u > v && in[u] {
				ties = append(ties, Tie{Kind: KindFriend, From: snap.IDs[v], To: snap.IDs[u], Weight: snap.ExactWeight(k)})
			}
		}
	}
	if len(snap.RecruitOffsets) == snap.Len()+1 {
		for _, v := range sorted {
			for _, u := range snap.Recruits(v) {
				if in[u] {
					ties = append(ties, Tie{Kind: KindRecruited, From: snap.IDs[v], To: snap.IDs[u]})
				}
			}
		}
	}
	return ties
}

// recruiters returns each person's recruiter (index), or -1.
func recruiters(snap *graph.Snapshot) []int32 {
	n := snap.Len()
	out := make([]int32, n)
	for i := range out {
		out[i] = -1
	}
	if len(snap.RecruitOffsets) != n+1 {
		return out
	}
	for v := 0; v < n; v++ {
		for _, u := range snap.Recruits(int32(v)) {
			out[u] = int32(v)
		}
	}
	return out
}
