package simulate

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
)

// The report: what the sweep found, for an analyst to read in a minute.
// First the summary table (the headline effects per grid point, mean with
// 95% interval and n), then the figures, then an appendix with the runs,
// the configuration and every other metric as tables.

// isDecileMetric reports whether the metric is per starting decile (its
// name ends in _d0 … _d9).
func isDecileMetric(name string) bool {
	n := len(name)
	return n > 3 && name[n-3:n-1] == "_d" && name[n-1] >= '0' && name[n-1] <= '9'
}

var metricTitles = map[string]string{
	MetricTiesDropped:      "Friendships dropped in the round",
	MetricTiesFormed:       "Friendships formed in the round",
	MetricEffort:           "Low scorers who invested effort in the round",
	MetricFriendships:      "Friendships in the network",
	MetricIsolated:         "People without friends",
	MetricComponents:       "Connected components (an isolated person counts as one)",
	MetricLargestComponent: "Share of people in the largest component",
	MetricScoreMean:        "Mean score",
	MetricScoreGini:        "Gini coefficient of the scores",
	MetricAssortativity:    "Assortativity of the scores over friendships (homophily)",
	MetricLowShare:         "Share of people who are low",
	MetricDegreeMeanLow:    "Mean friends of the lowest 30% (starting deciles 1–3)",
	MetricPerksMeanLow:     "Mean perk tiers of the lowest 30% (starting deciles 1–3)",
}

// metricTitle says what a metric is in plain words; perks names the perk
// tiers.
func metricTitle(name string, perks []string) string {
	if t, ok := metricTitles[name]; ok {
		return t
	}
	var k, d int
	if n, _ := fmt.Sscanf(name, "perk%d_share_d%d", &k, &d); n == 2 {
		return fmt.Sprintf("Share of starting decile %d eligible for %s", d+1, perkName(k, perks))
	}
	if n, _ := fmt.Sscanf(name, "perk%d_share", &k); n == 1 && !isDecileMetric(name) {
		return "Share of everyone eligible for " + perkName(k, perks)
	}
	if isDecileMetric(name) {
		return decileFamilyTitle(name[:len(name)-1], perks) + ", starting decile " + strconv.Itoa(int(name[len(name)-1]-'0')+1)
	}
	return name
}

// perkName is "perk tier k (name)".
func perkName(k int, perks []string) string {
	if k >= 1 && k <= len(perks) {
		return fmt.Sprintf("perk tier %d (%s)", k, strings.ReplaceAll(perks[k-1], "_", " "))
	}
	return fmt.Sprintf("perk tier %d", k)
}

// decileFamilyTitle names a per-decile metric without its decile (prefix
// "degree_mean_d").
func decileFamilyTitle(prefix string, perks []string) string {
	switch prefix {
	case MetricScoreMeanDecile:
		return "Mean score"
	case MetricDegreeMeanDecile:
		return "Mean number of friends"
	case MetricPerksMeanDecile:
		return "Mean number of perk tiers unlocked"
	}
	var k int
	if n, _ := fmt.Sscanf(prefix, "perk%d_share_d", &k); n == 1 {
		return "Share eligible for " + perkName(k, perks)
	}
	return prefix
}

// fmtValue writes a value for a table: digits by magnitude, thousands
// separated, "–" when undefined.
func fmtValue(x float64) string {
	if !finite(x) {
		return "–"
	}
	a := math.Abs(x)
	var s string
	switch {
	case a >= 100 || x == math.Trunc(x) && a < 1e15:
		s = strconv.FormatFloat(x, 'f', 0, 64)
	case a >= 10:
		s = strconv.FormatFloat(x, 'f', 1, 64)
	case a >= 1:
		s = strconv.FormatFloat(x, 'f', 2, 64)
	case a >= 0.01:
		s = strconv.FormatFloat(x, 'f', 3, 64)
	default:
		s = strconv.FormatFloat(x, 'f', 4, 64)
	}
	if s == "-0" || strings.Trim(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-")
	}
	// Thousands separators for the integer part.
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	for i := len(intPart) - 3; i > 0; i -= 3 {
		intPart = intPart[:i] + "," + intPart[i:]
	}
	if hasFrac {
		intPart += "." + frac
	}
	if neg {
		return "−" + intPart
	}
	return intPart
}

