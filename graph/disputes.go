package graph

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// DisputeID identifies a dispute: positive, unique in a store, increasing
// in the order disputes are opened.
type DisputeID int64

// String formats the id in base 10.
func (id DisputeID) String() string { return strconv.FormatInt(int64(id), 10) }

// ParseDisputeID parses a positive base-10 dispute id.
func ParseDisputeID(s string) (DisputeID, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%q is not a positive integer id", s)
	}
	return DisputeID(v), nil
}

// DisputeStatus is where a dispute stands.
type DisputeStatus string

// The statuses of a dispute. A dispute is opened open and resolved once,
// as upheld (the event is removed from the record for good) or rejected
// (the event counts again).
const (
	DisputeOpen     DisputeStatus = "open"
	DisputeUpheld   DisputeStatus = "upheld"
	DisputeRejected DisputeStatus = "rejected"
)

// MaxDisputeText bounds a dispute's reason and a resolution's note, in
// characters.
const MaxDisputeText = 1000

// DisputeOverdue is the age at which an open dispute is overdue: the 30
// days FCRA §611 gives a consumer reporting agency to reinvestigate.
const DisputeOverdue = 30 * 24 * time.Hour

// Dispute is a person's objection to one of their events, and its outcome.
// Who did what and when is kept: OpenedBy and ResolvedBy are the apps (API
// key names) that opened and resolved it.
type Dispute struct {
	ID         DisputeID
	Person     ID
	Event      EventID
	Reason     string
	Status     DisputeStatus
	OpenedBy   string
	OpenedAt   time.Time
	ResolvedBy string    // "" while open
	ResolvedAt time.Time // zero while open
	Note       string    // the resolution's note; may be empty
}

// Overdue reports whether the dispute is open and was opened at least
// DisputeOverdue before now.
func (d Dispute) Overdue(now time.Time) bool {
	return d.Status == DisputeOpen && !d.OpenedAt.After(now.Add(-DisputeOverdue))
}

// CheckDisputeText checks a reason or note: at most MaxDisputeText
// characters of valid UTF-8, and not blank when required.
func CheckDisputeText(field, s string, required bool) error {
	if !utf8.ValidString(s) {
		return Invalid(field, "must be valid UTF-8")
	}
	if required && strings.TrimSpace(s) == "" {
		return Invalid(field, "must not be empty")
	}
	if n := utf8.RuneCountInString(s); n > MaxDisputeText {
		return Invalid(field, "must be at most %d characters, not %d", MaxDisputeText, n)
	}
	return nil
}

// ParseOutcome checks the outcome of a resolution: upheld or rejected.
func ParseOutcome(s string) (DisputeStatus, error) {
	switch o := DisputeStatus(s); o {
	case DisputeUpheld, DisputeRejected:
		return o, nil
	}
	return "", Invalid("outcome", "must be %q or %q, not %q", DisputeUpheld, DisputeRejected, s)
}

// ParseDisputeStatus checks a status filter: open, upheld or rejected.
func ParseDisputeStatus(s string) (DisputeStatus, error) {
	switch o := DisputeStatus(s); o {
	case DisputeOpen, DisputeUpheld, DisputeRejected:
		return o, nil
	}
	return "", Invalid("status", "must be open, upheld or rejected, not %q", s)
}

// CheckOpen checks the input of OpenDispute that does not depend on what
// is stored; both stores call it first.
func CheckOpen(event EventID, reason, by string) error {
	if event <= 0 {
		return Invalid("event", "must be the positive id of an event (the opening balance cannot be disputed)")
	}
	if err := CheckDisputeText("reason", reason, true); err != nil {
		return err
	}
	if strings.TrimSpace(by) == "" {
		return Invalid("opened_by", "must not be empty")
	}
	return nil
}

// CheckResolve checks the input of ResolveDispute that does not depend on
// what is stored; both stores call it first.
func CheckResolve(outcome DisputeStatus, note, by string) error {
	if _, err := ParseOutcome(string(outcome)); err != nil {
		return err
	}
	if err := CheckDisputeText("note", note, false); err != nil {
		return err
	}
	if strings.TrimSpace(by) == "" {
		return Invalid("resolved_by", "must not be empty")
	}
	return nil
}

// The errors of OpenDispute and ResolveDispute that depend on what is
// stored, one text for both stores.

// ErrNoEvent is the error of a dispute about an event the person does not
// have (unknown, or another person's: the two are not told apart).
func ErrNoEvent(person ID, event EventID) error {
	return &ValidationError{Field: "event", Reason: fmt.Sprintf("person %d has no event %d", person, event), Kind: ErrNotFound}
}

// ErrEventDisputed is the error of a dispute about an event under an open
// dispute.
func ErrEventDisputed(event EventID, open DisputeID) error {
	return &ValidationError{Field: "event", Reason: fmt.Sprintf("event %d is already disputed (dispute %d is open)", event, open), Kind: ErrConflict}
}

