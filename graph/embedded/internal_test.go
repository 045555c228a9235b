package embedded

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

func TestPersonCodecRoundTrip(t *testing.T) {
	far := time.Date(1200, 5, 6, 7, 8, 9, 999999999, time.UTC)
	people := []graph.Person{
		{ID: 1},
		{ID: 2, Consent: true, Profile: graph.Profile{Provided: 0x7f, Verified: 0x55},
			Record: graph.Record{PurchaseTotal: 1e9, PurchaseCount: math.MaxInt64, BillsOnTime: 1, BillsLate: 2, BillDaysLate: 3,
				CreditOnTime: 4, CreditLate: 5, CreditDaysLate: 6, Defaults: 7, DefaultAmount: 0.1, LastEventAt: far},
			CreatedAt: time.Unix(0, 1).UTC(), UpdatedAt: time.Date(2262, 1, 1, 0, 0, 0, 5, time.UTC)},
		{ID: math.MaxInt64, Record: graph.Record{PurchaseTotal: math.SmallestNonzeroFloat64}, UpdatedAt: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, p := range people {
		v := encodePerson(&p)
		assert.LessOrEqual(t, len(v), personMax)
		assert.Equal(t, p.Consent, personConsents(v))
		var got graph.Person
		require.NoError(t, decodePerson(p.ID, v, &got))
		assert.Equal(t, p, got)
		// Every truncation, and a trailing byte, is detected.
		for n := 0; n < len(v); n++ {
			assert.ErrorIs(t, decodePerson(p.ID, v[:n], &got), errCorrupt, "truncated to %d", n)
		}
		assert.ErrorIs(t, decodePerson(p.ID, append(v[:len(v):len(v)], 0), &got), errCorrupt)
		bad := append([]byte{}, v...)
		bad[0] = 9
		assert.ErrorIs(t, decodePerson(p.ID, bad, &got), errCorrupt, "unknown version")
	}
}

func TestRunCodecRoundTrip(t *testing.T) {
	runs := []graph.Run{
		{ID: "r"},
		{ID: "20240101T000000.000000000Z", Policy: "sesame", PolicySpec: []byte(`{"a":1}`),
			StartedAt: time.Unix(1e9, 123).UTC(), FinishedAt: time.Unix(1e9+5, 0).UTC(), People: 1_000_000, Friendships: 5_000_000},
	}
	for _, r := range runs {
		v := encodeRun(r)
		got, err := decodeRun(v, true)
		require.NoError(t, err)
		assert.Equal(t, r, got)
		got, err = decodeRun(v, false)
		require.NoError(t, err)
		r.PolicySpec = nil
		assert.Equal(t, r, got)
		for n := 0; n < len(v); n++ {
			_, err := decodeRun(v[:n], true)
			assert.ErrorIs(t, err, errCorrupt, "truncated to %d", n)
		}
	}
}

func TestResultCodecRoundTrip(t *testing.T) {
	r := graph.Result{ID: 1 << 50, Score: 950, Individual: -3, Pillars: graph.Pillars{Purchase: 0.1, Info: 0.2, Bills: 0.3, Credit: 0.4, Recruitment: 0.5},
		Base: 0.6, Network: 0.7, PageRank: 1e-9, Percentile: 99.9, Friends: math.MaxInt32, FriendMean: 777.7,
		Facts: graph.RecordFacts{Known: true, PurchaseCount: 1, BillsOnTime: 2, BillsLate: 3, BillDaysLate: 4,
			CreditOnTime: 5, CreditLate: 6, CreditDaysLate: 7, Defaults: math.MaxUint32},
		Share: graph.NetworkShare{Known: true, Raise: 0.25, Lower: -0.125, Raising: 9, Lowering: math.MaxInt32}}
	buf := make([]byte, resultSize)
	putResult(buf, &r)
	assert.Equal(t, r, getResult(buf, resultSize))

	// Unknown facts and shares stay unknown.
	r.Facts, r.Share = graph.RecordFacts{}, graph.NetworkShare{}
	putResult(buf, &r)
	assert.Equal(t, r, getResult(buf, resultSize))

	// A version 1 record (the first 100 bytes) has neither.
	assert.Equal(t, r, getResult(buf[:resultSizeV1], resultSizeV1))
}

// TestEraseAcrossChunks erases people at every position of small chunks
// (first, middle, last, a whole chunk) and checks what is left.
func TestEraseAcrossChunks(t *testing.T) {
	ctx := t.Context()
	s, err := Open(filepath.Join(t.TempDir(), "s.db"), withChunkSize(3))
	require.NoError(t, err)
	defer s.Close()
	var ps []graph.Person
	for id := graph.ID(1); id <= 20; id++ {
		ps = append(ps, graph.Person{ID: id * 10, Consent: true})
	}
	require.NoError(t, s.ApplyBatch(ctx, graph.Batch{People: ps}))
	results := func(run int) []graph.Result {
		var rs []graph.Result
		for id := graph.ID(1); id <= 20; id++ {
			rs = append(rs, graph.Result{ID: id * 10, Score: 400 + run*10 + int(id)})
		}
		return rs
	}
	for run := range 3 {
		require.NoError(t, s.SaveRun(ctx, graph.Run{ID: string(rune('a' + run)), Policy: "p"}, results(run)))
	}
	// Chunks hold ids 10-30, 40-60, 70-90, ...: erase a first (40), a
	// middle (80), a last (120) and all of 130-150; withdraw 200 (the last).
	gone := map[graph.ID]bool{40: true, 80: true, 120: true, 130: true, 140: true, 150: true, 200: true}
	for id := range gone {
		if id == 200 {
			_, err := s.PutPerson(ctx, graph.Person{ID: id})
			require.NoError(t, err)
			continue
		}
		require.NoError(t, s.DeletePerson(ctx, id))
	}
	var want []graph.Result
	for _, r := range results(2) {
		if !gone[r.ID] {
			want = append(want, r)
		}
	}
	_, got, err := s.LatestRun(ctx)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	for id := graph.ID(10); id <= 200; id += 10 {
		h, err := s.History(ctx, id, 0)
		if gone[id] && id != 200 {
			assert.ErrorIs(t, err, graph.ErrNotFound)
			continue
		}
		require.NoError(t, err)
		if gone[id] {
			assert.Empty(t, h, "history of %d", id)
			continue
		}
		require.Len(t, h, 3, "history of %d", id)
		for i, e := range h {
			assert.Equal(t, 400+(2-i)*10+int(id/10), e.Score, "history of %d, entry %d", id, i)
		}
	}
}

// cancelAfter is a context whose Err reports cancellation from the n-th
// call on, to cancel a long operation part way through.
type cancelAfter struct {
	context.Context
	n     int64
	calls atomic.Int64
}

func (c *cancelAfter) Err() error {
	if c.calls.Add(1) >= c.n {
		return context.Canceled
	}
	return nil
}

func TestApplyBatchCancelledMidWrite(t *testing.T) {
	defer func(n int) { checkEvery = n }(checkEvery)
	checkEvery = 256
	s, err := Open(filepath.Join(t.TempDir(), "s.db"))
	require.NoError(t, err)
	defer s.Close()
	var b graph.Batch
	for id := graph.ID(1); id <= 200; id++ {
		b.People = append(b.People, graph.Person{ID: id, Consent: true})
	}
	// 2,000 distinct friendships: 4,000 keys, so the checks of the context
	// fall in the validation and in the writing of friendships.
	for a := graph.ID(1); a <= 200; a++ {
		for d := graph.ID(1); d <= 10; d++ {
			b.Ties = append(b.Ties, graph.Tie{Kind: graph.Friend, From: a, To: (a+d-1)%200 + 1})
		}
	}
	n := int64(3)
	for ; ; n++ {
		ctx := &cancelAfter{Context: t.Context(), n: n}
		err := s.ApplyBatch(ctx, b)
		if err == nil {
			break
		}
		require.True(t, errors.Is(err, context.Canceled), "cancelled after %d checks: %v", n, err)
		c, err := s.Counts(t.Context())
		require.NoError(t, err)
		require.Equal(t, graph.Counts{}, c, "nothing stored when cancelled after %d checks", n)
		snap, err := s.Snapshot(t.Context())
		require.NoError(t, err)
		require.Equal(t, 0, snap.Len())
	}
	t.Logf("cancelled at %d points before it went through", n-3)
	assert.Greater(t, n, int64(12), "the batch was cancelled at many points")
	c, err := s.Counts(t.Context())
	require.NoError(t, err)
	assert.Equal(t, graph.Counts{People: 200, Consenting: 200, Friendships: 2000}, c)
}
