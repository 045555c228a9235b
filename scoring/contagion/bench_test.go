package contagion

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
	"github.com/socialscore/socialscore/seed"
)

var (
	benchMu    sync.Mutex
	benchCache = map[int]*graph.Snapshot{}
)

// seededSnapshot returns the seeded network of n people (seed 1, mean
// degree 10: 5n friendships), built once per process.
func seededSnapshot(b testing.TB, n int) *graph.Snapshot {
	benchMu.Lock()
	defer benchMu.Unlock()
	if s, ok := benchCache[n]; ok {
		return s
	}
	batch, err := seed.Generate(seed.Config{People: n, Seed: 1})
	require.NoError(b, err)
	s := snapshotOf(b, batch)
	benchCache[n] = s
	return s
}

// BenchmarkShock: a default of the person with the most friends in a
// seeded network of 100,000 people (500,000 friendships) under tencent
// (α = 0.5), reporting 10 steps and the total at convergence. "baseline"
// includes scoring the snapshot; "given" reuses a baseline, as the API
// can with the current run's results.
func BenchmarkShock(b *testing.B) {
	s := seededSnapshot(b, 100_000)
	pol, _ := scoring.Preset(scoring.PolicyTencent)
	hub := int32(0)
	for i := range int32(s.Len()) {
		if s.Degree(i) > s.Degree(hub) {
			hub = i
		}
	}
	ev, err := ParseEvent("default:5000", testNow)
	require.NoError(b, err)
	req := ShockRequest{Changes: []Change{{ID: s.IDs[hub], Events: []graph.Event{ev}}}, Now: testNow}
	ctx := context.Background()
	base, _, err := scoring.ScoreSnapshot(ctx, s, pol, scoring.Options{})
	require.NoError(b, err)
	for _, c := range []struct {
		name     string
		baseline []graph.Result
	}{{"baseline", nil}, {"given", base}} {
		b.Run(c.name, func(b *testing.B) {
			r := req
			r.Baseline = c.baseline
			var res ShockResult
			c0 := cpuTime()
			for b.Loop() {
				res, err = Shock(ctx, s, pol, r)
				require.NoError(b, err)
			}
			b.ReportMetric(float64((cpuTime()-c0).Milliseconds())/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(res.Total.Moved), "moved")
			b.ReportMetric(float64(res.Iterations), "iterations")
		})
	}
}

func BenchmarkEgo(b *testing.B) {
	s := seededSnapshot(b, 100_000)
	pol, _ := scoring.Preset(scoring.PolicySesame)
	base, _, err := scoring.ScoreSnapshot(context.Background(), s, pol, scoring.Options{})
	require.NoError(b, err)
	sc := Scores{Results: base, Policy: &pol}
	for b.Loop() {
		_, err := Ego(s, sc, s.IDs[500], 2, DefaultEgoLimit)
		require.NoError(b, err)
	}
}
