package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/internal/jobs"
	"github.com/socialscore/socialscore/scoring/simulate"
)

// waitSimulation polls a simulation until it is in a final state.
func (e *testEnv) waitSimulation(loc string) SimulationResponse {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		w := e.get(loc)
		require.Equal(e.t, http.StatusOK, w.Code, w.Body.String())
		var st SimulationResponse
		decode(e.t, w, &st)
		if jobs.Status(st.Status).Final() {
			return st
		}
		require.True(e.t, time.Now().Before(deadline), "simulation %s still %s", loc, st.Status)
		time.Sleep(10 * time.Millisecond)
	}
}

// waitState polls a simulation until it reaches the state.
func (e *testEnv) waitState(loc string, want string) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		w := e.get(loc)
		require.Equal(e.t, http.StatusOK, w.Code, w.Body.String())
		var st SimulationResponse
		decode(e.t, w, &st)
		if st.Status == want {
			return
		}
		require.False(e.t, jobs.Status(st.Status).Final(), "simulation %s ended %s (%s) before reaching %s", loc, st.Status, st.Error, want)
		require.True(e.t, time.Now().Before(deadline), "simulation %s still %s", loc, st.Status)
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSimulationOnStoredNetwork(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	e.score("sesame")
	before := e.state(fixtureIDs...)

	w := e.do(request{method: http.MethodPost, path: "/v1/simulations",
		body: `{"base":{"policy":"tencent","rounds":3,"seed":7,"p_high_drops_low":0.9,"drop_rule":"threshold","threshold":700}}`})
	require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
	var st SimulationResponse
	decode(t, w, &st)
	loc := w.Header().Get("Location")
	assert.Equal(t, "/v1/simulations/"+st.ID, loc)
	assert.Contains(t, []string{string(jobs.Queued), string(jobs.Running)}, st.Status)
	assert.Equal(t, 0, st.Request.Base.People, "people defaults to the stored network")
	assert.Equal(t, "tencent", st.Request.Base.Policy.Name)

	st = e.waitSimulation(loc)
	require.Equal(t, string(jobs.Succeeded), st.Status, st.Error)
	assert.Equal(t, 1.0, st.Progress)
	require.NotNil(t, st.Summary)
	require.Len(t, st.Summary.Runs, 1)
	run := st.Summary.Runs[0]
	friendships := run.Metrics[simulate.MetricFriendships]
	require.Len(t, friendships.Mean, 4, "step 0 and 3 rounds")
	assert.Equal(t, simulate.Num(4), friendships.Mean[0], "the stored network: 4 friendships among those who consent")
	assert.Contains(t, w.Body.String(), `"state"`)

	// The store is as it was: the simulation worked on a copy.
	assert.Equal(t, before, e.state(fixtureIDs...))

	// A sweep on a seeded network.
	w = e.do(request{method: http.MethodPost, path: "/v1/simulations",
		body: `{"base":{"people":300,"rounds":2},"axes":[{"field":"alpha","values":[0.1,"0.5"]}],"replicates":2}`})
	require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
	st = e.waitSimulation(w.Header().Get("Location"))
	require.Equal(t, string(jobs.Succeeded), st.Status, st.Error)
	require.Len(t, st.Summary.Runs, 2)
	assert.Equal(t, "alpha=0.1", st.Summary.Runs[0].Label)
	assert.Equal(t, 2, st.Summary.Replicates)
	assert.Equal(t, before, e.state(fixtureIDs...))

	// The older field names carry the same values.
	var raw map[string]json.RawMessage
	w = e.get(loc)
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &raw))
	for old, cur := range map[string]string{"state": "status", "created": "created_at", "started": "started_at", "finished": "finished_at"} {
		assert.JSONEq(t, string(raw[cur]), string(raw[old]), "%s is %s", old, cur)
	}
	decode(t, w, &st)
	assert.Equal(t, st.Status, st.State)
	require.NotNil(t, st.StartedAt)
	require.NotNil(t, st.FinishedAt)
	assert.False(t, st.FinishedAt.Before(*st.StartedAt))
	assert.False(t, st.StartedAt.Before(st.CreatedAt))

	// Deleting a finished job answers it as it ended, then forgets it.
	w = e.do(request{method: http.MethodDelete, path: loc})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	decode(t, w, &st)
	assert.Equal(t, string(jobs.Succeeded), st.Status)
	assertProblem(t, e.get(loc), http.StatusNotFound, "not-found", "id", "no simulation")
	assertProblem(t, e.do(request{method: http.MethodDelete, path: loc}), http.StatusNotFound, "not-found", "id", "no simulation")
}

