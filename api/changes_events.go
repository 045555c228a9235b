package api

import (
	"context"
	"errors"
	"fmt"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

// EventChanges are the person's events that changed between the two runs
// of GET /v1/people/{id}/score/changes. An event counts in a run if it
// arrived before the run started (a run reads its snapshot when it
// starts), no upheld dispute removed it before then, and, under a policy
// with disputed_events exclude, no dispute about it was open then.
type EventChanges struct {
	// Added arrived between the runs (from's start ≤ arrival < to's
	// start); Removed were removed for good by a dispute upheld between
	// them; Moved counted in one run and not the other (added ones
	// included), and are what the drivers name. Oldest first.
	Added   []scoring.EventChange `json:"added"`
	Removed []scoring.EventChange `json:"removed"`
	Moved   []scoring.EventChange `json:"moved"`
}

// eventChanges reads the person's events and disputes and the two runs'
// start times, and finds what changed between the runs.
func (s *Server) eventChanges(ctx context.Context, id graph.ID, from, to graph.HistoryEntry, pb, pa scoring.Policy) (scoring.EventChanges, error) {
	rs, ok := s.store.(graph.RunStarts)
	if !ok {
		return scoring.EventChanges{}, fmt.Errorf("api: changes: the store does not keep run start times")
	}
	starts, err := rs.RunStarted(ctx, []string{from.RunID, to.RunID})
	if err != nil {
		return scoring.EventChanges{}, err
	}
	tf, okf := starts[from.RunID]
	tt, okt := starts[to.RunID]
	if !okf || !okt {
		// A run dropped from retention between the two reads.
		return scoring.EventChanges{}, errNoHistory(id)
	}
	events, err := s.store.Events(ctx, id)
	if errors.Is(err, graph.ErrNotFound) {
		return scoring.EventChanges{}, errNoHistory(id)
	}
	if err != nil {
		return scoring.EventChanges{}, err
	}
	disputes, err := s.store.Disputes(ctx, graph.DisputeFilter{Person: id, Limit: graph.MaxDisputeList})
	if errors.Is(err, graph.ErrNotFound) {
		return scoring.EventChanges{}, errNoHistory(id)
	}
	if err != nil {
		return scoring.EventChanges{}, err
	}
	return scoring.EventsBetween(events, disputes, tf, tt, pb, pa), nil
}
