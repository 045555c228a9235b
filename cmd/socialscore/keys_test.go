package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/api"
	"github.com/socialscore/socialscore/graph"
)

// TestServeRefusesWithoutKeys: serve with no key anywhere and without
// --open exits non-zero, saying what to do; with --open it serves.
func TestServeRefusesWithoutKeys(t *testing.T) {
	url := "embedded://" + filepath.Join(t.TempDir(), "s.db")
	t.Setenv("SOCIALSCORE_API_KEYS", "")
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"serve", "--create", "--store", url, "--addr", "127.0.0.1:0"}, io.Discard, &stderr)
	require.Error(t, err)
	assert.NotEqual(t, 0, exitCode(err))
	assert.Contains(t, err.Error(), "no API keys")
	assert.Contains(t, err.Error(), "socialscore keys create")
	assert.Contains(t, err.Error(), "--open")

	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--create", "--store", url, "--addr", "127.0.0.1:0", "--open"}, &out, io.Discard)
	}()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "serving on") }, 30*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
}

// TestKeysCommands: keys create prints a key once and stores its digest;
// list shows names and roles, never secrets; revoke marks it; a server
// started afterwards accepts the valid keys only.
func TestKeysCommands(t *testing.T) {
	dir := t.TempDir()
	url := newEmptyStore(t, "embedded://"+filepath.Join(dir, "s.db"), storeOptions{})
	ctx := context.Background()
	keysRun := func(args ...string) (string, string, error) {
		var out, errb bytes.Buffer
		err := run(ctx, append([]string{"keys"}, append(args, "--store", url)...), &out, &errb)
		return out.String(), errb.String(), err
	}
	opKey, msg, err := keysRun("create", "--name", "ops", "--role", "operator")
	require.NoError(t, err)
	opKey = strings.TrimSpace(opKey)
	assert.True(t, strings.HasPrefix(opKey, "ss_") && len(opKey) == 3+43, "256 random bits in base64url: %q", opKey)
	assert.Contains(t, msg, "shown once")
	appKey, _, err := keysRun("create", "--name", "shop", "--role", "app")
	require.NoError(t, err)
	appKey = strings.TrimSpace(appKey)
	subKey, _, err := keysRun("create", "--name", "alice", "--role", "subject", "--person", "7")
	require.NoError(t, err)
	subKey = strings.TrimSpace(subKey)

	_, _, err = keysRun("create", "--name", "ops", "--role", "app")
	require.ErrorIs(t, err, graph.ErrConflict, "names are unique")
	_, _, err = keysRun("create", "--name", "x", "--role", "root")
	require.Error(t, err)
	assert.Equal(t, 2, exitCode(err))
	_, _, err = keysRun("create", "--name", "y", "--role", "subject")
	require.Error(t, err, "a subject key names its person")

	list, _, err := keysRun("list")
	require.NoError(t, err)
	for _, s := range []string{"ops", "operator", "shop", "app", "alice", "subject", "7"} {
		assert.Contains(t, list, s)
	}
	for _, k := range []string{opKey, appKey, subKey} {
		assert.NotContains(t, list, k, "list never shows a secret")
	}
	// The store keeps digests only.
	data, err := os.ReadFile(filepath.Join(dir, "s.db"))
	require.NoError(t, err)
	assert.False(t, bytes.Contains(data, []byte(opKey)), "the secret is not in the store file")

	out, _, err := keysRun("revoke", "shop")
	require.NoError(t, err)
	assert.Contains(t, out, `revoked key "shop"`)
	_, _, err = keysRun("revoke", "nobody")
	require.ErrorIs(t, err, graph.ErrNotFound)
	list, _, err = keysRun("list")
	require.NoError(t, err)
	assert.Regexp(t, `shop\s+app\s+-\s+\S+\s+\d{4}-`, list, "revoked keys are listed with the time")

	// A server on the store accepts the operator key, not the revoked one.
	m := &Main{StoreURL: url, Addr: "127.0.0.1:0", Policy: mustPreset(t, "sesame"), AuditPath: filepath.Join(dir, "audit.jsonl")}
	require.NoError(t, m.Open(ctx))
	defer m.Close()
	for key, want := range map[string]int{opKey: 404, appKey: 401, "ss_not-a-key-of-anyone-at-all": 401} {
		req := httpRequest(t, m, "/v1/people/1", key)
		w := httptest.NewRecorder()
		m.API.Handler().ServeHTTP(w, req)
		assert.Equal(t, want, w.Code, "key %q: %s", key[:6], w.Body.String())
	}
}

// TestAPIKeysFileAndFlag: keys come from a file or the environment; the
// --api-keys flag, which would show them on the command line, is refused.
func TestAPIKeysFileAndFlag(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "keys")
	require.NoError(t, os.WriteFile(file, []byte("# ops\nops:0123456789abcdef0123\n"), 0o600))
	fs, common := newFlagSet("serve", io.Discard)
	cfg := serveFlags(fs)
	require.NoError(t, parse(fs, []string{"--api-keys-file", file, "--store", "embedded://" + filepath.Join(dir, "s.db")}))
	var stderr bytes.Buffer
	m, err := cfg.newMain(common, &stderr)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"0123456789abcdef0123": "ops"}, m.APIKeys)
	assert.NotContains(t, stderr.String(), "--api-keys puts secrets")

	fs, common = newFlagSet("serve", io.Discard)
	cfg = serveFlags(fs)
	require.NoError(t, parse(fs, []string{"--api-keys", "ops:0123456789abcdef0123"}))
	_, err = cfg.newMain(common, &stderr)
	require.Error(t, err, "a key on the command line is refused")
	assert.Contains(t, err.Error(), "would put secrets on the command line")

	// The same keys from the environment are taken.
	t.Setenv("SOCIALSCORE_API_KEYS", "ops:0123456789abcdef0123")
	fs, common = newFlagSet("serve", io.Discard)
	cfg = serveFlags(fs)
	require.NoError(t, parse(fs, []string{"--store", "embedded://" + filepath.Join(dir, "s.db")}))
	m, err = cfg.newMain(common, &stderr)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"0123456789abcdef0123": "ops"}, m.APIKeys)
}

func httpRequest(t *testing.T, m *Main, path, key string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	return req
}

// TestAuditVerifyCommand: audit verify passes on an intact log and exits
// non-zero naming the first bad record of a tampered one.
func TestAuditVerifyCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	a, err := api.NewFileAuditor(path)
	require.NoError(t, err)
	for i := 1; i <= 3; i++ {
		require.NoError(t, a.Audit(api.AuditRecord{Time: time.Now(), App: "shop", Person: graph.ID(i), RequestID: "r", Route: "/v1/people/{id}/score"}))
	}
	require.NoError(t, a.Close())
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"audit", "verify", "--log", path}, &out, io.Discard))
	assert.Contains(t, out.String(), "intact: 3 chained records")
	assert.Contains(t, out.String(), "head: seq 3")

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, bytes.Replace(data, []byte(`"person":2`), []byte(`"person":9`), 1), 0o600))
	err = run(context.Background(), []string{"audit", "verify", "--log", path}, io.Discard, io.Discard)
	require.Error(t, err)
	assert.Equal(t, 1, exitCode(err))
	assert.Contains(t, err.Error(), "line 2 (record seq 2)")
	assert.Contains(t, err.Error(), "was changed")
}