func TestSimulationBadConfigs(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	before := e.state(fixtureIDs...)
	for _, tc := range []struct {
		name, body, typ, field, reason string
	}{
		{"no body", ``, "invalid-input", "", "required"},
		{"malformed", `{"base":`, "malformed-json", "", ""},
		{"negative probability", `{"base":{"p_high_drops_low":-0.1}}`, "invalid-input", "base/p_high_drops_low", "probability"},
		{"probability above 1", `{"base":{"p_form_tie":1.5}}`, "invalid-input", "base/p_form_tie", "probability"},
		{"zero rounds", `{"base":{"rounds":0}}`, "invalid-input", "base/rounds", "must be in [1,"},
		{"unknown field", `{"base":{"rounds":2,"round":3}}`, "invalid-input", "base/round", "unknown field"},
		{"unknown top-level field", `{"base":{},"seed":3}`, "invalid-input", "seed", "unknown field"},
		{"unknown policy", `{"base":{"policy":"alibaba"}}`, "invalid-input", "base/policy", "unknown policy"},
		{"bad policy object", `{"base":{"policy":{"name":"x","alpha":2}}}`, "invalid-input", "base/policy", ""},
		{"unknown drop rule", `{"base":{"drop_rule":"random"}}`, "invalid-input", "base/drop_rule", "unknown rule"},
		{"wrong type", `{"base":{"rounds":"ten"}}`, "invalid-input", "base/rounds", "integer"},
		{"too many people", `{"base":{"people":2000000}}`, "invalid-input", "base/people", "at most"},
		{"negative seed", `{"base":{"seed":-1}}`, "invalid-input", "base/seed", "non-negative integer"},
		{"negative people", `{"base":{"people":-1}}`, "invalid-input", "base/people", "must be in [0,"},
		{"zero replicates", `{"base":{},"replicates":0}`, "invalid-input", "replicates", ""},
		{"unknown axis field", `{"base":{},"axes":[{"field":"gamma","values":[1]}]}`, "invalid-input", "axes/0/field", ""},
		{"axis without values", `{"base":{},"axes":[{"field":"alpha","values":[]}]}`, "invalid-input", "axes/0/values", ""},
		{"bad axis value", `{"base":{},"axes":[{"field":"p_form_tie","values":["-1"]}]}`, "invalid-input", "p_form_tie", "probability"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := request{method: http.MethodPost, path: "/v1/simulations", body: tc.body}
			p := assertProblem(t, e.do(r), http.StatusBadRequest, tc.typ, "-", "")
			if tc.field != "-" && tc.typ == "invalid-input" {
				require.NotEmpty(t, p.Errors)
				f := p.Errors[0].Field
				assert.True(t, f == tc.field || strings.HasPrefix(f, tc.field+"/"), "field %q, want %q", f, tc.field)
				assert.Contains(t, p.Errors[0].Reason, tc.reason)
			}
		})
	}
	w := e.do(request{method: http.MethodPost, path: "/v1/simulations", body: `{"base":{}}`,
		header: map[string]string{"Content-Type": "text/plain"}})
	assertProblem(t, w, http.StatusUnsupportedMediaType, "unsupported-media-type", "", "application/json")
	assert.Equal(t, before, e.state(fixtureIDs...))

	assertProblem(t, e.get("/v1/simulations/nope"), http.StatusNotFound, "not-found", "id", "no simulation")
	assertProblem(t, e.do(request{method: http.MethodDelete, path: "/v1/simulations/nope"}), http.StatusNotFound, "not-found", "id", "no simulation")
}

// TestSimulationQueueFullAndCancel holds the first job while it loads the
// stored network (the store's snapshot waits on a gate), so that the
// queue can be filled.
func TestSimulationQueueFullAndCancel(t *testing.T) {
	gs := newGatedStore(openTestStore(t))
	e := newTestServer(t, gs, func(c *Config) {
		c.SimulationQueue = 1
		c.SimulationWorkers = 1
	})
	e.seed()
	post := func() *http.Response {
		w := e.do(request{method: http.MethodPost, path: "/v1/simulations", body: `{"base":{"rounds":2}}`})
		return w.Result()
	}
	a := post()
	require.Equal(t, http.StatusAccepted, a.StatusCode)
	locA := a.Header.Get("Location")
	e.waitState(locA, string(jobs.Running)) // held at the gate
	<-gs.entered

	b := post()
	require.Equal(t, http.StatusAccepted, b.StatusCode)
	locB := b.Header.Get("Location")

	w := e.do(request{method: http.MethodPost, path: "/v1/simulations", body: `{"base":{"rounds":2}}`})
	assertProblem(t, w, http.StatusTooManyRequests, "queue-full", "-", "")
	assert.Equal(t, retryAfterQueueFull, w.Header().Get("Retry-After"))

	// Cancel the queued job: at once, and it is gone.
	w = e.do(request{method: http.MethodDelete, path: locB})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var st SimulationResponse
	decode(t, w, &st)
	assert.Equal(t, string(jobs.Cancelled), st.Status)
	assert.NotNil(t, st.FinishedAt)
	assertProblem(t, e.get(locB), http.StatusNotFound, "not-found", "id", "no simulation")

	// There is room again.
	c := post()
	require.Equal(t, http.StatusAccepted, c.StatusCode)
	locC := c.Header.Get("Location")

	// Cancel the running job: it stops at its next chance, and is gone
	// at once.
	w = e.do(request{method: http.MethodDelete, path: locA})
	require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
	decode(t, w, &st)
	assert.Equal(t, string(jobs.Running), st.Status)
	assertProblem(t, e.get(locA), http.StatusNotFound, "not-found", "id", "no simulation")

	// The next job gets the one worker once the cancelled one stopped, and
	// runs once the store answers.
	gs.open()
	st = e.waitSimulation(locC)
	assert.Equal(t, string(jobs.Succeeded), st.Status, st.Error)
}

