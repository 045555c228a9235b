package graph

import (
	"fmt"
	"slices"
	"sort"
	"time"
)

// Snapshot is a compact, read-only view of the consenting network in
// compressed sparse row (CSR) form. People are numbered 0..N-1 in ascending
// id order; the friends of person i are Targets[Offsets[i]:Offsets[i+1]]
// (each friendship appears once in each direction, neighbours ascending),
// and the recruits of person i are RecruitTargets[RecruitOffsets[i]:RecruitOffsets[i+1]].
// Only consenting people and ties between two consenting people are in it.
type Snapshot struct {
	IDs     []ID    // index -> id, strictly ascending
	Offsets []int32 // len N+1
	Targets []int32 // len 2*friendships
	// Weights holds the friendship weight parallel to Targets, or is nil
	// when every weight is 1. It is rounded to float32 (half the memory of
	// the largest array but Targets); scoring reads it.
	Weights []float32
	// ExactWeights holds the same weights in full (float64) precision,
	// parallel to Targets, or is nil when every weight is exactly a
	// float32 (then Weights is exact). Exports read it (ExactWeight), so a
	// weight leaves the system as it came in.
	ExactWeights []float64

	RecruitOffsets []int32 // len N+1
	RecruitTargets []int32 // recruiter -> recruits

	Records  []Record  // index -> financial record (without events under an open dispute)
	Profiles []Profile // index -> profile
	// Disputed lists the people with open disputes, ascending by id, with
	// their record including the disputed events; nil when nobody has one.
	Disputed []DisputedRecord

	TakenAt time.Time
}

// Len returns the number of people in the snapshot.
func (s *Snapshot) Len() int { return len(s.IDs) }

// Friendships returns the number of undirected friendships.
func (s *Snapshot) Friendships() int { return len(s.Targets) / 2 }

// Friends returns the indices of person i's friends.
func (s *Snapshot) Friends(i int32) []int32 { return s.Targets[s.Offsets[i]:s.Offsets[i+1]] }

// Degree returns the number of friends of person i.
func (s *Snapshot) Degree(i int32) int { return int(s.Offsets[i+1] - s.Offsets[i]) }

// Recruits returns the indices of the people person i recruited.
func (s *Snapshot) Recruits(i int32) []int32 {
	return s.RecruitTargets[s.RecruitOffsets[i]:s.RecruitOffsets[i+1]]
}

// Weight returns the weight of the k-th entry of Targets.
func (s *Snapshot) Weight(k int32) float64 {
	if s.Weights == nil {
		return 1
	}
	return float64(s.Weights[k])
}

// ExactWeight returns the weight of the k-th entry of Targets in full
// precision: the stored float64, where Weight gives the float32 that
// scoring uses.
func (s *Snapshot) ExactWeight(k int32) float64 {
	if s.ExactWeights != nil {
		return s.ExactWeights[k]
	}
	return s.Weight(k)
}

// setWeights sets Weights (nil when every weight is 1) and ExactWeights
// (nil when every weight is a float32) from full-precision weights
// parallel to Targets.
func (s *Snapshot) setWeights(exact []float64) {
	s.Weights, s.ExactWeights = nil, nil
	ones, narrow := true, true
	for _, w := range exact {
		ones = ones && w == 1
		narrow = narrow && float64(float32(w)) == w
	}
	if ones {
		return
	}
	s.Weights = make([]float32, len(exact))
	for k, w := range exact {
		s.Weights[k] = float32(w)
	}
	if !narrow {
		s.ExactWeights = exact
	}
}

// Index returns the index of the person with the id (see Position).
func (s *Snapshot) Index(id ID) (int32, bool) {
	i, ok := Position(s.IDs, id)
	return int32(i), ok
}

// SnapshotBuilder assembles a Snapshot from people and ties streamed out of
// a store in any order. Ties naming someone who was not added as a
// consenting person are dropped; a friendship added twice (in either
// direction) counts once.
type SnapshotBuilder struct {
	ids      []ID
	records  []Record
	profiles []Profile
	friends  []tieRow
	recruits []tieRow
	weighted bool
	disputed []DisputedRecord
}

type tieRow struct {
	a, b ID
	w    float64
}

// AddPerson adds a person; people who have not consented are ignored.
func (b *SnapshotBuilder) AddPerson(p Person) {
	if !p.Consent {
		return
	}
	b.ids = append(b.ids, p.ID)
	b.records = append(b.records, p.Record)
	b.profiles = append(b.profiles, p.Profile)
}

