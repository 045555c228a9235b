package simulate

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// The report's figures: a few small multiples of the headline quantities,
// one panel per policy, one colour per value of the other axes (α in the
// README's grid), the mean over replicates as a line and its 95% interval,
// clipped to the values the quantity can take, as a band; the legend
// right of the panels, outside the data; the x-axis from the first to the
// last round with data.

// ReportOptions tune WriteAllWith.
type ReportOptions struct {
	// PNG draws the charts as PNG images (written to charts/ and embedded
	// in the report) instead of SVG.
	PNG bool
}

// palette is Okabe & Ito's colour-blind-safe palette ("Color Universal
// Design", 2008; Wong, "Points of view: Color blindness", Nature Methods
// 8:441, 2011), ordered so that the first colours are the most distinct
// and yellow, the faintest on white, comes last.
var palette = []color.NRGBA{
	{0x00, 0x72, 0xB2, 0xff}, // blue
	{0xE6, 0x9F, 0x00, 0xff}, // orange
	{0x00, 0x9E, 0x73, 0xff}, // bluish green
	{0xD5, 0x5E, 0x00, 0xff}, // vermillion
	{0xCC, 0x79, 0xA7, 0xff}, // reddish purple
	{0x56, 0xB4, 0xE9, 0xff}, // sky blue
	{0x00, 0x00, 0x00, 0xff}, // black
	{0xF0, 0xE4, 0x42, 0xff}, // yellow
}

// figureDef is one figure of the report.
type figureDef struct {
	metric, title, yLabel, caption string
	// fromRound is the first round drawn: 1 for what happens in a round
	// (nothing happens at step 0).
	fromRound int
}

var figureDefs = []figureDef{
	{MetricTiesDropped, "Friendships dropped per round", "friendships dropped",
		"How many friendships people dropped in each round because the friend pulled their score down.", 1},
	{MetricAssortativity, "Homophily: how alike friends' scores are", "assortativity",
		"Newman's assortativity of scores over friendships: 0 when friends' scores are unrelated, 1 when friends score alike. A rise means the network sorts itself by score.", 0},
	{MetricDegreeMeanLow, "Friends of the lowest 30%", "mean friends",
		"Mean number of friends of the 30% of people who started with the lowest scores (starting deciles 1–3).", 0},
	{MetricPerksMeanLow, "Perks of the lowest 30%", "mean perk tiers",
		"Mean number of perk tiers unlocked by the 30% of people who started with the lowest scores.", 0},
	{MetricScoreGini, "Inequality of scores", "Gini coefficient",
		"Gini coefficient of everyone's scores: 0 when all score the same, higher when scores are more unequal.", 0},
}

// Rect is a rectangle in a chart's SVG coordinates: points from the top
// left corner, y growing downwards.
type Rect struct {
	MinX, MinY, MaxX, MaxY float64
}

// ChartLayout says where a chart drew what, for checking it.
type ChartLayout struct {
	// Width and Height of the chart, in points.
	Width, Height float64
	Panels        []PanelLayout
	// Legend is the area the legend was drawn in; LegendEntries its
	// entries' texts, top to bottom.
	Legend        Rect
	LegendEntries []string
}

// PanelLayout is one panel of a chart: its title, the data rectangle (the
// area inside the axes) and the axes' ranges.
type PanelLayout struct {
	Title                  string
	Data                   Rect
	XMin, XMax, YMin, YMax float64
}

// panelSize is the size of one panel of a figure.
var panelWidth, panelHeight = 6 * vg.Centimeter, 6.5 * vg.Centimeter

// seriesOf groups a summary's runs for the figures: panels by the value of
// the "policy" axis (one panel without one) and series by the values of
// the other axes.
type seriesGroup struct {
	panels []string // panel titles, in grid order
	keys   []string // series names (legend entries), in grid order
	panel  []int    // per run: its panel
	key    []int    // per run: its series
}

func groupRuns(s *Summary) seriesGroup {
	policyAxis := slices.IndexFunc(s.Axes, func(a Axis) bool { return strings.TrimSpace(a.Field) == "policy" })
	var g seriesGroup
	for _, r := range s.Runs {
		panel := r.Config.Policy.Name
		if policyAxis >= 0 && policyAxis < len(r.Values) {
			panel = r.Values[policyAxis]
		}
		var parts []string
		for i, a := range s.Axes {
			if i == policyAxis || i >= len(r.Values) {
				continue
			}
			sym := a.Field
			if path, err := resolveField(a.Field); err == nil {
				sym = axisSymbol(path)
			}
			parts = append(parts, sym+" = "+r.Values[i])
		}
		key := strings.Join(parts, ", ")
		if key == "" {
			key = "mean"
		}
		pi := slices.Index(g.panels, panel)
		if pi < 0 {
			pi = len(g.panels)
			g.panels = append(g.panels, panel)
		}
		ki := slices.Index(g.keys, key)
		if ki < 0 {
			ki = len(g.keys)
			g.keys = append(g.keys, key)
		}
		g.panel = append(g.panel, pi)
		g.key = append(g.key, ki)
	}
	return g
}

