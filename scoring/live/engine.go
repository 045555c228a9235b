package live

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

// Default bounds of the residuals left after every change (see the
// package documentation for what they guarantee).
const (
	// DefaultSPoints bounds the score points the propagation's error can
	// move a score by: the residual bound is PropagationTolFor(p), so that
	// every live s is within DefaultSPoints/(Span·(1−c)) of the exact
	// solution and moves the unrounded score by at most DefaultSPoints.
	// A rounded score then differs from a full run's only where its
	// unrounded value lies within that distance of a rounding edge, so
	// the mean |Δscore| this error causes is about DefaultSPoints at most.
	DefaultSPoints = 0.02
	// DefaultPageRankTol bounds |ry_u|/max(1, deg u) of the unnormalised
	// PageRank y: every y_v is within DefaultPageRankTol·max(1, deg v)/(1−d)
	// of the exact solution (3.3e-4·deg v at d = 0.85, y averaging about
	// 1). The percentile error this leaves is measured (package
	// documentation, "Bounds").
	DefaultPageRankTol = 5e-5
)

// PropagationTolFor returns the default residual bound of the
// propagation under p: (I − αW)(s* − s) = r with W row-stochastic gives
// ‖s* − s‖∞ ≤ ‖r‖∞/(1−α), and s moves the unrounded score by
// Span·(1−c)·Δs (scoring.FinalValue), so |r_u| ≤ DefaultSPoints·(1−α)/
// (Span·(1−c)) keeps every score within DefaultSPoints of the exact
// solution's (3.0e-5 under sesame: α = 0.15, c = 0.05).
func PropagationTolFor(p scoring.Policy) float64 {
	return DefaultSPoints * (1 - p.Alpha) / (scoring.Span * (1 - p.Centrality))
}

// pageRankTolPeople: below this many people the PageRank bound shrinks,
// to PageRankTol·(n/10,000)²: one rank crossing moves a percentile by
// 100/n points, so a small network needs ranks, and the ties of people in
// symmetric positions, exact where a large one does not; and a small
// network is cheap to push that far.
const pageRankTolPeople = 10_000

// Options tunes an Engine; the zero value gives the defaults.
type Options struct {
	// Run names the full run the live view starts from (AsOf).
	Run string
	// PropagationTol: 0 means PropagationTolFor(policy).
	PropagationTol float64
	// PageRankTol: 0 means DefaultPageRankTol (for networks of 10,000
	// people or more; smaller ones get a smaller bound, pageRankTolPeople).
	PageRankTol float64
}

// Kind names a change.
type Kind string

// The changes Apply takes.
const (
	// TieSet adds the friendship A–B, or sets its weight (Weight; 0 means
	// 1).
	TieSet Kind = "tie_set"
	// TieRemoved removes the friendship A–B.
	TieRemoved Kind = "tie_removed"
	// Events folds Events into A's record (graph.Record.Apply at Now).
	Events Kind = "events"
	// RecordSet replaces A's record (Record, if not nil) and profile
	// (Profile, if not nil).
	RecordSet Kind = "record_set"
	// PersonAdded puts A in the network (a consenting person created, or
	// consent given): Record and Profile (zero if nil), Friends (From or
	// To is A; ties to people not in the network are left out, as a
	// snapshot leaves them out), Recruiter (0: none) and Recruits.
	PersonAdded Kind = "person_added"
	// PersonRemoved takes A out of the network (erased, or consent
	// withdrawn) with all A's ties.
	PersonRemoved Kind = "person_removed"
	// RecruitSet records that A recruited B; RecruitRemoved that the
	// recruitment is gone. While B is in the network with an active
	// record, B counts in A's recruitment pillar (scoring.ActiveRecruits),
	// so A's b is recomputed and pushed; nothing else changes. Either end
	// may be out of the network: the recruitment is kept for when they
	// join (as a snapshot keeps it).
	RecruitSet     Kind = "recruit_set"
	RecruitRemoved Kind = "recruit_removed"
)

// Change is one acknowledged write, as the live view needs it.
type Change struct {
	Kind      Kind
	A, B      graph.ID
	Weight    float64
	Events    []graph.Event
	Now       time.Time
	Record    *graph.Record
	Profile   *graph.Profile
	Friends   []graph.Tie
	Recruiter graph.ID
	Recruits  []graph.ID
}

