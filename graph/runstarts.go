package graph

import (
	"context"
	"time"
)

// RunStarts is implemented by both stores: when retained runs started.
// A run reads its snapshot right after it starts (scoring.Runner), so an
// event counts in a run if it arrived before the run's start, and a
// dispute opened or resolved before it is in force in that run.
type RunStarts interface {
	// RunStarted returns the start time (Run.StartedAt) of each of the
	// retained, complete runs named; ids of other runs are left out of the
	// map.
	RunStarted(ctx context.Context, ids []string) (map[string]time.Time, error)
}

// Late reports whether a payment event was paid after its due date (a
// purchase or default is never late).
func (e Event) Late() bool {
	switch e.Type {
	case EventBillPayment, EventCreditPayment:
		return daysLate(e.Due, e.Paid) > 0
	}
	return false
}

// Date is the event's own date: when a purchase or default happened, when
// a payment was due (not when it arrived).
func (e Event) Date() time.Time {
	switch e.Type {
	case EventBillPayment, EventCreditPayment:
		return e.Due
	}
	return e.At
}
