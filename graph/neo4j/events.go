package neo4j

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/socialscore/socialscore/graph"
)

// Events and disputes are nodes of their own, found by indexed properties
// rather than relationships:
//
//	(:EventChunk {person, lo, hi, provider, arrived_at, events})
//	(:EventMark {event, person, dispute, disputed, removed})
//	(:OpeningBalance {person, <the record properties of :Person>})
//	(:Dispute {id, person, event, reason, status, opened_by, opened_at,
//	           resolved_by, resolved_at, note})
//	(:Sequence {name, next})   ids of events ('event') and disputes ('dispute')
//
// The events of one AppendEvents are one :EventChunk with the ids lo..hi
// (consecutive, reserved from the :Sequence node in the same transaction)
// and the events packed as a JSON array in the byte-array property events
// (type, amount, times). BenchmarkAppendEvents, 1,000 events per append,
// on the shared 2-core test machine at a load average of about 11: a node
// per event with its properties, 1.3 s per append; one chunk, 0.27 s, of
// which the two statements' round trips are most (an append costs about
// the same whatever the number of events). A chunk never changes; what a
// dispute changes lives on an :EventMark, created for an event when it is
// first disputed. An event is found by id as the chunk with the greatest lo at
// most the id (index event_chunk_lo), like a result in a :ScoreChunk.
//
// An :OpeningBalance is created with a person's first event; until then
// the person's record is their opening balance, so a database written
// before events were kept reads correctly without a migration. Appends of
// events serialise on the :Sequence node (one short transaction each,
// however many events), which keeps ids increasing in the order of
// arrival.
var eventSchema = []string{
	`CREATE INDEX event_chunk_lo IF NOT EXISTS FOR (c:EventChunk) ON (c.lo)`,
	`CREATE INDEX event_chunk_person IF NOT EXISTS FOR (c:EventChunk) ON (c.person)`,
	`CREATE CONSTRAINT event_mark_event IF NOT EXISTS FOR (m:EventMark) REQUIRE m.event IS UNIQUE`,
	`CREATE INDEX event_mark_person IF NOT EXISTS FOR (m:EventMark) ON (m.person)`,
	`CREATE CONSTRAINT opening_person IF NOT EXISTS FOR (o:OpeningBalance) REQUIRE o.person IS UNIQUE`,
	`CREATE CONSTRAINT dispute_id IF NOT EXISTS FOR (d:Dispute) REQUIRE d.id IS UNIQUE`,
	`CREATE INDEX dispute_person IF NOT EXISTS FOR (d:Dispute) ON (d.person)`,
	`CREATE INDEX dispute_status IF NOT EXISTS FOR (d:Dispute) ON (d.status)`,
	`CREATE CONSTRAINT sequence_name IF NOT EXISTS FOR (q:Sequence) REQUIRE q.name IS UNIQUE`,
}

func init() { schema = append(schema, eventSchema...) }

// chunkEvent is one event in an :EventChunk's events array.
type chunkEvent struct {
	Type   graph.EventType `json:"t"`
	Amount float64         `json:"a"`
	At     *time.Time      `json:"at,omitempty"`
	Due    *time.Time      `json:"due,omitempty"`
	Paid   *time.Time      `json:"paid,omitempty"`
}

func packEvents(events []graph.Event) ([]byte, error) {
	out := make([]chunkEvent, len(events))
	opt := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		t = t.UTC()
		return &t
	}
	for i, e := range events {
		out[i] = chunkEvent{Type: e.Type, Amount: e.Amount, At: opt(e.At), Due: opt(e.Due), Paid: opt(e.Paid)}
	}
	return json.Marshal(out)
}

// eventChunkFields is the projection of an :EventChunk, in unpackChunk's
// order. The variable must be named c.
const eventChunkFields = `c.person, c.lo, c.hi, c.provider, c.arrived_at, c.events`

