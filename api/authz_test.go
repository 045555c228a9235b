package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// docOperation is one operation of the OpenAPI document.
type docOperation struct {
	method, path, id string
	roles            []graph.Role
}

// documentedOperations reads every operation under /v1 of openapi.json.
func documentedOperations(t *testing.T) []docOperation {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(openAPIDoc, &doc))
	var ops []docOperation
	for path, item := range doc.Paths {
		if !strings.HasPrefix(path, "/v1/") {
			continue
		}
		for m, raw := range item {
			if m == "parameters" {
				continue
			}
			var op struct {
				ID    string       `json:"operationId"`
				Roles []graph.Role `json:"x-roles"`
			}
			require.NoError(t, json.Unmarshal(raw, &op))
			ops = append(ops, docOperation{method: strings.ToUpper(m), path: path, id: op.ID, roles: op.Roles})
		}
	}
	slices.SortFunc(ops, func(a, b docOperation) int { return strings.Compare(a.method+a.path, b.method+b.path) })
	return ops
}

// TestAccessTableCoversTheDocument fails for any operation of the
// document that the access table does not classify (a route someone
// added must be given its roles in api/authz.go), for any table entry
// the document lacks, and when the document's x-roles differ from the
// table.
func TestAccessTableCoversTheDocument(t *testing.T) {
	ops := documentedOperations(t)
	seen := map[string]bool{}
	for _, op := range ops {
		key := op.method + " " + op.path
		seen[key] = true
		a, ok := accessTable[key]
		if !ok {
			t.Errorf("UNCLASSIFIED ROUTE: %s (%s) is in api/openapi.json but has no entry in accessTable (api/authz.go): "+
				"say which roles may call it there and in its x-roles", key, op.id)
			continue
		}
		assert.Equal(t, a.roles.list(), op.roles, "%s: x-roles in the document differ from accessTable", key)
		if a.roles.has(graph.RoleSubject) {
			assert.NotEmpty(t, a.subject, "%s: subjects are allowed, so the entry names the path parameter of their person", key)
			assert.Contains(t, op.path, "{"+a.subject+"}", key)
		}
	}
	for key := range accessTable {
		if !seen[key] {
			// Classified ahead of a route another change adds; harmless.
			t.Logf("accessTable has %s, which the document does not (yet)", key)
		}
	}
}

// matrixRequest builds a request for an operation: path parameters filled
// in (the person is subject's own, person 1, unless other), a body that
// passes validation where one is needed.
func matrixRequest(op docOperation, person string) request {
	path := op.path
	for _, r := range []struct{ from, to string }{
		{"{a}", person}, {"{b}", "3"}, {"{recruiter}", person}, {"{recruit}", "5"}, {"{name}", "no-such-key"},
	} {
		path = strings.ReplaceAll(path, r.from, r.to)
	}
	if strings.HasPrefix(path, "/v1/people/") {
		path = strings.ReplaceAll(path, "{id}", person)
	}
	path = strings.ReplaceAll(path, "{id}", "no-such-job")
	bodies := map[string]string{
		"putPerson":           `{"consent":true}`,
		"postEvents":          `{"events":[{"type":"purchase","amount":1,"at":"2024-01-01T00:00:00Z"}]}`,
		"batchScores":         `{"ids":[1]}`,
		"postScoringRun":      `{}`,
		"postShockExperiment": `{"changes":[{"id":1,"events":["default"]}]}`,
		"postSimulation":      `{"base":{"policy":"sesame","rounds":1,"people":60}}`,
		"createKey":           `{"name":"matrix-key","role":"app"}`,
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	// Every request declares a purpose, so that an allowed one is not
	// refused for lacking it; below= for the low-score listing.
	path += sep + "purpose=fraud_check"
	if op.id == "getLowScores" {
		path += "&below=900"
	}
	return request{method: op.method, path: path, body: bodies[op.id]}
}

// TestAccessMatrix walks every operation of the OpenAPI document with
// every role and checks the answer against accessTable: a role the entry
// allows is never refused for its role (not 401, not 403), one it does not
// allow gets 403; a subject allowed on a route gets, for anyone else's id,
// exactly the 404 an unknown id gets. It runs on both stores.
func TestAccessMatrix(t *testing.T) {
	t.Run("embedded", func(t *testing.T) { accessMatrix(t, openTestStore) })
	t.Run("neo4j", func(t *testing.T) { accessMatrix(t, openNeo4jTestStore) })
}

func accessMatrix(t *testing.T, open func(testing.TB) graph.Store) {
	store := open(t)
	e := newTestServer(t, store, func(c *Config) {
		c.KeyStore = store.(graph.KeyStore)
		c.ExportRealIDs = true
		// Every operation with every role, at once: far over the
		// subject's and researchers' rates (ratelimit_test.go tests them).
		c.RateLimits.Off = true
	})
	e.seed()
	e.score("sesame")
	// One server for all operations, deletions last so that the other
	// operations find the people they name.
	ops := documentedOperations(t)
	slices.SortStableFunc(ops, func(a, b docOperation) int {
		return cmpBool(a.method == http.MethodDelete, b.method == http.MethodDelete)
	})
	for _, op := range ops {
		t.Run(op.method+" "+op.path, func(t *testing.T) {
			a, ok := accessTable[op.method+" "+op.path]
			require.True(t, ok, "UNCLASSIFIED ROUTE %s %s: give it an entry in accessTable (api/authz.go)", op.method, op.path)
			for _, role := range graph.Roles() {
				r := matrixRequest(op, "1")
				r.header = map[string]string{"Authorization": "Bearer " + roleKeys[role]}
				w := e.do(r)
				if a.roles.has(role) {
					// Allowed: never refused for its key or role. A 403 that
					// names something else (friends' shares a policy does
					// not offer) is the operation's own answer.
					assert.NotEqual(t, http.StatusUnauthorized, w.Code, "%s may %s %s: %s", role, op.method, op.path, w.Body.String())
					assert.False(t, refusedForRole(w), "%s may %s %s: %s", role, op.method, op.path, w.Body.String())
				} else {
					assertProblem(t, w, http.StatusForbidden, "forbidden", "Authorization", "role "+string(role)+" is not allowed here")
				}
				if role != graph.RoleSubject || !a.roles.has(role) {
					continue
				}
				// Another person's id: the answer of an unknown id.
				r = matrixRequest(op, "2")
				r.header = map[string]string{"Authorization": "Bearer " + roleKeys[role]}
				other := e.do(r)
				r = matrixRequest(op, "999")
				r.header = map[string]string{"Authorization": "Bearer " + roleKeys[role]}
				unknown := e.do(r)
				require.Equal(t, http.StatusNotFound, other.Code, "subject on person 2: %s", other.Body.String())
				assert.Equal(t, unknown.Code, other.Code)
				assert.Equal(t, strings.ReplaceAll(unknown.Body.String(), "999", "2"), other.Body.String(),
					"a subject cannot tell another person from an unknown one")
			}
		})
	}
}

// refusedForRole reports whether an answer is the access check's refusal:
// 403 naming the Authorization field.
func refusedForRole(w *httptest.ResponseRecorder) bool {
	if w.Code != http.StatusForbidden {
		return false
	}
	var p struct {
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		return true
	}
	for _, e := range p.Errors {
		if e.Field == "Authorization" {
			return true
		}
	}
	return false
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
