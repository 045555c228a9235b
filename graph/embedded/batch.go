package embedded

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/socialscore/socialscore/graph"
)

// ApplyBatch creates the batch's people and creates or updates its ties in
// one write transaction, all-or-nothing, as graph.BatchWriter specifies.
// Everything is checked before anything is written: an invalid person or
// tie fails the batch with an error wrapping graph.ErrInvalid, an id that
// exists already or appears twice, or a recruit given two recruiters (in
// the batch, or one in the batch and another stored), with
// graph.ErrConflict, and a tie naming a person who is neither stored nor
// in the batch with graph.ErrNotFound. Such errors are *graph.ValidationError
// values whose Field names the offending entry, e.g. "ties/12/to". A
// friendship given twice takes the weight of its last occurrence.
//
// Keys are inserted in sorted order and, when the batch's ids all sort
// after the stored ones (a bulk load), pages are filled completely; a
// million people with five million friendships load in one transaction.
func (s *Store) ApplyBatch(ctx context.Context, b graph.Batch) error {
	if err := s.applyBatch(ctx, b); err != nil {
		return fmt.Errorf("embedded: apply batch: %w", err)
	}
	return nil
}

// dedge is one direction of a tie in a batch: its people, its weight
// (friendships) and the index of the tie in the batch.
type dedge struct {
	u, v graph.ID
	w    float64
	i    int32
}