// cell is one table cell: a mean and its interval.
type cell struct {
	Mean, CI string
	N        int
	ShowN    bool
}

func mkCell(mean, lo, hi float64, n int) cell {
	c := cell{Mean: fmtValue(mean), N: n}
	// An interval of one value (every run the same) is left out.
	if finite(lo) && finite(hi) && lo != hi {
		c.CI = fmtValue(lo) + " to " + fmtValue(hi)
	}
	return c
}

// statCell is the cell of a metric's statistics at step t, the interval
// clipped to the metric's range.
func statCell(st Stats, t int, minV, maxV float64) cell {
	if t < 0 || t >= len(st.Mean) {
		return cell{Mean: "–"}
	}
	lo, hi := clipInterval(float64(st.Lo[t]), float64(st.Hi[t]), minV, maxV)
	return mkCell(float64(st.Mean[t]), lo, hi, st.N[t])
}

// WriteReport writes a self-contained HTML page (no external resources:
// the figures are embedded): the summary table of headline effects per
// grid point, the figures, and an appendix with the runs, the
// configuration and every other metric as tables.
func WriteReport(w io.Writer, s *Summary, charts []Chart) error {
	cfg, err := json.MarshalIndent(s.Base, "", "  ")
	if err != nil {
		return err
	}
	perks := []string{}
	rounds := 0
	for _, r := range s.Runs {
		if len(r.Perks) > len(perks) {
			perks = r.Perks
		}
		rounds = max(rounds, r.Config.Rounds)
	}

	// The summary table.
	type effectHead struct{ Name, Title string }
	var heads []effectHead
	for _, e := range effectDefs {
		heads = append(heads, effectHead{e.name, e.title})
	}
	type summaryRow struct {
		Description, Label string
		N                  int
		Cells              []cell
	}
	var rows []summaryRow
	for _, r := range s.Runs {
		row := summaryRow{Description: r.Description, Label: r.Label, N: len(r.Seeds)}
		if row.Description == "" {
			row.Description = r.Label
		}
		for _, e := range r.Effects {
			c := mkCell(float64(e.Mean), float64(e.Lo), float64(e.Hi), e.N)
			c.ShowN = e.N != len(r.Seeds)
			row.Cells = append(row.Cells, c)
		}
		rows = append(rows, row)
	}

	// The figures.
	type figView struct {
		Metric, Title, Caption string
		Src                    template.URL
		Width                  int
	}
	var figs []figView
	for _, c := range charts {
		src := "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(c.SVG)
		if c.PNG != nil {
			src = "data:image/png;base64," + base64.StdEncoding.EncodeToString(c.PNG)
		}
		figs = append(figs, figView{Metric: c.Metric, Title: c.Title, Caption: c.Caption, Src: template.URL(src),
			Width: int(math.Round(c.Layout.Width * 96 / 72))})
	}

	// The appendix: every metric over rounds (first, middle, last), then
	// the per-decile metrics at the last round, a table per family.
	type metricRow struct {
		Description string
		Cells       []cell
	}
	type metricTable struct {
		Name, Title string
		Columns     []string
		Rows        []metricRow
	}
	steps := []int{0, rounds / 2, rounds}
	if rounds < 2 {
		steps = []int{0, rounds}
	}
	var overRounds, byDecile []metricTable
	families := map[string]int{}
	for _, m := range s.Metrics {
		if isDecileMetric(m) {
			prefix := m[:len(m)-1]
			if _, ok := families[prefix]; ok {
				continue
			}
			families[prefix] = len(byDecile)
			t := metricTable{Name: prefix + "*", Title: decileFamilyTitle(prefix, perks) + ", by starting-score decile (1 lowest, 10 highest), round " + strconv.Itoa(rounds)}
			for d := range Deciles {
				t.Columns = append(t.Columns, strconv.Itoa(d+1))
			}
			for _, r := range s.Runs {
				row := metricRow{Description: r.Description}
				for d := range Deciles {
					name := DecileMetric(prefix, d)
					st, ok := r.Metrics[name]
					if !ok {
						row.Cells = append(row.Cells, cell{Mean: "–"})
						continue
					}
					lo, hi := metricRange(name, len(r.Perks))
					row.Cells = append(row.Cells, statCell(st, len(st.Mean)-1, lo, hi))
				}
				t.Rows = append(t.Rows, row)
			}
			byDecile = append(byDecile, t)
			continue
		}
		t := metricTable{Name: m, Title: metricTitle(m, perks)}
		for _, st := range steps {
			t.Columns = append(t.Columns, "round "+strconv.Itoa(st))
		}
		for _, r := range s.Runs {
			row := metricRow{Description: r.Description}
			st := r.Metrics[m]
			lo, hi := metricRange(m, len(r.Perks))
			for _, step := range steps {
				row.Cells = append(row.Cells, statCell(st, step, lo, hi))
			}
			t.Rows = append(t.Rows, row)
		}
		overRounds = append(overRounds, t)
	}

	type runView struct {
		Label, Description, Seeds, Perks string
	}
	var runs []runView
	for _, r := range s.Runs {
		seeds := make([]string, len(r.Seeds))
		for i, x := range r.Seeds {
			seeds[i] = strconv.FormatUint(x, 10)
		}
		runs = append(runs, runView{Label: r.Label, Description: r.Description,
			Seeds: strings.Join(seeds, ", "), Perks: strings.Join(r.Perks, ", ")})
	}
	return reportTmpl.Execute(w, map[string]any{
		"Summary":    s,
		"Config":     string(cfg),
		"Runs":       runs,
		"Heads":      heads,
		"Rows":       rows,
		"Figures":    figs,
		"OverRounds": overRounds,
		"ByDecile":   byDecile,
		"Rounds":     rounds,
		"Conf":       int(math.Round(s.Confidence * 100)),
	})
}

