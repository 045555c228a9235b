package seed

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/socialscore/socialscore/graph"
)

// ImportBatch reads a SNAP edge list (see ReadEdgeList) and, if people is
// not nil, a people file (see ReadPeopleCSV) in the same id space, and
// returns them as one batch. Everyone named in either file is a person:
// someone only in the edge list consents and has graph.NeutralRecord and
// an empty profile; someone in the people file has what their row says,
// including people with no friendship. If any id in either file is 0 or
// negative, all ids are shifted by stats.Offset (see the package doc).
//
// People come sorted by id and friendships sorted by From then To; there
// are no recruitment ties. Errors wrap graph.ErrInvalid for bad input and
// name the file and line. ImportNetwork reads the same files into a
// compact Network, for imports too large for a batch.
func ImportBatch(edges io.Reader, people io.Reader) (graph.Batch, ImportStats, error) {
	net, stats, err := ImportNetwork(edges, people)
	if err != nil {
		return graph.Batch{}, ImportStats{}, err
	}
	return net.Batch(), stats, nil
}

// ImportNetwork reads the files ImportBatch reads into a Network: the same
// people and friendships, in CSR arrays of int32 indices instead of a
// batch (at 50 million friendships the edge list takes about 1.2 GB while
// it is sorted, the result 0.5 GB). The people file's rows are kept as
// read; people only in the edge list are made when Network.People asks.
func ImportNetwork(edges io.Reader, people io.Reader) (*Network, ImportStats, error) {
	if edges == nil {
		return nil, ImportStats{}, errors.New("seed: import: no edge list")
	}
	el, err := readEdges(edges)
	if err != nil {
		return nil, ImportStats{}, err
	}
	var rows []graph.Person
	var withRecord []bool
	if people != nil {
		if rows, withRecord, err = readPeople(people); err != nil {
			return nil, ImportStats{}, err
		}
	}
	stats := el.stats
	stats.PeopleRows = len(rows)
	for _, w := range withRecord {
		if w {
			stats.WithRecord++
		}
	}
	withRecord = nil

	// The people file in id order.
	slices.SortFunc(rows, func(a, b graph.Person) int { return cmp.Compare(a.ID, b.ID) })

	lo, hi := int64(math.MaxInt64), int64(math.MinInt64) // over both files
	if len(el.ids) > 0 {
		lo, hi = el.ids[0], el.ids[len(el.ids)-1]
	}
	if len(rows) > 0 {
		lo = min(lo, int64(rows[0].ID))
		hi = max(hi, int64(rows[len(rows)-1].ID))
	}
	off, err := offsetFor(lo, hi)
	if err != nil {
		return nil, ImportStats{}, err
	}
	stats.Offset = off

	// Merge the two sorted id lists; row[k] is the people file's row of
	// person k, or -1.
	if len(el.ids)+len(rows) > math.MaxInt32 {
		return nil, ImportStats{}, fmt.Errorf("seed: import: more than %d people: %w", math.MaxInt32, graph.ErrInvalid)
	}
	ids := make([]graph.ID, 0, len(el.ids)+len(rows))
	var row []int32
	if len(rows) > 0 {
		row = make([]int32, 0, cap(ids))
	}
	i, j := 0, 0
	for i < len(el.ids) || j < len(rows) {
		switch {
		case j == len(rows) || (i < len(el.ids) && el.ids[i] < int64(rows[j].ID)):
			ids = append(ids, graph.ID(el.ids[i]+off))
			if row != nil {
				row = append(row, -1)
			}
			i++
		default:
			if i < len(el.ids) && el.ids[i] == int64(rows[j].ID) {
				i++
			} else {
				stats.OnlyInPeople++
			}
			ids = append(ids, rows[j].ID+graph.ID(off))
			row = append(row, int32(j))
			j++
		}
	}
	stats.People = len(ids)
	for k := range rows {
		rows[k].ID += graph.ID(off)
	}

	net := &Network{n: len(ids), ids: ids}
	if len(el.pairs) > math.MaxInt32 {
		return nil, ImportStats{}, fmt.Errorf("seed: import: more than %d friendships: %w", math.MaxInt32/2, graph.ErrInvalid)
	}
	net.offsets, net.targets = el.csr(ids, off)
	el = nil
	net.people = func(lo, hi int, dst []graph.Person) []graph.Person {
		for k := lo; k < hi; k++ {
			if row != nil && row[k] >= 0 {
				dst = append(dst, rows[row[k]])
			} else {
				dst = append(dst, graph.Person{ID: ids[k], Consent: true, Record: graph.NeutralRecord()})
			}
		}
		return dst
	}
	return net, stats, nil
}