// unpackChunk returns the events of a chunk, marks not applied.
func unpackChunk(v []any) ([]graph.StoredEvent, error) {
	person, lo, hi := graph.ID(asInt(v[0])), asInt(v[1]), asInt(v[2])
	var evs []chunkEvent
	if err := json.Unmarshal(asBytes(v[5]), &evs); err != nil || int64(len(evs)) != hi-lo+1 {
		return nil, fmt.Errorf("event chunk %d-%d of person %d: corrupt events (%v)", lo, hi, person, err)
	}
	val := func(t *time.Time) time.Time {
		if t == nil {
			return time.Time{}
		}
		return t.UTC()
	}
	out := make([]graph.StoredEvent, len(evs))
	for i, e := range evs {
		out[i] = graph.StoredEvent{ID: graph.EventID(lo + int64(i)), Person: person,
			Event:    graph.Event{Type: e.Type, Amount: e.Amount, At: val(e.At), Due: val(e.Due), Paid: val(e.Paid)},
			Provider: asString(v[3]), ArrivedAt: asTime(v[4])}
	}
	return out, nil
}

// applyMark sets an event's dispute state from the values of
// m.dispute, m.disputed, m.removed.
func applyMark(e *graph.StoredEvent, v []any) {
	e.Dispute, e.Disputed, e.Removed = graph.DisputeID(asInt(v[0])), asBool(v[1]), asBool(v[2])
}

// nextIDs reserves n ids of the sequence and returns the first.
func nextIDs(ctx context.Context, tx drv.ManagedTransaction, name string, n int) (int64, error) {
	rec, err := single(ctx, tx, `
MERGE (q:Sequence {name: $name}) ON CREATE SET q.next = 0
SET q.next = q.next + $n
RETURN q.next - $n + 1`, map[string]any{"name": name, "n": int64(n)})
	if err != nil {
		return 0, err
	}
	return asInt(rec.Values[0]), nil
}

// lockPerson reads the person under their node's write lock.
func lockPerson(ctx context.Context, tx drv.ManagedTransaction, id graph.ID) (graph.Person, error) {
	rec, err := optional(ctx, tx, `
MATCH (p:Person {id: $id})
SET p._lock = true
REMOVE p._lock
RETURN `+personFields, map[string]any{"id": int64(id)})
	if err != nil {
		return graph.Person{}, err
	}
	if rec == nil {
		return graph.Person{}, graph.ErrNotFound
	}
	return decodePerson(rec.Values)
}

// AppendEvents keeps the events as :Event nodes and adds them to the
// person's record, in one transaction, as graph.EventStore specifies.
func (s *Store) AppendEvents(ctx context.Context, id graph.ID, provider string, events []graph.Event) (graph.Person, []graph.StoredEvent, error) {
	if err := graph.CheckProvider(provider); err != nil {
		return graph.Person{}, nil, fmt.Errorf("neo4j: append events %d: %w", id, err)
	}
	now := s.now()
	var check graph.Record
	if err := check.Apply(events, now); err != nil {
		return graph.Person{}, nil, fmt.Errorf("neo4j: append events %d: %w", id, err)
	}
	type out struct {
		p      graph.Person
		stored []graph.StoredEvent
	}
	packed, err := packEvents(events)
	if err != nil {
		return graph.Person{}, nil, fmt.Errorf("neo4j: append events %d: %w", id, err)
	}
	// Two statements: the first locks and reads the person and reserves
	// the ids (nothing when there is no such person), the second stores
	// the opening balance if this is the person's first event, the chunk
	// and the new record. On a loaded server each statement is a round
	// trip of tens of ms, whatever the number of events.
	v, err := s.writeGen(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		rec, err := optional(ctx, tx, `
MATCH (p:Person {id: $id})
SET p._lock = true
REMOVE p._lock
WITH p
MERGE (q:Sequence {name: 'event'}) ON CREATE SET q.next = 0
SET q.next = q.next + $n
RETURN `+personFields+`, q.next - $n + 1`, map[string]any{"id": int64(id), "n": int64(len(events))})
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
		first := asInt(rec.Values[len(rec.Values)-1])
		opening := recordProps(&p.Record, nil)
		if err := p.Record.Apply(events, now); err != nil {
			return nil, err
		}
		if err := p.Record.Validate(); err != nil {
			return nil, err
		}
		stored := make([]graph.StoredEvent, len(events))
		for i, e := range events {
			stored[i] = graph.StoredEvent{ID: graph.EventID(first + int64(i)), Person: id, Event: e, Provider: provider, ArrivedAt: now}
		}
		if err := execTx(ctx, tx, `
MERGE (o:OpeningBalance {person: $id})
ON CREATE SET o += $opening
CREATE (:EventChunk {person: $id, lo: $lo, hi: $hi, provider: $provider, arrived_at: $now, events: $events})
WITH o
MATCH (p:Person {id: $id})
SET p += $rec, p.updated_at = $now`, map[string]any{
			"id": int64(id), "opening": opening, "lo": first, "hi": first + int64(len(events)) - 1,
			"provider": provider, "now": now, "events": packed, "rec": recordProps(&p.Record, nil)}); err != nil {
			return nil, err
		}
		p.UpdatedAt = now
		return out{p, stored}, nil
	})
	if err != nil {
		return graph.Person{}, nil, s.wrap(ctx, fmt.Sprintf("append events %d", id), err)
	}
	o := v.(out)
	return o.p, o.stored, nil
}

