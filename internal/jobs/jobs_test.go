package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/jobs"
)

// gate is a Func that blocks until released or cancelled, and says when
// it has started.
type gate struct {
	started chan string
	release chan struct{}
}

func newGate() *gate { return &gate{started: make(chan string, 100), release: make(chan struct{})} }

func (g *gate) fn(result any) jobs.Func {
	return func(ctx context.Context, report func(jobs.Progress)) (any, error) {
		report(jobs.Progress{Fraction: 0.5, Phase: "half"})
		g.started <- jobs.ID(ctx)
		select {
		case <-g.release:
			return result, nil
		case <-ctx.Done():
			return nil, fmt.Errorf("stopped: %w", ctx.Err())
		}
	}
}

func waitFinal(t *testing.T, m *jobs.Manager, kind, id string) jobs.Job {
	t.Helper()
	var j jobs.Job
	require.Eventually(t, func() bool {
		var err error
		j, err = m.Get(kind, id)
		require.NoError(t, err)
		return j.Status.Final()
	}, 10*time.Second, time.Millisecond)
	return j
}

func TestLifecycle(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
	m := jobs.New(clock)
	defer m.Close()
	m.Register("sim", jobs.Limits{Workers: 1, MaxQueued: 1})
	g := newGate()

	a, err := m.Submit("sim", "input a", g.fn("result a"))
	require.NoError(t, err)
	assert.Equal(t, jobs.Running, a.Status, "a free worker starts the job at once")
	assert.Equal(t, "sim", a.Kind)
	assert.Equal(t, "input a", a.Input)
	assert.Equal(t, a.CreatedAt, a.StartedAt)
	assert.True(t, a.FinishedAt.IsZero())
	assert.Equal(t, a.ID, <-g.started, "the Func sees its job's id")

	b, err := m.Submit("sim", "input b", g.fn("result b"))
	require.NoError(t, err)
	assert.Equal(t, jobs.Queued, b.Status)
	assert.True(t, b.StartedAt.IsZero())
	_, err = m.Submit("sim", nil, g.fn(nil))
	assert.ErrorIs(t, err, jobs.ErrQueueFull)

	got, err := m.Get("sim", a.ID)
	require.NoError(t, err)
	assert.Equal(t, jobs.Progress{Fraction: 0.5, Phase: "half"}, got.Progress)

	g.release <- struct{}{} // a ends; b starts
	a = waitFinal(t, m, "sim", a.ID)
	assert.Equal(t, jobs.Succeeded, a.Status)
	assert.Equal(t, "result a", a.Result)
	assert.Equal(t, 1.0, a.Progress.Fraction)
	assert.True(t, a.FinishedAt.After(a.StartedAt))
	assert.Equal(t, b.ID, <-g.started)
	b, err = m.Get("sim", b.ID)
	require.NoError(t, err)
	assert.Equal(t, jobs.Running, b.Status)
	assert.True(t, b.StartedAt.After(b.CreatedAt), "a queued job starts when a worker is free")
	close(g.release)
	assert.Equal(t, jobs.Succeeded, waitFinal(t, m, "sim", b.ID).Status)

	list := m.List("sim", 0)
	require.Len(t, list, 2)
	assert.Equal(t, []string{b.ID, a.ID}, []string{list[0].ID, list[1].ID}, "newest first")
	assert.Len(t, m.List("sim", 1), 1)
	assert.Equal(t, b.ID, m.List("sim", 1)[0].ID)
}

func TestFailureAndKinds(t *testing.T) {
	m := jobs.New(nil)
	defer m.Close()
	m.Register("run", jobs.Limits{})
	m.Register("export", jobs.Limits{Workers: 2})
	j, err := m.Submit("run", nil, func(context.Context, func(jobs.Progress)) (any, error) {
		return nil, errors.New("store down")
	})
	require.NoError(t, err)
	j = waitFinal(t, m, "run", j.ID)
	assert.Equal(t, jobs.Failed, j.Status)
	assert.Equal(t, "store down", j.Error)

	// A context error that did not come from cancelling the job is a failure.
	j, err = m.Submit("run", nil, func(context.Context, func(jobs.Progress)) (any, error) {
		return nil, context.Canceled
	})
	require.NoError(t, err)
	assert.Equal(t, jobs.Failed, waitFinal(t, m, "run", j.ID).Status)

	_, err = m.Get("export", j.ID)
	assert.ErrorIs(t, err, graph.ErrNotFound, "a job is found only under its own kind")
	_, err = m.Delete("export", j.ID)
	assert.ErrorIs(t, err, graph.ErrNotFound)
	assert.Empty(t, m.List("export", 0))
	_, err = m.Submit("shock", nil, nil)
	assert.Error(t, err, "unregistered kind")
	assert.Panics(t, func() { m.Register("run", jobs.Limits{}) })
}

