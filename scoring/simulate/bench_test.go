package simulate

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/scoring"
)

// BenchmarkStep measures one round (decisions, edits, re-scoring) on a
// seeded network; metrics are not collected. The model keeps stepping, so
// later iterations see a network that has already lost ties.
//
//	go test -run '^$' -bench Step -benchmem ./scoring/simulate
func BenchmarkStep(b *testing.B) {
	for _, people := range []int{10_000, 100_000} {
		for _, pol := range []string{scoring.PolicySesame, scoring.PolicyTencent} {
			b.Run(fmt.Sprintf("people=%d/policy=%s", people, pol), func(b *testing.B) {
				cfg := testConfig(b, pol, people, 1)
				m, err := NewModel(context.Background(), cfg, nil, Options{})
				require.NoError(b, err)
				pushes, sweeps := 0, 0
				for b.Loop() {
					r, err := m.Step(context.Background())
					require.NoError(b, err)
					pushes += r.Pushes
					sweeps += r.Sweeps
				}
				b.ReportMetric(float64(pushes)/float64(b.N), "pushes/op")
				b.ReportMetric(float64(sweeps)/float64(b.N), "sweeps/op")
			})
		}
	}
}

// BenchmarkMetrics measures collecting the metrics of one step.
func BenchmarkMetrics(b *testing.B) {
	cfg := testConfig(b, scoring.PolicyTencent, 100_000, 1)
	m, err := NewModel(context.Background(), cfg, nil, Options{})
	require.NoError(b, err)
	for b.Loop() {
		_ = m.Metrics()
	}
}
