package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialscore/socialscore/graph"
)

// eventsPostedResponse is the answer of POST /v1/people/{id}/events: the
// person, as before, and the ids the events were kept under, in the order
// posted.
type eventsPostedResponse struct {
	PersonResponse
	EventIDs []graph.EventID `json:"event_ids"`
}

func eventsPosted(p graph.Person, stored []graph.StoredEvent) eventsPostedResponse {
	out := eventsPostedResponse{PersonResponse: personResponse(p), EventIDs: make([]graph.EventID, len(stored))}
	for i, e := range stored {
		out.EventIDs[i] = e.ID
	}
	return out
}

// EventResponse is one kept event of a person. The opening balance (id 0,
// type opening_balance) carries the record the person started from in
// balance; every other event carries its own fields.
type EventResponse struct {
	ID        graph.EventID   `json:"id"`
	Type      string          `json:"type"`
	Amount    *float64        `json:"amount,omitempty"`
	At        *time.Time      `json:"at,omitempty"`
	Due       *time.Time      `json:"due,omitempty"`
	Paid      *time.Time      `json:"paid,omitempty"`
	Balance   *RecordResponse `json:"balance,omitempty"`
	Provider  *string         `json:"provider"` // null for the opening balance
	ArrivedAt time.Time       `json:"arrived_at"`
	// Status is counted, disputed (an open dispute: left out of scoring
	// under the default policy) or removed (an upheld dispute).
	Status  string           `json:"status"`
	Dispute *graph.DisputeID `json:"dispute"` // the last dispute about it, null if none
}

// Event statuses on the wire.
const (
	eventCounted  = "counted"
	eventDisputed = "disputed"
	eventRemoved  = "removed"
)

func eventResponse(e graph.StoredEvent) EventResponse {
	out := EventResponse{ID: e.ID, Type: string(e.Event.Type), ArrivedAt: e.ArrivedAt.UTC(), Status: eventCounted}
	utc := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		t = t.UTC()
		return &t
	}
	if e.Opening() {
		rec := personResponse(graph.Person{Consent: true, Record: e.Balance}).Record
		out.Balance = rec
	} else {
		a := e.Event.Amount
		out.Amount, out.At, out.Due, out.Paid = &a, utc(e.Event.At), utc(e.Event.Due), utc(e.Event.Paid)
		p := e.Provider
		out.Provider = &p
	}
	switch {
	case e.Removed:
		out.Status = eventRemoved
	case e.Disputed:
		out.Status = eventDisputed
	}
	if e.Dispute != 0 {
		d := e.Dispute
		out.Dispute = &d
	}
	return out
}

// MaxEventList bounds one page of GET /v1/people/{id}/events.
const MaxEventList = 1000

// getEvents is GET /v1/people/{id}/events?after=&limit=: the person's
// events, oldest first, starting with the opening balance (id 0), so a
// person can see what their record is made of and which event to dispute.
// after pages on: only events with a larger id.
func (s *Server) getEvents(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	q, err := queryParams(c, "after", "limit")
	if err != nil {
		s.writeError(c, err)
		return
	}
	limit, err := intParam(q, "limit", 100, 1, MaxEventList)
	if err != nil {
		s.writeError(c, err)
		return
	}
	after := graph.EventID(-1)
	if q.Has("after") {
		v, err := graph.ParseEventID(q.Get("after"))
		if err != nil && q.Get("after") != "0" {
			s.writeError(c, invalid("after", "must be an event id (0 or a positive integer)"))
			return
		}
		after = v
	}
	if _, err := s.consenting(c, id); err != nil {
		s.writeError(c, err)
		return
	}
	events, err := s.store.Events(c.Request.Context(), id)
	if err != nil {
		s.writeError(c, noPersonIfNotFound(err, id))
		return
	}
	out := make([]EventResponse, 0, min(limit, len(events)))
	more := false
	for _, e := range events {
		if e.ID <= after {
			continue
		}
		if len(out) == limit {
			more = true
			break
		}
		out = append(out, eventResponse(e))
	}
	writeJSON(c, http.StatusOK, gin.H{"events": out, "more": more})
}

// noPersonIfNotFound turns a store's ErrNotFound about the person into the
// API's 404 naming "id".
func noPersonIfNotFound(err error, id graph.ID) error {
	if isNotFoundPlain(err) {
		return errNoPerson("id", id)
	}
	return err
}
