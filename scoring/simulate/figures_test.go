package simulate

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/scoring"
)

// reportSweep is the README's grid, small: baseline, sesame and tencent
// crossed with three α, two replicates (so intervals are wide and, for
// counts near zero, reach below zero before clipping), four rounds.
var reportSweep = sync.OnceValues(func() (*SweepResult, error) {
	base := DefaultConfig()
	p, _ := scoring.Preset(scoring.PolicyTencent)
	base.Policy = PolicySpec{p}
	base.People, base.Rounds = 600, 4
	return RunSweep(context.Background(), Sweep{Base: base, Replicates: 2, Axes: []Axis{
		{Field: "alpha", Values: []string{"0", "0.25", "0.5"}},
		{Field: "policy", Values: []string{"baseline", "sesame", "tencent"}},
	}}, nil, SweepOptions{})
})

// svgDoc is what the checks read from a chart's SVG, in the SVG's drawing
// coordinates (gonum draws with y upwards inside a flipping group).
type svgDoc struct {
	height float64
	paths  []svgPath
	texts  []svgText
}

type svgPath struct {
	pts    [][2]float64
	closed bool
	stroke string
	width  string
	fill   string
}

type svgText struct {
	x, y float64 // y upwards, as the paths
	s    string
}

var (
	numRE   = regexp.MustCompile(`-?[0-9.]+(?:e-?[0-9]+)?`)
	styleRE = regexp.MustCompile(`(stroke|stroke-width|fill):([^;"]+)`)
)

func parseSVG(t *testing.T, data []byte) svgDoc {
	t.Helper()
	var doc svgDoc
	dec := xml.NewDecoder(bytes.NewReader(data))
	var inText *svgText
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		switch e := tok.(type) {
		case xml.StartElement:
			attr := map[string]string{}
			for _, a := range e.Attr {
				attr[a.Name.Local] = a.Value
			}
			switch e.Name.Local {
			case "svg":
				f := strings.Fields(attr["viewBox"])
				require.Len(t, f, 4)
				doc.height, _ = strconv.ParseFloat(f[3], 64)
			case "path":
				var p svgPath
				d := attr["d"]
				p.closed = strings.HasSuffix(d, "Z")
				nums := numRE.FindAllString(d, -1)
				for i := 0; i+1 < len(nums); i += 2 {
					x, _ := strconv.ParseFloat(nums[i], 64)
					y, _ := strconv.ParseFloat(nums[i+1], 64)
					p.pts = append(p.pts, [2]float64{x, y})
				}
				for _, m := range styleRE.FindAllStringSubmatch(attr["style"], -1) {
					switch m[1] {
					case "stroke":
						p.stroke = m[2]
					case "stroke-width":
						p.width = m[2]
					case "fill":
						p.fill = m[2]
					}
				}
				doc.paths = append(doc.paths, p)
			case "text":
				x, _ := strconv.ParseFloat(attr["x"], 64)
				y, _ := strconv.ParseFloat(attr["y"], 64)
				// The text is drawn at (x, -y) of the flipped group.
				inText = &svgText{x: x, y: -y}
			}
		case xml.CharData:
			if inText != nil {
				inText.s += string(e)
			}
		case xml.EndElement:
			if e.Name.Local == "text" && inText != nil {
				doc.texts = append(doc.texts, *inText)
				inText = nil
			}
		}
	}
	return doc
}

