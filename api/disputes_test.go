package api

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

// TestDisputeFlow goes through the whole story on both stores, through the
// API only: a person defaults and a run lowers the score; disputing the
// default and running again gives back exactly the scores of before the
// default (the reference: the run before it was posted, every person's
// result compared); a rejected resolution brings the lower scores back at
// the next run (the reference: the run after the default); a second
// dispute, upheld, removes the event for good.
func TestDisputeFlow(t *testing.T) {
	t.Run("embedded", func(t *testing.T) { testDisputeFlow(t, openTestStore(t)) })
	t.Run("neo4j", func(t *testing.T) { testDisputeFlow(t, openNeo4jTestStore(t)) })
}

// runScores starts a scoring run under the policy through the API, waits
// for it, and returns every person's score of the run read through the
// API.
func (e *testEnv) runScores(policy string, ids ...graph.ID) map[graph.ID]ScoreResponse {
	e.t.Helper()
	w := e.do(request{method: http.MethodPost, path: "/v1/scoring-runs", body: `{"policy":"` + policy + `"}`})
	require.Equal(e.t, http.StatusAccepted, w.Code, w.Body.String())
	j := e.waitJob(w.Header().Get("Location"))
	require.Equal(e.t, JobSucceeded, j.Status, "%+v", j)
	return e.scores(ids...)
}

// scores reads the scores of the ids through the API.
func (e *testEnv) scores(ids ...graph.ID) map[graph.ID]ScoreResponse {
	e.t.Helper()
	out := map[graph.ID]ScoreResponse{}
	for _, id := range ids {
		w := e.get("/v1/people/" + id.String() + "/score")
		require.Equal(e.t, http.StatusOK, w.Code, w.Body.String())
		var r ScoreResponse
		decode(e.t, w, &r)
		out[id] = r
	}
	return out
}

// sameScores compares two runs' answers person by person, leaving out what
// names the run.
func sameScores(t *testing.T, want, got map[graph.ID]ScoreResponse, msg string) {
	t.Helper()
	for id, w := range want {
		g := got[id]
		w.RunID, w.ComputedAt, g.RunID, g.ComputedAt = "", time.Time{}, "", time.Time{}
		w.DisputesOpen, g.DisputesOpen = 0, 0
		assert.Equal(t, w, g, "%s: person %d", msg, id)
	}
}

