package graph

import (
	"cmp"
	"context"
	"fmt"
	"slices"
)

// This file holds what every store does with a Batch before it writes
// anything: the checks that need no store (PlanBatch), the checks against
// what a store holds (BatchPlan.CheckStored), and the errors both report,
// so that every store rejects a bad batch with the same error.
//
// When a batch breaks several rules the error is that of the first rule
// broken, in this order, and within a rule that of the first offending
// entry in batch order:
//
//  1. a person is invalid ("people/3/profile/verified"),
//  2. a person's id appears earlier in the batch (ErrConflict, "people/5/id"),
//  3. a tie is invalid ("ties/2/weight"),
//  4. a recruit was given another recruiter earlier in the batch
//     (ErrConflict, "ties/7/from"),
//  5. a new person's id is stored already (ErrConflict, "people/1/id"),
//  6. a tie names a person neither stored nor in the batch (ErrNotFound,
//     "ties/4/to"; the from end is checked first),
//  7. a recruit stored before the batch has another stored recruiter
//     (ErrConflict, "ties/9/from").
//
// Rules 1 to 4 are PlanBatch's, 5 to 7 CheckStored's.

// Arc is one tie of a planned batch between two people: a friendship in
// one direction, or a recruitment (From recruited To). At is the position
// of the tie in Batch.Ties.
type Arc struct {
	From, To ID
	Weight   float64 // friendships: the weight, normalised (0 became 1); recruitments: 1
	At       int32
}

// BatchPlan is a batch that PlanBatch found valid on its own, laid out in
// the order a store writes it.
type BatchPlan struct {
	// Batch is the batch as given; errors name positions in it.
	Batch Batch
	// Order lists the positions in Batch.People sorted by id.
	Order []int32
	// IDs holds the ids of the batch's people, ascending
	// (IDs[k] = Batch.People[Order[k]].ID).
	IDs IDSet
	// Friends lists every friendship of the batch once in each direction,
	// sorted by (From, To): the order of an adjacency list. A friendship
	// given several times (in either order) appears with the weight of its
	// last occurrence, and At is that occurrence.
	Friends []Arc
	// Recruits lists every recruitment once, sorted by recruit (To); At is
	// its first occurrence.
	Recruits []Arc
	// Outside lists, ascending, the ids that ties name and the batch does
	// not create: they must be stored already.
	Outside []ID
}

// maxBatchEntries bounds the people and the ties of a batch: positions
// are kept in int32.
const maxBatchEntries = 1<<31 - 1

