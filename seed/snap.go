package seed

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/socialscore/socialscore/graph"
)

// ImportStats reports what an import read, what it dropped and how it
// mapped ids.
type ImportStats struct {
	Lines       int // lines in the edge list, counting comments and blank lines
	Comments    int // lines starting with '#' or '%'
	Blank       int // empty or whitespace-only lines
	SelfLoops   int // lines naming the same id twice, dropped
	Duplicates  int // lines repeating an earlier pair (in either order), dropped
	Friendships int // friendships kept

	// Offset was added to every id of the import so that all are positive:
	// 0 when every id in the files was already positive, else
	// 1 − (smallest id). A person's id in the files is ID − Offset.
	Offset int64

	People       int // people in the result
	PeopleRows   int // data rows of the people file; 0 without one
	WithRecord   int // people whose record came from the people file
	OnlyInPeople int // people of the people file with no friendship in the edge list
}

// maxLine bounds the length of one edge-list line.
const maxLine = 1 << 20

// maxShiftedID bounds the ids of an import that needs an offset, so that
// shifting cannot overflow.
const maxShiftedID = 1 << 62

// edgeList is an edge list as read, with ids as in the file.
type edgeList struct {
	ids   []int64     // every id named, ascending, once each
	pairs [][2]int64  // friendships, smaller id first, ascending, once each
	stats ImportStats // line counts
}

// ReadEdgeList reads a SNAP edge list: one friendship per line as two
// integer ids separated by spaces or tabs; lines whose first non-blank
// character is '#' or '%' are comments; blank lines are skipped. A line
// naming the same id twice and a pair already read (in either order) are
// dropped and counted in stats. Any other line that is not exactly two
// base-10 integers is an error naming its line number and wrapping
// graph.ErrInvalid.
//
// It returns the ids of everyone in a kept friendship, ascending (someone
// named only in a self-loop is not included), and one friendship tie per
// pair, smaller id in From, Weight 0 (meaning 1), sorted by From then To.
// Ids are kept as in the file if all of those are positive; otherwise all
// are shifted by stats.Offset so that the smallest is 1 (see the package
// doc). To read a people file in the same id space, use ImportBatch.
func ReadEdgeList(r io.Reader) (people []graph.ID, ties []graph.Tie, stats ImportStats, err error) {
	el, err := readEdges(r)
	if err != nil {
		return nil, nil, ImportStats{}, err
	}
	var off int64
	if len(el.ids) > 0 {
		if off, err = offsetFor(el.ids[0], el.ids[len(el.ids)-1]); err != nil {
			return nil, nil, ImportStats{}, err
		}
	}
	stats = el.stats
	stats.Offset = off
	stats.People = len(el.ids)
	return el.people(off), el.ties(off), stats, nil
}

// people returns the ids shifted by off.
func (el *edgeList) people(off int64) []graph.ID {
	out := make([]graph.ID, len(el.ids))
	for i, id := range el.ids {
		out[i] = graph.ID(id + off)
	}
	return out
}

// ties returns the friendships with ids shifted by off.
func (el *edgeList) ties(off int64) []graph.Tie {
	out := make([]graph.Tie, len(el.pairs))
	for i, p := range el.pairs {
		out[i] = graph.Tie{Kind: graph.Friend, From: graph.ID(p[0] + off), To: graph.ID(p[1] + off)}
	}
	return out
}

// offsetFor returns the offset that makes every id in [lo, hi] positive:
// 0 if lo > 0, else 1 - lo.
func offsetFor(lo, hi int64) (int64, error) {
	if lo > 0 {
		return 0, nil
	}
	if lo < -maxShiftedID || hi > maxShiftedID {
		return 0, fmt.Errorf("seed: import: ids from %d to %d cannot be shifted to positive ids: %w", lo, hi, graph.ErrInvalid)
	}
	return 1 - lo, nil
}