// Engine is the live view: the results of a full run kept up to date
// change by change. It is safe for concurrent use: reads share a lock,
// changes take it alone.
type Engine struct {
	mu      sync.RWMutex
	st      *state
	ids     []graph.ID // position → id
	nBase   int        // ids[:nBase] are the snapshot's, ascending
	extra   map[graph.ID]int32
	run     string
	changes int64
	pol     scoring.Policy
}

// New builds the live view of a full run: s is the snapshot the run
// scored, results its results in snapshot order (scoring.ScoreSnapshot
// under p). The results may also be those of an earlier run (by
// ascending id, as a store keeps them) and s a later snapshot: then they
// are only the starting point, the residuals of everything that changed
// since are exact and the pushes carry the view to the same bounds. That
// is how the view is rebuilt after a restart: the store's snapshot holds
// every acknowledged change, the last run's results give the start. The snapshot's friendship and recruitment arrays are read,
// never written (changed rows are copied); records and profiles are
// copied.
//
// The network values s come from the results and the unnormalised
// PageRank from y = c·PageRank with c = N(1−d)/((1−d) + d·Σ_dangling PR),
// the scale at which y = (1−d)·1 + d·AᵀD⁻¹y holds (dangling people drop
// out: with uniform teleport and uniform dangling spread, PageRank is y
// normalised; Langville & Meyer 2006, "Google's PageRank and Beyond",
// §8.4); both residuals are computed exactly and pushed below the bounds.
func New(s *graph.Snapshot, results []graph.Result, p scoring.Policy, opts ...Options) (*Engine, error) {
	if s == nil {
		return nil, graph.Invalid("snapshot", "is nil")
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("live: policy %q: %w", p.Name, err)
	}
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.PropagationTol == 0 {
		o.PropagationTol = PropagationTolFor(p)
	}
	if o.PageRankTol == 0 {
		o.PageRankTol = DefaultPageRankTol
	}
	n := s.Len()
	for i := 1; i < len(results); i++ {
		if results[i].ID <= results[i-1].ID {
			return nil, graph.Invalid("results", "ids must ascend (result %d is of person %d after %d)", i, results[i].ID, results[i-1].ID)
		}
	}
	// prior returns the run's result of person i of the snapshot, if the
	// run scored them.
	aligned := len(results) == n
	for i := 0; aligned && i < n; i++ {
		aligned = results[i].ID == s.IDs[i]
	}
	var resultIDs []graph.ID // sorted like results, for the lookup when they are not aligned
	if !aligned {
		resultIDs = make([]graph.ID, len(results))
		for k := range results {
			resultIDs[k] = results[k].ID
		}
	}
	prior := func(i int) (graph.Result, bool) {
		if aligned {
			return results[i], true
		}
		k, ok := graph.Position(resultIDs, s.IDs[i])
		if !ok {
			return graph.Result{}, false
		}
		return results[k], true
	}
	offsets := s.Offsets
	if n == 0 {
		offsets = []int32{0}
	}
	present := make([]bool, n)
	recs := slices.Clone(s.Records)
	profs := slices.Clone(s.Profiles)
	recruiter := make([]int32, n)
	for i := range present {
		present[i] = true
		recruiter[i] = -1
	}
	if len(s.RecruitOffsets) > 0 {
		for i := 0; i < n; i++ {
			for _, j := range s.Recruits(int32(i)) {
				recruiter[j] = int32(i)
			}
		}
	}
	bv, sv, rs, inv := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	y, ry := make([]float64, n), make([]float64, n)
	keys := make([]uint64, n)
	inq := make([]bool, n)
	st := &state{
		pol: p, alpha: p.Alpha, d: scoring.DefaultDamping,
		epsS: o.PropagationTol, epsP: o.PageRankTol * min(1, math.Pow(float64(n)/pageRankTolPeople, 2)),
		present:   layered[bool]{base: &present},
		rec:       layered[graph.Record]{base: &recs},
		prof:      layered[graph.Profile]{base: &profs},
		recruiter: layered[int32]{base: &recruiter},
		friends:   &adjacency{offsets: offsets, targets: s.Targets, weights: s.Weights, changed: make([]bool, n), over: map[int32]row{}},
		recruits:  &adjacency{offsets: s.RecruitOffsets, targets: s.RecruitTargets, changed: make([]bool, n), over: map[int32]row{}},
		b:         layered[float64]{base: &bv},
		s:         layered[float64]{base: &sv},
		rs:        layered[float64]{base: &rs},
		inv:       layered[float64]{base: &inv},
		y:         layered[float64]{base: &y},
		ry:        layered[float64]{base: &ry},
		key:       layered[uint64]{base: &keys},
		inQueue:   layered[bool]{base: &inq},
		n:         n,
	}
	csr := graph.CSR{Offsets: offsets, Targets: s.Targets, Weights: s.Weights}
	d := st.d
	var dang float64
	known := 0
	for i := 0; i < n; i++ {
		u := int32(i)
		bv[i] = p.Weights.Combine(st.pillars(u))
		inv[i] = scoring.InvStrength(&csr, u)
		r, ok := prior(i)
		if !ok {
			sv[i] = bv[i] // a first guess; the pushes do the rest
			continue
		}
		known++
		sv[i] = r.Network
		if s.Degree(u) == 0 {
			dang += r.PageRank
		}
	}
	scale := float64(known) * (1 - d) / ((1 - d) + d*dang)
	for i := 0; i < n; i++ {
		r, ok := prior(i)
		switch {
		case s.Degree(int32(i)) == 0:
			y[i] = 1 - d
		case ok && r.PageRank > 0:
			y[i] = scale * r.PageRank
		default:
			y[i] = 1
		}
	}
	for i := 0; i < n; i++ {
		u := int32(i)
		rs[i] = scoring.PropagationRow(&csr, inv, bv, sv, p.Alpha, u) - sv[i]
		if deg := s.Degree(u); deg > 0 {
			var acc float64
			for _, j := range s.Friends(u) {
				acc += y[j] / float64(s.Degree(j))
			}
			ry[i] = (1 - d) + d*acc - y[i]
		}
		st.sumY += y[i]
		if math.Abs(rs[i]) > st.epsS || math.Abs(ry[i]) > st.prThreshold(s.Degree(u)) {
			st.enqueue(u)
		}
	}
	for i := range keys {
		keys[i] = scoring.PercentileKey(y[i])
	}
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	st.rank = newSortedBlocks(sorted)
	st.settle()
	return &Engine{st: st, ids: slices.Clone(s.IDs), nBase: n, extra: map[graph.ID]int32{}, run: o.Run, pol: p}, nil
}

