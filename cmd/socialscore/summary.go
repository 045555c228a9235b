package main

import (
	"cmp"
	"context"
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

// idScore is one person's score in a run: all the summary needs of a
// result (12 bytes where a graph.Result is 184).
type idScore struct {
	ID    graph.ID
	Score int32
}

// latestResults is a store that streams its latest run's results
// (graph/embedded's Store).
type latestResults interface {
	EachLatestResult(ctx context.Context, start func(run graph.Run, n int) error, each func(r *graph.Result) error) error
}

// latestScores returns the store's latest run and its people's scores in
// ascending id order, without holding its results (when the store streams
// them); an error wraps graph.ErrNotFound before the first run.
func latestScores(ctx context.Context, store graph.ScoreStore) (graph.Run, []idScore, error) {
	var (
		run    graph.Run
		scores []idScore
	)
	if ls, ok := store.(latestResults); ok {
		err := ls.EachLatestResult(ctx, func(r graph.Run, n int) error {
			run, scores = r, make([]idScore, 0, n)
			return nil
		}, func(r *graph.Result) error {
			scores = append(scores, idScore{r.ID, int32(r.Score)})
			return nil
		})
		return run, scores, err
	}
	run, results, err := store.LatestRun(ctx)
	if err != nil {
		return graph.Run{}, nil, err
	}
	scores = make([]idScore, len(results))
	for i, r := range results {
		scores[i] = idScore{r.ID, int32(r.Score)}
	}
	slices.SortFunc(scores, func(a, b idScore) int { return cmp.Compare(a.ID, b.ID) })
	return run, scores, nil
}

// summarize computes the summary of a run's scores (as stored) against
// the previous run's (prev nil: none); both are in ascending id order.
// Bands are those of the policy the run was scored under. Movers are the
// people scored in both runs whose score changed most, up and down, ties
// broken by id.
func summarize(run graph.Run, results []idScore, prev graph.Run, prevResults []idScore, n int) (runSummary, error) {
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
	// Bands by score: a score's band looked up once per distinct score.
	band := map[int32]int{}
	total := 0
	for _, r := range results {
		total += int(r.Score)
		i, ok := band[r.Score]
		if !ok {
			i = -1
			if j, found := index[pol.BandOf(int(r.Score))]; found {
				i = j
			}
			band[r.Score] = i
		}
		if i >= 0 {
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
	total = 0
	for _, r := range prevResults {
		total += int(r.Score)
	}
	if len(prevResults) > 0 {
		s.PreviousMean = float64(total) / float64(len(prevResults))
	}
	// The largest rises and falls, kept as they come (merging the two
	// runs by id): at most n each.
	var up, down []mover
	keep := func(list []mover, m mover, order func(a, b mover) int) []mover {
		i, _ := slices.BinarySearchFunc(list, m, order)
		if i >= n {
			return list
		}
		list = slices.Insert(list, i, m)
		return list[:min(len(list), n)]
	}
	upOrder := func(a, b mover) int { return cmp.Or(cmp.Compare(b.Delta, a.Delta), cmp.Compare(a.ID, b.ID)) }
	downOrder := func(a, b mover) int { return cmp.Or(cmp.Compare(a.Delta, b.Delta), cmp.Compare(a.ID, b.ID)) }
	j := 0
	for _, r := range results {
		for j < len(prevResults) && prevResults[j].ID < r.ID {
			j++
		}
		if j == len(prevResults) || prevResults[j].ID != r.ID {
			continue
		}
		b := int(prevResults[j].Score)
		s.InBoth++
		if int(r.Score) == b {
			continue
		}
		s.Moved++
		m := mover{ID: r.ID, Before: b, After: int(r.Score), Delta: int(r.Score) - b}
		if m.Delta > 0 {
			up = keep(up, m, upOrder)
		} else {
			down = keep(down, m, downOrder)
		}
	}
	s.Up, s.Down = up, down
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
