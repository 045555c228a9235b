package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
	"github.com/socialscore/socialscore/scoring/live"
)

// Live scores (Config.Live; docs/architecture.md, "Live scores").
//
// The live view (scoring/live) starts from the runner's current view and
// a snapshot of the store, and every acknowledged write is applied to it
// after the store has it: the store is the log, so nothing acknowledged
// can be lost from the view — after a restart, or when a new run is
// swapped in, the view is rebuilt from the run's results and a fresh
// snapshot, which holds every write acknowledged so far. The writes sent
// to the view are idempotent (a tie set or removed, a record replaced by
// the stored one, a person added with their stored ties or removed), so a
// write that lands both in the new snapshot and after it does no harm.
// Writes and rebuilds take one lock; reads share the engine's.

// Routes of the live view.
const (
	routeWhatIf = "/v1/people/{id}/what-if"
	routeAdvice = "/v1/people/{id}/advice"
)

// liveView holds the engine and the run it started from.
type liveView struct {
	mu   sync.Mutex
	eng  *live.Engine
	from *scoring.View
}

// liveEngine returns the live engine, (re)built when the runner's view is
// not the one it started from; nil when live scores are off or nothing is
// scored yet.
func (s *Server) liveEngine(ctx context.Context) (*live.Engine, error) {
	if !s.cfg.Live {
		return nil, nil
	}
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	return s.liveEngineLocked(ctx)
}

func (s *Server) liveEngineLocked(ctx context.Context) (*live.Engine, error) {
	v := s.runner.View()
	if v == nil {
		return nil, nil
	}
	if s.live.eng != nil && s.live.from == v {
		return s.live.eng, nil
	}
	snap, err := s.store.Snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("live view: snapshot: %w", err)
	}
	eng, err := live.New(snap, v.Results(), v.Policy, live.Options{Run: v.Run.ID})
	if err != nil {
		return nil, fmt.Errorf("live view: %w", err)
	}
	s.live.eng, s.live.from = eng, v
	return eng, nil
}

// liveApply applies acknowledged writes to the live view. A failure is
// logged and drops the view, which the next read rebuilds from the store.
func (s *Server) liveApply(ctx context.Context, cs ...live.Change) {
	if !s.cfg.Live {
		return
	}
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	eng, err := s.liveEngineLocked(ctx)
	if eng == nil || err != nil {
		s.live.eng = nil
		return
	}
	for _, c := range cs {
		err := eng.Apply(c)
		if err == nil || errors.Is(err, graph.ErrNotFound) || errors.Is(err, graph.ErrConflict) {
			continue // idempotent: already there, or not in the network
		}
		s.log.LogAttrs(ctx, slog.LevelWarn, "live view: change not applied; rebuilding", slog.String("kind", string(c.Kind)), slog.Any("error", err))
		s.live.eng = nil
		return
	}
}

// liveTie is the hook of PUT and DELETE /v1/friendships/{a}/{b}.
func (s *Server) liveTie(ctx context.Context, a, b graph.ID, weight float64, removed bool) {
	k := live.TieSet
	if removed {
		k = live.TieRemoved
	}
	s.liveApply(ctx, live.Change{Kind: k, A: a, B: b, Weight: weight})
}

// liveTieDeleted is the hook of DELETE of a tie: a friendship is removed
// from the view; a recruitment (which the view takes only from a
// snapshot) drops the view, rebuilt on the next read.
func (s *Server) liveTieDeleted(ctx context.Context, kind graph.TieKind, a, b graph.ID) {
	if kind == graph.Friend {
		s.liveTie(ctx, a, b, 0, true)
		return
	}
	s.liveInvalidate()
}

// liveInvalidate drops the live view: the next read rebuilds it from the
// current run and a fresh snapshot.
func (s *Server) liveInvalidate() {
	if !s.cfg.Live {
		return
	}
	s.live.mu.Lock()
	s.live.eng = nil
	s.live.mu.Unlock()
}

// livePerson is the hook of writes to a person (PUT /v1/people/{id}, its
// events, DELETE): p is the person as stored now, gone if erased.
func (s *Server) livePerson(ctx context.Context, p graph.Person, gone bool) {
	if !s.cfg.Live {
		return
	}
	if gone || !p.Consent {
		s.liveApply(ctx, live.Change{Kind: live.PersonRemoved, A: p.ID})
		return
	}
	eng, err := s.liveEngine(ctx)
	if err != nil || eng == nil {
		return
	}
	if _, ok := eng.Result(p.ID); ok {
		s.liveApply(ctx, live.Change{Kind: live.RecordSet, A: p.ID, Record: &p.Record, Profile: &p.Profile})
		return
	}
	ties, err := s.store.Ties(ctx, p.ID)
	if err != nil { // cannot add them: rebuild on the next read
		s.liveInvalidate()
		return
	}
	c := live.Change{Kind: live.PersonAdded, A: p.ID, Record: &p.Record, Profile: &p.Profile}
	for _, t := range ties {
		switch {
		case t.Kind == graph.Friend:
			c.Friends = append(c.Friends, t)
		case t.Kind == graph.Recruited && t.To == p.ID:
			c.Recruiter = t.From
		case t.Kind == graph.Recruited:
			c.Recruits = append(c.Recruits, t.To)
		}
	}
	s.liveApply(ctx, c)
}