func testDisputeFlow(t *testing.T, store graph.Store) {
	var offset atomic.Int64 // how far the server's clock runs ahead
	include, _ := scoring.Preset(scoring.PolicySesame)
	include.Name, include.DisputedEvents = "sesame-include", scoring.DisputedInclude
	e := newTestServer(t, store, func(c *Config) {
		c.Clock = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
		c.Policies = []scoring.Policy{include}
	})
	ids := e.seed()
	// A purchase of each of persons 1 and 2 (person 1's serves the
	// bad-input cases), then the scores before any default of person 2.
	w := e.do(postJSON("/v1/people/1/events", `{"events":[{"type":"purchase","amount":5,"at":"2024-04-02T00:00:00Z"}]}`))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var other struct {
		EventIDs []graph.EventID `json:"event_ids"`
	}
	decode(t, w, &other)
	w = e.do(postJSON("/v1/people/2/events", `{"events":[{"type":"purchase","amount":20,"at":"2024-04-01T00:00:00Z"}]}`))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var posted struct {
		PersonResponse
		EventIDs []graph.EventID `json:"event_ids"`
	}
	decode(t, w, &posted)
	require.Len(t, posted.EventIDs, 1)
	assert.Greater(t, posted.EventIDs[0], other.EventIDs[0], "ids increase in the order events arrive")
	before := e.runScores("sesame", ids...)

	// Person 2 defaults.
	w = e.do(postJSON("/v1/people/2/events", `{"events":[{"type":"default","amount":700,"at":"2024-05-01T00:00:00Z"}]}`))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var posted2 struct {
		PersonResponse
		EventIDs []graph.EventID `json:"event_ids"`
	}
	decode(t, w, &posted2)
	require.Len(t, posted2.EventIDs, 1)
	require.NotNil(t, posted2.Record)
	assert.Equal(t, int64(1), posted2.Record.Defaults)
	def := posted2.EventIDs[0]
	base := e.runScores("sesame", ids...)
	require.Less(t, base[2].Score, before[2].Score, "the default lowers the score")
	assert.Equal(t, 0, base[2].DisputesOpen)

	// The events, as the person sees them.
	w = e.get("/v1/people/2/events")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var list struct {
		Events []EventResponse `json:"events"`
		More   bool            `json:"more"`
	}
	decode(t, w, &list)
	require.Len(t, list.Events, 1+2+2, "opening balance, the seed's two events and the two new ones")
	assert.False(t, list.More)
	assert.Equal(t, "opening_balance", list.Events[0].Type)
	assert.Nil(t, list.Events[0].Provider)
	assert.Equal(t, def, list.Events[4].ID)
	assert.Equal(t, "default", list.Events[4].Type)
	require.NotNil(t, list.Events[4].Provider)
	assert.Equal(t, "lender", *list.Events[4].Provider, "the provider is the posting key's app")
	assert.Equal(t, "counted", list.Events[4].Status)
	w = e.get("/v1/people/2/events?after=" + list.Events[2].ID.String() + "&limit=1")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	decode(t, w, &list)
	require.Len(t, list.Events, 1)
	assert.True(t, list.More)
	assert.Equal(t, posted.EventIDs[0], list.Events[0].ID)

	// Person 2 disputes the default (through the hotel's key: opened_by
	// names it).
	w = e.do(request{method: http.MethodPost, path: "/v1/people/2/disputes",
		body: `{"event":` + def.String() + `,"reason":"I never borrowed from this lender"}`, header: map[string]string{"Authorization": "Bearer " + hotelKey}})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	var d DisputeResponse
	decode(t, w, &d)
	assert.Equal(t, "open", d.Status)
	assert.Equal(t, "hotel", d.OpenedBy)
	assert.Equal(t, graph.ID(2), d.Person)
	assert.Equal(t, def, d.Event)
	assert.Nil(t, d.Outcome)
	assert.False(t, d.Overdue)
	assert.Equal(t, "/v1/disputes/"+d.ID.String(), w.Header().Get("Location"))

	// Until the next run the score is the old one, and says a dispute is
	// open; so does a batch read.
	now := e.scores(2)[2]
	assert.Equal(t, base[2].Score, now.Score)
	assert.Equal(t, 1, now.DisputesOpen)
	w = e.do(request{method: http.MethodPost, path: "/v1/scores/batch", body: `{"ids":[1,2]}`})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), `"id":2,`)
	var batch struct {
		Scores []ScoreResponse `json:"scores"`
	}
	decode(t, w, &batch)
	assert.Equal(t, 0, batch.Scores[0].DisputesOpen)
	assert.Equal(t, 1, batch.Scores[1].DisputesOpen)

	// Bad input changes nothing.
	badInput := []struct {
		name                     string
		r                        request
		status                   int
		typ, field, reasonSubstr string
	}{
		{"unknown event", postJSON("/v1/people/2/disputes", `{"event":99999999,"reason":"x"}`), 404, "not-found", "event", "has no event"},
		{"another person's event", postJSON("/v1/people/2/disputes", `{"event":`+other.EventIDs[0].String()+`,"reason":"x"}`), 404, "not-found", "event", "has no event"},
		{"already disputed", postJSON("/v1/people/2/disputes", `{"event":`+def.String()+`,"reason":"again"}`), 409, "conflict", "event", "already disputed"},
		{"the opening balance", postJSON("/v1/people/2/disputes", `{"event":0,"reason":"x"}`), 400, "invalid-input", "event", "positive"},
		{"event not a number", postJSON("/v1/people/2/disputes", `{"event":"12","reason":"x"}`), 400, "invalid-input", "event", "positive integer"},
		{"event missing", postJSON("/v1/people/2/disputes", `{"reason":"x"}`), 400, "invalid-input", "event", "required"},
		{"empty reason", postJSON("/v1/people/2/disputes", `{"event":`+posted.EventIDs[0].String()+`,"reason":"   "}`), 400, "invalid-input", "reason", "must not be empty"},
		{"reason missing", postJSON("/v1/people/2/disputes", `{"event":`+posted.EventIDs[0].String()+`}`), 400, "invalid-input", "reason", "required"},
		{"too long reason", postJSON("/v1/people/2/disputes", `{"event":`+posted.EventIDs[0].String()+`,"reason":"`+strings.Repeat("a", 1001)+`"}`), 400, "invalid-input", "reason", "at most 1000"},
		{"unknown field", postJSON("/v1/people/2/disputes", `{"event":`+posted.EventIDs[0].String()+`,"reason":"x","severity":9}`), 400, "invalid-input", "severity", "unknown field"},
		{"person without consent", postJSON("/v1/people/6/disputes", `{"event":`+posted.EventIDs[0].String()+`,"reason":"x"}`), 404, "not-found", "id", "no person"},
		{"unknown person", postJSON("/v1/people/999/disputes", `{"event":`+posted.EventIDs[0].String()+`,"reason":"x"}`), 404, "not-found", "id", "no person"},
		{"bad outcome", postJSON("/v1/disputes/"+d.ID.String()+"/resolution", `{"outcome":"maybe"}`), 400, "invalid-input", "outcome", "upheld"},
		{"outcome missing", postJSON("/v1/disputes/"+d.ID.String()+"/resolution", `{"note":"x"}`), 400, "invalid-input", "outcome", "required"},
		{"too long note", postJSON("/v1/disputes/"+d.ID.String()+"/resolution", `{"outcome":"upheld","note":"`+strings.Repeat("n", 1001)+`"}`), 400, "invalid-input", "note", "at most 1000"},
		{"unknown dispute", postJSON("/v1/disputes/99999/resolution", `{"outcome":"upheld"}`), 404, "not-found", "id", "no dispute"},
		{"bad dispute id", postJSON("/v1/disputes/x/resolution", `{"outcome":"upheld"}`), 400, "invalid-input", "id", "positive integer"},
		{"bad status filter", request{method: http.MethodGet, path: "/v1/disputes?status=pending"}, 400, "invalid-input", "status", "open, upheld or rejected"},
		{"overdue not a bool", request{method: http.MethodGet, path: "/v1/disputes?overdue=yes"}, 400, "invalid-input", "overdue", "true"},
		{"overdue with another status", request{method: http.MethodGet, path: "/v1/disputes?overdue=true&status=upheld"}, 400, "invalid-input", "overdue", "only open"},
		{"overdue on a person", request{method: http.MethodGet, path: "/v1/people/2/disputes?overdue=true"}, 400, "invalid-input", "overdue", "unknown query parameter"},
		{"bad limit", request{method: http.MethodGet, path: "/v1/disputes?limit=0"}, 400, "invalid-input", "limit", "from 1"},
		{"bad events page", request{method: http.MethodGet, path: "/v1/people/2/events?after=-3"}, 400, "invalid-input", "after", "event id"},
	}
	stBefore, evBefore, dBefore := e.state(fixtureIDs...), e.eventsOf(1, 2), e.allDisputes()
	for _, c := range badInput {
		w := e.do(c.r)
		assertProblem(t, w, c.status, c.typ, c.field, c.reasonSubstr)
	}
	assert.Equal(t, stBefore, e.state(fixtureIDs...), "bad input changed the store")
	assert.Equal(t, evBefore, e.eventsOf(1, 2), "bad input changed the events")
	assert.Equal(t, dBefore, e.allDisputes(), "bad input changed the disputes")

	// Run: the disputed default is left out, and every score is exactly
	// what it was before the default was posted.
	disputed := e.runScores("sesame", ids...)
	assert.Greater(t, disputed[2].Score, base[2].Score, "the dispute raises the score back")
	sameScores(t, before, disputed, "disputed default left out")
	assert.Equal(t, 1, disputed[2].DisputesOpen)
	// A policy that includes disputed events scores the record as stored.
	incl := e.runScores("sesame-include", ids...)
	sameScores(t, withPolicies(base, "sesame-include"), incl, "disputed events included")

	// Rejected: the event counts again from the next run.
	w = e.do(postJSON("/v1/disputes/"+d.ID.String()+"/resolution", `{"outcome":"rejected","note":"the lender showed the signed contract"}`))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var r DisputeResponse
	decode(t, w, &r)
	assert.Equal(t, "rejected", r.Status)
	require.NotNil(t, r.Outcome)
	assert.Equal(t, "rejected", *r.Outcome)
	require.NotNil(t, r.ResolvedBy)
	assert.Equal(t, "lender", *r.ResolvedBy)
	require.NotNil(t, r.Note)
	assert.Equal(t, "the lender showed the signed contract", *r.Note)
	assert.Equal(t, 0, e.scores(2)[2].DisputesOpen)
	rejected := e.runScores("sesame", ids...)
	sameScores(t, base, rejected, "after the rejection the default counts again")

	// Resolving again is a conflict and changes nothing.
	stBefore, evBefore, dBefore = e.state(fixtureIDs...), e.eventsOf(1, 2), e.allDisputes()
	assertProblem(t, e.do(postJSON("/v1/disputes/"+d.ID.String()+"/resolution", `{"outcome":"upheld"}`)), 409, "conflict", "id", "already resolved")
	assert.Equal(t, stBefore, e.state(fixtureIDs...))
	assert.Equal(t, evBefore, e.eventsOf(1, 2))
	assert.Equal(t, dBefore, e.allDisputes())

	// A new dispute, overdue after 30 days, upheld: the event is gone.
	w = e.do(postJSON("/v1/people/2/disputes", `{"event":`+def.String()+`,"reason":"still not mine"}`))
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	var d2 DisputeResponse
	decode(t, w, &d2)
	w = e.get("/v1/disputes?overdue=true")
	require.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"disputes":[]}`, w.Body.String())
	offset.Store(int64(30*24*time.Hour + time.Minute))
	var overdue struct {
		Disputes []DisputeResponse `json:"disputes"`
	}
	w = e.get("/v1/disputes?overdue=true")
	require.Equal(t, http.StatusOK, w.Code)
	decode(t, w, &overdue)
	require.Len(t, overdue.Disputes, 1)
	assert.Equal(t, d2.ID, overdue.Disputes[0].ID)
	assert.True(t, overdue.Disputes[0].Overdue)
	offset.Store(0)

	w = e.do(postJSON("/v1/disputes/"+d2.ID.String()+"/resolution", `{"outcome":"upheld","note":"withdrawn by the lender"}`))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	upheld := e.runScores("sesame", ids...)
	sameScores(t, before, upheld, "upheld: the default is gone")
	assertProblem(t, e.do(postJSON("/v1/people/2/disputes", `{"event":`+def.String()+`,"reason":"again"}`)), 409, "conflict", "event", "removed")
	w = e.get("/v1/people/2")
	var p PersonResponse
	decode(t, w, &p)
	assert.Equal(t, int64(0), p.Record.Defaults, "the stored record lost the default")
	inclAfter := e.runScores("sesame-include", ids...)
	sameScores(t, withPolicies(before, "sesame-include"), inclAfter, "an upheld dispute removes the event under every policy")

	// Listings: the person's, newest first, with who did what.
	w = e.get("/v1/people/2/disputes")
	require.Equal(t, http.StatusOK, w.Code)
	var mine struct {
		Disputes []DisputeResponse `json:"disputes"`
	}
	decode(t, w, &mine)
	require.Len(t, mine.Disputes, 2)
	assert.Equal(t, []graph.DisputeID{d2.ID, d.ID}, []graph.DisputeID{mine.Disputes[0].ID, mine.Disputes[1].ID})
	assert.Equal(t, "upheld", mine.Disputes[0].Status)
	assert.Equal(t, "rejected", mine.Disputes[1].Status)
	w = e.get("/v1/disputes?status=rejected&limit=5")
	require.Equal(t, http.StatusOK, w.Code)
	decode(t, w, &mine)
	require.Len(t, mine.Disputes, 1)
	assert.Equal(t, d.ID, mine.Disputes[0].ID)
	w = e.get("/v1/disputes/" + d.ID.String())
	require.Equal(t, http.StatusOK, w.Code)
	var one DisputeResponse
	decode(t, w, &one)
	assert.Equal(t, r, one)
}

// TestDisputedScoreExact pins the claim "raises the score back to exactly
// the score without the event" against an independent reference: a second
// server and store that never saw the default, given the same people,
// ties and other events, scores person 2 exactly as the disputed run does.
func TestDisputedScoreExact(t *testing.T) {
	twin := newTestServer(t, openTestStore(t))
	ids := twin.seed()
	w := twin.do(postJSON("/v1/people/2/events", `{"events":[{"type":"purchase","amount":20,"at":"2024-04-01T00:00:00Z"}]}`))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	want := twin.runScores("sesame", ids...)

	e := newTestServer(t, openTestStore(t))
	e.seed()
	w = e.do(postJSON("/v1/people/2/events", `{"events":[{"type":"purchase","amount":20,"at":"2024-04-01T00:00:00Z"},{"type":"default","amount":700,"at":"2024-05-01T00:00:00Z"}]}`))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var posted struct {
		EventIDs []graph.EventID `json:"event_ids"`
	}
	decode(t, w, &posted)
	w = e.do(postJSON("/v1/people/2/disputes", `{"event":`+posted.EventIDs[1].String()+`,"reason":"not mine"}`))
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	got := e.runScores("sesame", ids...)
	sameScores(t, want, got, "disputed run against a store that never saw the default")
	assert.Equal(t, 1, got[2].DisputesOpen)
}

func postJSON(path, body string) request {
	return request{method: http.MethodPost, path: path, body: body}
}

// eventsOf reads the events of the people from the store.
func (e *testEnv) eventsOf(ids ...graph.ID) map[graph.ID][]graph.StoredEvent {
	e.t.Helper()
	out := map[graph.ID][]graph.StoredEvent{}
	for _, id := range ids {
		es, err := e.store.Events(context.Background(), id)
		require.NoError(e.t, err)
		for i := range es { // compare times as instants
			es[i].ArrivedAt = es[i].ArrivedAt.UTC()
		}
		out[id] = es
	}
	return out
}

// allDisputes reads every dispute from the store.
func (e *testEnv) allDisputes() []graph.Dispute {
	e.t.Helper()
	ds, err := e.store.Disputes(context.Background(), graph.DisputeFilter{})
	require.NoError(e.t, err)
	return ds
}

// withPolicy returns the answer as if given under the named policy (the
// policies compared differ only in disputed_events).
func withPolicy(r ScoreResponse, name string) ScoreResponse {
	r.Policy = name
	return r
}

func withPolicies(m map[graph.ID]ScoreResponse, name string) map[graph.ID]ScoreResponse {
	out := map[graph.ID]ScoreResponse{}
	for id, r := range m {
		out[id] = withPolicy(r, name)
	}
	return out
}
