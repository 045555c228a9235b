package webtest

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// The checks of what the page shows (issue 14, "The page"): the person
// asked about centred and emphasised, a shock palette apart from the
// bands' with its own legend, the selected person's reasons and perks, and
// round ticks on the reach chart.

// nodeInfo is one node as window.socialscorePage.describe() lists it, in
// drawing order (the last is drawn on top).
type nodeInfo struct {
	ID          string  `json:"id"`
	Label       string  `json:"label"`
	X           float64 `json:"x"`
	Y           float64 `json:"y"`
	Size        float64 `json:"size"`
	Z           float64 `json:"z"`
	Color       string  `json:"color"`
	Border      float64 `json:"border"`
	BorderColor string  `json:"borderColor"`
	Center      bool    `json:"center"`
	Shocked     bool    `json:"shocked"`
	Degree      int     `json:"degree"`
}

func describe(t *testing.T, ctx context.Context) []nodeInfo {
	t.Helper()
	nodes := eval[[]nodeInfo](t, ctx, `window.socialscorePage.describe()`)
	require.NotEmpty(t, nodes, "the page lists its nodes")
	return nodes
}

// rgb is a colour.
type rgb [3]float64

var rgbRe = regexp.MustCompile(`^rgba?\(\s*([0-9.]+)\s*,\s*([0-9.]+)\s*,\s*([0-9.]+)\s*(?:,\s*([0-9.]+)\s*)?\)$`)

// parseColor reads a CSS colour as browsers give it (rgb(r, g, b) or
// rgba(...)) or #rrggbb; ok is false for a transparent one.
func parseColor(t *testing.T, s string) (c rgb, ok bool) {
	t.Helper()
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "#") && len(s) == 7 {
		for i := range 3 {
			v, err := strconv.ParseUint(s[1+2*i:3+2*i], 16, 8)
			require.NoError(t, err, s)
			c[i] = float64(v)
		}
		return c, true
	}
	m := rgbRe.FindStringSubmatch(s)
	require.NotNil(t, m, "a colour: %q", s)
	if m[4] != "" {
		if a, _ := strconv.ParseFloat(m[4], 64); a == 0 {
			return c, false
		}
	}
	for i := range 3 {
		c[i], _ = strconv.ParseFloat(m[1+i], 64)
	}
	return c, true
}

func (a rgb) dist(b rgb) float64 {
	return math.Sqrt((a[0]-b[0])*(a[0]-b[0]) + (a[1]-b[1])*(a[1]-b[1]) + (a[2]-b[2])*(a[2]-b[2]))
}

// hsl returns the hue (degrees) and the saturation (0..1) of the HSL
// model (Foley & van Dam, "Computer Graphics", §13.3.5).
func (a rgb) hsl() (hue, sat float64) {
	r, g, b := a[0]/255, a[1]/255, a[2]/255
	hi, lo := max(r, g, b), min(r, g, b)
	l := (hi + lo) / 2
	d := hi - lo
	if d == 0 {
		return 0, 0
	}
	if l > 0.5 {
		sat = d / (2 - hi - lo)
	} else {
		sat = d / (hi + lo)
	}
	switch hi {
	case r:
		hue = math.Mod((g-b)/d+6, 6)
	case g:
		hue = (b-r)/d + 2
	default:
		hue = (r-g)/d + 4
	}
	return hue * 60, sat
}

func hueDist(a, b float64) float64 {
	d := math.Abs(a - b)
	return min(d, 360-d)
}

// legendEntry is one entry of a legend: its swatch's colour and its text.
type legendEntry struct {
	Color string `json:"color"`
	Name  string `json:"name"`
}

func legend(t *testing.T, ctx context.Context, testid string) []legendEntry {
	t.Helper()
	return eval[[]legendEntry](t, ctx, fmt.Sprintf(`[...document.querySelectorAll('[data-testid=%s] span')].map(s => ({
		color: getComputedStyle(s.querySelector('i')).backgroundColor, name: s.textContent }))`, testid))
}

func visible(t *testing.T, ctx context.Context, testid string) bool {
	t.Helper()
	return eval[bool](t, ctx, fmt.Sprintf(`(() => { const e = document.querySelector('[data-testid=%s]'); return !!e && e.offsetParent !== null; })()`, testid))
}