// PlanBatch checks the batch on its own (rules 1 to 4 above) and lays it
// out: people sorted by id, friendships in both directions sorted and
// deduplicated (the last weight wins), recruitments deduplicated. Its
// errors are *ValidationError values naming the offending entry. It sorts
// instead of using maps keyed by id or tie: a million people with five
// million friendships are planned in about a second.
func PlanBatch(b Batch) (*BatchPlan, error) {
	if len(b.People) > maxBatchEntries || len(b.Ties) > maxBatchEntries {
		return nil, Invalid("", "batch too large")
	}
	p := &BatchPlan{Batch: b}
	// 1. People on their own.
	for i := range b.People {
		if err := b.People[i].Validate(); err != nil {
			return nil, Under(fmt.Sprintf("people/%d", i), err)
		}
	}
	// 2. Ids once. The sort is stable, so a run of one id lists its
	// positions in batch order.
	p.Order = make([]int32, len(b.People))
	for i := range p.Order {
		p.Order[i] = int32(i)
	}
	if !slices.IsSortedFunc(b.People, func(x, y Person) int { return cmp.Compare(x.ID, y.ID) }) {
		slices.SortStableFunc(p.Order, func(x, y int32) int { return cmp.Compare(b.People[x].ID, b.People[y].ID) })
	}
	ids := make([]ID, len(p.Order))
	dup, first := int32(-1), int32(-1)
	for k, j := range p.Order {
		ids[k] = b.People[j].ID
		if k > 0 && ids[k] == ids[k-1] && (k < 2 || ids[k-2] != ids[k]) && (dup < 0 || j < dup) {
			dup, first = j, p.Order[k-1]
		}
	}
	if dup >= 0 {
		return nil, &ValidationError{
			Field:  fmt.Sprintf("people/%d/id", dup),
			Reason: fmt.Sprintf("id %d appears twice in the batch (also people/%d)", b.People[dup].ID, first),
			Kind:   ErrConflict,
		}
	}
	p.IDs = IDSet(ids)

	// 3. Ties on their own, split by kind.
	nfriends := 0
	for i := range b.Ties {
		if b.Ties[i].Kind == Friend {
			nfriends++
		}
	}
	friends := make([]Arc, 0, 2*nfriends)
	var recruits []Arc
	for i, t := range b.Ties {
		if err := t.Validate(); err != nil {
			return nil, Under(fmt.Sprintf("ties/%d", i), err)
		}
		t = t.Normalize()
		if t.Kind == Friend {
			friends = append(friends, Arc{t.From, t.To, t.Weight, int32(i)}, Arc{t.To, t.From, t.Weight, int32(i)})
		} else {
			recruits = append(recruits, Arc{t.From, t.To, 1, int32(i)})
		}
	}
	p.Friends = dedupeLast(sortArcs(friends))

	// 4. One recruiter per recruit. Sorted by (recruit, position), the
	// first entry of a run is the recruit's first recruiter.
	slices.SortFunc(recruits, func(x, y Arc) int { return cmp.Or(cmp.Compare(x.To, y.To), cmp.Compare(x.At, y.At)) })
	conflict, by := -1, -1
	for k, run := 1, 0; k < len(recruits); k++ {
		if recruits[k].To != recruits[k-1].To {
			run = k
			continue
		}
		if recruits[k].From != recruits[run].From && (conflict < 0 || recruits[k].At < recruits[conflict].At) {
			conflict, by = k, run
		}
	}
	if conflict >= 0 {
		r := recruits[conflict]
		return nil, &ValidationError{
			Field:  fmt.Sprintf("ties/%d/from", r.At),
			Reason: fmt.Sprintf("person %d is recruited by both %d and %d in the batch", r.To, recruits[by].From, r.From),
			Kind:   ErrConflict,
		}
	}
	p.Recruits = slices.CompactFunc(recruits, func(x, y Arc) bool { return x.To == y.To })

	// The ids the ties name that the batch does not create. Each
	// friendship once (its mirror names the same people).
	for _, a := range p.Friends {
		if a.From < a.To {
			p.Outside = p.appendOutside(p.Outside, a)
		}
	}
	for _, a := range p.Recruits {
		p.Outside = p.appendOutside(p.Outside, a)
	}
	slices.Sort(p.Outside)
	p.Outside = slices.Compact(p.Outside)
	return p, nil
}

// appendOutside appends the ends of a that the batch does not create.
func (p *BatchPlan) appendOutside(out []ID, a Arc) []ID {
	if !p.IDs.Has(a.From) {
		out = append(out, a.From)
	}
	if !p.IDs.Has(a.To) {
		out = append(out, a.To)
	}
	return out
}

// Stored is what CheckStored asks a store about what it holds before the
// batch.
type Stored struct {
	// Person reports whether a person with the id is stored. It is asked
	// about the batch's ids and Outside.
	Person func(ID) bool
	// Recruiter returns the stored recruiter of a stored person, if they
	// have one. It is asked about recruits the batch does not create.
	Recruiter func(ID) (ID, bool)
}

// CheckStored checks the plan against what a store holds (rules 5 to 7
// above) and returns the first error, nil if the batch can be written.
// It asks s about each id once on the way and, only when a rule is
// broken, about the entries again to name the first offending one. It
// returns ctx's error if ctx ends while it runs.
func (p *BatchPlan) CheckStored(ctx context.Context, s Stored) error {
	// 5. New ids are not stored.
	for k, id := range p.IDs {
		if err := checkCtx(ctx, k); err != nil {
			return err
		}
		if s.Person(id) {
			for i, q := range p.Batch.People {
				if s.Person(q.ID) {
					return &ValidationError{Field: fmt.Sprintf("people/%d/id", i), Reason: fmt.Sprintf("person %d already exists", q.ID), Kind: ErrConflict}
				}
			}
		}
	}
	// 6. Ties name people stored or in the batch.
	for k, id := range p.Outside {
		if err := checkCtx(ctx, k); err != nil {
			return err
		}
		if !s.Person(id) {
			return p.missing(s.Person)
		}
	}
	// 7. A recruit stored before keeps a stored recruiter.
	for k, r := range p.Recruits {
		if err := checkCtx(ctx, k); err != nil {
			return err
		}
		if p.IDs.Has(r.To) {
			continue
		}
		if by, ok := s.Recruiter(r.To); ok && by != r.From {
			return p.recruited(s.Recruiter)
		}
	}
	return nil
}

