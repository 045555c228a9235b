package contagion

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

// Parameters of Shock.
const (
	// MinMove is the score change, in points, from which a person counts
	// as moved (reach) and is listed.
	MinMove = 1.0
	// DefaultMaxSteps is the number of propagation steps reported one by
	// one when the request does not say.
	DefaultMaxSteps = 10
	// MaxMaxSteps bounds ShockRequest.MaxSteps.
	MaxMaxSteps = 200
	// MaxChanges bounds the number of people one shock may change.
	MaxChanges = 10_000
)

// Change is what a shock does to one person's record: if Record is set it
// replaces the record first, then Events are added to it as
// graph.Record.Apply adds them (e.g. a default, a bill paid late).
type Change struct {
	ID     graph.ID
	Record *graph.Record
	Events []graph.Event
}

// ShockRequest describes a shock experiment.
type ShockRequest struct {
	// Changes to records, at most one per person, at most MaxChanges.
	Changes []Change
	// MaxSteps is the number of propagation steps reported one by one
	// (steps 0..MaxSteps, fewer if the iteration converges earlier); 0
	// means DefaultMaxSteps. The total is always taken at convergence.
	MaxSteps int
	// Baseline optionally gives the scores of the snapshot under the
	// policy, one per person in snapshot order (as scoring.ScoreSnapshot
	// returns them), to save scoring it again. nil: Shock scores it.
	Baseline []graph.Result
	// Now is the time events are validated against (no event may be in
	// the future); zero means time.Now().
	Now time.Time
	// ListLimit bounds the people listed per step and in the total (the
	// largest moves are kept); counts and sums always cover everyone.
	// 0 lists everyone who moved.
	ListLimit int
	// Workers bounds the parallelism of the baseline scoring run; 0 means
	// GOMAXPROCS.
	Workers int
}

// ShockResult is the outcome of a shock experiment. Points are score
// points (the score scale is 350..950); a Delta is the change of the
// unrounded, clamped score, so the change of the integer score is within 1
// of it.
type ShockResult struct {
	Policy  string  `json:"policy"`
	Alpha   float64 `json:"alpha"`
	People  int     `json:"people"` // people in the snapshot
	MinMove float64 `json:"min_move"`
	// Changes lists the people whose records were changed, in request
	// order, with their individual and final score before and after.
	Changes []ChangedPerson `json:"changes"`
	// Steps are the propagation steps 0..K (see the package doc): the
	// change of every score after k steps, against the baseline.
	Steps []Step `json:"steps"`
	// Total is the change at convergence: the scores a full scoring run
	// would give with the changed records.
	Total Total `json:"total"`
	// Iterations is the number of propagation steps to convergence
	// (the largest change of s below scoring.PropagationTol), Converged
	// whether it got there within scoring.PropagationMaxIterations.
	Iterations int     `json:"iterations"`
	Converged  bool    `json:"converged"`
	ElapsedMS  float64 `json:"elapsed_ms"`
}

// ChangedPerson is one person whose record the shock changed.
type ChangedPerson struct {
	ID               graph.ID `json:"id"`
	IndividualBefore int      `json:"individual_before"`
	IndividualAfter  int      `json:"individual_after"`
	ScoreBefore      int      `json:"score_before"`
	ScoreAfter       int      `json:"score_after"`
}

// Step is the state after some propagation steps.
type Step struct {
	Step int `json:"step"`
	// Moved is the number of people whose score differs from the baseline
	// by at least MinMove points; MovedByHop splits it by hop distance
	// (index = hop).
	Moved      int   `json:"moved"`
	MovedByHop []int `json:"moved_by_hop"`
	// PointsLost and PointsGained sum the decreases and increases of
	// everyone's score (not only of those who moved ≥ MinMove).
	PointsLost   float64 `json:"points_lost"`
	PointsGained float64 `json:"points_gained"`
	// Deltas lists those who moved, largest move first (then by id);
	// Truncated says the list was cut at ShockRequest.ListLimit.
	Deltas    []Delta `json:"deltas"`
	Truncated bool    `json:"truncated,omitempty"`
}

// Total is the change at convergence.
type Total struct {
	Moved        int     `json:"moved"`
	PointsLost   float64 `json:"points_lost"`
	PointsGained float64 `json:"points_gained"`
	NetPoints    float64 `json:"net_points"` // PointsGained − PointsLost
	// MaxHop is the largest hop distance of anyone who moved, -1 if
	// nobody did.
	MaxHop int `json:"max_hop"`
	// Reach gives, per hop distance 0, 1, 2, … (up to the farthest
	// person connected to a shocked one), how many people are at that
	// distance, how many moved, and the points they lost and gained.
	Reach     []HopReach `json:"reach"`
	Deltas    []Delta    `json:"deltas"`
	Truncated bool       `json:"truncated,omitempty"`
}

