package contagion

import (
	"strconv"
	"strings"
	"time"

	"github.com/socialscore/socialscore/graph"
)

// Defaults of ParseEvent.
const (
	DefaultDefaultAmount = 1000.0 // currency units defaulted by "default"
	DefaultDaysLate      = 30     // days late of "missed_bill" and "late_credit"
	DefaultBillAmount    = 100.0  // amount of a bill or instalment
)

// EventKinds lists the shorthand event kinds ParseEvent accepts.
func EventKinds() []string {
	return []string{"default[:AMOUNT]", "missed_bill[:DAYS]", "late_credit[:DAYS]", "paid_bill", "paid_credit", "purchase:AMOUNT"}
}

// ParseEvent turns a shorthand used by the CLI (and usable by an API) into
// an event happening at now:
//
//	default[:AMOUNT]     a credit default of AMOUNT (default 1000)
//	missed_bill[:DAYS]   a bill paid DAYS days late (default 30), today
//	late_credit[:DAYS]   a credit instalment paid DAYS days late, today
//	paid_bill            a bill paid on time today
//	paid_credit          a credit instalment paid on time today
//	purchase:AMOUNT      a purchase of AMOUNT today
//
// The record model has no unpaid bill: a missed bill is one paid late,
// and each LateDaysUnit (30) days late weighs as one more late payment.
// Errors wrap graph.ErrInvalid.
func ParseEvent(spec string, now time.Time) (graph.Event, error) {
	kind, arg, hasArg := strings.Cut(strings.TrimSpace(spec), ":")
	num := func(def float64, what string, integer bool) (float64, error) {
		if !hasArg {
			if def < 0 {
				return 0, graph.Invalid("event", "%q needs :%s", kind, what)
			}
			return def, nil
		}
		v, err := strconv.ParseFloat(arg, 64)
		if err != nil || v < 0 || v > 1e9 || (integer && v != float64(int64(v))) {
			return 0, graph.Invalid("event", "%q: %s must be a non-negative number, got %q", kind, what, arg)
		}
		return v, nil
	}
	noArg := func() error {
		if hasArg {
			return graph.Invalid("event", "%q takes no argument", kind)
		}
		return nil
	}
	switch strings.ToLower(kind) {
	case "default":
		amt, err := num(DefaultDefaultAmount, "AMOUNT", false)
		return graph.Event{Type: graph.EventDefault, Amount: amt, At: now}, err
	case "missed_bill", "late_bill":
		days, err := num(DefaultDaysLate, "DAYS", true)
		return graph.Event{Type: graph.EventBillPayment, Amount: DefaultBillAmount, Due: now.Add(-time.Duration(days) * 24 * time.Hour), Paid: now}, err
	case "late_credit", "missed_credit":
		days, err := num(DefaultDaysLate, "DAYS", true)
		return graph.Event{Type: graph.EventCreditPayment, Amount: DefaultBillAmount, Due: now.Add(-time.Duration(days) * 24 * time.Hour), Paid: now}, err
	case "paid_bill":
		return graph.Event{Type: graph.EventBillPayment, Amount: DefaultBillAmount, Due: now, Paid: now}, noArg()
	case "paid_credit":
		return graph.Event{Type: graph.EventCreditPayment, Amount: DefaultBillAmount, Due: now, Paid: now}, noArg()
	case "purchase":
		amt, err := num(-1, "AMOUNT", false)
		return graph.Event{Type: graph.EventPurchase, Amount: amt, At: now}, err
	}
	return graph.Event{}, graph.Invalid("event", "unknown event %q (want one of %s)", spec, strings.Join(EventKinds(), ", "))
}
