package embedded

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/socialscore/socialscore/graph"
)

// FreshSnapshot returns the consenting people, the friendships and
// recruitments among them and their records and profiles as a CSR view,
// read from the store's records in one read transaction so it is
// consistent with some committed state; it neither reads nor writes the
// snapshot image (graph.FreshSnapshotReader). Writers are not blocked
// while it runs. It reads each friendship once (the a<b half of the
// friends bucket), passes on only ties between consenting people (so
// Weights is nil whenever every tie in the snapshot has weight 1) and
// builds with graph.SnapshotBuilder.
func (s *Store) FreshSnapshot(ctx context.Context) (*graph.Snapshot, error) {
	snap, gen, err := s.freshSnapshot(ctx)
	if err == nil {
		s.lastSnap.Store(&snapStamp{snap, gen})
	}
	return snap, err
}

// freshSnapshot is FreshSnapshot, also returning the generation of the
// state it read (read in the same transaction).
func (s *Store) freshSnapshot(ctx context.Context) (*graph.Snapshot, uint64, error) {
	var b graph.SnapshotBuilder
	var takenAt time.Time
	var gen uint64
	err := s.view(ctx, func(t *tx) error {
		takenAt = s.clock()
		gen = u64(t.meta.Get(keyGeneration))
		open, err := openDisputeCounts(t)
		if err != nil {
			return err
		}
		c := t.people.Cursor()
		i := 0
		var (
			p          graph.Person
			consenting []graph.ID // ascending: the cursor runs in id order
		)
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if err := t.checkCtx(i); err != nil {
				return err
			}
			i++
			if !personConsents(v) {
				continue
			}
			if err := decodePerson(keyID(k), v, &p); err != nil {
				return err
			}
			if n := open[p.ID]; n > 0 {
				b.AddDisputed(graph.DisputedRecord{ID: p.ID, Open: n, Record: p.Record})
				if p.Record, err = disputedRecord(t, p.ID); err != nil {
					return err
				}
			}
			b.AddPerson(p)
			consenting = append(consenting, p.ID)
		}
		in := newMembership(consenting)
		c = t.friends.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if err := t.checkCtx(i); err != nil {
				return err
			}
			i++
			a, z := keyID(k), keyID(k[8:])
			if a > z || !in.has(a) || !in.has(z) {
				continue // the mirror of z|a, or someone has not consented
			}
			b.AddTie(graph.Tie{Kind: graph.Friend, From: a, To: z, Weight: decodeWeight(v)})
		}
		c = t.recruits.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if a, z := keyID(k), keyID(k[8:]); in.has(a) && in.has(z) {
				b.AddTie(graph.Tie{Kind: graph.Recruited, From: a, To: z, Weight: 1})
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("embedded: snapshot: %w", err)
	}
	snap, err := b.Build(takenAt)
	if err != nil {
		return nil, 0, fmt.Errorf("embedded: snapshot: %w", err)
	}
	return snap, gen, nil
}

// membership is a set of ids: a bitmap over their range when that is
// compact, else the sorted ids.
type membership struct {
	lo   graph.ID
	bits []uint64
	ids  []graph.ID
}

// newMembership returns the set of the ascending ids.
func newMembership(ids []graph.ID) membership {
	if len(ids) == 0 {
		return membership{}
	}
	lo, hi := ids[0], ids[len(ids)-1]
	if span := uint64(hi - lo); span > uint64(64*len(ids)+1<<16) {
		return membership{ids: ids}
	}
	m := membership{lo: lo, bits: make([]uint64, uint64(hi-lo)/64+1)}
	for _, id := range ids {
		off := uint64(id - lo)
		m.bits[off/64] |= 1 << (off % 64)
	}
	return m
}

func (m membership) has(id graph.ID) bool {
	if m.bits != nil {
		off := uint64(id - m.lo) // wraps for id < lo
		return off/64 < uint64(len(m.bits)) && m.bits[off/64]&(1<<(off%64)) != 0
	}
	i := sort.Search(len(m.ids), func(i int) bool { return m.ids[i] >= id })
	return i < len(m.ids) && m.ids[i] == id
}