// errNoLive is the 404 of what-if and advice without a live view.
func errNoLive(id graph.ID) error {
	return notFound("id", fmt.Sprintf("no live score for person %d: live scores are off on this server, or nothing is scored yet", id))
}

// AsOf says what a live answer reflects: the full run it started from and
// the changes applied since.
type AsOf struct {
	Run     string `json:"run"`
	Changes int64  `json:"changes"`
}

// LiveScoreResponse is a score read from the live view: the fields of
// ScoreResponse, live: true and as_of.
type LiveScoreResponse struct {
	ScoreResponse
	Live bool `json:"live"`
	AsOf AsOf `json:"as_of"`
}

// getLiveScore answers GET /v1/people/{id}/score from the live view, and
// reports false (nothing written) when live scores are off.
func (s *Server) getLiveScore(c *gin.Context, id graph.ID) bool {
	if !s.cfg.Live {
		return false
	}
	eng, v, err := s.liveFor(c)
	if err != nil {
		s.writeError(c, err)
		return true
	}
	if eng == nil {
		return false
	}
	r, e, ok := eng.Explain(id)
	if !ok {
		s.writeError(c, errNoScore("id", id))
		return true
	}
	if err := s.recordReads(infoFrom(c.Request.Context()), routeScore, AuditRecord{Person: id}); err != nil {
		s.writeError(c, err)
		return true
	}
	writeJSON(c, http.StatusOK, s.liveScore(eng, r, e, v))
	return true
}

func (s *Server) liveFor(c *gin.Context) (*live.Engine, *scoring.View, error) {
	eng, err := s.liveEngine(c.Request.Context())
	if err != nil {
		return nil, nil, err
	}
	s.live.mu.Lock()
	v := s.live.from
	s.live.mu.Unlock()
	return eng, v, nil
}

// liveForPerson is liveFor for the routes that need live scores about
// person id (what-if, advice): it writes the error itself, including the
// one for live scores being off, and reports whether to go on.
func (s *Server) liveForPerson(c *gin.Context, id graph.ID) (*live.Engine, *scoring.View, bool) {
	eng, v, err := s.liveFor(c)
	if err != nil {
		s.writeError(c, err)
		return nil, nil, false
	}
	if eng == nil {
		s.writeError(c, errNoLive(id))
		return nil, nil, false
	}
	return eng, v, true
}

func (s *Server) liveScore(eng *live.Engine, r graph.Result, e scoring.Explanation, v *scoring.View) LiveScoreResponse {
	run, n := eng.AsOf()
	return LiveScoreResponse{ScoreResponse: newScoreResponse(r, v, e, !s.storeUp.Load()), Live: true, AsOf: AsOf{Run: run, Changes: n}}
}

// whatIfRequest is the body of POST /v1/people/{id}/what-if.
type whatIfRequest struct {
	Changes *[]whatIfChange `json:"changes"`
}

// whatIfChange is one hypothetical change: "events" (events as POST
// /v1/people/{id}/events takes them, for the person), "friendship_added"
// (with, weight) or "friendship_removed" (with), "profile" (the person's
// profile replaced).
type whatIfChange struct {
	Type    string             `json:"type"`
	Events  *[]json.RawMessage `json:"events,omitempty"`
	With    *graph.ID          `json:"with,omitempty"`
	Weight  *float64           `json:"weight,omitempty"`
	Profile *ProfileBody       `json:"profile,omitempty"`
}

// WhatIfResponse is the score the person would have (the fields of a
// live score), what it is now, and the difference.
type WhatIfResponse struct {
	LiveScoreResponse
	Now   ScoreResponse `json:"now"`
	Delta int           `json:"delta"`
}

// maxWhatIfChanges bounds the changes of one what-if.
const maxWhatIfChanges = 100

