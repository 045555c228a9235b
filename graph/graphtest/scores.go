package graphtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// newRun returns the n-th run of a test. Its times carry sub-millisecond
// parts, which stores may drop.
func newRun(n int) graph.Run {
	start := base.Add(time.Duration(n)*time.Hour + 250*time.Millisecond + 777*time.Microsecond)
	return graph.Run{
		ID:          fmt.Sprintf("run-%04d", n),
		Policy:      []string{"sesame", "tencent", "lenddo"}[n%3],
		PolicySpec:  fmt.Appendf(nil, `{"name":"p%d","alpha":0.%d,"perks":[]}`, n, n),
		StartedAt:   start,
		FinishedAt:  start.Add(90 * time.Second),
		People:      3 + n,
		Friendships: 2 * n,
	}
}

// runNumber returns n of a run made by newRun.
func runNumber(r graph.Run) int {
	var n int
	if _, err := fmt.Sscanf(r.ID, "run-%d", &n); err != nil {
		panic("graphtest: not a newRun run: " + r.ID)
	}
	return n
}

// newResult returns the result of the person in the n-th run; every field
// depends on both.
func newResult(n int, id graph.ID) graph.Result {
	x := float64(id%1000) + float64(n)/10
	return graph.Result{
		ID:         id,
		Score:      350 + int(int64(id)*7+int64(n)*13)%600,
		Individual: 350 + int(int64(id)*11+int64(n)*3)%600,
		Pillars: graph.Pillars{
			Purchase: x / 2000, Info: 0.125 + x/4000, Bills: 1 - x/3000, Credit: 0.5, Recruitment: x / 1e4,
		},
		Base:       x / 1100,
		Network:    x / 1200,
		PageRank:   1 / (x + 3),
		Percentile: float64(int64(id)*7+int64(n)) / 13,
		Friends:    int32(int64(id)%5 + int64(n)),
		FriendMean: 400 + x/3,
		Facts: graph.RecordFacts{
			Known: true, PurchaseCount: uint32(id%7) + uint32(n), BillsOnTime: uint32(n), BillsLate: uint32(id % 3),
			BillDaysLate: uint32(id%3) * 17, CreditOnTime: 4 + uint32(n), CreditLate: uint32(id % 2),
			CreditDaysLate: uint32(id%2) * 40, Defaults: uint32(id+graph.ID(n)) % 2,
		},
		Share: graph.NetworkShare{
			Known: true, Raise: x / 5000, Lower: -x / 7000,
			Raising: int32(int64(id)%3 + int64(n)), Lowering: int32(int64(id) % 2),
		},
	}
}

// newResults returns the results of the people in the n-th run, in the
// order given.
func newResults(n int, ids ...graph.ID) []graph.Result {
	out := make([]graph.Result, len(ids))
	for i, id := range ids {
		out[i] = newResult(n, id)
	}
	return out
}

// normRun returns r with its times compared at millisecond precision.
func normRun(r graph.Run) graph.Run {
	r.StartedAt, r.FinishedAt = ms(r.StartedAt), ms(r.FinishedAt)
	return r
}

// assertLatest checks that the latest run is want, with exactly the
// results given (in ascending id order).
func assertLatest(t *testing.T, s graph.Store, want graph.Run, results []graph.Result) {
	t.Helper()
	run, got, err := s.LatestRun(t.Context())
	if !assert.NoError(t, err, "latest run") {
		return
	}
	assert.Equal(t, normRun(want), normRun(run), "latest run")
	assert.Equal(t, results, append([]graph.Result{}, got...), "results of the latest run, ordered by id")
}

// historyOf returns the history entries of the person in the runs given
// (newest first), as newResult scored them.
func historyOf(id graph.ID, runs ...graph.Run) []graph.HistoryEntry {
	out := []graph.HistoryEntry{}
	for _, r := range runs {
		res := newResult(runNumber(r), id)
		out = append(out, graph.HistoryEntry{
			RunID: r.ID, Policy: r.Policy, ComputedAt: ms(r.FinishedAt),
			Score: res.Score, Individual: res.Individual,
			PolicySpec: r.PolicySpec, Result: res,
		})
	}
	return out
}

