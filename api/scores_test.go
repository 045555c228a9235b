package api

import (
	"encoding/json"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

func TestScoreAfterRun(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	ids := e.seed()
	// Before any run there is no score.
	assertProblem(t, e.get("/v1/people/1/score"), http.StatusNotFound, "not-found", "id", "no score for person 1")

	rep := e.score("sesame")
	require.Equal(t, len(ids), rep.Run.People, "only consenting people are scored")
	sesame, _ := scoring.Preset("sesame")

	for _, id := range ids {
		t.Run(id.String(), func(t *testing.T) {
			w := e.get("/v1/people/" + id.String() + "/score")
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
			var s ScoreResponse
			decode(t, w, &s)

			res, view, ok := e.runner.Lookup(id)
			require.True(t, ok)
			assert.Equal(t, id, s.ID)
			assert.Equal(t, res.Score, s.Score)
			assert.Equal(t, res.Individual, s.Individual)
			assert.Equal(t, "sesame", s.Policy)
			assert.Equal(t, rep.Run.ID, s.RunID)
			assert.True(t, rep.Run.FinishedAt.Equal(s.ComputedAt), "computed_at is when the run finished")
			assert.False(t, s.Stale)
			assert.GreaterOrEqual(t, s.Score, scoring.MinScore)
			assert.LessOrEqual(t, s.Score, scoring.MaxScore)

			sum := 0
			for _, c := range s.Components {
				sum += c.Points
			}
			assert.InDelta(t, s.Score, scoring.MinScore+sum, 1, "350 + Σ component points = score (±1): %+v", s.Components)
			assert.LessOrEqual(t, len(s.Reasons), 4)
			for _, r := range s.Reasons {
				assert.NotEmpty(t, r.Code)
				assert.NotEmpty(t, r.Text)
			}

			want := scoring.Explain(res, view.Policy)
			assert.Equal(t, want.Band, s.Band)
			assert.Equal(t, sesame.BandOf(s.Score), s.Band)
			assert.Equal(t, want.Components, s.Components)
			assert.Equal(t, want.Reasons, s.Reasons)
			assert.ElementsMatch(t, want.Perks, s.Perks)
			assert.Equal(t, res.PageRank, s.Centrality.PageRank)
			assert.Equal(t, res.Percentile, s.Centrality.Percentile)
			assert.Equal(t, res.Friends, s.Friends.Count)
			if res.Friends > 0 {
				require.NotNil(t, s.Friends.MeanScore)
				assert.Equal(t, res.FriendMean, *s.Friends.MeanScore)
			} else {
				assert.Nil(t, s.Friends.MeanScore)
			}
		})
	}
	// Friend counts ignore person 6, who has not consented.
	res, _, _ := e.runner.Lookup(4)
	assert.Equal(t, int32(1), res.Friends)

	assertProblem(t, e.get("/v1/people/6/score"), http.StatusNotFound, "not-found", "id", "no score for person 6")
	assertProblem(t, e.get("/v1/people/99/score"), http.StatusNotFound, "not-found", "id", "no score for person 99")
}

func TestBatchScores(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	e.score("sesame")

	w := e.do(request{method: http.MethodPost, path: "/v1/scores/batch", body: `{"ids":[3,1,5]}`})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var out struct {
		Scores []json.RawMessage `json:"scores"`
	}
	decode(t, w, &out)
	require.Len(t, out.Scores, 3)
	for i, id := range []string{"3", "1", "5"} {
		single := e.get("/v1/people/" + id + "/score")
		require.Equal(t, http.StatusOK, single.Code)
		assert.JSONEq(t, single.Body.String(), string(out.Scores[i]), "batch item %d equals the single read", i)
	}
}

func TestScoringRunJob(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()

	for _, tc := range []struct{ name, body, policy string }{
		{"named policy", `{"policy":"tencent"}`, "tencent"},
		{"default policy", "", "sesame"},
		{"empty object", `{}`, "sesame"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(request{method: http.MethodPost, path: "/v1/scoring-runs", body: tc.body})
			require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
			var j JobResponse
			decode(t, w, &j)
			assert.Equal(t, JobRunning, j.Status)
			assert.Equal(t, tc.policy, j.Policy)
			assert.False(t, j.CreatedAt.IsZero())
			assert.Equal(t, j.CreatedAt, j.StartedAt)
			loc := w.Header().Get("Location")
			assert.Equal(t, "/v1/scoring-runs/"+j.ID, loc)

			j = e.waitJob(loc)
			require.Equal(t, JobSucceeded, j.Status, "error: %s", j.Error)
			assert.Equal(t, 5, j.People)
			assert.Equal(t, 4, j.Friendships, "friendships among consenting people")
			require.NotNil(t, j.FinishedAt)
			require.NotNil(t, j.PhasesMS)
			require.NotNil(t, j.TotalMS)
			assert.GreaterOrEqual(t, *j.TotalMS, 0.0)
			view := e.runner.View()
			require.NotNil(t, view)
			assert.Equal(t, view.Run.ID, j.RunID)
			assert.Equal(t, tc.policy, view.Run.Policy)

			w = e.get("/v1/people/1/score")
			require.Equal(t, http.StatusOK, w.Code)
			var s ScoreResponse
			decode(t, w, &s)
			assert.Equal(t, tc.policy, s.Policy)
			assert.Equal(t, j.RunID, s.RunID)
		})
	}
	assertProblem(t, e.get("/v1/scoring-runs/nope"), http.StatusNotFound, "not-found", "id", "no scoring run")
}