// Policy returns the policy the live view scores under.
func (e *Engine) Policy() scoring.Policy { return e.pol }

// Run returns the full run the view started from.
func (e *Engine) Run() string { return e.run }

// AsOf returns the full run the view started from and the number of
// changes applied since.
func (e *Engine) AsOf() (run string, changes int64) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.run, e.changes
}

// pos returns the position of id (present or not) and whether it has one.
func (e *Engine) pos(id graph.ID) (int32, bool) {
	if i, ok := graph.Position(e.ids[:e.nBase], id); ok {
		return int32(i), true
	}
	p, ok := e.extra[id]
	return p, ok
}

// present returns the position of a person in the network.
func (e *Engine) present(st *state, id graph.ID, field string) (int32, error) {
	p, ok := e.pos(id)
	if !ok || !st.present.get(p) {
		return 0, &graph.ValidationError{Field: field, Reason: fmt.Sprintf("person %d is not in the scored network", id), Kind: graph.ErrNotFound}
	}
	return p, nil
}

// Result returns the live result of a person, as a full run on the
// changed data would give it (within the bounds), and whether the person
// is in the network.
func (e *Engine) Result(id graph.ID) (graph.Result, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	p, ok := e.pos(id)
	if !ok || !e.st.present.get(p) {
		return graph.Result{}, false
	}
	return e.st.result(p, id), true
}

// Explain returns the live result of a person with its explanation
// (scoring.Explain under the engine's policy).
func (e *Engine) Explain(id graph.ID) (graph.Result, scoring.Explanation, bool) {
	r, ok := e.Result(id)
	if !ok {
		return r, scoring.Explanation{}, false
	}
	return r, scoring.Explain(r, e.pol), true
}

