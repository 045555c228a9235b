package simulate

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

func TestRunJobResults(t *testing.T) {
	sw := Sweep{Base: testConfig(t, scoring.PolicyTencent, 500, 2), Replicates: 2,
		Axes: []Axis{{Field: "alpha", Values: []string{"0", "0.3"}}}}
	sw, err := CheckJob(sw, false)
	require.NoError(t, err)
	var last, calls, total int
	sum, err := RunJob(context.Background(), sw, nil, 1, func(done, tot int) { last, total = done, tot; calls++ })
	require.NoError(t, err)
	assert.Equal(t, 2*2*2, total, "2 points × 2 replicates × 2 rounds")
	assert.Equal(t, total, last)
	assert.Equal(t, total, calls)
	require.Len(t, sum.Runs, 2)
	assert.Equal(t, "alpha=0.3", sum.Runs[1].Label)

	// The same request through RunSweep gives the same summary.
	res, err := RunSweep(context.Background(), sw, nil, SweepOptions{})
	require.NoError(t, err)
	assert.Equal(t, Summarize(res), sum)
}

func TestCheckJobBadRequests(t *testing.T) {
	base := testConfig(t, scoring.PolicySesame, 300, 1)
	bad := base
	bad.PFormTie = -1
	_, err := CheckJob(Sweep{Base: bad, Replicates: 1}, true)
	requireField(t, err, "base/p_form_tie")
	_, err = CheckJob(Sweep{Base: base, Replicates: 1, Axes: []Axis{{Field: "beta", Values: []string{"1"}}}}, true)
	requireField(t, err, "axes/0/field")
	bad = base
	bad.People = 0
	_, err = CheckJob(Sweep{Base: bad, Replicates: 1}, false)
	requireField(t, err, "people")
	_, err = CheckJob(Sweep{Base: bad, Replicates: 1}, true)
	assert.NoError(t, err, "the stored network, where there is one")
	bad.People = MaxJobPeople + 1
	_, err = CheckJob(Sweep{Base: bad, Replicates: 1}, true)
	requireField(t, err, "people")
	// A policy file is never read for a job, even if a loader is set.
	_, err = CheckJob(Sweep{Base: base, Replicates: 1, Axes: []Axis{{Field: "policy", Values: []string{"/etc/passwd.json"}}},
		PolicyLoader: scoring.LoadPolicy}, true)
	requireField(t, err, "policy")
}

// RunJob simulates the stored network on a copy, and stops when its
// context is cancelled, even while the network loads.
func TestRunJobStoredNetworkAndCancel(t *testing.T) {
	net, err := SeededNetwork(300, 1)
	require.NoError(t, err)
	sw, err := CheckJob(Sweep{Base: testConfig(t, scoring.PolicySesame, 0, 2), Replicates: 1}, true)
	require.NoError(t, err)
	sum, err := RunJob(context.Background(), sw, func(context.Context) (*graph.Snapshot, error) { return net, nil }, 0, nil)
	require.NoError(t, err)
	require.Len(t, sum.Runs, 1)
	fresh, err := SeededNetwork(300, 1)
	require.NoError(t, err)
	assert.Equal(t, fresh, net, "the stored network was simulated on a copy")

	ctx, cancel := context.WithCancel(context.Background())
	loading := make(chan struct{})
	go func() { <-loading; cancel() }()
	done := make(chan error, 1)
	go func() {
		_, err := RunJob(ctx, sw, func(ctx context.Context) (*graph.Snapshot, error) {
			close(loading)
			<-ctx.Done()
			return nil, ctx.Err()
		}, 0, nil)
		done <- err
	}()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("RunJob does not stop when cancelled")
	}

	_, err = RunJob(context.Background(), sw, func(context.Context) (*graph.Snapshot, error) {
		return nil, errors.New("store down")
	}, 0, nil)
	assert.ErrorContains(t, err, "store down")
}