var reportTmpl = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>socialscore policy lab: simulation report</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif;margin:1.5em auto;max-width:1280px;padding:0 1.2em;color:#1d1d1f;line-height:1.45}
h1{font-size:1.45em;margin:.2em 0 .3em} h2{font-size:1.15em;margin:1.8em 0 .5em;border-bottom:1px solid #d8d8d8;padding-bottom:.2em}
h3{font-size:1em;margin:1.4em 0 .3em}
p.lede{margin:.2em 0 1em;color:#444;max-width:62em}
table{border-collapse:collapse;font-size:.88em;font-variant-numeric:tabular-nums}
th,td{padding:.35em .7em;text-align:right;border-bottom:1px solid #e6e6e6;vertical-align:top}
th{font-weight:600;background:#f4f5f7;border-bottom:2px solid #cfd2d6;vertical-align:bottom}
th:first-child,td:first-child{text-align:left}
td .ci{display:block;color:#6b6f76;font-size:.82em;white-space:nowrap}
table.summary td.point{font-weight:600;white-space:nowrap}
table.summary tbody tr:nth-child(odd){background:#fafbfc}
.note{font-size:.85em;color:#555;max-width:62em}
figure{margin:1.2em 0 1.6em} figure img{width:100%;max-width:1080px;height:auto;display:block}
figcaption{font-size:.88em;color:#444;max-width:62em;margin-top:.3em} figcaption b{color:#1d1d1f}
pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:.8em;max-height:24em}
details{margin:.6em 0} summary{cursor:pointer;color:#0b5cad}
.appendix table{margin-bottom:.4em} table.left th,table.left td{text-align:left}
h4{font-size:.92em;margin:1.1em 0 .3em} h4 small{font-weight:normal;color:#6b6f76}
.tables{display:flex;flex-wrap:wrap;gap:0 2.5em} .tables section{flex:0 1 auto}
</style></head><body>
<h1>Policy lab: who drops whom when friends can lower your score</h1>
<p class="lede">{{len .Summary.Runs}} grid point(s), each run {{.Summary.Replicates}} time(s) with different seeds, {{.Rounds}} rounds.
Each number is the mean over the runs; below it, in grey, the {{.Conf}}% interval of that mean (clipped to the values the quantity can take).
The model follows Wei, Yildirim, Van den Bulte &amp; Dellarocas, <i>Credit Scoring with Social Network Data</i>, Marketing Science 35(2), 2016.</p>
<table class="summary" id="summary" data-testid="summary">
<thead><tr><th>grid point</th>{{range .Heads}}<th data-effect="{{.Name}}">{{.Title}}</th>{{end}}<th>n</th></tr></thead>
<tbody>
{{range .Rows}}<tr data-label="{{.Label}}"><td class="point">{{.Description}}</td>{{range .Cells}}<td>{{.Mean}}{{if .CI}}<span class="ci">{{.CI}}</span>{{end}}{{if .ShowN}}<span class="ci">n = {{.N}}</span>{{end}}</td>{{end}}<td>{{.N}}</td></tr>
{{end}}</tbody></table>
<p class="note">Lowest 30%: the people whose scores were in the bottom three deciles at the start. Changes are last round minus round 0.
n: runs per grid point.{{if .Summary.Skipped}} <b>Not run:</b> {{range $i, $s := .Summary.Skipped}}{{if $i}}; {{end}}{{$s.Label}}{{end}} — baseline is the policy without a network effect (α = 0, centrality 0, no friend-default penalty), so these would be other policies under baseline's name.{{end}}</p>
{{if .Figures}}<h2 id="figures">Figures</h2>
{{range .Figures}}<figure data-metric="{{.Metric}}"><img alt="{{.Title}}" src="{{.Src}}" width="{{.Width}}"><figcaption><b>{{.Title}}.</b> {{.Caption}} Lines: mean over runs; shaded: {{$.Conf}}% interval.</figcaption></figure>
{{end}}{{end}}
<h2 id="appendix" class="appendix">Appendix</h2>
<div class="appendix">
<h3>Grid points</h3>
<table class="left"><thead><tr><th>grid point</th><th>label in metrics.csv</th><th>seeds (one per run)</th><th>perk tiers 1…</th></tr></thead><tbody>
{{range .Runs}}<tr><td>{{.Description}}</td><td>{{.Label}}</td><td>{{.Seeds}}</td><td>{{.Perks}}</td></tr>
{{end}}</tbody></table>
{{if .Summary.Skipped}}<h3>Grid points not run</h3><table class="left"><thead><tr><th>label</th><th>why</th></tr></thead><tbody>
{{range .Summary.Skipped}}<tr><td>{{.Label}}</td><td>{{.Reason}}</td></tr>{{end}}</tbody></table>{{end}}
<details><summary>Configuration shared by the grid points</summary><pre>{{.Config}}</pre></details>
<h3>Every metric at the start, half-way and the end</h3>
<div class="tables">
{{range .OverRounds}}<section><h4 data-metric="{{.Name}}">{{.Title}} <small>({{.Name}})</small></h4>
<table><thead><tr><th>grid point</th>{{range .Columns}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr><td>{{.Description}}</td>{{range .Cells}}<td>{{.Mean}}{{if .CI}}<span class="ci">{{.CI}}</span>{{end}}</td>{{end}}</tr>
{{end}}</tbody></table></section>
{{end}}</div>
<h3>By starting-score decile, at the last round</h3>
{{range .ByDecile}}<h4 data-metric="{{.Name}}">{{.Title}}</h4>
<table><thead><tr><th>grid point</th>{{range .Columns}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr><td>{{.Description}}</td>{{range .Cells}}<td>{{.Mean}}{{if .CI}}<span class="ci">{{.CI}}</span>{{end}}</td>{{end}}</tr>
{{end}}</tbody></table>
{{end}}</div>
</body></html>
`))
