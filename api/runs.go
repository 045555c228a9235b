package api

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialscore/socialscore/scoring"
)

// Job statuses of a scoring run started through the API.
const (
	JobRunning   = "running"
	JobSucceeded = "succeeded"
	JobFailed    = "failed"
)

// JobResponse is a scoring-run job as GET /v1/scoring-runs/{id} shows it.
type JobResponse struct {
	ID          string     `json:"id"`
	Status      string     `json:"status"` // running, succeeded, failed
	Policy      string     `json:"policy"`
	Phase       string     `json:"phase,omitempty"`  // last phase completed, while running
	RunID       string     `json:"run_id,omitempty"` // the scores' run id, once succeeded
	StartedAt   time.Time  `json:"started_at"`
	FinishedAt  *time.Time `json:"finished_at"`
	People      int        `json:"people"`
	Friendships int        `json:"friendships"`
	PhasesMS    *PhasesMS  `json:"phases_ms,omitempty"` // once succeeded
	TotalMS     *float64   `json:"total_ms,omitempty"`
	Error       string     `json:"error,omitempty"` // once failed
}

// PhasesMS are the phase timings of a run in milliseconds.
type PhasesMS struct {
	Snapshot    float64 `json:"snapshot"`
	Pillars     float64 `json:"pillars"`
	Propagation float64 `json:"propagation"`
	PageRank    float64 `json:"pagerank"`
	Percentiles float64 `json:"percentiles"`
	Finalize    float64 `json:"finalize"`
	Save        float64 `json:"save"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// job is one scoring run started through the API.
type job struct {
	id       string
	policy   string
	started  time.Time
	seq      uint64
	mu       sync.Mutex // guards the fields below
	status   string
	phase    string
	finished time.Time
	report   scoring.Report
	err      string
}

func (j *job) response() JobResponse {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := JobResponse{ID: j.id, Status: j.status, Policy: j.policy, StartedAt: j.started.UTC(), Error: j.err}
	switch j.status {
	case JobRunning:
		out.Phase = j.phase
	case JobSucceeded:
		r := j.report
		out.RunID = r.Run.ID
		out.People, out.Friendships = r.Run.People, r.Run.Friendships
		out.PhasesMS = &PhasesMS{
			Snapshot: ms(r.Snapshot), Pillars: ms(r.Stats.Pillars), Propagation: ms(r.Stats.Propagation),
			PageRank: ms(r.Stats.PageRank), Percentiles: ms(r.Stats.Percentiles), Finalize: ms(r.Stats.Finalize),
			Save: ms(r.Save),
		}
		t := ms(r.Total)
		out.TotalMS = &t
	}
	if !j.finished.IsZero() {
		f := j.finished.UTC()
		out.FinishedAt = &f
	}
	return out
}

// jobs remembers the last max jobs.
type jobs struct {
	mu      sync.Mutex
	byID    map[string]*job
	max     int
	seq     uint64
	running *job
	closed  bool
}

func newJobs(max int) *jobs { return &jobs{byID: map[string]*job{}, max: max} }

func (js *jobs) get(id string) (*job, bool) {
	js.mu.Lock()
	defer js.mu.Unlock()
	j, ok := js.byID[id]
	return j, ok
}

// evict drops the oldest finished jobs beyond max. Called with mu held.
func (js *jobs) evict() {
	if len(js.byID) <= js.max {
		return
	}
	all := make([]*job, 0, len(js.byID))
	for _, j := range js.byID {
		if j != js.running {
			all = append(all, j)
		}
	}
	sort.Slice(all, func(a, b int) bool { return all[a].seq < all[b].seq })
	for _, j := range all[:len(js.byID)-js.max] {
		delete(js.byID, j.id)
	}
}

func newJobID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

// runRequest is the optional body of POST /v1/scoring-runs.
type runRequest struct {
	Policy *string `json:"policy"`
}

// policy resolves a policy name: the default policy's name, then
// Config.Policies, then the built-in presets.
func (s *Server) policy(name string) (scoring.Policy, bool) {
	if name == s.cfg.Policy.Name {
		return s.cfg.Policy, true
	}
	for _, p := range s.cfg.Policies {
		if p.Name == name {
			return p, true
		}
	}
	return scoring.Preset(name)
}

// policyNames lists the names a run may ask for.
func (s *Server) policyNames() []string {
	seen := map[string]bool{}
	var out []string
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	add(s.cfg.Policy.Name)
	for _, p := range s.cfg.Policies {
		add(p.Name)
	}
	for _, p := range scoring.Presets() {
		add(p.Name)
	}
	sort.Strings(out)
	return out
}

// postRun is POST /v1/scoring-runs: start a run in the background (202)
// unless one is in progress (409).
func (s *Server) postRun(c *gin.Context) {
	var req runRequest
	if _, err := s.bindJSON(c, &req, true); err != nil {
		s.writeError(c, err)
		return
	}
	p := s.cfg.Policy
	if req.Policy != nil {
		var ok bool
		if p, ok = s.policy(*req.Policy); !ok {
			s.writeError(c, invalid("policy", fmt.Sprintf("unknown policy %q (known: %s)",
				*req.Policy, strings.Join(s.policyNames(), ", "))))
			return
		}
	}
	j, err := s.startJob(p)
	if err != nil {
		s.writeError(c, err)
		return
	}
	loc := "/v1/scoring-runs/" + j.id
	c.Header("Location", loc)
	writeJSON(c, http.StatusAccepted, j.response())
}

// startJob registers a job and starts its run on the server's context.
func (s *Server) startJob(p scoring.Policy) (*job, error) {
	js := s.jobs
	js.mu.Lock()
	defer js.mu.Unlock()
	if js.closed {
		return nil, &apiError{status: http.StatusServiceUnavailable, typ: typeUnavailable,
			title: "Service unavailable", detail: "the server is shutting down",
			header: map[string]string{"Retry-After": retryAfterSeconds}}
	}
	if js.running != nil || s.runner.Running() {
		detail := "a scoring run is already in progress"
		if js.running != nil {
			detail += ": /v1/scoring-runs/" + js.running.id
		}
		return nil, &apiError{status: http.StatusConflict, typ: typeRunInProgress, title: "Scoring run in progress",
			detail: detail}
	}
	js.seq++
	j := &job{id: newJobID(), policy: p.Name, started: s.clock(), seq: js.seq, status: JobRunning}
	js.byID[j.id] = j
	js.running = j
	js.evict()
	s.wg.Add(1)
	go s.runJob(j, p)
	return j, nil
}

// runJob performs the run and records its outcome.
func (s *Server) runJob(j *job, p scoring.Policy) {
	defer s.wg.Done()
	opts := s.cfg.RunOptions
	user := opts.Progress
	opts.Progress = func(phase string, done, total int) {
		j.mu.Lock()
		j.phase = phase
		j.mu.Unlock()
		if user != nil {
			user(phase, done, total)
		}
	}
	t0 := time.Now()
	rep, err := s.runner.Run(s.ctx, p, opts)
	elapsed := time.Since(t0)

	j.mu.Lock()
	j.finished = s.clock()
	if err != nil {
		j.status, j.err = JobFailed, err.Error()
		if errors.Is(err, scoring.ErrRunInProgress) {
			j.err = "another scoring run was started elsewhere and is still in progress"
		}
	} else {
		j.status, j.report = JobSucceeded, rep
	}
	j.mu.Unlock()

	s.jobs.mu.Lock()
	s.jobs.running = nil
	s.jobs.mu.Unlock()

	s.metrics.runs.WithLabelValues(j.status).Inc()
	s.metrics.runDuration.WithLabelValues(p.Name, j.status).Observe(elapsed.Seconds())
	if err != nil {
		s.log.Error("api: scoring run failed", slog.String("job", j.id), slog.String("policy", p.Name), slog.Any("error", err))
		return
	}
	for phase, d := range map[string]time.Duration{
		"snapshot": rep.Snapshot, "pillars": rep.Stats.Pillars, "propagation": rep.Stats.Propagation,
		"pagerank": rep.Stats.PageRank, "percentiles": rep.Stats.Percentiles, "finalize": rep.Stats.Finalize,
		"save": rep.Save,
	} {
		s.metrics.runPhase.WithLabelValues(phase).Set(d.Seconds())
	}
	s.log.Info("api: scoring run succeeded", slog.String("job", j.id), slog.String("run", rep.Run.ID),
		slog.String("policy", p.Name), slog.Int("people", rep.Run.People), slog.Duration("total", rep.Total))
}

// getRun is GET /v1/scoring-runs/{id}.
func (s *Server) getRun(c *gin.Context) {
	id := c.Param("id")
	j, ok := s.jobs.get(id)
	if !ok {
		s.writeError(c, notFound("id", fmt.Sprintf("no scoring run %q (only the last %d are kept)", id, s.cfg.MaxJobs)))
		return
	}
	writeJSON(c, http.StatusOK, j.response())
}
