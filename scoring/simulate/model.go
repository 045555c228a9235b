package simulate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
	"github.com/socialscore/socialscore/scoring/netstat"
	"github.com/socialscore/socialscore/seed"
)

// streamDynamics is the PCG stream of a run's random numbers (the seed
// is the run's Config.Seed).
const streamDynamics = 0x73696d756c617465 // "simulate"

// formCandidates is the number of two-hop walks a person takes to find
// friends of friends when trying to form a tie.
const formCandidates = 4

// StepResult is what one round changed.
type StepResult struct {
	Round   int // 1 for the first round
	Dropped int // friendships dropped (a pair dropped from both ends counts once)
	Formed  int // friendships formed
	Effort  int // people who invested effort
	// Touched is the number of people whose friends or base value changed,
	// where re-scoring started. The propagation was re-solved by Pushes
	// local updates, or, when the change was too widespread for that to
	// pay, by Sweeps passes over the whole network (see propagator).
	Touched int
	Pushes  int
	Sweeps  int
}

// Model is one simulation in progress: a private copy of the network and
// records, the scores under the policy, and the run's random stream. It is
// not safe for concurrent use; its methods may use several goroutines
// internally (Options.Workers) without changing results.
type Model struct {
	cfg     Config
	pol     scoring.Policy
	workers int
	rng     *rand.Rand
	round   int

	n        int
	ids      []graph.ID
	adj      [][]int32   // friends, ascending
	wts      [][]float32 // tie weights parallel to adj; nil when all are 1
	records  []graph.Record
	profiles []graph.Profile
	recOff   []int32 // recruits (never change)
	recTgt   []int32

	// Scores of the current network.
	prop       propagator
	pct        []float64 // PageRank percentile; nil when the policy ignores centrality
	value      []float64 // final score before rounding
	score      []int32
	friendMean []float64
	defaulted  []bool // record has a default (friend-default penalty)

	// CSR of the current network, rebuilt after each round.
	offsets, targets []int32
	weights          []float32

	// Per round scratch.
	lowCut  int32 // a score below it is low
	low     []bool
	touched []bool

	startDecile []int8
	last        StepResult
	perkNames   []string
}

// Options tune how a model runs; they never change its results.
type Options struct {
	// Workers bounds the goroutines a model uses; 0 means GOMAXPROCS.
	Workers int
}

// NewModel builds a model for the config. If cfg.People > 0 the network is
// seeded (seed.Generate with cfg.People and cfg.Seed) and net must be nil;
// otherwise net is the network to simulate, which is copied and never
// modified. The model is scored (step 0) before NewModel returns.
func NewModel(ctx context.Context, cfg Config, net *graph.Snapshot, o Options) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.People > 0 && net != nil {
		return nil, graph.Invalid("people", "give either people (a seeded network) or a network, not both")
	}
	if cfg.People == 0 {
		if net == nil {
			return nil, graph.Invalid("people", "is required when no network is given")
		}
	} else {
		var err error
		if net, err = SeededNetwork(cfg.People, cfg.Seed); err != nil {
			return nil, err
		}
	}
	if err := checkNetwork(net); err != nil {
		return nil, err
	}
	net = scoring.RecordsUnder(net, cfg.Policy.Policy) // disputed events, as a run counts them
	w := o.Workers
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	n := net.Len()
	m := &Model{
		cfg:      cfg,
		pol:      cfg.Policy.Policy,
		workers:  w,
		rng:      rand.New(rand.NewPCG(cfg.Seed, streamDynamics)),
		n:        n,
		ids:      slices.Clone(net.IDs),
		adj:      make([][]int32, n),
		records:  slices.Clone(net.Records),
		profiles: slices.Clone(net.Profiles),
		recOff:   slices.Clone(net.RecruitOffsets),
		recTgt:   slices.Clone(net.RecruitTargets),
		low:      make([]bool, n),
		touched:  make([]bool, n),
	}
	if net.Weights != nil {
		m.wts = make([][]float32, n)
	}
	for i := 0; i < n; i++ {
		a, e := net.Offsets[i], net.Offsets[i+1]
		m.adj[i] = slices.Clone(net.Targets[a:e])
		if m.wts != nil {
			m.wts[i] = slices.Clone(net.Weights[a:e])
		}
	}
	for _, p := range m.pol.Perks {
		m.perkNames = append(m.perkNames, p.Name)
	}
	m.rebuildCSR()
	if err := m.scoreAll(ctx, nil); err != nil {
		return nil, err
	}
	m.startDecile = netstat.Deciles(m.value)
	m.setLowCut()
	return m, nil
}