// ExplainAll returns the live results of ids with their explanations,
// all read in one state (no change lands between two of them). If
// someone is not in the network it returns the index of the first such
// id and false. changes is AsOf's count for that state.
func (e *Engine) ExplainAll(ids []graph.ID) (outs []Outcome, changes int64, missing int, ok bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]Outcome, len(ids))
	for i, id := range ids {
		p, ok := e.pos(id)
		if !ok || !e.st.present.get(p) {
			return nil, 0, i, false
		}
		out[i].Result = e.st.result(p, id)
	}
	for i := range out {
		out[i].Explanation = scoring.Explain(out[i].Result, e.pol)
	}
	return out, e.changes, 0, true
}

// Results returns the live results of everyone in the network, by
// ascending id.
func (e *Engine) Results() []graph.Result {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]graph.Result, 0, e.st.n)
	for p, id := range e.ids {
		if e.st.present.get(int32(p)) {
			out = append(out, e.st.result(int32(p), id))
		}
	}
	slices.SortFunc(out, func(a, b graph.Result) int { return int(min(max(a.ID-b.ID, -1), 1)) })
	return out
}

// Apply applies one acknowledged change to the live view: the affected
// rows, residuals and percentile keys are repaired before it returns, so
// the next read sees it. A change naming someone not in the network, or a
// bad event, returns an error wrapping graph.ErrNotFound or
// graph.ErrInvalid and changes nothing.
func (e *Engine) Apply(c Change) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.apply(e.st, c, true); err != nil {
		return err
	}
	e.changes++
	return nil
}

// apply applies c to st (the live state, or a what-if overlay: then
// people cannot be added or removed).
func (e *Engine) apply(st *state, c Change, live bool) error {
	switch c.Kind {
	case TieSet, TieRemoved:
		a, err := e.present(st, c.A, "a")
		if err != nil {
			return err
		}
		b, err := e.present(st, c.B, "b")
		if err != nil {
			return err
		}
		if a == b {
			return graph.Invalid("b", "a friendship joins two different people")
		}
		w := c.Weight
		if w == 0 {
			w = 1
		}
		if !(w > 0) || math.IsInf(w, 0) {
			return graph.Invalid("weight", "must be a finite number > 0, got %v", c.Weight)
		}
		st.setTie(a, b, float32(w), c.Kind == TieRemoved)
		return nil
	case Events, RecordSet:
		a, err := e.present(st, c.A, "a")
		if err != nil {
			return err
		}
		rec, prof := st.rec.get(a), st.prof.get(a)
		if c.Kind == Events {
			if err := rec.Apply(c.Events, c.Now); err != nil {
				return err
			}
		} else {
			var err error
			if rec, prof, err = c.overrides(rec, prof); err != nil {
				return err
			}
		}
		st.setRecord(a, rec, prof)
		return nil
	case RecruitSet, RecruitRemoved:
		if c.A == c.B {
			return graph.Invalid("b", "a person cannot recruit themselves")
		}
		a, okA := e.pos(c.A)
		b, okB := e.pos(c.B)
		if !okA || !okB {
			// Someone never in the network: PersonAdded brings the
			// recruitment from the store when they join.
			return nil
		}
		st.setRecruit(a, b, c.Kind == RecruitRemoved)
		return nil
	case PersonAdded:
		if !live {
			return graph.Invalid("kind", "a what-if cannot add people")
		}
		return e.addPerson(c)
	case PersonRemoved:
		if !live {
			return graph.Invalid("kind", "a what-if cannot remove people")
		}
		a, err := e.present(st, c.A, "a")
		if err != nil {
			return err
		}
		e.removePerson(a)
		return nil
	default:
		return graph.Invalid("kind", "unknown change %q", string(c.Kind))
	}
}