func TestScoringRunInProgressConflict(t *testing.T) {
	g := newGatedStore(openTestStore(t))
	e := newTestServer(t, g)
	e.seed()

	w := e.do(request{method: http.MethodPost, path: "/v1/scoring-runs"})
	require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
	loc := w.Header().Get("Location")
	<-g.entered // the run is inside Snapshot

	w = e.do(request{method: http.MethodPost, path: "/v1/scoring-runs", body: `{"policy":"baseline"}`})
	p := assertProblem(t, w, http.StatusConflict, "run-in-progress", "-", "")
	assert.Contains(t, p.Detail, loc)
	running := e.get(loc)
	var j JobResponse
	decode(t, running, &j)
	assert.Equal(t, JobRunning, j.Status)
	assert.Nil(t, j.FinishedAt)

	g.open()
	j = e.waitJob(loc)
	assert.Equal(t, JobSucceeded, j.Status, j.Error)
	// Free again.
	w = e.do(request{method: http.MethodPost, path: "/v1/scoring-runs"})
	require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
	e.waitJob(w.Header().Get("Location"))
}

func TestCloseCancelsRun(t *testing.T) {
	g := newGatedStore(openTestStore(t))
	e := newTestServer(t, g)
	w := e.do(request{method: http.MethodPost, path: "/v1/scoring-runs"})
	require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
	loc := w.Header().Get("Location")
	<-g.entered

	require.NoError(t, e.srv.Close()) // cancels the run and waits for it
	j := e.waitJob(loc)
	assert.Equal(t, JobFailed, j.Status)
	assert.Contains(t, j.Error, "context canceled")
	assertProblem(t, e.do(request{method: http.MethodPost, path: "/v1/scoring-runs"}),
		http.StatusServiceUnavailable, "unavailable", "-", "")
}

func TestStaleWhileStoreUnreachable(t *testing.T) {
	g := newGatedStore(openTestStore(t))
	g.open()
	e := newTestServer(t, g)
	e.seed()
	e.score("sesame")

	w := e.get("/readyz")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var ready ReadyResponse
	decode(t, w, &ready)
	assert.Equal(t, ReadyResponse{Status: "ready", ScoresLoaded: true, RunID: e.runner.View().Run.ID, PeopleScored: 5}, ready)

	g.down.Store(true)
	w = e.get("/readyz")
	assertProblem(t, w, http.StatusServiceUnavailable, "unavailable", "-", "")
	assert.Equal(t, "5", w.Header().Get("Retry-After"))

	w = e.get("/v1/people/1/score")
	require.Equal(t, http.StatusOK, w.Code, "scores are still served from memory")
	var s ScoreResponse
	decode(t, w, &s)
	assert.True(t, s.Stale)

	g.down.Store(false)
	require.Equal(t, http.StatusOK, e.get("/readyz").Code)
	decode(t, e.get("/v1/people/1/score"), &s)
	assert.False(t, s.Stale)
}

