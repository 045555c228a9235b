package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

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
// can be lost from the view — after a restart the view is rebuilt from
// the run's results and a fresh snapshot, which holds every write
// acknowledged so far. The writes sent to the view are idempotent (a tie
// or recruitment set or removed, a record replaced by the stored one, a
// person added with their stored ties or removed), so a write that lands
// both in a new snapshot and after it does no harm.
//
// Reads load the current engine from an atomic pointer and share the
// engine's read lock; writes take liveView.mu, then the engine's lock.
// When a new run is in (a reconcile, Config.LiveReconcile, or a run
// started through the API), the view is rebuilt in the background from
// that run and a fresh snapshot while the old one goes on serving and
// taking writes; the writes applied meanwhile are logged and replayed on
// the new view, which is then swapped in under liveView.mu, so a write
// acknowledged during the rebuild is in it.

// Routes of the live view.
const (
	routeWhatIf = "/v1/people/{id}/what-if"
	routeAdvice = "/v1/people/{id}/advice"
)

// liveView holds the engine and the run it started from.
type liveView struct {
	mu  sync.Mutex // writes, swaps and the log
	cur atomic.Pointer[liveCur]
	// log, while a rebuild is under way, holds every change applied to
	// the view since the rebuild's snapshot was started: replayed on the
	// new view before it is swapped in.
	log        *[]live.Change
	rebuilding bool
	rebuilt    atomic.Int64 // rebuilds swapped in (tests)
	built      func()       // tests: called when a rebuild has its snapshot and engine, before the replay
}

// liveCur is one engine and the run it started from.
type liveCur struct {
	eng  *live.Engine
	from *scoring.View
}

// liveEngine returns the live engine and the run it started from: nil
// when live scores are off or nothing is scored yet. The first call
// builds it; when the runner has a newer run, the current engine goes on
// serving while a new one is built in the background (liveRebuild).
func (s *Server) liveEngine(ctx context.Context) (*live.Engine, *scoring.View, error) {
	if !s.cfg.Live {
		return nil, nil, nil
	}
	if c := s.live.cur.Load(); c != nil {
		if v := s.runner.View(); v != c.from {
			s.liveRebuildAsync()
		}
		return c.eng, c.from, nil
	}
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	c, err := s.liveEngineLocked(ctx)
	if c == nil || err != nil {
		return nil, nil, err
	}
	return c.eng, c.from, nil
}

// liveEngineLocked returns the current engine, built now if there is
// none (s.live.mu held).
func (s *Server) liveEngineLocked(ctx context.Context) (*liveCur, error) {
	if c := s.live.cur.Load(); c != nil {
		return c, nil
	}
	v := s.runner.View()
	if v == nil {
		return nil, nil
	}
	eng, err := s.liveBuild(ctx, v)
	if err != nil {
		return nil, err
	}
	c := &liveCur{eng: eng, from: v}
	s.live.cur.Store(c)
	return c, nil
}

// liveBuild builds a live engine from run v and a fresh snapshot.
func (s *Server) liveBuild(ctx context.Context, v *scoring.View) (*live.Engine, error) {
	snap, err := s.store.Snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("live view: snapshot: %w", err)
	}
	eng, err := live.New(snap, v.Results(), v.Policy, live.Options{Run: v.Run.ID})
	if err != nil {
		return nil, fmt.Errorf("live view: %w", err)
	}
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
	if s.live.log != nil {
		*s.live.log = append(*s.live.log, cs...)
	}
	c, err := s.liveEngineLocked(ctx)
	if c == nil || err != nil {
		s.live.cur.Store(nil)
		return
	}
	if s.runner.View() != c.from && !s.live.rebuilding {
		s.liveRebuildStart()
	}
	if err := applyAll(c.eng, cs); err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "live view: change not applied; rebuilding", slog.Any("error", err))
		s.live.cur.Store(nil)
	}
}

// applyAll applies idempotent changes: one naming someone not in the
// network, or adding someone already there, is skipped.
func applyAll(eng *live.Engine, cs []live.Change) error {
	for _, c := range cs {
		err := eng.Apply(c)
		if err == nil || errors.Is(err, graph.ErrNotFound) || errors.Is(err, graph.ErrConflict) {
			continue // idempotent: already there, or not in the network
		}
		return fmt.Errorf("%s: %w", c.Kind, err)
	}
	return nil
}

