package simulate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/socialscore/socialscore/graph"
)

// ErrQueueFull is returned by Jobs.Submit when the queue of waiting jobs is
// full (an API answers 429 Too Many Requests).
var ErrQueueFull = errors.New("simulation queue is full")

// MaxJobPeople bounds the seeded network of a job submitted to Jobs, so
// that one request cannot exhaust the server's memory.
const MaxJobPeople = 1_000_000

// keepFinished is how many finished jobs Jobs remembers; older ones are
// forgotten (Get returns graph.ErrNotFound).
const keepFinished = 100

// JobState is where a job is in its life.
type JobState string

// Job states. A job is queued, then running, then exactly one of the
// final states.
const (
	JobQueued    JobState = "queued"
	JobRunning   JobState = "running"
	JobSucceeded JobState = "succeeded"
	JobFailed    JobState = "failed"
	JobCancelled JobState = "cancelled"
)

// Final reports whether the state is one a job ends in.
func (s JobState) Final() bool {
	return s == JobSucceeded || s == JobFailed || s == JobCancelled
}

// JobStatus is what Jobs.Get reports about a job; it is the body of
// GET /v1/simulations/{id}.
type JobStatus struct {
	ID       string     `json:"id"`
	State    JobState   `json:"state"`
	Progress float64    `json:"progress"` // 0..1: rounds simulated over rounds to simulate
	Error    string     `json:"error,omitempty"`
	Created  time.Time  `json:"created"`
	Started  *time.Time `json:"started,omitempty"`
	Finished *time.Time `json:"finished,omitempty"`
	Request  Sweep      `json:"request"`
	// Summary is the result, once the job succeeded. Callers must not
	// modify it.
	Summary *Summary `json:"summary,omitempty"`
}

// NetworkLoader returns the network that jobs without a seeded network
// (Config.People = 0) simulate, typically a store's snapshot. The
// simulation copies it and never modifies it.
type NetworkLoader func(ctx context.Context) (*graph.Snapshot, error)

// Jobs runs simulations submitted through an API in the background: a
// bounded queue of waiting jobs and a fixed number of jobs running at
// once. It is safe for concurrent use.
type Jobs struct {
	load     NetworkLoader
	maxQueue int
	workers  int
	clock    func() time.Time

	mu       sync.Mutex
	cond     *sync.Cond
	jobs     map[string]*job
	pending  []*job
	finished []string // ids of finished jobs, oldest first
	closed   bool
	wg       sync.WaitGroup
}

type job struct {
	status JobStatus
	cancel context.CancelFunc // set while running
}

// NewJobs starts a job manager that keeps at most maxQueued jobs waiting
// (at least 1) and runs up to workers jobs at once (0: 1), each sweep
// spreading its runs over GOMAXPROCS/workers goroutines. load supplies the
// network for jobs that do not seed one; it may be nil, and then such jobs
// are refused. Call Close to stop it.
func NewJobs(maxQueued, workers int, load NetworkLoader) *Jobs {
	j := &Jobs{
		load:     load,
		maxQueue: max(maxQueued, 1),
		workers:  max(workers, 1),
		clock:    time.Now,
		jobs:     map[string]*job{},
	}
	j.cond = sync.NewCond(&j.mu)
	for range j.workers {
		j.wg.Go(j.work)
	}
	return j
}

// Submit validates the request and queues it. A run is a sweep without
// axes and with one replicate. It returns the job's id, or an error
// wrapping graph.ErrInvalid (a *graph.ValidationError naming the field)
// for a bad request, or ErrQueueFull. Policies in a request are preset
// names or policy objects: files are never read.
func (j *Jobs) Submit(s Sweep) (string, error) {
	s.PolicyLoader = nil
	points, err := s.Points()
	if err != nil {
		return "", err
	}
	for _, p := range points {
		if p.Config.People > MaxJobPeople {
			return "", graph.Invalid("people", "must be at most %d for a simulation job, got %d", MaxJobPeople, p.Config.People)
		}
		if p.Config.People == 0 && j.load == nil {
			return "", graph.Invalid("people", "is required: this server has no stored network to simulate")
		}
	}
	id, err := newJobID()
	if err != nil {
		return "", err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return "", errors.New("simulate: jobs are closed")
	}
	if len(j.pending) >= j.maxQueue {
		return "", ErrQueueFull
	}
	jb := &job{status: JobStatus{ID: id, State: JobQueued, Created: j.clock(), Request: s}}
	j.jobs[id] = jb
	j.pending = append(j.pending, jb)
	j.cond.Signal()
	return id, nil
}

