package seed

import (
	"cmp"
	"errors"
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
// name the file and line.
func ImportBatch(edges io.Reader, people io.Reader) (graph.Batch, ImportStats, error) {
	if edges == nil {
		return graph.Batch{}, ImportStats{}, errors.New("seed: import: no edge list")
	}
	el, err := readEdges(edges)
	if err != nil {
		return graph.Batch{}, ImportStats{}, err
	}
	var rows []graph.Person
	var withRecord []bool
	if people != nil {
		if rows, withRecord, err = readPeople(people); err != nil {
			return graph.Batch{}, ImportStats{}, err
		}
	}
	stats := el.stats
	stats.PeopleRows = len(rows)

	// The people file in id order, carrying withRecord along.
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(rows[a].ID, rows[b].ID) })

	lo, hi := int64(math.MaxInt64), int64(math.MinInt64) // over both files
	if len(el.ids) > 0 {
		lo, hi = el.ids[0], el.ids[len(el.ids)-1]
	}
	if len(order) > 0 {
		lo = min(lo, int64(rows[order[0]].ID))
		hi = max(hi, int64(rows[order[len(order)-1]].ID))
	}
	off, err := offsetFor(lo, hi)
	if err != nil {
		return graph.Batch{}, ImportStats{}, err
	}
	stats.Offset = off

	// Merge the two sorted id lists.
	out := make([]graph.Person, 0, len(el.ids)+len(rows))
	i, j := 0, 0
	for i < len(el.ids) || j < len(order) {
		switch {
		case j == len(order) || (i < len(el.ids) && el.ids[i] < int64(rows[order[j]].ID)):
			out = append(out, graph.Person{ID: graph.ID(el.ids[i] + off), Consent: true, Record: graph.NeutralRecord()})
			i++
		default:
			p := rows[order[j]]
			if i < len(el.ids) && el.ids[i] == int64(p.ID) {
				i++
			} else {
				stats.OnlyInPeople++
			}
			if withRecord[order[j]] {
				stats.WithRecord++
			}
			p.ID += graph.ID(off)
			out = append(out, p)
			j++
		}
	}
	stats.People = len(out)
	return graph.Batch{People: out, Ties: el.ties(off)}, stats, nil
}
