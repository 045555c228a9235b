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

	"github.com/socialscore/socialscore/scoring/simulate"
)

// waitSimulation polls a simulation until it is in a final state.
func (e *testEnv) waitSimulation(loc string) simulate.JobStatus {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		w := e.get(loc)
		require.Equal(e.t, http.StatusOK, w.Code, w.Body.String())
		var st simulate.JobStatus
		decode(e.t, w, &st)
		if st.State.Final() {
			return st
		}
		require.True(e.t, time.Now().Before(deadline), "simulation %s still %s", loc, st.State)
		time.Sleep(10 * time.Millisecond)
	}
}

// waitState polls a simulation until it reaches the state.
func (e *testEnv) waitState(loc string, want simulate.JobState) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		w := e.get(loc)
		require.Equal(e.t, http.StatusOK, w.Code, w.Body.String())
		var st simulate.JobStatus
		decode(e.t, w, &st)
		if st.State == want {
			return
		}
		require.False(e.t, st.State.Final(), "simulation %s ended %s (%s) before reaching %s", loc, st.State, st.Error, want)
		require.True(e.t, time.Now().Before(deadline), "simulation %s still %s", loc, st.State)
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
	var st simulate.JobStatus
	decode(t, w, &st)
	loc := w.Header().Get("Location")
	assert.Equal(t, "/v1/simulations/"+st.ID, loc)
	assert.Contains(t, []simulate.JobState{simulate.JobQueued, simulate.JobRunning}, st.State)
	assert.Equal(t, 0, st.Request.Base.People, "people defaults to the stored network")
	assert.Equal(t, "tencent", st.Request.Base.Policy.Name)

	st = e.waitSimulation(loc)
	require.Equal(t, simulate.JobSucceeded, st.State, st.Error)
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
	require.Equal(t, simulate.JobSucceeded, st.State, st.Error)
	require.Len(t, st.Summary.Runs, 2)
	assert.Equal(t, "alpha=0.1", st.Summary.Runs[0].Label)
	assert.Equal(t, 2, st.Summary.Replicates)
	assert.Equal(t, before, e.state(fixtureIDs...))

	// Cancelling a finished job changes nothing.
	w = e.do(request{method: http.MethodDelete, path: loc})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	decode(t, w, &st)
	assert.Equal(t, simulate.JobSucceeded, st.State)
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
	e.waitState(locA, simulate.JobRunning) // held at the gate
	<-gs.entered

	b := post()
	require.Equal(t, http.StatusAccepted, b.StatusCode)
	locB := b.Header.Get("Location")

	w := e.do(request{method: http.MethodPost, path: "/v1/simulations", body: `{"base":{"rounds":2}}`})
	assertProblem(t, w, http.StatusTooManyRequests, "queue-full", "-", "")
	assert.Equal(t, retryAfterQueueFull, w.Header().Get("Retry-After"))

	// Cancel the queued job: at once.
	w = e.do(request{method: http.MethodDelete, path: locB})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var st simulate.JobStatus
	decode(t, w, &st)
	assert.Equal(t, simulate.JobCancelled, st.State)

	// There is room again.
	c := post()
	require.Equal(t, http.StatusAccepted, c.StatusCode)
	locC := c.Header.Get("Location")

	// Cancel the running job: it stops at its next chance.
	w = e.do(request{method: http.MethodDelete, path: locA})
	require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
	decode(t, w, &st)
	assert.Equal(t, simulate.JobRunning, st.State)
	st = e.waitSimulation(locA)
	assert.Equal(t, simulate.JobCancelled, st.State)

	// The next job runs once the store answers.
	gs.open()
	st = e.waitSimulation(locC)
	assert.Equal(t, simulate.JobSucceeded, st.State, st.Error)
}

// TestCloseCancelsSimulations: Close does not wait for a simulation to
// finish on its own.
func TestCloseCancelsSimulations(t *testing.T) {
	gs := newGatedStore(openTestStore(t))
	e := newTestServer(t, gs)
	e.seed()
	w := e.do(request{method: http.MethodPost, path: "/v1/simulations", body: `{"base":{"rounds":2}}`})
	require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
	e.waitState(w.Header().Get("Location"), simulate.JobRunning)
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