// Events returns the person's opening balance and events, oldest first.
func (s *Store) Events(ctx context.Context, id graph.ID) ([]graph.StoredEvent, error) {
	v, err := s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		return personEvents(ctx, tx, id)
	})
	if err != nil {
		return nil, s.wrap(ctx, fmt.Sprintf("events %d", id), err)
	}
	return v.([]graph.StoredEvent), nil
}

func personEvents(ctx context.Context, tx drv.ManagedTransaction, id graph.ID) ([]graph.StoredEvent, error) {
	p, err := readPerson(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	balance := p.Record
	rec, err := optional(ctx, tx, `MATCH (o:OpeningBalance {person: $id}) WITH o AS p RETURN `+personFields, map[string]any{"id": int64(id)})
	if err != nil {
		return nil, err
	}
	if rec != nil {
		vals := append([]any{int64(id)}, rec.Values[1:]...) // the opening balance has no id property
		op, err := decodePerson(vals)
		if err != nil {
			return nil, err
		}
		balance = op.Record
	}
	out := []graph.StoredEvent{graph.OpeningBalance(id, balance, p.CreatedAt)}
	err = each(ctx, tx, `MATCH (c:EventChunk {person: $id}) RETURN `+eventChunkFields+` ORDER BY c.lo`, map[string]any{"id": int64(id)},
		func(r *drv.Record) error {
			evs, err := unpackChunk(r.Values)
			out = append(out, evs...)
			return err
		})
	if err != nil || len(out) == 1 {
		return out, err
	}
	first := out[1].ID
	err = each(ctx, tx, `MATCH (m:EventMark {person: $id}) RETURN m.event, m.dispute, m.disputed, m.removed`, map[string]any{"id": int64(id)},
		func(r *drv.Record) error {
			k := 1 + int(graph.EventID(asInt(r.Values[0]))-first)
			if k < 1 || k >= len(out) || out[k].ID != graph.EventID(asInt(r.Values[0])) {
				// Ids of one person are not consecutive across chunks: search.
				k = slices.IndexFunc(out, func(e graph.StoredEvent) bool { return e.ID == graph.EventID(asInt(r.Values[0])) })
			}
			if k < 1 {
				return fmt.Errorf("event mark %v names no event of person %d", r.Values[0], id)
			}
			applyMark(&out[k], r.Values[1:])
			return nil
		})
	return out, err
}

// Event returns one appended event.
func (s *Store) Event(ctx context.Context, id graph.EventID) (graph.StoredEvent, error) {
	v, err := s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		return readEvent(ctx, tx, id)
	})
	if err != nil {
		return graph.StoredEvent{}, s.wrap(ctx, fmt.Sprintf("event %d", id), err)
	}
	return v.(graph.StoredEvent), nil
}

