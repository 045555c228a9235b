package simulate

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// Files written by WriteAll in the output folder.
const (
	FileMetrics = "metrics.csv"
	FileSummary = "summary.json"
	FileReport  = "report.html"
	DirCharts   = "charts"
)

// WriteMetricsCSV writes every value of every run in long format, with a
// header: run (the grid point's label), replicate (0-based), round (0 is
// before the first), metric, value. Rows are ordered by grid point,
// replicate, round, then metric in recording order; values are written in
// the shortest form that reads back exactly ("NaN" where undefined), so the
// same sweep gives a byte-identical file.
func WriteMetricsCSV(w io.Writer, res *SweepResult) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("run,replicate,round,metric,value\n")
	buf := make([]byte, 0, 64)
	for p, pt := range res.Points {
		label := csvField(pt.Label)
		for r, c := range res.Runs[p] {
			for t, row := range c.Rows {
				for k, v := range row {
					buf = buf[:0]
					buf = append(buf, label...)
					buf = append(buf, ',')
					buf = strconv.AppendInt(buf, int64(r), 10)
					buf = append(buf, ',')
					buf = strconv.AppendInt(buf, int64(t), 10)
					buf = append(buf, ',')
					buf = append(buf, c.Names[k]...)
					buf = append(buf, ',')
					buf = strconv.AppendFloat(buf, v, 'g', -1, 64)
					buf = append(buf, '\n')
					if _, err := bw.Write(buf); err != nil {
						return err
					}
				}
			}
		}
	}
	return bw.Flush()
}

// csvField quotes a field that holds a comma, quote or newline (RFC 4180).
func csvField(s string) string {
	if !strings.ContainsAny(s, ",\"\n\r") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// WriteSummaryJSON writes the summary as indented JSON.
func WriteSummaryJSON(w io.Writer, s *Summary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// Chart is one rendered chart: a metric over rounds, one line per grid
// point with its interval band.
type Chart struct {
	Metric string
	PNG    []byte
	SVG    []byte
}

// chartSize is the size of every chart.
var chartWidth, chartHeight = 16 * vg.Centimeter, 10 * vg.Centimeter

// RenderCharts draws one chart per metric of the summary: the mean over
// replicates against the round, one line per grid point, with its 95%
// interval as a shaded band (where there are at least two replicates).
// Charts are drawn by up to GOMAXPROCS goroutines and returned in the
// summary's metric order.
func RenderCharts(s *Summary) ([]Chart, error) {
	charts := make([]Chart, len(s.Metrics))
	errs := make([]error, len(s.Metrics))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(len(s.Metrics), 1)) {
		wg.Go(func() {
			for i := range next {
				charts[i], errs[i] = renderChart(s, s.Metrics[i])
			}
		})
	}
	for i := range s.Metrics {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("simulate: chart %s: %w", s.Metrics[i], err)
		}
	}
	return charts, nil
}