// HopReach is the effect of a shock at one hop distance.
type HopReach struct {
	Hop          int     `json:"hop"`
	People       int     `json:"people"`
	Moved        int     `json:"moved"`
	PointsLost   float64 `json:"points_lost"`
	PointsGained float64 `json:"points_gained"`
}

// Delta is one person's score change. Hop is the number of friendships
// between the person and the nearest source of the shock (0 for a source).
type Delta struct {
	ID     graph.ID `json:"id"`
	Hop    int      `json:"hop"`
	Before int      `json:"before"` // baseline score
	After  int      `json:"after"`  // score at this step
	Delta  float64  `json:"delta"`  // points, unrounded
}

// Shock runs a shock experiment: it changes the records of the people in
// req.Changes (on a copy: the snapshot and every store are left as they
// are), and reports how the scores under the policy change.
//
// The baseline is the snapshot scored under the policy (req.Baseline or
// scoring.ScoreSnapshot). The changes give new pillars, and so a new
// individual value b′, to the changed people and, through the recruitment
// pillar (which counts active recruits), possibly to their recruiters.
// The sources of the shock are the changed people and everyone whose b
// changed; a person's hop is their friendship distance to the nearest
// source (breadth-first search), -1 if not connected to any.
//
// Scores then move by the propagation steps of the package doc, from the
// baseline network value s⁽⁰⁾ = s; at every step k the score of person u
// is the scoring pipeline's final combination
//
//	score_k(u) = clamp(350 + 600·((1−c)·s⁽ᵏ⁾_u + c·pct_u/100) − penalty′_u, 350, 950)
//
// with PageRank percentiles pct unchanged (the graph did not change) and
// the friend-default penalty (lenddo) recomputed with the changed records
// from step 0 on. Delta = score_k(u) − score_baseline(u), both unrounded.
// Step k is reported for k = 0..min(MaxSteps, Iterations); the total is
// taken at convergence, and equals what scoring.ScoreSnapshot gives on the
// changed records (up to rounding at the tolerance of the iteration).
// Only people connected to a source can move, and only they are iterated.
//
// Errors: a *graph.ValidationError (wrapping graph.ErrInvalid) naming the
// field, e.g. "changes/0/events/1/amount", for bad input, or wrapping
// graph.ErrNotFound ("changes/2/id") for someone not in the snapshot;
// ctx's error if it is cancelled; an invalid policy's validation error.
func Shock(ctx context.Context, snap *graph.Snapshot, pol scoring.Policy, req ShockRequest) (ShockResult, error) {
	t0 := time.Now()
	if snap == nil {
		return ShockResult{}, graph.Invalid("snapshot", "is nil")
	}
	if err := pol.Validate(); err != nil {
		return ShockResult{}, fmt.Errorf("contagion: policy %q: %w", pol.Name, err)
	}
	if len(req.Changes) == 0 {
		return ShockResult{}, graph.Invalid("changes", "at least one change is required")
	}
	if len(req.Changes) > MaxChanges {
		return ShockResult{}, graph.Invalid("changes", "at most %d changes, got %d", MaxChanges, len(req.Changes))
	}
	maxSteps := req.MaxSteps
	if maxSteps == 0 {
		maxSteps = DefaultMaxSteps
	}
	if maxSteps < 0 || maxSteps > MaxMaxSteps {
		return ShockResult{}, graph.Invalid("max_steps", "must be between 1 and %d (0: %d), got %d", MaxMaxSteps, DefaultMaxSteps, req.MaxSteps)
	}
	if req.ListLimit < 0 {
		return ShockResult{}, graph.Invalid("list_limit", "must not be negative")
	}
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	snap = scoring.RecordsUnder(snap, pol) // disputed events, as a run under pol counts them
	n := snap.Len()

	// The changed records, kept aside: the snapshot is not touched.
	records := make(map[int32]graph.Record, len(req.Changes))
	changed := make([]int32, len(req.Changes))
	seen := make(map[int32]int, len(req.Changes))
	for i, ch := range req.Changes {
		prefix := "changes/" + strconv.Itoa(i)
		k, ok := snap.Index(ch.ID)
		if !ok {
			return ShockResult{}, &graph.ValidationError{Field: prefix + "/id", Reason: fmt.Sprintf("no consenting person with id %d", ch.ID), Kind: graph.ErrNotFound}
		}
		if j, dup := seen[k]; dup {
			return ShockResult{}, graph.Invalid(prefix+"/id", "person %d is already changed by changes/%d", ch.ID, j)
		}
		seen[k] = i
		if ch.Record == nil && len(ch.Events) == 0 {
			return ShockResult{}, graph.Invalid(prefix, "needs events or a record")
		}
		r := snap.Records[k]
		if ch.Record != nil {
			if err := ch.Record.Validate(); err != nil {
				return ShockResult{}, prefixed(prefix, err)
			}
			r = *ch.Record
		}
		if err := r.Apply(ch.Events, now); err != nil {
			return ShockResult{}, prefixed(prefix, err)
		}
		records[k] = r
		changed[i] = k
	}
	record := func(i int32) *graph.Record {
		if r, ok := records[i]; ok {
			return &r
		}
		return &snap.Records[i]
	}

	// The baseline.
	base := req.Baseline
	if base == nil {
		var err error
		base, _, err = scoring.ScoreSnapshot(ctx, snap, pol, scoring.Options{Workers: req.Workers})
		if err != nil {
			return ShockResult{}, fmt.Errorf("contagion: baseline: %w", err)
		}
	} else {
		if len(base) != n {
			return ShockResult{}, graph.Invalid("baseline", "has %d results for %d people", len(base), n)
		}
		for i := range base {
			if base[i].ID != snap.IDs[i] {
				return ShockResult{}, graph.Invalid("baseline", "result %d is for %d, want %d (snapshot order)", i, base[i].ID, snap.IDs[i])
			}
		}
	}

	// New individual values: the changed people and their recruiters.
	bNew := make([]float64, n)
	for i := range base {
		bNew[i] = base[i].Base
	}
	recruiter := recruiters(snap)
	isSource := make([]bool, n)
	for _, k := range changed {
		isSource[k] = true
		for _, a := range []int32{k, recruiter[k]} {
			if a < 0 {
				continue
			}
			// scoring.ComputePillars with the changed records.
			active := 0
			if len(snap.RecruitOffsets) == n+1 {
				for _, r := range snap.Recruits(a) {
					if record(r).Active() {
						active++
					}
				}
			}
			bNew[a] = pol.Weights.Combine(scoring.PillarsOf(*record(a), snap.Profiles[a], active))
			if bNew[a] != base[a].Base {
				isSource[a] = true
			}
		}
	}

	// Friend-default penalties before and after (lenddo): they differ only
	// for the friends of someone whose default status changed.
	penBase := penalties(snap, pol, func(i int32) bool { return snap.Records[i].Defaults > 0 })
	penNew := penBase
	if pol.FriendDefaultPenalty > 0 {
		cloned := false
		for _, k := range changed {
			if (snap.Records[k].Defaults > 0) == (record(k).Defaults > 0) {
				continue
			}
			if !cloned {
				penNew, cloned = slices.Clone(penBase), true
			}
			for _, v := range snap.Friends(k) {
				penNew[v] = penaltyOf(snap, pol, v, func(i int32) bool { return record(i).Defaults > 0 })
			}
		}
	}

	// Hop distances from the sources, and the region they reach, grouped
	// by hop (ascending index within a hop, for memory locality).
	hop, region := bfs(snap, isSource)
	var levelEnd []int // region[:levelEnd[h]] is everyone at hop ≤ h
	for i, u := range region {
		if int(hop[u]) == len(levelEnd) {
			levelEnd = append(levelEnd, 0)
		}
		levelEnd[len(levelEnd)-1] = i + 1
	}
	for h, end := range levelEnd {
		start := 0
		if h > 0 {
			start = levelEnd[h-1]
		}
		slices.Sort(region[start:end])
	}
	upTo := func(h int) int { // people at hop ≤ h
		if len(levelEnd) == 0 {
			return 0
		}
		return levelEnd[min(h, len(levelEnd)-1)]
	}

	e := &engine{pol: pol, base: base, hop: hop, region: region, penNew: penNew, listLimit: req.ListLimit, maxHop: len(levelEnd) - 1}
	e.rawBefore = make([]float64, n)
	for _, u := range region {
		e.rawBefore[u] = rawScore(base[u].Network, base[u].Percentile, penBase[u], pol.Centrality)
	}

	// The steps, on the change ds = s⁽ᵏ⁾ − s, which by linearity follows
	//   ds⁽⁰⁾ = 0,  ds⁽ᵏ⁺¹⁾ = (1−α)(b′ − b) + αW·ds⁽ᵏ⁾
	// (exact up to the baseline's own convergence tolerance). ds⁽ᵏ⁾ is
	// exactly 0 beyond hop k−1, so step k touches only the people within
	// hop k−1; the friend-default penalty moves people within hop 1 from
	// step 0.
	res := ShockResult{Policy: pol.Name, Alpha: pol.Alpha, People: n, MinMove: MinMove, Steps: []Step{}}
	db := make([]float64, n)
	for _, u := range region[:upTo(0)] {
		db[u] = bNew[u] - base[u].Base
	}
	ds, next := make([]float64, n), make([]float64, n)
	inv := invStrength(snap, region)
	res.Steps = append(res.Steps, e.step(0, ds, upTo(1)))
	alpha, beta := pol.Alpha, 1-pol.Alpha
	for it := 1; it <= scoring.PropagationMaxIterations; it++ {
		if err := ctx.Err(); err != nil {
			return ShockResult{}, fmt.Errorf("contagion: shock: %w", err)
		}
		var dmax float64
		for _, u := range region[:upTo(it-1)] {
			v := db[u]
			if iu := inv[u]; iu != 0 {
				a, z := snap.Offsets[u], snap.Offsets[u+1]
				var acc float64
				if snap.Weights == nil {
					for _, t := range snap.Targets[a:z] {
						acc += ds[t]
					}
				} else {
					for j, t := range snap.Targets[a:z] {
						acc += float64(snap.Weights[int(a)+j]) * ds[t]
					}
				}
				v = beta*v + alpha*acc*iu
			}
			dmax = max(dmax, math.Abs(v-ds[u]))
			next[u] = v
		}
		ds, next = next, ds
		res.Iterations = it
		if it <= maxSteps {
			res.Steps = append(res.Steps, e.step(it, ds, upTo(max(it-1, 1))))
		}
		if dmax < scoring.PropagationTol && upTo(it-1) == len(region) {
			res.Converged = true
			break
		}
	}
	res.Total = e.total(ds)

	for i, k := range changed {
		after := rawScore(base[k].Network+ds[k], base[k].Percentile, penNew[k], pol.Centrality)
		res.Changes = append(res.Changes, ChangedPerson{
			ID:               req.Changes[i].ID,
			IndividualBefore: base[k].Individual,
			IndividualAfter:  roundScore(scoring.MinScore + scoring.Span*bNew[k]),
			ScoreBefore:      base[k].Score,
			ScoreAfter:       roundScore(after),
		})
	}
	res.ElapsedMS = float64(time.Since(t0).Microseconds()) / 1000
	return res, nil
}

