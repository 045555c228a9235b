package scoring

import (
	"math"
	"math/bits"

	"github.com/socialscore/socialscore/graph"
)

// Constants of the pillar formulas.
const (
	// PurchaseCap is the purchase total (currency units) at which the
	// purchase pillar saturates at 1.
	PurchaseCap = 100_000
	// LateDaysUnit is the number of days late that counts as one more late
	// payment in the bill and credit pillars.
	LateDaysUnit = 30
	// RecruitScale is k₀ in the recruitment pillar 1 − exp(−k/k₀).
	RecruitScale = 3
)

// ComputePillars returns the pillars of person i of the snapshot: those of
// PillarsOf for the person's record and profile, counting as recruits only
// the people i recruited whose record is active (graph.Record.Active).
func ComputePillars(s *graph.Snapshot, i int32) graph.Pillars {
	recruits := s.RecruitsCSR()
	return PillarsIn(&recruits, s.Records, s.Profiles, i)
}

// PillarsOf computes the five pillars of a record and profile, each in
// [0,1] with 1 best, given the number of active recruits k:
//
//	purchase    = min(1, log(1+T) / log(1+PurchaseCap))      T = PurchaseTotal (≥ 0)
//	info        = (|provided| + |verified|) / (2·NumProfileFields)
//	bills       = (on + 1) / (on + late + 2 + days/LateDaysUnit)
//	credit      = (on + 1) / (on + late + 2 + days/LateDaysUnit) · 2^(−defaults)
//	recruitment = 1 − exp(−k/RecruitScale)
//
// Purchase: amounts grow over orders of magnitude, so the pillar is
// logarithmic and saturates at PurchaseCap (500 units, the neutral record,
// gives 0.54). Info: a field provided counts once, a field also verified
// counts twice (verified ⊆ provided, so the pillar reaches 1 only with
// every field verified). Bills and credit: the on-time share with Laplace's
// rule of succession (add one on-time and one late payment, so no history
// gives ½ and one payment is not a perfect record), where every
// LateDaysUnit days late weigh as one more late payment. Credit is then
// halved for each default, so defaults weigh heavily (one default caps it
// at ½, two at ¼). Recruitment has diminishing returns: 1, 3 and 9 active
// recruits give 0.28, 0.63 and 0.95.
//
// Counts that are negative (invalid records) are treated as 0.
func PillarsOf(r graph.Record, p graph.Profile, activeRecruits int) graph.Pillars {
	return graph.Pillars{
		Purchase:    purchasePillar(r.PurchaseTotal),
		Info:        infoPillar(p),
		Bills:       timelyPillar(r.BillsOnTime, r.BillsLate, r.BillDaysLate),
		Credit:      timelyPillar(r.CreditOnTime, r.CreditLate, r.CreditDaysLate) * math.Exp2(-float64(max(r.Defaults, 0))),
		Recruitment: -math.Expm1(-float64(max(activeRecruits, 0)) / RecruitScale),
	}
}

var logPurchaseCap = math.Log1p(PurchaseCap)

func purchasePillar(total float64) float64 {
	if !(total > 0) { // also NaN
		return 0
	}
	return min(1, math.Log1p(total)/logPurchaseCap)
}

const allFields = graph.FieldSet(1<<graph.NumProfileFields - 1)

func infoPillar(p graph.Profile) float64 {
	provided := p.Provided & allFields
	verified := p.Verified & provided
	return float64(bits.OnesCount16(uint16(provided))+bits.OnesCount16(uint16(verified))) / float64(2*graph.NumProfileFields)
}

func timelyPillar(onTime, late, daysLate int64) float64 {
	on := float64(max(onTime, 0))
	return (on + 1) / (on + float64(max(late, 0)) + 2 + float64(max(daysLate, 0))/LateDaysUnit)
}

// Combine returns the individual value b = Σ_k w_k·pillar_k, in [0,1] when
// the weights are non-negative and sum to 1.
func (w Weights) Combine(p graph.Pillars) float64 {
	return w.Purchase*p.Purchase + w.Info*p.Info + w.Bills*p.Bills + w.Credit*p.Credit + w.Recruitment*p.Recruitment
}

// Sum returns the sum of the weights.
func (w Weights) Sum() float64 {
	return w.Purchase + w.Info + w.Bills + w.Credit + w.Recruitment
}
