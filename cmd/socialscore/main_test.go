package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/datasets"
	"github.com/socialscore/socialscore/scoring"
)

func runCmd(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	require.NoError(t, err, "socialscore %s\nstderr: %s", strings.Join(args, " "), errb.String())
	return out.String()
}

// TestSeedThenScore runs the CLI as a user would: seed, then score, and
// checks what the store holds afterwards.
func TestSeedThenScore(t *testing.T) {
	url := "embedded://" + filepath.Join(t.TempDir(), "s.db")
	out := runCmd(t, "seed", "--store", url, "--people", "2000", "--seed", "3")
	assert.Contains(t, out, "seeded 2000 people")
	out = runCmd(t, "score", "--store", url, "--policy", "tencent")
	assert.Contains(t, out, "scored 2000 people")

	store, err := openStore(context.Background(), url, storeOptions{})
	require.NoError(t, err)
	defer store.Close()
	run, results, err := store.LatestRun(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "tencent", run.Policy)
	require.Len(t, results, 2000)
	for _, r := range results {
		require.GreaterOrEqual(t, r.Score, scoring.MinScore)
		require.LessOrEqual(t, r.Score, scoring.MaxScore)
	}
}

// TestImportEgoFacebook imports SNAP ego-Facebook and scores it.
// Expected sizes: SNAP's page for ego-Facebook (4,039 nodes, 88,234 edges),
// repeated in the dataset's SOURCE.md.
func TestImportEgoFacebook(t *testing.T) {
	file := datasets.Path(t, datasets.FacebookFolder, "facebook_combined.txt")
	url := "embedded://" + filepath.Join(t.TempDir(), "fb.db")
	out := runCmd(t, "import", "--store", url, "--friends", file)
	assert.Contains(t, out, "imported 4039 people, 88234 friendships")
	out = runCmd(t, "score", "--store", url)
	assert.Contains(t, out, "scored 4039 people, 88234 friendships")
}

