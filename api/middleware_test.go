package api

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRequestID(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	w := e.do(request{method: http.MethodGet, path: "/healthz", header: map[string]string{"X-Request-ID": "abc-123.x:y_z"}})
	assert.Equal(t, "abc-123.x:y_z", w.Header().Get("X-Request-ID"))

	a := e.get("/healthz").Header().Get("X-Request-ID")
	b := e.get("/healthz").Header().Get("X-Request-ID")
	assert.NotEmpty(t, a)
	assert.NotEqual(t, a, b)

	for _, bad := range []string{"has space", strings.Repeat("x", 129), "new\nline", "<script>"} {
		w := e.do(request{method: http.MethodGet, path: "/healthz", header: map[string]string{"X-Request-ID": bad}})
		got := w.Header().Get("X-Request-ID")
		assert.NotEqual(t, bad, got)
		assert.True(t, validRequestID(got), got)
	}
	// Problems carry it too.
	w = e.do(request{method: http.MethodGet, path: "/v1/people/x", header: map[string]string{"X-Request-ID": "trace-me"}})
	assert.Equal(t, "trace-me", w.Header().Get("X-Request-ID"))
}

func TestRecoverHidesPanics(t *testing.T) {
	var logs bytes.Buffer
	e := newTestServer(t, openTestStore(t), func(c *Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	// A route that exists only in this test's engine.
	e.srv.engine.GET("/boom", func(*gin.Context) { panic("secret internal detail") })

	w := e.do(request{method: http.MethodGet, path: "/boom"})
	p := assertProblem(t, w, http.StatusInternalServerError, "internal", "-", "")
	assert.NotContains(t, w.Body.String(), "secret")
	assert.NotContains(t, w.Body.String(), "goroutine")
	assert.Equal(t, "/boom", p.Instance)
	assert.Contains(t, logs.String(), "secret internal detail", "the panic is logged")
	assert.Contains(t, logs.String(), w.Header().Get("X-Request-ID"))

	// The server keeps serving.
	assert.Equal(t, http.StatusOK, e.get("/healthz").Code)
}

func TestAccessLog(t *testing.T) {
	var logs bytes.Buffer
	e := newTestServer(t, openTestStore(t), func(c *Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	e.seed()
	e.score("sesame")
	logs.Reset()

	require.Equal(t, http.StatusOK, e.get("/v1/people/1").Code)
	line := logs.String()
	for _, want := range []string{`"msg":"request"`, `"app":"lender"`, `"route":"/v1/people/{id}"`, `"status":200`, `"request_id":`} {
		assert.Contains(t, line, want)
	}

	// Score reads are the hot path: logged at Debug only.
	logs.Reset()
	require.Equal(t, http.StatusOK, e.get("/v1/people/1/score").Code)
	assert.Empty(t, logs.String())
}

func TestMetrics(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	w := e.do(request{method: http.MethodPost, path: "/v1/scoring-runs"})
	require.Equal(t, http.StatusAccepted, w.Code)
	require.Equal(t, JobSucceeded, e.waitJob(w.Header().Get("Location")).Status)
	for range 3 {
		require.Equal(t, http.StatusOK, e.get("/v1/people/1/score").Code)
	}
	require.Equal(t, http.StatusNotFound, e.get("/v1/people/99/score").Code)
	require.Equal(t, http.StatusNotFound, e.get("/no/such/route/12345").Code)

	w = e.do(request{method: http.MethodGet, path: "/metrics", header: map[string]string{"Authorization": ""}})
	require.Equal(t, http.StatusOK, w.Code)
	body := w.Body.String()
	for _, want := range []string{
		`socialscore_http_requests_total{code="200",method="GET",route="/v1/people/{id}/score"} 3`,
		`socialscore_http_requests_total{code="404",method="GET",route="/v1/people/{id}/score"} 1`,
		`socialscore_http_requests_total{code="201",method="PUT",route="/v1/people/{id}"} 6`,
		`socialscore_http_requests_total{code="404",method="other",route="unmatched"} 1`,
		`socialscore_http_request_duration_seconds_bucket{code="200",method="GET",route="/v1/people/{id}/score",le="0.001"}`,
		`socialscore_scoring_runs_total{status="succeeded"} 1`,
		`socialscore_scoring_run_duration_seconds_count{policy="sesame",status="succeeded"} 1`,
		`socialscore_scoring_people_scored 5`,
		`socialscore_audit_records_total 3`,
		`socialscore_store_up 1`,
		`socialscore_scoring_last_run_phase_seconds{phase="pagerank"}`,
		fmt.Sprintf("socialscore_heavy_slots %d", e.srv.heavy.Slots()),
		"socialscore_heavy_running 0",
		"socialscore_heavy_waiting 0",
		"socialscore_heavy_promoted_threads_total 0",
	} {
		assert.Contains(t, body, want)
	}
	assert.NotContains(t, body, "/no/such/route", "raw paths never become label values")
}