func TestReadyWithoutScores(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	w := e.get("/readyz")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var ready ReadyResponse
	decode(t, w, &ready)
	assert.Equal(t, ReadyResponse{Status: "ready"}, ready)

	w = e.do(request{method: http.MethodGet, path: "/healthz", header: map[string]string{"Authorization": ""}})
	require.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"status":"ok"}`, w.Body.String())
}

// TestScoreEncoderMatchesEncodingJSON checks the hand-written encoder of
// the hot path against encoding/json on awkward values.
func TestScoreEncoderMatchesEncodingJSON(t *testing.T) {
	run := graph.Run{ID: "20240101T000000.000000000Z", Policy: `we"ird <policy> & \ name` + "\u2028\x01é",
		FinishedAt: time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.FixedZone("x", 3600))}
	p, _ := scoring.Preset("lenddo")
	p.Bands = append(p.Bands, scoring.Band{Name: "top\t\"band\"\n", Min: 940})
	view := scoring.NewView(run, p, nil)
	var enc scoreEncoder
	for i, r := range []graph.Result{
		{ID: 1, Score: 950, Individual: 940, Pillars: graph.Pillars{Purchase: 1, Info: 1, Bills: 1, Credit: 1, Recruitment: 1},
			Base: 1, Network: 1, PageRank: 1.234e-7, Percentile: 99.5, Friends: 3, FriendMean: 701.3333333333334},
		{ID: 2, Score: 350, Individual: 350, PageRank: 0, Percentile: 0},
		{ID: math.MaxInt64, Score: 612, Individual: 600, Pillars: graph.Pillars{Purchase: 0.3, Info: 0.5, Bills: 0.2, Credit: 0.1},
			Base: 0.4, Network: 0.45, PageRank: 0.25, Percentile: 50, Friends: 1, FriendMean: 1e21},
		{ID: 7, Score: 612, Individual: 600, Pillars: graph.Pillars{Purchase: 0.3, Info: 0.5, Bills: 0.2, Credit: 0.1},
			Base: 0.4, Network: 0.45, PageRank: 0.25, Percentile: 50, Friends: 5, FriendMean: 640,
			Facts: graph.RecordFacts{Known: true, PurchaseCount: 2, BillsLate: 1, CreditOnTime: 1},
			Share: graph.NetworkShare{Known: true, Raise: 0.07, Lower: -0.02, Raising: 3, Lowering: 2}},
	} {
		e := scoring.Explain(r, p)
		e.Reasons = append(e.Reasons, scoring.Reason{Code: "X", Text: "<fifth>"}) // cut to four
		for _, stale := range []bool{false, true} {
			got := enc.append(nil, r, view, &e, stale)
			want, err := json.Marshal(newScoreResponse(r, view, e, stale))
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got), "result %d stale %v", i, stale)
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", "\"\\/\b\f\n\r\t", "\x00\x1f\x7f", "<>&", "\u2028\u2029", "é漢字🙂", "bad\xffutf8\xc3"} {
		want, err := json.Marshal(s)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(appendJSONString(nil, s)), "%q", s)
	}
	for _, f := range []float64{0, 1, -1, 0.1, 1e-7, 1e-6, 123456789.125, 1e20, 1e21, 5e-324, math.MaxFloat64} {
		want, err := json.Marshal(f)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(appendJSONFloat(nil, f)), "%v", f)
	}
	assert.Equal(t, "null", string(appendJSONFloat(nil, math.NaN())))
}
