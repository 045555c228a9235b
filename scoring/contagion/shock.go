package contagion

import (
	"cmp"
	"context"
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
	// RowOffset and RowLimit page the people listed: the lists of the
	// steps, in step order, then the total's list form one sequence of
	// rows (ShockResult.Rows long), and only rows RowOffset ..
	// RowOffset+RowLimit−1 of it are kept in the Deltas (the others are
	// empty lists; counts, sums and Truncated still cover everyone).
	// RowLimit 0 keeps every row from RowOffset on. Concatenating the
	// Deltas of every page gives the lists of the unpaged result, and only
	// one page of rows is kept in memory.
	RowOffset, RowLimit int
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
	// Rows is the number of people listed over the steps and the total,
	// before paging (ShockRequest.RowOffset, RowLimit).
	Rows int `json:"-"`
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
	sh, err := prepare(ctx, snap, pol, req)
	if err != nil {
		return ShockResult{}, err
	}
	res, ds, err := sh.propagate(ctx)
	if err != nil {
		return ShockResult{}, err
	}
	res.Total = sh.engine.total(ds)
	res.Rows = sh.engine.rows
	res.Changes = sh.changedPeople(ds)
	res.ElapsedMS = float64(time.Since(t0).Microseconds()) / 1000
	return res, nil
}

// shock is a shock experiment ready to propagate: the request checked,
// the changed records applied (aside), the baseline, the new individual
// values, the penalties after the change and the hop levels.
type shock struct {
	snap     *graph.Snapshot
	pol      scoring.Policy
	req      ShockRequest
	maxSteps int

	changes *changeSet
	base    []graph.Result
	bNew    []float64 // individual values with the changed records
	engine  *engine
	// levelEnd[h]: engine.region[:levelEnd[h]] is everyone at hop ≤ h.
	levelEnd []int
}

// prepare runs the phases of Shock before the propagation steps: check
// the request, apply the changes, score the baseline, find the new
// individual values and penalties, and the hop levels.
func prepare(ctx context.Context, snap *graph.Snapshot, pol scoring.Policy, req ShockRequest) (*shock, error) {
	maxSteps, now, err := checkRequest(snap, pol, req)
	if err != nil {
		return nil, err
	}
	snap = scoring.RecordsUnder(snap, pol) // disputed events, as a run under pol counts them
	changes, err := applyChanges(snap, req.Changes, now)
	if err != nil {
		return nil, err
	}
	base, err := baseline(ctx, snap, pol, req)
	if err != nil {
		return nil, err
	}
	bNew, isSource := newBases(snap, pol, base, changes)
	penBase, penNew := penaltiesAfter(snap, pol, changes)
	hop, region, levelEnd := hopLevels(snap, isSource)

	e := &engine{pol: pol, base: base, hop: hop, region: region, penNew: penNew, listLimit: req.ListLimit, maxHop: len(levelEnd) - 1,
		rowOffset: req.RowOffset, rowLimit: req.RowLimit}
	e.rawBefore = make([]float64, snap.Len())
	for _, u := range region {
		e.rawBefore[u] = rawScore(base[u].Network, base[u].Percentile, penBase[u], pol.Centrality)
	}
	return &shock{snap: snap, pol: pol, req: req, maxSteps: maxSteps, changes: changes, base: base, bNew: bNew, engine: e, levelEnd: levelEnd}, nil
}

// checkRequest checks the snapshot, policy and request and returns the
// number of steps to report and the time events are checked against.
func checkRequest(snap *graph.Snapshot, pol scoring.Policy, req ShockRequest) (int, time.Time, error) {
	if snap == nil {
		return 0, time.Time{}, graph.Invalid("snapshot", "is nil")
	}
	if err := pol.Validate(); err != nil {
		return 0, time.Time{}, fmt.Errorf("contagion: policy %q: %w", pol.Name, err)
	}
	if len(req.Changes) == 0 {
		return 0, time.Time{}, graph.Invalid("changes", "at least one change is required")
	}
	if len(req.Changes) > MaxChanges {
		return 0, time.Time{}, graph.Invalid("changes", "at most %d changes, got %d", MaxChanges, len(req.Changes))
	}
	maxSteps := req.MaxSteps
	if maxSteps == 0 {
		maxSteps = DefaultMaxSteps
	}
	if maxSteps < 0 || maxSteps > MaxMaxSteps {
		return 0, time.Time{}, graph.Invalid("max_steps", "must be between 1 and %d (0: %d), got %d", MaxMaxSteps, DefaultMaxSteps, req.MaxSteps)
	}
	if req.ListLimit < 0 {
		return 0, time.Time{}, graph.Invalid("list_limit", "must not be negative")
	}
	if req.RowOffset < 0 || req.RowLimit < 0 {
		return 0, time.Time{}, graph.Invalid("row_offset", "the row window must not be negative")
	}
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	return maxSteps, now, nil
}

// changeSet is the changed records, kept aside: the snapshot is not
// touched.
type changeSet struct {
	snap    *graph.Snapshot
	records map[int32]graph.Record
	changed []int32 // snapshot index of each change, in request order
}