// dataRects finds the panels' data rectangles from the grid lines gonum
// draws across them (stroke #E4E4E4): horizontal lines span a panel's
// data area from left to right, vertical ones from bottom to top. Sorted
// left to right; y upwards.
func dataRects(doc svgDoc) []Rect {
	var rects []Rect
	var y0, y1 float64 = math.Inf(1), math.Inf(-1)
	for _, p := range doc.paths {
		if p.stroke != "#E4E4E4" || len(p.pts) != 2 {
			continue
		}
		a, b := p.pts[0], p.pts[1]
		if a[0] == b[0] { // vertical
			y0, y1 = math.Min(y0, math.Min(a[1], b[1])), math.Max(y1, math.Max(a[1], b[1]))
			continue
		}
		r := Rect{MinX: math.Min(a[0], b[0]), MaxX: math.Max(a[0], b[0])}
		if !slices.ContainsFunc(rects, func(q Rect) bool { return q.MinX == r.MinX && q.MaxX == r.MaxX }) {
			rects = append(rects, r)
		}
	}
	for i := range rects {
		rects[i].MinY, rects[i].MaxY = y0, y1
	}
	slices.SortFunc(rects, func(a, b Rect) int { return int(math.Copysign(1, a.MinX-b.MinX)) })
	return rects
}

func inside(r Rect, x, y float64) bool {
	return x >= r.MinX && x <= r.MaxX && y >= r.MinY && y <= r.MaxY
}

// The figures of issue 14: one panel per policy, one Okabe–Ito colour per
// α, the legend outside the data, the x-axis from the first to the last
// round with data, intervals clipped to what the quantity can take.
func TestFiguresLayout(t *testing.T) {
	res, err := reportSweep()
	require.NoError(t, err)
	sum := Summarize(res)
	charts, err := RenderCharts(sum)
	require.NoError(t, err)
	var metrics []string
	for _, c := range charts {
		metrics = append(metrics, c.Metric)
	}
	require.Equal(t, []string{MetricTiesDropped, MetricAssortativity, MetricDegreeMeanLow, MetricPerksMeanLow, MetricScoreGini}, metrics)

	okabeIto := map[string]bool{"#0072B2": true, "#E69F00": true, "#009E73": true, "#D55E00": true,
		"#CC79A7": true, "#56B4E9": true, "#000000": true, "#F0E442": true}
	rawName := regexp.MustCompile(`\b[a-z]+_[a-z0-9_]+\b`)
	for _, c := range charts {
		t.Run(c.Metric, func(t *testing.T) {
			assert.Nil(t, c.PNG, "SVG by default")
			doc := parseSVG(t, c.SVG)
			rects := dataRects(doc)
			require.Len(t, rects, 3, "one panel per policy")
			require.Len(t, c.Layout.Panels, 3)
			for i, want := range []string{"baseline", "sesame", "tencent"} {
				p := c.Layout.Panels[i]
				assert.Equal(t, want, p.Title)
				assert.True(t, slices.ContainsFunc(doc.texts, func(x svgText) bool { return x.s == want }), "panel title %s drawn", want)
				// The layout the renderer reports is where the SVG drew.
				r := rects[i]
				assert.InDelta(t, r.MinX, p.Data.MinX, 0.01)
				assert.InDelta(t, r.MaxX, p.Data.MaxX, 0.01)
				assert.InDelta(t, doc.height-r.MaxY, p.Data.MinY, 0.01)
				assert.InDelta(t, doc.height-r.MinY, p.Data.MaxY, 0.01)
			}

			// Legend: one entry per α, each text outside every panel's data
			// rectangle (right of the last one).
			assert.Equal(t, []string{"α = 0", "α = 0.25", "α = 0.5"}, c.Layout.LegendEntries)
			for _, e := range c.Layout.LegendEntries {
				i := slices.IndexFunc(doc.texts, func(x svgText) bool { return x.s == e })
				require.GreaterOrEqual(t, i, 0, "legend entry %q drawn", e)
				tx := doc.texts[i]
				for _, r := range rects {
					assert.False(t, inside(r, tx.x, tx.y), "legend %q at (%v, %v) inside the data %+v", e, tx.x, tx.y, r)
				}
				assert.Greater(t, tx.x, rects[2].MaxX, "legend right of the panels")
			}

			// Data lines: Okabe–Ito colours, one per α; each spans its
			// panel's x-axis exactly: the axis ends where the data end.
			first := 0
			if c.Metric == MetricTiesDropped {
				first = 1 // nothing is dropped before the first round
			}
			colours := map[string]bool{}
			lines := 0
			for _, p := range doc.paths {
				if p.width != "1.6" || p.closed || p.fill != "none" {
					continue
				}
				if len(p.pts) == 2 && p.pts[0][1] == p.pts[1][1] && p.pts[1][0]-p.pts[0][0] < 30 {
					continue // a legend thumbnail
				}
				lines++
				assert.True(t, okabeIto[p.stroke], "colour %s is Okabe–Ito", p.stroke)
				colours[p.stroke] = true
				r := rects[slices.IndexFunc(rects, func(r Rect) bool { return inside(r, p.pts[0][0], p.pts[0][1]) })]
				assert.InDelta(t, r.MinX, p.pts[0][0], 0.01, "line starts at the axis' start")
				assert.InDelta(t, r.MaxX, p.pts[len(p.pts)-1][0], 0.01, "line ends at the axis' end")
				assert.Len(t, p.pts, 4+1-first, "one point per round drawn")
			}
			assert.Equal(t, 7, lines, "baseline once, sesame and tencent at three α")
			assert.Len(t, colours, 3, "one colour per α")
			for _, p := range c.Layout.Panels {
				assert.Equal(t, float64(first), p.XMin)
				assert.Equal(t, 4.0, p.XMax, "x-axis to the last round with data")
			}

			// Intervals clipped to the quantity's range.
			lo, hi := metricRange(c.Metric, 4)
			for _, p := range c.Layout.Panels {
				assert.GreaterOrEqual(t, p.YMin, lo)
				assert.LessOrEqual(t, p.YMax, hi)
			}
			for _, p := range doc.paths {
				if !p.closed || !strings.HasPrefix(p.fill, "#") || p.fill == "#FFFFFF" {
					continue
				}
				for _, pt := range p.pts { // bands stay inside the data area
					r := rects[slices.IndexFunc(rects, func(r Rect) bool { return pt[0] >= r.MinX-0.01 && pt[0] <= r.MaxX+0.01 })]
					assert.GreaterOrEqual(t, pt[1], r.MinY-0.01)
					assert.LessOrEqual(t, pt[1], r.MaxY+0.01)
				}
			}

			assert.NotRegexp(t, rawName, c.Title+" "+c.Caption, "captions in plain words")
		})
	}

	// The clipping above can fail: unclipped, some intervals of a count
	// reach below zero with two replicates.
	below := false
	for _, r := range sum.Runs {
		for _, lo := range r.Metrics[MetricTiesDropped].Lo {
			below = below || float64(lo) < 0
		}
	}
	assert.True(t, below, "some interval of ties dropped reaches below 0 before clipping")
}

