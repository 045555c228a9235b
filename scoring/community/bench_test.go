package community

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	gcommunity "gonum.org/v1/gonum/graph/community"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

var (
	benchMu    sync.Mutex
	benchCache = map[int]*graph.Snapshot{}
)

// benchSnapshot returns the seeded network of n people (seed 1, mean
// degree 10: 5n friendships), built once per process.
func benchSnapshot(b testing.TB, n int) *graph.Snapshot {
	benchMu.Lock()
	defer benchMu.Unlock()
	if s, ok := benchCache[n]; ok {
		return s
	}
	s := snapshotOf(b, n, 1)
	benchCache[n] = s
	return s
}

var benchSizes = []int{10_000, 100_000}

func name(n int) string { return fmt.Sprintf("%dk_%dk", n/1000, 5*n/1000) }

// BenchmarkCDLP: ten Graphalytics CDLP iterations on 10,000 people with
// 50,000 friendships and 100,000 with 500,000.
func BenchmarkCDLP(b *testing.B) {
	for _, n := range benchSizes {
		s := benchSnapshot(b, n)
		labels := make([]int64, n)
		for i, id := range s.IDs {
			labels[i] = int64(id)
		}
		b.Run(name(n), func(b *testing.B) {
			c0 := cpuTime()
			for b.Loop() {
				CDLP(s.Offsets, s.Targets, labels, 10)
			}
			reportCPU(b, c0)
		})
	}
}

// BenchmarkLouvain on the same networks, reporting the modularity found.
func BenchmarkLouvain(b *testing.B) {
	for _, n := range benchSizes {
		s := benchSnapshot(b, n)
		b.Run(name(n), func(b *testing.B) {
			var p Partition
			c0 := cpuTime()
			for b.Loop() {
				var err error
				p, err = Louvain(context.Background(), s.Offsets, s.Targets, s.Weights, LouvainOptions{Seed: 1})
				require.NoError(b, err)
			}
			reportCPU(b, c0)
			b.ReportMetric(p.Modularity, "Q")
			b.ReportMetric(float64(p.Count), "communities")
		})
	}
}

// BenchmarkGonumModularize is the reference on a smaller network (gonum
// takes 84 s on 10,000 people); compare with BenchmarkLouvainSmall.
func BenchmarkGonumModularize(b *testing.B) {
	s := benchSnapshot(b, 2000)
	g := toGonum(s.Offsets, s.Targets, nil)
	var q float64
	c0 := cpuTime()
	defer reportCPU(b, c0)
	for b.Loop() {
		r := gcommunity.Modularize(g, 1, rand.NewPCG(1, 1))
		q = gcommunity.Q(g, r.Communities(), 1)
	}
	b.ReportMetric(q, "Q")
}

func BenchmarkLouvainSmall(b *testing.B) {
	s := benchSnapshot(b, 2000)
	var p Partition
	c0 := cpuTime()
	defer reportCPU(b, c0)
	for b.Loop() {
		var err error
		p, err = Louvain(context.Background(), s.Offsets, s.Targets, nil, LouvainOptions{Seed: 1})
		require.NoError(b, err)
	}
	b.ReportMetric(p.Modularity, "Q")
}

// BenchmarkReport: the whole network report on 100,000 people.
func BenchmarkReport(b *testing.B) {
	s := benchSnapshot(b, 100_000)
	pol, _ := scoring.Preset(scoring.PolicySesame)
	res, _, err := scoring.ScoreSnapshot(context.Background(), s, pol, scoring.Options{})
	require.NoError(b, err)
	c0 := cpuTime()
	defer reportCPU(b, c0)
	for b.Loop() {
		_, err := Report(context.Background(), s, res, ReportOptions{Seed: 1})
		require.NoError(b, err)
	}
}

// reportCPU reports the CPU time per operation since c0 (the machine may
// be shared, so wall time alone can mislead).
func reportCPU(b *testing.B, c0 time.Duration) {
	b.ReportMetric(float64((cpuTime()-c0).Milliseconds())/float64(b.N), "cpu-ms/op")
}
