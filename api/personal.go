package api

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

// What a person is told about their score beyond the score read: its
// history, how it changed between two runs, and (where the policy offers
// it) what each friend adds or takes away. Each is a read of the person's
// score, so each is attributed and audited first, as GET
// /v1/people/{id}/score is.

// Route patterns, as recorded in audit records.
const (
	routeScoreHistory = "/v1/people/{id}/score/history"
	routeScoreChanges = "/v1/people/{id}/score/changes"
	routeScoreFriends = "/v1/people/{id}/score/friends"
)

// MaxHistoryLimit bounds the limit of GET /v1/people/{id}/score/history.
const MaxHistoryLimit = 1000

// HistoryItem is one past score of a person.
type HistoryItem struct {
	RunID      string    `json:"run_id"`
	Policy     string    `json:"policy"`
	ComputedAt time.Time `json:"computed_at"` // when the run finished
	Score      int       `json:"score"`
	Individual int       `json:"individual"`
	Band       string    `json:"band"` // under the run's policy
}

// HistoryResponse is GET /v1/people/{id}/score/history.
type HistoryResponse struct {
	ID      graph.ID      `json:"id"`
	History []HistoryItem `json:"history"` // newest first
}

// ChangesResponse is GET /v1/people/{id}/score/changes.
type ChangesResponse struct {
	ID         graph.ID                  `json:"id"`
	From       HistoryItem               `json:"from"`
	To         HistoryItem               `json:"to"`
	Delta      int                       `json:"delta"` // to.score − from.score
	Components []scoring.ComponentChange `json:"components"`
	Record     RecordChanges             `json:"record"`
	Friends    CountChange               `json:"friends"`
	Network    NetworkChange             `json:"network"`
	Reasons    ReasonChanges             `json:"reasons"`
	Drivers    []string                  `json:"drivers"` // at most three sentences, largest move first
	// Events and Disputes are what happened to the person's kept events
	// between the runs (see changes_events.go).
	Events   EventChanges            `json:"events"`
	Disputes []scoring.DisputeChange `json:"disputes"`
	// Ties are the person's friendships and recruitments added, removed
	// or reweighted between the runs (see changes_events.go).
	Ties TieChanges `json:"ties"`
}

// RecordChanges lists the record's counts that differ between the runs;
// known is false when either run did not keep them (runs before record
// facts were kept), and changes is then empty.
type RecordChanges struct {
	Known   bool                 `json:"known"`
	Changes []scoring.FactChange `json:"changes"`
}

// CountChange is a count in both runs.
type CountChange struct {
	Before int `json:"before"`
	After  int `json:"after"`
}

// NetworkChange is the network split in both runs (null for a run that
// did not keep friends' shares).
type NetworkChange struct {
	Before *scoring.NetworkSplit `json:"before"`
	After  *scoring.NetworkSplit `json:"after"`
}

// ReasonChanges are the reasons of both runs, and which codes came and
// went.
type ReasonChanges struct {
	Before  []scoring.Reason `json:"before"`
	After   []scoring.Reason `json:"after"`
	Added   []scoring.Reason `json:"added"`
	Removed []scoring.Reason `json:"removed"`
}

// FriendsResponse is GET /v1/people/{id}/score/friends.
type FriendsResponse struct {
	ID     graph.ID `json:"id"`
	RunID  string   `json:"run_id"`
	Policy string   `json:"policy"`
	// NetworkPoints is the network component as the score shows it;
	// NetworkExact the same before rounding, which the friends' points
	// sum to (within 1e-6 points: the propagation's tolerance).
	NetworkPoints int            `json:"network_points"`
	NetworkExact  float64        `json:"network_exact"`
	Friends       []FriendPoints `json:"friends"` // most points first
}

// FriendPoints is what one friend adds to (positive) or takes from
// (negative) a person's score: 600·(1−c)·α·W_ij·(s_j − b_i), unrounded.
type FriendPoints struct {
	ID     graph.ID `json:"id"`
	Points float64  `json:"points"`
}

// errNoHistory is the 404 of a history or changes read; like errNoScore it
// does not say why.
func errNoHistory(id graph.ID) *apiError {
	return notFound("id", fmt.Sprintf("no score history for person %d (unknown, not consenting, or not scored yet)", id))
}

// history reads the person's retained history, newest first; a person
// without any is a 404.
func (s *Server) history(c *gin.Context, id graph.ID, limit int) ([]graph.HistoryEntry, error) {
	h, err := s.store.History(c.Request.Context(), id, limit)
	if errors.Is(err, graph.ErrNotFound) || (err == nil && len(h) == 0) {
		return nil, errNoHistory(id)
	}
	return h, err
}

// historyItem returns the item of an entry, with its band under the
// entry's policy p.
func historyItem(h graph.HistoryEntry, p scoring.Policy) HistoryItem {
	return HistoryItem{RunID: h.RunID, Policy: h.Policy, ComputedAt: h.ComputedAt.UTC(), Score: h.Score,
		Individual: h.Individual, Band: p.BandOf(h.Score)}
}