// prefixed puts prefix in front of a validation error's field.
func prefixed(prefix string, err error) error {
	var ve *graph.ValidationError
	if errors.As(err, &ve) {
		c := *ve
		c.Field = prefix + "/" + ve.Field
		return &c
	}
	return graph.Invalid(prefix, "%v", err)
}

// rawScore is the final combination of scoring.ScoreSnapshot before
// rounding, clamped to the score range.
func rawScore(s, pct, penalty, c float64) float64 {
	x := scoring.MinScore + scoring.Span*((1-c)*s+c*pct/100) - penalty
	return min(max(x, scoring.MinScore), scoring.MaxScore)
}

// roundScore rounds half away from zero and clamps, as the scoring run.
func roundScore(x float64) int {
	r := math.Round(x)
	if !(r >= scoring.MinScore) {
		return scoring.MinScore
	}
	return int(min(r, scoring.MaxScore))
}

// penalties returns the friend-default penalty of everyone (all 0 when
// the policy has none).
func penalties(snap *graph.Snapshot, pol scoring.Policy, defaulted func(int32) bool) []float64 {
	out := make([]float64, snap.Len())
	if pol.FriendDefaultPenalty > 0 {
		for u := range int32(snap.Len()) {
			out[u] = penaltyOf(snap, pol, u, defaulted)
		}
	}
	return out
}