// assertHistory checks the person's history with the limit.
func assertHistory(t *testing.T, s graph.Store, id graph.ID, limit int, want []graph.HistoryEntry) {
	t.Helper()
	got, err := s.History(t.Context(), id, limit)
	if !assert.NoError(t, err, "history of %d", id) {
		return
	}
	norm := []graph.HistoryEntry{}
	for _, h := range got {
		h.ComputedAt = ms(h.ComputedAt)
		norm = append(norm, h)
	}
	assert.Equal(t, want, norm, "history of %d, limit %d", id, limit)
}

func (o opener) testScores(t *testing.T) {
	t.Run("NoRunYet", func(t *testing.T) {
		s := o.store(t)
		_, _, err := s.LatestRun(t.Context())
		assertErrIs(t, err, graph.ErrNotFound)
	})

	t.Run("SaveAndLatest", func(t *testing.T) {
		s := o.store(t)
		requireStored(t, s, people(true, 1, 2, 3, 4, 1<<40)...)
		run := newRun(1)
		require.NoError(t, s.SaveRun(t.Context(), run, newResults(1, 4, 1<<40, 2, 1, 3)))
		assertLatest(t, s, run, newResults(1, 1, 2, 3, 4, 1<<40))
	})

	t.Run("EmptyRun", func(t *testing.T) {
		s := o.store(t)
		run := newRun(1)
		require.NoError(t, s.SaveRun(t.Context(), run, nil))
		assertLatest(t, s, run, []graph.Result{})
	})

	t.Run("SecondRunReplacesFirst", func(t *testing.T) {
		s := o.store(t)
		requireStored(t, s, people(true, 1, 2, 3)...)
		run1, run2 := newRun(1), newRun(2)
		require.NoError(t, s.SaveRun(t.Context(), run1, newResults(1, 1, 2, 3)))
		require.NoError(t, s.SaveRun(t.Context(), run2, newResults(2, 3, 1)))
		assertLatest(t, s, run2, newResults(2, 1, 3))
	})

	t.Run("FailedSaveKeepsPrevious", func(t *testing.T) {
		s := o.store(t)
		requireStored(t, s, people(true, 1, 2)...)
		run1 := newRun(1)
		require.NoError(t, s.SaveRun(t.Context(), run1, newResults(1, 1, 2)))
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		assert.Error(t, s.SaveRun(ctx, newRun(2), newResults(2, 1, 2)), "a cancelled save fails")
		assertLatest(t, s, run1, newResults(1, 1, 2))
		assertHistory(t, s, 1, 10, historyOf(1, run1))
	})

	t.Run("History", func(t *testing.T) {
		s := o.store(t)
		ctx := t.Context()
		requireStored(t, s, people(true, 1, 2, 3, 4)...)
		run1, run2, run3 := newRun(1), newRun(2), newRun(3)
		require.NoError(t, s.SaveRun(ctx, run1, newResults(1, 1, 2, 3)))
		require.NoError(t, s.SaveRun(ctx, run2, newResults(2, 1, 3)))
		require.NoError(t, s.SaveRun(ctx, run3, newResults(3, 2, 1)))

		assertHistory(t, s, 1, 10, historyOf(1, run3, run2, run1))
		assertHistory(t, s, 1, 2, historyOf(1, run3, run2))
		assertHistory(t, s, 1, 1, historyOf(1, run3))
		assertHistory(t, s, 2, 10, historyOf(2, run3, run1))
		assertHistory(t, s, 3, 1, historyOf(3, run2))
		assertHistory(t, s, 4, 10, historyOf(4)) // a person without scores

		_, err := s.History(ctx, 99, 10)
		assertErrIs(t, err, graph.ErrNotFound)
	})

	t.Run("FactsAndSharesRoundTrip", func(t *testing.T) {
		// Record facts and friends' shares read back as saved, known or
		// not (a result may carry either without the other), in the
		// latest run and in history.
		s := o.store(t)
		ctx := t.Context()
		requireStored(t, s, people(true, 1, 2, 3)...)
		rs := newResults(1, 1, 2, 3)
		rs[0].Facts, rs[0].Share = graph.RecordFacts{}, graph.NetworkShare{}
		rs[1].Share = graph.NetworkShare{}
		rs[2].Facts = graph.RecordFacts{}
		rs[2].Share.Lower, rs[2].Share.Lowering = -0.5, 1<<30
		rs[1].Facts.Defaults, rs[1].Facts.CreditOnTime = 1<<32-1, 0
		run := newRun(1)
		require.NoError(t, s.SaveRun(ctx, run, rs))
		assertLatest(t, s, run, rs)
		for _, r := range rs {
			h, err := s.History(ctx, r.ID, 0)
			require.NoError(t, err)
			require.Len(t, h, 1)
			assert.Equal(t, r, h[0].Result, "history of %d", r.ID)
			assert.Equal(t, run.PolicySpec, h[0].PolicySpec)
		}
	})

	t.Run("ResultsOfAbsentPeopleDropped", func(t *testing.T) {
		s := o.store(t)
		ctx := t.Context()
		requireStored(t, s, people(true, 1, 3, 5)...)
		requireStored(t, s, newPerson(4, false))
		run := newRun(1)
		// 2, 6 and 99 do not exist; 4 has not consented (suite choice,
		// see the package documentation).
		require.NoError(t, s.SaveRun(ctx, run, newResults(1, 99, 4, 3, 2, 1, 6, 5)))
		assertLatest(t, s, run, newResults(1, 1, 3, 5))
		assertHistory(t, s, 4, 10, historyOf(4))

		// Results of people deleted later go with them.
		require.NoError(t, s.DeletePerson(ctx, 3))
		assertLatest(t, s, run, newResults(1, 1, 5))
	})
}

