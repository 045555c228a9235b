package neo4j

import (
	"context"
	"fmt"
	"time"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/socialscore/socialscore/graph"
)

// personFields is the projection every person read returns, in the order
// decodePerson expects. The variable must be named p.
const personFields = `p.id, p.consent, p.provided, p.verified,
	p.purchase_total, p.purchase_count,
	p.bills_on_time, p.bills_late, p.bill_days_late,
	p.credit_on_time, p.credit_late, p.credit_days_late,
	p.defaults, p.default_amount, p.last_event_at,
	p.created_at, p.updated_at`

// decodePerson turns the values of a personFields projection into a
// person.
func decodePerson(v []any) (graph.Person, error) {
	if len(v) < 17 {
		return graph.Person{}, fmt.Errorf("person row has %d values, want 17", len(v))
	}
	p := graph.Person{
		ID:      graph.ID(asInt(v[0])),
		Consent: asBool(v[1]),
		Profile: graph.Profile{
			Provided: graph.FieldSet(asInt(v[2])),
			Verified: graph.FieldSet(asInt(v[3])),
		},
		Record: graph.Record{
			PurchaseTotal:  asFloat(v[4]),
			PurchaseCount:  asInt(v[5]),
			BillsOnTime:    asInt(v[6]),
			BillsLate:      asInt(v[7]),
			BillDaysLate:   asInt(v[8]),
			CreditOnTime:   asInt(v[9]),
			CreditLate:     asInt(v[10]),
			CreditDaysLate: asInt(v[11]),
			Defaults:       asInt(v[12]),
			DefaultAmount:  asFloat(v[13]),
			LastEventAt:    asTime(v[14]),
		},
		CreatedAt: asTime(v[15]),
		UpdatedAt: asTime(v[16]),
	}
	if p.ID <= 0 {
		return graph.Person{}, fmt.Errorf("person row has id %v", v[0])
	}
	return p, nil
}

// recordProps returns the properties that hold a record. A zero
// LastEventAt is null, which removes the property when used with SET +=.
func recordProps(r *graph.Record, m map[string]any) map[string]any {
	if m == nil {
		m = make(map[string]any, 16)
	}
	m["purchase_total"] = r.PurchaseTotal
	m["purchase_count"] = r.PurchaseCount
	m["bills_on_time"] = r.BillsOnTime
	m["bills_late"] = r.BillsLate
	m["bill_days_late"] = r.BillDaysLate
	m["credit_on_time"] = r.CreditOnTime
	m["credit_late"] = r.CreditLate
	m["credit_days_late"] = r.CreditDaysLate
	m["defaults"] = r.Defaults
	m["default_amount"] = r.DefaultAmount
	m["last_event_at"] = timeValue(r.LastEventAt)
	return m
}

// newPersonProps returns every property of a person being created; the
// times are left out when now is zero.
func newPersonProps(p *graph.Person, now time.Time) map[string]any {
	m := make(map[string]any, 17)
	m["id"] = int64(p.ID)
	m["consent"] = p.Consent
	m["provided"] = int64(p.Profile.Provided)
	m["verified"] = int64(p.Profile.Verified)
	recordProps(&p.Record, m)
	if m["last_event_at"] == nil {
		delete(m, "last_event_at")
	}
	if !now.IsZero() {
		m["created_at"] = now
		m["updated_at"] = now
	}
	return m
}

// PutPerson creates the person or replaces their consent and profile,
// keeping the record of an existing person. Withdrawn consent erases the
// person's scores in the same transaction.
func (s *Store) PutPerson(ctx context.Context, p graph.Person) (bool, error) {
	if err := p.Validate(); err != nil {
		return false, fmt.Errorf("neo4j: put person %d: %w", p.ID, err)
	}
	now := s.now()
	// The MERGE is atomic under the uniqueness constraint. ON CREATE
	// writes the whole person; an existing person always has updated_at,
	// which tells the two cases apart before it is overwritten.
	const q = `
MERGE (p:Person {id: $id})
ON CREATE SET p += $props
WITH p, p.updated_at IS NULL AS created
SET p.consent = $consent, p.provided = $provided, p.verified = $verified, p.updated_at = $now
RETURN created`
	props := newPersonProps(&p, now)
	delete(props, "updated_at")
	v, err := s.writeGen(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		rec, err := single(ctx, tx, q, map[string]any{
			"id": int64(p.ID), "props": props, "consent": p.Consent,
			"provided": int64(p.Profile.Provided), "verified": int64(p.Profile.Verified), "now": now,
		})
		if err != nil {
			return nil, err
		}
		created := asBool(rec.Values[0])
		if !p.Consent && !created {
			if err := eraseScores(ctx, tx, p.ID); err != nil {
				return nil, err
			}
		}
		return created, nil
	})
	if err != nil {
		return false, s.wrap(ctx, fmt.Sprintf("put person %d", p.ID), err)
	}
	return v.(bool), nil
}

