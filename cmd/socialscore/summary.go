package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

// maxMovers is how many people score prints per direction.
const maxMovers = 5

// bandCount is the number of people in one band of a run's policy.
type bandCount struct {
	Name   string
	Min    int
	People int
}

// mover is one person's move between two runs.
type mover struct {
	ID     graph.ID
	Before int
	After  int
	Delta  int // After − Before
}

// runSummary is what score prints at the end: the run's stored results
// against the previous run's.
type runSummary struct {
	Run    graph.Run
	People int
	Mean   float64
	Bands  []bandCount // in the policy's order, empty bands included

	Previous     *graph.Run // nil on the first run
	PreviousMean float64
	InBoth       int     // people scored in both runs
	Up, Down     []mover // largest rises and falls, at most maxMovers each
	Moved        int     // people in both runs whose score changed
}

// summarize computes the summary of a run's results (as stored) against
// the previous run's (prev nil: none). Bands are those of the policy the
// run was scored under. Movers are the people scored in both runs whose
// score changed most, up and down, ties broken by id.
func summarize(run graph.Run, results []graph.Result, prev graph.Run, prevResults []graph.Result, n int) (runSummary, error) {
	pol, err := scoring.PolicyOf(run.Policy, run.PolicySpec)
	if err != nil {
		return runSummary{}, fmt.Errorf("score: policy of run %s: %w", run.ID, err)
	}
	s := runSummary{Run: run, People: len(results)}
	index := map[string]int{}
	for _, b := range pol.Bands {
		index[b.Name] = len(s.Bands)
		s.Bands = append(s.Bands, bandCount{Name: b.Name, Min: b.Min})
	}
	total := 0
	for _, r := range results {
		total += r.Score
		if i, ok := index[pol.BandOf(r.Score)]; ok {
			s.Bands[i].People++
		}
	}
	if len(results) > 0 {
		s.Mean = float64(total) / float64(len(results))
	}
	if prev.ID == "" {
		return s, nil
	}
	s.Previous = &prev
	before := make(map[graph.ID]int, len(prevResults))
	total = 0
	for _, r := range prevResults {
		before[r.ID] = r.Score
		total += r.Score
	}
	if len(prevResults) > 0 {
		s.PreviousMean = float64(total) / float64(len(prevResults))
	}
	var moves []mover
	for _, r := range results {
		b, ok := before[r.ID]
		if !ok {
			continue
		}
		s.InBoth++
		if r.Score != b {
			moves = append(moves, mover{ID: r.ID, Before: b, After: r.Score, Delta: r.Score - b})
		}
	}
	s.Moved = len(moves)
	// Rises largest first, falls largest first; equal moves by id.
	var up, down []mover
	for _, m := range moves {
		if m.Delta > 0 {
			up = append(up, m)
		} else {
			down = append(down, m)
		}
	}
	slices.SortFunc(up, func(a, b mover) int { return cmp.Or(cmp.Compare(b.Delta, a.Delta), cmp.Compare(a.ID, b.ID)) })
	slices.SortFunc(down, func(a, b mover) int { return cmp.Or(cmp.Compare(a.Delta, b.Delta), cmp.Compare(a.ID, b.ID)) })
	s.Up, s.Down = up[:min(n, len(up))], down[:min(n, len(down))]
	return s, nil
}

// printSummary prints the summary on one screen (at most about 15 lines).
func printSummary(w io.Writer, s runSummary) {
	fmt.Fprintf(w, "summary of run %s (policy %q), as stored:\n", s.Run.ID, s.Run.Policy)
	fmt.Fprintf(w, "  people scored  %d\n", s.People)
	fmt.Fprintf(w, "  mean score     %.1f", s.Mean)
	if s.Previous != nil {
		fmt.Fprintf(w, " (previous run: %.1f, %+.1f)", s.PreviousMean, s.Mean-s.PreviousMean)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "  bands")
	for _, b := range s.Bands {
		share := 0.0
		if s.People > 0 {
			share = 100 * float64(b.People) / float64(s.People)
		}
		fmt.Fprintf(w, "    %-10s %4d+ %8d  %5.1f%%\n", b.Name, b.Min, b.People, share)
	}
	if s.Previous == nil {
		fmt.Fprintln(w, "  movers         none: this is the store's first run")
		return
	}
	fmt.Fprintf(w, "  movers since run %s (policy %q): %d of the %d people scored in both moved\n", s.Previous.ID, s.Previous.Policy, s.Moved, s.InBoth)
	fmt.Fprintf(w, "    up    %s\n", moversText(s.Up))
	fmt.Fprintf(w, "    down  %s\n", moversText(s.Down))
}

// moversText lists movers as "id +points".
func moversText(ms []mover) string {
	if len(ms) == 0 {
		return "none"
	}
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = fmt.Sprintf("%d %+d", m.ID, m.Delta)
	}
	return strings.Join(parts, ", ")
}
