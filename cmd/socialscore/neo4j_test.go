package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/neo4jtest"
)

func TestMain(m *testing.M) { os.Exit(neo4jtest.Main(m)) }

// TestSameScoresOnBothStores loads the same seeded network into the
// embedded store and into Neo4j through the CLI, scores both, and compares
// every person's result: a difference is a bug in one of the stores.
func TestSameScoresOnBothStores(t *testing.T) {
	srv := neo4jtest.Shared(t)
	require.NoError(t, neo4jtest.Wipe(context.Background(), srv))
	embURL := "embedded://" + filepath.Join(t.TempDir(), "s.db")
	stores := []struct {
		flags []string
		url   string
		opts  storeOptions
	}{
		{[]string{"--store", embURL}, embURL, storeOptions{}},
		{[]string{"--store", srv.URI, "--neo4j-user", srv.User, "--neo4j-password", srv.Password},
			srv.URI, storeOptions{user: srv.User, password: srv.Password, database: "neo4j"}},
	}
	ctx := context.Background()
	var runs [2][]graph.Result
	for i, st := range stores {
		runCmd(t, append([]string{"seed", "--people", "3000", "--seed", "11"}, st.flags...)...)
		runCmd(t, append([]string{"score", "--policy", "lenddo"}, st.flags...)...)
		store, err := openStore(ctx, st.url, st.opts)
		require.NoError(t, err)
		_, runs[i], err = store.LatestRun(ctx)
		require.NoError(t, err)
		require.NoError(t, store.Close())
	}
	require.Len(t, runs[0], 3000)
	require.Len(t, runs[1], 3000)
	for i, e := range runs[0] {
		n := runs[1][i]
		require.Equal(t, e.ID, n.ID)
		assert.Equal(t, e.Score, n.Score, "score of %d", e.ID)
		assert.Equal(t, e.Individual, n.Individual, "individual score of %d", e.ID)
		assert.InDelta(t, e.Network, n.Network, 1e-12, "network value of %d", e.ID)
		assert.InDelta(t, e.PageRank, n.PageRank, 1e-12, "pagerank of %d", e.ID)
	}
}

// TestNeo4jFaults stops a real Neo4j server under a running socialscore
// and starts it again: reads keep answering from the last completed run
// (marked stale), writes get 503 with Retry-After, /readyz says not ready,
// a scoring run fails and leaves the previous scores in place, and once
// the server is back writes succeed without restarting socialscore.
func TestNeo4jFaults(t *testing.T) {
	srv, err := neo4jtest.Start(filepath.Join(t.TempDir(), "neo4j"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })

	const key = "0123456789abcdef-faults"
	m := &Main{
		CreateStore: true,
		StoreURL:    srv.URI,
		StoreOpts:   storeOptions{user: srv.User, password: srv.Password, database: "neo4j"},
		Addr:        "127.0.0.1:0",
		Policy:      mustPreset(t, "sesame"),
		APIKeys:     map[string]string{key: "lender"},
		AuditPath:   filepath.Join(t.TempDir(), "audit.jsonl"),
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.NoError(t, m.Open(ctx))
	defer m.Close()
	require.NoError(t, seedStore(ctx, m.Store, 400, 2, io.Discard, io.Discard))
	_, err = scoreStore(ctx, m.Store, m.Runner, m.Policy, io.Discard, io.Discard)
	require.NoError(t, err)
	require.NoError(t, m.Listen())
	go func() { _ = m.Serve(ctx, io.Discard) }()

	call := func(method, path, body string) (*http.Response, map[string]any) {
		req, err := http.NewRequest(method, m.URL()+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+key)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var doc map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&doc)
		return resp, doc
	}
	resp, before := call("GET", "/v1/people/7/score", "")
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, false, before["stale"])

	// The server goes away.
	require.NoError(t, srv.Stop())
	require.Eventually(t, func() bool {
		resp, _ := call("GET", "/readyz", "")
		return resp.StatusCode == http.StatusServiceUnavailable
	}, 30*time.Second, 200*time.Millisecond, "/readyz reports not ready")

	resp, during := call("GET", "/v1/people/7/score", "")
	require.Equal(t, 200, resp.StatusCode, "reads answer from the last completed run")
	assert.Equal(t, before["score"], during["score"])
	assert.Equal(t, before["run_id"], during["run_id"])
	assert.Equal(t, true, during["stale"])

	resp, problem := call("PUT", "/v1/people/5000", `{"consent": true}`)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "application/problem+json", strings.Split(resp.Header.Get("Content-Type"), ";")[0])
	assert.NotEmpty(t, resp.Header.Get("Retry-After"))
	assert.EqualValues(t, 503, problem["status"])
	resp, _ = call("PUT", "/v1/friendships/1/2", "")
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)

	// A scoring run fails and leaves the previous scores in place.
	resp, job := call("POST", "/v1/scoring-runs", `{"policy": "tencent"}`)
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	require.Eventually(t, func() bool {
		_, st := call("GET", fmt.Sprintf("/v1/scoring-runs/%v", job["id"]), "")
		return st["status"] == "failed"
	}, 60*time.Second, 200*time.Millisecond)
	_, after := call("GET", "/v1/people/7/score", "")
	assert.Equal(t, before["run_id"], after["run_id"])
	assert.Equal(t, before["score"], after["score"])

	// The server comes back on the same port; socialscore was not restarted.
	srv2, err := neo4jtest.Start(srv.Dir)
	require.NoError(t, err)
	require.Equal(t, srv.URI, srv2.URI)
	require.Eventually(t, func() bool {
		resp, _ := call("PUT", "/v1/people/5000", `{"consent": true}`)
		return resp.StatusCode == http.StatusCreated
	}, 60*time.Second, 500*time.Millisecond, "writes succeed again")
	require.Eventually(t, func() bool {
		resp, _ := call("GET", "/readyz", "")
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 200*time.Millisecond)
	_, fresh := call("GET", "/v1/people/7/score", "")
	assert.Equal(t, false, fresh["stale"])

	// The store still holds the earlier run as its latest: the failed run
	// left nothing behind.
	run, _, err := m.Store.LatestRun(ctx)
	require.NoError(t, err)
	assert.Equal(t, before["run_id"], run.ID)
	person, err := m.Store.Person(ctx, 5000)
	require.NoError(t, err)
	assert.True(t, person.Consent)
}
