package embedded

import (
	"context"
	"fmt"

	"github.com/socialscore/socialscore/graph"
)

// PutPerson creates the person or replaces their consent and profile, as
// graph.PersonStore specifies. The store sets CreatedAt when it creates the
// person and UpdatedAt on every change, from its clock; the times given in
// p are ignored. Withdrawing consent erases the person's results from every
// retained run in the same transaction.
func (s *Store) PutPerson(ctx context.Context, p graph.Person) (bool, error) {
	if err := p.Validate(); err != nil {
		return false, fmt.Errorf("embedded: put person %d: %w", p.ID, err)
	}
	var created bool
	err := s.update(ctx, func(t *tx) error {
		now := s.clock()
		key := idKey(p.ID)
		old := t.people.Get(key)
		if old == nil {
			created = true
			np := graph.Person{ID: p.ID, Consent: p.Consent, Profile: p.Profile, Record: p.Record, CreatedAt: now, UpdatedAt: now}
			t.delta.people++
			if p.Consent {
				t.delta.consenting++
			}
			return t.people.Put(key, encodePerson(&np))
		}
		var cur graph.Person
		if err := decodePerson(p.ID, old, &cur); err != nil {
			return err
		}
		if cur.Consent != p.Consent {
			if p.Consent {
				t.delta.consenting++
			} else {
				t.delta.consenting--
			}
		}
		if !p.Consent {
			if err := s.eraseScores(t, p.ID); err != nil {
				return err
			}
		}
		cur.Consent, cur.Profile, cur.UpdatedAt = p.Consent, p.Profile, now
		return t.people.Put(key, encodePerson(&cur))
	})
	if err != nil {
		return false, fmt.Errorf("embedded: put person %d: %w", p.ID, err)
	}
	return created, nil
}

// Person returns the person with the id, whether or not they consented, or
// an error wrapping graph.ErrNotFound.
func (s *Store) Person(ctx context.Context, id graph.ID) (graph.Person, error) {
	var p graph.Person
	err := s.view(ctx, func(t *tx) error {
		return t.person(id, &p)
	})
	if err != nil {
		return graph.Person{}, fmt.Errorf("embedded: person %d: %w", id, err)
	}
	return p, nil
}

// DeletePerson erases the person, every friendship and recruitment they
// are part of (in both directions) and their results in every retained
// run, in one transaction. It returns an error wrapping graph.ErrNotFound
// if there is no such person.
func (s *Store) DeletePerson(ctx context.Context, id graph.ID) error {
	err := s.update(ctx, func(t *tx) error {
		key := idKey(id)
		v := t.people.Get(key)
		if v == nil {
			return graph.ErrNotFound
		}
		if personConsents(v) {
			t.delta.consenting--
		}
		t.delta.people--
		if err := t.people.Delete(key); err != nil {
			return err
		}
		// Friendships: both directions are stored, so the person's are the
		// keys with prefix id; each has its mirror b|id.
		friends := prefixIDs(t.friends, id)
		for _, b := range friends {
			if err := t.friends.Delete(pairKey(id, b)); err != nil {
				return err
			}
			if err := t.friends.Delete(pairKey(b, id)); err != nil {
				return err
			}
		}
		t.delta.friendships -= int64(len(friends))
		// Recruits of the person.
		recruits := prefixIDs(t.recruits, id)
		for _, r := range recruits {
			if err := t.recruits.Delete(pairKey(id, r)); err != nil {
				return err
			}
			if err := t.recruiter.Delete(idKey(r)); err != nil {
				return err
			}
		}
		t.delta.recruitments -= int64(len(recruits))
		if err := eraseEvents(t, id); err != nil {
			return err
		}
		if err := eraseTieLog(t, id); err != nil {
			return err
		}
		// The person's own recruiter.
		if rv := t.recruiter.Get(key); rv != nil {
			if err := t.recruits.Delete(pairKey(keyID(rv), id)); err != nil {
				return err
			}
			if err := t.recruiter.Delete(key); err != nil {
				return err
			}
			t.delta.recruitments--
		}
		return s.eraseScores(t, id)
	})
	if err != nil {
		return fmt.Errorf("embedded: delete person %d: %w", id, err)
	}
	return nil
}

// UpdateRecord applies fn to the person's record and stores the result in
// one write transaction, as graph.PersonStore specifies. Writes are
// serialised, so concurrent updates are not lost. If fn returns an error
// nothing is stored and that error is returned unwrapped. If the record fn
// leaves breaks a rule (record.Validate), nothing is stored and an error
// wrapping graph.ErrInvalid is returned. fn runs while the store's write
// lock is held: it must not call the store.
func (s *Store) UpdateRecord(ctx context.Context, id graph.ID, fn func(*graph.Record) error) (graph.Person, error) {
	var (
		p     graph.Person
		fnErr error
	)
	err := s.update(ctx, func(t *tx) error {
		key := idKey(id)
		if err := t.person(id, &p); err != nil {
			return err
		}
		rec := p.Record
		if err := fn(&rec); err != nil {
			fnErr = err
			return err
		}
		if err := rec.Validate(); err != nil {
			return err
		}
		if err := rebaseOpening(t, id, p.Record, &rec); err != nil {
			return err
		}
		p.Record, p.UpdatedAt = rec, s.clock()
		return t.people.Put(key, encodePerson(&p))
	})
	if fnErr != nil {
		return graph.Person{}, fnErr
	}
	if err != nil {
		return graph.Person{}, fmt.Errorf("embedded: update record %d: %w", id, err)
	}
	return p, nil
}