// entryPolicy returns the policy an entry was scored under.
func entryPolicy(h graph.HistoryEntry) (scoring.Policy, error) {
	p, err := scoring.PolicyOf(h.Policy, h.PolicySpec)
	if err != nil {
		return scoring.Policy{}, fmt.Errorf("api: history: run %s: %w", h.RunID, err)
	}
	return p, nil
}

// getScoreHistory is GET /v1/people/{id}/score/history?limit=N: the
// person's scores in the retained runs, newest first (every retained run
// without a limit; the stores keep 24 by default).
func (s *Server) getScoreHistory(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	q, err := queryParams(c, "limit")
	if err != nil {
		s.writeError(c, err)
		return
	}
	limit, err := intParam(q, "limit", 0, 1, MaxHistoryLimit)
	if err != nil {
		s.writeError(c, err)
		return
	}
	h, err := s.history(c, id, limit)
	if err != nil {
		s.writeError(c, err)
		return
	}
	out := HistoryResponse{ID: id, History: make([]HistoryItem, len(h))}
	for i, e := range h {
		p, err := entryPolicy(e)
		if err != nil {
			s.writeError(c, err)
			return
		}
		out.History[i] = historyItem(e, p)
	}
	if err := s.recordReads(infoFrom(c.Request.Context()), routeScoreHistory, AuditRecord{Person: id}); err != nil {
		s.writeError(c, err)
		return
	}
	writeJSON(c, http.StatusOK, out)
}

// getScoreChanges is GET /v1/people/{id}/score/changes?from=RUN&to=RUN:
// how the score moved between two retained runs that scored the person.
// to defaults to the newest, from to the run before to.
func (s *Server) getScoreChanges(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	q, err := queryParams(c, "from", "to")
	if err != nil {
		s.writeError(c, err)
		return
	}
	for _, name := range []string{"from", "to"} {
		if q.Has(name) && q.Get(name) == "" {
			s.writeError(c, invalid(name, "must be a run id"))
			return
		}
	}
	h, err := s.history(c, id, 0)
	if err != nil {
		s.writeError(c, err)
		return
	}
	find := func(name string) (int, error) {
		run := q.Get(name)
		i := slices.IndexFunc(h, func(e graph.HistoryEntry) bool { return e.RunID == run })
		if i < 0 {
			return 0, notFound(name, fmt.Sprintf("run %q is not among the %d retained runs that scored person %d", run, len(h), id))
		}
		return i, nil
	}
	to := 0 // newest
	if q.Has("to") {
		if to, err = find("to"); err != nil {
			s.writeError(c, err)
			return
		}
	}
	from := to + 1 // the run before
	if q.Has("from") {
		if from, err = find("from"); err != nil {
			s.writeError(c, err)
			return
		}
		switch {
		case from == to:
			s.writeError(c, invalid("from", "names the same run as to"))
			return
		case from < to:
			s.writeError(c, invalid("from", fmt.Sprintf("run %s is later than to (%s): from must be the earlier run", h[from].RunID, h[to].RunID)))
			return
		}
	} else if from >= len(h) {
		s.writeError(c, notFound("from", fmt.Sprintf("no earlier run scored person %d before run %s", id, h[to].RunID)))
		return
	}
	pb, err := entryPolicy(h[from])
	if err != nil {
		s.writeError(c, err)
		return
	}
	pa, err := entryPolicy(h[to])
	if err != nil {
		s.writeError(c, err)
		return
	}
	ctx := c.Request.Context()
	tf, tt, err := s.changeStarts(ctx, id, h[from], h[to])
	if err != nil {
		s.writeError(c, err)
		return
	}
	ev, err := s.eventChanges(ctx, id, tf, tt, pb, pa)
	if err != nil {
		s.writeError(c, err)
		return
	}
	ties, td, err := s.tieChanges(ctx, id, h[from], h[to], tf, tt, pb, pa)
	if err != nil {
		s.writeError(c, err)
		return
	}
	ch := scoring.ChangesWithTies(h[from].Result, h[to].Result, pb, pa, ev.Moved, td)
	out := ChangesResponse{
		ID: id, From: historyItem(h[from], pb), To: historyItem(h[to], pa), Delta: ch.Delta,
		Components: ch.Components,
		Record:     RecordChanges{Known: ch.RecordKnown, Changes: ch.Record},
		Friends:    CountChange{Before: ch.FriendsBefore, After: ch.FriendsAfter},
		Network:    NetworkChange{Before: ch.Before.Network, After: ch.After.Network},
		Reasons:    ReasonChanges{Before: ch.Before.Reasons, After: ch.After.Reasons, Added: ch.ReasonsAdded, Removed: ch.ReasonsRemoved},
		Drivers:    ch.Drivers,
		Events:     EventChanges{Added: ev.Added, Removed: ev.Removed, Moved: ev.Moved},
		Disputes:   ev.Disputes,
		Ties:       ties,
	}
	if err := s.recordReads(infoFrom(c.Request.Context()), routeScoreChanges, AuditRecord{Person: id}); err != nil {
		s.writeError(c, err)
		return
	}
	writeJSON(c, http.StatusOK, out)
}

