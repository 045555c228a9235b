package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/socialscore/socialscore/graph"
)

// Buckets of schema version 2 (events and disputes; see the package
// documentation).
var (
	bucketEvents         = []byte("events")          // person|event -> event
	bucketEventOwner     = []byte("event_owner")     // event -> person
	bucketOpening        = []byte("opening")         // person -> opening balance (record encoding)
	bucketDisputes       = []byte("disputes")        // dispute -> dispute
	bucketPersonDisputes = []byte("person_disputes") // person|dispute -> empty
	bucketOpenDisputes   = []byte("open_disputes")   // person|dispute -> empty, while open
)

// Event encoding, version 1:
//
//	[0]      version (1)
//	[1]      type: 1 purchase, 2 bill_payment, 3 credit_payment, 4 default
//	[2]      flags: disputed (1), removed (2)
//	[3:11]   amount, float64 bits big endian
//	then varint Unix seconds and uvarint nanoseconds of: At (purchase,
//	default) or Due and Paid (payments); then ArrivedAt; then the dispute
//	id as uvarint; then the provider as uvarint length and bytes.
const (
	eventV1       = 1
	flagDisputed  = 1 << 0
	flagRemoved   = 1 << 1
	eventFixedLen = 11
)

var eventTypeCodes = map[graph.EventType]byte{
	graph.EventPurchase: 1, graph.EventBillPayment: 2, graph.EventCreditPayment: 3, graph.EventDefault: 4,
}

var eventCodeTypes = [...]graph.EventType{1: graph.EventPurchase, 2: graph.EventBillPayment, 3: graph.EventCreditPayment, 4: graph.EventDefault}

func appendTime(dst []byte, t time.Time) []byte {
	dst = binary.AppendVarint(dst, t.Unix())
	return binary.AppendUvarint(dst, uint64(t.Nanosecond()))
}

func readTime(src []byte) (time.Time, []byte, bool) {
	sec, n := binary.Varint(src)
	if n <= 0 {
		return time.Time{}, nil, false
	}
	src = src[n:]
	nsec, n := binary.Uvarint(src)
	if n <= 0 || nsec >= 1e9 {
		return time.Time{}, nil, false
	}
	return time.Unix(sec, int64(nsec)).UTC(), src[n:], true
}

func encodeEvent(e *graph.StoredEvent) []byte {
	dst := make([]byte, 0, 64+len(e.Provider))
	var flags byte
	if e.Disputed {
		flags |= flagDisputed
	}
	if e.Removed {
		flags |= flagRemoved
	}
	dst = append(dst, eventV1, eventTypeCodes[e.Event.Type], flags)
	dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(e.Event.Amount))
	if e.Event.Type == graph.EventBillPayment || e.Event.Type == graph.EventCreditPayment {
		dst = appendTime(dst, e.Event.Due)
		dst = appendTime(dst, e.Event.Paid)
	} else {
		dst = appendTime(dst, e.Event.At)
	}
	dst = appendTime(dst, e.ArrivedAt)
	dst = binary.AppendUvarint(dst, uint64(e.Dispute))
	dst = binary.AppendUvarint(dst, uint64(len(e.Provider)))
	return append(dst, e.Provider...)
}

func decodeEvent(person graph.ID, id graph.EventID, v []byte) (graph.StoredEvent, error) {
	bad := fmt.Errorf("event %d: %w", id, errCorrupt)
	if len(v) < eventFixedLen || v[0] != eventV1 || v[1] == 0 || int(v[1]) >= len(eventCodeTypes) {
		return graph.StoredEvent{}, bad
	}
	e := graph.StoredEvent{ID: id, Person: person, Disputed: v[2]&flagDisputed != 0, Removed: v[2]&flagRemoved != 0}
	e.Event.Type = eventCodeTypes[v[1]]
	e.Event.Amount = math.Float64frombits(binary.BigEndian.Uint64(v[3:]))
	rest := v[eventFixedLen:]
	var times []*time.Time
	if e.Event.Type == graph.EventBillPayment || e.Event.Type == graph.EventCreditPayment {
		times = []*time.Time{&e.Event.Due, &e.Event.Paid, &e.ArrivedAt}
	} else {
		times = []*time.Time{&e.Event.At, &e.ArrivedAt}
	}
	for _, dst := range times {
		var ok bool
		if *dst, rest, ok = readTime(rest); !ok {
			return graph.StoredEvent{}, bad
		}
	}
	d, n := binary.Uvarint(rest)
	if n <= 0 {
		return graph.StoredEvent{}, bad
	}
	e.Dispute, rest = graph.DisputeID(d), rest[n:]
	l, n := binary.Uvarint(rest)
	if n <= 0 || l != uint64(len(rest)-n) {
		return graph.StoredEvent{}, bad
	}
	e.Provider = string(rest[n:])
	return e, nil
}

