package scoring

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bruteForcePercentiles counts, for each value, the values strictly below
// and the values equal (itself included), in O(N²), as the definition in
// Percentiles' doc comment reads.
func bruteForcePercentiles(values []float64) []float64 {
	out := make([]float64, len(values))
	for i, x := range values {
		var below, equal int
		for _, y := range values {
			switch {
			case y < x:
				below++
			case y == x:
				equal++
			}
		}
		out[i] = 100 * (float64(below) + 0.5*float64(equal)) / float64(len(values))
	}
	return out
}

func TestPercentilesByHand(t *testing.T) {
	for _, c := range []struct {
		name   string
		values []float64
		want   []float64
	}{
		{"empty", nil, []float64{}},
		{"one", []float64{0.3}, []float64{50}},
		// 4 distinct: (0+.5)/4, (1+.5)/4, (2+.5)/4, (3+.5)/4
		{"distinct", []float64{0.4, 0.1, 0.3, 0.2}, []float64{87.5, 12.5, 62.5, 37.5}},
		// ties: 0.1 ×2 → (0 + 1)/5 = 20; 0.2 → (2+.5)/5 = 50; 0.5 ×2 → (3+1)/5 = 80
		{"ties", []float64{0.5, 0.1, 0.2, 0.1, 0.5}, []float64{80, 20, 50, 20, 80}},
		{"all equal", []float64{7, 7, 7}, []float64{50, 50, 50}},
		// negatives and zero order naturally; -0 equals +0
		{"signs", []float64{-2, 0, math.Copysign(0, -1), 3}, []float64{12.5, 50, 50, 87.5}},
	} {
		t.Run(c.name, func(t *testing.T) {
			// expected: hand counts in the comments
			assert.Equal(t, c.want, Percentiles(c.values))
		})
	}
}

// TestPercentilesMatchBruteForce compares with the O(N²) count on random
// data with many exact ties, on both code paths (small: SortFunc, large:
// radix sort).
func TestPercentilesMatchBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	for _, n := range []int{10, 255, 256, 3000} {
		values := make([]float64, n)
		for i := range values {
			switch rng.IntN(3) {
			case 0:
				values[i] = float64(rng.IntN(20)) / 20 // ties
			case 1:
				values[i] = rng.Float64() * 1e-6 // PageRank-sized
			default:
				values[i] = rng.NormFloat64() * 1e3
			}
		}
		// expected: brute-force count of the definition
		assert.Equal(t, bruteForcePercentiles(values), Percentiles(values), "n=%d", n)
	}
}

// TestPercentilesFloatNoiseTies: values one ulp apart (summation-order
// noise) share a percentile; values 1e-6 apart do not.
func TestPercentilesFloatNoiseTies(t *testing.T) {
	x := 1.0 / 3e5
	values := []float64{x, math.Nextafter(x, 1), math.Nextafter(x, 0), x * (1 + 1e-6)}
	got := Percentiles(values)
	assert.Equal(t, got[0], got[1])
	assert.Equal(t, got[0], got[2])
	// expected: three tied lowest → (0+1.5)/4 = 37.5; the highest → 87.5
	assert.Equal(t, []float64{37.5, 37.5, 37.5, 87.5}, got)
}

func TestRadixSortSorts(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	keys := make([]uint64, 5000)
	idx := make([]int32, len(keys))
	for i := range keys {
		keys[i] = rng.Uint64() >> (rng.IntN(4) * 16)
		idx[i] = int32(i)
	}
	orig := slices.Clone(keys)
	sk, si := radixSort(slices.Clone(keys), idx)
	require.True(t, slices.IsSorted(sk))
	for p, i := range si {
		assert.Equal(t, orig[i], sk[p])
	}
	// Stable: equal keys keep index order.
	for p := 1; p < len(sk); p++ {
		if sk[p] == sk[p-1] {
			assert.Less(t, si[p-1], si[p])
		}
	}
	assert.True(t, slices.IsSortedFunc(si, func(a, b int32) int { return cmp.Compare(orig[a], orig[b]) }))
}
