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
// and without the explanation cache: the body is always the one encoded
// from a fresh explanation, and the cache holds exactly what Explain says.
func TestScoreCacheServesFreshEncoding(t *testing.T) {
	for _, off := range []bool{false, true} {
		t.Run(strconv.FormatBool(off), func(t *testing.T) {
			e := newTestServer(t, openTestStore(t), func(c *Config) { c.NoExplanationCache = off })
			ids := e.seed()
			e.score("sesame")
			for range 3 {
				for _, id := range append(ids, ids[3], ids[0], ids[2]) {
					w := e.get("/v1/people/" + id.String() + "/score")
					require.Equal(t, http.StatusOK, w.Code, w.Body.String())
					assert.Equal(t, encodeFresh(t, e, id, false), w.Body.String())
				}
			}
			ve := e.srv.expls.cur.Load()
			if off {
				assert.Nil(t, ve)
				return
			}
			require.NotNil(t, ve)
			for _, id := range ids {
				res, idx, view, ok := e.runner.LookupIndex(id)
				require.True(t, ok)
				var buf explBuf
				got, ok := ve.get(idx, &buf)
				require.True(t, ok, "person %d cached", id)
				want := scoring.Explain(res, view.Policy)
				assert.Equal(t, want.Band, got.Band)
				assert.Equal(t, want.Components, got.Components)
				assert.Equal(t, want.Reasons[:min(len(want.Reasons), maxReasons)], got.Reasons)
				assert.Equal(t, want.Perks, got.Perks)
				require.NotNil(t, got.Network)
				assert.Equal(t, want.Network, got.Network, "the network split is cached with the rest")
			}
		})
	}
}

// TestPackedExplanationLimits: explanations that do not fit a packedExpl
// are not cached, and more than 256 distinct words are refused.
func TestPackedExplanationLimits(t *testing.T) {
	v := scoring.NewView(graph.Run{ID: "r"}, scoring.Policy{}, []graph.Result{{ID: 1}, {ID: 2}, {ID: 3}})
	var c explCache
	ve := c.forView(v)
	require.NotNil(t, ve)
	assert.Same(t, ve, c.forView(v))

	ve.put(0, &scoring.Explanation{Band: "b", Components: make([]scoring.Component, maxPackedComponents+1)})
	ve.put(1, &scoring.Explanation{Band: "b", Reasons: []scoring.Reason{{Code: "X", Points: 40000}}})
	ve.put(2, &scoring.Explanation{Band: "b", Perks: []string{"p"}, Reasons: make([]scoring.Reason, maxReasons+2)})
	var buf explBuf
	for i := range 2 {
		_, ok := ve.get(i, &buf)
		assert.False(t, ok, "slot %d", i)
	}
	got, ok := ve.get(2, &buf)
	require.True(t, ok)
	assert.Equal(t, []string{"p"}, got.Perks)
	assert.Len(t, got.Reasons, maxReasons, "only the reasons that are sent are kept")

	var w words
	for i := range 256 {
		id, ok := w.id(strconv.Itoa(i))
		require.True(t, ok)
		require.Equal(t, uint8(i), id)
	}
	_, ok = w.id("one too many")
	assert.False(t, ok)
	id, ok := w.id("17")
	assert.True(t, ok)
	assert.Equal(t, "17", w.list()[id])

	c.off = true
	assert.Nil(t, c.forView(v))
}

// TestScoreCacheForgetBypassesCache: a person forgotten by the runner
// (erased or withdrawn, by this server or any other caller of Forget) is
// not served, even though their explanation is cached.
func TestScoreCacheForgetBypassesCache(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	e.score("sesame")
	for _, id := range []string{"1", "2", "3"} {
		require.Equal(t, http.StatusOK, e.get("/v1/people/"+id+"/score").Code)
	}

	e.runner.Forget(1) // not through the API
	assertProblem(t, e.get("/v1/people/1/score"), http.StatusNotFound, "not-found", "id", "no score")

	require.Equal(t, http.StatusNoContent, e.do(request{method: http.MethodDelete, path: "/v1/people/2"}).Code)
	assertProblem(t, e.get("/v1/people/2/score"), http.StatusNotFound, "not-found", "id", "no score")

	require.Equal(t, http.StatusOK, e.do(request{method: http.MethodPut, path: "/v1/people/3?reason=test", body: `{"consent":false}`}).Code)
	assertProblem(t, e.get("/v1/people/3/score"), http.StatusNotFound, "not-found", "id", "no score")

	assertProblem(t, e.do(request{method: http.MethodPost, path: "/v1/scores/batch", body: `{"ids":[4,3]}`}),
		http.StatusNotFound, "not-found", "ids/1", "")
}

// TestScoreCacheNewRun: a completed run replaces every cached explanation.
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

// TestScoreCacheStale: reads of cached explanations are marked stale
// while the store is unreachable.
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
	e := newTestServer(t, openTestStore(t))
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
