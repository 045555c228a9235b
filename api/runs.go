package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialscore/socialscore/internal/admission"
	"github.com/socialscore/socialscore/internal/jobs"
	"github.com/socialscore/socialscore/scoring"
)

// Scoring runs and simulations are jobs of one manager (internal/jobs)
// and answer in one vocabulary: status (queued, running, succeeded, failed,
// cancelled), created_at, started_at, finished_at; GET on the collection
// lists them newest first.

// Kinds of job, and the default and largest ?limit of a list.
const (
	kindScoringRun = "scoring-run"
	kindSimulation = "simulation"

	defaultJobList = 50
	maxJobList     = 1000
)

// Job statuses of a scoring run started through the API. A run starts
// when it is submitted (one at a time: a second is refused) and cannot be
// cancelled, so it is never queued nor cancelled.
const (
	JobRunning   = string(jobs.Running)
	JobSucceeded = string(jobs.Succeeded)
	JobFailed    = string(jobs.Failed)
)

// JobResponse is a scoring-run job as GET /v1/scoring-runs/{id} shows it.
type JobResponse struct {
	ID          string     `json:"id"`
	Status      string     `json:"status"` // running, succeeded, failed
	Policy      string     `json:"policy"`
	Phase       string     `json:"phase,omitempty"`  // last phase completed, while running
	RunID       string     `json:"run_id,omitempty"` // the scores' run id, once succeeded
	CreatedAt   time.Time  `json:"created_at"`
	StartedAt   time.Time  `json:"started_at"`
	FinishedAt  *time.Time `json:"finished_at"`
	People      int        `json:"people"`
	Friendships int        `json:"friendships"`
	PhasesMS    *PhasesMS  `json:"phases_ms,omitempty"` // once succeeded
	TotalMS     *float64   `json:"total_ms,omitempty"`
	Error       string     `json:"error,omitempty"` // once failed
}

