package graph

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// EventID identifies a kept event. Ids are positive, unique in a store and
// increase in the order events arrive. The opening balance of a person
// (see StoredEvent) has id 0: it belongs to the person and did not arrive.
type EventID int64

// String formats the id in base 10.
func (id EventID) String() string { return strconv.FormatInt(int64(id), 10) }

// EventOpeningBalance is the type of the first event of every person's
// list: the record they started from (StoredEvent.Balance). It cannot be
// posted, disputed or removed.
const EventOpeningBalance EventType = "opening_balance"

// MaxProviderLen bounds the name of an event's provider.
const MaxProviderLen = 200

// StoredEvent is an event as a store keeps it: who reported it, when it
// arrived, and where it stands in disputes.
//
// A person's record is derived from their events (DeriveRecord):
//
//	Record = fold(opening balance, events not removed)
//
// and the record a scoring run uses by default also leaves out the events
// under an open dispute. Every person's list starts with their opening
// balance, id 0, type EventOpeningBalance, Balance set, ArrivedAt the
// person's CreatedAt, no provider: for people created before events were
// kept (schema version 1 of the embedded store, or a Neo4j database written
// by that version), and for people seeded or imported by a batch, it holds
// their whole record as it was then; for a person created through the API
// it is the record they were created with (usually empty). A store may keep
// the opening balance implicitly until the person's first event: until
// then it is the person's record itself.
type StoredEvent struct {
	ID        EventID
	Person    ID
	Event     Event
	Balance   Record // the opening balance (Event.Type EventOpeningBalance only)
	Provider  string // the app that reported it (the API key's app name)
	ArrivedAt time.Time
	// Dispute is the id of the last dispute opened about the event, 0 if
	// none was; Disputed is true while that dispute is open, Removed once
	// it was upheld (the event no longer counts toward the record).
	Dispute  DisputeID
	Disputed bool
	Removed  bool
}

// Opening reports whether the event is the person's opening balance.
func (e StoredEvent) Opening() bool { return e.Event.Type == EventOpeningBalance }

// OpeningBalance returns the opening-balance entry of a person with the
// record and creation time given.
func OpeningBalance(person ID, balance Record, createdAt time.Time) StoredEvent {
	return StoredEvent{Person: person, Event: Event{Type: EventOpeningBalance}, Balance: balance, ArrivedAt: createdAt}
}

// DeriveRecord folds a person's events, oldest first, into their record:
// the opening balance, then every event that was not removed, and, when
// excludeDisputed is set, was not under an open dispute either. It is the
// one definition of the record both stores keep: the record stored with a
// person is DeriveRecord(events, false); the one a scoring run uses by
// default is DeriveRecord(events, true). Events are added in id order, so
// the sums are those of posting the same events one by one.
func DeriveRecord(events []StoredEvent, excludeDisputed bool) Record {
	var r Record
	for _, e := range events {
		switch {
		case e.Opening():
			r = e.Balance // the first event of every list
		case e.Removed, excludeDisputed && e.Disputed:
		default:
			r.add(e.Event)
		}
	}
	return r
}

// CheckProvider checks the provider name of posted events.
func CheckProvider(provider string) error {
	if strings.TrimSpace(provider) == "" {
		return Invalid("provider", "must not be empty")
	}
	if len(provider) > MaxProviderLen {
		return Invalid("provider", "must be at most %d bytes", MaxProviderLen)
	}
	return nil
}

// EventStore keeps the events reported for each person, and the record
// derived from them.
type EventStore interface {
	// AppendEvents keeps the events for the person, in order, with the
	// provider (the app that reported them) and the store's clock as their
	// arrival time, and adds them to the person's record, in one
	// transaction: the events are acknowledged (and survive a crash) when it
	// returns nil. Each event must be valid (Event.Validate against the
	// store's clock; an opening balance cannot be appended); otherwise it
	// returns an error wrapping ErrInvalid naming "events/<i>/<field>" and
	// keeps nothing. It returns the person with the new record and the
	// stored events (ids ascending) in the order given, or ErrNotFound if
	// there is no such person. Whether the person consented is the caller's
	// business.
	AppendEvents(ctx context.Context, id ID, provider string, events []Event) (Person, []StoredEvent, error)

	// Events returns the person's events, oldest first: the opening
	// balance, then every appended event, removed ones included (marked).
	// It returns ErrNotFound if there is no such person.
	Events(ctx context.Context, id ID) ([]StoredEvent, error)

	// Event returns one appended event by id, or ErrNotFound.
	Event(ctx context.Context, id EventID) (StoredEvent, error)
}

// ParseEventID parses a positive base-10 event id.
func ParseEventID(s string) (EventID, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%q is not a positive integer id", s)
	}
	return EventID(v), nil
}

// RebaseOpening returns the opening balance that makes a person's record
// go from old to updated without touching their events: the change of each
// count and sum is added to the opening balance, and a changed LastEventAt
// is taken as is. It is how PersonStore.UpdateRecord keeps the record
// derived from the events. An opening balance that would fall below zero
// is an error wrapping ErrInvalid.
func RebaseOpening(opening, old, updated Record) (Record, error) {
	o := opening
	o.PurchaseTotal += updated.PurchaseTotal - old.PurchaseTotal
	o.PurchaseCount += updated.PurchaseCount - old.PurchaseCount
	o.BillsOnTime += updated.BillsOnTime - old.BillsOnTime
	o.BillsLate += updated.BillsLate - old.BillsLate
	o.BillDaysLate += updated.BillDaysLate - old.BillDaysLate
	o.CreditOnTime += updated.CreditOnTime - old.CreditOnTime
	o.CreditLate += updated.CreditLate - old.CreditLate
	o.CreditDaysLate += updated.CreditDaysLate - old.CreditDaysLate
	o.Defaults += updated.Defaults - old.Defaults
	o.DefaultAmount += updated.DefaultAmount - old.DefaultAmount
	if !updated.LastEventAt.Equal(old.LastEventAt) {
		o.LastEventAt = updated.LastEventAt
	}
	if err := o.Validate(); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			return Record{}, Invalid(ve.Field, "the change would take the opening balance below zero (the record is derived from the kept events)")
		}
		return Record{}, err
	}
	return o, nil
}
