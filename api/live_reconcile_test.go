package api

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// TestLiveBatch: POST /v1/scores/batch is served from the live view when
// live scores are on: a friendship put a moment ago is in every score of
// the batch, and each batch entry is the single read of the same person
// (GET /v1/people/{id}/score, itself checked against a full run in
// TestLiveFriendshipIsReflected).
func TestLiveBatch(t *testing.T) {
	for _, st := range liveStores() {
		t.Run(st.name, func(t *testing.T) {
			e := newTestServer(t, st.open(t), func(c *Config) { c.Live = true })
			e.seed()
			e.score("sesame")
			before := e.liveScore("5")
			w := e.do(request{method: http.MethodPut, path: "/v1/friendships/5/2"})
			require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
			w = e.do(request{method: http.MethodPost, path: "/v1/scores/batch", body: `{"ids":[5,2,1]}`})
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			var got LiveBatchResponse
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got))
			require.Len(t, got.Scores, 3)
			assert.Equal(t, before.Friends.Count+1, got.Scores[0].Friends.Count, "the new friendship is in the batch")
			for i, id := range []string{"5", "2", "1"} {
				one := e.liveScore(id)
				assert.True(t, got.Scores[i].Live)
				assert.Equal(t, one, got.Scores[i], "batch entry %d is the single read", i)
			}
			// An open dispute shows in live reads as in the run's
			// (disputes_open), single and batch alike.
			w = e.do(postJSON("/v1/people/2/events", `{"events":[{"type":"default","amount":700,"at":"2024-05-01T00:00:00Z"}]}`))
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			var posted struct {
				EventIDs []graph.EventID `json:"event_ids"`
			}
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &posted))
			require.Len(t, posted.EventIDs, 1)
			w = e.do(request{method: http.MethodPost, path: "/v1/people/2/disputes",
				body: `{"event":` + posted.EventIDs[0].String() + `,"reason":"not mine"}`, header: map[string]string{"Authorization": "Bearer " + hotelKey}})
			require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
			assert.Equal(t, 1, e.liveScore("2").DisputesOpen)
			w = e.do(request{method: http.MethodPost, path: "/v1/scores/batch", body: `{"ids":[5,2]}`})
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got))
			assert.Equal(t, 0, got.Scores[0].DisputesOpen)
			assert.Equal(t, 1, got.Scores[1].DisputesOpen)

			// Someone without a live score: 404 naming the index.
			w = e.do(request{method: http.MethodPost, path: "/v1/scores/batch", body: `{"ids":[1,6]}`})
			require.Equal(t, http.StatusNotFound, w.Code, w.Body.String())
			assert.Contains(t, w.Body.String(), `"ids/1"`)
		})
	}
}

// TestLiveRecruitmentIsIncremental: a recruitment put or deleted through
// the API moves the recruiter's recruitment pillar in the live view
// without rebuilding it (the same engine before and after), and the
// recruiter's score is a full run's on the same data (the reference).
func TestLiveRecruitmentIsIncremental(t *testing.T) {
	for _, st := range liveStores() {
		t.Run(st.name, func(t *testing.T) {
			e := newTestServer(t, st.open(t), func(c *Config) { c.Live = true })
			e.seed()
			e.score("lenddo") // recruitment counts under lenddo
			before := e.liveScore("2")
			eng := e.srv.live.cur.Load().eng
			w := e.do(request{method: http.MethodPut, path: "/v1/recruitments/2/3"})
			require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
			after := e.liveScore("2")
			assert.Same(t, eng, e.srv.live.cur.Load().eng, "applied to the view, not rebuilt")
			assert.Equal(t, before.AsOf.Changes+1, after.AsOf.Changes)
			assert.NotEqual(t, before.Components, after.Components, "the recruitment pillar moved")

			rep := e.score("lenddo")
			full, _, ok := e.runner.Lookup(2)
			require.True(t, ok)
			assert.LessOrEqual(t, abs(full.Score-after.Score), 1, "live %d, full run %d (%s)", after.Score, full.Score, rep.Run.ID)
			assert.Equal(t, full.Individual, after.Individual)

			w = e.do(request{method: http.MethodDelete, path: "/v1/recruitments/2/3"})
			require.Equal(t, http.StatusNoContent, w.Code, w.Body.String())
			back := e.liveScore("2")
			assert.Equal(t, before.Individual, back.Individual)
			assert.LessOrEqual(t, abs(before.Score-back.Score), 1)
		})
	}
}

// TestLiveReconcileKeepsChangesMadeDuringIt: the periodic reconcile runs a
// full run, rebuilds the live view from it and a fresh snapshot, and
// swaps it in; a friendship put after that snapshot was taken (so only
// the old view and the log have it) is in the view swapped in. The
// reference is a full run on the data afterwards.
func TestLiveReconcileKeepsChangesMadeDuringIt(t *testing.T) {
	for _, st := range liveStores() {
		t.Run(st.name, func(t *testing.T) {
			e := newTestServer(t, st.open(t), func(c *Config) { c.Live = true })
			e.seed()
			first := e.score("sesame")
			before := e.liveScore("5")
			require.Equal(t, first.Run.ID, before.AsOf.Run)
			during := make(chan int, 1)
			e.srv.live.built = func() {
				// The rebuild holds its snapshot: this write is not in it.
				w := e.do(request{method: http.MethodPut, path: "/v1/friendships/5/3"})
				during <- w.Code
			}
			require.NoError(t, e.srv.reconcile(context.Background()))
			require.Equal(t, http.StatusCreated, <-during)
			assert.Equal(t, int64(1), e.srv.live.rebuilt.Load())

			after := e.liveScore("5")
			assert.NotEqual(t, first.Run.ID, after.AsOf.Run, "the reconcile's run is swapped in")
			assert.Equal(t, int64(1), after.AsOf.Changes, "the write made during the reconcile was replayed")
			assert.Equal(t, before.Friends.Count+1, after.Friends.Count, "and is in the score")

			e.srv.live.built = nil
			e.score("sesame")
			for _, id := range []graph.ID{5, 3} {
				full, _, ok := e.runner.Lookup(id)
				require.True(t, ok)
				live := e.liveScore(id.String())
				assert.Equal(t, full.Friends, live.Friends.Count)
				assert.LessOrEqual(t, abs(full.Score-live.Score), 1)
			}
		})
	}
}

// TestLiveReconcileLoop: with LiveReconcile set, the server reconciles by
// itself (a new run appears in the live view's as_of).
func TestLiveReconcileLoop(t *testing.T) {
	e := newTestServer(t, openTestStore(t), func(c *Config) { c.Live = true; c.LiveReconcile = 50 * time.Millisecond })
	e.seed()
	first := e.score("sesame")
	require.Equal(t, first.Run.ID, e.liveScore("1").AsOf.Run)
	require.Eventually(t, func() bool {
		return e.srv.live.rebuilt.Load() > 0 && e.liveScore("1").AsOf.Run != first.Run.ID
	}, 30*time.Second, 20*time.Millisecond)
}
