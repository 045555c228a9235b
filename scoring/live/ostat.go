package live

import (
	"slices"
	"sort"
)

// rankIndex counts keys below or at a key: the order-statistic structure
// behind the live percentiles.
type rankIndex interface {
	less(k uint64) int   // #{keys < k}
	lessEq(k uint64) int // #{keys ≤ k}
	insert(k uint64)
	remove(k uint64)
}

// blockSize is the target length of a block of sortedBlocks.
const blockSize = 512

// sortedBlocks is a multiset of keys kept as a list of sorted blocks of
// 1 to 2·blockSize keys (a one-level B-tree) with a Fenwick tree over the
// block lengths: the block holding a key is found by binary search over
// the block maxima, the keys in the blocks before it are a prefix sum of
// the Fenwick tree, and inserting or removing a key moves at most
// 2·blockSize entries and updates O(log blocks) Fenwick cells. At 1M
// people that is about 2,000 blocks and a microsecond or so per operation,
// independent of the network's size but for the logarithms (a linear walk
// over the blocks cost O(n/blockSize) per operation). A changed value
// moves one key, so only the ranks it crosses change.
type sortedBlocks struct {
	blocks [][]uint64
	fen    []int // Fenwick tree (1-based) of len(blocks[i])
}

func newSortedBlocks(sorted []uint64) *sortedBlocks {
	o := &sortedBlocks{}
	for lo := 0; lo < len(sorted); lo += blockSize {
		o.blocks = append(o.blocks, slices.Clone(sorted[lo:min(lo+blockSize, len(sorted))]))
	}
	o.rebuild()
	return o
}

// rebuild recomputes the Fenwick tree after blocks were split or dropped.
func (o *sortedBlocks) rebuild() {
	o.fen = make([]int, len(o.blocks)+1)
	for i, b := range o.blocks {
		o.fen[i+1] += len(b)
		if j := (i + 1) + ((i + 1) & -(i + 1)); j < len(o.fen) {
			o.fen[j] += o.fen[i+1]
		}
	}
}

// add adds delta to the length of block i.
func (o *sortedBlocks) add(i, delta int) {
	for j := i + 1; j < len(o.fen); j += j & -j {
		o.fen[j] += delta
	}
}

// before returns the number of keys in blocks[:i].
func (o *sortedBlocks) before(i int) int {
	c := 0
	for j := i; j > 0; j -= j & -j {
		c += o.fen[j]
	}
	return c
}

// block returns the first block whose maximum is ≥ k (> k when after),
// len(blocks) if none.
func (o *sortedBlocks) block(k uint64, after bool) int {
	return sort.Search(len(o.blocks), func(i int) bool {
		last := o.blocks[i][len(o.blocks[i])-1]
		return last > k || (!after && last == k)
	})
}

// count returns #{keys < k} (or ≤ k when eq).
func (o *sortedBlocks) count(k uint64, eq bool) int {
	i := o.block(k, eq)
	c := o.before(i)
	if i == len(o.blocks) {
		return c
	}
	b := o.blocks[i]
	if eq {
		return c + sort.Search(len(b), func(x int) bool { return b[x] > k })
	}
	return c + sort.Search(len(b), func(x int) bool { return b[x] >= k })
}

func (o *sortedBlocks) less(k uint64) int   { return o.count(k, false) }
func (o *sortedBlocks) lessEq(k uint64) int { return o.count(k, true) }

func (o *sortedBlocks) insert(k uint64) {
	if len(o.blocks) == 0 {
		o.blocks = [][]uint64{{k}}
		o.rebuild()
		return
	}
	bi := min(o.block(k, false), len(o.blocks)-1)
	b := o.blocks[bi]
	j := sort.Search(len(b), func(i int) bool { return b[i] >= k })
	b = slices.Insert(b, j, k)
	if len(b) > 2*blockSize {
		left := slices.Clone(b[:blockSize])
		right := slices.Clone(b[blockSize:])
		o.blocks[bi] = left
		o.blocks = slices.Insert(o.blocks, bi+1, right)
		o.rebuild()
		return
	}
	o.blocks[bi] = b
	o.add(bi, 1)
}

func (o *sortedBlocks) remove(k uint64) {
	i := o.block(k, false)
	if i == len(o.blocks) {
		return // absent
	}
	b := o.blocks[i]
	j := sort.Search(len(b), func(x int) bool { return b[x] >= k })
	if j == len(b) || b[j] != k {
		return // absent
	}
	b = slices.Delete(b, j, j+1)
	if len(b) == 0 {
		o.blocks = slices.Delete(o.blocks, i, i+1)
		o.rebuild()
		return
	}
	o.blocks[i] = b
	o.add(i, -1)
}

// rankOverlay is a rankIndex over another that it never writes: the keys
// it removed and added are kept beside (a what-if changes a few).
type rankOverlay struct {
	base           rankIndex
	added, removed []uint64
}

func countBelow(ks []uint64, k uint64, eq bool) int {
	c := 0
	for _, x := range ks {
		if x < k || (eq && x == k) {
			c++
		}
	}
	return c
}

func (o *rankOverlay) less(k uint64) int {
	return o.base.less(k) - countBelow(o.removed, k, false) + countBelow(o.added, k, false)
}

func (o *rankOverlay) lessEq(k uint64) int {
	return o.base.lessEq(k) - countBelow(o.removed, k, true) + countBelow(o.added, k, true)
}

func (o *rankOverlay) insert(k uint64) {
	if i := slices.Index(o.removed, k); i >= 0 {
		o.removed = slices.Delete(o.removed, i, i+1)
		return
	}
	o.added = append(o.added, k)
}

func (o *rankOverlay) remove(k uint64) {
	if i := slices.Index(o.added, k); i >= 0 {
		o.added = slices.Delete(o.added, i, i+1)
		return
	}
	o.removed = append(o.removed, k)
}
