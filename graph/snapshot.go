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

// SetWeights sets Weights (nil when every weight is 1) and ExactWeights
// (nil when every weight is a float32) from full-precision weights
// parallel to Targets.
func (s *Snapshot) SetWeights(exact []float64) {
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

	offs, targets, weights := buildCSR(s, b.friends, true)
	s.Offsets, s.Targets = offs, targets
	// Weights stay nil unless a tie that was kept has a weight other than 1.
	s.SetWeights(weights)
	b.friends = nil
	s.RecruitOffsets, s.RecruitTargets, _ = buildCSR(s, b.recruits, false)
	b.recruits = nil
	s.Disputed = b.takeDisputed(s)
	return s, nil
}

// buildCSR turns rows of id pairs into CSR arrays over s's indices (see
// BuildCSR), dropping rows that name someone absent and self-ties.
func buildCSR(s *Snapshot, rows []tieRow, undirected bool) ([]int32, []int32, []float64) {
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
	return BuildCSR(len(s.IDs), func(yield func(u, v int32, w float64)) {
		for _, p := range pairs {
			yield(p.u, p.v, p.w)
		}
	}, undirected)
}

// BuildCSR builds CSR arrays over n positions from the pairs ties yields
// (it is called twice: to count, then to fill), both directions when
// undirected; each row is sorted by target (a stable sort) and repeated
// targets dropped, the first kept. The weights, parallel to the targets,
// are returned only when some pair has a weight other than 1. Both stores
// build their snapshots with it.
func BuildCSR(n int, ties func(yield func(u, v int32, w float64)), undirected bool) ([]int32, []int32, []float64) {
	offs := make([]int32, n+1)
	weighted := false
	ties(func(u, v int32, w float64) {
		offs[u+1]++
		if undirected {
			offs[v+1]++
		}
		weighted = weighted || w != 1
	})
	for i := 1; i <= n; i++ {
		offs[i] += offs[i-1]
	}
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
	ties(func(u, v int32, w float64) {
		put(u, v, w)
		if undirected {
			put(v, u, w)
		}
	})
	next = nil
	// Sort each row and drop repeats, compacting in place.
	out, start := int32(0), int32(0)
	for i := 0; i < n; i++ {
		end := offs[i+1]
		row := targets[start:end]
		var wrow []float64
		if weighted {
			wrow = weights[start:end]
			if !slices.IsSorted(row) {
				sort.Stable(byTarget{row, wrow})
			}
		} else if !slices.IsSorted(row) {
			slices.Sort(row)
		}
		offs[i] = out
		for k := range row {
			if k > 0 && row[k] == row[k-1] {
				continue
			}
			targets[out] = row[k]
			if weighted {
				weights[out] = wrow[k]
			}
			out++
		}
		start = end
	}
	offs[n] = out
	targets = targets[:out:out]
	if weighted {
		weights = weights[:out:out]
	}
	return offs, targets, weights
}

type byTarget struct {
	t []int32
	w []float64
}

func (r byTarget) Len() int           { return len(r.t) }
func (r byTarget) Less(i, j int) bool { return r.t[i] < r.t[j] }
func (r byTarget) Swap(i, j int) {
	r.t[i], r.t[j] = r.t[j], r.t[i]
	r.w[i], r.w[j] = r.w[j], r.w[i]
}
