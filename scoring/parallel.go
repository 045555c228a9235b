package scoring

import (
	"runtime"
	"sort"
	"sync"
)

// blockSize is the granularity of work splitting and of partial sums. Rows
// are handed to workers in whole blocks, and every reduction (dangling
// PageRank mass, L1 change) is first summed per block and then over blocks
// in block order, so results are bit-for-bit the same whatever the number
// of workers.
const blockSize = 1024

// workerCount resolves the requested number of workers (0: GOMAXPROCS)
// for n rows: at least 1, at most one per block.
func workerCount(requested, n int) int {
	w := requested
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	if blocks := (n + blockSize - 1) / blockSize; w > blocks {
		w = blocks
	}
	return max(w, 1)
}

// partition splits the rows 0..n-1 of a CSR (n = len(offsets)-1) into k
// contiguous ranges of about equal cost, where row i costs
// 1 + (offsets[i+1]-offsets[i]) so that high-degree rows are spread out.
// Range boundaries fall on multiples of blockSize. It returns k+1 bounds,
// bounds[0] = 0 and bounds[k] = n; ranges may be empty.
func partition(offsets []int32, k int) []int {
	n := len(offsets) - 1
	bounds := make([]int, k+1)
	bounds[k] = n
	total := int64(n) + int64(offsets[n]-offsets[0])
	for j := 1; j < k; j++ {
		target := total * int64(j) / int64(k)
		i := sort.Search(n+1, func(i int) bool { return int64(i)+int64(offsets[i]-offsets[0]) >= target })
		i = (i + blockSize/2) / blockSize * blockSize
		bounds[j] = min(max(i, bounds[j-1]), n)
	}
	return bounds
}

// runRanges calls fn(lo, hi) for each range of bounds, each in its own
// goroutine (the last in the caller's), and waits for all of them.
func runRanges(bounds []int, fn func(lo, hi int)) {
	runRangesIndexed(bounds, func(_, lo, hi int) { fn(lo, hi) })
}

// runRangesIndexed is runRanges with each range's index j passed to fn as
// fn(j, bounds[j], bounds[j+1]).
func runRangesIndexed(bounds []int, fn func(j, lo, hi int)) {
	k := len(bounds) - 1
	var wg sync.WaitGroup
	for j := 0; j < k-1; j++ {
		if bounds[j] == bounds[j+1] {
			continue
		}
		wg.Go(func() { fn(j, bounds[j], bounds[j+1]) })
	}
	fn(k-1, bounds[k-1], bounds[k])
	wg.Wait()
}

// numBlocks returns the number of blocks covering n rows.
func numBlocks(n int) int { return (n + blockSize - 1) / blockSize }