func (s *Server) postWhatIf(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	var req whatIfRequest
	if _, err := s.bindJSON(c, &req, false); err != nil {
		s.writeError(c, err)
		return
	}
	if req.Changes == nil {
		s.writeError(c, invalid("changes", "is required"))
		return
	}
	if n := len(*req.Changes); n > maxWhatIfChanges {
		s.writeError(c, invalid("changes", fmt.Sprintf("must hold at most %d changes, not %d", maxWhatIfChanges, n)))
		return
	}
	now := s.clock()
	var changes []live.Change
	for i, w := range *req.Changes {
		at := "changes/" + strconv.Itoa(i)
		ch := live.Change{A: id, Now: now}
		switch w.Type {
		case "events":
			evs, err := parseEvents(w.Events, now)
			if err != nil {
				s.writeError(c, prefixed(at, err))
				return
			}
			ch.Kind, ch.Events = live.Events, evs
		case "friendship_added", "friendship_removed":
			if w.With == nil {
				s.writeError(c, invalid(at+"/with", "is required"))
				return
			}
			ch.Kind, ch.B = live.TieSet, *w.With
			if w.Type == "friendship_removed" {
				ch.Kind = live.TieRemoved
			}
			if w.Weight != nil {
				if !(*w.Weight > 0 && *w.Weight <= maxWeight) {
					s.writeError(c, invalid(at+"/weight", fmt.Sprintf("must be a number greater than 0 and at most %g", float64(maxWeight))))
					return
				}
				ch.Weight = *w.Weight
			}
		case "profile":
			if w.Profile == nil {
				s.writeError(c, invalid(at+"/profile", "is required"))
				return
			}
			p, err := parseProfile(w.Profile)
			if err == nil {
				err = p.Validate()
			}
			if err != nil {
				s.writeError(c, prefixed(at, err))
				return
			}
			ch.Kind, ch.Profile = live.RecordSet, &p
		default:
			s.writeError(c, invalid(at+"/type", fmt.Sprintf("unknown change %q (want events, friendship_added, friendship_removed or profile)", w.Type)))
			return
		}
		changes = append(changes, ch)
	}
	eng, v, ok := s.liveForPerson(c, id)
	if !ok {
		return
	}
	if _, ok := eng.Result(id); !ok {
		s.writeError(c, errNoScore("id", id))
		return
	}
	ans, err := eng.WhatIf(id, changes)
	if err != nil {
		var ve *graph.ValidationError
		if errors.As(err, &ve) && errors.Is(err, graph.ErrNotFound) {
			s.writeError(c, notFound(ve.Field, ve.Reason))
			return
		}
		s.writeError(c, err)
		return
	}
	if err := s.recordReads(infoFrom(c.Request.Context()), routeWhatIf, AuditRecord{Person: id}); err != nil {
		s.writeError(c, err)
		return
	}
	stale := !s.storeUp.Load()
	writeJSON(c, http.StatusOK, WhatIfResponse{
		LiveScoreResponse: s.liveScore(eng, ans.Then.Result, ans.Then.Explanation, v),
		Now:               newScoreResponse(ans.Now.Result, v, ans.Now.Explanation, stale),
		Delta:             ans.Delta,
	})
}

// prefixed puts an input error's fields under prefix.
func prefixed(prefix string, err error) error {
	var ae *apiError
	if errors.As(err, &ae) {
		c := *ae
		c.errs = make([]FieldError, len(ae.errs))
		for i, f := range ae.errs {
			f.Field = graph.JoinPath(prefix, f.Field)
			c.errs[i] = f
		}
		if len(c.errs) == 1 {
			c.detail = fieldDetail(c.errs[0].Field, c.errs[0].Reason)
		}
		return &c
	}
	return graph.Under(prefix, err)
}

// AdviceResponse lists actions on one's own record, most points first.
type AdviceResponse struct {
	ID      graph.ID       `json:"id"`
	Score   int            `json:"score"`
	Actions []AdviceAction `json:"actions"`
	Live    bool           `json:"live"`
	AsOf    AsOf           `json:"as_of"`
}

// AdviceAction is one action and the points it would gain (computed by
// what-if).
type AdviceAction struct {
	Code   string `json:"code"`
	Text   string `json:"text"`
	Field  string `json:"field,omitempty"`
	Months int    `json:"months,omitempty"`
	Points int    `json:"points"`
}

func (s *Server) getAdvice(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	eng, _, ok := s.liveForPerson(c, id)
	if !ok {
		return
	}
	r, ok := eng.Result(id)
	if !ok {
		s.writeError(c, errNoScore("id", id))
		return
	}
	acts, err := eng.Advice(id, s.clock())
	if err != nil {
		s.writeError(c, err)
		return
	}
	if err := s.recordReads(infoFrom(c.Request.Context()), routeAdvice, AuditRecord{Person: id}); err != nil {
		s.writeError(c, err)
		return
	}
	run, n := eng.AsOf()
	out := AdviceResponse{ID: id, Score: r.Score, Actions: []AdviceAction{}, Live: true, AsOf: AsOf{Run: run, Changes: n}}
	for _, a := range acts {
		out.Actions = append(out.Actions, AdviceAction{Code: a.Code, Text: a.Text, Field: a.Field, Months: a.Months, Points: a.Points})
	}
	writeJSON(c, http.StatusOK, out)
}