func (o opener) testCounts(t *testing.T) {
	s := o.store(t)
	ctx := t.Context()
	count := func() graph.Counts {
		c, err := s.Counts(ctx)
		require.NoError(t, err)
		return c
	}
	assert.Equal(t, graph.Counts{}, count())
	requireStored(t, s, people(true, 1, 2, 3)...)
	requireStored(t, s, newPerson(4, false))
	requireTies(t, s, friend(1, 2, 0), friend(2, 1, 3), friend(3, 4, 0), recruited(1, 4), recruited(1, 4))
	assert.Equal(t, graph.Counts{People: 4, Consenting: 3, Friendships: 2, Recruitments: 1}, count(),
		"a friendship counts once however often it is put; non-consenting people and their ties count")

	require.NoError(t, putPerson(t, s, newPerson(1, false)))
	assert.Equal(t, graph.Counts{People: 4, Consenting: 2, Friendships: 2, Recruitments: 1}, count())

	require.NoError(t, s.DeleteTie(ctx, graph.Friend, 4, 3))
	assert.Equal(t, graph.Counts{People: 4, Consenting: 2, Friendships: 1, Recruitments: 1}, count())

	require.NoError(t, s.DeletePerson(ctx, 1))
	assert.Equal(t, graph.Counts{People: 3, Consenting: 2, Friendships: 0, Recruitments: 0}, count())

	require.NoError(t, s.ApplyBatch(ctx, graph.Batch{
		People: people(true, 5, 6),
		Ties:   []graph.Tie{friend(5, 6, 0), friend(2, 5, 0), recruited(5, 6), friend(6, 5, 2)},
	}))
	assert.Equal(t, graph.Counts{People: 5, Consenting: 4, Friendships: 2, Recruitments: 1}, count())
}

func (o opener) testPing(t *testing.T) {
	s, closeStore := o.storeWithClose(t)
	require.NoError(t, s.Ping(t.Context()), "ping while open")
	require.NoError(t, closeStore())
	assertErrIs(t, s.Ping(t.Context()), graph.ErrUnavailable, "ping after close")
}