// SeededNetwork returns the seeded population seed.Generate makes for
// people and seedVal, as a snapshot taken at seed.DefaultNow
// (graph.SnapshotOf: what a store holding exactly the batch would return).
func SeededNetwork(people int, seedVal uint64) (*graph.Snapshot, error) {
	b, err := seed.Generate(seed.Config{People: people, Seed: seedVal})
	if err != nil {
		return nil, fmt.Errorf("simulate: seed network: %w", err)
	}
	return graph.SnapshotOf(b, seed.DefaultNow)
}

// checkNetwork verifies the snapshot's shape.
func checkNetwork(s *graph.Snapshot) error {
	n := s.Len()
	if n == 0 {
		return graph.Invalid("network", "has nobody to simulate")
	}
	if len(s.Records) != n || len(s.Profiles) != n {
		return graph.Invalid("network", "has %d people but %d records and %d profiles", n, len(s.Records), len(s.Profiles))
	}
	if err := s.FriendsCSR().Validate(n); err != nil {
		return graph.Under("network/friends", err)
	}
	for i := 0; i < n; i++ {
		if !slices.IsSorted(s.Targets[s.Offsets[i]:s.Offsets[i+1]]) {
			return graph.Invalid("network", "friends of person %d are not sorted", i)
		}
	}
	if len(s.RecruitOffsets) > 0 || len(s.RecruitTargets) > 0 {
		if err := s.RecruitsCSR().Validate(n); err != nil {
			return graph.Under("network/recruits", err)
		}
	}
	return nil
}

// Config returns the model's config.
func (m *Model) Config() Config { return m.cfg }

// Round returns the number of rounds done (0 before the first Step).
func (m *Model) Round() int { return m.round }

// Len returns the number of people.
func (m *Model) Len() int { return m.n }

// PerkNames returns the names of the policy's perks, in policy order (perk
// tier k+1 is PerkNames()[k]).
func (m *Model) PerkNames() []string { return slices.Clone(m.perkNames) }

// Scores returns everyone's current score, in person order.
func (m *Model) Scores() []int32 { return slices.Clone(m.score) }

// LowCut returns the score below which a person is low.
func (m *Model) LowCut() int { return int(m.lowCut) }

// StartDeciles returns everyone's decile (0..9) of the step-0 score.
func (m *Model) StartDeciles() []int8 { return slices.Clone(m.startDecile) }

// Step plays one round: drops, new ties, effort, re-scoring (see the
// package doc). On error (ctx cancelled) the model must not be used again.
func (m *Model) Step(ctx context.Context) (StepResult, error) {
	if err := ctx.Err(); err != nil {
		return StepResult{}, err
	}
	m.round++
	res := StepResult{Round: m.round}
	clear(m.touched)
	m.classifyLow()

	dropped := uniquePairs(m.decideDrops())
	for _, p := range dropped {
		m.removeTie(p.u, p.v)
	}
	res.Dropped = len(dropped)

	formed := m.decideForms(dropped)
	for _, p := range formed {
		m.addTie(p.u, p.v)
	}
	res.Formed = len(formed)

	res.Effort = m.invest()

	m.rebuildCSR()
	if err := m.scoreAll(ctx, &res); err != nil {
		return res, err
	}
	m.last = res
	return res, nil
}

// ranges splits 0..n−1 into the model's worker ranges, for work whose
// result per row does not depend on the split.
func (m *Model) ranges(fn func(lo, hi int)) {
	parallel(m.n, m.workers, fn)
}

// parallel calls fn over k contiguous ranges of 0..n−1 in k goroutines.
func parallel(n, workers int, fn func(lo, hi int)) {
	k := min(workers, max(n/4096, 1))
	if k <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for j := 0; j < k; j++ {
		lo, hi := j*n/k, (j+1)*n/k
		wg.Go(func() { fn(lo, hi) })
	}
	wg.Wait()
}
