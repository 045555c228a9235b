package scoring

import (
	"context"
	"time"

	"github.com/socialscore/socialscore/graph"
)

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

	// FriendShares says how a person may see what each friend adds to or
	// takes from their score: FriendSharesAggregate ("aggregate", the
	// default when empty) only as the score's network.raise and
	// network.lower; FriendSharesListed ("listed") also friend by friend
	// (GET /v1/people/{id}/score/friends). The list reveals the friends'
	// standing relative to the person, so it is personal data about them.
	FriendShares string `json:"friend_shares,omitempty" yaml:"friend_shares,omitempty"`

	// DisputedEvents says whether events under an open dispute count:
	// DisputedExclude ("exclude", the default; empty means it too) or
	// DisputedInclude ("include"). See RecordsUnder.
	DisputedEvents string `json:"disputed_events,omitempty" yaml:"disputed_events,omitempty"`

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
	// Max is the most points the component can earn under the policy
	// (points ≤ max); nil for the network and friend_defaults, which
	// have no maximum.
	Max *int `json:"max,omitempty"`
}

// Reason is one factor behind a score, with a stable code.
type Reason struct {
	Code   string `json:"code"`
	Text   string `json:"text"`
	Points int    `json:"points"` // points this factor costs (negative) or adds (positive)
	// PointsMissing is how far the component is below its maximum:
	// Component.Max − Component.Points, or for the network and
	// friend_defaults (no maximum) the points below 0; 0 for NET02.
	PointsMissing int `json:"points_missing"`
}

// Explanation is what a person is told about their score.
type Explanation struct {
	Score      int         `json:"score"`
	Individual int         `json:"individual"`
	Band       string      `json:"band"`
	Components []Component `json:"components"` // 350 + Σ points = Score (exactly, under the run's policy; see Explain)
	Reasons    []Reason    `json:"reasons"`    // at most four, most adverse first
	Perks      []string    `json:"perks"`      // names of the perks unlocked
	// Network divides the network component between the friends who
	// raise it and those who lower it; nil for a result stored before
	// friends' shares were kept.
	Network *NetworkSplit `json:"network"`
}

// NetworkSplit is the network component divided between friends:
// Raise.Points + Lower.Points is the network component's points.
type NetworkSplit struct {
	Raise FriendsPoints `json:"raise"` // friends above one's own value: points ≥ 0
	Lower FriendsPoints `json:"lower"` // friends below it: points ≤ 0
}

// FriendsPoints is how many friends move a score one way, and by how
// many points together.
type FriendsPoints struct {
	Friends int `json:"friends"`
	Points  int `json:"points"`
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
	// Engine, if set, runs the graph phases (propagation and PageRank) in
	// place of this package's kernels, e.g. on a Spark cluster
	// (scoring/spark). Everything else — pillars and b before, percentiles,
	// penalties and the final combination after — stays here, so the model
	// has one home whichever engine computes the graph phases.
	Engine GraphEngine
}

// GraphEngine computes the two graph phases of a scoring run
// (ScoreSnapshot's phases 2 and 3) with this package's definitions: s, the
// fixed point of s = (1−α)b + αWs with W the row-normalised tie weights
// (a person without friends keeps b), and the PageRank of the friendship
// graph (d = DefaultDamping, unweighted, dangling mass spread uniformly,
// summing to 1). An engine is checked against PropagateCSR and PageRank on
// every test graph.
type GraphEngine interface {
	// Name names the engine in messages ("spark").
	Name() string
	// Graph returns s and PageRank, one value per person of in, in order.
	Graph(ctx context.Context, in GraphInput) (GraphOutput, error)
}

// GraphInput is what an engine gets: the people in snapshot order, their
// pillars and b, and the symmetric friendship CSR with its weights (nil:
// every tie weighs 1).
type GraphInput struct {
	IDs     []graph.ID
	Pillars []graph.Pillars
	B       []float64
	Friends graph.CSR
	Alpha   float64
}

// GraphOutput is an engine's answer.
type GraphOutput struct {
	S, PageRank                               []float64
	PropagationIterations, PageRankIterations int
}

// Stats reports how long each phase of a run took.
type Stats struct {
	Pillars, Propagation, PageRank, Percentiles, Finalize time.Duration
	PropagationIterations, PageRankIterations             int
	// Total is the wall time of the whole ScoreSnapshot call.
	Total time.Duration
}