// addPerson puts a person in the network (live state only).
func (e *Engine) addPerson(c Change) error {
	st := e.st
	if c.A <= 0 {
		return graph.Invalid("a", "must be a positive id")
	}
	p, known := e.pos(c.A)
	if known && st.present.get(p) {
		return &graph.ValidationError{Field: "a", Reason: fmt.Sprintf("person %d is in the network already", c.A), Kind: graph.ErrConflict}
	}
	rec, prof, err := c.overrides(graph.Record{}, graph.Profile{})
	if err != nil {
		return err
	}
	// Check every tie before changing anything.
	var friends []int32
	var weights []float32
	for k, t := range c.Friends {
		other := t.To
		if t.To == c.A {
			other = t.From
		} else if t.From != c.A {
			return graph.Invalid(fmt.Sprintf("friends/%d", k), "names neither end as person %d", c.A)
		}
		q, err := e.present(st, other, fmt.Sprintf("friends/%d", k))
		if err != nil {
			continue // not in the network: absent from it, as in a snapshot
		}
		w := t.Weight
		if w == 0 {
			w = 1
		}
		if !(w > 0) || math.IsInf(w, 0) {
			return graph.Invalid(fmt.Sprintf("friends/%d/weight", k), "must be a finite number > 0")
		}
		friends = append(friends, q)
		weights = append(weights, float32(w))
	}
	recruiter := int32(-1)
	if c.Recruiter != 0 {
		if q, ok := e.pos(c.Recruiter); ok {
			recruiter = q
		}
	}
	if !known {
		p = int32(len(e.ids))
		e.ids = append(e.ids, c.A)
		e.extra[c.A] = p
		*st.present.base = append(*st.present.base, false)
		*st.rec.base = append(*st.rec.base, graph.Record{})
		*st.prof.base = append(*st.prof.base, graph.Profile{})
		*st.recruiter.base = append(*st.recruiter.base, -1)
		for _, l := range []*layered[float64]{&st.b, &st.s, &st.rs, &st.inv, &st.y, &st.ry} {
			*l.base = append(*l.base, 0)
		}
		*st.key.base = append(*st.key.base, 0)
		*st.inQueue.base = append(*st.inQueue.base, false)
	}
	st.present.set(p, true)
	st.rec.set(p, rec)
	st.prof.set(p, prof)
	st.friends.set(p, row{})
	var recruits []int32
	for _, id := range c.Recruits {
		if q, ok := e.pos(id); ok {
			recruits = append(recruits, q)
			st.recruiter.set(q, p)
		}
	}
	st.recruits.set(p, row{t: recruits})
	st.recruiter.set(p, recruiter)
	if recruiter >= 0 {
		rr := st.recruits.get(recruiter)
		if rr.find(p) < 0 {
			st.recruits.set(recruiter, row{t: append(slices.Clone(rr.t), p)})
		}
	}
	// Alone first: s = b, y = 1−d, exact; then the ties one by one.
	st.b.set(p, st.pol.Weights.Combine(st.pillars(p)))
	st.s.set(p, st.b.get(p))
	st.rs.set(p, 0)
	st.inv.set(p, 0)
	st.y.set(p, 1-st.d)
	st.ry.set(p, 0)
	st.sumY += 1 - st.d
	k := scoring.PercentileKey(1 - st.d)
	st.key.set(p, k)
	st.rank.insert(k)
	st.n++
	if recruiter >= 0 && st.present.get(recruiter) && rec.Active() {
		st.refreshB(recruiter)
	}
	for k, q := range friends {
		st.setTie(p, q, weights[k], false)
	}
	st.settle()
	return nil
}

// removePerson takes a person out of the network (live state only).
func (e *Engine) removePerson(p int32) {
	st := e.st
	for _, q := range slices.Clone(st.friends.get(p).t) {
		st.setTie(p, q, 0, true)
	}
	st.rank.remove(st.key.get(p))
	st.sumY -= st.y.get(p)
	st.n--
	st.present.set(p, false)
	if r := st.recruiter.get(p); r >= 0 && st.present.get(r) && st.rec.get(p).Active() {
		st.refreshB(r)
	}
	st.settle()
}

// overrides returns rec and prof with the change's Record and Profile put
// in their place where it gives them, each validated first.
func (c Change) overrides(rec graph.Record, prof graph.Profile) (graph.Record, graph.Profile, error) {
	if c.Record != nil {
		if err := c.Record.Validate(); err != nil {
			return rec, prof, err
		}
		rec = *c.Record
	}
	if c.Profile != nil {
		if err := c.Profile.Validate(); err != nil {
			return rec, prof, err
		}
		prof = *c.Profile
	}
	return rec, prof, nil
}
