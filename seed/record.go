package seed

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/socialscore/socialscore/graph"
)

// The record model: every quantity is a function of the latent health z
// (mean 0, sd 1; higher is healthier) plus individual noise. The constants
// are chosen for plausible aggregates over a population, not fitted to
// data; TestGenerateAggregates pins the resulting proportions.
const (
	purchaseRate   = 24.0 // median purchases per person over the record
	purchaseTicket = 38.0 // median amount of one purchase

	billRate     = 24.0 // median bill payments (two years of monthly bills)
	billLateBase = -1.6 // logit of the late share at z = 0
	billLateZ    = -0.9 // change of that logit per sd of z
	billDays     = 6.0  // median days late per late bill at z = 0

	creditBase     = 0.5 // logit of having credit at z = 0
	creditZ        = 0.6
	creditRate     = 18.0 // median credit instalments of a borrower
	creditLateBase = -2.3
	creditLateZ    = -1.1
	creditDays     = 10.0

	defaultBase   = -3.3 // logit of a borrower having defaulted at z = 0
	defaultZ      = -1.5
	defaultAmount = 1500.0 // median amount of one default
)

// profileLogit holds, per profile field, the logit at z = 0 of providing
// it and, once provided, of having it verified; both rise by profileZ per
// sd of z. Names are almost always given, national ids least often.
var profileLogit = [graph.NumProfileFields]struct{ provided, verified float64 }{
	graph.FieldName:       {3.0, 0.5},
	graph.FieldPhone:      {2.2, 1.0},
	graph.FieldEmail:      {2.0, 1.2},
	graph.FieldAddress:    {1.0, -0.3},
	graph.FieldEmployer:   {0.2, -0.8},
	graph.FieldEducation:  {0.0, -1.0},
	graph.FieldNationalID: {-0.6, 0.3},
}

const profileZ = 0.8

// profileOdds holds e^-logit of each profileLogit entry, so that a draw
// needs one exponential per person rather than one per field:
// logistic(l + βz) = 1/(1 + e^-l·e^-βz).
var profileOdds = func() (o [graph.NumProfileFields]struct{ provided, verified float64 }) {
	for f, l := range profileLogit {
		o[f].provided, o[f].verified = math.Exp(-l.provided), math.Exp(-l.verified)
	}
	return o
}()

// lateDays draws the total days late over late payments: each is at least
// a day late, plus Poisson extra days with the given mean per payment.
func lateDays(late int64, meanDays float64, rng *rand.Rand) int64 {
	if late == 0 {
		return 0
	}
	return late + poisson(float64(late)*max(meanDays-1, 0), rng)
}

// person draws the record and profile of someone with latent health z,
// with LastEventAt at or before now.
func person(z float64, now time.Time, rng *rand.Rand) (graph.Record, graph.Profile) {
	var r graph.Record
	activity := 0.4 * rng.NormFloat64() // how much this person transacts at all

	r.PurchaseCount = poisson(purchaseRate*math.Exp(0.25*z+activity), rng)
	if r.PurchaseCount > 0 {
		ticket := purchaseTicket * math.Exp(0.35*z+0.45*rng.NormFloat64())
		r.PurchaseTotal = cents(float64(r.PurchaseCount) * ticket)
	}

	bills := poisson(billRate*math.Exp(0.3*activity), rng)
	pLate := logistic(billLateBase + billLateZ*z + 0.5*rng.NormFloat64())
	r.BillsLate = binomial(bills, pLate, rng)
	r.BillsOnTime = bills - r.BillsLate
	r.BillDaysLate = lateDays(r.BillsLate, billDays*math.Exp(-0.4*z), rng)

	if rng.Float64() < logistic(creditBase+creditZ*z) {
		n := poisson(creditRate*math.Exp(0.4*activity), rng)
		pLate := logistic(creditLateBase + creditLateZ*z + 0.5*rng.NormFloat64())
		r.CreditLate = binomial(n, pLate, rng)
		r.CreditOnTime = n - r.CreditLate
		r.CreditDaysLate = lateDays(r.CreditLate, creditDays*math.Exp(-0.5*z), rng)
		if n > 0 && rng.Float64() < logistic(defaultBase+defaultZ*z) {
			r.Defaults = 1
			if rng.Float64() < 0.15 {
				r.Defaults = 2
			}
			for range r.Defaults {
				r.DefaultAmount += cents(defaultAmount * math.Exp(0.8*rng.NormFloat64()))
			}
		}
	}

	if r.Active() || r.Defaults > 0 {
		// Healthier people transact more recently; at most a year back.
		ago := rng.ExpFloat64() * 7 * 24 * float64(time.Hour) * math.Exp(-0.3*z)
		ago = min(ago, 365*24*float64(time.Hour))
		r.LastEventAt = now.Add(-time.Duration(ago)).Truncate(time.Second)
	}

	var p graph.Profile
	ez := math.Exp(-profileZ * z)
	for f, o := range profileOdds {
		if rng.Float64()*(1+o.provided*ez) < 1 { // u < logistic(provided logit + βz)
			p.Provided = p.Provided.With(graph.ProfileField(f))
			if rng.Float64()*(1+o.verified*ez) < 1 {
				p.Verified = p.Verified.With(graph.ProfileField(f))
			}
		}
	}
	return r, p
}
