package scoring

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/graph/network"
)

// pageRankError returns the largest relative error |pr[i] − ref[i]|/ref[i]
// in parts per billion (ranks are positive).
func pageRankError(pr, ref []float64) float64 {
	var e float64
	for i := range ref {
		e = math.Max(e, math.Abs(pr[i]-ref[i])/ref[i])
	}
	return e * 1e9
}

// pageRankReference is the CSR kernel's PageRank of s iterated to an L1
// change below 1e-14, the yardstick for max-rel-err-ppb.
func pageRankReference(b *testing.B, offsets, targets []int32) []float64 {
	ref, _, err := PageRank(context.Background(), offsets, targets, PageRankOptions{Undirected: true, Tol: 1e-14})
	if err != nil {
		b.Fatal(err)
	}
	return ref
}

// BenchmarkPageRankCSR runs the CSR kernel as a scoring run does
// (PageRankOptions{Undirected: true}: L1 change below DefaultPageRankTol)
// on the synthetic network of 100k people (≈500k friendships) used by
// BenchmarkScoreSnapshot, with one worker and with GOMAXPROCS. max-rel-err-ppb
// is the largest relative error, in parts per billion, against a run to
// an L1 change of 1e-14.
// Compare BenchmarkPageRankGonum, measured in the same run.
func BenchmarkPageRankCSR(b *testing.B) {
	s := cachedSynthetic(b, 100_000)
	ref := pageRankReference(b, s.Offsets, s.Targets)
	for _, w := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run("workers="+strconv.Itoa(w), func(b *testing.B) {
			var pr []float64
			var iters int
			b.ReportAllocs()
			for b.Loop() {
				var err error
				pr, iters, err = PageRank(context.Background(), s.Offsets, s.Targets, PageRankOptions{Undirected: true, Workers: w})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(iters), "iters")
			b.ReportMetric(pageRankError(pr, ref), "max-rel-err-ppb")
		})
	}
}

// BenchmarkPageRankGonum runs gonum's network.PageRankSparse (damping 0.85,
// stopping when the L2 change is below tol: 1e-9, the CSR kernel's
// number, and 1e-12, which comes closer to the kernel's accuracy) on the
// same network through
// the zero-copy csrGraph adapter: the reference the CSR kernel is tested
// against, timed. (network.PageRank, the dense variant, would need an
// N×N matrix: 80 GB at 100k people.) gonum is single-threaded; max-rel-err-ppb
// is against the same reference as BenchmarkPageRankCSR.
func BenchmarkPageRankGonum(b *testing.B) {
	s := cachedSynthetic(b, 100_000)
	ref := pageRankReference(b, s.Offsets, s.Targets)
	g := snapshotGraph(s)
	for _, tol := range []float64{1e-9, 1e-12} {
		b.Run(fmt.Sprintf("tol=%g", tol), func(b *testing.B) {
			var m map[int64]float64
			b.ReportAllocs()
			for b.Loop() {
				m = network.PageRankSparse(g, DefaultDamping, tol)
			}
			pr := make([]float64, len(ref))
			for i := range pr {
				pr[i] = m[int64(i)]
			}
			b.ReportMetric(pageRankError(pr, ref), "max-rel-err-ppb")
		})
	}
}