// JobList is GET /v1/scoring-runs: the runs remembered, newest first.
type JobList struct {
	ScoringRuns []JobResponse `json:"scoring_runs"`
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

// timePtr returns the UTC time, nil for the zero time (not yet).
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// runResponse shows a scoring-run job; its Input is the policy name and
// its Result the run's scoring.Report.
func runResponse(j jobs.Job) JobResponse {
	policy, _ := j.Input.(string)
	out := JobResponse{ID: j.ID, Status: string(j.Status), Policy: policy,
		CreatedAt: j.CreatedAt.UTC(), StartedAt: j.StartedAt.UTC(), FinishedAt: timePtr(j.FinishedAt), Error: j.Error}
	switch j.Status {
	case jobs.Running:
		out.Phase = j.Progress.Phase
	case jobs.Succeeded:
		r, _ := j.Result.(scoring.Report)
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
	return out
}

// listLimit reads ?limit of a job list: 1 to maxJobList, defaultJobList
// when absent.
func listLimit(c *gin.Context) (int, error) {
	q, err := queryParams(c, "limit")
	if err != nil {
		return 0, err
	}
	return intParam(q, "limit", defaultJobList, 1, maxJobList)
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
	if err := s.admitRun(c.Request.Context()); err != nil {
		s.writeError(c, err)
		return
	}
	j, err := s.startRun(p)
	if err != nil {
		s.writeError(c, err)
		return
	}
	loc := "/v1/scoring-runs/" + j.ID
	c.Header("Location", loc)
	writeJSON(c, http.StatusAccepted, runResponse(j))
}

// startRun submits a scoring-run job: 409 while one is in progress,
// through the API or elsewhere, 503 once the server is closing.
func (s *Server) startRun(p scoring.Policy) (jobs.Job, error) {
	busy := func() error {
		detail := "a scoring run is already in progress"
		for _, j := range s.jobs.List(kindScoringRun, 0) {
			if j.Status == jobs.Running {
				detail += ": /v1/scoring-runs/" + j.ID
				break
			}
		}
		return &apiError{status: http.StatusConflict, typ: typeRunInProgress, title: "Scoring run in progress",
			detail: detail}
	}
	if s.runner.Running() {
		return jobs.Job{}, busy()
	}
	j, err := s.jobs.Submit(kindScoringRun, p.Name, s.runJob(p, "scoring-run"))
	switch {
	case errors.Is(err, jobs.ErrClosed):
		return j, &apiError{status: http.StatusServiceUnavailable, typ: typeUnavailable,
			title: "Service unavailable", detail: "the server is shutting down",
			header: map[string]string{"Retry-After": retryAfterSeconds}}
	case errors.Is(err, jobs.ErrQueueFull):
		return j, busy()
	}
	return j, err
}

// runJob is the work of a scoring-run job: the run, its metrics and its
// log line. Its result is the scoring.Report.
func (s *Server) runJob(p scoring.Policy, key string) jobs.Func {
	return func(ctx context.Context, report func(jobs.Progress)) (any, error) {
		id := jobs.ID(ctx)
		opts := s.cfg.RunOptions
		// A run holds one heavy slot and runs on as many goroutines as the
		// configuration says, one by default (api/admission.go).
		release, err := s.heavy.AcquireQueued(ctx, key)
		if err != nil {
			return nil, err
		}
		defer release()
		if opts.Workers == 0 {
			opts.Workers = 1
		}
		user := opts.Progress
		opts.Progress = func(phase string, done, total int) {
			report(jobs.Progress{Phase: phase})
			if user != nil {
				user(phase, done, total)
			}
		}
		t0 := time.Now()
		var rep scoring.Report
		err = s.heavy.Run(func() (err error) { rep, err = s.runner.Run(ctx, p, opts); return err })
		elapsed := time.Since(t0)

		status := JobSucceeded
		if err != nil {
			status = JobFailed
		}
		s.metrics.runs.WithLabelValues(status).Inc()
		s.metrics.runDuration.WithLabelValues(p.Name, status).Observe(elapsed.Seconds())
		if err != nil {
			s.log.Error("api: scoring run failed", slog.String("job", id), slog.String("policy", p.Name), slog.Any("error", err))
			switch {
			case errors.Is(err, scoring.ErrRunInProgress):
				err = errors.New("another scoring run was started elsewhere and is still in progress")
			case ctx.Err() != nil:
				// Only Close stops a scoring run (there is no DELETE): the
				// run failed, with the cause in its error, as it always
				// did; it was not cancelled by a client.
				err = errors.New(err.Error())
			}
			return nil, err
		}
		for phase, d := range map[string]time.Duration{
			"snapshot": rep.Snapshot, "pillars": rep.Stats.Pillars, "propagation": rep.Stats.Propagation,
			"pagerank": rep.Stats.PageRank, "percentiles": rep.Stats.Percentiles, "finalize": rep.Stats.Finalize,
			"save": rep.Save,
		} {
			s.metrics.runPhase.WithLabelValues(phase).Set(d.Seconds())
		}
		s.log.Info("api: scoring run succeeded", slog.String("job", id), slog.String("run", rep.Run.ID),
			slog.String("policy", p.Name), slog.Int("people", rep.Run.People), slog.Duration("total", rep.Total))
		return rep, nil
	}
}

// admitRun checks the cost of a scoring run (the consenting people, see
// storedPeople) and the memory limit.
func (s *Server) admitRun(ctx context.Context) error {
	people := s.storedPeople(ctx)
	if err := s.checkCost(ctx, admission.ScoringRun, "", int64(people), fmt.Sprintf("%d people", people)); err != nil {
		return err
	}
	return s.checkMemory()
}

// getRun is GET /v1/scoring-runs/{id}.
func (s *Server) getRun(c *gin.Context) {
	id := c.Param("id")
	j, err := s.jobs.Get(kindScoringRun, id)
	if err != nil {
		s.writeError(c, notFound("id", fmt.Sprintf("no scoring run %q (only the last %d are kept)", id, s.cfg.MaxJobs)))
		return
	}
	writeJSON(c, http.StatusOK, runResponse(j))
}

// listRuns is GET /v1/scoring-runs: the runs remembered, newest first,
// at most ?limit (default 50, at most 1000).
func (s *Server) listRuns(c *gin.Context) {
	limit, err := listLimit(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	js := s.jobs.List(kindScoringRun, limit)
	out := JobList{ScoringRuns: make([]JobResponse, len(js))}
	for i, j := range js {
		out.ScoringRuns[i] = runResponse(j)
	}
	writeJSON(c, http.StatusOK, out)
}
