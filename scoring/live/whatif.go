package live

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

// Outcome is a person's result with its explanation.
type Outcome struct {
	Result      graph.Result
	Explanation scoring.Explanation
}

// WhatIfAnswer is what a person's score would be after hypothetical
// changes, beside what it is now.
type WhatIfAnswer struct {
	Now, Then Outcome
	// Delta is Then's score minus Now's.
	Delta int
	// Gain is the unrounded change (scoring.FinalValue after minus before),
	// which ranks actions that move the rounded score alike.
	Gain float64
}

// WhatIf returns the score, band, perks, components and reasons person
// id would have after the hypothetical changes (TieSet, TieRemoved,
// Events, RecordSet, for anyone in the network), and the delta from now.
// It works on an overlay of the live state (copy-on-write of the rows and
// values the changes touch, pushed to the same bounds as Apply): nothing
// is stored and the live view is untouched. An invalid change returns its
// error, its field under "changes/<index>".
func (e *Engine) WhatIf(id graph.ID, changes []Change) (WhatIfAnswer, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.whatIf(id, changes)
}

func (e *Engine) whatIf(id graph.ID, changes []Change) (WhatIfAnswer, error) {
	var a WhatIfAnswer
	p, err := e.present(e.st, id, "id")
	if err != nil {
		return a, err
	}
	before := e.st.result(p, id)
	v0 := e.st.finalValue(p)
	ov := e.st.overlay()
	for i, c := range changes {
		if err := e.apply(ov, c, false); err != nil {
			return a, graph.Under(fmt.Sprintf("changes/%d", i), err)
		}
	}
	after := ov.result(p, id)
	a.Now = Outcome{before, scoring.Explain(before, e.pol)}
	a.Then = Outcome{after, scoring.Explain(after, e.pol)}
	a.Delta = after.Score - before.Score
	a.Gain = ov.finalValue(p) - v0
	return a, nil
}

// Action is one piece of advice: changes to one's own record and what
// they would do to the score (computed by WhatIf).
type Action struct {
	Code    string   // stable: pay_bills_on_time, pay_credit_on_time, verify_field, provide_field
	Text    string   // for the person
	Field   string   // verify_field, provide_field: the profile field
	Months  int      // pay_*: months of on-time payments
	Changes []Change // what WhatIf was asked
	Points  int      // WhatIf's Delta
	Gain    float64  // WhatIf's Gain (unrounded points)
}

// AdviceMonths is the horizon of the payment advice.
const AdviceMonths = 12

// MaxAdvice is the most actions Advice returns.
const MaxAdvice = 4

// Advice returns up to MaxAdvice actions on person id's own record, ranked
// by the points they would gain (each computed by WhatIf on the live
// state), only those that gain: pay bills on time for AdviceMonths
// months; pay credit instalments on time for as long (if one has credit);
// verify a provided profile field; provide a missing one. It never
// suggests adding or dropping friends: the policy's AdviseOnTies is the
// only way to ask for that, and no tie advice exists yet, so it is the
// same either way. now dates the hypothetical payments.
func (e *Engine) Advice(id graph.ID, now time.Time) ([]Action, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	p, err := e.present(e.st, id, "id")
	if err != nil {
		return nil, err
	}
	rec, prof := e.st.rec.get(p), e.st.prof.get(p)
	var cands []Action
	payments := func(t graph.EventType) []graph.Event {
		evs := make([]graph.Event, AdviceMonths)
		for m := range evs {
			due := now.AddDate(0, -m, 0)
			evs[m] = graph.Event{Type: t, Amount: 100, Due: due, Paid: due}
		}
		return evs
	}
	cands = append(cands, Action{
		Code: "pay_bills_on_time", Months: AdviceMonths,
		Text:    fmt.Sprintf("Pay your bills on time for %d months", AdviceMonths),
		Changes: []Change{{Kind: Events, A: id, Events: payments(graph.EventBillPayment), Now: now}},
	})
	if rec.CreditOnTime+rec.CreditLate > 0 {
		cands = append(cands, Action{
			Code: "pay_credit_on_time", Months: AdviceMonths,
			Text:    fmt.Sprintf("Pay your credit instalments on time for %d months", AdviceMonths),
			Changes: []Change{{Kind: Events, A: id, Events: payments(graph.EventCreditPayment), Now: now}},
		})
	}
	for f := graph.ProfileField(0); int(f) < graph.NumProfileFields; f++ {
		np := prof
		var a Action
		switch {
		case prof.Provided.Has(f) && !prof.Verified.Has(f):
			np.Verified = np.Verified.With(f)
			a = Action{Code: "verify_field", Field: f.String(), Text: "Verify your " + f.String()}
		case !prof.Provided.Has(f):
			np.Provided = np.Provided.With(f)
			a = Action{Code: "provide_field", Field: f.String(), Text: "Add your " + f.String() + " to your profile"}
		default:
			continue
		}
		a.Changes = []Change{{Kind: RecordSet, A: id, Profile: &np}}
		cands = append(cands, a)
	}
	var out []Action
	for _, a := range cands {
		w, err := e.whatIf(id, a.Changes)
		if err != nil {
			return nil, err
		}
		if w.Gain <= 0 {
			continue
		}
		a.Points, a.Gain = w.Delta, w.Gain
		out = append(out, a)
	}
	slices.SortStableFunc(out, func(x, y Action) int {
		if c := cmp.Compare(y.Points, x.Points); c != 0 {
			return c
		}
		return cmp.Compare(y.Gain, x.Gain)
	})
	if len(out) > MaxAdvice {
		out = out[:MaxAdvice]
	}
	return out, nil
}
