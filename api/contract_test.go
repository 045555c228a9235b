package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The rules below are ones the OpenAPI document states and schemathesis
// (scripts/schemathesis.sh) found the server to break: the server is
// made to follow the document, and each rule gets a test here.

// null is refused wherever the document gives a type without null (it
// allows null nowhere in a request body): 400 naming the field, nothing
// changed. Before, null counted as absent.
func TestNullInABodyIsRefused(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	e.score("sesame")
	before := e.state(fixtureIDs...)
	for _, tc := range []struct {
		name          string
		req           request
		field, reason string
	}{
		{"run policy", request{method: http.MethodPost, path: "/v1/scoring-runs", body: `{"policy": null}`}, "policy", "not null"},
		{"profile list", request{method: http.MethodPut, path: "/v1/people/1", body: `{"consent": true, "profile": {"provided": ["name"], "verified": null}}`}, "profile/verified", "not null"},
		{"consent", request{method: http.MethodPut, path: "/v1/people/1", body: `{"consent": null}`}, "consent", "not null"},
		{"a whole body", request{method: http.MethodPut, path: "/v1/people/1", body: `null`}, "", "not null"},
		{"an event's amount", request{method: http.MethodPost, path: "/v1/people/1/events", body: `{"events": [{"type": "purchase", "amount": null, "at": "2024-01-01"}]}`}, "events/0/amount", "not null"},
		{"shock list limit", request{method: http.MethodPost, path: "/v1/experiments/shock", body: `{"changes": [{"id": 1, "events": ["default"]}], "list_limit": null}`}, "list_limit", "not null"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertProblem(t, e.do(tc.req), http.StatusBadRequest, "invalid-input", tc.field, tc.reason)
		})
	}
	assert.Equal(t, before, e.state(fixtureIDs...), "a refused request changes nothing")
}

// An id written as a whole number with a fraction or an exponent is an
// integer in JSON Schema (2020-12 validation, section 6.1.1), so the
// document's integer ids take it: 2.0 is person 2, as 2 is.
func TestWholeNumberIDsAreIntegers(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	e.score("sesame")
	plain := e.do(request{method: http.MethodPost, path: "/v1/scores/batch", body: `{"ids": [1, 2]}`})
	require.Equal(t, http.StatusOK, plain.Code, plain.Body.String())
	written := e.do(request{method: http.MethodPost, path: "/v1/scores/batch", body: `{"ids": [1.0, 2e0]}`})
	require.Equal(t, http.StatusOK, written.Code, written.Body.String())
	var a, b map[string]any
	decode(t, plain, &a)
	decode(t, written, &b)
	assert.Equal(t, a["scores"], b["scores"], "the same people, the same scores")

	for _, body := range []string{`{"ids": [1.5]}`, `{"ids": [0.0]}`, `{"ids": [-1.0]}`, `{"ids": [1e400]}`} {
		assertProblem(t, e.do(request{method: http.MethodPost, path: "/v1/scores/batch", body: body}),
			http.StatusBadRequest, "invalid-input", "ids/0", "positive integer id")
	}
}

// A shock's event shorthand is refused unless it matches the pattern the
// document states, which is the very pattern the server compiles.
func TestShockShorthandFollowsTheDocument(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Items struct {
						OneOf []struct {
							Pattern string `json:"pattern"`
						} `json:"oneOf"`
					} `json:"items"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(openAPIDoc, &doc))
	assert.Equal(t, shorthandPattern.String(), doc.Components.Schemas["ShockChange"].Properties["events"].Items.OneOf[0].Pattern)

	e := newTestServer(t, openTestStore(t))
	e.seed()
	e.score("sesame")
	shock := func(spec string) *httptest.ResponseRecorder {
		return e.do(request{method: http.MethodPost, path: "/v1/experiments/shock",
			body: `{"changes": [{"id": 1, "events": [` + mustJSON(t, spec) + `]}]}`})
	}
	for _, ok := range []string{"default", "default:2500", "default:0.5", "missed_bill:60", "late_bill", "late_credit:0",
		"missed_credit:1000000000", "paid_bill", "paid_credit", "purchase:12.25", "purchase:1000000000"} {
		w := shock(ok)
		assert.Equal(t, http.StatusOK, w.Code, "%s: %s", ok, w.Body.String())
	}
	// ParseEvent alone takes all of these (it trims, folds case and reads
	// exponents, as suits the command line); the API does not.
	for _, bad := range []string{"", " default", "DEFAULT", "default:1e3", "default:+5", "purchase", "purchase:1000000000.5",
		"missed_bill:1.5", "missed_bill:007", "default:NaN", "paid_bill:3", "unknown"} {
		assertProblem(t, shock(bad), http.StatusBadRequest, "invalid-input", "changes/0/events/0", "")
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// Event dates are refused before the year 1900, the document's pattern.
// Before, 0001-01-01 (Go's zero time) was read as no date at all ("is
// required"), which the document gave no hint of.
func TestEventDatesStartIn1900(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	before := e.state(fixtureIDs...)
	for _, tc := range []struct{ event, field string }{
		{`{"type": "default", "amount": 1, "at": "0001-01-01"}`, "events/0/at"},
		{`{"type": "purchase", "amount": 1, "at": "1899-12-31T23:59:59Z"}`, "events/0/at"},
		{`{"type": "bill_payment", "amount": 1, "due": "0999-01-01", "paid": "2024-01-01"}`, "events/0/due"},
	} {
		assertProblem(t, e.do(request{method: http.MethodPost, path: "/v1/people/1/events", body: `{"events": [` + tc.event + `]}`}),
			http.StatusBadRequest, "invalid-input", tc.field, "1900 or later")
	}
	assert.Equal(t, before, e.state(fixtureIDs...), "a refused request changes nothing")
	w := e.do(request{method: http.MethodPost, path: "/v1/people/1/events",
		body: `{"events": [{"type": "purchase", "amount": 1, "at": "1900-01-01"}, {"type": "bill_payment", "amount": 1, "due": "1900-01-01T00:00:00+01:00", "paid": "1900-02-01"}]}`})
	assert.Less(t, w.Code, 300, w.Body.String())
}
