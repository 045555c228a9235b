// Package jobs runs socialscore's long jobs in the background: scoring
// runs and simulations started through the API today, and every kind of
// job added later (exports, shocks). One Manager holds every kind; each
// kind has its own limits (Register): how many of its jobs run at once,
// how many may wait for a worker, how many finished ones are remembered.
//
// A job is queued, then running, then exactly one of succeeded, failed or
// cancelled (Status). Its work is a Func: it gets a context that is
// cancelled when the job is deleted or the manager closes, and a report
// function for its progress; what it returns is the job's Result. Job
// records the created, started and finished times.
//
// Delete cancels a queued or running job and forgets it at once: Get
// then answers not found, and whatever a running job still returns is
// dropped. A kind's worker is busy until the job's Func returns.
//
// docs/architecture.md (Jobs) describes how the API uses it.
//
// The package lives under internal/ because it is a mechanism of this
// module, not an API: the HTTP API (package api) turns jobs into its JSON
// vocabulary, and the packages that do the work (scoring,
// scoring/simulate) know nothing of jobs.
package jobs

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/socialscore/socialscore/graph"
)

// Status is where a job is in its life.
type Status string

// The statuses. A job is queued, then running, then exactly one of the
// final statuses.
const (
	Queued    Status = "queued"
	Running   Status = "running"
	Succeeded Status = "succeeded"
	Failed    Status = "failed"
	Cancelled Status = "cancelled"
)

// Final reports whether the status is one a job ends in.
func (s Status) Final() bool { return s == Succeeded || s == Failed || s == Cancelled }

// Progress is how far a running job has got, as its Func reports it.
type Progress struct {
	Fraction float64 // 0..1 of the work done; 1 once succeeded
	Phase    string  // the last phase completed, for jobs that have phases
}

// Func does the work of a job. It should return soon after ctx is
// cancelled, with an error wrapping ctx's error (the job is then
// cancelled rather than failed). report may be called from any goroutine.
type Func func(ctx context.Context, report func(Progress)) (any, error)

// Limits bound the jobs of one kind.
type Limits struct {
	// Workers is how many jobs of the kind run at once; 0 means 1.
	Workers int
	// MaxQueued is how many jobs may wait for a worker; 0 means none:
	// Submit refuses a job when every worker is busy.
	MaxQueued int
	// Keep is how many finished jobs are remembered; older ones are
	// forgotten. 0 means DefaultKeep.
	Keep int
	// MaxQueuedPerOwner is how many jobs of one owner (SubmitAs) may wait
	// for a worker, so that one owner cannot fill the queue for the
	// others; 0 means no limit but MaxQueued.
	MaxQueuedPerOwner int
}

// DefaultKeep is Limits.Keep when 0.
const DefaultKeep = 100

// Job is a copy of what the manager knows about a job.
type Job struct {
	ID       string
	Kind     string
	Owner    string // who submitted it (SubmitAs); "" for Submit
	Status   Status
	Progress Progress
	// Error says why a job failed or was cancelled.
	Error      string
	CreatedAt  time.Time
	StartedAt  time.Time // zero until it runs
	FinishedAt time.Time // zero until it ends
	// Input is what was submitted with the job, as given (for display).
	Input any
	// Result is what the Func returned, once succeeded.
	Result any
}

var (
	// ErrQueueFull is returned by Submit when every worker of the kind
	// is busy and its queue is full.
	ErrQueueFull = errors.New("jobs: queue full")
	// ErrOwnerQueueFull is returned by SubmitAs when the owner already
	// has Limits.MaxQueuedPerOwner jobs of the kind waiting. It wraps
	// ErrQueueFull.
	ErrOwnerQueueFull = fmt.Errorf("%w: this owner's share of the queue is used", ErrQueueFull)
	// ErrClosed is returned by Submit after Close.
	ErrClosed = errors.New("jobs: manager closed")
)

// Manager runs jobs. It is safe for concurrent use.
type Manager struct {
	clock  func() time.Time
	ctx    context.Context // parent of every job's context; cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	kinds  map[string]*kind
	byID   map[string]*entry
	seq    uint64
	closed bool
}

