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
// blockSize to 2·blockSize keys (a one-level B-tree): counting the keys
// below k walks the block maxima and searches one block; inserting or
// removing a key moves at most 2·blockSize entries. At 1M people that is
// about 2,000 blocks, a few microseconds per operation. A changed value
// moves one key, so only the ranks it crosses change.
type sortedBlocks struct {
	blocks [][]uint64
}

func newSortedBlocks(sorted []uint64) *sortedBlocks {
	o := &sortedBlocks{}
	for lo := 0; lo < len(sorted); lo += blockSize {
		o.blocks = append(o.blocks, slices.Clone(sorted[lo:min(lo+blockSize, len(sorted))]))
	}
	return o
}

// count returns #{keys < k} (or ≤ k when eq).
func (o *sortedBlocks) count(k uint64, eq bool) int {
	c := 0
	for _, b := range o.blocks {
		last := b[len(b)-1]
		if last < k || (eq && last == k) {
			c += len(b)
			continue
		}
		if eq {
			c += sort.Search(len(b), func(i int) bool { return b[i] > k })
		} else {
			c += sort.Search(len(b), func(i int) bool { return b[i] >= k })
		}
		break
	}
	return c
}

func (o *sortedBlocks) less(k uint64) int   { return o.count(k, false) }
func (o *sortedBlocks) lessEq(k uint64) int { return o.count(k, true) }

func (o *sortedBlocks) insert(k uint64) {
	if len(o.blocks) == 0 {
		o.blocks = [][]uint64{{k}}
		return
	}
	bi := len(o.blocks) - 1
	for i, b := range o.blocks {
		if b[len(b)-1] >= k {
			bi = i
			break
		}
	}
	b := o.blocks[bi]
	j := sort.Search(len(b), func(i int) bool { return b[i] >= k })
	b = slices.Insert(b, j, k)
	if len(b) > 2*blockSize {
		left := slices.Clone(b[:blockSize])
		right := slices.Clone(b[blockSize:])
		o.blocks = slices.Insert(o.blocks, bi+1, right)
		b = left
	}
	o.blocks[bi] = b
}

func (o *sortedBlocks) remove(k uint64) {
	for i, b := range o.blocks {
		if b[len(b)-1] < k {
			continue
		}
		j := sort.Search(len(b), func(x int) bool { return b[x] >= k })
		if j == len(b) || b[j] != k {
			return // absent
		}
		b = slices.Delete(b, j, j+1)
		if len(b) == 0 {
			o.blocks = slices.Delete(o.blocks, i, i+1)
		} else {
			o.blocks[i] = b
		}
		return
	}
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
