package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/socialscore/socialscore/graph"
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
// a sweep of runs) to a simulate.Jobs manager, a bounded queue worked by a
// fixed number of workers; GET shows its state, progress and, once done,
// its summary; DELETE cancels it.
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
			return sw, &graph.ValidationError{Field: "base/" + ve.Field, Reason: ve.Reason, Kind: ve.Kind}
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
	id, err := s.sims.Submit(sw)
	switch {
	case errors.Is(err, simulate.ErrQueueFull):
		s.writeError(c, &apiError{status: http.StatusTooManyRequests, typ: typeQueueFull, title: "Too many requests",
			detail: fmt.Sprintf("the simulation queue is full (%d waiting); retry later or cancel a job", s.cfg.SimulationQueue),
			header: map[string]string{"Retry-After": retryAfterQueueFull}, cause: err})
		return
	case err != nil:
		if s.ctx.Err() != nil {
			err = errClosed
		}
		s.writeError(c, err)
		return
	}
	st, err := s.sims.Get(id)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Location", "/v1/simulations/"+id)
	writeJSON(c, http.StatusAccepted, st)
}

// errNoSimulation is the 404 of an unknown simulation id.
func errNoSimulation(id string) *apiError {
	return notFound("id", fmt.Sprintf("no simulation %q (finished jobs are kept for a while, then forgotten)", id))
}

// getSimulation is GET /v1/simulations/{id}.
func (s *Server) getSimulation(c *gin.Context) {
	id := c.Param("id")
	st, err := s.sims.Get(id)
	if errors.Is(err, graph.ErrNotFound) {
		err = errNoSimulation(id)
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	writeJSON(c, http.StatusOK, st)
}

// deleteSimulation is DELETE /v1/simulations/{id}: a queued job is
// cancelled at once (200), a running one stops at its next round (202: it
// reads "running" until then); a finished job is left as it is (200).
func (s *Server) deleteSimulation(c *gin.Context) {
	id := c.Param("id")
	st, err := s.sims.Cancel(id)
	if errors.Is(err, graph.ErrNotFound) {
		err = errNoSimulation(id)
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	status := http.StatusOK
	if !st.State.Final() {
		status = http.StatusAccepted
	}
	writeJSON(c, status, st)
}
