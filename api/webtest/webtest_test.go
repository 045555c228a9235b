package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/api"
	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/embedded"
	"github.com/socialscore/socialscore/internal/browsertest"
	"github.com/socialscore/socialscore/scoring"
	"github.com/socialscore/socialscore/seed"
)

// testKey is the API key the page is given: an operator's (Config.APIKeys),
// who sees real ids, scores, reasons and perks.
const testKey = "researcher-key-0123456789"

// labKey is a researcher's key: pseudonyms and generalised attributes
// only (api/researchview.go).
const labKey = "lab-researcher-key-0123456789"

// people is the size of the seeded population.
const people = 3000

// server starts the API over an embedded store holding a seeded
// population scored under tencent (strong contagion, so a shock spreads),
// drawn as the demo's is (seed.Config.SpreadBands: every band populated).
func server(t *testing.T) (*httptest.Server, graph.Store) {
	t.Helper()
	ctx := context.Background()
	store, err := embedded.Open(filepath.Join(t.TempDir(), "s.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	batch, err := seed.Generate(seed.Config{People: people, Seed: 42, SpreadBands: true})
	require.NoError(t, err)
	require.NoError(t, store.ApplyBatch(ctx, batch))
	pol, ok := scoring.Preset(scoring.PolicyTencent)
	require.True(t, ok)
	runner := scoring.NewRunner(store, nil)
	_, err = runner.Run(ctx, pol, scoring.Options{})
	require.NoError(t, err)

	aud, err := api.NewFileAuditor(filepath.Join(t.TempDir(), "audit.jsonl"))
	require.NoError(t, err)
	srv, err := api.New(api.Config{
		Store:   store,
		Runner:  runner,
		Policy:  pol,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		APIKeys: map[string]string{testKey: "researcher"},
		Keys:    map[string]api.KeyHolder{labKey: {Name: "lab", Role: graph.RoleResearcher}},
		Audit:   aud,
	})
	require.NoError(t, err)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		_ = srv.Close()
	})
	return hs, store
}

// call sends a request to the API with the operator's key and decodes the
// answer.
func call(t *testing.T, method, url, body string, v any) {
	t.Helper()
	callWith(t, testKey, method, url, body, v)
}

// callWith sends a request to the API with the key and decodes the answer.
func callWith(t *testing.T, key, method, url, body string, v any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, "%s %s: %s", method, url, data)
	require.NoError(t, json.Unmarshal(data, v))
}

// browser starts headless Chromium with a fresh profile and collects what
// the page writes to its console.
func browser(t *testing.T) (context.Context, *console) {
	t.Helper()
	ctx := browsertest.Start(t, chromedp.Flag("disable-quic", true))
	con := &console{}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			con.add(m)
		}
	}()
	return ctx, con
}

// console keeps the page's console messages.
type console struct {
	mu   sync.Mutex
	msgs []chromedp.ConsoleMessage
}

func (c *console) add(m chromedp.ConsoleMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, m)
}

// problems returns the exceptions and security errors (CSP violations) the
// page reported.
func (c *console) problems() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, m := range c.msgs {
		if m.IsException() || m.Source == "security" || strings.Contains(m.Text, "Content Security Policy") {
			out = append(out, m.String())
		}
	}
	return out
}

// step runs actions with a deadline.
func step(t *testing.T, ctx context.Context, what string, d time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	require.NoError(t, chromedp.Do(sctx, actions...), what)
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[T](expr))
	require.NoError(t, err, expr)
	return v
}

// screenshot saves the page as a PNG and logs where.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(png, []byte("\x89PNG")), "a PNG")
	path := browsertest.Artifact(t, name)
	require.NoError(t, os.WriteFile(path, png, 0o644))
	t.Logf("screenshot: %s", path)
}

// egoResponse is the part of GET /v1/people/{id}/network the test reads.
type egoResponse struct {
	Center  graph.ID `json:"center"`
	Reached int      `json:"reached"`
	People  []struct {
		ID graph.ID `json:"id"`
	} `json:"people"`
	Ties []json.RawMessage `json:"ties"`
}

// shockResponse is the part of POST /v1/experiments/shock the test reads.
type shockResponse struct {
	Steps []json.RawMessage `json:"steps"`
	Total struct {
		Moved int               `json:"moved"`
		Reach []json.RawMessage `json:"reach"`
	} `json:"total"`
}

// reachOf reads the people per hop of a shock's reach.
func reachOf(t *testing.T, sh shockResponse) reachResponse {
	t.Helper()
	var out reachResponse
	for _, raw := range sh.Total.Reach {
		var r struct {
			People int `json:"people"`
		}
		require.NoError(t, json.Unmarshal(raw, &r))
		out.Total.Reach = append(out.Total.Reach, r)
	}
	return out
}