// record returns person i's record after the changes.
func (c *changeSet) record(i int32) *graph.Record {
	if r, ok := c.records[i]; ok {
		return &r
	}
	return &c.snap.Records[i]
}

// applyChanges checks the changes and applies them to copies of the
// records.
func applyChanges(snap *graph.Snapshot, changes []Change, now time.Time) (*changeSet, error) {
	c := &changeSet{snap: snap, records: make(map[int32]graph.Record, len(changes)), changed: make([]int32, len(changes))}
	seen := make(map[int32]int, len(changes))
	for i, ch := range changes {
		prefix := "changes/" + strconv.Itoa(i)
		k, ok := snap.Index(ch.ID)
		if !ok {
			return nil, &graph.ValidationError{Field: prefix + "/id", Reason: fmt.Sprintf("no consenting person with id %d", ch.ID), Kind: graph.ErrNotFound}
		}
		if j, dup := seen[k]; dup {
			return nil, graph.Invalid(prefix+"/id", "person %d is already changed by changes/%d", ch.ID, j)
		}
		seen[k] = i
		if ch.Record == nil && len(ch.Events) == 0 {
			return nil, graph.Invalid(prefix, "needs events or a record")
		}
		r := snap.Records[k]
		if ch.Record != nil {
			if err := ch.Record.Validate(); err != nil {
				return nil, graph.Under(prefix, err)
			}
			r = *ch.Record
		}
		if err := r.Apply(ch.Events, now); err != nil {
			return nil, graph.Under(prefix, err)
		}
		c.records[k] = r
		c.changed[i] = k
	}
	return c, nil
}

// baseline returns the request's baseline, checked, or scores the
// snapshot.
func baseline(ctx context.Context, snap *graph.Snapshot, pol scoring.Policy, req ShockRequest) ([]graph.Result, error) {
	n := snap.Len()
	base := req.Baseline
	if base == nil {
		var err error
		base, _, err = scoring.ScoreSnapshot(ctx, snap, pol, scoring.Options{Workers: req.Workers})
		if err != nil {
			return nil, fmt.Errorf("contagion: baseline: %w", err)
		}
		return base, nil
	}
	if len(base) != n {
		return nil, graph.Invalid("baseline", "has %d results for %d people", len(base), n)
	}
	for i := range base {
		if base[i].ID != snap.IDs[i] {
			return nil, graph.Invalid("baseline", "result %d is for %d, want %d (snapshot order)", i, base[i].ID, snap.IDs[i])
		}
	}
	return base, nil
}

// newBases returns the individual values with the changed records (which
// differ for the changed people and, through the recruitment pillar, their
// recruiters) and the sources of the shock: the changed people and
// everyone whose individual value changed.
func newBases(snap *graph.Snapshot, pol scoring.Policy, base []graph.Result, c *changeSet) ([]float64, []bool) {
	n := snap.Len()
	bNew := make([]float64, n)
	for i := range base {
		bNew[i] = base[i].Base
	}
	recruiter := recruiters(snap)
	recruits := snap.RecruitsCSR()
	active := func(j int32) bool { return c.record(j).Active() }
	isSource := make([]bool, n)
	for _, k := range c.changed {
		isSource[k] = true
		for _, a := range []int32{k, recruiter[k]} {
			if a < 0 {
				continue
			}
			pl := scoring.PillarsOf(*c.record(a), snap.Profiles[a], scoring.ActiveRecruits(&recruits, a, active))
			bNew[a] = pol.Weights.Combine(pl)
			if bNew[a] != base[a].Base {
				isSource[a] = true
			}
		}
	}
	return bNew, isSource
}

// penaltiesAfter returns everyone's friend-default penalty (lenddo)
// before and after the changes (all 0 when the policy has none). They
// differ only for the friends of someone whose default status changed.
func penaltiesAfter(snap *graph.Snapshot, pol scoring.Policy, c *changeSet) (before, after []float64) {
	defBase := pol.Defaulted(snap.Records, nil)
	before = make([]float64, snap.Len())
	if defBase == nil {
		return before, before
	}
	for u := range int32(snap.Len()) {
		before[u] = pol.FriendPenalty(snap.Friends(u), defBase)
	}
	after = before
	var defNew []bool
	for _, k := range c.changed {
		if defBase[k] == (c.record(k).Defaults > 0) {
			continue
		}
		if defNew == nil {
			after = slices.Clone(before)
			defNew = slices.Clone(defBase)
			for _, j := range c.changed {
				defNew[j] = c.record(j).Defaults > 0
			}
		}
		for _, v := range snap.Friends(k) {
			after[v] = pol.FriendPenalty(snap.Friends(v), defNew)
		}
	}
	return before, after
}

// hopLevels returns the hop distance of everyone from the sources, the
// region they reach grouped by hop (ascending index within a hop, for
// memory locality), and where each hop ends in the region.
func hopLevels(snap *graph.Snapshot, isSource []bool) (hop, region []int32, levelEnd []int) {
	hop, region = bfs(snap, isSource)
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
	return hop, region, levelEnd
}

