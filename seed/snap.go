package seed

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
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

	slices.SortFunc(el.pairs, func(p, q [2]int64) int {
		return cmp.Or(cmp.Compare(p[0], q[0]), cmp.Compare(p[1], q[1]))
	})
	n := len(el.pairs)
	el.pairs = slices.Compact(el.pairs)
	st.Duplicates = n - len(el.pairs)
	st.Friendships = len(el.pairs)

	el.ids = make([]int64, 0, 2*len(el.pairs))
	for _, p := range el.pairs {
		el.ids = append(el.ids, p[0], p[1])
	}
	slices.Sort(el.ids)
	el.ids = slices.Clip(slices.Compact(el.ids))
	return el, nil
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
