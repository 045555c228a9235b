package scoring

import (
	"cmp"
	"math"
	"slices"
)

// percentileDropBits is the number of low mantissa bits rounded away
// before values are compared: they are compared to 28 significant bits
// (relative resolution 2⁻²⁸ ≈ 3.7e-9).
const percentileDropBits = 24

// Percentiles returns the mid-rank percentile of each value among all of
// them:
//
//	pct_i = 100 · (#{j : x_j < x_i} + ½·#{j : x_j = x_i}) / N
//
// where the count of equal values includes i itself. Tied values get the
// same percentile; the lowest of N distinct values gets 50/N, the highest
// 100 − 50/N, and if all values are equal every one gets 50. This is the
// "mid-rank" definition of the percentile rank (as in scipy's
// percentileofscore(kind="mean")).
//
// Values are compared after rounding to 28 significant bits, so that
// values that differ only by floating-point noise (PageRank of people in
// symmetric positions, summed in a different order, or not fully
// converged) count as equal. NaN sorts below everything.
//
// It sorts the values once: an LSD radix sort on their order-preserving
// 64-bit keys for large inputs, slices.SortFunc for small ones.
func Percentiles(values []float64) []float64 {
	n := len(values)
	out := make([]float64, n)
	if n == 0 {
		return out
	}
	keys := make([]uint64, n)
	idx := make([]int32, n)
	for i, v := range values {
		keys[i] = percentileKey(v)
		idx[i] = int32(i)
	}
	if n < 256 {
		slices.SortStableFunc(idx, func(a, b int32) int { return cmp.Compare(keys[a], keys[b]) })
		sorted := make([]uint64, n)
		for i, j := range idx {
			sorted[i] = keys[j]
		}
		keys = sorted
	} else {
		keys, idx = radixSort(keys, idx)
	}
	for lo := 0; lo < n; {
		hi := lo + 1
		for hi < n && keys[hi] == keys[lo] {
			hi++
		}
		p := MidRankPercentile(lo, hi-lo, n)
		for _, j := range idx[lo:hi] {
			out[j] = p
		}
		lo = hi
	}
	return out
}

// percentileKey maps v to a uint64 whose unsigned order is the order of
// the values rounded to 28 significant bits. NaN maps to 0.
func percentileKey(v float64) uint64 {
	if math.IsNaN(v) {
		return 0
	}
	if v == 0 {
		v = 0 // -0 == +0
	}
	bits := math.Float64bits(math.Abs(v))
	if bits < 0x7ff0000000000000 { // finite: round the magnitude to nearest
		bits = (bits + 1<<(percentileDropBits-1)) &^ (1<<percentileDropBits - 1)
	}
	if v < 0 {
		return ^(bits | 1<<63) // negatives: larger magnitude sorts lower
	}
	return bits | 1<<63
}

// radixSort sorts keys ascending, carrying idx along (stable LSD radix
// sort, 11-bit digits, skipping digits on which all keys agree). It returns
// the sorted slices, which may be the arguments or new ones.
func radixSort(keys []uint64, idx []int32) ([]uint64, []int32) {
	const digitBits = 11
	const buckets = 1 << digitBits
	n := len(keys)
	var diff uint64 // bits in which some key differs from the first
	for _, k := range keys {
		diff |= k ^ keys[0]
	}
	if diff == 0 {
		return keys, idx
	}
	keys2 := make([]uint64, n)
	idx2 := make([]int32, n)
	var count [buckets]int
	for shift := uint(0); shift < 64; shift += digitBits {
		if (diff>>shift)&(buckets-1) == 0 {
			continue
		}
		clear(count[:])
		for _, k := range keys {
			count[(k>>shift)&(buckets-1)]++
		}
		sum := 0
		for d, c := range count {
			count[d] = sum
			sum += c
		}
		for i, k := range keys {
			d := (k >> shift) & (buckets - 1)
			p := count[d]
			count[d]++
			keys2[p] = k
			idx2[p] = idx[i]
		}
		keys, keys2 = keys2, keys
		idx, idx2 = idx2, idx
	}
	return keys, idx
}
