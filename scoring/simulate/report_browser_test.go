package simulate

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/internal/browsertest"
)

// The report is checked as a person sees it: rendered by headless
// Chromium, driven with chromedp as api/webtest drives the researchers'
// page. Like that test it needs Chromium and fails, never skips, without.

// newBrowser starts headless Chromium with a fresh profile and a
// 1400×900 window.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return browsertest.Start(t, chromedp.Flag("hide-scrollbars", true))
}

func evalJS[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[T](expr))
	require.NoError(t, err, expr)
	return v
}

// box is an element's position on the page, in CSS pixels.
type box struct {
	Top, Left, Bottom, Right, Width, Height float64
}

// TestReportInBrowser renders report.html of the README's grid (small) in
// Chromium: the summary table comes first, in the first screen, one row
// per grid point with baseline's zero; the figures follow, loaded and
// within the page's width; the screenshot is not blank.
func TestReportInBrowser(t *testing.T) {
	res, err := reportSweep()
	require.NoError(t, err)
	dir := t.TempDir()
	sum, err := WriteAll(dir, res)
	require.NoError(t, err)

	ctx := newBrowser(t)
	page := (&url.URL{Scheme: "file", Path: filepath.Join(dir, FileReport)}).String()
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Do(sctx, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`#summary`))))
	require.Eventually(t, func() bool {
		return evalJS[bool](t, ctx, `Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)`)
	}, 30*time.Second, 100*time.Millisecond, "every figure loads")

	summary := evalJS[box](t, ctx, `(() => { const r = document.querySelector('#summary').getBoundingClientRect();
		return {Top: r.top, Left: r.left, Bottom: r.bottom, Right: r.right, Width: r.width, Height: r.height}; })()`)
	figures := evalJS[[]box](t, ctx, `Array.from(document.querySelectorAll('figure img')).map(i => { const r = i.getBoundingClientRect();
		return {Top: r.top, Left: r.left, Bottom: r.bottom, Right: r.right, Width: r.width, Height: r.height}; })`)
	tables := evalJS[[]float64](t, ctx, `Array.from(document.querySelectorAll('table')).map(t => t.getBoundingClientRect().top)`)
	viewW := evalJS[float64](t, ctx, `window.innerWidth`)
	viewH := evalJS[float64](t, ctx, `window.innerHeight`)

	// The summary table is the first thing after the title and a short
	// introduction: it starts in the top third of the first screen and is
	// the first table and above every figure.
	assert.Less(t, summary.Top, viewH/3, "summary table at the top")
	assert.Less(t, summary.Top, summary.Bottom)
	require.NotEmpty(t, tables)
	assert.Equal(t, summary.Top, tables[0], "the summary is the first table")
	require.Len(t, figures, 5)
	for _, f := range figures {
		assert.Greater(t, f.Top, summary.Bottom, "figures after the summary")
		assert.Greater(t, f.Width, 600.0, "figures readable")
		assert.LessOrEqual(t, f.Right, viewW, "figures within the page")
	}
	assert.LessOrEqual(t, evalJS[float64](t, ctx, `document.documentElement.scrollWidth`), viewW, "no sideways scrolling")
	assert.LessOrEqual(t, summary.Right, viewW)

	// One row per grid point, in order, baseline first with zero ties.
	rows := evalJS[[]string](t, ctx, `Array.from(document.querySelectorAll('#summary tbody tr td.point')).map(td => td.textContent)`)
	var want []string
	for _, r := range sum.Runs {
		want = append(want, r.Description)
	}
	assert.Equal(t, want, rows)
	assert.Equal(t, "baseline, α = 0", rows[0])
	assert.Equal(t, "0", evalJS[string](t, ctx, `document.querySelector('#summary tbody tr td:nth-child(2)').firstChild.textContent`),
		"baseline drops no tie")
	heads := evalJS[[]string](t, ctx, `Array.from(document.querySelectorAll('#summary thead th')).map(th => th.textContent)`)
	assert.Equal(t, []string{"grid point", "friendships dropped, all rounds", "rise of score assortativity (homophily)",
		"change of mean friends, lowest 30%", "change of mean perk tiers, lowest 30%", "Gini coefficient of scores, last round", "n"}, heads)

	// The first screen as a person sees it: not blank.
	shot, err := chromedp.Run(sctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(shot))
	require.NoError(t, err)
	inked, colours := ink(img)
	assert.Greater(t, inked, 0.03, "share of the screen that is not background")
	assert.Greater(t, colours, 20, "distinct colours on screen")
	path := browsertest.Artifact(t, "simulate-report-top.png")
	require.NoError(t, os.WriteFile(path, shot, 0o644))
	t.Logf("screenshot: %s", path)

	// The whole page, for a person to look at.
	full, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	path = browsertest.Artifact(t, "simulate-report-full.png")
	require.NoError(t, os.WriteFile(path, full, 0o644))
	t.Logf("full page: %s", path)
}

// ink returns the share of pixels that differ from the top-left one (the
// background) and the number of distinct colours.
func ink(img image.Image) (float64, int) {
	b := img.Bounds()
	bg := img.At(b.Min.X, b.Min.Y)
	br, bgc, bb, _ := bg.RGBA()
	seen := map[[3]uint32]bool{}
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
			if r != br || g != bgc || bl != bb {
				n++
			}
		}
	}
	return float64(n) / float64(b.Dx()*b.Dy()), len(seen)
}
