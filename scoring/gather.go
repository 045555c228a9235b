package scoring

import (
	"sync"
)

// Binned row sums (propagation blocking).
//
// PageRank and the propagation spend their time in one operation, the row
// sum acc_v = Σ_{u in row v} x_u over the friendship CSR, for every v, once
// an iteration. Pulled row by row it reads x at random: on a network whose
// x does not fit in the cache (8 bytes a person: 80 MB at ten million
// people) almost every read is a trip to memory, and the two kernels run at
// the memory's latency, not its bandwidth. Binning turns the random reads
// into sequential writes and reads (Beamer, Asanović & Patterson,
// "Reducing PageRank Communication via Propagation Blocking", IPDPS 2017):
//
//  1. scatter: every person u, in ascending order, appends x_u to the bin
//     of each of its friends v (a bin is a range of 2^shift rows, 65,536 by
//     default, so a bin's sums fit in a core's L2 cache); the writes go to
//     a few hundred sequential streams;
//  2. sum: each bin's values are added into its rows' sums, read in the
//     order they were written.
//
// On a symmetric CSR (u in row v exactly as often as v in row u) whose rows
// are ascending, as a graph.Snapshot's friendships are, x_u reaches row v's
// sum in ascending u, the order in which the pull kernel reads row v, so
// the sums, and so every iterate, are the same bit for bit; the scatter is
// split between workers by source range and each worker writes its part of
// every bin after the part of the worker before it, so the order does not
// depend on the workers either. It costs 10 bytes a friendship end (the
// value and the row's position within its bin): 1 GB at 50 million
// friendships. At ten million people it takes 0.45–0.8 s an iteration
// where pulling takes 1.5–1.7 s (BenchmarkRowSums; docs/architecture.md,
// "Ten million people").

// binnedMinArcs is the number of friendship ends (CSR entries) from which
// the scoring kernels sum rows by bins instead of pulling them: below it x
// fits in the cache and pulling reads less. A variable so that tests can
// send small networks down the binned path.
var binnedMinArcs = 1 << 23

// gatherShift is log2 of the rows a bin holds. At least log2(blockSize), so
// that a bin is whole blocks and the per-block reductions of the kernels
// are unchanged; at most 16, the positions within a bin being uint16. A
// variable so that tests get many bins on small networks.
var gatherShift uint = 16

// rowGather sums the rows of a symmetric CSR with ascending rows by bins.
type rowGather struct {
	n                int
	offsets, targets []int32
	shift            uint
	// srcBounds split the rows between the scatter's workers; binBounds
	// split the bins between the sum's.
	srcBounds, binBounds []int
	// start[w][b] is the first slot of worker w's part of bin b; bin b's
	// slots are binLo[b] to binLo[b+1].
	start [][]int
	binLo []int
	pos   []uint16  // per slot: its row's position within the bin
	vals  []float64 // per slot: the value scattered there
	accs  sync.Pool // []float64 of 2^shift sums
}