func newJobID() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// Get returns the job's status. It returns an error wrapping
// graph.ErrNotFound for an unknown (or long forgotten) id.
func (j *Jobs) Get(id string) (JobStatus, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	jb, ok := j.jobs[id]
	if !ok {
		return JobStatus{}, fmt.Errorf("simulation %q: %w", id, graph.ErrNotFound)
	}
	return jb.status, nil
}

// Cancel cancels a queued or running job and returns its status: a queued
// job is cancelled at once, a running one stops at its next round (its
// state becomes cancelled then). Cancelling a finished job changes nothing.
// It returns an error wrapping graph.ErrNotFound for an unknown id.
func (j *Jobs) Cancel(id string) (JobStatus, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	jb, ok := j.jobs[id]
	if !ok {
		return JobStatus{}, fmt.Errorf("simulation %q: %w", id, graph.ErrNotFound)
	}
	switch jb.status.State {
	case JobQueued:
		j.pending = slices.DeleteFunc(j.pending, func(x *job) bool { return x == jb })
		j.finish(jb, JobCancelled, "cancelled before it started", nil)
	case JobRunning:
		jb.cancel()
	}
	return jb.status, nil
}

// Close cancels every queued and running job and waits for the workers to
// stop.
func (j *Jobs) Close() {
	j.mu.Lock()
	j.closed = true
	for _, jb := range j.pending {
		j.finish(jb, JobCancelled, "the server shut down", nil)
	}
	j.pending = nil
	for _, jb := range j.jobs {
		if jb.status.State == JobRunning {
			jb.cancel()
		}
	}
	j.cond.Broadcast()
	j.mu.Unlock()
	j.wg.Wait()
}

// finish moves a job to a final state; j.mu is held.
func (j *Jobs) finish(jb *job, state JobState, msg string, sum *Summary) {
	now := j.clock()
	jb.status.State = state
	jb.status.Error = msg
	jb.status.Finished = &now
	jb.status.Summary = sum
	if state == JobSucceeded {
		jb.status.Progress = 1
	}
	jb.cancel = nil
	j.finished = append(j.finished, jb.status.ID)
	for len(j.finished) > keepFinished {
		delete(j.jobs, j.finished[0])
		j.finished = j.finished[1:]
	}
}

// work runs queued jobs until Close.
func (j *Jobs) work() {
	for {
		j.mu.Lock()
		for len(j.pending) == 0 && !j.closed {
			j.cond.Wait()
		}
		if j.closed {
			j.mu.Unlock()
			return
		}
		jb := j.pending[0]
		j.pending = j.pending[1:]
		ctx, cancel := context.WithCancel(context.Background())
		jb.cancel = cancel
		now := j.clock()
		jb.status.State = JobRunning
		jb.status.Started = &now
		req := jb.status.Request
		j.mu.Unlock()

		sum, err := j.run(ctx, jb, req)
		cancel()

		j.mu.Lock()
		switch {
		case err == nil:
			j.finish(jb, JobSucceeded, "", sum)
		case errors.Is(err, context.Canceled):
			j.finish(jb, JobCancelled, "cancelled while running", nil)
		default:
			j.finish(jb, JobFailed, err.Error(), nil)
		}
		j.mu.Unlock()
	}
}

func (j *Jobs) run(ctx context.Context, jb *job, s Sweep) (*Summary, error) {
	points, err := s.Points()
	if err != nil {
		return nil, err
	}
	var net *graph.Snapshot
	if slices.ContainsFunc(points, func(p Point) bool { return p.Config.People == 0 }) {
		if net, err = j.load(ctx); err != nil {
			return nil, fmt.Errorf("load network: %w", err)
		}
	}
	res, err := RunSweep(ctx, s, net, SweepOptions{
		Workers: max(1, runtime.GOMAXPROCS(0)/j.workers),
		Progress: func(done, total int) {
			j.mu.Lock()
			jb.status.Progress = float64(done) / float64(total)
			j.mu.Unlock()
		},
	})
	if err != nil {
		return nil, err
	}
	return Summarize(res), nil
}