type kind struct {
	limits   Limits
	running  int
	pending  []*entry
	finished []*entry // oldest first
}

type entry struct {
	job    Job
	seq    uint64 // submission order
	fn     Func
	cancel context.CancelFunc // set while running
	gone   bool               // deleted while running
}

// New returns a manager without kinds. clock stamps the jobs' times; nil
// means time.Now.
func New(clock func() time.Time) *Manager {
	if clock == nil {
		clock = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{clock: clock, ctx: ctx, cancel: cancel, kinds: map[string]*kind{}, byID: map[string]*entry{}}
}

// Register adds a kind of job with its limits. It panics if the kind is
// registered twice or a limit is negative: both are programming errors.
func (m *Manager) Register(name string, l Limits) {
	if l.Workers < 0 || l.MaxQueued < 0 || l.Keep < 0 || l.MaxQueuedPerOwner < 0 {
		panic(fmt.Sprintf("jobs: kind %q: negative limit %+v", name, l))
	}
	l.Workers = max(l.Workers, 1)
	if l.Keep == 0 {
		l.Keep = DefaultKeep
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.kinds[name]; dup {
		panic(fmt.Sprintf("jobs: kind %q registered twice", name))
	}
	m.kinds[name] = &kind{limits: l}
}

// Submit adds a job of the kind doing fn and returns it: running if a
// worker of the kind is free, else queued. It returns ErrQueueFull when
// the queue is full, ErrClosed after Close, and an error for a kind that
// was never registered.
func (m *Manager) Submit(kindName string, input any, fn Func) (Job, error) {
	return m.SubmitAs(kindName, "", input, fn)
}

// SubmitAs is Submit for an owner (an API key's name): besides the
// kind's queue, the owner's own share of it (Limits.MaxQueuedPerOwner)
// must have room, or it returns ErrOwnerQueueFull.
func (m *Manager) SubmitAs(kindName, owner string, input any, fn Func) (Job, error) {
	id, err := newID()
	if err != nil {
		return Job{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return Job{}, ErrClosed
	}
	k, ok := m.kinds[kindName]
	if !ok {
		return Job{}, fmt.Errorf("jobs: unknown kind %q", kindName)
	}
	if k.running >= k.limits.Workers {
		if len(k.pending) >= k.limits.MaxQueued {
			return Job{}, ErrQueueFull
		}
		if lim := k.limits.MaxQueuedPerOwner; lim > 0 {
			n := 0
			for _, p := range k.pending {
				if p.job.Owner == owner {
					n++
				}
			}
			if n >= lim {
				return Job{}, ErrOwnerQueueFull
			}
		}
	}
	m.seq++
	e := &entry{seq: m.seq, fn: fn, job: Job{ID: id, Kind: kindName, Owner: owner, Status: Queued, CreatedAt: m.clock(), Input: input}}
	m.byID[id] = e
	if k.running < k.limits.Workers {
		m.start(k, e, e.job.CreatedAt)
	} else {
		k.pending = append(k.pending, e)
	}
	return e.job, nil
}

func newID() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("jobs: job id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// start runs e on a new goroutine; m.mu is held.
func (m *Manager) start(k *kind, e *entry, now time.Time) {
	ctx, cancel := context.WithCancel(m.ctx)
	e.cancel = cancel
	e.job.Status = Running
	e.job.StartedAt = now
	k.running++
	m.wg.Add(1)
	go m.run(ctx, k, e)
}

// run does the job's work, records the outcome and starts the kind's next
// queued job.
func (m *Manager) run(ctx context.Context, k *kind, e *entry) {
	defer m.wg.Done()
	report := func(p Progress) {
		m.mu.Lock()
		e.job.Progress = p
		m.mu.Unlock()
	}
	res, err := e.fn(withID(ctx, e.job.ID), report)
	cancelled := ctx.Err() != nil && errors.Is(err, context.Canceled)

	m.mu.Lock()
	defer m.mu.Unlock()
	e.cancel()
	e.cancel = nil
	k.running--
	if !e.gone {
		switch {
		case err == nil:
			e.job.Progress.Fraction = 1
			e.job.Result = res
			m.finish(k, e, Succeeded, "")
		case cancelled:
			m.finish(k, e, Cancelled, "cancelled while running")
		default:
			m.finish(k, e, Failed, err.Error())
		}
	}
	if len(k.pending) > 0 && !m.closed {
		next := k.pending[0]
		k.pending = k.pending[1:]
		m.start(k, next, m.clock())
	}
}

// finish moves e to a final status and forgets the kind's oldest finished
// jobs beyond Keep; m.mu is held.
func (m *Manager) finish(k *kind, e *entry, s Status, msg string) {
	e.job.Status = s
	e.job.Error = msg
	e.job.FinishedAt = m.clock()
	k.finished = append(k.finished, e)
	for len(k.finished) > k.limits.Keep {
		delete(m.byID, k.finished[0].job.ID)
		k.finished = k.finished[1:]
	}
}

// lookup returns the job of the kind with the id; m.mu is held.
func (m *Manager) lookup(kindName, id string) (*entry, error) {
	e, ok := m.byID[id]
	if !ok || e.job.Kind != kindName {
		return nil, fmt.Errorf("jobs: %s %q: %w", kindName, id, graph.ErrNotFound)
	}
	return e, nil
}

// Get returns the job of the kind with the id, or an error wrapping
// graph.ErrNotFound for an id that is unknown, of another kind, deleted
// or forgotten.
func (m *Manager) Get(kindName, id string) (Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.lookup(kindName, id)
	if err != nil {
		return Job{}, err
	}
	return e.job, nil
}

// List returns the jobs of the kind, newest (last submitted) first, at
// most limit of them; limit <= 0 means all.
func (m *Manager) List(kindName string, limit int) []Job {
	m.mu.Lock()
	defer m.mu.Unlock()
	var es []*entry
	for _, e := range m.byID {
		if e.job.Kind == kindName {
			es = append(es, e)
		}
	}
	slices.SortFunc(es, func(a, b *entry) int { return cmp.Compare(b.seq, a.seq) })
	if limit > 0 && len(es) > limit {
		es = es[:limit]
	}
	out := make([]Job, len(es))
	for i, e := range es {
		out[i] = e.job
	}
	return out
}

// Delete forgets the job of the kind with the id and returns it as it was
// then: a queued job comes back cancelled; a running one comes back
// running, its context is cancelled and whatever it returns is dropped;
// a finished one comes back as it ended. Get answers not found from then
// on. It returns an error wrapping graph.ErrNotFound as Get does.
func (m *Manager) Delete(kindName, id string) (Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.lookup(kindName, id)
	if err != nil {
		return Job{}, err
	}
	k := m.kinds[kindName]
	delete(m.byID, id)
	switch e.job.Status {
	case Queued:
		k.pending = slices.DeleteFunc(k.pending, func(x *entry) bool { return x == e })
		e.job.Status, e.job.Error, e.job.FinishedAt = Cancelled, "cancelled before it started", m.clock()
	case Running:
		e.gone = true
		e.cancel()
	default:
		k.finished = slices.DeleteFunc(k.finished, func(x *entry) bool { return x == e })
	}
	return e.job, nil
}

// Close refuses new jobs, cancels every queued and running job and waits
// for the running ones to return. Jobs stay readable. It is safe to call
// more than once.
func (m *Manager) Close() {
	m.mu.Lock()
	m.closed = true
	for _, k := range m.kinds {
		for _, e := range k.pending {
			m.finish(k, e, Cancelled, "the server shut down")
		}
		k.pending = nil
	}
	m.mu.Unlock()
	m.cancel()
	m.wg.Wait()
}

type idKey struct{}

func withID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, idKey{}, id)
}

// ID returns the id of the job whose Func was given ctx ("" for any other
// context), for the Func's logs.
func ID(ctx context.Context) string {
	id, _ := ctx.Value(idKey{}).(string)
	return id
}