// penaltyOf is person u's friend-default penalty,
// min(cap, penalty·#{friends with a default}).
func penaltyOf(snap *graph.Snapshot, pol scoring.Policy, u int32, defaulted func(int32) bool) float64 {
	k := 0
	for _, v := range snap.Friends(u) {
		if defaulted(v) {
			k++
		}
	}
	return min(pol.FriendDefaultCap, pol.FriendDefaultPenalty*float64(k))
}

// bfs returns the friendship distance of everyone to the nearest source
// (-1 if none is reachable) and the people reached, in order of distance.
func bfs(snap *graph.Snapshot, source []bool) ([]int32, []int32) {
	n := snap.Len()
	hop := make([]int32, n)
	var queue []int32
	for i := range hop {
		hop[i] = -1
		if source[i] {
			hop[i] = 0
			queue = append(queue, int32(i))
		}
	}
	for h := 0; h < len(queue); h++ {
		v := queue[h]
		for _, u := range snap.Friends(v) {
			if hop[u] < 0 {
				hop[u] = hop[v] + 1
				queue = append(queue, u)
			}
		}
	}
	return hop, queue
}

// invStrength returns 1/Σ_v w_uv for the people of the region (0 for a
// person without weighted friends, who keeps s = b′).
func invStrength(snap *graph.Snapshot, region []int32) []float64 {
	inv := make([]float64, snap.Len())
	for _, u := range region {
		a, z := snap.Offsets[u], snap.Offsets[u+1]
		var sum float64
		if snap.Weights == nil {
			sum = float64(z - a)
		} else {
			for _, w := range snap.Weights[a:z] {
				sum += float64(w)
			}
		}
		if sum > 0 {
			inv[u] = 1 / sum
		}
	}
	return inv
}

