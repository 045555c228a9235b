package graphtest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// tick waits until the clock has moved past the last change, so that
// changes made one after another have distinct times even in a store that
// keeps milliseconds only.
func tick() { time.Sleep(3 * time.Millisecond) }

// testTieLog: every acknowledged PutTie and DeleteTie that changes a tie
// is logged under both its people, with the store's time and an
// increasing sequence; writes that change nothing or fail log nothing;
// batch ties are not logged; the ties at a time are recovered from the
// ties now and the log; erasing a person leaves no entry naming them.
func (o opener) testTieLog(t *testing.T) {
	s := o.store(t)
	tl, ok := s.(graph.TieLog)
	require.True(t, ok, "the store logs tie changes (graph.TieLog)")
	ctx := t.Context()
	requireStored(t, s, people(true, 1, 2, 3, 4)...)

	t0 := time.Now().Add(-time.Millisecond)
	var times []time.Time // before each change
	change := func(fn func() error) {
		t.Helper()
		tick()
		times = append(times, time.Now())
		tick()
		require.NoError(t, fn())
	}
	change(func() error { return s.PutTie(ctx, friend(2, 1, 2)) })
	require.NoError(t, s.PutTie(ctx, friend(1, 2, 2)), "the same weight again: no change, no entry")
	change(func() error { return s.PutTie(ctx, friend(1, 2, 3)) })
	change(func() error { return s.PutTie(ctx, recruited(1, 3)) })
	require.NoError(t, s.PutTie(ctx, recruited(1, 3)), "the same recruitment again: no entry")
	assert.ErrorIs(t, s.PutTie(ctx, recruited(2, 3)), graph.ErrConflict)
	assert.ErrorIs(t, s.PutTie(ctx, friend(1, 99, 1)), graph.ErrNotFound)
	assert.ErrorIs(t, s.DeleteTie(ctx, graph.Friend, 1, 4), graph.ErrNotFound)
	change(func() error { return s.PutTie(ctx, friend(1, 4, 0)) })
	change(func() error { return s.DeleteTie(ctx, graph.Friend, 2, 1) })
	change(func() error { return s.DeleteTie(ctx, graph.Recruited, 1, 3) })
	tick()
	t1 := time.Now().Add(time.Millisecond)

	h, err := tl.TieHistory(ctx, 1, time.Time{})
	require.NoError(t, err)
	want := []struct {
		op       graph.TieOp
		tie      graph.Tie
		previous float64
	}{
		{graph.TieAdded, friend(1, 2, 2), 0},
		{graph.TieReweighted, friend(1, 2, 3), 2},
		{graph.TieAdded, graph.Tie{Kind: graph.Recruited, From: 1, To: 3, Weight: 1}, 0},
		{graph.TieAdded, friend(1, 4, 1), 0},
		{graph.TieRemoved, friend(1, 2, 3), 0},
		{graph.TieRemoved, graph.Tie{Kind: graph.Recruited, From: 1, To: 3, Weight: 1}, 0},
	}
	require.Len(t, h.Log, len(want), "one entry per change that changed a tie: %+v", h.Log)
	for i, w := range want {
		e := h.Log[i]
		assert.Equal(t, w.op, e.Op, "entry %d", i)
		assert.Equal(t, w.tie, e.Tie, "entry %d", i)
		assert.Equal(t, w.previous, e.Previous, "entry %d", i)
		assert.False(t, e.At.Before(ms(times[i])), "entry %d at %v, made after %v", i, e.At, times[i])
		if i+1 < len(times) {
			assert.True(t, e.At.Before(times[i+1]), "entry %d at %v, made before %v", i, e.At, times[i+1])
		}
		assert.True(t, e.At.After(t0) && e.At.Before(t1))
		if i > 0 {
			assert.Greater(t, e.Seq, h.Log[i-1].Seq, "sequence increases")
		}
	}
	assert.Equal(t, []graph.Tie{friend(1, 4, 1)}, h.Ties)

	// The other person's log holds the same entries, with the same seq.
	h2, err := tl.TieHistory(ctx, 2, time.Time{})
	require.NoError(t, err)
	require.Len(t, h2.Log, 3)
	for i, k := range []int{0, 1, 4} {
		assert.Equal(t, h.Log[k], h2.Log[i])
	}
	h3, err := tl.TieHistory(ctx, 3, time.Time{})
	require.NoError(t, err)
	require.Len(t, h3.Log, 2)
	assert.Equal(t, h.Log[2], h3.Log[0])

	// since keeps the entries at or after it; At recovers the ties before
	// each change.
	hs, err := tl.TieHistory(ctx, 1, h.Log[3].At)
	require.NoError(t, err)
	assert.Equal(t, h.Log[3:], hs.Log)
	assert.Equal(t, h.Ties, hs.Ties)
	assert.Empty(t, h.At(times[0]), "no ties before the first change")
	assert.Equal(t, []graph.Tie{friend(1, 2, 2)}, h.At(times[1]))
	assert.Equal(t, []graph.Tie{friend(1, 2, 3)}, h.At(times[2]))
	assert.Equal(t, []graph.Tie{friend(1, 2, 3), friend(1, 4, 1), {Kind: graph.Recruited, From: 1, To: 3, Weight: 1}}, h.At(times[4]))
	assert.Equal(t, h.Ties, h.At(t1))
	assert.Equal(t, []graph.Tie{friend(1, 2, 3), friend(1, 4, 1), {Kind: graph.Recruited, From: 1, To: 3, Weight: 1}}, hs.At(times[4]),
		"a history read since a time recovers the ties at any time after it")

	_, err = tl.TieHistory(ctx, 99, time.Time{})
	assert.ErrorIs(t, err, graph.ErrNotFound)

	// Ties a batch creates are not logged.
	require.NoError(t, s.ApplyBatch(ctx, graph.Batch{People: people(true, 5, 6), Ties: []graph.Tie{friend(5, 6, 1), friend(5, 3, 1)}}))
	h5, err := tl.TieHistory(ctx, 5, time.Time{})
	require.NoError(t, err)
	assert.Empty(t, h5.Log)
	assert.Len(t, h5.Ties, 2)
	// Deleting or reweighting one is logged, with the weight it had.
	require.NoError(t, s.DeleteTie(ctx, graph.Friend, 6, 5))
	require.NoError(t, s.PutTie(ctx, friend(3, 5, 4)))
	h5, err = tl.TieHistory(ctx, 5, time.Time{})
	require.NoError(t, err)
	require.Len(t, h5.Log, 2)
	assert.Equal(t, graph.TieRemoved, h5.Log[0].Op)
	assert.Equal(t, friend(5, 6, 1), h5.Log[0].Tie)
	assert.Equal(t, graph.TieReweighted, h5.Log[1].Op)
	assert.Equal(t, friend(3, 5, 4), h5.Log[1].Tie)
	assert.Equal(t, 1.0, h5.Log[1].Previous)
	assert.ElementsMatch(t, []graph.Tie{friend(5, 6, 1), friend(3, 5, 1)}, h5.At(h5.Log[0].At), "the batch's ties, before the changes")

	// Erasing 4 leaves no entry naming 4, in anyone's log.
	requireTies(t, s, friend(3, 4, 1), recruited(4, 2))
	require.NoError(t, s.DeletePerson(ctx, 4))
	for _, id := range []graph.ID{1, 2, 3} {
		h, err := tl.TieHistory(ctx, id, time.Time{})
		require.NoError(t, err)
		for _, e := range h.Log {
			assert.NotEqual(t, graph.ID(4), e.Tie.From, "person %d's log names the erased person: %+v", id, e)
			assert.NotEqual(t, graph.ID(4), e.Tie.To, "person %d's log names the erased person: %+v", id, e)
		}
	}
	h, err = tl.TieHistory(ctx, 1, time.Time{})
	require.NoError(t, err)
	assert.Len(t, h.Log, 5, "1's entries about 2 and 3 stay, the one about 4 is gone")
}
