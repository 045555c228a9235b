package simulate

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

func waitFinal(t *testing.T, j *Jobs, id string) JobStatus {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		st, err := j.Get(id)
		require.NoError(t, err)
		if st.State.Final() {
			return st
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("job %s did not finish", id)
	return JobStatus{}
}

func TestJobsRunAndResults(t *testing.T) {
	j := NewJobs(4, 1, nil)
	defer j.Close()
	sw := Sweep{Base: testConfig(t, scoring.PolicyTencent, 500, 2), Replicates: 2,
		Axes: []Axis{{Field: "alpha", Values: []string{"0", "0.3"}}}}
	id, err := j.Submit(sw)
	require.NoError(t, err)
	st := waitFinal(t, j, id)
	require.Equal(t, JobSucceeded, st.State, st.Error)
	assert.Equal(t, 1.0, st.Progress)
	require.NotNil(t, st.Summary)
	require.Len(t, st.Summary.Runs, 2)
	assert.Equal(t, "alpha=0.3", st.Summary.Runs[1].Label)
	assert.NotNil(t, st.Started)
	assert.NotNil(t, st.Finished)

	// The same request through RunSweep gives the same summary.
	res, err := RunSweep(context.Background(), sw, nil, SweepOptions{})
	require.NoError(t, err)
	assert.Equal(t, Summarize(res), st.Summary)

	_, err = j.Get("nope")
	assert.ErrorIs(t, err, graph.ErrNotFound)
	_, err = j.Cancel("nope")
	assert.ErrorIs(t, err, graph.ErrNotFound)
}

func TestJobsBadRequests(t *testing.T) {
	j := NewJobs(4, 1, nil)
	defer j.Close()
	base := testConfig(t, scoring.PolicySesame, 300, 1)
	bad := base
	bad.PFormTie = -1
	_, err := j.Submit(Sweep{Base: bad, Replicates: 1})
	requireField(t, err, "base/p_form_tie")
	_, err = j.Submit(Sweep{Base: base, Replicates: 1, Axes: []Axis{{Field: "beta", Values: []string{"1"}}}})
	requireField(t, err, "axes/0/field")
	bad = base
	bad.People = 0
	_, err = j.Submit(Sweep{Base: bad, Replicates: 1})
	requireField(t, err, "people")
	bad.People = MaxJobPeople + 1
	_, err = j.Submit(Sweep{Base: bad, Replicates: 1})
	requireField(t, err, "people")
	// A policy file is never read for a job, even if a loader is set.
	_, err = j.Submit(Sweep{Base: base, Replicates: 1, Axes: []Axis{{Field: "policy", Values: []string{"/etc/passwd.json"}}},
		PolicyLoader: scoring.LoadPolicy})
	requireField(t, err, "policy")
}

// A blocking loader keeps the one worker busy, so the queue fills.
func TestJobsQueueFullAndCancel(t *testing.T) {
	release := make(chan struct{})
	var loads atomic.Int32
	net, err := SeededNetwork(300, 1)
	require.NoError(t, err)
	load := func(ctx context.Context) (*graph.Snapshot, error) {
		loads.Add(1)
		select {
		case <-release:
			return net, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	j := NewJobs(2, 1, load)
	defer j.Close()
	stored := testConfig(t, scoring.PolicySesame, 0, 2)
	req := Sweep{Base: stored, Replicates: 1}

	running, err := j.Submit(req)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return loads.Load() == 1 }, 10*time.Second, time.Millisecond)
	st, err := j.Get(running)
	require.NoError(t, err)
	assert.Equal(t, JobRunning, st.State)

	q1, err := j.Submit(req)
	require.NoError(t, err)
	q2, err := j.Submit(req)
	require.NoError(t, err)
	_, err = j.Submit(req)
	assert.True(t, errors.Is(err, ErrQueueFull), "%v", err)

	// Cancelling a queued job frees its place at once.
	st, err = j.Cancel(q1)
	require.NoError(t, err)
	assert.Equal(t, JobCancelled, st.State)
	q3, err := j.Submit(req)
	require.NoError(t, err)

	// Cancelling the running job stops it.
	_, err = j.Cancel(running)
	require.NoError(t, err)
	assert.Equal(t, JobCancelled, waitFinal(t, j, running).State)

	close(release)
	for _, id := range []string{q2, q3} {
		st := waitFinal(t, j, id)
		assert.Equal(t, JobSucceeded, st.State, st.Error)
	}
	st, err = j.Cancel(q2)
	require.NoError(t, err)
	assert.Equal(t, JobSucceeded, st.State, "cancelling a finished job changes nothing")

	// The stored network was simulated on a copy.
	fresh, err := SeededNetwork(300, 1)
	require.NoError(t, err)
	assert.Equal(t, fresh, net)
}

func TestJobsFailure(t *testing.T) {
	j := NewJobs(1, 1, func(context.Context) (*graph.Snapshot, error) {
		return nil, errors.New("store down")
	})
	defer j.Close()
	id, err := j.Submit(Sweep{Base: testConfig(t, scoring.PolicySesame, 0, 1), Replicates: 1})
	require.NoError(t, err)
	st := waitFinal(t, j, id)
	assert.Equal(t, JobFailed, st.State)
	assert.Contains(t, st.Error, "store down")
}
