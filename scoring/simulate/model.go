package simulate

import (
	"cmp"
	"context"
	"fmt"
	"math"
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
// people and seedVal, as a snapshot.
func SeededNetwork(people int, seedVal uint64) (*graph.Snapshot, error) {
	b, err := seed.Generate(seed.Config{People: people, Seed: seedVal})
	if err != nil {
		return nil, fmt.Errorf("simulate: seed network: %w", err)
	}
	return SnapshotOf(b)
}

// SnapshotOf builds the snapshot of a batch's consenting people and their
// ties, as a store would return it after applying the batch.
func SnapshotOf(b graph.Batch) (*graph.Snapshot, error) {
	var sb graph.SnapshotBuilder
	for _, p := range b.People {
		sb.AddPerson(p)
	}
	for _, t := range b.Ties {
		sb.AddTie(t)
	}
	return sb.Build(seed.DefaultNow)
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
	if len(s.Offsets) != n+1 {
		return graph.Invalid("network", "friend offsets have length %d, want %d", len(s.Offsets), n+1)
	}
	if err := netstat.Check(s.Offsets, s.Targets); err != nil {
		return graph.Invalid("network", "friends: %v", err)
	}
	if s.Weights != nil && len(s.Weights) != len(s.Targets) {
		return graph.Invalid("network", "has %d weights for %d ties", len(s.Weights), len(s.Targets))
	}
	for i := 0; i < n; i++ {
		if !slices.IsSorted(s.Targets[s.Offsets[i]:s.Offsets[i+1]]) {
			return graph.Invalid("network", "friends of person %d are not sorted", i)
		}
	}
	if len(s.RecruitOffsets) > 0 || len(s.RecruitTargets) > 0 {
		if len(s.RecruitOffsets) != n+1 {
			return graph.Invalid("network", "recruit offsets have length %d, want %d", len(s.RecruitOffsets), n+1)
		}
		if err := netstat.Check(s.RecruitOffsets, s.RecruitTargets); err != nil {
			return graph.Invalid("network", "recruits: %v", err)
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

// pair is a tie: undirected with u < v (mkPair), or directed (u drops v).
type pair struct{ u, v int32 }

func mkPair(a, b int32) pair {
	if a > b {
		a, b = b, a
	}
	return pair{a, b}
}

func comparePairs(a, b pair) int {
	if c := cmp.Compare(a.u, b.u); c != 0 {
		return c
	}
	return cmp.Compare(a.v, b.v)
}

// classifyLow marks who is low: a current individual score (or score,
// Config.LowOn) below the cut.
func (m *Model) classifyLow() {
	for i := range m.score {
		m.low[i] = m.lowKey(i) < m.lowCut
	}
}

// setLowCut fixes the score below which people are low: LowScore, or the
// step-0 score of mid-rank percentile 100·LowQuantile, that is the lowest
// score s with (#{score < s} + ½·#{score = s})/n ≥ LowQuantile. Call it
// once, on the step-0 scores.
func (m *Model) setLowCut() {
	if m.cfg.LowQuantile == 0 {
		m.lowCut = int32(m.cfg.LowScore)
		return
	}
	var hist [scoring.MaxScore + 1]int
	for i := range m.score {
		hist[m.lowKey(i)]++
	}
	below := 0
	q2n := 2 * m.cfg.LowQuantile * float64(m.n)
	m.lowCut = scoring.MaxScore + 1
	for s := scoring.MinScore; s <= scoring.MaxScore; s++ {
		if float64(2*below+hist[s]) >= q2n {
			m.lowCut = int32(s)
			return
		}
		below += hist[s]
	}
}

// lowKey is the score on which person i is judged low or high (Config.LowOn).
func (m *Model) lowKey(i int) int32 {
	if m.cfg.LowOn == LowOnScore {
		return m.score[i]
	}
	return int32(toScore(scoring.MinScore + scoring.Span*m.prop.b[i]))
}

// pDrop is the probability that u drops a low friend the rule picks, at
// full stake (see stake).
func (m *Model) pDrop(u int32) float64 {
	if m.low[u] {
		return m.cfg.PLowDropsLow
	}
	return m.cfg.PHighDropsLow
}

// stake is how much u cares about what friends do to u's score, in [0,1]:
// 0 when u's friends cost u nothing overall (cost ≤ 0, the points u would
// have with no friends minus the points u has, as the one-step estimate
// gives them), 1 when they cost FullCost points or more, in proportion in
// between; with FullCost 0, 1 whenever they cost anything. br must be
// reset for u.
func (m *Model) stake(br *bestResponse) float64 {
	cost := br.cost(m)
	switch {
	case !(cost > 0):
		return 0
	case m.cfg.FullCost == 0 || cost >= m.cfg.FullCost:
		return 1
	}
	return cost / m.cfg.FullCost
}

// decideDrops returns the drops decided this round, as (dropper, dropped)
// in the order decided. Each person, in index order, whose friends cost
// them points considers the low friends the rule picks among those who
// pull their score down, in order of preference, and drops each with the
// probability for their own type times their stake, up to the cap.
// Decisions use the scores and friendships at the start of the round.
func (m *Model) decideDrops() []pair {
	var out []pair
	limit := m.cfg.MaxDropsPerRound
	if limit == 0 || (m.cfg.PHighDropsLow == 0 && m.cfg.PLowDropsLow == 0) {
		return nil
	}
	var cand []int32
	var br bestResponse
	for ui := 0; ui < m.n; ui++ {
		u := int32(ui)
		p := m.pDrop(u)
		if p == 0 || len(m.adj[u]) == 0 {
			continue
		}
		br.reset(m, u)
		if p *= m.stake(&br); p == 0 {
			continue
		}
		drops := 0
		switch m.cfg.DropRule {
		case Threshold, Relative:
			cand = cand[:0]
			for k, v := range m.adj[u] {
				if m.low[v] && m.ruleMarks(u, v) && br.gain(m, k, v) > 0 {
					cand = append(cand, v)
				}
			}
			// Lowest scorers first (they pull down most); ties by index.
			slices.SortFunc(cand, func(a, b int32) int {
				if c := cmp.Compare(m.score[a], m.score[b]); c != 0 {
					return c
				}
				return cmp.Compare(a, b)
			})
			for _, v := range cand {
				if drops == limit {
					break
				}
				if m.rng.Float64() < p {
					out = append(out, pair{u, v})
					drops++
				}
			}
		case BestResponse:
			for drops < limit {
				v, gain := br.best(m)
				if v < 0 || !(gain > 0) || gain < m.cfg.MinGain {
					break
				}
				if m.rng.Float64() < p {
					br.remove(m, v)
					out = append(out, pair{u, v})
					drops++
				} else {
					br.spare(v)
				}
			}
		}
	}
	return out
}

// uniquePairs returns the undirected ties of the drops, sorted, each once
// (a tie dropped from both ends counts once).
func uniquePairs(drops []pair) []pair {
	out := make([]pair, len(drops))
	for i, d := range drops {
		out[i] = mkPair(d.u, d.v)
	}
	slices.SortFunc(out, comparePairs)
	return slices.Compact(out)
}

// ruleMarks reports whether the threshold or relative rule marks friend v
// of u for dropping (v's lowness is checked by the caller).
func (m *Model) ruleMarks(u, v int32) bool {
	if m.cfg.DropRule == Threshold {
		return int(m.score[v]) < m.cfg.Threshold
	}
	return int(m.score[v]) < int(m.score[u])-m.cfg.Margin
}

// bestResponse evaluates, for one person u, the one-step estimate of u's
// score after removing a set R of friends: with the friends' network values
// s_v held fixed,
//
//	ŝ_u(R) = (1−α)·b_u + α·Σ_{v∉R} w_uv·s_v / Σ_{v∉R} w_uv   (b_u if no friend is left)
//	points(R) = 600·(1−c)·ŝ_u(R) − min(cap, penalty·#{v∉R : v has a default})
//
// and the gain of removing v is points(R ∪ {v}) − points(R).
type bestResponse struct {
	u               int32
	sumW, sumWS     float64 // over friends not removed
	defaults        int     // friends not removed with a default
	removed, spared []int32 // removed, or kept after a failed draw
}

func (br *bestResponse) reset(m *Model, u int32) {
	br.u = u
	br.sumW, br.sumWS, br.defaults = 0, 0, 0
	br.removed, br.spared = br.removed[:0], br.spared[:0]
	s := m.prop.s
	for k, v := range m.adj[u] {
		w := m.weight(u, k)
		br.sumW += w
		br.sumWS += w * s[v]
		if m.defaulted != nil && m.defaulted[v] {
			br.defaults++
		}
	}
}

// points is the estimate for the remaining friends' sums.
func (br *bestResponse) points(m *Model, sumW, sumWS float64, defaults int) float64 {
	alpha, c := m.pol.Alpha, m.pol.Centrality
	b := m.prop.b[br.u]
	sh := b
	if sumW > 0 {
		sh = (1-alpha)*b + alpha*sumWS/sumW
	}
	pts := scoring.Span * (1 - c) * sh
	if m.defaulted != nil {
		pts -= min(m.pol.FriendDefaultCap, m.pol.FriendDefaultPenalty*float64(defaults))
	}
	return pts
}

// cost is what u's friends cost u overall: the points with no friends
// minus the points with all of them (negative when friends lift u).
func (br *bestResponse) cost(m *Model) float64 {
	return br.points(m, 0, 0, 0) - br.points(m, br.sumW, br.sumWS, br.defaults)
}

// gain is what removing v, u's k-th friend, gains u, given the removals
// so far this round.
func (br *bestResponse) gain(m *Model, k int, v int32) float64 {
	return br.without(m, k, v) - br.points(m, br.sumW, br.sumWS, br.defaults)
}

// without is u's points with v, u's k-th friend, removed as well.
func (br *bestResponse) without(m *Model, k int, v int32) float64 {
	w := m.weight(br.u, k)
	d := br.defaults
	if m.defaulted != nil && m.defaulted[v] {
		d--
	}
	return br.points(m, br.sumW-w, br.sumWS-w*m.prop.s[v], d)
}

// best returns the low friend (not yet removed or spared) whose removal
// gains most, and the gain; −1 if there is none. Ties go to the lower
// index.
func (br *bestResponse) best(m *Model) (int32, float64) {
	base := br.points(m, br.sumW, br.sumWS, br.defaults)
	bestV, bestGain := int32(-1), math.Inf(-1)
	for k, v := range m.adj[br.u] {
		if !m.low[v] || slices.Contains(br.removed, v) || slices.Contains(br.spared, v) {
			continue
		}
		g := br.without(m, k, v) - base
		if g > bestGain {
			bestV, bestGain = v, g
		}
	}
	return bestV, bestGain
}

func (br *bestResponse) remove(m *Model, v int32) {
	k, _ := slices.BinarySearch(m.adj[br.u], v)
	w := m.weight(br.u, k)
	br.sumW -= w
	br.sumWS -= w * m.prop.s[v]
	if m.defaulted != nil && m.defaulted[v] {
		br.defaults--
	}
	br.removed = append(br.removed, v)
}

func (br *bestResponse) spare(v int32) { br.spared = append(br.spared, v) }

// wouldDrop reports whether w, offered a tie with u, sees u as a friend
// it would drop: u is low, would pull w's score down (for best_response:
// by at least MinGain points), and w's rule marks u. It returns w's stake
// as w's friends are now (see stake).
func (m *Model) wouldDrop(w, u int32) (bool, float64) {
	if !m.low[u] {
		return false, 0
	}
	if m.cfg.DropRule != BestResponse && !m.ruleMarks(w, u) {
		return false, 0
	}
	var br bestResponse
	br.reset(m, w)
	before := br.points(m, br.sumW, br.sumWS, br.defaults)
	d := br.defaults
	if m.defaulted != nil && m.defaulted[u] {
		d++
	}
	after := br.points(m, br.sumW+1, br.sumWS+m.prop.s[u], d)
	loss := before - after
	if !(loss > 0) || (m.cfg.DropRule == BestResponse && loss < m.cfg.MinGain) {
		return false, 0
	}
	// The stake with u among w's friends: what w would then be defending.
	br.sumW++
	br.sumWS += m.prop.s[u]
	br.defaults = d
	return true, m.stake(&br)
}

// decideForms returns the ties formed this round, sorted, each once and
// none already present. Each person with friends, in index order, tries
// with probability PFormTie: they take formCandidates two-hop walks
// (a random friend, then a random friend of theirs), keep the ends that
// are neither themselves, nor already friends, nor a tie dropped this
// round, and choose one with weight exp(FormBias·(score−350)/600). The
// chosen person refuses, with the probability for their own type times
// their stake with the newcomer as a friend, if they would drop the
// newcomer (wouldDrop).
func (m *Model) decideForms(dropped []pair) []pair {
	pf := m.cfg.PFormTie
	if pf == 0 {
		return nil
	}
	var out []pair
	var cands []int32
	var wts []float64
	for ui := 0; ui < m.n; ui++ {
		u := int32(ui)
		fu := m.adj[u]
		if len(fu) == 0 {
			continue
		}
		if m.rng.Float64() >= pf {
			continue
		}
		cands, wts = cands[:0], wts[:0]
		total := 0.0
		for range formCandidates {
			v := fu[m.rng.IntN(len(fu))]
			fv := m.adj[v]
			if len(fv) == 0 {
				continue
			}
			w := fv[m.rng.IntN(len(fv))]
			if w == u || slices.Contains(cands, w) {
				continue
			}
			if _, found := slices.BinarySearch(fu, w); found {
				continue
			}
			if _, found := slices.BinarySearchFunc(dropped, mkPair(u, w), comparePairs); found {
				continue
			}
			x := math.Exp(m.cfg.FormBias * float64(m.score[w]-scoring.MinScore) / scoring.Span)
			cands = append(cands, w)
			wts = append(wts, x)
			total += x
		}
		if len(cands) == 0 {
			continue
		}
		r := m.rng.Float64() * total
		pick := len(cands) - 1
		for k, x := range wts {
			if r < x {
				pick = k
				break
			}
			r -= x
		}
		w := cands[pick]
		if p := m.pDrop(w); p > 0 {
			if drop, stake := m.wouldDrop(w, u); drop && stake > 0 && m.rng.Float64() < p*stake {
				continue // refused
			}
		}
		out = append(out, mkPair(u, w))
	}
	slices.SortFunc(out, comparePairs)
	return slices.Compact(out)
}

// invest lets low scorers invest effort and returns how many did.
func (m *Model) invest() int {
	if m.cfg.PEffort == 0 || m.cfg.EffortSize == 0 {
		return 0
	}
	k := 0
	add := int64(m.cfg.EffortSize)
	for i := 0; i < m.n; i++ {
		if !m.low[i] {
			continue
		}
		if m.rng.Float64() < m.cfg.PEffort {
			m.records[i].BillsOnTime += add
			m.records[i].CreditOnTime += add
			k++
		}
	}
	return k
}

// weight returns the weight of the k-th friend of u.
func (m *Model) weight(u int32, k int) float64 {
	if m.wts == nil {
		return 1
	}
	return float64(m.wts[u][k])
}

func (m *Model) removeTie(u, v int32) {
	m.removeHalf(u, v)
	m.removeHalf(v, u)
	m.touched[u], m.touched[v] = true, true
}

func (m *Model) removeHalf(u, v int32) {
	k, found := slices.BinarySearch(m.adj[u], v)
	if !found {
		panic(fmt.Sprintf("simulate: removing tie %d-%d that does not exist", u, v))
	}
	m.adj[u] = slices.Delete(m.adj[u], k, k+1)
	if m.wts != nil {
		m.wts[u] = slices.Delete(m.wts[u], k, k+1)
	}
}

func (m *Model) addTie(u, v int32) {
	m.addHalf(u, v)
	m.addHalf(v, u)
	m.touched[u], m.touched[v] = true, true
}

func (m *Model) addHalf(u, v int32) {
	k, found := slices.BinarySearch(m.adj[u], v)
	if found {
		panic(fmt.Sprintf("simulate: adding tie %d-%d that exists", u, v))
	}
	m.adj[u] = slices.Insert(m.adj[u], k, v)
	if m.wts != nil {
		m.wts[u] = slices.Insert(m.wts[u], k, 1)
	}
}

// rebuildCSR lays the current friendships out as a CSR, as
// graph.SnapshotBuilder would.
func (m *Model) rebuildCSR() {
	if cap(m.offsets) < m.n+1 {
		m.offsets = make([]int32, m.n+1)
	}
	m.offsets = m.offsets[:m.n+1]
	total := 0
	for i, row := range m.adj {
		m.offsets[i] = int32(total)
		total += len(row)
	}
	m.offsets[m.n] = int32(total)
	if cap(m.targets) < total {
		m.targets = make([]int32, total, total+total/8)
	}
	m.targets = m.targets[:total]
	for i, row := range m.adj {
		copy(m.targets[m.offsets[i]:], row)
	}
	if m.wts != nil {
		if cap(m.weights) < total {
			m.weights = make([]float32, total, total+total/8)
		}
		m.weights = m.weights[:total]
		for i, row := range m.wts {
			copy(m.weights[m.offsets[i]:], row)
		}
	} else {
		m.weights = nil
	}
}

// Snapshot returns the current network and records as a new snapshot (no
// memory shared with the model), in the form a store would return: the
// same ids, recruitments and profiles as the start, the current
// friendships and records.
func (m *Model) Snapshot() *graph.Snapshot {
	s := &graph.Snapshot{
		IDs:            slices.Clone(m.ids),
		Offsets:        slices.Clone(m.offsets),
		Targets:        slices.Clone(m.targets),
		RecruitOffsets: slices.Clone(m.recOff),
		RecruitTargets: slices.Clone(m.recTgt),
		Records:        slices.Clone(m.records),
		Profiles:       slices.Clone(m.profiles),
		TakenAt:        seed.DefaultNow,
	}
	if m.weights != nil {
		s.Weights = slices.Clone(m.weights)
	}
	return s
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

// scoreAll re-scores everyone under the policy: base values from the
// records, network values by local propagation from the rows that changed
// (all rows at step 0), PageRank percentiles when the policy weighs
// centrality, and the final scores, as scoring.ScoreSnapshot computes
// them.
func (m *Model) scoreAll(ctx context.Context, res *StepResult) error {
	n := m.n
	b := make([]float64, n)
	m.ranges(func(lo, hi int) {
		for i := lo; i < hi; i++ {
			active := 0
			if len(m.recOff) > 0 {
				for _, r := range m.recTgt[m.recOff[i]:m.recOff[i+1]] {
					if m.records[r].Active() {
						active++
					}
				}
			}
			b[i] = m.pol.Weights.Combine(scoring.PillarsOf(m.records[i], m.profiles[i], active))
		}
	})
	if m.prop.s == nil {
		if err := m.prop.init(ctx, m, b); err != nil {
			return err
		}
	} else {
		touched, pushes, sweeps := m.prop.update(m, b)
		if res != nil {
			res.Touched, res.Pushes, res.Sweeps = touched, pushes, sweeps
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	c := m.pol.Centrality
	if c > 0 {
		pr, _, err := scoring.PageRank(ctx, m.offsets, m.targets, scoring.PageRankOptions{Undirected: true, Workers: m.workers})
		if err != nil {
			return fmt.Errorf("simulate: pagerank: %w", err)
		}
		m.pct = scoring.Percentiles(pr)
	}
	if m.pol.FriendDefaultPenalty > 0 {
		if m.defaulted == nil {
			m.defaulted = make([]bool, n)
		}
		for i := range m.defaulted {
			m.defaulted[i] = m.records[i].Defaults > 0
		}
	}
	if m.value == nil {
		m.value = make([]float64, n)
		m.score = make([]int32, n)
		m.friendMean = make([]float64, n)
	}
	s := m.prop.s
	m.ranges(func(lo, hi int) {
		for i := lo; i < hi; i++ {
			var penalty float64
			if m.defaulted != nil {
				k := 0
				for _, j := range m.adj[i] {
					if m.defaulted[j] {
						k++
					}
				}
				penalty = min(m.pol.FriendDefaultCap, m.pol.FriendDefaultPenalty*float64(k))
			}
			x := (1 - c) * s[i]
			if c > 0 {
				x += c * m.pct[i] / 100
			}
			v := scoring.MinScore + scoring.Span*x - penalty
			m.value[i] = v
			m.score[i] = int32(toScore(v))
		}
	})
	m.ranges(func(lo, hi int) {
		for i := lo; i < hi; i++ {
			fr := m.adj[i]
			if len(fr) == 0 {
				m.friendMean[i] = 0
				continue
			}
			var sum int64
			for _, j := range fr {
				sum += int64(m.score[j])
			}
			m.friendMean[i] = float64(sum) / float64(len(fr))
		}
	})
	return nil
}

// toScore rounds half away from zero and clamps to [350, 950], as
// scoring.ScoreSnapshot does.
func toScore(x float64) int {
	r := math.Round(x)
	if !(r >= scoring.MinScore) {
		return scoring.MinScore
	}
	if r > scoring.MaxScore {
		return scoring.MaxScore
	}
	return int(r)
}

// Results returns everyone's current result, as scoring.ScoreSnapshot
// would return it for Snapshot() (Pillars are left zero).
func (m *Model) Results() []graph.Result {
	out := make([]graph.Result, m.n)
	for i := range out {
		r := graph.Result{
			ID:         m.ids[i],
			Score:      int(m.score[i]),
			Base:       m.prop.b[i],
			Individual: toScore(scoring.MinScore + scoring.Span*m.prop.b[i]),
			Network:    m.prop.s[i],
			Friends:    int32(len(m.adj[i])),
			FriendMean: m.friendMean[i],
		}
		if m.pct != nil {
			r.Percentile = m.pct[i]
		}
		out[i] = r
	}
	return out
}
