package api

import (
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOpenAPIMatchesRoutes fails if the document and the engine disagree
// on the set of (method, path): a route added to either side must be added
// to the other.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	data, err := os.ReadFile("openapi.json")
	require.NoError(t, err)
	assert.Equal(t, data, openAPIDoc, "the embedded document is the file in the repo")

	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(data, &doc))
	require.True(t, strings.HasPrefix(doc.OpenAPI, "3."), "OpenAPI 3.x, got %q", doc.OpenAPI)

	methods := map[string]bool{"get": true, "put": true, "post": true, "delete": true, "patch": true, "head": true, "options": true, "trace": true}
	var documented []string
	for path, item := range doc.Paths {
		for m := range item {
			if methods[m] {
				documented = append(documented, strings.ToUpper(m)+" "+path)
			}
		}
	}
	e := newTestServer(t, openTestStore(t))
	var served []string
	for _, r := range e.srv.engine.Routes() {
		served = append(served, r.Method+" "+openAPIPath(r.Path))
	}
	slices.Sort(documented)
	slices.Sort(served)
	assert.Equal(t, served, documented)
	assert.Len(t, served, 45)

	w := e.do(request{method: http.MethodGet, path: "/openapi.json", header: map[string]string{"Authorization": ""}})
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	assert.Equal(t, data, w.Body.Bytes())
}

// TestOpenAPIIsComplete checks that every $ref resolves, every operation
// documents its responses (problems for every 4xx/5xx), that the problem
// types the server uses are listed, and the auth schemes are declared.
func TestOpenAPIIsComplete(t *testing.T) {
	var doc map[string]any
	require.NoError(t, json.Unmarshal(openAPIDoc, &doc))

	resolve := func(ref string) bool {
		var cur any = doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			m, ok := cur.(map[string]any)
			if !ok {
				return false
			}
			if cur, ok = m[part]; !ok {
				return false
			}
		}
		return true
	}
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if k == "$ref" {
					assert.True(t, resolve(c.(string)), "%s: $ref %v does not resolve", at, c)
				}
				walk(c, at+"/"+k)
			}
		case []any:
			for _, c := range x {
				walk(c, at)
			}
		}
	}
	walk(doc, "")

	comps := doc["components"].(map[string]any)
	schemes := comps["securitySchemes"].(map[string]any)
	assert.Contains(t, schemes, "bearerAuth")
	assert.Contains(t, schemes, "apiKeyHeader")

	responses := comps["responses"].(map[string]any)
	for path, item := range doc["paths"].(map[string]any) {
		for m, op := range item.(map[string]any) {
			if m == "parameters" {
				continue
			}
			rs := op.(map[string]any)["responses"].(map[string]any)
			require.NotEmpty(t, rs, "%s %s", m, path)
			for code, r := range rs {
				if code[0] != '4' && code[0] != '5' {
					continue
				}
				ref, _ := r.(map[string]any)["$ref"].(string)
				name := strings.TrimPrefix(ref, "#/components/responses/")
				resp, ok := responses[name].(map[string]any)
				require.True(t, ok, "%s %s %s: problem responses use components/responses", m, path, code)
				assert.Contains(t, resp["content"], problemContentType, "%s %s %s", m, path, code)
			}
			if strings.HasPrefix(path, "/v1/") {
				assert.Contains(t, rs, "401", "%s %s documents 401", m, path)
			}
		}
	}

	types := comps["schemas"].(map[string]any)["Problem"].(map[string]any)["properties"].(map[string]any)["type"].(map[string]any)["enum"].([]any)
	for _, typ := range []string{typeInvalidInput, typeMalformedJSON, typeUnauthorized, typeNotFound, typeMethodNotAllowed,
		typeConflict, typeRunInProgress, typeTooLarge, typeUnsupportedMedia, typeUnavailable, typeInternal,
		typeForbidden, typeQueueFull, typeRateLimited, typeTooCostly, typeHeavyBusy, typeOverloaded} {
		assert.Contains(t, types, typ)
	}
}