// newRowGather returns a rowGather for the CSR with rows split as bounds
// (a partition), or nil when pulling is better or binning would not give
// the pulled sums bit for bit: fewer than binnedMinArcs entries, weights
// (a weighted row sum would need w_uv = w_vu to match), a row that is not
// ascending, or a CSR that is not symmetric. Symmetry is tested by
// comparing Σ h(u,v) with Σ h(v,u) over the entries for a 64-bit mixing
// hash h: equal for a symmetric CSR, and for any other one only by a
// collision of 64-bit sums.
func newRowGather(offsets, targets []int32, weights []float32, bounds []int) *rowGather {
	n := len(offsets) - 1
	if n <= 0 || weights != nil || len(targets) < binnedMinArcs {
		return nil
	}
	g := &rowGather{n: n, offsets: offsets, targets: targets, shift: gatherShift, srcBounds: bounds}
	nb := (n + 1<<g.shift - 1) >> g.shift
	workers := len(bounds) - 1
	counts := make([][]int, workers)
	hashes := make([][2]uint64, workers)
	sorted := make([]bool, workers)
	runRangesIndexed(bounds, func(w, lo, hi int) {
		c := make([]int, nb)
		var out, in uint64
		ok := true
		for u := lo; u < hi; u++ {
			row := targets[offsets[u]:offsets[u+1]]
			prev := int32(-1)
			for _, v := range row {
				if v < prev {
					ok = false
				}
				prev = v
				c[v>>g.shift]++
				out += mix64(uint64(u)<<32 | uint64(uint32(v)))
				in += mix64(uint64(uint32(v))<<32 | uint64(u))
			}
		}
		counts[w], hashes[w], sorted[w] = c, [2]uint64{out, in}, ok
	})
	var out, in uint64
	for w := range workers {
		if !sorted[w] {
			return nil
		}
		out += hashes[w][0]
		in += hashes[w][1]
	}
	if out != in {
		return nil
	}

	g.start = make([][]int, workers)
	g.binLo = make([]int, nb+1)
	slot := 0
	for w := range workers {
		g.start[w] = make([]int, nb)
	}
	for b := range nb {
		g.binLo[b] = slot
		for w := range workers {
			g.start[w][b] = slot
			slot += counts[w][b]
		}
	}
	g.binLo[nb] = slot
	// The sum's workers take bins of about equal numbers of slots.
	g.binBounds = make([]int, workers+1)
	for w, b := 1, 0; w <= workers; w++ {
		for b < nb && g.binLo[b] < slot*w/workers {
			b++
		}
		g.binBounds[w] = b
	}
	g.binBounds[workers] = nb

	g.pos = make([]uint16, slot)
	g.vals = make([]float64, slot)
	mask := int32(1)<<g.shift - 1
	runRangesIndexed(bounds, func(w, lo, hi int) {
		cur := append([]int(nil), g.start[w]...)
		for u := lo; u < hi; u++ {
			for _, v := range targets[offsets[u]:offsets[u+1]] {
				b := v >> g.shift
				g.pos[cur[b]] = uint16(v & mask)
				cur[b]++
			}
		}
	})
	g.accs.New = func() any { return make([]float64, 1<<g.shift) }
	return g
}

// sumRows calls rows(lo, hi, sums) over every row of the CSR, once: by
// g's bins, x scattered and sums[i] the sum of row lo+i, when g is not
// nil; else over the ranges of bounds with sums nil, rows then summing x
// over the CSR itself. The one sweep of PageRank and of the propagation.
func sumRows(g *rowGather, x []float64, bounds []int, rows func(lo, hi int, sums []float64)) {
	if g == nil {
		runRanges(bounds, func(lo, hi int) { rows(lo, hi, nil) })
		return
	}
	g.scatter(x)
	g.sums(rows)
}

// scatter writes x_u into every slot of u's friendship ends (phase 1).
func (g *rowGather) scatter(x []float64) {
	offsets, targets, vals, shift := g.offsets, g.targets, g.vals, g.shift
	runRangesIndexed(g.srcBounds, func(w, lo, hi int) {
		cur := append([]int(nil), g.start[w]...)
		_ = x[hi-1]
		for u := lo; u < hi; u++ {
			xu := x[u]
			for _, v := range targets[offsets[u]:offsets[u+1]] {
				b := v >> shift
				vals[cur[b]] = xu
				cur[b]++
			}
		}
	})
}

// sums calls fn(lo, hi, acc) for every bin, rows lo..hi−1 with acc[i] the
// sum of row lo+i of the values last scattered (phase 2), bins split
// between workers; fn must only write rows lo..hi−1 (and their blocks).
func (g *rowGather) sums(fn func(lo, hi int, acc []float64)) {
	g.bins(func(lo, hi int, pos []uint16, vals []float64) {
		acc := g.accs.Get().([]float64)
		defer g.accs.Put(acc)
		a := acc[:hi-lo]
		clear(a)
		for i, p := range pos {
			a[p] += vals[i]
		}
		fn(lo, hi, a)
	})
}

// bins calls fn(lo, hi, pos, vals) for every bin, rows lo..hi−1, with the
// bin's slots as written by the last scatter: vals[k] went to row
// lo+pos[k], and a row's values come in the order of its row of the CSR.
// Bins are split between workers; fn must only write rows lo..hi−1.
func (g *rowGather) bins(fn func(lo, hi int, pos []uint16, vals []float64)) {
	runRanges(g.binBounds, func(blo, bhi int) {
		for b := blo; b < bhi; b++ {
			lo := b << g.shift
			s, e := g.binLo[b], g.binLo[b+1]
			fn(lo, min(lo+1<<g.shift, g.n), g.pos[s:e], g.vals[s:e])
		}
	})
}

// mix64 is SplitMix64's finaliser (Steele, Lea & Flood, "Fast splittable
// pseudorandom number generators", OOPSLA 2014): a bijection of uint64
// whose outputs for nearby inputs look independent.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
