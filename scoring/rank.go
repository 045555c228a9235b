package scoring

// The percentile definition as two functions, for order-statistic
// structures that keep it up to date as values change (scoring/live):
// Percentiles and they give the same numbers (docs/architecture.md,
// "Percentiles").

// PercentileKey maps a value to the uint64 whose unsigned order is the
// order Percentiles compares values in: rounded to 28 significant bits,
// NaN lowest. Two values tie in Percentiles exactly when their keys are
// equal.
func PercentileKey(v float64) uint64 { return percentileKey(v) }

// MidRankPercentile is the mid-rank percentile of a value among n values
// of which less are below it and equal (itself included) equal to it:
//
//	100 · (less + ½·equal) / n
func MidRankPercentile(less, equal, n int) float64 {
	return 100 * (float64(less) + 0.5*float64(equal)) / float64(n)
}
