package scoring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/socialscore/socialscore/graph"
)

// RunStore is what a scoring run needs from a store.
type RunStore interface {
	graph.SnapshotReader
	graph.ScoreStore
}

// StreamSaver is a store that takes a run's results one at a time
// (graph/embedded's Store is one): at(i) returns result i, in ascending id
// order, and may be called from several goroutines at once. It saves as
// graph.ScoreStore's SaveRun does. Runner.Run uses it when the store has
// it, so the run's results are never all in memory as graph.Result (184
// bytes a person) unless a read view needs them.
type StreamSaver interface {
	SaveRunFrom(ctx context.Context, run graph.Run, n int, at func(i int) graph.Result) error
}

// SnapshotSaver is a StreamSaver that is also told which of its snapshots
// the results were computed from, one result per person of snap in its
// order (graph/embedded's Store: when nothing was written since it read
// the snapshot, it need not check each person's consent again). It saves
// as SaveRunFrom does. Runner.Run prefers it.
type SnapshotSaver interface {
	SaveRunOf(ctx context.Context, run graph.Run, snap *graph.Snapshot, at func(i int) graph.Result) error
}

// ErrRunInProgress is returned by Runner.Run while another run is going.
var ErrRunInProgress = errors.New("a scoring run is already in progress")

// Runner performs scoring runs against a store and keeps the results of
// the last completed run as an in-memory read view. A run takes a
// snapshot, scores it, saves the results, and only then swaps them in, so
// reads never see a half-finished run and a run that fails leaves the
// previous scores in place.
type Runner struct {
	store RunStore
	clock graph.Clock

	running atomic.Bool
	view    atomic.Pointer[View]

	// NoView makes Run keep no read view: for a one-shot run (the score
	// command), which then holds 36 bytes a person besides the snapshot
	// instead of every graph.Result (with a StreamSaver store).
	NoView bool

	mu     sync.Mutex
	lastID string
	// forgotten maps the people erased or withdrawn since the view was
	// taken to the sequence number of their Forget call.
	forgotten sync.Map // graph.ID -> uint64
	forgetSeq atomic.Uint64
}

// NewRunner returns a runner over the store. clock may be nil (time.Now).
func NewRunner(store RunStore, clock graph.Clock) *Runner {
	if clock == nil {
		clock = time.Now
	}
	return &Runner{store: store, clock: clock}
}

// View is the immutable result of one completed run.
type View struct {
	Run     graph.Run
	Policy  Policy
	results []graph.Result // ascending id
	ids     []graph.ID     // the results' ids, for graph.Position
	// dense is set when the ids are consecutive (seeded stores: 1..n):
	// then an id's position is id − ids[0], with no search over ids,
	// whose cache misses grow with the number of people.
	dense bool
}

// Len returns the number of people scored.
func (v *View) Len() int { return len(v.results) }

// Results returns the results in ascending id order. Callers must not
// modify them.
func (v *View) Results() []graph.Result { return v.results }

// Lookup returns the result for the id.
func (v *View) Lookup(id graph.ID) (graph.Result, bool) {
	if i, ok := v.Index(id); ok {
		return v.results[i], true
	}
	return graph.Result{}, false
}

// Index returns the position of the id's result in Results. Positions are
// dense (0..Len()-1), so callers can keep per-person data of a view in a
// slice.
func (v *View) Index(id graph.ID) (int, bool) {
	if v.dense {
		if len(v.ids) == 0 || id < v.ids[0] || id-v.ids[0] >= graph.ID(len(v.ids)) {
			return 0, false
		}
		return int(id - v.ids[0]), true
	}
	return graph.Position(v.ids, id)
}

// NewView builds a view from a run's results (sorted here if needed).
func NewView(run graph.Run, p Policy, results []graph.Result) *View {
	if !sort.SliceIsSorted(results, func(i, j int) bool { return results[i].ID < results[j].ID }) {
		results = append([]graph.Result(nil), results...)
		sort.Slice(results, func(i, j int) bool { return results[i].ID < results[j].ID })
	}
	ids := make([]graph.ID, len(results))
	dense := len(results) > 0
	for i := range results {
		ids[i] = results[i].ID
		dense = dense && (i == 0 || ids[i] == ids[i-1]+1)
	}
	return &View{Run: run, Policy: p, results: results, ids: ids, dense: dense}
}

// View returns the current read view, or nil before any run completed.
func (r *Runner) View() *View { return r.view.Load() }

// Running reports whether a run is in progress.
func (r *Runner) Running() bool { return r.running.Load() }

// Lookup returns the current result and explanation context for a
// consenting person: the result, the view it came from, and whether it was
// found. People erased or withdrawn since the view was taken are not found.
func (r *Runner) Lookup(id graph.ID) (graph.Result, *View, bool) {
	res, _, v, ok := r.LookupIndex(id)
	return res, v, ok
}