// AddTie adds a friendship or recruitment.
func (b *SnapshotBuilder) AddTie(t Tie) {
	t = t.Normalize()
	switch t.Kind {
	case Friend:
		if t.Weight != 1 {
			b.weighted = true
		}
		b.friends = append(b.friends, tieRow{t.From, t.To, t.Weight})
	case Recruited:
		b.recruits = append(b.recruits, tieRow{t.From, t.To, 1})
	}
}

// Build returns the snapshot. The builder must not be used afterwards.
func (b *SnapshotBuilder) Build(takenAt time.Time) (*Snapshot, error) {
	n := len(b.ids)
	// Sort people by id, carrying records and profiles along.
	if !slices.IsSorted(b.ids) {
		perm := make([]int, n)
		for i := range perm {
			perm[i] = i
		}
		sort.Slice(perm, func(x, y int) bool { return b.ids[perm[x]] < b.ids[perm[y]] })
		ids := make([]ID, n)
		recs := make([]Record, n)
		profs := make([]Profile, n)
		for i, p := range perm {
			ids[i], recs[i], profs[i] = b.ids[p], b.records[p], b.profiles[p]
		}
		b.ids, b.records, b.profiles = ids, recs, profs
	}
	for i := 1; i < n; i++ {
		if b.ids[i] == b.ids[i-1] {
			return nil, fmt.Errorf("snapshot: person %d added twice", b.ids[i])
		}
	}
	s := &Snapshot{IDs: b.ids, Records: b.records, Profiles: b.profiles, TakenAt: takenAt}

	offs, targets, weights := buildCSR(s, b.friends, true, b.weighted)
	s.Offsets, s.Targets = offs, targets
	// Weights stay nil unless a tie that was kept has a weight other than 1.
	s.setWeights(weights)
	b.friends = nil
	s.RecruitOffsets, s.RecruitTargets, _ = buildCSR(s, b.recruits, false, false)
	b.recruits = nil
	s.Disputed = b.takeDisputed(s)
	return s, nil
}

// buildCSR turns rows of id pairs into CSR arrays over s's indices, both
// directions when undirected, dropping rows that name someone absent and
// duplicate pairs.
func buildCSR(s *Snapshot, rows []tieRow, undirected, weighted bool) ([]int32, []int32, []float64) {
	n := len(s.IDs)
	type pair struct {
		u, v int32
		w    float64
	}
	pairs := make([]pair, 0, len(rows))
	for _, r := range rows {
		u, ok1 := s.Index(r.a)
		v, ok2 := s.Index(r.b)
		if !ok1 || !ok2 || u == v {
			continue
		}
		pairs = append(pairs, pair{u, v, r.w})
	}
	deg := make([]int32, n+1)
	for _, p := range pairs {
		deg[p.u+1]++
		if undirected {
			deg[p.v+1]++
		}
	}
	for i := 1; i <= n; i++ {
		deg[i] += deg[i-1]
	}
	offs := deg
	next := make([]int32, n)
	copy(next, offs[:n])
	targets := make([]int32, offs[n])
	var weights []float64
	if weighted {
		weights = make([]float64, offs[n])
	}
	put := func(u, v int32, w float64) {
		k := next[u]
		targets[k] = v
		if weighted {
			weights[k] = w
		}
		next[u]++
	}
	for _, p := range pairs {
		put(p.u, p.v, p.w)
		if undirected {
			put(p.v, p.u, p.w)
		}
	}
	// Sort each neighbour list and drop duplicates, compacting in place.
	w := int32(0)
	start := int32(0)
	for i := 0; i < n; i++ {
		end := offs[i+1]
		seg := targets[start:end]
		var wseg []float64
		if weighted {
			wseg = weights[start:end]
			sort.Sort(byTarget{seg, wseg})
		} else if !slices.IsSorted(seg) {
			slices.Sort(seg)
		}
		newStart := w
		for k := range seg {
			if k > 0 && seg[k] == seg[k-1] {
				continue
			}
			targets[w] = seg[k]
			if weighted {
				weights[w] = wseg[k]
			}
			w++
		}
		offs[i] = newStart
		start = end
	}
	offs[n] = w
	targets = targets[:w:w]
	if weighted {
		weights = weights[:w:w]
	}
	return offs, targets, weights
}

type byTarget struct {
	t []int32
	w []float64
}

func (b byTarget) Len() int           { return len(b.t) }
func (b byTarget) Less(i, j int) bool { return b.t[i] < b.t[j] }
func (b byTarget) Swap(i, j int) {
	b.t[i], b.t[j] = b.t[j], b.t[i]
	b.w[i], b.w[j] = b.w[j], b.w[i]
}