// readEvent finds the event in its chunk (the one with the greatest lo at
// most id) and applies its mark, if any.
func readEvent(ctx context.Context, tx drv.ManagedTransaction, id graph.EventID) (graph.StoredEvent, error) {
	rec, err := optional(ctx, tx, `
MATCH (c:EventChunk) WHERE c.lo <= $id
WITH c ORDER BY c.lo DESC LIMIT 1
WITH c WHERE c.hi >= $id
OPTIONAL MATCH (m:EventMark {event: $id})
RETURN `+eventChunkFields+`, m.dispute, m.disputed, m.removed`, map[string]any{"id": int64(id)})
	if err != nil {
		return graph.StoredEvent{}, err
	}
	if rec == nil {
		return graph.StoredEvent{}, graph.ErrNotFound
	}
	evs, err := unpackChunk(rec.Values)
	if err != nil {
		return graph.StoredEvent{}, err
	}
	e := evs[int64(id)-asInt(rec.Values[1])]
	applyMark(&e, rec.Values[6:])
	return e, nil
}

// eraseEvents deletes the person's events, opening balance and disputes
// (DeletePerson).
func eraseEvents(ctx context.Context, tx drv.ManagedTransaction, id graph.ID) error {
	for _, q := range []string{
		`MATCH (c:EventChunk {person: $id}) DELETE c`,
		`MATCH (m:EventMark {person: $id}) DELETE m`,
		`MATCH (o:OpeningBalance {person: $id}) DELETE o`,
		`MATCH (d:Dispute {person: $id}) DELETE d`,
	} {
		if err := execTx(ctx, tx, q, map[string]any{"id": int64(id)}); err != nil {
			return err
		}
	}
	return nil
}

// rebaseOpening keeps the record derived from the events after
// UpdateRecord changed it from old to *rec (see graph.RebaseOpening). A
// person without an :OpeningBalance has no kept events: nothing to do.
func rebaseOpening(ctx context.Context, tx drv.ManagedTransaction, id graph.ID, old graph.Record, rec *graph.Record) error {
	events, err := personEvents(ctx, tx, id)
	if err != nil || len(events) == 1 {
		return err
	}
	opening, err := graph.RebaseOpening(events[0].Balance, old, *rec)
	if err != nil {
		return err
	}
	if err := execTx(ctx, tx, `MATCH (o:OpeningBalance {person: $id}) SET o += $rec`,
		map[string]any{"id": int64(id), "rec": recordProps(&opening, nil)}); err != nil {
		return err
	}
	events[0].Balance = opening
	*rec = graph.DeriveRecord(events, false)
	return nil
}

// disputeFields is the projection of a dispute, in decodeDispute's order.
const disputeFields = `d.id, d.person, d.event, d.reason, d.status, d.opened_by, d.opened_at, d.resolved_by, d.resolved_at, d.note`

func decodeDispute(v []any) graph.Dispute {
	return graph.Dispute{
		ID: graph.DisputeID(asInt(v[0])), Person: graph.ID(asInt(v[1])), Event: graph.EventID(asInt(v[2])),
		Reason: asString(v[3]), Status: graph.DisputeStatus(asString(v[4])), OpenedBy: asString(v[5]), OpenedAt: asTime(v[6]),
		ResolvedBy: asString(v[7]), ResolvedAt: asTime(v[8]), Note: asString(v[9]),
	}
}

