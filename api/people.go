package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialscore/socialscore/graph"
)

// MaxEvents bounds the events of one POST /v1/people/{id}/events.
const MaxEvents = 1000

// PersonResponse is a person as the API shows it. Record is omitted for a
// person who has not consented (only the PUT that withdrew consent sees
// such a person; every read answers 404).
type PersonResponse struct {
	ID        graph.ID        `json:"id"`
	Consent   bool            `json:"consent"`
	Profile   ProfileBody     `json:"profile"`
	Record    *RecordResponse `json:"record,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// ProfileBody lists the profile fields provided and verified, by wire name
// (graph.ProfileFieldNames). Values are never sent or stored.
type ProfileBody struct {
	Provided []string `json:"provided"`
	Verified []string `json:"verified"`
}

// RecordResponse is the aggregate financial record of a person.
type RecordResponse struct {
	PurchaseTotal  float64    `json:"purchase_total"`
	PurchaseCount  int64      `json:"purchase_count"`
	BillsOnTime    int64      `json:"bills_on_time"`
	BillsLate      int64      `json:"bills_late"`
	BillDaysLate   int64      `json:"bill_days_late"`
	CreditOnTime   int64      `json:"credit_on_time"`
	CreditLate     int64      `json:"credit_late"`
	CreditDaysLate int64      `json:"credit_days_late"`
	Defaults       int64      `json:"defaults"`
	DefaultAmount  float64    `json:"default_amount"`
	LastEventAt    *time.Time `json:"last_event_at"` // null before the first event
}

func personResponse(p graph.Person) PersonResponse {
	out := PersonResponse{
		ID: p.ID, Consent: p.Consent,
		Profile:   ProfileBody{Provided: p.Profile.Provided.Names(), Verified: p.Profile.Verified.Names()},
		CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC(),
	}
	if p.Consent {
		r := p.Record
		out.Record = &RecordResponse{
			PurchaseTotal: r.PurchaseTotal, PurchaseCount: r.PurchaseCount,
			BillsOnTime: r.BillsOnTime, BillsLate: r.BillsLate, BillDaysLate: r.BillDaysLate,
			CreditOnTime: r.CreditOnTime, CreditLate: r.CreditLate, CreditDaysLate: r.CreditDaysLate,
			Defaults: r.Defaults, DefaultAmount: r.DefaultAmount,
		}
		if !r.LastEventAt.IsZero() {
			t := r.LastEventAt.UTC()
			out.Record.LastEventAt = &t
		}
	}
	return out
}

// pathID parses the path parameter as a positive id; the error names the
// parameter as the field.
func pathID(c *gin.Context, name string) (graph.ID, error) {
	id, err := graph.ParseID(c.Param(name))
	if err != nil {
		return 0, invalid(name, "must be a positive integer")
	}
	return id, nil
}

// errNoPerson is the 404 of a person who does not exist or has not
// consented: the two are not told apart.
func errNoPerson(field string, id graph.ID) *apiError {
	return notFound(field, fmt.Sprintf("no person %d", id))
}

// putPersonRequest is the body of PUT /v1/people/{id}.
type putPersonRequest struct {
	Consent *bool        `json:"consent"` // required
	Profile *ProfileBody `json:"profile"` // optional: no fields
}

// parseProfile turns wire names into a profile; errors name the index.
func parseProfile(b *ProfileBody) (graph.Profile, error) {
	var p graph.Profile
	if b == nil {
		return p, nil
	}
	parse := func(field string, names []string) (graph.FieldSet, error) {
		var set graph.FieldSet
		for i, n := range names {
			f, ok := graph.ParseProfileField(n)
			if !ok {
				return 0, invalid(field+"/"+strconv.Itoa(i),
					fmt.Sprintf("unknown profile field %q (want one of %v)", n, graph.ProfileFieldNames()))
			}
			if set.Has(f) {
				return 0, invalid(field+"/"+strconv.Itoa(i), fmt.Sprintf("duplicate profile field %q", n))
			}
			set = set.With(f)
		}
		return set, nil
	}
	var err error
	if p.Provided, err = parse("profile/provided", b.Provided); err != nil {
		return p, err
	}
	if p.Verified, err = parse("profile/verified", b.Verified); err != nil {
		return p, err
	}
	return p, nil
}

// putPerson is PUT /v1/people/{id}: create (201) or replace consent and
// profile (200). Withdrawing consent hides the person's score at once.
func (s *Server) putPerson(c *gin.Context) {
	ctx := c.Request.Context()
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	var req putPersonRequest
	if _, err := s.bindJSON(c, &req, false); err != nil {
		s.writeError(c, err)
		return
	}
	if req.Consent == nil {
		s.writeError(c, invalid("consent", "is required"))
		return
	}
	prof, err := parseProfile(req.Profile)
	if err != nil {
		s.writeError(c, err)
		return
	}
	p := graph.Person{ID: id, Consent: *req.Consent, Profile: prof}
	if err := p.Validate(); err != nil {
		s.writeError(c, err)
		return
	}
	created, err := s.store.PutPerson(ctx, p)
	s.snaps.wrote(!p.Consent)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if !p.Consent {
		s.runner.Forget(id)
	}
	stored, err := s.store.Person(ctx, id)
	if err != nil {
		s.writeError(c, fmt.Errorf("read back person %d: %w", id, err))
		return
	}
	s.livePerson(ctx, stored, false) // api/live.go
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		c.Header("Location", "/v1/people/"+id.String())
	}
	writeJSON(c, status, personResponse(stored))
}

// getPerson is GET /v1/people/{id}; people who have not consented are 404.
func (s *Server) getPerson(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	p, err := s.consenting(c, id)
	if err != nil {
		s.writeError(c, err)
		return
	}
	writeJSON(c, http.StatusOK, personResponse(p))
}

// consenting returns the person if they exist and consented, else a 404
// naming "id".
func (s *Server) consenting(c *gin.Context, id graph.ID) (graph.Person, error) {
	p, err := s.store.Person(c.Request.Context(), id)
	if errors.Is(err, graph.ErrNotFound) || (err == nil && !p.Consent) {
		return graph.Person{}, errNoPerson("id", id)
	}
	return p, err
}

// deletePerson is DELETE /v1/people/{id}: the person, their ties and
// scores are erased (204) and their score is hidden at once.
func (s *Server) deletePerson(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	err = s.store.DeletePerson(c.Request.Context(), id)
	s.snaps.wrote(true)
	if err != nil {
		if errors.Is(err, graph.ErrNotFound) {
			err = errNoPerson("id", id)
		}
		s.writeError(c, err)
		return
	}
	s.runner.Forget(id)
	s.livePerson(c.Request.Context(), graph.Person{ID: id}, true) // api/live.go
	c.Status(http.StatusNoContent)
}

// eventsRequest is the body of POST /v1/people/{id}/events. Events are
// decoded one by one so that errors name their index.
type eventsRequest struct {
	Events *[]json.RawMessage `json:"events"`
}

// eventBody is one event on the wire. Purchases are amounts only: any
// other field (an item, a category) is an unknown field and rejected.
type eventBody struct {
	Type   *string  `json:"type"`
	Amount *float64 `json:"amount"`
	At     *string  `json:"at"`   // purchase, default
	Due    *string  `json:"due"`  // bill_payment, credit_payment
	Paid   *string  `json:"paid"` // bill_payment, credit_payment
}

// parseEvents decodes and validates every event against now.
func parseEvents(raw *[]json.RawMessage, now time.Time) ([]graph.Event, error) {
	if raw == nil {
		return nil, invalid("events", "is required")
	}
	if n := len(*raw); n == 0 || n > MaxEvents {
		return nil, invalid("events", fmt.Sprintf("must hold 1 to %d events, not %d", MaxEvents, n))
	}
	out := make([]graph.Event, len(*raw))
	for i, m := range *raw {
		e, err := decodeEvent(m, "events/"+strconv.Itoa(i), now)
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

// decodeEvent decodes and validates one event object; errors name fields
// under prefix.
func decodeEvent(m json.RawMessage, prefix string, now time.Time) (graph.Event, error) {
	var b eventBody
	if err := decodeStrict(m, &b, prefix); err != nil {
		return graph.Event{}, err
	}
	e, err := b.event(prefix)
	if err != nil {
		return graph.Event{}, err
	}
	if err := e.Validate(prefix, now); err != nil {
		return graph.Event{}, err
	}
	return e, nil
}

// event checks which fields the type needs and allows, and parses them.
func (b eventBody) event(prefix string) (graph.Event, error) {
	f := func(name string) string { return prefix + "/" + name }
	if b.Type == nil {
		return graph.Event{}, invalid(f("type"), "is required")
	}
	if b.Amount == nil {
		return graph.Event{}, invalid(f("amount"), "is required")
	}
	e := graph.Event{Type: graph.EventType(*b.Type), Amount: *b.Amount}
	var need, forbid []string
	switch e.Type {
	case graph.EventPurchase, graph.EventDefault:
		need, forbid = []string{"at"}, []string{"due", "paid"}
	case graph.EventBillPayment, graph.EventCreditPayment:
		need, forbid = []string{"due", "paid"}, []string{"at"}
	default:
		return graph.Event{}, invalid(f("type"), fmt.Sprintf(
			"unknown event type %q (want purchase, bill_payment, credit_payment or default)", *b.Type))
	}
	fields := map[string]*string{"at": b.At, "due": b.Due, "paid": b.Paid}
	for _, name := range forbid {
		if fields[name] != nil {
			return graph.Event{}, invalid(f(name), fmt.Sprintf("is not allowed for a %s", e.Type))
		}
	}
	dst := map[string]*time.Time{"at": &e.At, "due": &e.Due, "paid": &e.Paid}
	for _, name := range need {
		v := fields[name]
		if v == nil {
			return graph.Event{}, invalid(f(name), fmt.Sprintf("is required for a %s", e.Type))
		}
		t, err := parseWireTime(f(name), *v)
		if err != nil {
			return graph.Event{}, err
		}
		*dst[name] = t
	}
	return e, nil
}

// postEvents is POST /v1/people/{id}/events: the events are kept, with the
// app that posted them as provider, and added to the person's record,
// all-or-nothing (graph.EventStore.AppendEvents); the answer is the person
// and the ids of the events kept, in the order posted. Events of people
// who have not consented are refused (404) like every other access to
// them.
func (s *Server) postEvents(c *gin.Context) {
	ctx := c.Request.Context()
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	var req eventsRequest
	if _, err := s.bindJSON(c, &req, false); err != nil {
		s.writeError(c, err)
		return
	}
	now := s.clock()
	events, err := parseEvents(req.Events, now)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if _, err := s.consenting(c, id); err != nil {
		s.writeError(c, err)
		return
	}
	p, stored, err := s.store.AppendEvents(ctx, id, AppFromContext(ctx), events)
	s.snaps.wrote(false)
	if errors.Is(err, graph.ErrNotFound) {
		var ve *graph.ValidationError
		if !errors.As(err, &ve) {
			err = errNoPerson("id", id)
		}
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	s.livePerson(ctx, p, false)
	if !p.Consent { // withdrawn meanwhile
		s.writeError(c, errNoPerson("id", id))
		return
	}
	writeJSON(c, http.StatusOK, eventsPosted(p, stored))
}