// checkFocus: the person asked about is in the middle of the drawing,
// bigger than anyone else, outlined, drawn last and above everyone (its
// fill is what the screen shows at its centre, not a neighbour's).
func checkFocus(t *testing.T, ctx context.Context, center graph.ID) {
	t.Helper()
	nodes := describe(t, ctx)
	var c *nodeInfo
	for i := range nodes {
		if nodes[i].Center {
			require.Nil(t, c, "one centre")
			c = &nodes[i]
		}
	}
	require.NotNil(t, c, "the centre is marked")
	assert.Equal(t, center.String(), c.ID)
	assert.Equal(t, center.String(), c.Label, "the centre carries its id")

	box := eval[[]float64](t, ctx, `(() => { const r = document.querySelector('[data-testid=graph]').getBoundingClientRect();
		return [r.left, r.top, r.width, r.height]; })()`)
	assert.InDelta(t, box[2]/2, c.X, 3, "the centre is in the middle of the drawing (x)")
	assert.InDelta(t, box[3]/2, c.Y, 3, "the centre is in the middle of the drawing (y)")

	biggest := 0.0
	for _, n := range nodes {
		if !n.Center {
			biggest = max(biggest, n.Size)
			assert.Less(t, n.Z, c.Z, "node %s is drawn under the centre", n.ID)
		}
	}
	assert.Greater(t, c.Size, 1.2*biggest, "the centre is bigger than everyone else")
	assert.GreaterOrEqual(t, c.Size, 20.0, "the centre is big on screen (px)")
	assert.GreaterOrEqual(t, c.Border, 3.0, "the centre is outlined")
	assert.Equal(t, c.ID, nodes[len(nodes)-1].ID, "the centre is drawn last")

	// On screen: the pixel at the centre's middle is its own fill.
	fill, ok := parseColor(t, c.Color)
	require.True(t, ok)
	dpr := eval[float64](t, ctx, `window.devicePixelRatio`)
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	shot, err := chromedp.Run(sctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(shot))
	require.NoError(t, err)
	px := int(math.Round((box[0] + c.X) * dpr))
	py := int(math.Round((box[1] + c.Y) * dpr))
	r, g, b, _ := img.At(px, py).RGBA()
	got := rgb{float64(r >> 8), float64(g >> 8), float64(b >> 8)}
	assert.Less(t, got.dist(fill), 12.0, "the screen shows the centre's fill %v at its middle, got %v", fill, got)
}

// scoreResponse is the part of GET /v1/people/{id}/score the test reads.
type scoreResponse struct {
	Score   int    `json:"score"`
	Band    string `json:"band"`
	Reasons []struct {
		Code   string `json:"code"`
		Text   string `json:"text"`
		Points int    `json:"points"`
	} `json:"reasons"`
	Perks []string `json:"perks"`
}

