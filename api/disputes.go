package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialscore/socialscore/graph"
)

// Disputes: a person contests one of their events (FCRA §611): while the
// dispute is open the event is left out of scoring (policy field
// disputed_events, exclude by default), and an operator resolves it,
// upheld (the event is removed for good) or rejected (it counts again).
//
// Who may call each route is in accessTable (authz.go): a subject opens and
// lists their own disputes, an operator resolves them, auditors read.

// DisputeResponse is a dispute on the wire. Outcome, resolved_by,
// resolved_at and note are null while it is open.
type DisputeResponse struct {
	ID         graph.DisputeID `json:"id"`
	Person     graph.ID        `json:"person"`
	Event      graph.EventID   `json:"event"`
	Reason     string          `json:"reason"`
	Status     string          `json:"status"` // open, upheld or rejected
	OpenedBy   string          `json:"opened_by"`
	OpenedAt   time.Time       `json:"opened_at"`
	Outcome    *string         `json:"outcome"`
	ResolvedBy *string         `json:"resolved_by"`
	ResolvedAt *time.Time      `json:"resolved_at"`
	Note       *string         `json:"note"`
	// Overdue: open for 30 days or more without a resolution.
	Overdue bool `json:"overdue"`
}

func disputeResponse(d graph.Dispute, now time.Time) DisputeResponse {
	out := DisputeResponse{ID: d.ID, Person: d.Person, Event: d.Event, Reason: d.Reason, Status: string(d.Status),
		OpenedBy: d.OpenedBy, OpenedAt: d.OpenedAt.UTC(), Overdue: d.Overdue(now)}
	if d.Status != graph.DisputeOpen {
		o, by, at, note := string(d.Status), d.ResolvedBy, d.ResolvedAt.UTC(), d.Note
		out.Outcome, out.ResolvedBy, out.ResolvedAt, out.Note = &o, &by, &at, &note
	}
	return out
}

func disputesResponse(ds []graph.Dispute, now time.Time) gin.H {
	out := make([]DisputeResponse, len(ds))
	for i, d := range ds {
		out[i] = disputeResponse(d, now)
	}
	return gin.H{"disputes": out}
}

// isNotFoundPlain reports an ErrNotFound that is not about a named field
// of the input (a missing person rather than an unknown event).
func isNotFoundPlain(err error) bool {
	var ve *graph.ValidationError
	return errors.Is(err, graph.ErrNotFound) && !errors.As(err, &ve)
}

// openDisputeRequest is the body of POST /v1/people/{id}/disputes.
type openDisputeRequest struct {
	Event  *json.RawMessage `json:"event"`  // required: the id of one of the person's events
	Reason *string          `json:"reason"` // required: 1 to 1,000 characters
}

// postDispute is POST /v1/people/{id}/disputes: the person contests one of
// their events. The dispute is opened by the calling app; the event is
// left out of the next scoring run under the default policy.
func (s *Server) postDispute(c *gin.Context) {
	ctx := c.Request.Context()
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	var req openDisputeRequest
	if _, err := s.bindJSON(c, &req, false); err != nil {
		s.writeError(c, err)
		return
	}
	if req.Event == nil {
		s.writeError(c, invalid("event", "is required"))
		return
	}
	eid, err := parseJSONID(*req.Event)
	if err != nil {
		s.writeError(c, invalid("event", "must be the positive integer id of one of the person's events"))
		return
	}
	if req.Reason == nil {
		s.writeError(c, invalid("reason", "is required"))
		return
	}
	if err := graph.CheckOpen(graph.EventID(eid), *req.Reason, AppFromContext(ctx)); err != nil {
		s.writeError(c, err)
		return
	}
	if _, err := s.consenting(c, id); err != nil {
		s.writeError(c, err)
		return
	}
	d, err := s.store.OpenDispute(ctx, id, graph.EventID(eid), *req.Reason, AppFromContext(ctx))
	if err != nil {
		s.writeError(c, noPersonIfNotFound(err, id))
		return
	}
	s.disputes.refresh(context.WithoutCancel(ctx), s.store)
	s.liveDispute(context.WithoutCancel(ctx), id) // api/live.go
	c.Header("Location", "/v1/disputes/"+d.ID.String())
	writeJSON(c, http.StatusCreated, disputeResponse(d, s.clock()))
}

// getPersonDisputes is GET /v1/people/{id}/disputes?status=&limit=: the
// person's disputes, newest first.
func (s *Server) getPersonDisputes(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	f, _, err := disputeFilter(c, false)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if _, err := s.consenting(c, id); err != nil {
		s.writeError(c, err)
		return
	}
	f.Person = id
	ds, err := s.store.Disputes(c.Request.Context(), f)
	if err != nil {
		s.writeError(c, noPersonIfNotFound(err, id))
		return
	}
	writeJSON(c, http.StatusOK, disputesResponse(ds, s.clock()))
}

