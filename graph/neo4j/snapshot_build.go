package neo4j

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/socialscore/socialscore/graph"
)

// buildSnapshot assembles a graph.Snapshot from the pages of a snapshot
// read, equal field for field (nil or empty alike) to what
// graph.SnapshotBuilder builds from the same people and ties, but with
// neither a map nor a search per tie: a tie's first end is a node id of a
// person of the pages, its far end a node id (or, when byPersonID, a
// person id), and both are mapped to positions through an array indexed
// by node id (toPositions). Ties to someone not in the snapshot are
// dropped, and so are repeated pairs. The people are sorted by id if the
// pages do not give them in that order. A snapshot read by ids maps each
// page's ties as it is read and calls assemblePeople and buildTies itself.
func buildSnapshot(pages []*snapPage, disputed map[graph.ID]disputedPerson, byPersonID bool, takenAt time.Time) (*graph.Snapshot, error) {
	s, nodes, err := assemblePeople(pages, disputed, takenAt)
	if err != nil {
		return nil, err
	}
	near := newNodeIndex(nodes)
	far := near.pos
	if byPersonID {
		far = func(id int64) int32 {
			if i, ok := graph.Position(s.IDs, graph.ID(id)); ok {
				return int32(i)
			}
			return -1
		}
	}
	for _, p := range pages {
		p.toPositions(near.pos, far)
	}
	buildTies(s, pages)
	return s, nil
}

// assemblePeople returns a snapshot of the pages' people, in the order of
// their ids, with the records of the disputed replaced by what they are
// without the disputed events, and the node id of each.
func assemblePeople(pages []*snapPage, disputed map[graph.ID]disputedPerson, takenAt time.Time) (*graph.Snapshot, []int64, error) {
	n := 0
	for i, p := range pages {
		if p == nil {
			return nil, nil, fmt.Errorf("snapshot: page %d missing", i)
		}
		n += len(p.ids)
	}
	s := &graph.Snapshot{TakenAt: takenAt}
	var nodes []int64
	if n > 0 {
		s.IDs = make([]graph.ID, 0, n)
		s.Records = make([]graph.Record, 0, n)
		s.Profiles = make([]graph.Profile, 0, n)
		nodes = make([]int64, 0, n)
		for _, p := range pages {
			s.IDs = append(s.IDs, p.ids...)
			s.Records = append(s.Records, p.records...)
			s.Profiles = append(s.Profiles, p.profiles...)
			nodes = append(nodes, p.nodes...)
		}
	}
	if !slices.IsSorted(s.IDs) {
		sortPeople(s, nodes)
	}
	for i := 1; i < n; i++ {
		if s.IDs[i] == s.IDs[i-1] {
			return nil, nil, fmt.Errorf("snapshot: person %d read twice", s.IDs[i])
		}
	}
	for i, id := range s.IDs {
		if d, ok := disputed[id]; ok {
			s.Disputed = append(s.Disputed, graph.DisputedRecord{ID: id, Open: d.open, Record: s.Records[i]})
			s.Records[i] = d.without
		}
	}
	return s, nodes, nil
}

// toPositions maps the page's ties to positions, first ends through near
// and far ends through far, leaving out a tie with an end that is not a
// consenting person (-1) and a tie of someone to themselves.
func (p *snapPage) toPositions(near, far func(int64) int32) {
	p.fu, p.fv, p.fw = mapTies(p.fa, p.fb, p.fw, near, far)
	p.ru, p.rv, _ = mapTies(p.ra, p.rb, nil, near, far)
	p.fa, p.fb, p.ra, p.rb = nil, nil, nil, nil
}

func mapTies(a, b []int64, w []float64, near, far func(int64) int32) (u, v []int32, uw []float64) {
	u, v = make([]int32, 0, len(a)), make([]int32, 0, len(a))
	if w != nil {
		uw = make([]float64, 0, len(a))
	}
	for k := range a {
		x, y := near(a[k]), far(b[k])
		if x < 0 || y < 0 || x == y {
			continue
		}
		u, v = append(u, x), append(v, y)
		if w != nil {
			uw = append(uw, w[k])
		}
	}
	return u, v, uw
}

// buildTies sets s's CSR arrays from the pages' ties, mapped to positions.
func buildTies(s *graph.Snapshot, pages []*snapPage) {
	friends := func(yield func(u, v int32, w float64)) {
		for _, p := range pages {
			for k, u := range p.fu {
				w := 1.0
				if p.fw != nil {
					w = p.fw[k]
				}
				yield(u, p.fv[k], w)
			}
		}
	}
	recruits := func(yield func(u, v int32, w float64)) {
		for _, p := range pages {
			for k, u := range p.ru {
				yield(u, p.rv[k], 1)
			}
		}
	}
	var exact []float64
	s.Offsets, s.Targets, exact = graph.BuildCSR(len(s.IDs), friends, true)
	s.SetWeights(exact)
	s.RecruitOffsets, s.RecruitTargets, _ = graph.BuildCSR(len(s.IDs), recruits, false)
}

// sortPeople sorts the people of s by id, carrying records, profiles and
// node ids along.
func sortPeople(s *graph.Snapshot, nodes []int64) {
	perm := make([]int, len(s.IDs))
	for i := range perm {
		perm[i] = i
	}
	sort.Slice(perm, func(x, y int) bool { return s.IDs[perm[x]] < s.IDs[perm[y]] })
	ids := make([]graph.ID, len(perm))
	recs := make([]graph.Record, len(perm))
	profs := make([]graph.Profile, len(perm))
	ns := make([]int64, len(perm))
	for i, p := range perm {
		ids[i], recs[i], profs[i], ns[i] = s.IDs[p], s.Records[p], s.Profiles[p], nodes[p]
	}
	s.IDs, s.Records, s.Profiles = ids, recs, profs
	copy(nodes, ns)
}

// nodeIndex maps node ids to positions: an array over the range of node
// ids when it is not much larger than the number of people (node ids are
// record ids, dense from 0), else a map.
type nodeIndex struct {
	base  int64
	dense []int32
	m     map[int64]int32
}

func newNodeIndex(nodes []int64) *nodeIndex {
	x := &nodeIndex{}
	if len(nodes) == 0 {
		return x
	}
	lo, hi := slices.Min(nodes), slices.Max(nodes)
	if span := hi - lo + 1; span > 0 && span <= 4*int64(len(nodes))+1<<16 {
		x.base = lo
		x.dense = make([]int32, span)
		for i := range x.dense {
			x.dense[i] = -1
		}
		for i, nd := range nodes {
			x.dense[nd-lo] = int32(i)
		}
		return x
	}
	x.m = make(map[int64]int32, len(nodes))
	for i, nd := range nodes {
		x.m[nd] = int32(i)
	}
	return x
}

// pos returns the position of the person with the node id, or -1.
func (x *nodeIndex) pos(node int64) int32 {
	if x.m != nil {
		if i, ok := x.m[node]; ok {
			return i
		}
		return -1
	}
	if off := uint64(node - x.base); off < uint64(len(x.dense)) {
		return x.dense[off]
	}
	return -1
}