// engine turns changes of the network value into reported score changes.
type engine struct {
	pol       scoring.Policy
	base      []graph.Result
	hop       []int32
	region    []int32 // by hop, ascending index within a hop
	penNew    []float64
	rawBefore []float64
	maxHop    int
	listLimit int
}

// tally is the change of everyone for a change ds of the network values.
type tally struct {
	moved        int
	byHop        []int
	people       []int
	lostByHop    []float64
	gainedByHop  []float64
	lost, gained float64
	deltas       []Delta
}

// measure tallies the people of region[:lim] (everyone else has not
// moved at all).
func (e *engine) measure(ds []float64, lim int) tally {
	h := e.maxHop + 1
	t := tally{byHop: make([]int, h), people: make([]int, h), lostByHop: make([]float64, h), gainedByHop: make([]float64, h), deltas: []Delta{}}
	c := e.pol.Centrality
	for _, u := range e.region[:lim] {
		b := &e.base[u]
		raw := rawScore(b.Network+ds[u], b.Percentile, e.penNew[u], c)
		d := raw - e.rawBefore[u]
		hp := e.hop[u]
		if d < 0 {
			t.lost -= d
			t.lostByHop[hp] -= d
		} else {
			t.gained += d
			t.gainedByHop[hp] += d
		}
		if math.Abs(d) >= MinMove {
			t.moved++
			t.byHop[hp]++
			t.deltas = append(t.deltas, Delta{ID: b.ID, Hop: int(hp), Before: b.Score, After: roundScore(raw), Delta: d})
		}
	}
	for _, u := range e.region {
		t.people[e.hop[u]]++
	}
	slices.SortFunc(t.deltas, func(a, b Delta) int {
		if x := cmp.Compare(math.Abs(b.Delta), math.Abs(a.Delta)); x != 0 {
			return x
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return t
}

// limit cuts a sorted list at the request's ListLimit.
func (e *engine) limit(d []Delta) ([]Delta, bool) {
	if e.listLimit > 0 && len(d) > e.listLimit {
		return d[:e.listLimit:e.listLimit], true
	}
	return d, false
}

func (e *engine) step(k int, ds []float64, lim int) Step {
	t := e.measure(ds, lim)
	st := Step{Step: k, Moved: t.moved, MovedByHop: t.byHop, PointsLost: t.lost, PointsGained: t.gained}
	// Trim trailing hops nobody moved at.
	for len(st.MovedByHop) > 0 && st.MovedByHop[len(st.MovedByHop)-1] == 0 {
		st.MovedByHop = st.MovedByHop[:len(st.MovedByHop)-1]
	}
	st.Deltas, st.Truncated = e.limit(t.deltas)
	return st
}

func (e *engine) total(ds []float64) Total {
	t := e.measure(ds, len(e.region))
	tot := Total{Moved: t.moved, PointsLost: t.lost, PointsGained: t.gained, NetPoints: t.gained - t.lost, MaxHop: -1, Reach: []HopReach{}}
	for h := range t.people {
		tot.Reach = append(tot.Reach, HopReach{Hop: h, People: t.people[h], Moved: t.byHop[h], PointsLost: t.lostByHop[h], PointsGained: t.gainedByHop[h]})
		if t.byHop[h] > 0 {
			tot.MaxHop = h
		}
	}
	tot.Deltas, tot.Truncated = e.limit(t.deltas)
	return tot
}
