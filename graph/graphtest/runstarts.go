package graphtest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// testRunStarts: RunStarted gives each retained run's StartedAt as saved
// (to the millisecond: stores may drop finer parts) and leaves out ids of
// runs it does not hold.
func (o opener) testRunStarts(t *testing.T) {
	s := o.store(t)
	rs, ok := s.(graph.RunStarts)
	require.True(t, ok, "the store keeps run start times (graph.RunStarts)")
	ctx := t.Context()
	requireStored(t, s, people(true, 1, 2)...)
	run1, run2 := newRun(1), newRun(2)
	got, err := rs.RunStarted(ctx, []string{run1.ID, run2.ID})
	require.NoError(t, err)
	assert.Empty(t, got, "no runs saved yet")
	require.NoError(t, s.SaveRun(ctx, run1, newResults(1, 1, 2)))
	require.NoError(t, s.SaveRun(ctx, run2, newResults(2, 1)))
	got, err = rs.RunStarted(ctx, []string{run2.ID, "nope", run1.ID})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.WithinDuration(t, run1.StartedAt, got[run1.ID], time.Millisecond)
	assert.WithinDuration(t, run2.StartedAt, got[run2.ID], time.Millisecond)
	assert.False(t, got[run1.ID].Equal(got[run2.ID]))
	got, err = rs.RunStarted(ctx, []string{run2.ID})
	require.NoError(t, err)
	assert.Len(t, got, 1, "only the runs asked for")
}