// OpenDispute opens a dispute and marks its event disputed in one
// transaction, under the event's write lock, as graph.DisputeStore
// specifies.
func (s *Store) OpenDispute(ctx context.Context, person graph.ID, event graph.EventID, reason, by string) (graph.Dispute, error) {
	if err := graph.CheckOpen(event, reason, by); err != nil {
		return graph.Dispute{}, fmt.Errorf("neo4j: open dispute: %w", err)
	}
	v, err := s.writeGen(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		if _, err := readPerson(ctx, tx, person); err != nil {
			if errors.Is(err, graph.ErrNotFound) {
				return nil, fmt.Errorf("person %d: %w", person, graph.ErrNotFound)
			}
			return nil, err
		}
		e, err := readEvent(ctx, tx, event)
		if errors.Is(err, graph.ErrNotFound) {
			return nil, graph.ErrNoEvent(person, event)
		}
		if err != nil {
			return nil, err
		}
		if e.Person == person {
			// Lock the event's mark (creating it) and read it again under
			// the lock: concurrent disputes of one event serialise here.
			rec, err := single(ctx, tx, `
MERGE (m:EventMark {event: $id})
ON CREATE SET m.person = $person, m.dispute = 0, m.disputed = false, m.removed = false
SET m._lock = true
REMOVE m._lock
RETURN m.dispute, m.disputed, m.removed`, map[string]any{"id": int64(event), "person": int64(person)})
			if err != nil {
				return nil, err
			}
			applyMark(&e, rec.Values)
		}
		switch {
		case e.Person != person:
			return nil, graph.ErrNoEvent(person, event)
		case e.Disputed:
			return nil, graph.ErrEventDisputed(event, e.Dispute)
		case e.Removed:
			return nil, graph.ErrEventRemoved(event, e.Dispute)
		}
		id, err := nextIDs(ctx, tx, "dispute", 1)
		if err != nil {
			return nil, err
		}
		d := graph.Dispute{ID: graph.DisputeID(id), Person: person, Event: event, Reason: reason,
			Status: graph.DisputeOpen, OpenedBy: by, OpenedAt: s.now()}
		err = execTx(ctx, tx, `
CREATE (d:Dispute {id: $id, person: $person, event: $event, reason: $reason, status: 'open', opened_by: $by, opened_at: $at})
WITH d
MATCH (m:EventMark {event: $event})
SET m.dispute = $id, m.disputed = true`, map[string]any{
			"id": id, "person": int64(person), "event": int64(event), "reason": reason, "by": by, "at": d.OpenedAt})
		return d, err
	})
	if err != nil {
		return graph.Dispute{}, s.wrap(ctx, "open dispute", err)
	}
	return v.(graph.Dispute), nil
}

// ResolveDispute closes an open dispute in one transaction, under the
// dispute's write lock, as graph.DisputeStore specifies.
func (s *Store) ResolveDispute(ctx context.Context, id graph.DisputeID, outcome graph.DisputeStatus, note, by string) (graph.Dispute, error) {
	if err := graph.CheckResolve(outcome, note, by); err != nil {
		return graph.Dispute{}, fmt.Errorf("neo4j: resolve dispute %d: %w", id, err)
	}
	v, err := s.writeGen(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		rec, err := optional(ctx, tx, `
MATCH (d:Dispute {id: $id})
SET d._lock = true
REMOVE d._lock
RETURN `+disputeFields, map[string]any{"id": int64(id)})
		if err != nil {
			return nil, err
		}
		if rec == nil {
			return nil, graph.ErrNoDispute(id)
		}
		d := decodeDispute(rec.Values)
		if d.Status != graph.DisputeOpen {
			return nil, graph.ErrResolved(d)
		}
		now := s.now()
		d.Status, d.ResolvedBy, d.ResolvedAt, d.Note = outcome, by, now, note
		upheld := outcome == graph.DisputeUpheld
		if err := execTx(ctx, tx, `
MATCH (d:Dispute {id: $id})
SET d.status = $status, d.resolved_by = $by, d.resolved_at = $at, d.note = $note
WITH d
MATCH (m:EventMark {event: d.event})
SET m.disputed = false, m.removed = $upheld`, map[string]any{
			"id": int64(id), "status": string(outcome), "by": by, "at": now, "note": note, "upheld": upheld}); err != nil {
			return nil, err
		}
		if !upheld {
			return d, nil // the stored record includes disputed events already
		}
		if _, err := lockPerson(ctx, tx, d.Person); err != nil {
			return nil, err
		}
		events, err := personEvents(ctx, tx, d.Person)
		if err != nil {
			return nil, err
		}
		r := graph.DeriveRecord(events, false)
		err = execTx(ctx, tx, `MATCH (p:Person {id: $id}) SET p += $rec, p.updated_at = $now`,
			map[string]any{"id": int64(d.Person), "rec": recordProps(&r, nil), "now": now})
		return d, err
	})
	if err != nil {
		return graph.Dispute{}, s.wrap(ctx, fmt.Sprintf("resolve dispute %d", id), err)
	}
	return v.(graph.Dispute), nil
}

