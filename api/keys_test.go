package api

import (
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// TestKeysInTheStore: keys created or revoked in the store by another
// process take effect without a restart (within KeyRefresh); keys
// created and revoked through the API at once. On both stores.
func TestKeysInTheStore(t *testing.T) {
	t.Run("embedded", func(t *testing.T) { keysInTheStore(t, openTestStore) })
	t.Run("neo4j", func(t *testing.T) { keysInTheStore(t, openNeo4jTestStore) })
}

func keysInTheStore(t *testing.T, open func(testing.TB) graph.Store) {
	store := open(t)
	ks := store.(graph.KeyStore)
	e := newTestServer(t, store, func(c *Config) { c.KeyStore = ks; c.KeyRefresh = 20 * time.Millisecond })
	e.seed()
	e.score("sesame")
	read := func(key string) int {
		return e.as(key, request{method: http.MethodGet, path: "/v1/people/1/score?purpose=fraud_check"}).Code
	}

	// Another process (socialscore keys create) adds a key to the store.
	const outside = "ss_made-by-another-process-0123456789"
	require.Equal(t, 401, read(outside))
	require.NoError(t, ks.CreateKey(t.Context(), graph.APIKey{Name: "outside", Role: graph.RoleApp, Hash: graph.HashKey(outside)}))
	require.Eventually(t, func() bool { return read(outside) == 200 }, 10*time.Second, 10*time.Millisecond)
	// ... and revokes it.
	require.NoError(t, ks.RevokeKey(t.Context(), "outside"))
	require.Eventually(t, func() bool { return read(outside) == 401 }, 10*time.Second, 10*time.Millisecond)

	// Through the API: the secret is in the answer only; revocation is
	// immediate.
	w := e.do(request{method: http.MethodPost, path: "/v1/keys", body: `{"name":"shop","role":"app"}`})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	var k KeyResponse
	decode(t, w, &k)
	assert.Equal(t, graph.RoleApp, k.Role)
	require.NotEmpty(t, k.Key)
	assert.Equal(t, 200, read(k.Key))
	w = e.do(request{method: http.MethodGet, path: "/v1/keys"})
	require.Equal(t, 200, w.Code)
	assert.NotContains(t, w.Body.String(), k.Key, "listing never shows a secret")
	assert.Contains(t, w.Body.String(), `"name":"shop"`)
	require.Equal(t, http.StatusNoContent, e.do(request{method: http.MethodDelete, path: "/v1/keys/shop"}).Code)
	assert.Equal(t, 401, read(k.Key), "revoked at once")
	assertProblem(t, e.do(request{method: http.MethodDelete, path: "/v1/keys/nobody"}), 404, "not-found", "name", "no key")
	assertProblem(t, e.do(request{method: http.MethodPost, path: "/v1/keys", body: `{"name":"shop","role":"app"}`}), 409, "conflict", "name", "exists")
	assertProblem(t, e.do(request{method: http.MethodPost, path: "/v1/keys", body: `{"name":"x","role":"root"}`}), 400, "invalid-input", "role", "unknown role")
	assertProblem(t, e.do(request{method: http.MethodPost, path: "/v1/keys", body: `{"name":"x","role":"subject"}`}), 400, "invalid-input", "person", "must name its person")
	assertProblem(t, e.as(roleKeys[graph.RoleAuditor], request{method: http.MethodGet, path: "/v1/keys"}), 403, "forbidden", "Authorization", "role auditor")
}

// TestReadyWhileAuditWorks: /readyz is not ready while the audit log
// cannot be written.
func TestReadyWhileAuditWorks(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	require.Equal(t, 200, e.get("/readyz").Code)
	require.NoError(t, os.Remove(e.auditPath)) // records would go to a file no one can find
	w := e.get("/readyz")
	assertProblem(t, w, http.StatusServiceUnavailable, "unavailable", "-", "")
	assert.Contains(t, w.Body.String(), "audit log")
	require.NoError(t, e.audit.Close())
	assertProblem(t, e.get("/readyz"), http.StatusServiceUnavailable, "unavailable", "-", "")
}