func TestBadCommandLines(t *testing.T) {
	url := "embedded://" + filepath.Join(t.TempDir(), "s.db")
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"score", "--store", url, "--policy", "no-such-policy"},
		{"seed", "--store", url, "--people", "-5"},
		{"import", "--store", url},
		{"serve", "--store", "ftp://x"},
		{"seed", "--store", url, "extra"},
		{"serve", "--store", url, "--reconcile-every", "1h"},            // needs --live
		{"serve", "--store", url, "--live", "--reconcile-every", "-1s"}, // negative
	} {
		err := run(context.Background(), args, io.Discard, io.Discard)
		assert.Error(t, err, "%v", args)
	}
	// None of them created a store.
	_, err := os.Stat(strings.TrimPrefix(url, "embedded://"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// TestMainEndToEnd starts the whole program on port 0, seeds and scores
// through it, and reads a score over HTTP with an app key; the read is in
// the audit log.
func TestMainEndToEnd(t *testing.T) {
	dir := t.TempDir()
	m := &Main{
		CreateStore: true,
		StoreURL:    "embedded://" + filepath.Join(dir, "s.db"),
		Addr:        "127.0.0.1:0",
		Policy:      mustPreset(t, "sesame"),
		APIKeys:     map[string]string{"0123456789abcdef-test": "lender"},
		AuditPath:   filepath.Join(dir, "audit.jsonl"),
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.NoError(t, m.Open(ctx))
	require.NoError(t, seedStore(ctx, m.Store, 500, 9, io.Discard, io.Discard))
	_, err := scoreStore(ctx, m.Store, m.Runner, m.Policy, io.Discard, io.Discard)
	require.NoError(t, err)
	require.NoError(t, m.Listen())
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx, io.Discard) }()

	req, err := http.NewRequest("GET", m.URL()+"/v1/people/42/score", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer 0123456789abcdef-test")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	var body struct {
		ID         int64 `json:"id"`
		Score      int   `json:"score"`
		Components []struct {
			Points int `json:"points"`
		} `json:"components"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	assert.EqualValues(t, 42, body.ID)
	sum := scoring.MinScore
	for _, c := range body.Components {
		sum += c.Points
	}
	assert.InDelta(t, body.Score, sum, 1, "350 + Σ points = score (±1)")

	// The same number as the store's saved result.
	_, results, err := m.Store.LatestRun(ctx)
	require.NoError(t, err)
	idx := findResult(results, 42)
	require.GreaterOrEqual(t, idx, 0)
	assert.Equal(t, results[idx].Score, body.Score)

	cancel()
	require.NoError(t, <-done)
	require.NoError(t, m.Close())
	audit, err := os.ReadFile(m.AuditPath)
	require.NoError(t, err)
	assert.Contains(t, string(audit), `"lender"`)
	assert.Contains(t, string(audit), "42")
}

// TestDemoRestartKeepsData runs demo twice on the same store: the second
// run finds the network and does not seed again, and prints the same
// operator key, kept with the others in a file only its owner can read.
// What it prints (stdout and stderr together, as a terminal shows them)
// starts with the page's address and how to use it, then the keys file and
// the operator key; the page answers at that address with the operator
// key; the note on export pseudonyms is not the first line.
func TestDemoRestartKeepsData(t *testing.T) {
	dir := t.TempDir()
	url := "embedded://" + filepath.Join(dir, "d.db")
	var opKeys []string
	for i, want := range []string{"is empty: seeding 300 people", "holds 300 people"} {
		ctx, cancel := context.WithCancel(context.Background())
		var out syncBuffer
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"demo", "--store", url, "--people", "300", "--addr", "127.0.0.1:0"}, &out, &out)
		}()
		require.Eventually(t, func() bool { return strings.Contains(out.String(), "serving on") }, 60*time.Second, 20*time.Millisecond, "run %d: %s", i, out.String())
		text := out.String()
		assert.Contains(t, text, want)

		lines := strings.Split(text, "\n")
		first, ok := strings.CutPrefix(lines[0], "socialscore demo: the page is at ")
		require.True(t, ok, "the first line is the page's address: %q", lines[0])
		assert.Regexp(t, `^http://127\.0\.0\.1:[0-9]+/$`, first)
		assert.Contains(t, lines[1]+lines[2], "paste the operator key")
		assert.NotContains(t, lines[0], "pseudonym")
		at := func(s string) int {
			for j, l := range lines {
				if strings.Contains(l, s) {
					return j
				}
			}
			t.Fatalf("run %d: no line with %q in\n%s", i, s, text)
			return -1
		}
		keysFile := filepath.Join(dir, "keys.txt")
		assert.Less(t, at("API keys, one per role: "+keysFile), at("operator key: "), "the keys file, then the operator key")
		assert.Less(t, at("operator key: "), at("scored 300 people"))
		assert.Less(t, at("scored 300 people"), at("serving on "+strings.TrimSuffix(first, "/")))

		_, key, ok := strings.Cut(text, "operator key: ")
		require.True(t, ok, text)
		key, _, _ = strings.Cut(key, "\n")
		opKeys = append(opKeys, key)

		// The page is served at the address printed, and the key works.
		resp, err := http.Get(first)
		require.NoError(t, err)
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, 200, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("Content-Type"), "text/html")
		assert.Contains(t, string(page), "api-key")
		req, err := http.NewRequest("GET", first+"v1/people/1/score", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err = http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, 200, resp.StatusCode)

		cancel()
		require.NoError(t, <-done)
		fi, err := os.Stat(keysFile)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the keys file is its owner's only")
		entries, err := readKeysFile(keysFile)
		require.NoError(t, err)
		require.Len(t, entries, len(graph.Roles()), "one key per role")
		for j, r := range graph.Roles() {
			assert.Equal(t, r, entries[j].role)
		}
		assert.Equal(t, key, entries[0].key)
	}
	assert.Equal(t, opKeys[0], opKeys[1], "the same operator key after a restart")
	assert.True(t, strings.HasPrefix(opKeys[0], "ss_"), opKeys[0])
}

func mustPreset(t *testing.T, name string) scoring.Policy {
	p, ok := scoring.Preset(name)
	require.True(t, ok)
	return p
}

func findResult(rs []graph.Result, id graph.ID) int {
	for i, r := range rs {
		if r.ID == id {
			return i
		}
	}
	return -1
}
