package api

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

func TestPutPersonCreatesThenUpdates(t *testing.T) {
	e := newTestServer(t, openTestStore(t))

	w := e.do(request{method: http.MethodPut, path: "/v1/people/7",
		body: `{"consent":true,"profile":{"provided":["phone","name"],"verified":["phone"]}}`})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Equal(t, "/v1/people/7", w.Header().Get("Location"))
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	var p PersonResponse
	decode(t, w, &p)
	assert.Equal(t, graph.ID(7), p.ID)
	assert.True(t, p.Consent)
	assert.Equal(t, []string{"name", "phone"}, p.Profile.Provided)
	assert.Equal(t, []string{"phone"}, p.Profile.Verified)
	require.NotNil(t, p.Record)
	assert.Equal(t, RecordResponse{}, *p.Record)
	assert.False(t, p.CreatedAt.IsZero())

	w = e.do(request{method: http.MethodPut, path: "/v1/people/7", body: `{"consent":true}`})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Empty(t, w.Header().Get("Location"))
	var p2 PersonResponse
	decode(t, w, &p2)
	assert.Empty(t, p2.Profile.Provided, "a PUT replaces the profile")
	assert.Equal(t, p.CreatedAt, p2.CreatedAt)

	stored, err := e.store.Person(context.Background(), 7)
	require.NoError(t, err)
	assert.True(t, stored.Consent)
	assert.Zero(t, stored.Profile.Provided)
}

func TestGetPerson(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()

	w := e.get("/v1/people/1")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var p PersonResponse
	decode(t, w, &p)
	assert.Equal(t, graph.ID(1), p.ID)
	require.NotNil(t, p.Record)
	assert.Equal(t, 1200.0, p.Record.PurchaseTotal)
	assert.Equal(t, int64(1), p.Record.PurchaseCount)
	assert.Equal(t, int64(1), p.Record.BillsOnTime)
	assert.Equal(t, int64(1), p.Record.CreditOnTime)
	require.NotNil(t, p.Record.LastEventAt)
	assert.Equal(t, "2024-02-14T09:00:00Z", p.Record.LastEventAt.Format("2006-01-02T15:04:05Z07:00"))

	// Person 6 exists but has not consented: not exposed.
	assertProblem(t, e.get("/v1/people/6"), http.StatusNotFound, "not-found", "id", "no person 6")
	assertProblem(t, e.get("/v1/people/99"), http.StatusNotFound, "not-found", "id", "no person 99")
}

func TestPostEvents(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()

	w := e.do(request{method: http.MethodPost, path: "/v1/people/2/events", body: `{"events":[
		{"type":"purchase","amount":9.5,"at":"2024-04-01T12:00:00+02:00"},
		{"type":"bill_payment","amount":10,"due":"2024-04-01","paid":"2024-04-03"},
		{"type":"credit_payment","amount":10,"due":"2024-04-01","paid":"2024-04-01"},
		{"type":"default","amount":250,"at":"2024-04-02"}]}`})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var p PersonResponse
	decode(t, w, &p)
	require.NotNil(t, p.Record)
	r := p.Record
	assert.Equal(t, 100.0, r.PurchaseTotal)
	assert.Equal(t, int64(2), r.PurchaseCount)
	assert.Equal(t, int64(2), r.BillsLate) // seed: one late already
	assert.Equal(t, int64(19+2), r.BillDaysLate)
	assert.Equal(t, int64(1), r.CreditOnTime)
	assert.Equal(t, int64(1), r.Defaults)
	assert.Equal(t, 250.0, r.DefaultAmount)

	stored, err := e.store.Person(context.Background(), 2)
	require.NoError(t, err)
	assert.Equal(t, int64(2), stored.Record.PurchaseCount)
}

func TestDeletePerson(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	e.score("sesame")
	require.Equal(t, http.StatusOK, e.get("/v1/people/3/score").Code)

	w := e.do(request{method: http.MethodDelete, path: "/v1/people/3"})
	require.Equal(t, http.StatusNoContent, w.Code, w.Body.String())
	assert.Empty(t, w.Body.String())

	_, err := e.store.Person(context.Background(), 3)
	assert.ErrorIs(t, err, graph.ErrNotFound)
	ties, err := e.store.Ties(context.Background(), 2)
	require.NoError(t, err)
	for _, tie := range ties {
		assert.NotEqual(t, graph.ID(3), tie.To, "tie to the erased person left: %+v", tie)
		assert.NotEqual(t, graph.ID(3), tie.From, "tie to the erased person left: %+v", tie)
	}
	assertProblem(t, e.get("/v1/people/3"), http.StatusNotFound, "not-found", "id", "")
	assertProblem(t, e.get("/v1/people/3/score"), http.StatusNotFound, "not-found", "id", "no score")
	assertProblem(t, e.do(request{method: http.MethodDelete, path: "/v1/people/3"}),
		http.StatusNotFound, "not-found", "id", "no person 3")
}

func TestWithdrawConsentHidesScore(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	e.score("sesame")
	require.Equal(t, http.StatusOK, e.get("/v1/people/2/score").Code)

	w := e.do(request{method: http.MethodPut, path: "/v1/people/2?reason=test", body: `{"consent":false}`})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var p PersonResponse
	decode(t, w, &p)
	assert.False(t, p.Consent)
	assert.Nil(t, p.Record, "the record of a person who has not consented is not exposed")
	assert.NotContains(t, w.Body.String(), `"record"`)

	assertProblem(t, e.get("/v1/people/2/score"), http.StatusNotFound, "not-found", "id", "no score")
	assertProblem(t, e.get("/v1/people/2"), http.StatusNotFound, "not-found", "id", "")
	assertProblem(t, e.do(request{method: http.MethodPost, path: "/v1/people/2/events",
		body: `{"events":[{"type":"purchase","amount":1,"at":"2024-01-01"}]}`}),
		http.StatusNotFound, "not-found", "id", "")

	// Consenting again does not bring the old score back; the next run does.
	require.Equal(t, http.StatusOK, e.do(request{method: http.MethodPut, path: "/v1/people/2?reason=test", body: `{"consent":true}`}).Code)
	assertProblem(t, e.get("/v1/people/2/score"), http.StatusNotFound, "not-found", "id", "")
	e.score("sesame")
	assert.Equal(t, http.StatusOK, e.get("/v1/people/2/score").Code)
}
