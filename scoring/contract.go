package scoring

import "time"

// Score range.
const (
	MinScore = 350
	MaxScore = 950
	Span     = MaxScore - MinScore // 600
)

// Weights are the policy weights of the five pillars; they sum to 1.
type Weights struct {
	Purchase    float64 `json:"purchase" yaml:"purchase"`
	Info        float64 `json:"info" yaml:"info"`
	Bills       float64 `json:"bills" yaml:"bills"`
	Credit      float64 `json:"credit" yaml:"credit"`
	Recruitment float64 `json:"recruitment" yaml:"recruitment"`
}

// Perk is a benefit unlocked at a score threshold, optionally gated on the
// mean score of one's friends (the Facebook lending patent rule).
type Perk struct {
	Name          string `json:"name" yaml:"name"`
	Description   string `json:"description,omitempty" yaml:"description,omitempty"`
	MinScore      int    `json:"min_score" yaml:"min_score"`
	MinFriendMean int    `json:"min_friend_mean,omitempty" yaml:"min_friend_mean,omitempty"` // 0: no gate
}

// Band names a score range starting at Min (bands sorted ascending by Min).
type Band struct {
	Name string `json:"name" yaml:"name"`
	Min  int    `json:"min" yaml:"min"`
}

// Policy is a scoring policy: data, never code.
type Policy struct {
	Name        string  `json:"name" yaml:"name"`
	Description string  `json:"description,omitempty" yaml:"description,omitempty"`
	Weights     Weights `json:"weights" yaml:"weights"`
	// Alpha is the contagion strength in [0,1): s = (1-α)b + αWs.
	Alpha float64 `json:"alpha" yaml:"alpha"`
	// Centrality is the weight in [0,1) of the PageRank percentile in the
	// final combination: final = 350 + 600·((1-c)·s + c·pct/100).
	Centrality float64 `json:"centrality" yaml:"centrality"`
	// FriendDefaultPenalty (lenddo): points subtracted from the final score
	// per consenting friend with at least one default (Record.Defaults > 0),
	// capped at FriendDefaultCap points in all; a positive penalty needs a
	// positive cap. 0: friends' defaults do not count.
	FriendDefaultPenalty float64 `json:"friend_default_penalty,omitempty" yaml:"friend_default_penalty,omitempty"`
	FriendDefaultCap     float64 `json:"friend_default_cap,omitempty" yaml:"friend_default_cap,omitempty"`
	Perks                []Perk  `json:"perks" yaml:"perks"`
	Bands                []Band  `json:"bands" yaml:"bands"`
	// AdviseOnTies lets advice (scoring/live) suggest adding or dropping
	// friends. false (the default): advice names only actions on one's own
	// record, so that it never pushes people to drop friends (Wei et al.
	// 2016).
	AdviseOnTies bool `json:"advise_on_ties,omitempty" yaml:"advise_on_ties,omitempty"`
}

// Component is the points one part of the score contributes.
type Component struct {
	Name   string `json:"name"`
	Points int    `json:"points"`
}

// Reason is one factor behind a score, with a stable code.
type Reason struct {
	Code   string `json:"code"`
	Text   string `json:"text"`
	Points int    `json:"points"` // points this factor costs (negative) or adds (positive)
}

// Explanation is what a person is told about their score.
type Explanation struct {
	Score      int         `json:"score"`
	Individual int         `json:"individual"`
	Band       string      `json:"band"`
	Components []Component `json:"components"` // 350 + Σ points = Score (exactly, under the run's policy; see Explain)
	Reasons    []Reason    `json:"reasons"`    // at most four, most adverse first
	Perks      []string    `json:"perks"`      // names of the perks unlocked
}

// Options tune a scoring run.
type Options struct {
	// Progress, if set, is called once as each phase completes, from the
	// goroutine that called ScoreSnapshot, with the phase name ("pillars",
	// "propagation", "pagerank", "percentiles", "finalize"), the number of
	// phases done so far (1..5) and the number of phases (5).
	Progress func(phase string, done, total int)
	// Workers bounds parallelism; 0 means GOMAXPROCS. Results do not
	// depend on it: every sum is taken over fixed blocks in a fixed order.
	Workers int
}

// Stats reports how long each phase of a run took.
type Stats struct {
	Pillars, Propagation, PageRank, Percentiles, Finalize time.Duration
	PropagationIterations, PageRankIterations             int
	// Total is the wall time of the whole ScoreSnapshot call.
	Total time.Duration
}