func (s *Store) applyBatch(ctx context.Context, b graph.Batch) error {
	if len(b.People) == 0 && len(b.Ties) == 0 {
		return s.ready(ctx)
	}
	if len(b.People) > 1<<31-1 || len(b.Ties) > 1<<31-1 {
		return graph.Invalid("", "batch too large")
	}
	// Check the people on their own, and sort their ids.
	for i := range b.People {
		if err := b.People[i].Validate(); err != nil {
			return prefixField(fmt.Sprintf("people/%d", i), err)
		}
	}
	order := make([]int32, len(b.People))
	for i := range order {
		order[i] = int32(i)
	}
	if !slices.IsSortedFunc(b.People, func(x, y graph.Person) int { return cmp.Compare(x.ID, y.ID) }) {
		slices.SortStableFunc(order, func(x, y int32) int { return cmp.Compare(b.People[x].ID, b.People[y].ID) })
	}
	ids := make([]graph.ID, len(order))
	for i, j := range order {
		ids[i] = b.People[j].ID
		if i > 0 && ids[i] == ids[i-1] {
			return &graph.ValidationError{Field: fmt.Sprintf("people/%d/id", j), Reason: fmt.Sprintf("id %d appears twice in the batch", ids[i]), Kind: graph.ErrConflict}
		}
	}
	batch := idSet{ids}

	// Check the ties on their own and split them by kind.
	var edges []dedge
	var recruits []dedge // u recruited v
	nfriends := 0
	for i := range b.Ties {
		if b.Ties[i].Kind == graph.Friend {
			nfriends++
		}
	}
	edges = make([]dedge, 0, 2*nfriends)
	for i, tie := range b.Ties {
		if err := tie.Validate(); err != nil {
			return prefixField(fmt.Sprintf("ties/%d", i), err)
		}
		tie = tie.Normalize()
		if tie.Kind == graph.Friend {
			edges = append(edges, dedge{tie.From, tie.To, tie.Weight, int32(i)}, dedge{tie.To, tie.From, tie.Weight, int32(i)})
		} else {
			recruits = append(recruits, dedge{tie.From, tie.To, 1, int32(i)})
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Friendships in key order; of duplicates the last one in the batch
	// wins.
	edges = sortEdges(edges)
	edges = dedupeLast(edges)
	// Recruitments in recruit order, to find recruits with two recruiters.
	slices.SortFunc(recruits, func(x, y dedge) int {
		return cmp.Or(cmp.Compare(x.v, y.v), cmp.Compare(x.i, y.i))
	})
	for k := 1; k < len(recruits); k++ {
		if recruits[k].v == recruits[k-1].v && recruits[k].u != recruits[k-1].u {
			return &graph.ValidationError{
				Field:  fmt.Sprintf("ties/%d/from", recruits[k].i),
				Reason: fmt.Sprintf("person %d is given two recruiters, %d and %d", recruits[k].v, recruits[k-1].u, recruits[k].u),
				Kind:   graph.ErrConflict,
			}
		}
	}
	recruits = slices.CompactFunc(recruits, func(x, y dedge) bool { return x.v == y.v })

	return s.update(ctx, func(t *tx) error {
		now := s.clock()
		// New ids must not exist. When every new id sorts after the last
		// stored one (a bulk load) there is nothing to look up.
		pc := t.people.Cursor()
		last, _ := pc.Last()
		appending := len(ids) > 0 && (last == nil || ids[0] > keyID(last))
		if !appending {
			for i, id := range ids {
				if err := t.checkCtx(i); err != nil {
					return err
				}
				if k, _ := pc.Seek(idKey(id)); k != nil && keyID(k) == id {
					return &graph.ValidationError{Field: fmt.Sprintf("people/%d/id", order[i]), Reason: fmt.Sprintf("person %d already exists", id), Kind: graph.ErrConflict}
				}
			}
		}
		// Every tie must name people stored or in the batch.
		exists := func(id graph.ID) bool { return batch.has(id) || t.people.Get(idKey(id)) != nil }
		for k := range edges {
			if err := t.checkCtx(k); err != nil {
				return err
			}
			// Each pair once (its mirror names the same people), and the
			// common case, both people in the batch, without a call.
			if e := &edges[k]; e.u < e.v && !(batch.has(e.u) && batch.has(e.v)) {
				if err := tieEnds(b.Ties[e.i], int(e.i), exists); err != nil {
					return err
				}
			}
		}
		for _, r := range recruits {
			if err := tieEnds(b.Ties[r.i], int(r.i), exists); err != nil {
				return err
			}
		}
		// A stored recruiter of a stored recruit must be the same.
		newRecruits := recruits[:0:0]
		for _, r := range recruits {
			if !batch.has(r.v) {
				if v := t.recruiter.Get(idKey(r.v)); v != nil {
					if keyID(v) != r.u {
						return &graph.ValidationError{
							Field:  fmt.Sprintf("ties/%d/from", r.i),
							Reason: fmt.Sprintf("person %d was already recruited by %d", r.v, keyID(v)),
							Kind:   graph.ErrConflict,
						}
					}
					continue // stored already
				}
			}
			newRecruits = append(newRecruits, r)
		}

		// Everything checked: write.
		if appending {
			t.people.FillPercent = 1
			t.friends.FillPercent = 1
		}
		var slab []byte
		for i, j := range order {
			if err := t.checkCtx(i); err != nil {
				return err
			}
			p := &b.People[j]
			np := graph.Person{ID: p.ID, Consent: p.Consent, Profile: p.Profile, Record: p.Record, CreatedAt: now, UpdatedAt: now}
			if cap(slab)-len(slab) < personMax {
				slab = make([]byte, 0, 1<<20)
			}
			start := len(slab)
			slab = appendPerson(slab, &np)
			// bbolt keeps the value until commit; the slab is never
			// written again below start+len.
			if err := t.people.Put(idKey(p.ID), slab[start:len(slab):len(slab)]); err != nil {
				return err
			}
			if p.Consent {
				t.delta.consenting++
			}
		}
		t.delta.people += int64(len(order))

		var key [16]byte // Put copies the key
		for k, e := range edges {
			if err := t.checkCtx(k); err != nil {
				return err
			}
			binary.BigEndian.PutUint64(key[:8], uint64(e.u))
			binary.BigEndian.PutUint64(key[8:], uint64(e.v))
			if e.u < e.v && (batch.has(e.u) || batch.has(e.v) || !has(t.friends, key[:])) {
				t.delta.friendships++
			}
			if err := t.friends.Put(key[:], weightValue(e.w)); err != nil {
				return err
			}
		}
		edges = nil // let the collector have them during the commit

		slices.SortFunc(newRecruits, func(x, y dedge) int { return cmp.Or(cmp.Compare(x.u, y.u), cmp.Compare(x.v, y.v)) })
		for _, r := range newRecruits {
			copy(key[:], pairKey(r.u, r.v))
			if err := t.recruits.Put(key[:], nil); err != nil {
				return err
			}
		}
		slices.SortFunc(newRecruits, func(x, y dedge) int { return cmp.Compare(x.v, y.v) })
		for _, r := range newRecruits {
			if err := t.recruiter.Put(idKey(r.v), idKey(r.u)); err != nil {
				return err
			}
		}
		t.delta.recruitments += int64(len(newRecruits))
		return nil
	})
}

// tieEnds checks that both people of the batch's i-th tie exist.
func tieEnds(tie graph.Tie, i int, exists func(graph.ID) bool) error {
	for _, end := range [...]struct {
		field string
		id    graph.ID
	}{{"from", tie.From}, {"to", tie.To}} {
		if !exists(end.id) {
			return &graph.ValidationError{
				Field:  fmt.Sprintf("ties/%d/%s", i, end.field),
				Reason: fmt.Sprintf("person %d does not exist", end.id),
				Kind:   graph.ErrNotFound,
			}
		}
	}
	return nil
}

// sortEdges returns the edges sorted by (u, v, i). The edges come in
// order of i. When the ids are dense enough (as when seeding ids 1..N) it
// counting-sorts by u into a new slice, which is stable, then sorts each
// person's few edges by v with an insertion sort, which is stable too;
// otherwise it uses a comparison sort.
func sortEdges(edges []dedge) []dedge {
	if len(edges) < 2 {
		return edges
	}
	lo, hi := edges[0].u, edges[0].u
	for _, e := range edges {
		lo, hi = min(lo, e.u), max(hi, e.u)
	}
	span := uint64(hi) - uint64(lo)
	if span >= uint64(4*len(edges)+1<<20) {
		slices.SortFunc(edges, func(x, y dedge) int {
			return cmp.Or(cmp.Compare(x.u, y.u), cmp.Compare(x.v, y.v), cmp.Compare(x.i, y.i))
		})
		return edges
	}
	start := make([]int, span+2)
	for _, e := range edges {
		start[uint64(e.u-lo)+1]++
	}
	for k := 1; k < len(start); k++ {
		start[k] += start[k-1]
	}
	out := make([]dedge, len(edges))
	next := start[:len(start)-1]
	for _, e := range edges {
		k := uint64(e.u - lo)
		out[next[k]] = e
		next[k]++
	}
	// next[k] is now the end of bucket k, the start of bucket k+1.
	from := 0
	for _, end := range next {
		seg := out[from:end]
		if len(seg) > 32 {
			slices.SortStableFunc(seg, func(x, y dedge) int { return cmp.Compare(x.v, y.v) })
		} else {
			for a := 1; a < len(seg); a++ {
				for b := a; b > 0 && seg[b].v < seg[b-1].v; b-- {
					seg[b], seg[b-1] = seg[b-1], seg[b]
				}
			}
		}
		from = end
	}
	return out
}

// dedupeLast keeps, of each run of edges with the same (u, v), the last
// one (the tie given last in the batch), in place.
func dedupeLast(edges []dedge) []dedge {
	w := 0
	for k := range edges {
		if k+1 < len(edges) && edges[k+1].u == edges[k].u && edges[k+1].v == edges[k].v {
			continue
		}
		edges[w] = edges[k]
		w++
	}
	return edges[:w]
}

// prefixField returns err with the batch entry prefixed to the field of a
// *graph.ValidationError, or wrapped with it otherwise.
func prefixField(prefix string, err error) error {
	var ve *graph.ValidationError
	if errors.As(err, &ve) {
		c := *ve
		c.Field = prefix + "/" + c.Field
		return &c
	}
	return fmt.Errorf("%s: %w", prefix, err)
}

// idSet is a sorted set of ids with a fast path for dense ranges.
type idSet struct{ ids []graph.ID }

func (s idSet) has(id graph.ID) bool {
	n := len(s.ids)
	if n == 0 {
		return false
	}
	if off := int64(id) - int64(s.ids[0]); off >= 0 && off < int64(n) && s.ids[off] == id {
		return true
	}
	if int64(s.ids[n-1])-int64(s.ids[0]) == int64(n-1) {
		return false // dense: the fast path was exact
	}
	i := sort.Search(n, func(i int) bool { return s.ids[i] >= id })
	return i < n && s.ids[i] == id
}
