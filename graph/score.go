package graph

import "time"

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
}