// liveRebuildAsync starts a rebuild in the background unless one is
// under way.
func (s *Server) liveRebuildAsync() {
	s.live.mu.Lock()
	busy := s.live.rebuilding
	s.live.mu.Unlock()
	if !busy {
		s.liveRebuildStart()
	}
}

// liveRebuildStart starts liveRebuild in the background (which returns at
// once if another is under way).
func (s *Server) liveRebuildStart() {
	if s.ctx.Err() != nil {
		return // closing
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.liveRebuild(s.ctx); err != nil && s.ctx.Err() == nil {
			s.log.Warn("live view: rebuild failed; the old view goes on", slog.Any("error", err))
		}
	}()
}

// liveReplayUnlocked is how many logged changes a rebuild replays before
// swapping under the lock: larger backlogs are replayed outside it, so
// writes wait only for the last few.
const liveReplayUnlocked = 64

// liveRebuild builds the live view of the runner's current run from a
// fresh snapshot and swaps it in. The writes applied to the old view
// from the moment the snapshot was started are logged and replayed on
// the new one first (they are idempotent, so those the snapshot holds
// too do no harm): no acknowledged write is lost by the swap. A second
// call while one is under way returns at once.
func (s *Server) liveRebuild(ctx context.Context) error {
	s.live.mu.Lock()
	if s.live.rebuilding {
		s.live.mu.Unlock()
		return nil
	}
	s.live.rebuilding = true
	log := []live.Change{}
	s.live.log = &log
	s.live.mu.Unlock()
	defer func() {
		s.live.mu.Lock()
		s.live.rebuilding, s.live.log = false, nil
		s.live.mu.Unlock()
	}()
	v := s.runner.View()
	if v == nil {
		return nil
	}
	eng, err := s.liveBuild(ctx, v)
	if err != nil {
		return err
	}
	if s.live.built != nil {
		s.live.built()
	}
	done := 0
	for {
		s.live.mu.Lock()
		pending := (*s.live.log)[done:]
		if len(pending) <= liveReplayUnlocked {
			err := applyAll(eng, pending)
			if err == nil {
				s.live.cur.Store(&liveCur{eng: eng, from: v})
				s.live.rebuilt.Add(1)
			}
			s.live.mu.Unlock()
			return err
		}
		pending = slices.Clone(pending)
		s.live.mu.Unlock()
		if err := applyAll(eng, pending); err != nil {
			return err
		}
		done += len(pending)
	}
}

// reconcileLoop runs a full scoring run every Config.LiveReconcile under
// the live view's policy and swaps its live view in (liveRebuild): the
// view's residual errors start again from an exact run, and the run is
// stored like any other. A tick while a run is going is skipped.
func (s *Server) reconcileLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.LiveReconcile)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		if err := s.reconcile(s.ctx); err != nil && s.ctx.Err() == nil {
			s.log.Warn("live view: reconcile failed; the live view goes on", slog.Any("error", err))
		}
	}
}

// reconcile is one reconcile: a full run, then its live view swapped in.
func (s *Server) reconcile(ctx context.Context) error {
	v := s.runner.View()
	if v == nil || s.runner.Running() {
		return nil // nothing scored yet (a first run is the operator's), or a run is going
	}
	rep, err := s.runner.Run(ctx, v.Policy, s.cfg.RunOptions)
	if errors.Is(err, scoring.ErrRunInProgress) {
		return nil
	}
	if err != nil {
		return err
	}
	s.log.Info("live view: reconciled by a full run", slog.String("run", rep.Run.ID), slog.Duration("total", rep.Total))
	return s.liveRebuild(ctx)
}

// liveTie is the hook of PUT and DELETE /v1/friendships/{a}/{b}.
func (s *Server) liveTie(ctx context.Context, a, b graph.ID, weight float64, removed bool) {
	k := live.TieSet
	if removed {
		k = live.TieRemoved
	}
	s.liveApply(ctx, live.Change{Kind: k, A: a, B: b, Weight: weight})
}

