package graph

import (
	"math"
	"time"
)

// Pillars are the five components of a person's own record, each
// normalised to [0,1] (1 is best).
type Pillars struct {
	Purchase    float64 // purchase amount
	Info        float64 // personal information: completeness and verification
	Bills       float64 // timely bill payment
	Credit      float64 // timely credit payment; defaults weigh heavily
	Recruitment float64 // active recruits, with diminishing returns
}

// Result is one person's outcome of a scoring run. It holds the numbers the
// score is made of, so that an explanation can be derived from it and the
// run's policy without recomputing the network.
type Result struct {
	ID         ID
	Score      int     // final score, 350..950
	Individual int     // pillars-only score on the same scale
	Pillars    Pillars // each in [0,1]
	Base       float64 // b: policy-weighted pillars, in [0,1]
	Network    float64 // s: network-adjusted value after propagation, in [0,1]
	PageRank   float64 // PageRank of the friendship graph (sums to 1 over the snapshot)
	Percentile float64 // PageRank percentile among the scored, in [0,100]
	Friends    int32   // number of consenting friends
	FriendMean float64 // mean final score of consenting friends; 0 when Friends == 0

	// Facts is what the record showed; Share is the friends' share of
	// Network − Base. Both have Known false in results stored before they
	// were kept.
	Facts RecordFacts
	Share NetworkShare
}

// Run describes a completed scoring run.
type Run struct {
	ID          string // unique, and increasing in the order runs were started
	Policy      string // name of the policy the run scored under
	PolicySpec  []byte // the policy itself as a JSON document, so results can be explained later
	StartedAt   time.Time
	FinishedAt  time.Time
	People      int // people scored
	Friendships int // undirected friendships among them
}

// HistoryEntry is one past score of a person.
type HistoryEntry struct {
	RunID      string
	Policy     string
	ComputedAt time.Time
	Score      int
	Individual int

	// PolicySpec is the run's policy as a JSON document (Run.PolicySpec),
	// so the entry can be explained; Result is the person's whole result
	// in that run.
	PolicySpec []byte
	Result     Result
}

// RecordFacts are what a person's record showed when they were scored: the
// counts of graph.Record that decide which reasons are true of it (no
// credit history is not a late payment). Counts above math.MaxUint32 are
// kept as math.MaxUint32. Known is false for results stored before facts
// were kept; such a result says nothing about the record.
type RecordFacts struct {
	Known          bool
	PurchaseCount  uint32
	BillsOnTime    uint32
	BillsLate      uint32
	BillDaysLate   uint32
	CreditOnTime   uint32
	CreditLate     uint32
	CreditDaysLate uint32
	Defaults       uint32
}

// FactsOf returns the facts of a record (Known set).
func FactsOf(r Record) RecordFacts {
	c := func(v int64) uint32 { return uint32(min(max(v, 0), math.MaxUint32)) }
	return RecordFacts{
		Known:         true,
		PurchaseCount: c(r.PurchaseCount),
		BillsOnTime:   c(r.BillsOnTime), BillsLate: c(r.BillsLate), BillDaysLate: c(r.BillDaysLate),
		CreditOnTime: c(r.CreditOnTime), CreditLate: c(r.CreditLate), CreditDaysLate: c(r.CreditDaysLate),
		Defaults: c(r.Defaults),
	}
}

// LateBills reports whether the record shows a late bill payment.
func (f RecordFacts) LateBills() bool { return f.BillsLate > 0 || f.BillDaysLate > 0 }

// LateCredit reports whether the record shows a late credit payment or a
// default.
func (f RecordFacts) LateCredit() bool {
	return f.CreditLate > 0 || f.CreditDaysLate > 0 || f.Defaults > 0
}

// NetworkShare is how a person's friends split their network value s − b:
// with W the row-normalised friendship weights and α the policy's
// contagion, friend j contributes α·W_ij·(s_j − b_i), and the sum over
// friends is s_i − b_i at the fixed point of the propagation (scoring
// computes it; see scoring.FriendShares). Raise sums the positive
// contributions (Raising friends), Lower the negative ones (Lowering
// friends); friends whose contribution is 0 are in neither. Values are on
// the scale of b and s ([0,1]); points are 600·(1−c) times them. Known is
// false for results stored before shares were kept.
type NetworkShare struct {
	Known    bool
	Raise    float64 // ≥ 0
	Lower    float64 // ≤ 0
	Raising  int32
	Lowering int32
}
