package api

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

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

// TieChanges are the person's ties that changed between the two runs of
// GET /v1/people/{id}/score/changes, from the store's tie log: a tie
// counts in a run if it was there just before the run started. Ties
// created by a batch (seed, import) and ties with people since erased are
// not logged, so they are not listed (docs/architecture.md, Stores).
type TieChanges struct {
	// Added were there when the later run started and not when the
	// earlier did, Removed the other way round, Reweighted both, with
	// another weight; oldest change first.
	Added      []scoring.TieChange `json:"added"`
	Removed    []scoring.TieChange `json:"removed"`
	Reweighted []scoring.TieChange `json:"reweighted"`
	// SharesKnown says whether both runs' friends' shares were reproduced
	// from these ties and the runs' results (scoring.FriendSharesOf), so
	// that the drivers give the new and lost friends' points; when false
	// (a friendship the log does not know of, or a friend's results
	// erased since, or more than 2,000 friends in the two runs) the
	// drivers give counts only.
	SharesKnown bool `json:"shares_known"`
}

// changeStarts returns when the two runs started.
func (s *Server) changeStarts(ctx context.Context, id graph.ID, from, to graph.HistoryEntry) (tf, tt time.Time, err error) {
	rs, ok := s.store.(graph.RunStarts)
	if !ok {
		return tf, tt, fmt.Errorf("api: changes: the store does not keep run start times")
	}
	starts, err := rs.RunStarted(ctx, []string{from.RunID, to.RunID})
	if err != nil {
		return tf, tt, err
	}
	tf, okf := starts[from.RunID]
	tt, okt := starts[to.RunID]
	if !okf || !okt {
		// A run dropped from retention between the two reads.
		return tf, tt, errNoHistory(id)
	}
	return tf, tt, nil
}

// eventChanges reads the person's events and disputes and finds what
// changed between the runs that started at tf and tt.
func (s *Server) eventChanges(ctx context.Context, id graph.ID, tf, tt time.Time, pb, pa scoring.Policy) (scoring.EventChanges, error) {
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

// maxChangeShareFriends bounds the friends (of either run) whose results
// tieChanges reads to reproduce the friends' shares; a person with more
// gets the tie lists and counts, not the shares' points. historyReaders
// is how many of those reads run at once.
const (
	maxChangeShareFriends = 2000
	historyReaders        = 8
)

// tieChanges reads the person's ties and tie log since the earlier run
// started, finds the ties that changed between the runs and, from the
// runs' results of the person's friends, what they did to the network
// component. A store without a tie log gives empty lists and no tie
// drivers.
func (s *Server) tieChanges(ctx context.Context, id graph.ID, from, to graph.HistoryEntry, tf, tt time.Time, pb, pa scoring.Policy) (TieChanges, scoring.TieDrivers, error) {
	out := TieChanges{Added: []scoring.TieChange{}, Removed: []scoring.TieChange{}, Reweighted: []scoring.TieChange{}}
	tl, ok := s.store.(graph.TieLog)
	if !ok {
		return out, scoring.TieDrivers{}, nil
	}
	h, err := tl.TieHistory(ctx, id, tf)
	if errors.Is(err, graph.ErrNotFound) {
		return out, scoring.TieDrivers{}, errNoHistory(id)
	}
	if err != nil {
		return out, scoring.TieDrivers{}, err
	}
	tc := scoring.TiesBetween(id, h, tf, tt)
	out.Added, out.Removed, out.Reweighted = tc.Added, tc.Removed, tc.Reweighted
	hasFriendChange := false
	for _, l := range [][]scoring.TieChange{tc.Added, tc.Removed} {
		for _, c := range l {
			hasFriendChange = hasFriendChange || c.Kind == graph.Friend.String()
		}
	}
	if !hasFriendChange {
		return out, scoring.TieDriversOf(id, tc, nil, nil, pb, pa), nil
	}
	// The results of the person and of every friend of either run, in
	// each run: one History read per friend, a few at a time.
	var friends []graph.ID
	seen := map[graph.ID]bool{}
	for _, ties := range [][]graph.Tie{tc.Before, tc.After} {
		for _, t := range ties {
			f := t.From
			if f == id {
				f = t.To
			}
			if t.Kind == graph.Friend && !seen[f] {
				seen[f] = true
				friends = append(friends, f)
			}
		}
	}
	if len(friends) > maxChangeShareFriends {
		return out, scoring.TieDriversOf(id, tc, nil, nil, pb, pa), nil
	}
	hist := make([][]graph.HistoryEntry, len(friends))
	errs := make([]error, len(friends))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(historyReaders, len(friends)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				hist[k], errs[k] = s.store.History(ctx, friends[k], 0)
			}
		}()
	}
	for k := range friends {
		next <- k
	}
	close(next)
	wg.Wait()
	before := map[graph.ID]graph.Result{id: from.Result}
	after := map[graph.ID]graph.Result{id: to.Result}
	for k, f := range friends {
		if errors.Is(errs[k], graph.ErrNotFound) {
			continue // erased since
		}
		if errs[k] != nil {
			return out, scoring.TieDrivers{}, errs[k]
		}
		for _, e := range hist[k] {
			switch e.RunID {
			case from.RunID:
				before[f] = e.Result
			case to.RunID:
				after[f] = e.Result
			}
		}
	}
	sb, okb := scoring.FriendSharesOf(id, tc.Before, before, pb.Alpha, friendSharesTol)
	sa, oka := scoring.FriendSharesOf(id, tc.After, after, pa.Alpha, friendSharesTol)
	if !okb || !oka {
		sb, sa = nil, nil
	}
	d := scoring.TieDriversOf(id, tc, sb, sa, pb, pa)
	out.SharesKnown = d.SharesKnown
	return out, d, nil
}
