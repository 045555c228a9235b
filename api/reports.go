package api

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/socialscore/socialscore/graph"
)

// Aggregate reports and the guarded low-score listing. China's social
// credit "blacklists" are public lookups of low scorers; here the
// distribution is aggregate with small cells suppressed, and the listing
// of individuals is for auditors only, for a declared purpose, and every
// person listed finds the listing among their reads.

// MinCell is the smallest count a report shows; smaller cells are
// suppressed.
const MinCell = 10

// Cell is one count of a report; Count is nil when Suppressed.
type Cell struct {
	Key        string `json:"key"`
	Count      *int   `json:"count"`
	Suppressed bool   `json:"suppressed,omitempty"`
}

// DistributionResponse is the body of GET /v1/reports/score-distribution.
type DistributionResponse struct {
	RunID  string `json:"run_id"`
	Policy string `json:"policy"`
	// ByBand counts scored people by band (in the policy's order).
	ByBand []Cell `json:"by_band"`
	// ByDegreeDecile counts them by the decile of their number of
	// friends among the scored ("1" lowest .. "10" highest; people with
	// equal degrees fall in the decile of the first of them).
	ByDegreeDecile []Cell `json:"by_degree_decile"`
	MinCell        int    `json:"min_cell"`
}

// suppress turns counts into cells, hiding those under MinCell. When one
// cell alone is hidden it could be recovered by subtracting the others
// from the total, so the next smallest non-zero cell is hidden too
// (complementary suppression).
func suppress(keys []string, counts []int) []Cell {
	cells := make([]Cell, len(keys))
	hidden := 0
	for i, k := range keys {
		cells[i].Key = k
		if counts[i] > 0 && counts[i] < MinCell {
			cells[i].Suppressed = true
			hidden++
		} else {
			n := counts[i]
			cells[i].Count = &n
		}
	}
	if hidden == 1 {
		best := -1
		for i := range cells {
			if !cells[i].Suppressed && counts[i] > 0 && (best < 0 || counts[i] < counts[best]) {
				best = i
			}
		}
		if best >= 0 {
			cells[best].Suppressed, cells[best].Count = true, nil
		}
	}
	return cells
}

// getScoreDistribution is GET /v1/reports/score-distribution.
func (s *Server) getScoreDistribution(c *gin.Context) {
	if _, err := queryParams(c); err != nil {
		s.writeError(c, err)
		return
	}
	view := s.runner.View()
	if view == nil {
		s.writeError(c, notFound("", "no scoring run yet"))
		return
	}
	e, err := s.snaps.get(c.Request.Context())
	if err != nil {
		s.writeError(c, err)
		return
	}
	sc := s.visibleScores(view)
	bands := view.Policy.Bands
	bandKeys := make([]string, len(bands))
	for i, b := range bands {
		bandKeys[i] = b.Name
	}
	byBand := make([]int, len(bands))
	degs := make([]int, 0, len(sc.Results))
	for _, r := range sc.Results {
		name := view.Policy.BandOf(r.Score)
		if i := slices.Index(bandKeys, name); i >= 0 {
			byBand[i]++
		}
		d := 0
		if idx, ok := e.snap.Index(r.ID); ok {
			d = e.snap.Degree(idx)
		}
		degs = append(degs, d)
	}
	slices.Sort(degs)
	byDecile := make([]int, 10)
	for _, d := range degs {
		// The decile of the first person with this degree, so equal
		// degrees share a decile.
		first, _ := slices.BinarySearch(degs, d)
		byDecile[first*10/len(degs)]++
	}
	decKeys := make([]string, 10)
	for i := range decKeys {
		decKeys[i] = fmt.Sprint(i + 1)
	}
	writeJSON(c, http.StatusOK, DistributionResponse{RunID: view.Run.ID, Policy: view.Policy.Name,
		ByBand: suppress(bandKeys, byBand), ByDegreeDecile: suppress(decKeys, byDecile), MinCell: MinCell})
}

// LowScore is one person of the low-score listing.
type LowScore struct {
	ID    graph.ID `json:"id"`
	Score int      `json:"score"`
	Band  string   `json:"band"`
}

// LowScoresResponse is the body of GET /v1/reports/low-scores.
type LowScoresResponse struct {
	RunID  string     `json:"run_id"`
	Below  int        `json:"below"`
	People []LowScore `json:"people"`
	// Next is the after= of the next page; 0 on the last.
	Next graph.ID `json:"next"`
}

// getLowScores is GET /v1/reports/low-scores?below=&purpose=&after=&limit=
// (auditors, purpose required): people scoring below a threshold, by id.
// Every person listed is recorded as a score read with the purpose.
func (s *Server) getLowScores(c *gin.Context) {
	q, err := queryParams(c, "below", "after", "limit")
	if err != nil {
		s.writeError(c, err)
		return
	}
	if !q.Has("below") {
		s.writeError(c, invalid("below", "is required (a score from 351 to 950)"))
		return
	}
	below, err := intParam(q, "below", 0, 351, 950)
	if err != nil {
		s.writeError(c, err)
		return
	}
	limit, err := intParam(q, "limit", DefaultListLimit, 1, MaxListLimit)
	if err != nil {
		s.writeError(c, err)
		return
	}
	var after graph.ID
	if q.Has("after") {
		if after, err = graph.ParseID(q.Get("after")); err != nil {
			s.writeError(c, invalid("after", "must be a positive integer id (the next of the previous page)"))
			return
		}
	}
	view := s.runner.View()
	if view == nil {
		s.writeError(c, notFound("", "no scoring run yet"))
		return
	}
	results := slices.Clone(s.visibleScores(view).Results)
	slices.SortFunc(results, func(a, b graph.Result) int { return cmp.Compare(a.ID, b.ID) })
	out := LowScoresResponse{RunID: view.Run.ID, Below: below, People: []LowScore{}}
	for _, r := range results {
		if r.ID <= after || r.Score >= below {
			continue
		}
		if len(out.People) == limit {
			out.Next = out.People[len(out.People)-1].ID
			break
		}
		out.People = append(out.People, LowScore{ID: r.ID, Score: r.Score, Band: view.Policy.BandOf(r.Score)})
	}
	recs := make([]AuditRecord, len(out.People))
	for i, p := range out.People {
		recs[i].Person = p.ID
	}
	if err := s.recordReads(infoFrom(c.Request.Context()), "/v1/reports/low-scores", recs...); err != nil {
		s.writeError(c, err)
		return
	}
	writeJSON(c, http.StatusOK, out)
}
