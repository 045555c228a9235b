package graph

import (
	"math"
	"strconv"
	"time"
)

// Record is the financial record behind a person's pillars, kept as
// aggregates of the events reported for them. Purchases are amounts only:
// items and categories are never stored.
type Record struct {
	PurchaseTotal float64 // sum of purchase amounts, in currency units
	PurchaseCount int64

	BillsOnTime  int64 // bill payments paid on or before the due date
	BillsLate    int64 // bill payments paid after the due date
	BillDaysLate int64 // total days late over all late bill payments

	CreditOnTime   int64 // credit instalments paid on or before the due date
	CreditLate     int64
	CreditDaysLate int64

	Defaults      int64   // credit defaults
	DefaultAmount float64 // total amount defaulted

	LastEventAt time.Time // zero if no event yet
}

// Active reports whether the record shows any activity; the recruitment
// pillar counts only active recruits.
func (r Record) Active() bool {
	return r.PurchaseCount > 0 || r.BillsOnTime+r.BillsLate > 0 || r.CreditOnTime+r.CreditLate > 0
}

// Validate checks that no aggregate is negative or not a number.
func (r Record) Validate() error {
	nums := []struct {
		f string
		v float64
	}{
		{"record/purchase_total", r.PurchaseTotal},
		{"record/default_amount", r.DefaultAmount},
		{"record/purchase_count", float64(r.PurchaseCount)},
		{"record/bills_on_time", float64(r.BillsOnTime)},
		{"record/bills_late", float64(r.BillsLate)},
		{"record/bill_days_late", float64(r.BillDaysLate)},
		{"record/credit_on_time", float64(r.CreditOnTime)},
		{"record/credit_late", float64(r.CreditLate)},
		{"record/credit_days_late", float64(r.CreditDaysLate)},
		{"record/defaults", float64(r.Defaults)},
	}
	for _, n := range nums {
		if n.v < 0 || math.IsNaN(n.v) || math.IsInf(n.v, 0) {
			return Invalid(n.f, "must be a non-negative number")
		}
	}
	return nil
}

// NeutralRecord is the record given to an imported person who has no
// financial history in the import: two on-time bills, one on-time credit
// instalment and a modest purchase, so that the pillars sit near the middle
// of their range instead of at the bottom and the network, not a missing
// record, decides who differs from whom.
func NeutralRecord() Record {
	return Record{PurchaseTotal: 500, PurchaseCount: 5, BillsOnTime: 2, CreditOnTime: 1}
}

// EventType names a kind of financial event.
type EventType string

// The event types accepted by Record.Apply.
const (
	EventPurchase      EventType = "purchase"       // Amount, At
	EventBillPayment   EventType = "bill_payment"   // Amount, Due, Paid
	EventCreditPayment EventType = "credit_payment" // Amount, Due, Paid
	EventDefault       EventType = "default"        // Amount, At
)

// Event is one financial event reported for a person.
type Event struct {
	Type   EventType
	Amount float64   // >= 0
	At     time.Time // purchase and default: when it happened
	Due    time.Time // payments: due date
	Paid   time.Time // payments: date paid
}

// maxAmount bounds a single event's amount; larger values are input errors.
const maxAmount = 1e9

// Validate checks the event against now; field names are prefixed with
// prefix (e.g. "events/3").
func (e Event) Validate(prefix string, now time.Time) error {
	field := func(f string) string {
		if prefix == "" {
			return f
		}
		return prefix + "/" + f
	}
	if math.IsNaN(e.Amount) || e.Amount < 0 {
		return Invalid(field("amount"), "must not be negative")
	}
	if e.Amount > maxAmount {
		return Invalid(field("amount"), "must be at most %s", strconv.FormatFloat(maxAmount, 'f', -1, 64))
	}
	// Allow a minute of clock skew between the client and us.
	future := now.Add(time.Minute)
	switch e.Type {
	case EventPurchase, EventDefault:
		if e.At.IsZero() {
			return Invalid(field("at"), "is required for a %s", e.Type)
		}
		if e.At.After(future) {
			return Invalid(field("at"), "must not be in the future")
		}
	case EventBillPayment, EventCreditPayment:
		if e.Due.IsZero() {
			return Invalid(field("due"), "is required for a %s", e.Type)
		}
		if e.Paid.IsZero() {
			return Invalid(field("paid"), "is required for a %s", e.Type)
		}
		if e.Paid.After(future) {
			return Invalid(field("paid"), "must not be in the future")
		}
	default:
		return Invalid(field("type"), "unknown event type %q (want purchase, bill_payment, credit_payment or default)", string(e.Type))
	}
	return nil
}

// when returns the event's own time.
func (e Event) when() time.Time {
	if e.Type == EventBillPayment || e.Type == EventCreditPayment {
		return e.Paid
	}
	return e.At
}

// daysLate returns the whole days between due and paid, 0 if on time.
func daysLate(due, paid time.Time) int64 {
	if !paid.After(due) {
		return 0
	}
	d := int64(paid.Sub(due) / (24 * time.Hour))
	if d == 0 {
		d = 1 // late by less than a day is still late
	}
	return d
}

// Apply adds the events to the record. It validates every event first and
// returns the first error without changing r, so a list of events is
// applied all-or-nothing.
func (r *Record) Apply(events []Event, now time.Time) error {
	for i, e := range events {
		if err := e.Validate("events/"+strconv.Itoa(i), now); err != nil {
			return err
		}
	}
	for _, e := range events {
		r.add(e)
	}
	return nil
}

// add adds one event, already validated, to the record.
func (r *Record) add(e Event) {
	switch e.Type {
	case EventPurchase:
		r.PurchaseTotal += e.Amount
		r.PurchaseCount++
	case EventBillPayment:
		tallyPayment(e, &r.BillsOnTime, &r.BillsLate, &r.BillDaysLate)
	case EventCreditPayment:
		tallyPayment(e, &r.CreditOnTime, &r.CreditLate, &r.CreditDaysLate)
	case EventDefault:
		r.Defaults++
		r.DefaultAmount += e.Amount
	}
	if w := e.when(); w.After(r.LastEventAt) {
		r.LastEventAt = w
	}
}

// tallyPayment counts a payment event on time, or late with its days
// late, in the counters of its kind (bills or credit).
func tallyPayment(e Event, onTime, late, daysLateSum *int64) {
	if d := daysLate(e.Due, e.Paid); d > 0 {
		*late++
		*daysLateSum += d
	} else {
		*onTime++
	}
}