// liveRecruit is the hook of PUT and DELETE of a recruitment: the
// recruiter's recruitment pillar is recomputed and pushed.
func (s *Server) liveRecruit(ctx context.Context, recruiter, recruit graph.ID, removed bool) {
	k := live.RecruitSet
	if removed {
		k = live.RecruitRemoved
	}
	s.liveApply(ctx, live.Change{Kind: k, A: recruiter, B: recruit})
}

// liveTieDeleted is the hook of DELETE of a tie.
func (s *Server) liveTieDeleted(ctx context.Context, kind graph.TieKind, a, b graph.ID) {
	if kind == graph.Friend {
		s.liveTie(ctx, a, b, 0, true)
		return
	}
	s.liveRecruit(ctx, a, b, true)
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
	eng, _, err := s.liveEngine(ctx)
	if err != nil || eng == nil {
		return
	}
	// A scoring run leaves out events under an open dispute
	// (graph.DeriveRecord); so does the live view.
	if s.disputes.open(p.ID) > 0 {
		evs, err := s.store.Events(ctx, p.ID)
		if err != nil { // cannot tell the record: rebuild on the next read
			s.live.cur.Store(nil)
			return
		}
		p.Record = graph.DeriveRecord(evs, true)
	}
	if _, ok := eng.Result(p.ID); ok {
		s.liveApply(ctx, live.Change{Kind: live.RecordSet, A: p.ID, Record: &p.Record, Profile: &p.Profile})
		return
	}
	ties, err := s.store.Ties(ctx, p.ID)
	if err != nil { // cannot add them: rebuild on the next read
		s.live.cur.Store(nil)
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

// liveDispute is the hook of opening and resolving a dispute about one
// of the person's events: the record a scoring run uses leaves out events
// under an open dispute and removed ones, so the person's live record is
// derived again from their events. s.disputes must already hold the
// counts after the write.
func (s *Server) liveDispute(ctx context.Context, id graph.ID) {
	if !s.cfg.Live {
		return
	}
	p, err := s.store.Person(ctx, id)
	if err != nil {
		if errors.Is(err, graph.ErrNotFound) {
			return
		}
		s.live.cur.Store(nil) // rebuilt from the store on the next read
		return
	}
	s.livePerson(ctx, p, false)
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

// LiveBatchResponse is POST /v1/scores/batch from the live view: every
// score as GET /v1/people/{id}/score gives it (live: true, as_of), all
// read in one state of the view.
type LiveBatchResponse struct {
	Scores []LiveScoreResponse `json:"scores"`
}

// batchLiveScores answers POST /v1/scores/batch from the live view, and
// reports false (nothing written) when live scores are off or nothing is
// scored yet.
func (s *Server) batchLiveScores(c *gin.Context, ids []graph.ID) bool {
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
	outs, n, missing, ok := eng.ExplainAll(ids)
	if !ok {
		s.writeError(c, errNoScore("ids/"+strconv.Itoa(missing), ids[missing]))
		return true
	}
	recs := make([]AuditRecord, len(ids))
	for i, id := range ids {
		recs[i].Person = id
	}
	if err := s.recordReads(infoFrom(c.Request.Context()), routeScoreBatch, recs...); err != nil {
		s.writeError(c, err)
		return true
	}
	out := LiveBatchResponse{Scores: make([]LiveScoreResponse, len(outs))}
	for i, o := range outs {
		out.Scores[i] = s.liveScoreAt(o.Result, o.Explanation, v, eng.Run(), n)
	}
	writeJSON(c, http.StatusOK, out)
	return true
}

func (s *Server) liveFor(c *gin.Context) (*live.Engine, *scoring.View, error) {
	return s.liveEngine(c.Request.Context())
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
	return s.liveScoreAt(r, e, v, run, n)
}

func (s *Server) liveScoreAt(r graph.Result, e scoring.Explanation, v *scoring.View, run string, n int64) LiveScoreResponse {
	out := LiveScoreResponse{ScoreResponse: newScoreResponse(r, v, e, !s.storeUp.Load()), Live: true, AsOf: AsOf{Run: run, Changes: n}}
	out.DisputesOpen = s.disputes.open(r.ID) // as the run's reads say it (scoreEncoder)
	return out
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
