package export

import (
	"github.com/socialscore/socialscore/scoring/contagion"
)

// ShockExport is a contagion.ShockResult with every person's id replaced
// by its exported id (see Pseudonymizer), for files and responses that
// must not carry real ids. The JSON shape is that of ShockResult, with
// "id" a string and "pseudonymised" added.
type ShockExport struct {
	Pseudonymised bool           `json:"pseudonymised"`
	Policy        string         `json:"policy"`
	Alpha         float64        `json:"alpha"`
	People        int            `json:"people"`
	MinMove       float64        `json:"min_move"`
	Changes       []ChangeExport `json:"changes"`
	Steps         []StepExport   `json:"steps"`
	Total         TotalExport    `json:"total"`
	Iterations    int            `json:"iterations"`
	Converged     bool           `json:"converged"`
	ElapsedMS     float64        `json:"elapsed_ms"`
	// Generalised is set by GeneraliseShock: every before and after is 0
	// (withheld).
	Generalised bool `json:"generalised,omitempty"`
}

// ChangeExport is contagion.ChangedPerson with an exported id.
type ChangeExport struct {
	ID               string `json:"id"`
	IndividualBefore int    `json:"individual_before"`
	IndividualAfter  int    `json:"individual_after"`
	ScoreBefore      int    `json:"score_before"`
	ScoreAfter       int    `json:"score_after"`
}

// StepExport is contagion.Step with exported ids.
type StepExport struct {
	Step         int           `json:"step"`
	Moved        int           `json:"moved"`
	MovedByHop   []int         `json:"moved_by_hop"`
	PointsLost   float64       `json:"points_lost"`
	PointsGained float64       `json:"points_gained"`
	Deltas       []DeltaExport `json:"deltas"`
	Truncated    bool          `json:"truncated,omitempty"`
}

// TotalExport is contagion.Total with exported ids.
type TotalExport struct {
	Moved        int                  `json:"moved"`
	PointsLost   float64              `json:"points_lost"`
	PointsGained float64              `json:"points_gained"`
	NetPoints    float64              `json:"net_points"`
	MaxHop       int                  `json:"max_hop"`
	Reach        []contagion.HopReach `json:"reach"`
	Deltas       []DeltaExport        `json:"deltas"`
	Truncated    bool                 `json:"truncated,omitempty"`
}

// DeltaExport is contagion.Delta with an exported id.
type DeltaExport struct {
	ID     string  `json:"id"`
	Hop    int     `json:"hop"`
	Before int     `json:"before"`
	After  int     `json:"after"`
	Delta  float64 `json:"delta"`
}

// Shock returns the shock result with exported ids.
func Shock(res contagion.ShockResult, ps Pseudonymizer) (ShockExport, error) {
	if err := ps.Validate(); err != nil {
		return ShockExport{}, err
	}
	deltas := func(ds []contagion.Delta) []DeltaExport {
		out := make([]DeltaExport, len(ds))
		for i, d := range ds {
			out[i] = DeltaExport{ID: ps.ID(d.ID), Hop: d.Hop, Before: d.Before, After: d.After, Delta: d.Delta}
		}
		return out
	}
	out := ShockExport{
		Pseudonymised: !ps.RealIDs, Policy: res.Policy, Alpha: res.Alpha, People: res.People, MinMove: res.MinMove,
		Changes: make([]ChangeExport, len(res.Changes)), Steps: make([]StepExport, len(res.Steps)),
		Iterations: res.Iterations, Converged: res.Converged, ElapsedMS: res.ElapsedMS,
	}
	for i, c := range res.Changes {
		out.Changes[i] = ChangeExport{ID: ps.ID(c.ID), IndividualBefore: c.IndividualBefore, IndividualAfter: c.IndividualAfter,
			ScoreBefore: c.ScoreBefore, ScoreAfter: c.ScoreAfter}
	}
	for i, s := range res.Steps {
		out.Steps[i] = StepExport{Step: s.Step, Moved: s.Moved, MovedByHop: s.MovedByHop, PointsLost: s.PointsLost,
			PointsGained: s.PointsGained, Deltas: deltas(s.Deltas), Truncated: s.Truncated}
	}
	t := res.Total
	out.Total = TotalExport{Moved: t.Moved, PointsLost: t.PointsLost, PointsGained: t.PointsGained, NetPoints: t.NetPoints,
		MaxHop: t.MaxHop, Reach: t.Reach, Deltas: deltas(t.Deltas), Truncated: t.Truncated}
	return out, nil
}
