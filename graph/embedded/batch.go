package embedded

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"slices"

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
// values whose Field names the offending entry, e.g. "ties/12/to", the
// same for every store: graph.PlanBatch and graph.BatchPlan.CheckStored
// make them. A friendship given twice takes the weight of its last
// occurrence.
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

func (s *Store) applyBatch(ctx context.Context, b graph.Batch) error {
	if len(b.People) == 0 && len(b.Ties) == 0 {
		return s.ready(ctx)
	}
	p, err := graph.PlanBatch(b)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.update(ctx, func(t *tx) error {
		now := s.clock()
		// When every new id sorts after the last stored one (a bulk load)
		// there is nothing to look up for them: no id above the last
		// stored one is stored.
		pc := t.people.Cursor()
		lastKey, _ := pc.Last()
		var last graph.ID
		if lastKey != nil {
			last = keyID(lastKey)
		}
		appending := len(p.IDs) > 0 && p.IDs[0] > last
		err := p.CheckStored(t.ctx, graph.Stored{
			Person: func(id graph.ID) bool { return id <= last && t.people.Get(idKey(id)) != nil },
			Recruiter: func(id graph.ID) (graph.ID, bool) {
				if v := t.recruiter.Get(idKey(id)); v != nil {
					return keyID(v), true
				}
				return 0, false
			},
		})
		if err != nil {
			return err
		}
		// Recruitments not stored yet (a recruit stored before the batch
		// may have this very recruiter stored).
		newRecruits := make([]graph.Arc, 0, len(p.Recruits))
		for _, r := range p.Recruits {
			if !p.IDs.Has(r.To) && t.recruiter.Get(idKey(r.To)) != nil {
				continue // stored already: CheckStored found it the same
			}
			newRecruits = append(newRecruits, r)
		}

		// Everything checked: write.
		if appending {
			t.people.FillPercent = 1
			t.friends.FillPercent = 1
		}
		var slab []byte
		for i, j := range p.Order {
			if err := t.checkCtx(i); err != nil {
				return err
			}
			q := &b.People[j]
			np := graph.Person{ID: q.ID, Consent: q.Consent, Profile: q.Profile, Record: q.Record, CreatedAt: now, UpdatedAt: now}
			if cap(slab)-len(slab) < personMax {
				slab = make([]byte, 0, 1<<20)
			}
			start := len(slab)
			slab = appendPerson(slab, &np)
			// bbolt keeps the value until commit; the slab is never
			// written again below start+len.
			if err := t.people.Put(idKey(q.ID), slab[start:len(slab):len(slab)]); err != nil {
				return err
			}
			if q.Consent {
				t.delta.consenting++
			}
		}
		t.delta.people += int64(len(p.Order))

		var key [16]byte // Put copies the key
		for k, e := range p.Friends {
			if err := t.checkCtx(k); err != nil {
				return err
			}
			binary.BigEndian.PutUint64(key[:8], uint64(e.From))
			binary.BigEndian.PutUint64(key[8:], uint64(e.To))
			if e.From < e.To && (p.IDs.Has(e.From) || p.IDs.Has(e.To) || !has(t.friends, key[:])) {
				t.delta.friendships++
			}
			if err := t.friends.Put(key[:], weightValue(e.Weight)); err != nil {
				return err
			}
		}
		p.Friends = nil // let the collector have them during the commit

		slices.SortFunc(newRecruits, func(x, y graph.Arc) int { return cmp.Or(cmp.Compare(x.From, y.From), cmp.Compare(x.To, y.To)) })
		for _, r := range newRecruits {
			copy(key[:], pairKey(r.From, r.To))
			if err := t.recruits.Put(key[:], nil); err != nil {
				return err
			}
		}
		slices.SortFunc(newRecruits, func(x, y graph.Arc) int { return cmp.Compare(x.To, y.To) })
		for _, r := range newRecruits {
			if err := t.recruiter.Put(idKey(r.To), idKey(r.From)); err != nil {
				return err
			}
		}
		t.delta.recruitments += int64(len(newRecruits))
		return nil
	})
}