func renderChart(s *Summary, metric string) (Chart, error) {
	p := plot.New()
	p.Title.Text = metric
	p.X.Label.Text = "round"
	p.Y.Label.Text = metric
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	for i, run := range s.Runs {
		st, ok := run.Metrics[metric]
		if !ok {
			continue
		}
		col := plotutil.SoftColors[i%len(plotutil.SoftColors)]
		var line, upper, lower plotter.XYs
		for t := range st.Mean {
			m, lo, hi := float64(st.Mean[t]), float64(st.Lo[t]), float64(st.Hi[t])
			if finite(m) {
				line = append(line, plotter.XY{X: float64(t), Y: m})
			}
			if finite(lo) && finite(hi) {
				lower = append(lower, plotter.XY{X: float64(t), Y: lo})
				upper = append(upper, plotter.XY{X: float64(t), Y: hi})
			}
		}
		if len(lower) > 1 {
			ring := append(plotter.XYs{}, lower...)
			for k := len(upper) - 1; k >= 0; k-- {
				ring = append(ring, upper[k])
			}
			band, err := plotter.NewPolygon(ring)
			if err != nil {
				return Chart{}, err
			}
			r, g, b, _ := col.RGBA()
			band.Color = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 60}
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
		l.Width = vg.Points(1.5)
		// Seven colours, then the same colours dashed, and so on.
		l.Dashes = plotutil.Dashes(i / len(plotutil.SoftColors))
		p.Add(l)
		if len(s.Runs) > 1 {
			p.Legend.Add(run.Label, l)
		}
	}
	if len(s.Runs) > 1 {
		// Make room for the legend right of the last round: widen the x
		// range by the share of the chart the legend takes (its text at
		// about 0.55 em per character, the line sample, some padding).
		longest := 0
		for _, r := range s.Runs {
			longest = max(longest, len(r.Label))
		}
		legend := float64(p.Legend.TextStyle.Font.Size)*0.55*float64(longest) + float64(p.Legend.ThumbnailWidth) + 20
		share := min(legend/float64(chartWidth.Points()), 0.6)
		p.X.Min = 0
		p.X.Max = float64(maxRounds(s)) / (1 - share)
	}
	var c Chart
	c.Metric = metric
	for _, f := range []string{"png", "svg"} {
		wt, err := p.WriterTo(chartWidth, chartHeight, f)
		if err != nil {
			return Chart{}, err
		}
		var buf bytes.Buffer
		if _, err := wt.WriteTo(&buf); err != nil {
			return Chart{}, err
		}
		if f == "png" {
			c.PNG = buf.Bytes()
		} else {
			c.SVG = buf.Bytes()
		}
	}
	return c, nil
}

// maxRounds is the most rounds of any grid point.
func maxRounds(s *Summary) int {
	r := 0
	for _, run := range s.Runs {
		r = max(r, run.Config.Rounds)
	}
	return r
}

// WriteAll writes metrics.csv, summary.json, charts/<metric>.png and .svg
// and report.html into dir (created if needed) and returns the summary.
func WriteAll(dir string, res *SweepResult) (*Summary, error) {
	if err := os.MkdirAll(filepath.Join(dir, DirCharts), 0o755); err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(dir, FileMetrics), func(w io.Writer) error { return WriteMetricsCSV(w, res) }); err != nil {
		return nil, err
	}
	sum := Summarize(res)
	if err := writeFile(filepath.Join(dir, FileSummary), func(w io.Writer) error { return WriteSummaryJSON(w, sum) }); err != nil {
		return nil, err
	}
	charts, err := RenderCharts(sum)
	if err != nil {
		return nil, err
	}
	for _, c := range charts {
		for ext, data := range map[string][]byte{".png": c.PNG, ".svg": c.SVG} {
			if err := os.WriteFile(filepath.Join(dir, DirCharts, c.Metric+ext), data, 0o644); err != nil {
				return nil, err
			}
		}
	}
	if err := writeFile(filepath.Join(dir, FileReport), func(w io.Writer) error { return WriteReport(w, sum, charts) }); err != nil {
		return nil, err
	}
	return sum, nil
}

func writeFile(path string, fn func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		f.Close()
		return fmt.Errorf("simulate: write %s: %w", path, err)
	}
	return f.Close()
}

// metricGroup sorts a metric into a section of the report.
func metricGroup(name string) int {
	switch {
	case isDecileMetric(name):
		return 2
	case strings.HasPrefix(name, "score_") || strings.HasPrefix(name, "perk") || name == MetricLowShare:
		return 1
	}
	return 0
}

// isDecileMetric reports whether the metric is per starting decile (its
// name ends in _d0 … _d9).
func isDecileMetric(name string) bool {
	n := len(name)
	return n > 3 && name[n-3:n-1] == "_d" && name[n-1] >= '0' && name[n-1] <= '9'
}

var metricHelp = map[string]string{
	MetricTiesDropped:      "friendships dropped in the round",
	MetricTiesFormed:       "friendships formed in the round",
	MetricEffort:           "low scorers who invested effort in the round",
	MetricFriendships:      "friendships in the network",
	MetricIsolated:         "people without friends",
	MetricComponents:       "connected components (an isolated person counts as one)",
	MetricLargestComponent: "share of people in the largest component",
	MetricScoreMean:        "mean score",
	MetricScoreGini:        "Gini coefficient of the scores",
	MetricAssortativity:    "Newman's assortativity of the scores over friendships (homophily)",
	MetricLowShare:         "share of people who are low",
}

