package graph

import (
	"context"
	"time"
)

// PersonStore keeps people and their records.
type PersonStore interface {
	// PutPerson creates the person or replaces their consent and profile.
	// The store sets CreatedAt and UpdatedAt; the caller's values are ignored.
	// The record of an existing person is kept (it changes only through
	// UpdateRecord); the record given is used only when the person is new.
	// It reports whether the person was created. Invalid input returns an
	// error wrapping ErrInvalid and changes nothing. A person whose consent
	// is withdrawn (Consent false) has every stored score erased in the
	// same transaction: they are no longer scored.
	PutPerson(ctx context.Context, p Person) (created bool, err error)

	// Person returns the person with the id, whether or not they consented.
	// It returns ErrNotFound if there is none.
	Person(ctx context.Context, id ID) (Person, error)

	// DeletePerson erases the person, every tie they are part of and every
	// score stored for them, in one transaction. It returns ErrNotFound if
	// there is no such person.
	DeletePerson(ctx context.Context, id ID) error

	// UpdateRecord applies fn to the person's record and stores the result
	// in one transaction, so concurrent updates are not lost. If fn returns
	// an error nothing is stored and that error is returned. It returns
	// ErrNotFound if there is no such person. For a person whose events
	// are kept (EventStore) the change is made to their opening balance
	// (RebaseOpening), so the record stays derived from the events; a
	// change that would take the opening balance below zero is ErrInvalid.
	UpdateRecord(ctx context.Context, id ID, fn func(*Record) error) (Person, error)
}

// TieStore keeps friendships and recruitments.
type TieStore interface {
	// PutTie creates the tie, or updates the weight of an existing
	// friendship. It returns an error wrapping ErrInvalid for a self-tie or
	// bad weight, ErrNotFound if either person does not exist, and
	// ErrConflict if the recruit already has a different recruiter.
	PutTie(ctx context.Context, t Tie) error

	// DeleteTie removes the tie of the kind between a and b (for a
	// friendship, in either order; for a recruitment, a is the recruiter).
	// It returns ErrNotFound if there is none.
	DeleteTie(ctx context.Context, kind TieKind, a, b ID) error

	// Ties returns every tie the person is part of, friendships normalised,
	// ordered by kind, then From, then To. It returns ErrNotFound if the
	// person does not exist.
	Ties(ctx context.Context, id ID) ([]Tie, error)
}

// BatchWriter applies many writes at once.
type BatchWriter interface {
	// ApplyBatch creates the batch's people and ties all-or-nothing: if any
	// person or tie is invalid (ErrInvalid), names a missing person
	// (ErrNotFound) or repeats an existing id (ErrConflict), nothing is
	// stored. A store may split a very large batch into several
	// transactions internally only if it can still undo them all on
	// failure.
	ApplyBatch(ctx context.Context, b Batch) error
}

// SnapshotReader reads the consenting network for a scoring run.
type SnapshotReader interface {
	// Snapshot returns the consenting people, the friendships and
	// recruitments among them, and their records, as a consistent CSR view.
	Snapshot(ctx context.Context) (*Snapshot, error)
}

// FreshSnapshotReader is a store that keeps a persisted image of its
// snapshot (see WriteImage): Snapshot may answer from the image,
// FreshSnapshot reads the network from the store's own records, bypassing
// (and not updating) the image. Tests compare the two.
type FreshSnapshotReader interface {
	FreshSnapshot(ctx context.Context) (*Snapshot, error)
}

// ScoreStore keeps the results of scoring runs.
type ScoreStore interface {
	// SaveRun stores a completed run and its results. It is atomic: until it
	// returns nil, LatestRun returns the previous run; if it fails the
	// previous run stays in place. Results of people who no longer exist or
	// no longer consent are dropped, so a run racing with an erasure or a
	// withdrawal of consent never stores their scores again.
	SaveRun(ctx context.Context, run Run, results []Result) error

	// LatestRun returns the most recently saved run and its results,
	// ordered by id. It returns ErrNotFound if no run was saved yet.
	LatestRun(ctx context.Context) (Run, []Result, error)

	// History returns up to limit past scores of the person, newest first.
	// A person without scores has an empty history. It returns ErrNotFound
	// if the person does not exist.
	History(ctx context.Context, id ID, limit int) ([]HistoryEntry, error)
}

// Counts is the size of what a store holds.
type Counts struct {
	People       int
	Consenting   int
	Friendships  int
	Recruitments int
}

// Store is everything a socialscore backend provides.
type Store interface {
	PersonStore
	TieStore
	BatchWriter
	SnapshotReader
	ScoreStore
	EventStore
	DisputeStore

	// Counts returns how many people and ties are stored.
	Counts(ctx context.Context) (Counts, error)
	// Ping reports whether the store is reachable; it returns an error
	// wrapping ErrUnavailable when it is not.
	Ping(ctx context.Context) error
	// Close releases the store. It is idempotent; afterwards every other
	// method returns an error wrapping ErrUnavailable.
	Close() error
}

// Clock returns the current time; stores and services take one so tests
// can fix it.
type Clock func() time.Time