// disputeFilter reads status, limit and, where allowed, overdue from the
// query. overdue=true lists open disputes opened at least 30 days ago.
func disputeFilter(c *gin.Context, overdueAllowed bool) (f graph.DisputeFilter, overdue bool, err error) {
	names := []string{"status", "limit"}
	if overdueAllowed {
		names = append(names, "overdue")
	}
	q, err := queryParams(c, names...)
	if err != nil {
		return f, false, err
	}
	if f.Limit, err = intParam(q, "limit", 100, 1, graph.MaxDisputeList); err != nil {
		return f, false, err
	}
	if q.Has("status") {
		if f.Status, err = graph.ParseDisputeStatus(q.Get("status")); err != nil {
			return f, false, err
		}
	}
	if overdueAllowed {
		if overdue, err = boolParam(q, "overdue"); err != nil {
			return f, false, err
		}
		if overdue && f.Status != "" && f.Status != graph.DisputeOpen {
			return f, false, invalid("overdue", "only open disputes are overdue; leave status out or set it to open")
		}
	}
	return f, overdue, nil
}

// getDisputes is GET /v1/disputes?status=&overdue=&limit=: everyone's
// disputes, newest first. Operators and auditors (accessTable).
func (s *Server) getDisputes(c *gin.Context) {
	f, overdue, err := disputeFilter(c, true)
	if err != nil {
		s.writeError(c, err)
		return
	}
	now := s.clock()
	if overdue {
		// Open and opened at least DisputeOverdue ago (Dispute.Overdue).
		f.Status = graph.DisputeOpen
		f.OpenedBefore = now.Add(-graph.DisputeOverdue).Add(time.Nanosecond)
	}
	ds, err := s.store.Disputes(c.Request.Context(), f)
	if err != nil {
		s.writeError(c, err)
		return
	}
	writeJSON(c, http.StatusOK, disputesResponse(ds, now))
}

// getDispute is GET /v1/disputes/{id}.
func (s *Server) getDispute(c *gin.Context) {
	id, err := disputePathID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	d, err := s.store.Dispute(c.Request.Context(), id)
	if err != nil {
		s.writeError(c, err)
		return
	}
	writeJSON(c, http.StatusOK, disputeResponse(d, s.clock()))
}

func disputePathID(c *gin.Context) (graph.DisputeID, error) {
	id, err := graph.ParseDisputeID(c.Param("id"))
	if err != nil {
		return 0, invalid("id", "must be a positive integer")
	}
	return id, nil
}

// resolveRequest is the body of POST /v1/disputes/{id}/resolution.
type resolveRequest struct {
	Outcome *string `json:"outcome"` // required: upheld or rejected
	Note    *string `json:"note"`    // optional: at most 1,000 characters
}

// postResolution is POST /v1/disputes/{id}/resolution: an operator closes
// an open dispute, upheld (the event is removed from the record for good)
// or rejected (the event counts again from the next run). Operators only
// (accessTable).
func (s *Server) postResolution(c *gin.Context) {
	ctx := c.Request.Context()
	id, err := disputePathID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	var req resolveRequest
	if _, err := s.bindJSON(c, &req, false); err != nil {
		s.writeError(c, err)
		return
	}
	if req.Outcome == nil {
		s.writeError(c, invalid("outcome", "is required"))
		return
	}
	var note string
	if req.Note != nil {
		note = *req.Note
	}
	outcome := graph.DisputeStatus(*req.Outcome)
	if err := graph.CheckResolve(outcome, note, AppFromContext(ctx)); err != nil {
		s.writeError(c, err)
		return
	}
	d, err := s.store.ResolveDispute(ctx, id, outcome, note, AppFromContext(ctx))
	if outcome == graph.DisputeUpheld {
		s.snaps.wrote(false) // the record changed
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	s.disputes.refresh(context.WithoutCancel(ctx), s.store)
	s.liveDispute(context.WithoutCancel(ctx), d.Person) // api/live.go
	writeJSON(c, http.StatusOK, disputeResponse(d, s.clock()))
}

// openDisputes holds how many open disputes each person has, for the
// score response's disputes_open: score reads touch no store, so the
// counts are read from the store when the server starts, after every
// dispute opened or resolved through this server, and every
// SnapshotMaxAge for disputes written by other servers of a shared store.
// Reloads are serialised, and each reads the store after it has the lock,
// so the last one to finish holds what the store held after every write
// that came before it.
type openDisputes struct {
	mu sync.Mutex
	m  atomic.Pointer[map[graph.ID]int]
}

// open returns the person's count of open disputes (0 for a nil receiver
// or before the first load).
func (d *openDisputes) open(id graph.ID) int {
	if d == nil {
		return 0
	}
	if m := d.m.Load(); m != nil {
		return (*m)[id]
	}
	return 0
}

// refresh reloads the counts; on failure the old ones stay (and the next
// refresh tries again).
func (d *openDisputes) refresh(ctx context.Context, store graph.DisputeStore) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	m, err := store.OpenDisputes(ctx)
	if err != nil {
		return
	}
	d.m.Store(&m)
}

// disputeLoop refreshes the counts of open disputes now and every
// SnapshotMaxAge until the server closes.
func (s *Server) disputeLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.SnapshotMaxAge)
	defer t.Stop()
	for {
		s.disputes.refresh(s.ctx, s.store)
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
	}
}
