package scoring

import (
	"context"
	"testing"
)

// BenchmarkPropagate measures the propagation phase alone on the 100k
// synthetic network (≈500k friendships) at α = 0.5, with one worker, and
// reports process CPU per solve (cpu-ms), the figure to compare changes by
// on a shared machine.
func BenchmarkPropagate(b *testing.B) {
	s := cachedSynthetic(b, 100_000)
	base := make([]float64, s.Len())
	for i := range base {
		base[i] = float64(i%1000) / 1000
	}
	cpu0 := processCPU()
	b.ResetTimer()
	for range b.N {
		if _, _, err := Propagate(context.Background(), s, base, 0.5, 1); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric((processCPU()-cpu0).Seconds()*1000/float64(b.N), "cpu-ms")
}