// Dispute returns one dispute.
func (s *Store) Dispute(ctx context.Context, id graph.DisputeID) (graph.Dispute, error) {
	v, err := s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		rec, err := optional(ctx, tx, `MATCH (d:Dispute {id: $id}) RETURN `+disputeFields, map[string]any{"id": int64(id)})
		if err != nil {
			return nil, err
		}
		if rec == nil {
			return nil, graph.ErrNoDispute(id)
		}
		return decodeDispute(rec.Values), nil
	})
	if err != nil {
		return graph.Dispute{}, s.wrap(ctx, fmt.Sprintf("dispute %d", id), err)
	}
	return v.(graph.Dispute), nil
}

// Disputes lists disputes newest first.
func (s *Store) Disputes(ctx context.Context, f graph.DisputeFilter) ([]graph.Dispute, error) {
	v, err := s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		if f.Person != 0 {
			if _, err := readPerson(ctx, tx, f.Person); err != nil {
				if errors.Is(err, graph.ErrNotFound) {
					return nil, fmt.Errorf("person %d: %w", f.Person, graph.ErrNotFound)
				}
				return nil, err
			}
		}
		var before any
		if !f.OpenedBefore.IsZero() {
			before = f.OpenedBefore.UTC()
		}
		out := []graph.Dispute{}
		err := each(ctx, tx, `
MATCH (d:Dispute)
WHERE ($person = 0 OR d.person = $person) AND ($status = '' OR d.status = $status)
  AND ($before IS NULL OR d.opened_at < $before)
RETURN `+disputeFields+` ORDER BY d.id DESC LIMIT $limit`, map[string]any{
			"person": int64(f.Person), "status": string(f.Status), "before": before, "limit": int64(f.Max())},
			func(r *drv.Record) error {
				out = append(out, decodeDispute(r.Values))
				return nil
			})
		return out, err
	})
	if err != nil {
		return nil, s.wrap(ctx, "disputes", err)
	}
	return v.([]graph.Dispute), nil
}

// OpenDisputes counts the open disputes per person.
func (s *Store) OpenDisputes(ctx context.Context) (map[graph.ID]int, error) {
	v, err := s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		return openDisputeCounts(ctx, tx)
	})
	if err != nil {
		return nil, s.wrap(ctx, "open disputes", err)
	}
	return v.(map[graph.ID]int), nil
}

func openDisputeCounts(ctx context.Context, tx drv.ManagedTransaction) (map[graph.ID]int, error) {
	out := map[graph.ID]int{}
	err := each(ctx, tx, `MATCH (d:Dispute {status: 'open'}) RETURN d.person, count(d)`, nil, func(r *drv.Record) error {
		out[graph.ID(asInt(r.Values[0]))] = int(asInt(r.Values[1]))
		return nil
	})
	return out, err
}

// snapshotDisputes returns, for each person with open disputes, their
// open count and record without the disputed events.
func snapshotDisputes(ctx context.Context, tx drv.ManagedTransaction) (map[graph.ID]disputedPerson, error) {
	counts, err := openDisputeCounts(ctx, tx)
	if err != nil || len(counts) == 0 {
		return nil, err
	}
	out := make(map[graph.ID]disputedPerson, len(counts))
	for id, n := range counts {
		events, err := personEvents(ctx, tx, id)
		if errors.Is(err, graph.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[id] = disputedPerson{open: n, without: graph.DeriveRecord(events, true)}
	}
	return out, nil
}

type disputedPerson struct {
	open    int
	without graph.Record
}