// missing returns the ErrNotFound error of the first tie in batch order
// with an end that is neither stored nor in the batch.
func (p *BatchPlan) missing(stored func(ID) bool) error {
	for i, t := range p.Batch.Ties {
		for _, end := range [...]struct {
			field string
			id    ID
		}{{"from", t.From}, {"to", t.To}} {
			if !p.IDs.Has(end.id) && !stored(end.id) {
				return &ValidationError{
					Field:  fmt.Sprintf("ties/%d/%s", i, end.field),
					Reason: fmt.Sprintf("person %d does not exist", end.id),
					Kind:   ErrNotFound,
				}
			}
		}
	}
	return nil
}

// recruited returns the ErrConflict error of the first recruitment in
// batch order whose recruit, stored before the batch, has another stored
// recruiter.
func (p *BatchPlan) recruited(recruiter func(ID) (ID, bool)) error {
	for i, t := range p.Batch.Ties {
		if t.Kind != Recruited || p.IDs.Has(t.To) {
			continue
		}
		if by, ok := recruiter(t.To); ok && by != t.From {
			return &ValidationError{
				Field:  fmt.Sprintf("ties/%d/from", i),
				Reason: fmt.Sprintf("person %d was already recruited by %d", t.To, by),
				Kind:   ErrConflict,
			}
		}
	}
	return nil
}

// checkCtx returns ctx's error on every 4096th call of a loop (k its
// iteration).
func checkCtx(ctx context.Context, k int) error {
	if k%4096 == 0 {
		return ctx.Err()
	}
	return nil
}

// IDSet is a set of ids held as a strictly ascending slice.
type IDSet []ID

// Has reports whether id is in the set.
func (s IDSet) Has(id ID) bool {
	_, ok := s.Index(id)
	return ok
}

// Index returns the position of id in the set (Position over it).
func (s IDSet) Index(id ID) (int, bool) {
	return Position(s, id)
}

// sortArcs returns the arcs sorted by (From, To, At). The arcs come in
// order of At. When the ids are dense enough (as when seeding ids 1..N)
// it counting-sorts by From into a new slice, which is stable, then sorts
// each person's few arcs by To with an insertion sort, which is stable
// too; otherwise it uses a comparison sort.
func sortArcs(arcs []Arc) []Arc {
	if len(arcs) < 2 {
		return arcs
	}
	lo, hi := arcs[0].From, arcs[0].From
	for _, a := range arcs {
		lo, hi = min(lo, a.From), max(hi, a.From)
	}
	span := uint64(hi) - uint64(lo)
	if span >= uint64(4*len(arcs)+1<<20) {
		slices.SortFunc(arcs, func(x, y Arc) int {
			return cmp.Or(cmp.Compare(x.From, y.From), cmp.Compare(x.To, y.To), cmp.Compare(x.At, y.At))
		})
		return arcs
	}
	start := make([]int, span+2)
	for _, a := range arcs {
		start[uint64(a.From-lo)+1]++
	}
	for k := 1; k < len(start); k++ {
		start[k] += start[k-1]
	}
	out := make([]Arc, len(arcs))
	next := start[:len(start)-1]
	for _, a := range arcs {
		k := uint64(a.From - lo)
		out[next[k]] = a
		next[k]++
	}
	// next[k] is now the end of bucket k, the start of bucket k+1.
	from := 0
	for _, end := range next {
		seg := out[from:end]
		if len(seg) > 32 {
			slices.SortStableFunc(seg, func(x, y Arc) int { return cmp.Compare(x.To, y.To) })
		} else {
			for a := 1; a < len(seg); a++ {
				for b := a; b > 0 && seg[b].To < seg[b-1].To; b-- {
					seg[b], seg[b-1] = seg[b-1], seg[b]
				}
			}
		}
		from = end
	}
	return out
}

// dedupeLast keeps, of each run of arcs with the same (From, To), the
// last one (the tie given last in the batch), in place.
func dedupeLast(arcs []Arc) []Arc {
	w := 0
	for k := range arcs {
		if k+1 < len(arcs) && arcs[k+1].From == arcs[k].From && arcs[k+1].To == arcs[k].To {
			continue
		}
		arcs[w] = arcs[k]
		w++
	}
	return arcs[:w]
}