// sans sets a text style to the sans-serif face at a size.
func sans(st *text.Style, size vg.Length) {
	st.Font.Variant = "Sans"
	st.Font.Size = size
}

// renderFigure draws one figure as SVG (or PNG).
func renderFigure(s *Summary, f figureDef, png bool) (Chart, error) {
	g := groupRuns(s)
	perks := 0
	for _, r := range s.Runs {
		perks = max(perks, len(r.Perks))
	}
	minV, maxV := metricRange(f.metric, perks)

	// The rounds with data and the range of the values, over all panels.
	last := -1
	ylo, yhi := math.Inf(1), math.Inf(-1)
	for _, r := range s.Runs {
		st, ok := r.Metrics[f.metric]
		if !ok {
			continue
		}
		for t := f.fromRound; t < len(st.Mean); t++ {
			m := float64(st.Mean[t])
			if !finite(m) {
				continue
			}
			last = max(last, t)
			lo, hi := clipInterval(float64(st.Lo[t]), float64(st.Hi[t]), minV, maxV)
			for _, v := range []float64{m, lo, hi} {
				if finite(v) {
					ylo, yhi = math.Min(ylo, v), math.Max(yhi, v)
				}
			}
		}
	}
	if last < f.fromRound {
		return Chart{}, fmt.Errorf("no data")
	}
	if yhi-ylo < 1e-9 { // a flat line (baseline drops nothing): give it room
		pad := math.Max(math.Abs(yhi)*0.05, 1e-3)
		if f.metric == MetricTiesDropped || minV == 0 && ylo == 0 {
			ylo, yhi = 0, math.Max(yhi, 1)
		} else {
			ylo, yhi = ylo-pad, yhi+pad
		}
	}

	plots := make([]*plot.Plot, len(g.panels))
	for i, title := range g.panels {
		p := plot.New()
		sans(&p.Title.TextStyle, 11)
		p.Title.Padding = vg.Points(4)
		p.Title.Text = title
		sans(&p.X.Label.TextStyle, 9)
		sans(&p.Y.Label.TextStyle, 9)
		sans(&p.X.Tick.Label, 8)
		sans(&p.Y.Tick.Label, 8)
		p.X.Label.Text = "round"
		if i == 0 {
			p.Y.Label.Text = f.yLabel
		}
		p.X.Min, p.X.Max = float64(f.fromRound), float64(last)
		p.Y.Min, p.Y.Max = ylo, yhi
		p.X.Tick.Marker = roundTicks{}
		grid := plotter.NewGrid()
		grid.Vertical.Color = color.Gray{0xe4}
		grid.Horizontal.Color = color.Gray{0xe4}
		p.Add(grid)
		plots[i] = p
	}
	legend := plot.NewLegend()
	sans(&legend.TextStyle, 9.5)
	legend.Top, legend.Left = true, true
	legend.ThumbnailWidth = vg.Points(18)
	legend.Padding = vg.Points(3)
	thumbs := make([]plot.Thumbnailer, len(g.keys))
	for ri, r := range s.Runs {
		st, ok := r.Metrics[f.metric]
		if !ok {
			continue
		}
		ki := g.key[ri]
		col := palette[ki%len(palette)]
		var line, upper, lower plotter.XYs
		for t := f.fromRound; t <= last && t < len(st.Mean); t++ {
			m := float64(st.Mean[t])
			if finite(m) {
				line = append(line, plotter.XY{X: float64(t), Y: m})
			}
			lo, hi := clipInterval(float64(st.Lo[t]), float64(st.Hi[t]), minV, maxV)
			if finite(lo) && finite(hi) {
				lower = append(lower, plotter.XY{X: float64(t), Y: lo})
				upper = append(upper, plotter.XY{X: float64(t), Y: hi})
			}
		}
		p := plots[g.panel[ri]]
		if len(lower) > 1 {
			ring := append(plotter.XYs{}, lower...)
			for k := len(upper) - 1; k >= 0; k-- {
				ring = append(ring, upper[k])
			}
			band, err := plotter.NewPolygon(ring)
			if err != nil {
				return Chart{}, err
			}
			band.Color = color.NRGBA{R: col.R, G: col.G, B: col.B, A: 56}
			band.LineStyle.Width = 0
			p.Add(band)
		}
		if len(line) == 0 {
			continue
		}
		l, err := plotter.NewLine(line)
		if err != nil {
			return Chart{}, err
		}
		l.Color = col
		l.Width = vg.Points(1.6)
		// Eight colours, then the same colours dashed.
		if ki >= len(palette) {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		}
		p.Add(l)
		if thumbs[ki] == nil {
			thumbs[ki] = l
		}
	}
	var entries []string
	for ki, k := range g.keys {
		if thumbs[ki] != nil && (len(g.keys) > 1 || len(s.Axes) > 0) {
			legend.Add(k, thumbs[ki])
			entries = append(entries, k)
		}
	}

	// The legend's column, right of the panels.
	var legendW vg.Length
	if len(entries) > 0 {
		for _, e := range entries {
			legendW = max(legendW, legend.TextStyle.Rectangle(e).Max.X)
		}
		legendW += legend.ThumbnailWidth + vg.Points(16)
	}
	width := vg.Length(len(plots))*panelWidth + legendW
	height := panelHeight
	var canvas interface {
		vg.CanvasSizer
	}
	var svgC *vgsvg.Canvas
	var pngC *vgimg.Canvas
	if png {
		pngC = vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(144), vgimg.UseBackgroundColor(color.White))
		canvas = pngC
	} else {
		svgC = vgsvg.New(width, height)
		canvas = svgC
	}
	dc := draw.New(canvas)
	panelsArea := draw.Crop(dc, 0, -legendW, 0, 0)
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Points(10), PadTop: vg.Points(4), PadBottom: vg.Points(2), PadLeft: vg.Points(2), PadRight: vg.Points(4)}
	canvases := plot.Align([][]*plot.Plot{plots}, tiles, panelsArea)
	layout := ChartLayout{Width: float64(width.Points()), Height: float64(height.Points()), LegendEntries: entries}
	flip := func(r vg.Rectangle) Rect {
		return Rect{MinX: float64(r.Min.X.Points()), MaxX: float64(r.Max.X.Points()),
			MinY: float64((height - r.Max.Y).Points()), MaxY: float64((height - r.Min.Y).Points())}
	}
	var dataTop vg.Length
	for i, p := range plots {
		c := canvases[0][i]
		p.Draw(c)
		da := p.DataCanvas(c)
		dataTop = da.Max.Y
		layout.Panels = append(layout.Panels, PanelLayout{Title: g.panels[i], Data: flip(da.Rectangle),
			XMin: p.X.Min, XMax: p.X.Max, YMin: p.Y.Min, YMax: p.Y.Max})
	}
	if len(entries) > 0 {
		la := draw.Canvas{Canvas: dc, Rectangle: vg.Rectangle{
			Min: vg.Point{X: width - legendW + vg.Points(8), Y: 0},
			Max: vg.Point{X: width, Y: dataTop},
		}}
		legend.Draw(la)
		r := legend.Rectangle(la)
		layout.Legend = flip(r)
	}

	c := Chart{Metric: f.metric, Title: f.title, Caption: f.caption, Layout: layout}
	var buf bytes.Buffer
	if png {
		if _, err := (vgimg.PngCanvas{Canvas: pngC}).WriteTo(&buf); err != nil {
			return Chart{}, err
		}
		c.PNG = buf.Bytes()
	} else {
		if _, err := svgC.WriteTo(&buf); err != nil {
			return Chart{}, err
		}
		// Name fallbacks for readers without the Liberation fonts.
		c.SVG = bytes.ReplaceAll(buf.Bytes(), []byte("font-family:Liberation Sans;"),
			[]byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;"))
	}
	return c, nil
}

// roundTicks marks whole rounds: about five, at round numbers, always
// including the first and the last round drawn.
type roundTicks struct{}

func (roundTicks) Ticks(lo, hi float64) []plot.Tick {
	a, b := int(math.Ceil(lo)), int(math.Floor(hi))
	if b < a {
		return nil
	}
	step := 1
	for _, s := range []int{1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000} {
		step = s
		if (b-a)/s <= 5 {
			break
		}
	}
	var ticks []plot.Tick
	for t := a; t <= b; t++ {
		if t == a || t == b || t%step == 0 {
			// Keep labels apart: drop a label too close to the last.
			if t != b && b-t < step/2 {
				continue
			}
			if t != a && t-a < step/2 {
				continue
			}
			ticks = append(ticks, plot.Tick{Value: float64(t), Label: fmt.Sprint(t)})
		}
	}
	return ticks
}
