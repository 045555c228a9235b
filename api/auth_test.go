package api

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

func TestAuth(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	e.score("sesame")

	for _, tc := range []struct {
		name   string
		header map[string]string
		status int
		reason string
	}{
		{"no key", map[string]string{"Authorization": ""}, 401, "missing API key"},
		{"unknown bearer key", map[string]string{"Authorization": "Bearer not-a-key-of-anyone"}, 401, "unknown API key"},
		{"unknown X-API-Key", map[string]string{"Authorization": "", "X-API-Key": "not-a-key-of-anyone"}, 401, "unknown API key"},
		{"basic auth", map[string]string{"Authorization": "Basic bGVuZGVyOmtleQ=="}, 401, "unsupported authorization scheme"},
		{"empty bearer", map[string]string{"Authorization": "Bearer "}, 401, "missing API key"},
		{"bearer", map[string]string{"Authorization": "Bearer " + hotelKey}, 200, ""},
		{"bearer, any case", map[string]string{"Authorization": "bearer " + hotelKey}, 200, ""},
		{"X-API-Key", map[string]string{"Authorization": "", "X-API-Key": hotelKey}, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, r := range []request{
				{method: http.MethodGet, path: "/v1/people/1/score"},
				{method: http.MethodGet, path: "/v1/people/1"},
				{method: http.MethodPost, path: "/v1/scores/batch", body: `{"ids":[1]}`},
			} {
				r.header = tc.header
				w := e.do(r)
				if tc.status == 200 {
					assert.Equal(t, 200, w.Code, "%s %s: %s", r.method, r.path, w.Body.String())
					continue
				}
				assertProblem(t, w, tc.status, "unauthorized", "Authorization", tc.reason)
				assert.Equal(t, `Bearer realm="socialscore"`, w.Header().Get("WWW-Authenticate"))
			}
		})
	}
	// Writes need a key too, and a refused one changes nothing.
	before := e.state(fixtureIDs...)
	w := e.do(request{method: http.MethodDelete, path: "/v1/people/1", header: map[string]string{"Authorization": ""}})
	assertProblem(t, w, 401, "unauthorized", "Authorization", "missing API key")
	assert.Equal(t, before, e.state(fixtureIDs...))

	// Operations routes are open.
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/openapi.json"} {
		w := e.do(request{method: http.MethodGet, path: p, header: map[string]string{"Authorization": ""}})
		assert.Equal(t, http.StatusOK, w.Code, p)
	}

	// Only the reads made with a valid key were audited, each to its app.
	recs := e.auditRecords()
	require.Len(t, recs, 6) // 3 header variants × (score + batch)
	for _, r := range recs {
		assert.Equal(t, "hotel", r.App)
	}
}

func TestAuditRecordsScoreReads(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	e.score("sesame")
	start := time.Now()

	w := e.do(request{method: http.MethodGet, path: "/v1/people/2/score", header: map[string]string{"X-Request-ID": "req-single-1"}})
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "req-single-1", w.Header().Get("X-Request-ID"))

	w = e.do(request{method: http.MethodPost, path: "/v1/scores/batch", body: `{"ids":[5,3,1]}`,
		header: map[string]string{"Authorization": "Bearer " + hotelKey}})
	require.Equal(t, http.StatusOK, w.Code)
	batchID := w.Header().Get("X-Request-ID")
	require.NotEmpty(t, batchID)

	// A failed batch is not served and so not audited.
	require.Equal(t, http.StatusNotFound, e.do(request{method: http.MethodPost, path: "/v1/scores/batch", body: `{"ids":[1,99]}`}).Code)
	// Reads of people are not score reads.
	require.Equal(t, http.StatusOK, e.get("/v1/people/1").Code)

	require.NoError(t, e.srv.Close()) // flushes
	recs := readAudit(t, e.auditPath)
	require.Len(t, recs, 4)
	// The server's own request id is recorded, the client's beside it.
	assert.NotEqual(t, "req-single-1", recs[0].RequestID)
	assert.NotEmpty(t, recs[0].RequestID)
	assert.Equal(t, AuditRecord{Time: recs[0].Time, App: "lender", Role: graph.RoleOperator, Person: 2, RequestID: recs[0].RequestID,
		ClientRequestID: "req-single-1", Route: "/v1/people/{id}/score"}, unchained(recs[0]))
	for i, id := range []graph.ID{5, 3, 1} {
		r := recs[1+i]
		assert.Equal(t, AuditRecord{Time: r.Time, App: "hotel", Role: graph.RoleOperator, Person: id, RequestID: batchID, Route: "/v1/scores/batch"}, unchained(r))
	}
	for _, r := range recs {
		assert.False(t, r.Time.Before(start.Add(-time.Second)), "record time %v", r.Time)
	}

	// After Close the auditor refuses records, so scores are not served.
	e2 := newTestServer(t, e.store)
	require.NoError(t, e2.runner.Load(t.Context()))
	require.NoError(t, e2.audit.Close())
	w = e2.get("/v1/people/1/score")
	assertProblem(t, w, http.StatusServiceUnavailable, "unavailable", "-", "")
	assert.Equal(t, "5", w.Header().Get("Retry-After"))
	assert.NotContains(t, w.Body.String(), `"score"`)
}

func TestNoKeysIsAnonymousAndWarnsOnce(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	e := newTestServer(t, openTestStore(t), func(c *Config) { c.APIKeys, c.Keys = nil, nil; c.Open = true; c.Logger = logger })
	e.seed()
	e.score("sesame")
	require.Equal(t, http.StatusOK, e.get("/v1/people/1/score").Code)
	require.Equal(t, http.StatusOK, e.get("/v1/people/2/score").Code)

	recs := e.auditRecords()
	require.Len(t, recs, 2)
	assert.Equal(t, AnonymousApp, recs[0].App)
	assert.Equal(t, 1, strings.Count(logs.String(), "no API keys configured"), logs.String())
	assert.Contains(t, logs.String(), "app=anonymous", "writes are access-logged with the app")
}

func TestConfigValidate(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	good := e.srv.cfg
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"no store", func(c *Config) { c.Store = nil }, "Store is required"},
		{"no runner", func(c *Config) { c.Runner = nil }, "Runner is required"},
		{"no audit", func(c *Config) { c.Audit = nil }, "Audit is required"},
		{"bad policy", func(c *Config) { c.Policy.Alpha = 1.5 }, "Policy"},
		{"short key", func(c *Config) { c.APIKeys = map[string]string{"short": "app"} }, "shorter than"},
		{"empty app", func(c *Config) { c.APIKeys = map[string]string{"long-enough-key-123": ""} }, "app name is empty"},
		{"negative body limit", func(c *Config) { c.MaxBodyBytes = -1 }, "MaxBodyBytes"},
		{"bad proxy", func(c *Config) { c.TrustedProxies = []string{"not an ip"} }, "trusted proxies"},
		{"negative snapshot refresh", func(c *Config) { c.SnapshotRefresh = -1 }, "SnapshotRefresh"},
		{"negative snapshot age", func(c *Config) { c.SnapshotMaxAge = -1 }, "SnapshotMaxAge"},
		{"short export key", func(c *Config) { c.ExportKey = []byte("short") }, "ExportKey must be at least 16 bytes"},
		{"negative simulation queue", func(c *Config) { c.SimulationQueue = -1 }, "SimulationQueue"},
		{"negative simulation workers", func(c *Config) { c.SimulationWorkers = -2 }, "SimulationWorkers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			c.Registry = nil
			tc.change(&c)
			_, err := New(c)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	// One server per registry.
	c := good
	_, err := New(c)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "already registered")
}