// WriteReport writes a self-contained HTML page (no external resources:
// the charts are embedded as PNG data) showing the config, the sweep and
// every chart.
func WriteReport(w io.Writer, s *Summary, charts []Chart) error {
	cfg, err := json.MarshalIndent(s.Base, "", "  ")
	if err != nil {
		return err
	}
	type chartView struct {
		Metric, Help string
		Src          template.URL
	}
	type section struct {
		Title  string
		Charts []chartView
	}
	sections := []section{{Title: "Network"}, {Title: "Scores and perks"}, {Title: "By starting-score decile (d0 lowest, d9 highest)"}}
	for _, c := range charts {
		g := metricGroup(c.Metric)
		help := metricHelp[c.Metric]
		sections[g].Charts = append(sections[g].Charts, chartView{
			Metric: c.Metric, Help: help,
			Src: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(c.PNG)),
		})
	}
	type runView struct {
		Label, Policy string
		Alpha         float64
		Seeds         string
		Perks         string
	}
	var runs []runView
	for _, r := range s.Runs {
		seeds := make([]string, len(r.Seeds))
		for i, x := range r.Seeds {
			seeds[i] = strconv.FormatUint(x, 10)
		}
		runs = append(runs, runView{Label: r.Label, Policy: r.Config.Policy.Name, Alpha: r.Config.Policy.Alpha,
			Seeds: strings.Join(seeds, ", "), Perks: strings.Join(r.Perks, ", ")})
	}
	return reportTmpl.Execute(w, map[string]any{
		"Summary":  s,
		"Config":   string(cfg),
		"Runs":     runs,
		"Sections": sections,
		"Conf":     int(math.Round(s.Confidence * 100)),
	})
}

var reportTmpl = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>socialscore policy lab: simulation report</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
h1{font-size:1.5em} h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:.85em;max-height:30em}
table{border-collapse:collapse;font-size:.9em} td,th{border:1px solid #ddd;padding:.3em .6em;text-align:left}
.grid{display:flex;flex-wrap:wrap;gap:1em} figure{margin:0;width:560px} figure img{width:100%}
figcaption{font-size:.85em;color:#555}
</style></head><body>
<h1>Policy lab: friend-dropping simulation</h1>
<p>Agent-based model after Wei, Yildirim, Van den Bulte &amp; Dellarocas, "Credit Scoring with Social Network Data",
Marketing Science 35(2), 2016. Each line is the mean over {{.Summary.Replicates}} replicate(s) of a grid point;
the shaded band is the {{.Conf}}% Student-t interval of the mean (shown with two or more replicates).
Round 0 is the network before the first round.</p>
<h2>Sweep</h2>
{{if .Summary.Axes}}<table><tr><th>field</th><th>values</th></tr>
{{range .Summary.Axes}}<tr><td>{{.Field}}</td><td>{{range $i, $v := .Values}}{{if $i}}, {{end}}{{$v}}{{end}}</td></tr>{{end}}
</table>{{else}}<p>A single configuration (no sweep).</p>{{end}}
<table><tr><th>run</th><th>policy</th><th>alpha</th><th>seeds (one per replicate)</th><th>perk tiers 1…</th></tr>
{{range .Runs}}<tr><td>{{.Label}}</td><td>{{.Policy}}</td><td>{{.Alpha}}</td><td>{{.Seeds}}</td><td>{{.Perks}}</td></tr>{{end}}
</table>
<h2>Configuration</h2>
<pre>{{.Config}}</pre>
{{range .Sections}}{{if .Charts}}<h2>{{.Title}}</h2><div class="grid">
{{range .Charts}}<figure><img alt="{{.Metric}} over rounds" src="{{.Src}}"><figcaption><b>{{.Metric}}</b>{{if .Help}}: {{.Help}}{{end}}</figcaption></figure>
{{end}}</div>{{end}}{{end}}
</body></html>
`))