// PNG on request: the same figures as PNG images, no SVG.
func TestFiguresPNG(t *testing.T) {
	res, err := reportSweep()
	require.NoError(t, err)
	charts, err := RenderChartsWith(Summarize(res), ReportOptions{PNG: true})
	require.NoError(t, err)
	require.Len(t, charts, 5)
	for _, c := range charts {
		assert.Nil(t, c.SVG)
		assert.True(t, bytes.HasPrefix(c.PNG, []byte("\x89PNG")), c.Metric)
	}
}

// The headline effects equal the same numbers computed directly from the
// runs' collectors: per replicate, the sum of ties dropped over rounds 1…,
// the change of assortativity, of the mean degree and perk tiers of
// deciles 0–2 (their deciles' means averaged), the last Gini; then
// MeanInterval over replicates, clipped (ties ≥ 0, Gini in [0,1]).
func TestEffects(t *testing.T) {
	res, err := reportSweep()
	require.NoError(t, err)
	sum := Summarize(res)
	for p, rs := range sum.Runs {
		require.Len(t, rs.Effects, 5)
		per := map[string][]float64{}
		for _, c := range res.Runs[p] {
			last := len(c.Rows) - 1
			var dropped float64
			for _, v := range c.Series(MetricTiesDropped)[1:] {
				dropped += v
			}
			per[EffectTiesDropped] = append(per[EffectTiesDropped], dropped)
			a := c.Series(MetricAssortativity)
			per[EffectAssortativity] = append(per[EffectAssortativity], a[last]-a[0])
			for _, x := range []struct{ effect, prefix string }{
				{EffectLowDegree, MetricDegreeMeanDecile}, {EffectLowPerks, MetricPerksMeanDecile}} {
				var start, end float64
				for _, name := range []string{x.prefix + "0", x.prefix + "1", x.prefix + "2"} {
					s := c.Series(name)
					start += s[0] / 3
					end += s[last] / 3
				}
				per[x.effect] = append(per[x.effect], end-start)
			}
			per[EffectScoreGini] = append(per[EffectScoreGini], c.Series(MetricScoreGini)[last])
		}
		for _, e := range rs.Effects {
			mean, lo, hi := MeanInterval(per[e.Name])
			switch e.Name {
			case EffectTiesDropped:
				lo = math.Max(lo, 0)
			case EffectScoreGini:
				lo, hi = math.Max(lo, 0), math.Min(hi, 1)
			}
			assert.InDelta(t, mean, float64(e.Mean), 1e-9, "%s %s", rs.Label, e.Name)
			assert.InDelta(t, lo, float64(e.Lo), 1e-9, "%s %s", rs.Label, e.Name)
			assert.InDelta(t, hi, float64(e.Hi), 1e-9, "%s %s", rs.Label, e.Name)
			assert.Equal(t, 2, e.N)
		}
	}
	// The derived series are the low group's: baseline's mean degree at
	// step 0 is the mean of deciles 0–2.
	c := res.Runs[0][0]
	want := (c.Series("degree_mean_d0")[0] + c.Series("degree_mean_d1")[0] + c.Series("degree_mean_d2")[0]) / 3
	st := sum.Runs[0].Metrics[MetricDegreeMeanLow]
	mean, _, _ := MeanInterval([]float64{want, (res.Runs[0][1].Series("degree_mean_d0")[0] +
		res.Runs[0][1].Series("degree_mean_d1")[0] + res.Runs[0][1].Series("degree_mean_d2")[0]) / 3})
	assert.InDelta(t, mean, float64(st.Mean[0]), 1e-9)
	assert.Contains(t, sum.Metrics, MetricPerksMeanLow)
}

// Table values read as numbers: digits by size, thousands separated.
func TestFmtValue(t *testing.T) {
	for _, tc := range []struct {
		x    float64
		want string
	}{
		{0, "0"}, {1043, "1,043"}, {1234567.4, "1,234,567"}, {12.34, "12.3"}, {1.234, "1.23"},
		{0.1234, "0.123"}, {0.001234, "0.0012"}, {-0.5, "−0.500"}, {-2, "−2"}, {math.NaN(), "–"},
	} {
		assert.Equal(t, tc.want, fmtValue(tc.x), "%v", tc.x)
	}
}

// Raw metric names become words.
func TestMetricTitle(t *testing.T) {
	perks := []string{"deposit_free_rentals", "car_rental_no_deposit"}
	assert.Equal(t, "Share of starting decile 4 eligible for perk tier 1 (deposit free rentals)", metricTitle("perk1_share_d3", perks))
	assert.Equal(t, "Share of everyone eligible for perk tier 2 (car rental no deposit)", metricTitle("perk2_share", perks))
	assert.Equal(t, "Mean number of friends, starting decile 10", metricTitle("degree_mean_d9", perks))
	assert.Equal(t, "Friendships dropped in the round", metricTitle(MetricTiesDropped, perks))
}