// encodeRecord encodes a record as a person value with nothing else set,
// so the opening balance shares the person codec.
func encodeRecord(r graph.Record) []byte { return encodePerson(&graph.Person{Record: r}) }

func decodeRecord(id graph.ID, v []byte) (graph.Record, error) {
	var p graph.Person
	err := decodePerson(id, v, &p)
	return p.Record, err
}

// eventKey returns person|event.
func eventKey(person graph.ID, id graph.EventID) []byte { return pairKey(person, graph.ID(id)) }

// AppendEvents keeps the events and adds them to the person's record in
// one write transaction, as graph.EventStore specifies. Each event costs
// two keys (the event under person|id, and id -> person); the first event
// of a person also stores their opening balance.
func (s *Store) AppendEvents(ctx context.Context, id graph.ID, provider string, events []graph.Event) (graph.Person, []graph.StoredEvent, error) {
	if err := graph.CheckProvider(provider); err != nil {
		return graph.Person{}, nil, fmt.Errorf("embedded: append events %d: %w", id, err)
	}
	var (
		p      graph.Person
		stored []graph.StoredEvent
	)
	err := s.batch(ctx, func(t *tx) error {
		now := s.clock()
		rec := graph.Record{}
		// Validate first: nothing is read or written for bad input.
		if err := rec.Apply(events, now); err != nil {
			return err
		}
		key := idKey(id)
		if err := t.person(id, &p); err != nil {
			return err
		}
		opening := t.Bucket(bucketOpening)
		if opening.Get(key) == nil {
			if err := opening.Put(key, encodeRecord(p.Record)); err != nil {
				return err
			}
		}
		if err := p.Record.Apply(events, now); err != nil {
			return err
		}
		if err := p.Record.Validate(); err != nil {
			return err
		}
		evb, owner := t.Bucket(bucketEvents), t.Bucket(bucketEventOwner)
		stored = make([]graph.StoredEvent, len(events))
		for i, e := range events {
			seq, err := owner.NextSequence()
			if err != nil {
				return err
			}
			stored[i] = graph.StoredEvent{ID: graph.EventID(seq), Person: id, Event: e, Provider: provider, ArrivedAt: now}
			if err := evb.Put(eventKey(id, stored[i].ID), encodeEvent(&stored[i])); err != nil {
				return err
			}
			if err := owner.Put(idKey(graph.ID(seq)), key); err != nil {
				return err
			}
		}
		p.UpdatedAt = now
		return t.people.Put(key, encodePerson(&p))
	})
	if err != nil {
		return graph.Person{}, nil, fmt.Errorf("embedded: append events %d: %w", id, err)
	}
	return p, stored, nil
}

