package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/admission"
	"github.com/socialscore/socialscore/internal/jobs"
	"github.com/socialscore/socialscore/scoring/simulate"
)

// Defaults of the simulation jobs (Config.SimulationQueue,
// Config.SimulationWorkers).
const (
	DefaultSimulationQueue   = 4
	DefaultSimulationWorkers = 1
)

// retryAfterQueueFull is sent as Retry-After with a 429 of a full queue.
const retryAfterQueueFull = "30"

// The policy lab: POST /v1/simulations submits a simulation (one run, or
// a sweep of runs) as a job of the server's job manager (internal/jobs):
// a bounded queue worked by a fixed number of workers; GET shows its
// status, progress and, once done, its summary; GET on the collection
// lists them; DELETE cancels it and forgets it.
//
// The body is a simulate.Sweep: {"base": {config}, "axes": [...],
// "replicates": R}; a single run is a sweep without axes. Config fields
// keep simulate.DefaultConfig's values when omitted, with one exception:
// "people" defaults to 0 here, which simulates the stored network (a copy
// of the cached snapshot: the store is never written). "people": N > 0
// simulates a seeded network of N people instead (at most
// simulate.MaxJobPeople).

// simulationNetwork is the NetworkLoader of the jobs: the cached snapshot.
// Simulations copy it and never modify it.
func (s *Server) simulationNetwork(ctx context.Context) (*graph.Snapshot, error) {
	e, err := s.snaps.get(ctx)
	if err != nil {
		return nil, err
	}
	return e.snap, nil
}