// checkReasons: the selected panel shows the person's reasons (code,
// points and text, in the API's order) and perks, as GET
// /v1/people/{id}/score gives them.
func checkReasons(t *testing.T, ctx context.Context, base string, id graph.ID) {
	t.Helper()
	step(t, ctx, "reasons shown", 30*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid=reasons][data-state=ready]`)))
	var sc scoreResponse
	call(t, http.MethodGet, fmt.Sprintf("%s/v1/people/%d/score", base, id), "", &sc)
	require.NotEmpty(t, sc.Reasons, "person %d has reasons to show", id)
	require.NotEmpty(t, sc.Perks, "person %d has perks to show", id)

	type item struct {
		Code string `json:"code"`
		Perk string `json:"perk"`
		Text string `json:"text"`
	}
	reasons := eval[[]item](t, ctx, `[...document.querySelectorAll('[data-testid=reasons] li')].map(li => ({code: li.dataset.code, text: li.textContent}))`)
	require.Len(t, reasons, len(sc.Reasons), "every reason")
	for i, r := range sc.Reasons {
		assert.Equal(t, r.Code, reasons[i].Code)
		assert.Contains(t, reasons[i].Text, r.Text)
		assert.Contains(t, reasons[i].Text, strconv.Itoa(r.Points))
	}
	perks := eval[[]item](t, ctx, `[...document.querySelectorAll('[data-testid=perks] li')].map(li => ({perk: li.dataset.perk, text: li.textContent}))`)
	require.Len(t, perks, len(sc.Perks), "every perk")
	for i, p := range sc.Perks {
		assert.Equal(t, p, perks[i].Perk)
		assert.Equal(t, strings.ReplaceAll(p, "_", " "), perks[i].Text)
	}
	assert.Contains(t, eval[string](t, ctx, `document.querySelector('[data-testid=selected]').textContent`),
		fmt.Sprintf("%d (%s)", sc.Score, sc.Band))
}

// bandColors returns the colours of the band legend's bands (not the
// "not scored" and "withheld" entries, nor the centre's ring).
func bandColors(t *testing.T, entries []legendEntry) map[string]rgb {
	t.Helper()
	out := map[string]rgb{}
	for _, e := range entries {
		c, ok := parseColor(t, e.Color)
		if !ok || e.Name == "not scored" || e.Name == "withheld" {
			continue
		}
		out[e.Name] = c
	}
	return out
}

// checkShockPalette: in shock mode the band legend gives way to the shock
// legend, whose colours share no hue with the bands' (the band red above
// all), and every node and the reach chart's bars are in the shock's
// colours.
func checkShockPalette(t *testing.T, ctx context.Context, bands map[string]rgb) {
	t.Helper()
	require.NotEmpty(t, bands)
	assert.True(t, visible(t, ctx, "shock-legend"), "a legend of the shock's colours")
	assert.False(t, visible(t, ctx, "legend"), "the band legend is put away while changes are shown")
	entries := legend(t, ctx, "shock-legend")
	var shock []rgb
	for _, e := range entries {
		if c, ok := parseColor(t, e.Color); ok {
			shock = append(shock, c)
		}
	}
	require.GreaterOrEqual(t, len(shock), 3, "loss, no change and gain: %v", entries)
	for _, s := range shock {
		sh, ss := s.hsl()
		for name, b := range bands {
			assert.Greater(t, s.dist(b), 60.0, "shock colour %v is far from band %s's %v", s, name, b)
			if bh, bs := b.hsl(); ss > 0.15 && bs > 0.15 {
				assert.Greater(t, hueDist(sh, bh), 40.0, "shock colour %v (hue %.0f) is not band %s's hue (%.0f)", s, sh, name, bh)
			}
		}
	}
	loss := shock[0] // the first entry: the most points lost
	bar, ok := parseColor(t, eval[string](t, ctx, `getComputedStyle(document.querySelector('[data-testid=reach-chart] rect.bar')).fill`))
	require.True(t, ok)
	assert.Less(t, bar.dist(loss), 2.0, "the chart's moved bars are the shock legend's loss colour")
	assert.NotEmpty(t, legend(t, ctx, "reach-legend"), "the chart has a legend")

	moved := 0
	for _, n := range describe(t, ctx) {
		c, ok := parseColor(t, n.Color)
		require.True(t, ok)
		for name, b := range bands {
			assert.Greater(t, c.dist(b), 30.0, "node %s (%v) is not in band %s's colour", n.ID, c, name)
		}
		if c.dist(shock[2]) > 1 {
			moved++
		}
	}
	assert.Positive(t, moved, "some nodes show a change")
}

// reachResponse is the reach of POST /v1/experiments/shock.
type reachResponse struct {
	Total struct {
		Reach []struct {
			People int `json:"people"`
		} `json:"reach"`
	} `json:"total"`
}

// checkRoundTicks: the reach chart's ticks are 0 and multiples of a round
// step (1, 2 or 5 times a power of ten) up to the largest bar, written
// with thousands separators.
func checkRoundTicks(t *testing.T, ctx context.Context, reach reachResponse) {
	t.Helper()
	most := 0
	for _, r := range reach.Total.Reach {
		most = max(most, r.People)
	}
	require.Positive(t, most)
	labels := eval[[]string](t, ctx, `[...document.querySelectorAll('[data-testid=reach-chart] text.tick[text-anchor=end]')].map(e => e.textContent)`)
	require.GreaterOrEqual(t, len(labels), 2, "ticks: %v", labels)
	ticks := make([]int, len(labels))
	for i, l := range labels {
		assert.Regexp(t, `^\d{1,3}(,\d{3})*$`, l, "a tick is a whole number with thousands separators")
		v, err := strconv.Atoi(strings.ReplaceAll(l, ",", ""))
		require.NoError(t, err, l)
		ticks[i] = v
	}
	require.True(t, slices.IsSorted(ticks), "%v", ticks)
	assert.Equal(t, 0, ticks[0])
	stepv := ticks[1] - ticks[0]
	p := 1
	for p*10 <= stepv {
		p *= 10
	}
	assert.Contains(t, []int{p, 2 * p, 5 * p}, stepv, "a round step: %v", ticks)
	for i, v := range ticks {
		assert.Equal(t, i*stepv, v, "ticks %v are multiples of the step", ticks)
	}
	assert.LessOrEqual(t, ticks[len(ticks)-1], most, "no tick above the data")
	assert.Greater(t, ticks[len(ticks)-1]+stepv, most, "ticks reach up to the data")
	assert.LessOrEqual(t, len(ticks), 5, "a few ticks: %v", ticks)
}

// quietPerson returns the friend of the best-connected person with the
// fewest friends: in their network they sit beside the hub, the case in
// which the person asked about used to be a small dot under it.
func quietPerson(t *testing.T, snap *graph.Snapshot) (graph.ID, graph.ID) {
	t.Helper()
	hub := int32(0)
	for i := range int32(snap.Len()) {
		if snap.Degree(i) > snap.Degree(hub) {
			hub = i
		}
	}
	quiet := int32(-1)
	for _, f := range snap.Friends(hub) {
		if quiet < 0 || snap.Degree(f) < snap.Degree(quiet) {
			quiet = f
		}
	}
	require.GreaterOrEqual(t, quiet, int32(0))
	return snap.IDs[quiet], snap.IDs[hub]
}

// researchGraph is what GET /v1/people/{id}/network answers a researcher.
type researchGraph struct {
	Meta struct {
		Pseudonymised bool `json:"pseudonymised"`
		Generalised   *struct {
			K int `json:"k"`
		} `json:"generalised"`
	} `json:"meta"`
	Nodes []struct {
		ID       string `json:"id"`
		Scored   bool   `json:"scored"`
		Band     string `json:"band"`
		HopClass string `json:"hop_class"`
	} `json:"nodes"`
	Links []struct {
		Source string `json:"source"`
		Target string `json:"target"`
		Kind   string `json:"kind"`
	} `json:"links"`
}

// TestResearchersPageResearcherKey: with a researcher's key the page draws
// the generalised view the API gives (api/researchview.go): pseudonyms as
// ids, colours by band (withheld bands apart), sizes by class of friends
// in the view, no marked centre, no reasons or perks; a shock shows its
// reach.
func TestResearchersPageResearcherKey(t *testing.T) {
	hs, _ := server(t)
	ctx, con := browser(t)
	const center = graph.ID(100)
	step(t, ctx, "open the page with a researcher's key", 30*time.Second,
		chromedp.Navigate(hs.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=search-input]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid=api-key-input]`), labKey),
		chromedp.Click(chromedp.CSS(`[data-testid=api-key-save]`)),
	)
	drawn := search(t, ctx, center, 2, 500)
	assert.Equal(t, "researcher", eval[string](t, ctx, `document.querySelector('[data-testid=graph]').dataset.view`))

	var rg researchGraph
	callWith(t, labKey, http.MethodGet, fmt.Sprintf("%s/v1/people/%d/network?depth=2&limit=500", hs.URL, center), "", &rg)
	require.True(t, rg.Meta.Pseudonymised)
	require.NotNil(t, rg.Meta.Generalised, "the API gives a researcher the generalised view")
	require.NotEmpty(t, rg.Nodes)
	assert.Equal(t, len(rg.Nodes), drawn, "every node is drawn")
	edges, err := strconv.Atoi(eval[string](t, ctx, `document.querySelector('[data-testid=graph]').dataset.edgeCount`))
	require.NoError(t, err)
	assert.Equal(t, len(rg.Links), edges, "every link is drawn")

	nodes := describe(t, ctx)
	require.Len(t, nodes, len(rg.Nodes))
	pseudonym := regexp.MustCompile(`^[0-9a-f]{16}$`)
	for _, n := range nodes {
		assert.Regexp(t, pseudonym, n.ID, "ids are pseudonyms")
		assert.Equal(t, n.ID, n.Label)
		assert.False(t, n.Center, "the person asked about is not marked in a researcher's view")
	}

	// Colour by band: as many nodes of each legend colour as the API
	// gives people of that band ("*": withheld).
	names := map[rgb]string{}
	for _, e := range legend(t, ctx, "legend") {
		if c, ok := parseColor(t, e.Color); ok {
			names[c] = e.Name
		}
	}
	want := map[string]int{}
	for _, n := range rg.Nodes {
		switch {
		case !n.Scored:
			want["not scored"]++
		case n.Band == "*":
			want["withheld"]++
		default:
			want[n.Band]++
		}
	}
	got := map[string]int{}
	for _, n := range nodes {
		c, ok := parseColor(t, n.Color)
		require.True(t, ok)
		name, ok := names[c]
		require.True(t, ok, "node %s's colour %v is in the legend %v", n.ID, c, names)
		got[name]++
	}
	assert.Equal(t, want, got, "nodes per band")
	assert.GreaterOrEqual(t, len(want), 2, "more than one band on screen")

	// Size by centrality class: a few sizes, never smaller for more
	// friends, and the friends counted are the API's links.
	apiDegrees := map[string]int{}
	for _, l := range rg.Links {
		if l.Kind == "friend" {
			apiDegrees[l.Source]++
			apiDegrees[l.Target]++
		}
	}
	var wantDeg, gotDeg []int
	for _, n := range rg.Nodes {
		wantDeg = append(wantDeg, apiDegrees[n.ID])
	}
	sizes := map[float64]bool{}
	for _, n := range nodes {
		gotDeg = append(gotDeg, n.Degree)
		sizes[math.Round(n.Size*100)/100] = true
	}
	slices.Sort(wantDeg)
	slices.Sort(gotDeg)
	assert.Equal(t, wantDeg, gotDeg, "friendships per node as the API gives them")
	assert.GreaterOrEqual(t, len(sizes), 2, "sizes differ by class")
	assert.LessOrEqual(t, len(sizes), 4, "four classes at most: %v", sizes)
	for _, a := range nodes {
		for _, b := range nodes {
			if a.Degree > b.Degree {
				require.GreaterOrEqual(t, a.Size, b.Size-0.01, "%s has more friends than %s, so is not smaller", a.ID, b.ID)
			}
		}
	}
	screenshot(t, ctx, "socialscore-web-researcher.png")

	// Selecting someone shows their pseudonym and no reasons or perks.
	top := nodes[len(nodes)-1]
	box := eval[[]float64](t, ctx, `(() => { const r = document.querySelector('[data-testid=graph]').getBoundingClientRect(); return [r.left, r.top]; })()`)
	step(t, ctx, "select a node", 20*time.Second,
		chromedp.MouseClickXY(box[0]+top.X, box[1]+top.Y),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=reasons][data-state=withheld]`)),
	)
	sel := eval[string](t, ctx, `document.querySelector('[data-testid=selected]').textContent`)
	assert.Contains(t, sel, top.ID+" (pseudonym)")
	assert.NotRegexp(t, `score\d`, sel, "no score")
	assert.Contains(t, eval[string](t, ctx, `document.querySelector('[data-testid=reasons]').textContent`), "not shown in a researcher's view")
	assert.Zero(t, eval[int](t, ctx, `document.querySelectorAll('[data-testid=perks] li').length`))

	// A shock: its reach, with round ticks.
	step(t, ctx, "run a shock", 60*time.Second,
		chromedp.SetValue(chromedp.CSS(`[data-testid=shock-id]`), center.String()),
		chromedp.Click(chromedp.CSS(`[data-testid=shock-button]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=reach-chart][data-bars]`)),
	)
	var sh shockResponse
	callWith(t, labKey, http.MethodPost, hs.URL+"/v1/experiments/shock",
		fmt.Sprintf(`{"changes":[{"id":%d,"events":["default"]}],"max_steps":12,"list_limit":20000}`, center), &sh)
	assert.Equal(t, strconv.Itoa(len(sh.Total.Reach)), eval[string](t, ctx, `document.querySelector('[data-testid=reach-chart]').dataset.bars`))
	checkRoundTicks(t, ctx, reachOf(t, sh))
	assert.Contains(t, eval[string](t, ctx, `document.querySelector('[data-testid=shock-info]').textContent`),
		fmt.Sprintf("%d people moved", sh.Total.Moved))
	assert.False(t, visible(t, ctx, "play-button"), "no replay: who moved is not matched to the drawing")
	screenshot(t, ctx, "socialscore-web-researcher-shock.png")

	assert.Empty(t, con.problems(), "the page threw no exception and broke no security policy")
}