// ErrEventRemoved is the error of a dispute about an event that an upheld
// dispute removed.
func ErrEventRemoved(event EventID, by DisputeID) error {
	return &ValidationError{Field: "event", Reason: fmt.Sprintf("event %d was removed when dispute %d was upheld", event, by), Kind: ErrConflict}
}

// ErrNoDispute is the error of a dispute id that does not exist.
func ErrNoDispute(id DisputeID) error {
	return &ValidationError{Field: "id", Reason: fmt.Sprintf("no dispute %d", id), Kind: ErrNotFound}
}

// ErrResolved is the error of resolving a dispute that is not open.
func ErrResolved(d Dispute) error {
	return &ValidationError{Field: "id", Kind: ErrConflict, Reason: fmt.Sprintf("dispute %d was already resolved (%s at %s)",
		d.ID, d.Status, d.ResolvedAt.UTC().Format(time.RFC3339))}
}

// DisputeFilter selects disputes.
type DisputeFilter struct {
	Person ID            // 0: anyone's
	Status DisputeStatus // "": any status
	// OpenedBefore keeps disputes opened before the time (zero: any time);
	// with Status open it lists the overdue ones.
	OpenedBefore time.Time
	// Limit is the most disputes returned; 0 or less means MaxDisputeList.
	Limit int
}

// MaxDisputeList bounds one listing of disputes.
const MaxDisputeList = 1000

// Match reports whether the dispute passes the filter (Limit aside).
func (f DisputeFilter) Match(d Dispute) bool {
	return (f.Person == 0 || d.Person == f.Person) && (f.Status == "" || d.Status == f.Status) &&
		(f.OpenedBefore.IsZero() || d.OpenedAt.Before(f.OpenedBefore))
}

// Max returns the most disputes the filter lets through.
func (f DisputeFilter) Max() int {
	if f.Limit <= 0 || f.Limit > MaxDisputeList {
		return MaxDisputeList
	}
	return f.Limit
}

// DisputeStore keeps disputes about events.
type DisputeStore interface {
	// OpenDispute opens a dispute of the person about one of their events,
	// by the app given, at the store's clock, and marks the event disputed,
	// in one transaction. The event stays in the person's record
	// (Person.Record) but leaves the record a scoring run uses by default
	// (Snapshot.Records; see Snapshot.Disputed). Errors, all changing
	// nothing: invalid input (CheckOpen) wraps ErrInvalid naming the
	// field; a person who does not exist is ErrNotFound; ErrNoEvent,
	// ErrEventDisputed, ErrEventRemoved as their names say.
	OpenDispute(ctx context.Context, person ID, event EventID, reason, by string) (Dispute, error)

	// ResolveDispute closes an open dispute with the outcome (upheld or
	// rejected), note and app given, at the store's clock, in one
	// transaction: upheld removes the event from the person's record for
	// good, rejected makes it count again. Errors, all changing nothing:
	// invalid input (CheckResolve) wraps ErrInvalid naming the field;
	// ErrNoDispute; ErrResolved for a dispute that is not open.
	ResolveDispute(ctx context.Context, id DisputeID, outcome DisputeStatus, note, by string) (Dispute, error)

	// Dispute returns the dispute, or ErrNoDispute.
	Dispute(ctx context.Context, id DisputeID) (Dispute, error)

	// Disputes returns the disputes the filter selects, newest (highest
	// id) first, at most f.Max(). With f.Person set it returns ErrNotFound
	// if there is no such person.
	Disputes(ctx context.Context, f DisputeFilter) ([]Dispute, error)

	// OpenDisputes returns how many open disputes each person with any
	// has.
	OpenDisputes(ctx context.Context) (map[ID]int, error)
}

// DisputedRecord is, for a person of a snapshot with open disputes, the
// record that includes their disputed events (Snapshot.Records holds the
// one without them) and how many disputes are open.
type DisputedRecord struct {
	ID     ID
	Open   int
	Record Record
}

// AddDisputed tells the builder that a person added (or to be added) has
// open disputes: AddPerson gets their record without the disputed events,
// AddDisputed the one with them. Entries of people who are not in the
// built snapshot are dropped.
func (b *SnapshotBuilder) AddDisputed(d DisputedRecord) { b.disputed = append(b.disputed, d) }

// takeDisputed returns the builder's disputed records of people in s,
// ascending by id.
func (b *SnapshotBuilder) takeDisputed(s *Snapshot) []DisputedRecord {
	out := b.disputed[:0]
	for _, d := range b.disputed {
		if _, ok := s.Index(d.ID); ok {
			out = append(out, d)
		}
	}
	b.disputed = nil
	if len(out) == 0 {
		return nil
	}
	slices.SortFunc(out, func(x, y DisputedRecord) int { return cmp.Compare(x.ID, y.ID) })
	return slices.Clip(out)
}