// Deleting a job makes it unknown at once, whatever its status, and a
// running job is cancelled; its worker stays busy until its Func returns.
func TestDelete(t *testing.T) {
	m := jobs.New(nil)
	defer m.Close()
	m.Register("sim", jobs.Limits{Workers: 1, MaxQueued: 2})
	g := newGate()
	stopped := make(chan struct{})
	running, err := m.Submit("sim", nil, func(ctx context.Context, _ func(jobs.Progress)) (any, error) {
		<-ctx.Done()
		<-stopped // hold the worker after the cancel
		return nil, ctx.Err()
	})
	require.NoError(t, err)
	queued, err := m.Submit("sim", nil, g.fn("q"))
	require.NoError(t, err)

	j, err := m.Delete("sim", queued.ID)
	require.NoError(t, err)
	assert.Equal(t, jobs.Cancelled, j.Status)
	assert.False(t, j.FinishedAt.IsZero())
	_, err = m.Get("sim", queued.ID)
	assert.ErrorIs(t, err, graph.ErrNotFound)

	j, err = m.Delete("sim", running.ID)
	require.NoError(t, err)
	assert.Equal(t, jobs.Running, j.Status, "as it was when deleted")
	_, err = m.Get("sim", running.ID)
	assert.ErrorIs(t, err, graph.ErrNotFound)

	next, err := m.Submit("sim", nil, g.fn("next"))
	require.NoError(t, err)
	assert.Equal(t, jobs.Queued, next.Status, "the deleted job's Func has not returned yet")
	close(stopped)
	assert.Equal(t, next.ID, <-g.started)
	close(g.release)
	assert.Equal(t, jobs.Succeeded, waitFinal(t, m, "sim", next.ID).Status)
	_, err = m.Get("sim", running.ID)
	assert.ErrorIs(t, err, graph.ErrNotFound, "a deleted job's outcome is dropped")

	j, err = m.Delete("sim", next.ID)
	require.NoError(t, err)
	assert.Equal(t, jobs.Succeeded, j.Status)
	_, err = m.Get("sim", next.ID)
	assert.ErrorIs(t, err, graph.ErrNotFound)
	assert.Empty(t, m.List("sim", 0))
}

func TestKeep(t *testing.T) {
	m := jobs.New(nil)
	defer m.Close()
	m.Register("run", jobs.Limits{Keep: 3})
	var ids []string
	for i := range 5 {
		j, err := m.Submit("run", i, func(context.Context, func(jobs.Progress)) (any, error) { return i, nil })
		require.NoError(t, err)
		waitFinal(t, m, "run", j.ID)
		ids = append(ids, j.ID)
	}
	list := m.List("run", 0)
	require.Len(t, list, 3)
	assert.Equal(t, []string{ids[4], ids[3], ids[2]}, []string{list[0].ID, list[1].ID, list[2].ID})
	_, err := m.Get("run", ids[1])
	assert.ErrorIs(t, err, graph.ErrNotFound, "the oldest finished jobs are forgotten")
}

func TestClose(t *testing.T) {
	m := jobs.New(nil)
	m.Register("sim", jobs.Limits{Workers: 1, MaxQueued: 1})
	g := newGate()
	running, err := m.Submit("sim", nil, g.fn(nil))
	require.NoError(t, err)
	<-g.started
	queued, err := m.Submit("sim", nil, g.fn(nil))
	require.NoError(t, err)

	done := make(chan struct{})
	go func() { m.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close does not cancel the running job")
	}
	j, err := m.Get("sim", running.ID)
	require.NoError(t, err)
	assert.Equal(t, jobs.Cancelled, j.Status)
	j, err = m.Get("sim", queued.ID)
	require.NoError(t, err)
	assert.Equal(t, jobs.Cancelled, j.Status)
	assert.True(t, j.StartedAt.IsZero(), "a queued job never starts after Close")
	_, err = m.Submit("sim", nil, g.fn(nil))
	assert.ErrorIs(t, err, jobs.ErrClosed)
	m.Close()
}

func TestOwnerShareOfTheQueue(t *testing.T) {
	m := jobs.New(nil)
	defer m.Close()
	m.Register("sim", jobs.Limits{Workers: 1, MaxQueued: 4, MaxQueuedPerOwner: 2})
	g := newGate()
	run, err := m.SubmitAs("sim", "greedy", nil, g.fn(nil))
	require.NoError(t, err)
	assert.Equal(t, jobs.Running, run.Status)
	assert.Equal(t, "greedy", run.Owner)
	<-g.started
	for range 2 {
		j, err := m.SubmitAs("sim", "greedy", nil, g.fn(nil))
		require.NoError(t, err)
		assert.Equal(t, jobs.Queued, j.Status)
	}
	_, err = m.SubmitAs("sim", "greedy", nil, g.fn(nil))
	assert.ErrorIs(t, err, jobs.ErrOwnerQueueFull, "greedy has used its share")
	assert.ErrorIs(t, err, jobs.ErrQueueFull, "and it is a kind of full queue")
	for range 2 {
		_, err := m.SubmitAs("sim", "other", nil, g.fn(nil))
		require.NoError(t, err, "another owner still gets in")
	}
	_, err = m.SubmitAs("sim", "third", nil, g.fn(nil))
	assert.ErrorIs(t, err, jobs.ErrQueueFull, "the whole queue is full")
	assert.NotErrorIs(t, err, jobs.ErrOwnerQueueFull)
	close(g.release)
}
