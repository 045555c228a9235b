package api

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

// encodeFresh is the body of a score read without any cache.
func encodeFresh(t *testing.T, e *testEnv, id graph.ID, stale bool) string {
	t.Helper()
	res, view, ok := e.runner.Lookup(id)
	require.True(t, ok)
	ex := scoring.Explain(res, view.Policy)
	var se scoreEncoder
	return string(se.append(nil, res, view, &ex, stale))
}

// TestScoreCacheServesFreshEncoding reads every score several times, with
// a cache large enough for everyone, one with colliding slots, and none:
// the body is always the one encoded afresh.
func TestScoreCacheServesFreshEncoding(t *testing.T) {
	for _, entries := range []int{0, 2, 1, -1} {
		t.Run(strconv.Itoa(entries), func(t *testing.T) {
			e := newTestServer(t, openTestStore(t), func(c *Config) { c.ScoreCacheEntries = entries })
			ids := e.seed()
			e.score("sesame")
			for range 3 {
				for _, id := range append(ids, ids[3], ids[0], ids[2]) {
					w := e.get("/v1/people/" + id.String() + "/score")
					require.Equal(t, http.StatusOK, w.Code, w.Body.String())
					assert.Equal(t, encodeFresh(t, e, id, false), w.Body.String())
					assert.Equal(t, strconv.Itoa(w.Body.Len()), w.Header().Get("Content-Length"))
					assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
					assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
				}
			}
		})
	}
}

// TestScoreCacheForgetBypassesCache: a person forgotten by the runner
// (erased or withdrawn, by this server or any other caller of Forget) is
// not served from the cache, even though their body was cached.
func TestScoreCacheForgetBypassesCache(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	e.score("sesame")
	for _, id := range []string{"1", "2", "3"} {
		require.Equal(t, http.StatusOK, e.get("/v1/people/"+id+"/score").Code)
	}

	e.runner.Forget(1) // not through the API: the cache entry stays
	assertProblem(t, e.get("/v1/people/1/score"), http.StatusNotFound, "not-found", "id", "no score")

	require.Equal(t, http.StatusNoContent, e.do(request{method: http.MethodDelete, path: "/v1/people/2"}).Code)
	assertProblem(t, e.get("/v1/people/2/score"), http.StatusNotFound, "not-found", "id", "no score")

	require.Equal(t, http.StatusOK, e.do(request{method: http.MethodPut, path: "/v1/people/3", body: `{"consent":false}`}).Code)
	assertProblem(t, e.get("/v1/people/3/score"), http.StatusNotFound, "not-found", "id", "no score")

	// The API's erasures also drop the cached bodies.
	vb := e.srv.scoreBodies.cur.Load()
	require.NotNil(t, vb)
	for _, id := range []graph.ID{2, 3} {
		idx, ok := vb.view.Index(id)
		require.True(t, ok)
		assert.Nil(t, vb.get(idx), "cached body of forgotten person %d", id)
	}
	assertProblem(t, e.do(request{method: http.MethodPost, path: "/v1/scores/batch", body: `{"ids":[4,3]}`}),
		http.StatusNotFound, "not-found", "ids/1", "")
}

// TestScoreCacheNewRun: a completed run replaces every cached body.
func TestScoreCacheNewRun(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	e.score("sesame")
	var s ScoreResponse
	decode(t, e.get("/v1/people/1/score"), &s)
	first := s.RunID

	rep := e.score("tencent")
	require.NotEqual(t, first, rep.Run.ID)
	w := e.get("/v1/people/1/score")
	require.Equal(t, http.StatusOK, w.Code)
	decode(t, w, &s)
	assert.Equal(t, rep.Run.ID, s.RunID)
	assert.Equal(t, "tencent", s.Policy)
	assert.Equal(t, encodeFresh(t, e, 1, false), w.Body.String())
}

// TestScoreCacheStale: bodies are cached unmarked; while the store is
// unreachable reads are marked stale all the same.
func TestScoreCacheStale(t *testing.T) {
	g := newGatedStore(openTestStore(t))
	g.open()
	e := newTestServer(t, g)
	e.seed()
	e.score("sesame")
	var s ScoreResponse
	decode(t, e.get("/v1/people/1/score"), &s)
	require.False(t, s.Stale)

	g.down.Store(true)
	require.Equal(t, http.StatusServiceUnavailable, e.get("/readyz").Code)
	w := e.get("/v1/people/1/score")
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, encodeFresh(t, e, 1, true), w.Body.String())

	g.down.Store(false)
	require.Equal(t, http.StatusOK, e.get("/readyz").Code)
	w = e.get("/v1/people/1/score")
	assert.Equal(t, encodeFresh(t, e, 1, false), w.Body.String())
}

// TestScoreCacheConcurrentRuns reads scores from several goroutines while
// runs complete and people are forgotten (run it with -race).
func TestScoreCacheConcurrentRuns(t *testing.T) {
	e := newTestServer(t, openTestStore(t), func(c *Config) { c.ScoreCacheEntries = 3 })
	ids := e.seed()
	e.score("sesame")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := g; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := ids[i%len(ids)]
				w := e.get("/v1/people/" + id.String() + "/score")
				if id == 5 {
					continue // forgotten part-way
				}
				if w.Code != http.StatusOK {
					t.Errorf("person %d: status %d", id, w.Code)
					return
				}
			}
		})
	}
	for range 3 {
		_, err := e.runner.Run(context.Background(), mustPreset(t, "tencent"), scoring.Options{})
		require.NoError(t, err)
	}
	require.Equal(t, http.StatusNoContent, e.do(request{method: http.MethodDelete, path: "/v1/people/5"}).Code)
	assertProblem(t, e.get("/v1/people/5/score"), http.StatusNotFound, "not-found", "id", "")
	close(stop)
	wg.Wait()
	for _, id := range ids[:4] {
		assert.Equal(t, encodeFresh(t, e, id, false), e.get("/v1/people/"+id.String()+"/score").Body.String())
	}
}

func mustPreset(t *testing.T, name string) scoring.Policy {
	t.Helper()
	p, ok := scoring.Preset(name)
	require.True(t, ok)
	return p
}
