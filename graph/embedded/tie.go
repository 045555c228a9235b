package embedded

import (
	"context"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/socialscore/socialscore/graph"
)

// PutTie creates the tie, or updates the weight of an existing friendship,
// as graph.TieStore specifies: an error wrapping graph.ErrInvalid for a
// self-tie, unknown kind or bad weight, graph.ErrNotFound if either person
// does not exist, graph.ErrConflict if the recruit already has a different
// recruiter. Putting a recruitment that exists already changes nothing. A
// recruitment has no weight: its Weight is ignored and read back as 1.
func (s *Store) PutTie(ctx context.Context, tie graph.Tie) error {
	err := s.putTie(ctx, tie)
	if err != nil {
		return fmt.Errorf("embedded: put tie %s %d-%d: %w", tie.Kind, tie.From, tie.To, err)
	}
	return nil
}

func (s *Store) putTie(ctx context.Context, tie graph.Tie) error {
	if err := tie.Validate(); err != nil {
		return err
	}
	tie = tie.Normalize()
	return s.batch(ctx, func(t *tx) error {
		for _, id := range [...]graph.ID{tie.From, tie.To} {
			if t.people.Get(idKey(id)) == nil {
				return notFound(id)
			}
		}
		switch tie.Kind {
		case graph.Friend:
			fwd := pairKey(tie.From, tie.To)
			if !has(t.friends, fwd) {
				t.delta.friendships++
				if err := s.logTie(t, graph.TieAdded, tie, 0); err != nil {
					return err
				}
			} else if old := decodeWeight(t.friends.Get(fwd)); old != tie.Weight {
				if err := s.logTie(t, graph.TieReweighted, tie, old); err != nil {
					return err
				}
			}
			w := weightValue(tie.Weight)
			if err := t.friends.Put(fwd, w); err != nil {
				return err
			}
			return t.friends.Put(pairKey(tie.To, tie.From), w)
		default: // graph.Recruited
			if v := t.recruiter.Get(idKey(tie.To)); v != nil {
				if keyID(v) == tie.From {
					return nil
				}
				return fmt.Errorf("person %d was already recruited by %d: %w", tie.To, keyID(v), graph.ErrConflict)
			}
			t.delta.recruitments++
			if err := s.logTie(t, graph.TieAdded, graph.Tie{Kind: graph.Recruited, From: tie.From, To: tie.To, Weight: 1}, 0); err != nil {
				return err
			}
			if err := t.recruits.Put(pairKey(tie.From, tie.To), nil); err != nil {
				return err
			}
			return t.recruiter.Put(idKey(tie.To), idKey(tie.From))
		}
	})
}

// DeleteTie removes the tie of the kind between a and b (for a friendship
// in either order; for a recruitment a is the recruiter). It returns an
// error wrapping graph.ErrNotFound if there is none and graph.ErrInvalid
// for an unknown kind.
func (s *Store) DeleteTie(ctx context.Context, kind graph.TieKind, a, b graph.ID) error {
	err := s.batch(ctx, func(t *tx) error {
		switch kind {
		case graph.Friend:
			fwd := pairKey(a, b)
			if !has(t.friends, fwd) {
				return graph.ErrNotFound
			}
			t.delta.friendships--
			removed := graph.Tie{Kind: graph.Friend, From: a, To: b, Weight: decodeWeight(t.friends.Get(fwd))}.Normalize()
			if err := s.logTie(t, graph.TieRemoved, removed, 0); err != nil {
				return err
			}
			if err := t.friends.Delete(fwd); err != nil {
				return err
			}
			return t.friends.Delete(pairKey(b, a))
		case graph.Recruited:
			key := pairKey(a, b)
			if !has(t.recruits, key) {
				return graph.ErrNotFound
			}
			t.delta.recruitments--
			if err := s.logTie(t, graph.TieRemoved, graph.Tie{Kind: graph.Recruited, From: a, To: b, Weight: 1}, 0); err != nil {
				return err
			}
			if err := t.recruits.Delete(key); err != nil {
				return err
			}
			return t.recruiter.Delete(idKey(b))
		}
		return graph.Invalid("kind", "unknown tie kind %d", kind)
	})
	if err != nil {
		return fmt.Errorf("embedded: delete tie %s %d-%d: %w", kind, a, b, err)
	}
	return nil
}

// Ties returns every tie the person is part of, friendships normalised
// (smaller id in From), ordered by kind, then From, then To. Ties to people
// who have not consented are included. It returns an error wrapping
// graph.ErrNotFound if the person does not exist.
func (s *Store) Ties(ctx context.Context, id graph.ID) ([]graph.Tie, error) {
	var ties []graph.Tie
	err := s.view(ctx, func(t *tx) (err error) {
		ties, err = t.ties(id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("embedded: ties of %d: %w", id, err)
	}
	return ties, nil
}

// ties returns the person's ties as Ties does, or graph.ErrNotFound.
func (t *tx) ties(id graph.ID) ([]graph.Tie, error) {
	key := idKey(id)
	if t.people.Get(key) == nil {
		return nil, graph.ErrNotFound
	}
	ties := []graph.Tie{}
	c := t.friends.Cursor()
	for k, v := c.Seek(key); k != nil && keyID(k) == id; k, v = c.Next() {
		ties = append(ties, graph.Tie{Kind: graph.Friend, From: id, To: keyID(k[8:]), Weight: decodeWeight(v)}.Normalize())
	}
	for _, r := range prefixIDs(t.recruits, id) {
		ties = append(ties, graph.Tie{Kind: graph.Recruited, From: id, To: r, Weight: 1})
	}
	if v := t.recruiter.Get(key); v != nil {
		ties = append(ties, graph.Tie{Kind: graph.Recruited, From: keyID(v), To: id, Weight: 1})
	}
	// Friendships come out of the scan already in order (neighbours
	// ascending); the recruiter may sort anywhere among the recruits.
	slices.SortFunc(ties, compareTies)
	return ties, nil
}

// compareTies orders ties by kind, then From, then To.
func compareTies(x, y graph.Tie) int {
	switch {
	case x.Kind != y.Kind:
		return int(x.Kind) - int(y.Kind)
	case x.From != y.From:
		if x.From < y.From {
			return -1
		}
		return 1
	case x.To < y.To:
		return -1
	case x.To > y.To:
		return 1
	}
	return 0
}

// prefixIDs returns the b of every key id|b in the bucket, ascending.
func prefixIDs(b *bolt.Bucket, id graph.ID) []graph.ID {
	var out []graph.ID
	c := b.Cursor()
	for k, _ := c.Seek(idKey(id)); k != nil && keyID(k) == id; k, _ = c.Next() {
		out = append(out, keyID(k[8:]))
	}
	return out
}