// readEdges parses an edge list, keeping ids as in the file.
func readEdges(r io.Reader) (*edgeList, error) {
	el := &edgeList{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	st := &el.stats
	for sc.Scan() {
		st.Lines++
		line := sc.Bytes()
		a, rest := field(line)
		switch {
		case len(a) == 0:
			st.Blank++
			continue
		case a[0] == '#' || a[0] == '%':
			st.Comments++
			continue
		}
		b, rest := field(rest)
		if extra, _ := field(rest); len(b) == 0 || len(extra) > 0 {
			return nil, fmt.Errorf("seed: edge list: line %d: want two ids, got %q: %w", st.Lines, bytes.TrimSpace(line), graph.ErrInvalid)
		}
		u, err := parseID(a)
		if err != nil {
			return nil, fmt.Errorf("seed: edge list: line %d: %v: %w", st.Lines, err, graph.ErrInvalid)
		}
		v, err := parseID(b)
		if err != nil {
			return nil, fmt.Errorf("seed: edge list: line %d: %v: %w", st.Lines, err, graph.ErrInvalid)
		}
		if u == v {
			st.SelfLoops++
			continue
		}
		el.pairs = append(el.pairs, [2]int64{min(u, v), max(u, v)})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("seed: edge list: line %d: longer than %d bytes: %w", st.Lines+1, maxLine, graph.ErrInvalid)
		}
		return nil, fmt.Errorf("seed: edge list: read: %w", err)
	}

	sortPairs(el.pairs)
	n := len(el.pairs)
	el.pairs = slices.Clip(slices.Compact(el.pairs))
	st.Duplicates = n - len(el.pairs)
	st.Friendships = len(el.pairs)

	// The ids: the first ends come sorted; sort the second ends alone and
	// merge, which needs half the memory of sorting both together.
	second := make([]int64, len(el.pairs))
	for i, p := range el.pairs {
		second[i] = p[1]
	}
	slices.Sort(second)
	second = slices.Compact(second)
	el.ids = make([]int64, 0, len(second))
	i := 0
	for k, p := range el.pairs {
		if k > 0 && el.pairs[k-1][0] == p[0] {
			continue
		}
		for ; i < len(second) && second[i] < p[0]; i++ {
			el.ids = append(el.ids, second[i])
		}
		if i < len(second) && second[i] == p[0] {
			i++
		}
		el.ids = append(el.ids, p[0])
	}
	el.ids = append(el.ids, second[i:]...)
	el.ids = slices.Clip(el.ids)
	return el, nil
}

// sortPairs sorts pairs by first then second id. When every id fits in 32
// bits above the smallest, as in any edge list of fewer than 4 billion
// distinct ids numbered densely, each pair is packed into one uint64 and
// those are sorted: a third of the time of comparing pairs, and the
// packed copy is half the size of the pairs.
func sortPairs(pairs [][2]int64) {
	if len(pairs) == 0 {
		return
	}
	lo, hi := pairs[0][0], pairs[0][0]
	for _, p := range pairs {
		lo, hi = min(lo, p[0], p[1]), max(hi, p[0], p[1])
	}
	if uint64(hi)-uint64(lo) > math.MaxUint32 {
		slices.SortFunc(pairs, func(p, q [2]int64) int {
			return cmp.Or(cmp.Compare(p[0], q[0]), cmp.Compare(p[1], q[1]))
		})
		return
	}
	packed := make([]uint64, len(pairs))
	for i, p := range pairs {
		packed[i] = uint64(p[0]-lo)<<32 | uint64(p[1]-lo)
	}
	slices.Sort(packed)
	for i, k := range packed {
		pairs[i] = [2]int64{int64(k>>32) + lo, int64(k&math.MaxUint32) + lo}
	}
}

// csr returns the friendships as CSR arrays over the indices of ids (the
// people of the import, ascending, shifted by off; every id of the edge
// list is among them): each friendship in both directions, neighbours
// ascending. Pairs come sorted by first then second id, so filling rows in
// pair order puts a person's smaller friends (from pairs where they are
// second) before the larger ones, each run ascending. It drops the pairs.
func (el *edgeList) csr(ids []graph.ID, off int64) ([]int64, []int32) {
	n := len(ids)
	// index maps a file id to its index: a table over the id range when
	// that is compact, else a binary search.
	var table []int32
	var base int64
	if n > 0 {
		base = int64(ids[0]) - off
		if span := int64(ids[n-1]) - int64(ids[0]); span < int64(4*n+1<<16) {
			table = make([]int32, span+1)
			for k, id := range ids {
				table[int64(id)-int64(ids[0])] = int32(k)
			}
		}
	}
	index := func(id int64) int32 {
		if table != nil {
			return table[id-base]
		}
		k, _ := slices.BinarySearch(ids, graph.ID(id+off))
		return int32(k)
	}
	offsets := make([]int64, n+1)
	for _, p := range el.pairs {
		offsets[index(p[0])+1]++
		offsets[index(p[1])+1]++
	}
	for k := range n {
		offsets[k+1] += offsets[k]
	}
	targets := make([]int32, offsets[n])
	fill := make([]int64, n)
	copy(fill, offsets[:n])
	for _, p := range el.pairs {
		a, b := index(p[0]), index(p[1])
		targets[fill[a]] = b
		fill[a]++
		targets[fill[b]] = a
		fill[b]++
	}
	el.pairs = nil
	return offsets, targets
}

// field splits off the first run of non-blank bytes of s (blank: space,
// tab, carriage return, vertical tab, form feed).
func field(s []byte) (f, rest []byte) {
	blank := func(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' }
	i := 0
	for i < len(s) && blank(s[i]) {
		i++
	}
	j := i
	for j < len(s) && !blank(s[j]) {
		j++
	}
	return s[i:j], s[j:]
}

// parseID parses a base-10 integer id as written in a file; it may be zero
// or negative (the caller shifts the import). The error says what is wrong
// and leaves the where to the caller.
func parseID(b []byte) (int64, error) {
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("id %q is out of range", b)
		}
		return 0, fmt.Errorf("%q is not an integer id", b)
	}
	return v, nil
}
