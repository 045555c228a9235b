package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBadInputChangesNothing sends every kind of bad request and checks
// the problem+json answer (status, type, field, reason) and that the store
// and the served scores are exactly as before.
func TestBadInputChangesNothing(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	e.score("sesame")

	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	ev := func(events ...string) string { return `{"events":[` + strings.Join(events, ",") + `]}` }
	purchase := `{"type":"purchase","amount":10,"at":"2024-01-01T00:00:00Z"}`
	many := make([]string, MaxEvents+1)
	for i := range many {
		many[i] = purchase
	}
	manyIDs := make([]string, MaxBatchIDs+1)
	for i := range manyIDs {
		manyIDs[i] = fmt.Sprint(i + 1)
	}
	huge := `{"consent":true,"profile":{"provided":["` + strings.Repeat("x", DefaultMaxBodyBytes) + `"]}}`

	type tc struct {
		name   string
		req    request
		status int
		typ    string // problem type suffix
		field  string // "-": not checked
		reason string // substring of errors[0].reason
	}
	put := func(path, body string) request { return request{method: http.MethodPut, path: path, body: body} }
	post := func(path, body string) request { return request{method: http.MethodPost, path: path, body: body} }
	get := func(path string) request { return request{method: http.MethodGet, path: path} }
	del := func(path string) request { return request{method: http.MethodDelete, path: path} }
	withCT := func(r request, ct string) request { r.header = map[string]string{"Content-Type": ct}; return r }

	cases := []tc{
		// Malformed JSON and trailing data.
		{"malformed JSON", put("/v1/people/1", `{"consent": tru`), 400, "malformed-json", "", "byte offset"},
		{"malformed JSON in events", post("/v1/people/1/events", `{"events":[}`), 400, "malformed-json", "", "invalid JSON"},
		{"truncated JSON", post("/v1/scores/batch", `{"ids":[1,2`), 400, "malformed-json", "", "unexpected end"},
		{"trailing data", put("/v1/people/1", `{"consent":true} {"consent":false}`), 400, "malformed-json", "", "trailing data"},
		{"body is not an object", put("/v1/people/1", `[true]`), 400, "invalid-input", "", "object"},
		{"empty body", put("/v1/people/1", ` `), 400, "invalid-input", "", "JSON object is required"},
		{"no body", request{method: http.MethodPut, path: "/v1/people/1"}, 400, "invalid-input", "", "body is required"},

		// Size.
		{"oversized body", put("/v1/people/1", huge), 413, "payload-too-large", "", "larger than"},
		{"oversized chunked body", request{method: http.MethodPut, path: "/v1/people/1", body: huge, chunked: true}, 413, "payload-too-large", "", "larger than"},

		// Unknown fields, including anything but an amount on a purchase.
		{"unknown field", put("/v1/people/1", `{"consent":true,"nickname":"bob"}`), 400, "invalid-input", "nickname", "unknown field"},
		{"unknown profile key", put("/v1/people/1", `{"consent":true,"profile":{"values":{"phone":"555"}}}`), 400, "invalid-input", "profile/values", "unknown field"},
		{"purchase item", post("/v1/people/1/events", ev(purchase, `{"type":"purchase","amount":3,"at":"2024-01-01","item":"beer"}`)), 400, "invalid-input", "events/1/item", "unknown field"},
		{"purchase category", post("/v1/people/1/events", ev(purchase, purchase, `{"type":"purchase","amount":3,"at":"2024-01-01","category":"alcohol"}`)), 400, "invalid-input", "events/2/category", "unknown field"},
		{"unknown batch field", post("/v1/scores/batch", `{"ids":[1],"fields":["score"]}`), 400, "invalid-input", "fields", "unknown field"},
		{"unknown run field", post("/v1/scoring-runs", `{"policy":"sesame","alpha":0.9}`), 400, "invalid-input", "alpha", "unknown field"},
		{"recruitment body field", put("/v1/recruitments/2/3", `{"weight":2}`), 400, "invalid-input", "weight", "unknown field"},

		// Missing required fields.
		{"missing consent", put("/v1/people/1", `{"profile":{"provided":["name"]}}`), 400, "invalid-input", "consent", "is required"},
		{"null consent", put("/v1/people/99", `{"consent":null}`), 400, "invalid-input", "consent", "not null"},
		{"missing events", post("/v1/people/1/events", `{}`), 400, "invalid-input", "events", "is required"},
		{"missing amount", post("/v1/people/1/events", ev(`{"type":"purchase","at":"2024-01-01"}`)), 400, "invalid-input", "events/0/amount", "is required"},
		{"missing type", post("/v1/people/1/events", ev(purchase, `{"amount":1,"at":"2024-01-01"}`)), 400, "invalid-input", "events/1/type", "is required"},
		{"missing at", post("/v1/people/1/events", ev(`{"type":"default","amount":1}`)), 400, "invalid-input", "events/0/at", "is required"},
		{"missing paid", post("/v1/people/1/events", ev(`{"type":"bill_payment","amount":1,"due":"2024-01-01"}`)), 400, "invalid-input", "events/0/paid", "is required"},
		{"missing ids", post("/v1/scores/batch", `{}`), 400, "invalid-input", "ids", "is required"},

		// Domain rules.
		{"negative amount", post("/v1/people/1/events", ev(purchase, `{"type":"purchase","amount":-5,"at":"2024-01-01"}`)), 400, "invalid-input", "events/1/amount", "must not be negative"},
		{"huge amount", post("/v1/people/1/events", ev(`{"type":"default","amount":1e12,"at":"2024-01-01"}`)), 400, "invalid-input", "events/0/amount", "at most"},
		{"purchase in the future", post("/v1/people/1/events", ev(purchase, `{"type":"purchase","amount":5,"at":"`+future+`"}`)), 400, "invalid-input", "events/1/at", "future"},
		{"payment in the future", post("/v1/people/1/events", ev(`{"type":"credit_payment","amount":5,"due":"2024-01-01","paid":"`+future+`"}`)), 400, "invalid-input", "events/0/paid", "future"},
		{"bad date", post("/v1/people/1/events", ev(`{"type":"purchase","amount":5,"at":"01/02/2024"}`)), 400, "invalid-input", "events/0/at", "RFC 3339"},
		{"due on a purchase", post("/v1/people/1/events", ev(`{"type":"purchase","amount":5,"at":"2024-01-01","due":"2024-01-01"}`)), 400, "invalid-input", "events/0/due", "not allowed"},
		{"unknown event type", post("/v1/people/1/events", ev(`{"type":"gift","amount":5,"at":"2024-01-01"}`)), 400, "invalid-input", "events/0/type", "unknown event type"},
		{"no events", post("/v1/people/1/events", `{"events":[]}`), 400, "invalid-input", "events", "1 to 1000"},
		{"too many events", post("/v1/people/1/events", ev(many...)), 400, "invalid-input", "events", "1 to 1000"},
		{"amount is a string", post("/v1/people/1/events", ev(`{"type":"purchase","amount":"5","at":"2024-01-01"}`)), 400, "invalid-input", "events/0/amount", "must be a number"},
		{"consent is a string", put("/v1/people/1", `{"consent":"yes"}`), 400, "invalid-input", "consent", "must be a boolean, not a string"},
		{"profile field is a number", put("/v1/people/1", `{"consent":true,"profile":{"provided":["name",7]}}`), 400, "invalid-input", "profile/provided/1", "must be a string, not the number 7"},
		{"profile is an array", put("/v1/people/1", `{"consent":true,"profile":[]}`), 400, "invalid-input", "profile", "must be an object, not an array"},
		{"events is an object", post("/v1/people/1/events", `{"events":{"type":"purchase"}}`), 400, "invalid-input", "events", "must be an array, not an object"},
		{"unknown profile field", put("/v1/people/1", `{"consent":true,"profile":{"provided":["name","shoe_size"]}}`), 400, "invalid-input", "profile/provided/1", "unknown profile field"},
		{"duplicate profile field", put("/v1/people/1", `{"consent":true,"profile":{"provided":["name","name"]}}`), 400, "invalid-input", "profile/provided/1", "duplicate"},
		{"verified but not provided", put("/v1/people/1", `{"consent":true,"profile":{"provided":["name"],"verified":["phone"]}}`), 400, "invalid-input", "profile/verified", "must also be provided"},
		{"self-friendship", put("/v1/friendships/2/2", ""), 400, "invalid-input", "b", "cannot befriend themselves"},
		{"self-recruitment", put("/v1/recruitments/3/3", ""), 400, "invalid-input", "recruit", "cannot recruit themselves"},
		{"zero weight", put("/v1/friendships/1/4", `{"weight":0}`), 400, "invalid-input", "weight", "greater than 0"},
		{"negative weight", put("/v1/friendships/1/2", `{"weight":-1}`), 400, "invalid-input", "weight", "greater than 0"},
		{"weight is a string", put("/v1/friendships/1/2", `{"weight":"heavy"}`), 400, "invalid-input", "weight", "must be a number"},

		// Ties to people who do not exist, and conflicts.
		{"friend unknown", put("/v1/friendships/1/99", ""), 404, "not-found", "b", "no person 99"},
		{"unknown befriends", put("/v1/friendships/99/1", ""), 404, "not-found", "a", "no person 99"},
		{"recruiter unknown", put("/v1/recruitments/99/2", ""), 404, "not-found", "recruiter", "no person 99"},
		{"recruit unknown", put("/v1/recruitments/2/99", ""), 404, "not-found", "recruit", "no person 99"},
		{"second recruiter", put("/v1/recruitments/2/5", ""), 409, "conflict", "recruit", "different recruiter"},

		// Batches.
		{"duplicate ids", post("/v1/scores/batch", `{"ids":[1,2,1]}`), 400, "invalid-input", "ids/2", "duplicate of ids/0"},
		{"empty batch", post("/v1/scores/batch", `{"ids":[]}`), 400, "invalid-input", "ids", "1 to 1000"},
		{"too many ids", post("/v1/scores/batch", `{"ids":[`+strings.Join(manyIDs, ",")+`]}`), 400, "invalid-input", "ids", "1 to 1000"},
		{"zero id", post("/v1/scores/batch", `{"ids":[1,0]}`), 400, "invalid-input", "ids/1", "positive integer"},
		{"string id", post("/v1/scores/batch", `{"ids":["1"]}`), 400, "invalid-input", "ids/0", "positive integer"},
		{"fractional id", post("/v1/scores/batch", `{"ids":[1,2,3.5]}`), 400, "invalid-input", "ids/2", "positive integer"},
		{"batch with unknown id", post("/v1/scores/batch", `{"ids":[1,2,3,99]}`), 404, "not-found", "ids/3", "no score for person 99"},
		{"batch with non-consenting id", post("/v1/scores/batch", `{"ids":[6,1]}`), 404, "not-found", "ids/0", "no score for person 6"},

		// Scoring runs.
		{"unknown policy", post("/v1/scoring-runs", `{"policy":"social-credit-9000"}`), 400, "invalid-input", "policy", "unknown policy"},
		{"policy file path", post("/v1/scoring-runs", `{"policy":"/etc/passwd"}`), 400, "invalid-input", "policy", "unknown policy"},
		{"policy not a string", post("/v1/scoring-runs", `{"policy":7}`), 400, "invalid-input", "policy", "must be a string"},
		{"unknown run", get("/v1/scoring-runs/0123456789abcdef"), 404, "not-found", "id", "no scoring run"},

		// Unknown or non-consenting people.
		{"unknown person", get("/v1/people/99"), 404, "not-found", "id", "no person 99"},
		{"non-consenting person", get("/v1/people/6"), 404, "not-found", "id", "no person 6"},
		{"unknown score", get("/v1/people/99/score"), 404, "not-found", "id", "no score"},
		{"non-consenting score", get("/v1/people/6/score"), 404, "not-found", "id", "no score"},
		{"events for unknown", post("/v1/people/99/events", ev(purchase)), 404, "not-found", "id", "no person 99"},
		{"events for non-consenting", post("/v1/people/6/events", ev(purchase)), 404, "not-found", "id", "no person 6"},
		{"delete unknown", del("/v1/people/99"), 404, "not-found", "id", "no person 99"},
		{"delete missing friendship", del("/v1/friendships/1/5"), 404, "not-found", "", "no friendship"},

		// Content types.
		{"text body", withCT(put("/v1/people/1", `{"consent":false}`), "text/plain"), 415, "unsupported-media-type", "", "application/json"},
		{"form body", withCT(post("/v1/people/1/events", `events=1`), "application/x-www-form-urlencoded"), 415, "unsupported-media-type", "", "application/json"},
		{"no content type", withCT(post("/v1/scores/batch", `{"ids":[1]}`), ""), 415, "unsupported-media-type", "", "application/json"},
		{"optional body with bad type", withCT(put("/v1/friendships/1/4", `{"weight":2}`), "text/plain"), 415, "unsupported-media-type", "", "application/json"},

		// Path ids.
		{"id not a number", get("/v1/people/abc"), 400, "invalid-input", "id", "positive integer"},
		{"id zero", put("/v1/people/0", `{"consent":true}`), 400, "invalid-input", "id", "positive integer"},
		{"negative id", del("/v1/people/-3"), 400, "invalid-input", "id", "positive integer"},
		{"fractional id in path", get("/v1/people/1.5/score"), 400, "invalid-input", "id", "positive integer"},
		{"id overflow", post("/v1/people/99999999999999999999/events", ev(purchase)), 400, "invalid-input", "id", "positive integer"},
		{"friend id not a number", put("/v1/friendships/x/2", ""), 400, "invalid-input", "a", "positive integer"},
		{"recruit id not a number", del("/v1/recruitments/1/y"), 400, "invalid-input", "recruit", "positive integer"},

		// Routing.
		{"method not allowed", request{method: http.MethodPatch, path: "/v1/people/1", body: `{}`}, 405, "method-not-allowed", "-", ""},
		{"unknown route", get("/v1/people"), 404, "not-found", "-", ""},
		{"trailing slash", get("/v1/people/1/"), 404, "not-found", "-", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.state(fixtureIDs...)
			w := e.do(c.req)
			p := assertProblem(t, w, c.status, c.typ, c.field, c.reason)
			assert.Equal(t, strings.SplitN(c.req.path, "?", 2)[0], p.Instance)
			assert.NotEmpty(t, w.Header().Get("X-Request-ID"))
			after := e.state(fixtureIDs...)
			require.Equal(t, before, after, "a rejected request changed the store")
		})
	}
	// Nothing audited: no score was served.
	assert.Empty(t, e.auditRecords())
}