// Events returns the person's opening balance and events, oldest first.
func (s *Store) Events(ctx context.Context, id graph.ID) ([]graph.StoredEvent, error) {
	var out []graph.StoredEvent
	err := s.view(ctx, func(t *tx) error {
		var err error
		out, err = personEvents(t, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("embedded: events %d: %w", id, err)
	}
	return out, nil
}

// personEvents reads the person's opening balance and events in t.
func personEvents(t *tx, id graph.ID) ([]graph.StoredEvent, error) {
	key := idKey(id)
	var p graph.Person
	if err := t.person(id, &p); err != nil {
		return nil, err
	}
	balance := p.Record
	if ov := t.Bucket(bucketOpening).Get(key); ov != nil {
		var err error
		if balance, err = decodeRecord(id, ov); err != nil {
			return nil, err
		}
	}
	out := []graph.StoredEvent{graph.OpeningBalance(id, balance, p.CreatedAt)}
	c := t.Bucket(bucketEvents).Cursor()
	for k, ev := c.Seek(key); k != nil && bytes.HasPrefix(k, key); k, ev = c.Next() {
		e, err := decodeEvent(id, graph.EventID(keyID(k[8:])), ev)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// Event returns one appended event.
func (s *Store) Event(ctx context.Context, id graph.EventID) (graph.StoredEvent, error) {
	var e graph.StoredEvent
	err := s.view(ctx, func(t *tx) error {
		var err error
		e, err = readEvent(t, id)
		return err
	})
	if err != nil {
		return graph.StoredEvent{}, fmt.Errorf("embedded: event %d: %w", id, err)
	}
	return e, nil
}

func readEvent(t *tx, id graph.EventID) (graph.StoredEvent, error) {
	if id <= 0 {
		return graph.StoredEvent{}, graph.ErrNotFound
	}
	pv := t.Bucket(bucketEventOwner).Get(idKey(graph.ID(id)))
	if pv == nil {
		return graph.StoredEvent{}, graph.ErrNotFound
	}
	person := keyID(pv)
	v := t.Bucket(bucketEvents).Get(eventKey(person, id))
	if v == nil {
		return graph.StoredEvent{}, fmt.Errorf("event %d: owner without event: %w", id, errCorrupt)
	}
	return decodeEvent(person, id, v)
}

// putEvent rewrites a stored event.
func putEvent(t *tx, e *graph.StoredEvent) error {
	return t.Bucket(bucketEvents).Put(eventKey(e.Person, e.ID), encodeEvent(e))
}

// eraseEvents removes the person's events, opening balance and disputes
// (DeletePerson: erasure leaves nothing of the person).
func eraseEvents(t *tx, id graph.ID) error {
	key := idKey(id)
	evb, owner := t.Bucket(bucketEvents), t.Bucket(bucketEventOwner)
	for _, eid := range prefixIDs(evb, id) {
		if err := evb.Delete(pairKey(id, eid)); err != nil {
			return err
		}
		if err := owner.Delete(idKey(eid)); err != nil {
			return err
		}
	}
	if err := t.Bucket(bucketOpening).Delete(key); err != nil {
		return err
	}
	pd, od, db := t.Bucket(bucketPersonDisputes), t.Bucket(bucketOpenDisputes), t.Bucket(bucketDisputes)
	for _, did := range prefixIDs(pd, id) {
		for _, b := range []*bolt.Bucket{pd, od} {
			if err := b.Delete(pairKey(id, did)); err != nil {
				return err
			}
		}
		if err := db.Delete(idKey(did)); err != nil {
			return err
		}
	}
	return nil
}

// rebaseOpening keeps record = DeriveRecord(events) after UpdateRecord
// changed the record of a person whose events are kept: the change is
// made to the opening balance, and the record derived again. A person
// without kept events has no separate opening balance; nothing to do.
func rebaseOpening(t *tx, id graph.ID, old graph.Record, rec *graph.Record) error {
	key := idKey(id)
	ob := t.Bucket(bucketOpening)
	ov := ob.Get(key)
	if ov == nil {
		return nil
	}
	opening, err := decodeRecord(id, ov)
	if err != nil {
		return err
	}
	opening, err = graph.RebaseOpening(opening, old, *rec)
	if err != nil {
		return err
	}
	if err := ob.Put(key, encodeRecord(opening)); err != nil {
		return err
	}
	events, err := personEvents(t, id)
	if err != nil {
		return err
	}
	events[0].Balance = opening
	*rec = graph.DeriveRecord(events, false)
	return nil
}

// Dispute encoding: a version byte (1) and the dispute as JSON. Disputes
// are few and small; JSON keeps the free text and the times readable.
const disputeV1 = 1

type disputeJSON struct {
	Person     graph.ID            `json:"person"`
	Event      graph.EventID       `json:"event"`
	Reason     string              `json:"reason"`
	Status     graph.DisputeStatus `json:"status"`
	OpenedBy   string              `json:"opened_by"`
	OpenedAt   time.Time           `json:"opened_at"`
	ResolvedBy string              `json:"resolved_by,omitempty"`
	ResolvedAt time.Time           `json:"resolved_at"`
	Note       string              `json:"note,omitempty"`
}

func encodeDispute(d graph.Dispute) []byte {
	b, err := json.Marshal(disputeJSON{d.Person, d.Event, d.Reason, d.Status, d.OpenedBy, d.OpenedAt, d.ResolvedBy, d.ResolvedAt, d.Note})
	if err != nil {
		panic(err) // only strings, ids and times
	}
	return append([]byte{disputeV1}, b...)
}

func decodeDispute(id graph.DisputeID, v []byte) (graph.Dispute, error) {
	var j disputeJSON
	if len(v) < 1 || v[0] != disputeV1 || json.Unmarshal(v[1:], &j) != nil {
		return graph.Dispute{}, fmt.Errorf("dispute %d: %w", id, errCorrupt)
	}
	return graph.Dispute{ID: id, Person: j.Person, Event: j.Event, Reason: j.Reason, Status: j.Status,
		OpenedBy: j.OpenedBy, OpenedAt: j.OpenedAt.UTC(), ResolvedBy: j.ResolvedBy, ResolvedAt: j.ResolvedAt.UTC(), Note: j.Note}, nil
}

// OpenDispute opens a dispute and marks its event disputed in one write
// transaction, as graph.DisputeStore specifies. The person's stored record
// does not change (it includes disputed events); snapshots leave the event
// out of Records.
func (s *Store) OpenDispute(ctx context.Context, person graph.ID, event graph.EventID, reason, by string) (graph.Dispute, error) {
	if err := graph.CheckOpen(event, reason, by); err != nil {
		return graph.Dispute{}, fmt.Errorf("embedded: open dispute: %w", err)
	}
	var d graph.Dispute
	err := s.update(ctx, func(t *tx) error {
		if t.people.Get(idKey(person)) == nil {
			return notFound(person)
		}
		e, err := readEvent(t, event)
		if err != nil || e.Person != person {
			if err != nil && !isNotFound(err) {
				return err
			}
			return graph.ErrNoEvent(person, event)
		}
		switch {
		case e.Disputed:
			return graph.ErrEventDisputed(event, e.Dispute)
		case e.Removed:
			return graph.ErrEventRemoved(event, e.Dispute)
		}
		db := t.Bucket(bucketDisputes)
		seq, err := db.NextSequence()
		if err != nil {
			return err
		}
		d = graph.Dispute{ID: graph.DisputeID(seq), Person: person, Event: event, Reason: reason,
			Status: graph.DisputeOpen, OpenedBy: by, OpenedAt: s.clock()}
		if err := db.Put(idKey(graph.ID(seq)), encodeDispute(d)); err != nil {
			return err
		}
		for _, name := range [][]byte{bucketPersonDisputes, bucketOpenDisputes} {
			if err := t.Bucket(name).Put(pairKey(person, graph.ID(seq)), nil); err != nil {
				return err
			}
		}
		e.Dispute, e.Disputed = d.ID, true
		return putEvent(t, &e)
	})
	if err != nil {
		return graph.Dispute{}, fmt.Errorf("embedded: open dispute: %w", err)
	}
	return d, nil
}

// ResolveDispute closes an open dispute in one write transaction, as
// graph.DisputeStore specifies; upheld derives the person's record again
// without the event.
func (s *Store) ResolveDispute(ctx context.Context, id graph.DisputeID, outcome graph.DisputeStatus, note, by string) (graph.Dispute, error) {
	if err := graph.CheckResolve(outcome, note, by); err != nil {
		return graph.Dispute{}, fmt.Errorf("embedded: resolve dispute %d: %w", id, err)
	}
	var d graph.Dispute
	err := s.update(ctx, func(t *tx) error {
		var err error
		if d, err = readDispute(t, id); err != nil {
			return err
		}
		if d.Status != graph.DisputeOpen {
			return graph.ErrResolved(d)
		}
		now := s.clock()
		d.Status, d.ResolvedBy, d.ResolvedAt, d.Note = outcome, by, now, note
		if err := t.Bucket(bucketDisputes).Put(idKey(graph.ID(id)), encodeDispute(d)); err != nil {
			return err
		}
		if err := t.Bucket(bucketOpenDisputes).Delete(pairKey(d.Person, graph.ID(id))); err != nil {
			return err
		}
		e, err := readEvent(t, d.Event)
		if err != nil {
			return fmt.Errorf("dispute %d names event %d: %w", id, d.Event, err)
		}
		e.Disputed = false
		e.Removed = outcome == graph.DisputeUpheld
		if err := putEvent(t, &e); err != nil {
			return err
		}
		if !e.Removed {
			return nil // the stored record includes disputed events already
		}
		events, err := personEvents(t, d.Person)
		if err != nil {
			return err
		}
		key := idKey(d.Person)
		var p graph.Person
		if err := decodePerson(d.Person, t.people.Get(key), &p); err != nil {
			return err
		}
		p.Record, p.UpdatedAt = graph.DeriveRecord(events, false), now
		return t.people.Put(key, encodePerson(&p))
	})
	if err != nil {
		return graph.Dispute{}, fmt.Errorf("embedded: resolve dispute %d: %w", id, err)
	}
	return d, nil
}

func readDispute(t *tx, id graph.DisputeID) (graph.Dispute, error) {
	v := t.Bucket(bucketDisputes).Get(idKey(graph.ID(id)))
	if v == nil {
		return graph.Dispute{}, graph.ErrNoDispute(id)
	}
	return decodeDispute(id, v)
}

// Dispute returns one dispute.
func (s *Store) Dispute(ctx context.Context, id graph.DisputeID) (graph.Dispute, error) {
	var d graph.Dispute
	err := s.view(ctx, func(t *tx) error {
		var err error
		d, err = readDispute(t, id)
		return err
	})
	if err != nil {
		return graph.Dispute{}, fmt.Errorf("embedded: dispute %d: %w", id, err)
	}
	return d, nil
}

// Disputes lists disputes newest first: a person's from their index, else
// by scanning the disputes backwards.
func (s *Store) Disputes(ctx context.Context, f graph.DisputeFilter) ([]graph.Dispute, error) {
	out := []graph.Dispute{}
	limit := f.Max()
	err := s.view(ctx, func(t *tx) error {
		db := t.Bucket(bucketDisputes)
		take := func(id graph.DisputeID, v []byte) (bool, error) {
			d, err := decodeDispute(id, v)
			if err != nil {
				return false, err
			}
			if f.Match(d) {
				out = append(out, d)
			}
			return len(out) < limit, nil
		}
		if f.Person != 0 {
			if t.people.Get(idKey(f.Person)) == nil {
				return notFound(f.Person)
			}
			ids := prefixIDs(t.Bucket(bucketPersonDisputes), f.Person)
			for i := len(ids) - 1; i >= 0; i-- {
				more, err := take(graph.DisputeID(ids[i]), db.Get(idKey(ids[i])))
				if err != nil || !more {
					return err
				}
			}
			return nil
		}
		c := db.Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			more, err := take(graph.DisputeID(keyID(k)), v)
			if err != nil || !more {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embedded: disputes: %w", err)
	}
	return out, nil
}

// OpenDisputes counts the open disputes per person.
func (s *Store) OpenDisputes(ctx context.Context) (map[graph.ID]int, error) {
	out := map[graph.ID]int{}
	err := s.view(ctx, func(t *tx) error {
		var err error
		out, err = openDisputeCounts(t)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("embedded: open disputes: %w", err)
	}
	return out, nil
}

func openDisputeCounts(t *tx) (map[graph.ID]int, error) {
	out := map[graph.ID]int{}
	c := t.Bucket(bucketOpenDisputes).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		out[keyID(k)]++
	}
	return out, nil
}

// disputedRecord returns, for a person with open disputes, their record
// without the disputed events (for Snapshot.Records).
func disputedRecord(t *tx, id graph.ID) (graph.Record, error) {
	events, err := personEvents(t, id)
	if err != nil {
		return graph.Record{}, err
	}
	return graph.DeriveRecord(events, true), nil
}

func isNotFound(err error) bool { return errors.Is(err, graph.ErrNotFound) }