// Person returns the person with the id, consenting or not.
func (s *Store) Person(ctx context.Context, id graph.ID) (graph.Person, error) {
	v, err := s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		return readPerson(ctx, tx, id)
	})
	if err != nil {
		return graph.Person{}, s.wrap(ctx, fmt.Sprintf("person %d", id), err)
	}
	return v.(graph.Person), nil
}

func readPerson(ctx context.Context, tx drv.ManagedTransaction, id graph.ID) (graph.Person, error) {
	rec, err := optional(ctx, tx, `MATCH (p:Person {id: $id}) RETURN `+personFields, map[string]any{"id": int64(id)})
	if err != nil {
		return graph.Person{}, err
	}
	if rec == nil {
		return graph.Person{}, graph.ErrNotFound
	}
	return decodePerson(rec.Values)
}

// DeletePerson erases the person, their ties and their scores in one
// transaction.
func (s *Store) DeletePerson(ctx context.Context, id graph.ID) error {
	_, err := s.writeGen(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		// Erase first: eraseScores takes the score lock, which orders this
		// transaction against SaveRun's check that its people exist.
		if err := eraseScores(ctx, tx, id); err != nil {
			return nil, err
		}
		if err := eraseEvents(ctx, tx, id); err != nil {
			return nil, err
		}
		if err := eraseTieLog(ctx, tx, id); err != nil {
			return nil, err
		}
		rec, err := single(ctx, tx, `
OPTIONAL MATCH (p:Person {id: $id})
DETACH DELETE p
RETURN count(p)`, map[string]any{"id": int64(id)})
		if err != nil {
			return nil, err
		}
		if asInt(rec.Values[0]) == 0 {
			return nil, graph.ErrNotFound
		}
		return nil, nil
	})
	return s.wrap(ctx, fmt.Sprintf("delete person %d", id), err)
}

// UpdateRecord applies fn to the person's record under a write lock on the
// person and stores the result. The driver may retry the transaction on a
// transient error, calling fn again on the freshly read record.
func (s *Store) UpdateRecord(ctx context.Context, id graph.ID, fn func(*graph.Record) error) (graph.Person, error) {
	v, err := s.writeGen(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		// Writing a property takes the node's write lock before reading,
		// so concurrent updates of one person serialise.
		rec, err := optional(ctx, tx, `
MATCH (p:Person {id: $id})
SET p._lock = true
REMOVE p._lock
RETURN `+personFields, map[string]any{"id": int64(id)})
		if err != nil {
			return nil, err
		}
		if rec == nil {
			return nil, graph.ErrNotFound
		}
		p, err := decodePerson(rec.Values)
		if err != nil {
			return nil, err
		}
		r := p.Record
		if err := fn(&r); err != nil {
			return nil, callerError{err}
		}
		if err := r.Validate(); err != nil {
			return nil, err
		}
		if err := rebaseOpening(ctx, tx, id, p.Record, &r); err != nil {
			return nil, err
		}
		now := s.now()
		if err := execTx(ctx, tx, `MATCH (p:Person {id: $id}) SET p += $rec, p.updated_at = $now`,
			map[string]any{"id": int64(id), "rec": recordProps(&r, nil), "now": now}); err != nil {
			return nil, err
		}
		p.Record = r
		p.UpdatedAt = now
		return p, nil
	})
	if ce, ok := err.(callerError); ok {
		return graph.Person{}, ce.err
	}
	if err != nil {
		return graph.Person{}, s.wrap(ctx, fmt.Sprintf("update record %d", id), err)
	}
	return v.(graph.Person), nil
}

// callerError carries an error returned by a caller's function through a
// managed transaction so that it is returned unchanged.
type callerError struct{ err error }

func (e callerError) Error() string { return e.err.Error() }
func (e callerError) Unwrap() error { return e.err }

// now returns the clock's time in UTC, truncated to what Neo4j keeps.
func (s *Store) now() time.Time { return s.cfg.Clock().UTC().Round(0) }