// upTo returns the number of people at hop ≤ h.
func (sh *shock) upTo(h int) int {
	if len(sh.levelEnd) == 0 {
		return 0
	}
	return sh.levelEnd[min(h, len(sh.levelEnd)-1)]
}

// propagate runs the steps, on the change ds = s⁽ᵏ⁾ − s, which by
// linearity follows
//
//	ds⁽⁰⁾ = 0,  ds⁽ᵏ⁺¹⁾ = (1−α)(b′ − b) + αW·ds⁽ᵏ⁾
//
// (exact up to the baseline's own convergence tolerance), and returns the
// result with its steps and iterations, and ds at the end. ds⁽ᵏ⁾ is
// exactly 0 beyond hop k−1, so step k touches only the people within hop
// k−1; the friend-default penalty moves people within hop 1 from step 0.
func (sh *shock) propagate(ctx context.Context) (ShockResult, []float64, error) {
	snap, pol, e := sh.snap, sh.pol, sh.engine
	n := snap.Len()
	res := ShockResult{Policy: pol.Name, Alpha: pol.Alpha, People: n, MinMove: MinMove, Steps: []Step{}}
	db := make([]float64, n)
	for _, u := range e.region[:sh.upTo(0)] {
		db[u] = sh.bNew[u] - sh.base[u].Base
	}
	ds, next := make([]float64, n), make([]float64, n)
	csr := snap.FriendsCSR()
	inv := make([]float64, n)
	for _, u := range e.region {
		inv[u] = scoring.InvStrength(&csr, u)
	}
	y := make([]float64, len(e.region)) // a step's rows, in region order
	res.Steps = append(res.Steps, e.step(0, ds, sh.upTo(1)))
	for it := 1; it <= scoring.PropagationMaxIterations; it++ {
		if err := ctx.Err(); err != nil {
			return ShockResult{}, nil, fmt.Errorf("contagion: shock: %w", err)
		}
		rows := e.region[:sh.upTo(it-1)]
		dmax := scoring.PropagationRows(&csr, inv, db, ds, y, pol.Alpha, rows)
		for i, u := range rows {
			next[u] = y[i]
		}
		ds, next = next, ds
		res.Iterations = it
		if it <= sh.maxSteps {
			res.Steps = append(res.Steps, e.step(it, ds, sh.upTo(max(it-1, 1))))
		}
		if dmax < scoring.PropagationTol && sh.upTo(it-1) == len(e.region) {
			res.Converged = true
			break
		}
	}
	return res, ds, nil
}

// changedPeople reports the changed people before and after, ds being
// the change of the network values at the end.
func (sh *shock) changedPeople(ds []float64) []ChangedPerson {
	var out []ChangedPerson
	base, e := sh.base, sh.engine
	for i, k := range sh.changes.changed {
		out = append(out, ChangedPerson{
			ID:               sh.req.Changes[i].ID,
			IndividualBefore: base[k].Individual,
			IndividualAfter:  scoring.IndividualScore(sh.bNew[k]),
			ScoreBefore:      base[k].Score,
			ScoreAfter:       scoring.RoundScore(e.raw(k, ds)),
		})
	}
	return out
}

// rawScore is the final combination of scoring.ScoreSnapshot before
// rounding, clamped to the score range.
func rawScore(s, pct, penalty, c float64) float64 {
	return scoring.ClampScore(scoring.FinalValue(s, pct, penalty, c))
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
	// The row window (ShockRequest.RowOffset, RowLimit) and the rows
	// listed so far.
	rowOffset, rowLimit, rows int
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
	for _, u := range e.region[:lim] {
		b := &e.base[u]
		raw := e.raw(u, ds)
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
			t.deltas = append(t.deltas, Delta{ID: b.ID, Hop: int(hp), Before: b.Score, After: scoring.RoundScore(raw), Delta: d})
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

// raw is person u's score, unrounded and clamped, when the network
// values have changed by ds (step k of the package doc, or the total).
func (e *engine) raw(u int32, ds []float64) float64 {
	b := &e.base[u]
	return rawScore(b.Network+ds[u], b.Percentile, e.penNew[u], e.pol.Centrality)
}

// limit cuts a sorted list at the request's ListLimit, then keeps the
// part of it that falls into the row window (a copy, so that the rest can
// be collected).
func (e *engine) limit(d []Delta) ([]Delta, bool) {
	cut := false
	if e.listLimit > 0 && len(d) > e.listLimit {
		d, cut = d[:e.listLimit:e.listLimit], true
	}
	start := e.rows
	e.rows += len(d)
	if e.rowOffset == 0 && e.rowLimit == 0 {
		return d, cut
	}
	lo := min(max(e.rowOffset-start, 0), len(d))
	hi := len(d)
	if e.rowLimit > 0 {
		hi = min(max(e.rowOffset+e.rowLimit-start, 0), len(d))
	}
	return append([]Delta{}, d[lo:max(lo, hi)]...), cut
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