// decodeSimulation decodes a simulation request strictly: unknown fields
// are named with their path, then simulate.DecodeSweep decodes and
// validates it (errors name the field, e.g. "base/p_form_tie").
func decodeSimulation(data []byte) (simulate.Sweep, error) {
	var doc json.RawMessage
	if err := decodeStrict(data, &doc, ""); err != nil { // syntax and trailing data
		return simulate.Sweep{}, err
	}
	sw, err := simulate.DecodeSweep(bytes.NewReader(data))
	if err != nil {
		var ve *graph.ValidationError
		if errors.As(err, &ve) && (ve.Field == "policy" || strings.HasPrefix(ve.Field, "policy/")) {
			// Errors from inside the base's policy are named from the
			// policy down; only the base has a policy object.
			return sw, graph.Under("base", ve)
		}
		return sw, err
	}
	var probe struct {
		Base map[string]json.RawMessage `json:"base"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return sw, invalid("", err.Error())
	}
	if _, ok := probe.Base["people"]; !ok {
		sw.Base.People = 0 // the stored network
		if err := sw.Validate(); err != nil {
			return sw, err
		}
	}
	if sw.Base.People > simulate.MaxJobPeople {
		return sw, invalid("base/people", fmt.Sprintf("must be at most %d for a simulation job, got %d", simulate.MaxJobPeople, sw.Base.People))
	}
	return sw, nil
}

// SimulationResponse is a simulation job as GET /v1/simulations/{id}
// shows it. status, created_at, started_at and finished_at are the words
// of every job (scoring runs too); state, created, started and finished
// are their older names, kept with the same values for existing clients.
type SimulationResponse struct {
	ID     string `json:"id"`
	Status string `json:"status"` // queued, running, succeeded, failed, cancelled
	// Deprecated: use Status.
	State string `json:"state"`
	// Progress is 0..1: rounds simulated over rounds to simulate.
	Progress   float64    `json:"progress"`
	Error      string     `json:"error,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	// Deprecated: use CreatedAt.
	Created time.Time `json:"created"`
	// Deprecated: use StartedAt.
	Started *time.Time `json:"started,omitempty"`
	// Deprecated: use FinishedAt.
	Finished *time.Time     `json:"finished,omitempty"`
	Request  simulate.Sweep `json:"request"`
	// Summary is the result, once the job succeeded.
	Summary *simulate.Summary `json:"summary,omitempty"`
}

// SimulationList is GET /v1/simulations: the simulations remembered,
// newest first.
type SimulationList struct {
	Simulations []SimulationResponse `json:"simulations"`
}

// simulationResponse shows a simulation job; its Input is the
// simulate.Sweep and its Result the *simulate.Summary.
func simulationResponse(j jobs.Job) SimulationResponse {
	sw, _ := j.Input.(simulate.Sweep)
	sum, _ := j.Result.(*simulate.Summary)
	return SimulationResponse{
		ID: j.ID, Status: string(j.Status), State: string(j.Status), Progress: j.Progress.Fraction, Error: j.Error,
		CreatedAt: j.CreatedAt.UTC(), StartedAt: timePtr(j.StartedAt), FinishedAt: timePtr(j.FinishedAt),
		Created: j.CreatedAt.UTC(), Started: timePtr(j.StartedAt), Finished: timePtr(j.FinishedAt),
		Request: sw, Summary: sum,
	}
}

// simulationJob is the work of a simulation job: it waits for a slot of
// the heavy pool (counted against the key that submitted it) and runs on
// one goroutine.
func (s *Server) simulationJob(sw simulate.Sweep, key string) jobs.Func {
	return func(ctx context.Context, report func(jobs.Progress)) (any, error) {
		release, err := s.heavy.AcquireQueued(ctx, key)
		if err != nil {
			return nil, err
		}
		defer release()
		var sum *simulate.Summary
		err = s.heavy.Run(func() (err error) {
			sum, err = simulate.RunJob(ctx, sw, s.simulationNetwork, 1, func(done, total int) {
				report(jobs.Progress{Fraction: float64(done) / float64(total)})
			})
			return err
		})
		return sum, err
	}
}

// simulationCost is the estimate of a sweep: person-rounds over its runs
// (people 0 stands for the stored network's people, see storedPeople).
func (s *Server) simulationCost(ctx context.Context, sw simulate.Sweep) (int64, string, error) {
	points, err := sw.Points()
	if err != nil {
		return 0, "", err
	}
	stored := -1
	var total int64
	uniform := true
	for i, p := range points {
		people := p.Config.People
		if people == 0 {
			if stored < 0 {
				stored = s.storedPeople(ctx)
			}
			people = stored
		}
		if i > 0 && (p.Config.People != points[0].Config.People || p.Config.Rounds != points[0].Config.Rounds) {
			uniform = false
		}
		total = admission.Add(total, admission.Mul(int64(people), int64(p.Config.Rounds), int64(sw.Replicates)))
	}
	runs := len(points) * sw.Replicates
	detail := fmt.Sprintf("summed over %d runs", runs)
	if uniform && len(points) > 0 {
		people := points[0].Config.People
		if people == 0 {
			people = stored
		}
		detail = fmt.Sprintf("%d people × %d rounds × %d runs", people, points[0].Config.Rounds, runs)
	}
	return total, detail, nil
}

// postSimulation is POST /v1/simulations: 202 with the job, 429 if the
// queue is full.
func (s *Server) postSimulation(c *gin.Context) {
	data, err := s.readBody(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if data == nil {
		if ct := c.Request.Header.Get("Content-Type"); ct != "" && !isJSONMedia(ct) {
			s.writeError(c, errUnsupportedMedia(ct))
			return
		}
		s.writeError(c, invalid("", `a JSON request body is required, e.g. {"base": {"policy": "tencent", "rounds": 10}}`))
		return
	}
	sw, err := decodeSimulation(data)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if s.ctx.Err() != nil {
		s.writeError(c, errClosed)
		return
	}
	if sw, err = simulate.CheckJob(sw, true); err != nil {
		s.writeError(c, err)
		return
	}
	ctx := c.Request.Context()
	cost, detail, err := s.simulationCost(ctx, sw)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if err := s.checkCost(ctx, admission.Simulation, "base/people", cost, detail); err != nil {
		s.writeError(c, err)
		return
	}
	if err := s.checkMemory(); err != nil {
		s.writeError(c, err)
		return
	}
	key, _ := heavyKey(ctx)
	j, err := s.jobs.SubmitAs(kindSimulation, key, sw, s.simulationJob(sw, key))
	switch {
	case errors.Is(err, jobs.ErrOwnerQueueFull):
		s.writeError(c, &apiError{status: http.StatusTooManyRequests, typ: typeQueueFull, title: "Too many requests",
			detail: fmt.Sprintf("this key already has %d simulations waiting, the most one key may queue (of %d places); retry later or cancel one",
				s.cfg.SimulationQueuePerKey, s.cfg.SimulationQueue),
			header: map[string]string{"Retry-After": retryAfterQueueFull}, cause: err})
		return
	case errors.Is(err, jobs.ErrQueueFull):
		s.writeError(c, &apiError{status: http.StatusTooManyRequests, typ: typeQueueFull, title: "Too many requests",
			detail: fmt.Sprintf("the simulation queue is full (%d waiting); retry later or cancel a job", s.cfg.SimulationQueue),
			header: map[string]string{"Retry-After": retryAfterQueueFull}, cause: err})
		return
	case errors.Is(err, jobs.ErrClosed):
		s.writeError(c, errClosed)
		return
	case err != nil:
		s.writeError(c, err)
		return
	}
	c.Header("Location", "/v1/simulations/"+j.ID)
	writeJSON(c, http.StatusAccepted, simulationResponse(j))
}

// errNoSimulation is the 404 of an unknown simulation id.
func errNoSimulation(id string) *apiError {
	return notFound("id", fmt.Sprintf("no simulation %q (deleted, or finished long ago and forgotten)", id))
}

// getSimulation is GET /v1/simulations/{id}.
func (s *Server) getSimulation(c *gin.Context) {
	id := c.Param("id")
	j, err := s.jobs.Get(kindSimulation, id)
	if err != nil {
		s.writeError(c, errNoSimulation(id))
		return
	}
	writeJSON(c, http.StatusOK, simulationResponse(j))
}

// listSimulations is GET /v1/simulations: the simulations remembered,
// newest first, at most ?limit (default 50, at most 1000).
func (s *Server) listSimulations(c *gin.Context) {
	limit, err := listLimit(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	js := s.jobs.List(kindSimulation, limit)
	out := SimulationList{Simulations: make([]SimulationResponse, len(js))}
	for i, j := range js {
		out.Simulations[i] = simulationResponse(j)
	}
	writeJSON(c, http.StatusOK, out)
}

// deleteSimulation is DELETE /v1/simulations/{id}: the job is cancelled
// if it has not finished and forgotten at once (GET answers 404 from then
// on). A queued job comes back cancelled (200); a running one comes back
// running (202: it stops at its next round, and its worker is busy until
// then); a finished job comes back as it ended (200).
func (s *Server) deleteSimulation(c *gin.Context) {
	id := c.Param("id")
	j, err := s.jobs.Delete(kindSimulation, id)
	if err != nil {
		s.writeError(c, errNoSimulation(id))
		return
	}
	status := http.StatusOK
	if !j.Status.Final() {
		status = http.StatusAccepted
	}
	writeJSON(c, status, simulationResponse(j))
}
