package graph

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// SnapshotOf returns the snapshot a store holding exactly the batch
// would return, taken at takenAt: the batch is checked as ApplyBatch on
// an empty store checks it (the same errors: a tie naming someone not in
// the batch fails with ErrNotFound), a friendship given twice keeps the
// weight of its last occurrence, and only consenting people and the ties
// among them are in it. It is how a network held in memory (a seeded
// population, an imported edge list, a test's batch) becomes the input of
// a scoring run without a store.
func SnapshotOf(b Batch, takenAt time.Time) (*Snapshot, error) {
	p, err := PlanBatch(b)
	if err != nil {
		return nil, err
	}
	empty := Stored{
		Person:    func(ID) bool { return false },
		Recruiter: func(ID) (ID, bool) { return 0, false },
	}
	if err := p.CheckStored(context.Background(), empty); err != nil {
		return nil, err
	}

	// People: the consenting ones in id order. index maps a position in
	// p.IDs to the snapshot index, -1 for someone who has not consented.
	index := make([]int32, len(p.IDs))
	s := &Snapshot{TakenAt: takenAt}
	for k, j := range p.Order {
		q := &b.People[j]
		if !q.Consent {
			index[k] = -1
			continue
		}
		index[k] = int32(len(s.IDs))
		s.IDs = append(s.IDs, q.ID)
		s.Records = append(s.Records, q.Record)
		s.Profiles = append(s.Profiles, q.Profile)
	}
	n := len(s.IDs)
	at := func(id ID) int32 {
		k, _ := p.IDs.Index(id)
		return index[k]
	}

	// Friendships: p.Friends is already in adjacency order.
	s.Offsets = make([]int32, n+1)
	s.Targets = make([]int32, 0, len(p.Friends))
	weights := make([]float64, 0, len(p.Friends))
	for _, a := range p.Friends {
		u, v := at(a.From), at(a.To)
		if u < 0 || v < 0 {
			continue
		}
		s.Offsets[u+1]++
		s.Targets = append(s.Targets, v)
		weights = append(weights, a.Weight)
	}
	for i := 1; i <= n; i++ {
		s.Offsets[i] += s.Offsets[i-1]
	}
	s.Targets = slices.Clip(s.Targets)
	s.SetWeights(slices.Clip(weights))

	// Recruitments, by recruiter then recruit.
	type pair struct{ u, v int32 }
	var rec []pair
	for _, a := range p.Recruits {
		if u, v := at(a.From), at(a.To); u >= 0 && v >= 0 {
			rec = append(rec, pair{u, v})
		}
	}
	slices.SortFunc(rec, func(x, y pair) int { return cmp.Or(cmp.Compare(x.u, y.u), cmp.Compare(x.v, y.v)) })
	s.RecruitOffsets = make([]int32, n+1)
	s.RecruitTargets = make([]int32, len(rec))
	for k, r := range rec {
		s.RecruitOffsets[r.u+1]++
		s.RecruitTargets[k] = r.v
	}
	for i := 1; i <= n; i++ {
		s.RecruitOffsets[i] += s.RecruitOffsets[i-1]
	}
	return s, nil
}
