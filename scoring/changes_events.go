package scoring

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/socialscore/socialscore/graph"
)

// The causes of an event's change between two runs (EventChange.Cause).
const (
	CauseArrived  = "arrived"          // it arrived between the runs
	CauseDisputed = "disputed"         // a dispute opened between the runs excludes it
	CauseRejected = "dispute_rejected" // its dispute was rejected: it counts again
	CauseUpheld   = "dispute_upheld"   // its dispute was upheld: it is removed for good
	CausePolicy   = "policy"           // the runs' policies treat its open dispute differently
)

// EventChange is an event whose standing changed between two runs: it
// arrived, was removed, or a dispute about it was opened or resolved.
type EventChange struct {
	ID        graph.EventID   `json:"id"`
	Type      graph.EventType `json:"type"`
	Amount    float64         `json:"amount"`
	Date      time.Time       `json:"date"`           // the event's own date: at (purchase, default) or due (payments)
	Paid      *time.Time      `json:"paid,omitempty"` // payments
	Late      bool            `json:"late"`
	Provider  string          `json:"provider"`
	ArrivedAt time.Time       `json:"arrived_at"`
	// CountedBefore and CountedAfter say whether the event counted toward
	// the record each run scored.
	CountedBefore bool `json:"counted_before"`
	CountedAfter  bool `json:"counted_after"`
	// Cause is why it changed: arrived, disputed, dispute_rejected,
	// dispute_upheld, or policy (see the Cause constants).
	Cause   string          `json:"cause"`
	Dispute graph.DisputeID `json:"dispute,omitempty"` // the dispute the cause names
}

// DisputeChange is a dispute opened or resolved between two runs.
type DisputeChange struct {
	ID         graph.DisputeID     `json:"id"`
	Event      graph.EventID       `json:"event"`
	Status     graph.DisputeStatus `json:"status"` // now
	OpenedAt   time.Time           `json:"opened_at"`
	ResolvedAt *time.Time          `json:"resolved_at,omitempty"`
	// Opened and Resolved say which of the two happened between the runs.
	Opened   bool `json:"opened"`
	Resolved bool `json:"resolved"`
}

// EventChanges are the events and disputes of a person between two runs
// that started at from and to (graph.Run.StartedAt: a run reads its
// snapshot when it starts).
type EventChanges struct {
	// Added are the events that arrived between the runs (from ≤ arrival
	// < to); Removed those an upheld dispute resolved between the runs
	// removed for good; both oldest first.
	Added, Removed []EventChange
	// Moved are the events, added or not, that counted in one run and not
	// in the other: the ones that can explain a component's move.
	Moved []EventChange
	// Disputes were opened or resolved between the runs, oldest first.
	Disputes []DisputeChange
}

// countedAt reports whether the event counted in a run that started at t
// under policy p: it had arrived, no upheld dispute had removed it, and,
// unless p includes disputed events, no dispute about it was open.
func countedAt(e graph.StoredEvent, ds []graph.Dispute, t time.Time, p Policy) bool {
	if !e.ArrivedAt.Before(t) {
		return false
	}
	for _, d := range ds {
		resolvedBefore := d.Status != graph.DisputeOpen && d.ResolvedAt.Before(t)
		if d.Status == graph.DisputeUpheld && resolvedBefore {
			return false
		}
		if d.OpenedAt.Before(t) && !resolvedBefore && !p.IncludesDisputed() {
			return false
		}
	}
	return true
}

// in reports whether from ≤ t < to.
func in(t, from, to time.Time) bool { return !t.Before(from) && t.Before(to) }