// TestCloseCancelsSimulations: Close does not wait for a simulation to
// finish on its own.
func TestCloseCancelsSimulations(t *testing.T) {
	gs := newGatedStore(openTestStore(t))
	e := newTestServer(t, gs)
	e.seed()
	w := e.do(request{method: http.MethodPost, path: "/v1/simulations", body: `{"base":{"rounds":2}}`})
	require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
	e.waitState(w.Header().Get("Location"), string(jobs.Running))
	done := make(chan error)
	go func() { done <- e.srv.Close() }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Close waits for the simulation")
	}
	w = e.do(request{method: http.MethodPost, path: "/v1/simulations", body: `{"base":{"rounds":2}}`})
	assertProblem(t, w, http.StatusServiceUnavailable, "unavailable", "-", "")
}

// The document's SimulationConfig lists exactly the fields a config has
// (simulate.Config's JSON names, as DefaultConfig marshals them), so a
// field added to the model is documented for API users.
func TestOpenAPISimulationConfigFields(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(openAPIDoc, &doc))
	schema, ok := doc.Components.Schemas["SimulationConfig"]
	require.True(t, ok)
	var documented []string
	for k := range schema.Properties {
		documented = append(documented, k)
	}

	data, err := json.Marshal(simulate.DefaultConfig())
	require.NoError(t, err)
	var fields map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(data, &fields))
	var want []string
	for k := range fields {
		want = append(want, k)
	}
	slices.Sort(documented)
	slices.Sort(want)
	assert.Equal(t, want, documented)
}

// TestJobLists: GET on /v1/simulations and /v1/scoring-runs lists the jobs
// newest first, at most ?limit of them.
func TestJobLists(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()

	var sims []string
	for range 3 {
		w := e.do(request{method: http.MethodPost, path: "/v1/simulations", body: `{"base":{"people":50,"rounds":1}}`})
		require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
		loc := w.Header().Get("Location")
		e.waitSimulation(loc)
		sims = append(sims, strings.TrimPrefix(loc, "/v1/simulations/"))
	}
	var runs []string
	for range 2 {
		w := e.do(request{method: http.MethodPost, path: "/v1/scoring-runs"})
		require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
		loc := w.Header().Get("Location")
		j := e.waitJob(loc)
		assert.False(t, j.CreatedAt.IsZero())
		assert.Equal(t, j.CreatedAt, j.StartedAt, "a scoring run starts when it is submitted")
		runs = append(runs, j.ID)
	}

	var sl SimulationList
	w := e.get("/v1/simulations")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	decode(t, w, &sl)
	require.Len(t, sl.Simulations, 3, "scoring runs are not simulations")
	assert.Equal(t, []string{sims[2], sims[1], sims[0]}, []string{sl.Simulations[0].ID, sl.Simulations[1].ID, sl.Simulations[2].ID})
	assert.Equal(t, string(jobs.Succeeded), sl.Simulations[0].Status)
	require.NotNil(t, sl.Simulations[0].Summary)

	w = e.get("/v1/simulations?limit=2")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	decode(t, w, &sl)
	require.Len(t, sl.Simulations, 2)
	assert.Equal(t, sims[2], sl.Simulations[0].ID)

	var rl JobList
	w = e.get("/v1/scoring-runs?limit=1000")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	decode(t, w, &rl)
	require.Len(t, rl.ScoringRuns, 2)
	assert.Equal(t, []string{runs[1], runs[0]}, []string{rl.ScoringRuns[0].ID, rl.ScoringRuns[1].ID})
	assert.Equal(t, JobSucceeded, rl.ScoringRuns[0].Status)

	// A deleted simulation leaves the list.
	w = e.do(request{method: http.MethodDelete, path: "/v1/simulations/" + sims[1]})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	w = e.get("/v1/simulations")
	decode(t, w, &sl)
	require.Len(t, sl.Simulations, 2)
	assert.Equal(t, []string{sims[2], sims[0]}, []string{sl.Simulations[0].ID, sl.Simulations[1].ID})

	for _, path := range []string{"/v1/simulations", "/v1/scoring-runs"} {
		for _, q := range []string{"limit=0", "limit=1001", "limit=ten", "limit=", "limit=1&limit=2"} {
			assertProblem(t, e.get(path+"?"+q), http.StatusBadRequest, "invalid-input", "limit", "")
		}
		assertProblem(t, e.get(path+"?lmit=3"), http.StatusBadRequest, "invalid-input", "lmit", "unknown query parameter")
	}
}