// search draws the ego network of id in the page and returns the node
// count the page reports once drawn.
func search(t *testing.T, ctx context.Context, id graph.ID, depth, limit int) int {
	t.Helper()
	step(t, ctx, "search", 30*time.Second,
		chromedp.SetValue(chromedp.CSS(`[data-testid=search-input]`), id.String()),
		chromedp.SetValue(chromedp.CSS(`[data-testid=depth-select]`), strconv.Itoa(depth)),
		chromedp.SetValue(chromedp.CSS(`[data-testid=limit-input]`), strconv.Itoa(limit)),
		chromedp.Click(chromedp.CSS(`[data-testid=search-button]`)),
	)
	return waitGraph(t, ctx, id)
}

// waitGraph waits until the graph of the centre is drawn.
func waitGraph(t *testing.T, ctx context.Context, id graph.ID) int {
	t.Helper()
	sel := fmt.Sprintf(`[data-testid=graph][data-state=ready][data-center="%d"][data-node-count]`, id)
	step(t, ctx, "graph drawn", 90*time.Second, chromedp.WaitVisible(chromedp.CSS(sel)))
	n, err := strconv.Atoi(eval[string](t, ctx, `document.querySelector('[data-testid=graph]').dataset.nodeCount`))
	require.NoError(t, err)
	canvases := eval[int](t, ctx, `document.querySelectorAll('[data-testid=graph] canvas').length`)
	assert.Positive(t, canvases, "the network is drawn on a canvas")
	return n
}