// EventsBetween finds what changed in a person's events between the run
// that started at from under policy pb and the one that started at to
// under pa, from the person's kept events and disputes (any order).
func EventsBetween(events []graph.StoredEvent, disputes []graph.Dispute, from, to time.Time, pb, pa Policy) EventChanges {
	// Each event's disputes, newest first: the newest one that explains
	// the change is the cause.
	newest := slices.Clone(disputes)
	slices.SortFunc(newest, func(a, b graph.Dispute) int { return cmp.Compare(b.ID, a.ID) })
	of := map[graph.EventID][]graph.Dispute{}
	for _, d := range newest {
		of[d.Event] = append(of[d.Event], d)
	}
	out := EventChanges{Added: []EventChange{}, Removed: []EventChange{}, Moved: []EventChange{}, Disputes: []DisputeChange{}}
	for _, e := range events {
		if e.Opening() {
			continue
		}
		ds := of[e.ID]
		ec := EventChange{ID: e.ID, Type: e.Event.Type, Amount: e.Event.Amount, Date: e.Event.Date().UTC(), Late: e.Event.Late(),
			Provider: e.Provider, ArrivedAt: e.ArrivedAt.UTC(),
			CountedBefore: countedAt(e, ds, from, pb), CountedAfter: countedAt(e, ds, to, pa)}
		if e.Event.Type == graph.EventBillPayment || e.Event.Type == graph.EventCreditPayment {
			p := e.Event.Paid.UTC()
			ec.Paid = &p
		}
		// The cause: the newest dispute between the runs that explains
		// the change of standing (an upheld one is final), else its
		// arrival, else the policies.
		var removedBy graph.DisputeID
		for _, d := range ds {
			switch {
			case d.Status == graph.DisputeUpheld && in(d.ResolvedAt, from, to):
				removedBy = d.ID
				ec.Cause, ec.Dispute = CauseUpheld, d.ID
			case d.Status == graph.DisputeRejected && in(d.ResolvedAt, from, to) && ec.CountedAfter && ec.Cause == "":
				ec.Cause, ec.Dispute = CauseRejected, d.ID
			case in(d.OpenedAt, from, to) && !ec.CountedAfter && ec.Cause == "":
				ec.Cause, ec.Dispute = CauseDisputed, d.ID
			}
		}
		arrived := in(e.ArrivedAt, from, to)
		if arrived && (ec.Cause == "" || ec.CountedAfter) {
			ec.Cause, ec.Dispute = CauseArrived, 0
		}
		if ec.Cause == "" {
			ec.Cause = CausePolicy
		}
		if arrived {
			out.Added = append(out.Added, ec)
		}
		if removedBy != 0 {
			r := ec
			r.Cause, r.Dispute = CauseUpheld, removedBy
			out.Removed = append(out.Removed, r)
		}
		if ec.CountedBefore != ec.CountedAfter {
			out.Moved = append(out.Moved, ec)
		}
	}
	for _, d := range disputes {
		opened := in(d.OpenedAt, from, to)
		resolved := d.Status != graph.DisputeOpen && in(d.ResolvedAt, from, to)
		if !opened && !resolved {
			continue
		}
		dc := DisputeChange{ID: d.ID, Event: d.Event, Status: d.Status, OpenedAt: d.OpenedAt.UTC(), Opened: opened, Resolved: resolved}
		if d.Status != graph.DisputeOpen {
			r := d.ResolvedAt.UTC()
			dc.ResolvedAt = &r
		}
		out.Disputes = append(out.Disputes, dc)
	}
	byID := func(a, b EventChange) int { return cmp.Compare(a.ID, b.ID) }
	slices.SortFunc(out.Added, byID)
	slices.SortFunc(out.Removed, byID)
	slices.SortFunc(out.Moved, byID)
	slices.SortFunc(out.Disputes, func(a, b DisputeChange) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// eventComponent is the component an event's record counts feed.
func eventComponent(t graph.EventType) string {
	switch t {
	case graph.EventPurchase:
		return ComponentPurchase
	case graph.EventBillPayment:
		return ComponentBills
	case graph.EventCreditPayment, graph.EventDefault:
		return ComponentCredit
	}
	return ""
}

// kind names an event's kind in a sentence ("default", "late bill
// payment"), singular or plural.
func kind(e EventChange, n int) string {
	var s string
	switch e.Type {
	case graph.EventDefault:
		s = "default"
	case graph.EventPurchase:
		s = "purchase"
	case graph.EventBillPayment, graph.EventCreditPayment:
		timing := "on-time"
		if e.Late {
			timing = "late"
		}
		what := "bill"
		if e.Type == graph.EventCreditPayment {
			what = "credit"
		}
		s = timing + " " + what + " payment"
	default:
		s = string(e.Type)
	}
	if n != 1 {
		s += "s"
	}
	return s
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// signed formats a points delta with its sign ("−59 points", "+4 points").
func signed(d int) string {
	if d < 0 {
		return "−" + plural(-d, "point")
	}
	return "+" + plural(d, "point")
}

// eventDriver is the sentence naming the events that moved a component by
// d points, or "" when they do not explain it: the events must all move
// the component the way d goes (a default or late payment counting lowers
// it, leaving raises it; an on-time payment or purchase the other way).
func eventDriver(d int, evs []EventChange) string {
	if len(evs) == 0 || d == 0 {
		return ""
	}
	for _, e := range evs {
		harmful := e.Type == graph.EventDefault || e.Late
		if (e.CountedAfter == harmful) != (d < 0) {
			return ""
		}
	}
	first := evs[0]
	same := true
	for _, e := range evs[1:] {
		if kind(e, 1) != kind(first, 1) || e.Cause != first.Cause {
			same = false
		}
	}
	if !same {
		return fmt.Sprintf("%d changes to your events (%s) moved your score by %s", len(evs), describe(evs), signed(d))
	}
	n := len(evs)
	k := kind(first, n)
	on := "on"
	if first.Type == graph.EventBillPayment || first.Type == graph.EventCreditPayment {
		on = "due"
	}
	the := "the " + k + " of " + day(first.Date) // one event
	a := "a " + k + " " + on + " " + day(first.Date)
	if first.Type == graph.EventPurchase || (first.Type != graph.EventDefault && !first.Late) {
		if strings.HasPrefix(k, "on-time") {
			a = "an " + k + " " + on + " " + day(first.Date)
		}
	}
	if n > 1 {
		the = fmt.Sprintf("%d %s", n, k)
		a = the
	}
	switch first.Cause {
	case CauseArrived:
		if d < 0 {
			return fmt.Sprintf("%s cost %s", a, plural(-d, "point"))
		}
		return fmt.Sprintf("%s added %s", a, plural(d, "point"))
	case CauseDisputed:
		// d is the component's move, not the score's (the network moves
		// too when one's own points do): the sentence names the component.
		if d > 0 {
			return fmt.Sprintf("disputing %s raised your %s points by %d", the, eventComponent(first.Type), d)
		}
		return fmt.Sprintf("disputing %s lowered your %s points by %d", the, eventComponent(first.Type), -d)
	case CauseRejected:
		if n == 1 {
			return fmt.Sprintf("the dispute of %s was rejected: it counts again (%s)", the, signed(d))
		}
		return fmt.Sprintf("the disputes of %s were rejected: they count again (%s)", the, signed(d))
	case CauseUpheld:
		if n == 1 {
			return fmt.Sprintf("the dispute of %s was upheld: it is removed from your record (%s)", the, signed(d))
		}
		return fmt.Sprintf("the disputes of %s were upheld: they are removed from your record (%s)", the, signed(d))
	}
	verb := "no longer counts"
	if first.CountedAfter {
		verb = "counts again"
	}
	if n > 1 {
		verb = strings.Replace(verb, "counts", "count", 1)
	}
	return fmt.Sprintf("under the new policy %s %s (%s)", the, verb, signed(d))
}

// describe lists events briefly: "default of 2026-10-03, late bill payment of 2026-09-01".
func describe(evs []EventChange) string {
	parts := make([]string, len(evs))
	for i, e := range evs {
		parts[i] = kind(e, 1) + " of " + day(e.Date)
	}
	return strings.Join(parts, ", ")
}