// friendSharesTol is how far the friends' shares, recomputed from the
// store's friendships, may be from the stored network value s − b and
// still be taken for the run's friendships: the propagation leaves less
// than 1e-11 (scoring.PropagationTol times α/(1−α)); a friendship added,
// removed or reweighted since the run moves the sum by far more.
const friendSharesTol = 1e-9

// getScoreFriends is GET /v1/people/{id}/score/friends: each friend's
// points in the person's network component, for the current run.
//
// It is personal data about the friends (their standing relative to the
// person), meant for the person and operators only: the roles issue
// (being built in parallel) restricts who may call it. Until then it is
// offered only when the run's policy lists friends' shares
// (Policy.FriendShares = "listed"); under the default, "aggregate", it is
// 403 and the score's network.raise and network.lower are all there is.
//
// The run kept each person's result, not their friendships: the list is
// computed from the store's friendships and the run's results, and given
// only if it reproduces the stored network value (same number of friends,
// shares summing to s − b within friendSharesTol); otherwise the
// friendships changed since the run and it is a 409 until the next run.
func (s *Server) getScoreFriends(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	if _, err := queryParams(c); err != nil {
		s.writeError(c, err)
		return
	}
	res, _, view, ok := s.runner.LookupIndex(id)
	if !ok {
		s.writeError(c, errNoScore("id", id))
		return
	}
	p := view.Policy
	if !p.ListsFriendShares() {
		s.writeError(c, &apiError{status: http.StatusForbidden, typ: typeForbidden, title: "Forbidden",
			detail: fmt.Sprintf("policy %q offers friends' shares only in aggregate (network.raise and network.lower of the score); "+
				"a policy with friend_shares \"listed\" offers them friend by friend", p.Name)})
		return
	}
	ties, err := s.store.Ties(c.Request.Context(), id)
	if err != nil {
		s.writeError(c, err)
		return
	}
	var b graph.SnapshotBuilder
	b.AddPerson(graph.Person{ID: id, Consent: true})
	byID := map[graph.ID]graph.Result{id: res}
	for _, t := range ties {
		if t.Kind != graph.Friend {
			continue
		}
		f := t.From
		if f == id {
			f = t.To
		}
		fr, _, v, ok := s.runner.LookupIndex(f)
		if !ok || v != view {
			continue // not scored in this run: not in its network
		}
		byID[f] = fr
		b.AddPerson(graph.Person{ID: f, Consent: true})
		b.AddTie(t)
	}
	changed := &apiError{status: http.StatusConflict, typ: typeConflict, title: "Conflict",
		detail: fmt.Sprintf("person %d's friendships changed since run %s; the list is available after the next run", id, view.Run.ID)}
	if len(byID)-1 != int(res.Friends) {
		s.writeError(c, changed)
		return
	}
	snap, err := b.Build(time.Time{})
	if err != nil {
		s.writeError(c, err)
		return
	}
	results := make([]graph.Result, snap.Len())
	for i, pid := range snap.IDs {
		results[i] = byID[pid]
	}
	i, _ := snap.Index(id)
	shares, err := scoring.FriendShares(snap, results, p.Alpha, i)
	if err != nil {
		s.writeError(c, err)
		return
	}
	var sum float64
	out := FriendsResponse{ID: id, RunID: view.Run.ID, Policy: view.Run.Policy, Friends: make([]FriendPoints, len(shares))}
	for k, sh := range shares {
		sum += sh.Value
		out.Friends[k] = FriendPoints{ID: sh.ID, Points: scoring.PointsOfShare(sh.Value, p)}
	}
	if !(math.Abs(sum-(res.Network-res.Base)) <= friendSharesTol) {
		s.writeError(c, changed)
		return
	}
	slices.SortFunc(out.Friends, func(a, b FriendPoints) int {
		return cmp.Or(cmp.Compare(b.Points, a.Points), cmp.Compare(a.ID, b.ID))
	})
	out.NetworkExact = scoring.PointsOfShare(res.Network-res.Base, p)
	for _, comp := range scoring.Explain(res, p).Components {
		if comp.Name == scoring.ComponentNetwork {
			out.NetworkPoints = comp.Points
		}
	}
	if err := s.recordReads(infoFrom(c.Request.Context()), routeScoreFriends, AuditRecord{Person: id}); err != nil {
		s.writeError(c, err)
		return
	}
	writeJSON(c, http.StatusOK, out)
}