func TestResearchersPage(t *testing.T) {
	hs, store := server(t)
	ctx, con := browser(t)

	step(t, ctx, "open the page", 30*time.Second,
		chromedp.Navigate(hs.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=search-input]`)),
	)

	// Without a key the page asks for one...
	const center = graph.ID(100)
	step(t, ctx, "search without a key", 30*time.Second,
		chromedp.SetValue(chromedp.CSS(`[data-testid=search-input]`), center.String()),
		chromedp.Click(chromedp.CSS(`[data-testid=search-button]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=api-key-form].needed`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=error]`)),
	)
	assert.Contains(t, eval[string](t, ctx, `document.querySelector('[data-testid=error]').textContent`), "API key")

	// ...and with it, draws the network the API gives.
	step(t, ctx, "enter the key", 30*time.Second,
		chromedp.SetValue(chromedp.CSS(`[data-testid=api-key-input]`), testKey),
		chromedp.Click(chromedp.CSS(`[data-testid=api-key-save]`)),
	)
	drawn := waitGraph(t, ctx, center) // the search is retried with the key
	var ego egoResponse
	call(t, http.MethodGet, fmt.Sprintf("%s/v1/people/%d/network?depth=2&limit=500", hs.URL, center), "", &ego)
	require.NotEmpty(t, ego.People)
	assert.Equal(t, len(ego.People), drawn, "every person of the ego network is drawn")
	edges, err := strconv.Atoi(eval[string](t, ctx, `document.querySelector('[data-testid=graph]').dataset.edgeCount`))
	require.NoError(t, err)
	assert.Equal(t, len(ego.Ties), edges, "every tie is drawn")
	assert.Equal(t, testKey, eval[string](t, ctx, `localStorage.getItem('socialscore.apiKey')`), "the key is kept")
	assert.Positive(t, eval[int](t, ctx, `document.querySelectorAll('[data-testid=legend] i').length`), "a legend of the bands")
	assert.Equal(t, "full", eval[string](t, ctx, `document.querySelector('[data-testid=graph]').dataset.view ?? ''`))
	t.Run("focus", func(t *testing.T) { checkFocus(t, ctx, center) })
	t.Run("reasons and perks", func(t *testing.T) { checkReasons(t, ctx, hs.URL, center) })
	bands := bandColors(t, legend(t, ctx, "legend"))
	require.Len(t, bands, 5, "every band of the policy on screen (the demo's spread population)")
	assert.True(t, eval[bool](t, ctx, `document.querySelector('[data-testid=step-slider]').offsetParent === null`),
		"no step slider before a shock")
	screenshot(t, ctx, "socialscore-web-bands.png")

	// A shock on the centre: the reach chart has one bar per hop of the
	// API's answer.
	step(t, ctx, "run a shock", 60*time.Second,
		chromedp.SetValue(chromedp.CSS(`[data-testid=shock-id]`), center.String()),
		chromedp.SetValue(chromedp.CSS(`[data-testid=shock-event]`), "default"),
		chromedp.Click(chromedp.CSS(`[data-testid=shock-button]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=reach-chart][data-bars]`)),
	)
	var sh shockResponse
	call(t, http.MethodPost, hs.URL+"/v1/experiments/shock",
		fmt.Sprintf(`{"changes":[{"id":%d,"events":["default"]}],"max_steps":12,"list_limit":20000}`, center), &sh)
	require.NotEmpty(t, sh.Total.Reach)
	bars, err := strconv.Atoi(eval[string](t, ctx, `document.querySelector('[data-testid=reach-chart]').dataset.bars`))
	require.NoError(t, err)
	assert.Equal(t, len(sh.Total.Reach), bars)
	assert.Equal(t, bars, eval[int](t, ctx, `document.querySelectorAll('[data-testid=reach-chart] rect.bar').length`))
	assert.Equal(t, strconv.Itoa(len(sh.Steps)), eval[string](t, ctx, `document.querySelector('[data-testid=step-slider]').max`),
		"one slider position per step, and the converged state")

	// Play it to the end: people around the centre are recoloured.
	step(t, ctx, "play the steps", 90*time.Second,
		chromedp.Click(chromedp.CSS(`[data-testid=play-button]`)),
		chromedp.Poll[chromedp.Void](`(() => { const s = document.querySelector('[data-testid=step-slider]');
			return s.dataset.step === s.max && document.querySelector('[data-testid=play-button]').dataset.playing === 'false'; })()`,
			chromedp.WithPollingTimeout(80*time.Second), chromedp.WithPollingInterval(100*time.Millisecond)),
	)
	moved, err := strconv.Atoi(eval[string](t, ctx, `document.querySelector('[data-testid=graph]').dataset.moved`))
	require.NoError(t, err)
	assert.Positive(t, moved, "the shock moved people on screen")
	assert.LessOrEqual(t, moved, sh.Total.Moved)
	assert.Contains(t, eval[string](t, ctx, `document.querySelector('[data-testid=step-label]').textContent`), "converged")
	t.Run("shock palette", func(t *testing.T) { checkShockPalette(t, ctx, bands) })
	t.Run("round ticks", func(t *testing.T) { checkRoundTicks(t, ctx, reachOf(t, sh)) })
	screenshot(t, ctx, "socialscore-web.png")

	// Back to the bands: their legend returns.
	t.Run("band legend again", func(t *testing.T) {
		step(t, ctx, "show the bands again", 20*time.Second, chromedp.Click(chromedp.CSS(`[data-testid=show-bands]`)))
		assert.True(t, visible(t, ctx, "legend"))
		assert.False(t, visible(t, ctx, "shock-legend"))
	})

	// The best-connected person with the largest limit: about 2,000
	// people on screen, and the page still draws them all.
	snap, err := store.Snapshot(context.Background())
	require.NoError(t, err)
	hub := int32(0)
	for i := range int32(snap.Len()) {
		if snap.Degree(i) > snap.Degree(hub) {
			hub = i
		}
	}
	hubID := snap.IDs[hub]
	t.Logf("hub %d has %d friends", hubID, snap.Degree(hub))

	// The hub's least connected friend: they, not the hub beside them,
	// are in the middle, big and on top.
	quiet, nextTo := quietPerson(t, snap)
	require.Equal(t, hubID, nextTo)
	search(t, ctx, quiet, 2, 500)
	t.Run("focus beside a hub", func(t *testing.T) { checkFocus(t, ctx, quiet) })
	screenshot(t, ctx, "socialscore-web-focus.png")

	start := time.Now()
	drawn = search(t, ctx, hubID, 2, 2000)
	t.Logf("drew %d people in %v", drawn, time.Since(start).Round(time.Millisecond))
	call(t, http.MethodGet, fmt.Sprintf("%s/v1/people/%d/network?depth=2&limit=2000", hs.URL, hubID), "", &ego)
	assert.Equal(t, len(ego.People), drawn)
	assert.GreaterOrEqual(t, drawn, 1500, "a hub's two-hop network fills the limit")
	step(t, ctx, "shock the hub", 60*time.Second,
		chromedp.SetValue(chromedp.CSS(`[data-testid=shock-id]`), hubID.String()),
		chromedp.Click(chromedp.CSS(`[data-testid=shock-button]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=reach-chart][data-bars]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid=step-slider]`), "4"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid=step-slider]').dispatchEvent(new Event('input'))`),
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-testid=step-slider]').dataset.step === '4'`,
			chromedp.WithPollingTimeout(20*time.Second)),
	)
	t.Run("focus on 2,000 people", func(t *testing.T) { checkFocus(t, ctx, hubID) })
	var hubShock shockResponse
	call(t, http.MethodPost, hs.URL+"/v1/experiments/shock",
		fmt.Sprintf(`{"changes":[{"id":%d,"events":["default"]}],"max_steps":12,"list_limit":20000}`, hubID), &hubShock)
	t.Run("round ticks of the hub's shock", func(t *testing.T) { checkRoundTicks(t, ctx, reachOf(t, hubShock)) })
	screenshot(t, ctx, "socialscore-web-2000.png")

	assert.Empty(t, con.problems(), "the page threw no exception and broke no security policy")
}
