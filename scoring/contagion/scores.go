package contagion

import (
	"cmp"
	"slices"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

// Scores are the results of a scoring run, used to annotate people, and
// the policy they were computed under (for bands). Results may be in any
// order and are matched to a snapshot's people by id: people without a
// result are unscored, results of people not in the snapshot are ignored.
type Scores struct {
	Results []graph.Result
	Policy  *scoring.Policy // nil: no bands
}

// ViewScores returns the scores of a scoring run's read view (nil: none).
func ViewScores(v *scoring.View) Scores {
	if v == nil {
		return Scores{}
	}
	p := v.Policy
	return Scores{Results: v.Results(), Policy: &p}
}

// Pillars are a person's five pillars, each in [0,1] (graph.Pillars with
// JSON names).
type Pillars struct {
	Purchase    float64 `json:"purchase"`
	Info        float64 `json:"info"`
	Bills       float64 `json:"bills"`
	Credit      float64 `json:"credit"`
	Recruitment float64 `json:"recruitment"`
}

// PillarsOf converts graph.Pillars.
func PillarsOf(p graph.Pillars) Pillars {
	return Pillars{Purchase: p.Purchase, Info: p.Info, Bills: p.Bills, Credit: p.Credit, Recruitment: p.Recruitment}
}

// newFinder returns a function that finds the index of a person's result
// (-1 if none): by binary search when the results are sorted by id, as
// scoring.ScoreSnapshot and scoring.View return them, else through a map.
func newFinder(results []graph.Result) func(graph.ID) int {
	if slices.IsSortedFunc(results, func(a, b graph.Result) int { return cmp.Compare(a.ID, b.ID) }) {
		return func(id graph.ID) int {
			k, ok := slices.BinarySearchFunc(results, id, func(r graph.Result, id graph.ID) int { return cmp.Compare(r.ID, id) })
			if !ok {
				return -1
			}
			return k
		}
	}
	m := make(map[graph.ID]int, len(results))
	for i, r := range results {
		m[r.ID] = i
	}
	return func(id graph.ID) int {
		if k, ok := m[id]; ok {
			return k
		}
		return -1
	}
}