// LookupIndex is Lookup that also returns the position of the result in
// the view's Results (see View.Index). Callers that cache per-person data
// of a view must still call it on every read: it is what hides people
// forgotten since the view was taken.
func (r *Runner) LookupIndex(id graph.ID) (graph.Result, int, *View, bool) {
	v := r.view.Load()
	if v == nil {
		return graph.Result{}, 0, nil, false
	}
	if _, gone := r.forgotten.Load(id); gone {
		return graph.Result{}, 0, v, false
	}
	i, ok := v.Index(id)
	if !ok {
		return graph.Result{}, 0, v, false
	}
	return v.results[i], i, v, true
}

// Forget hides a person's score from reads at once, until a run that
// started afterwards includes them again. Call it when a person is deleted
// or withdraws consent.
func (r *Runner) Forget(id graph.ID) {
	r.forgotten.Store(id, r.forgetSeq.Add(1))
}

// Load makes the store's latest saved run the read view. It is a no-op
// when the store holds no run yet.
func (r *Runner) Load(ctx context.Context) error {
	run, results, err := r.store.LatestRun(ctx)
	if errors.Is(err, graph.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("scoring: load latest run: %w", err)
	}
	p, err := policyOfRun(run)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.lastID = run.ID
	r.mu.Unlock()
	r.view.Store(NewView(run, p, results))
	return nil
}

func policyOfRun(run graph.Run) (Policy, error) {
	if len(run.PolicySpec) > 0 {
		var p Policy
		if err := json.Unmarshal(run.PolicySpec, &p); err != nil {
			return Policy{}, fmt.Errorf("scoring: run %s: decode policy: %w", run.ID, err)
		}
		return p, nil
	}
	if p, ok := Preset(run.Policy); ok {
		return p, nil
	}
	return Policy{}, fmt.Errorf("scoring: run %s: unknown policy %q", run.ID, run.Policy)
}

// Report describes a completed run.
type Report struct {
	Run      graph.Run
	Stats    Stats
	Snapshot time.Duration // reading the snapshot from the store
	Save     time.Duration // writing the results back
	Total    time.Duration
}

// Run performs a full scoring run under the policy. Only one run goes at a
// time; a second call returns ErrRunInProgress. If any step fails the
// previous view and stored scores stay in place.
func (r *Runner) Run(ctx context.Context, p Policy, o Options) (Report, error) {
	if err := p.Validate(); err != nil {
		return Report{}, err
	}
	if !r.running.CompareAndSwap(false, true) {
		return Report{}, ErrRunInProgress
	}
	defer r.running.Store(false)

	start := r.clock()
	// Everyone forgotten up to here is absent from the snapshot below.
	startSeq := r.forgetSeq.Load()
	t0 := time.Now()
	snap, err := r.store.Snapshot(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("scoring: snapshot: %w", err)
	}
	rep := Report{Snapshot: time.Since(t0)}
	sc, stats, err := ScoreArrays(ctx, snap, p, o)
	if err != nil {
		return Report{}, fmt.Errorf("scoring: score: %w", err)
	}
	rep.Stats = stats
	spec, err := json.Marshal(p)
	if err != nil {
		return Report{}, fmt.Errorf("scoring: encode policy: %w", err)
	}
	run := graph.Run{
		ID:          r.nextID(start),
		Policy:      p.Name,
		PolicySpec:  spec,
		StartedAt:   start,
		FinishedAt:  r.clock(),
		People:      snap.Len(),
		Friendships: snap.Friendships(),
	}
	t1 := time.Now()
	var results []graph.Result
	if ss, ok := r.store.(SnapshotSaver); ok && sc.Len() == snap.Len() {
		err = ss.SaveRunOf(ctx, run, snap, sc.Result)
	} else if ss, ok := r.store.(StreamSaver); ok {
		err = ss.SaveRunFrom(ctx, run, sc.Len(), sc.Result)
	} else {
		results = sc.Results(o.Workers)
		err = r.store.SaveRun(ctx, run, results)
	}
	if err != nil {
		return Report{}, fmt.Errorf("scoring: save run: %w", err)
	}
	rep.Save = time.Since(t1)
	rep.Run = run
	rep.Total = time.Since(t0)
	if r.NoView {
		return rep, nil
	}
	if results == nil {
		results = sc.Results(o.Workers)
	}
	r.view.Store(NewView(run, p, results))
	// Keep hiding only people forgotten after the snapshot was taken.
	r.forgotten.Range(func(k, v any) bool {
		if v.(uint64) <= startSeq {
			r.forgotten.CompareAndDelete(k, v)
		}
		return true
	})
	return rep, nil
}

// nextID returns a run id that sorts after every earlier one.
func (r *Runner) nextID(t time.Time) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := t.UTC().Format("20060102T150405.000000000Z")
	if id <= r.lastID {
		id = r.lastID + "1"
	}
	r.lastID = id
	return id
}
