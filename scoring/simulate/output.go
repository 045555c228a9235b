package simulate

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// Chart is one rendered figure of the report: small multiples of one
// quantity over rounds (see figures.go), as SVG or PNG.
type Chart struct {
	// Metric is the summary's metric the figure draws; the chart's files
	// are charts/<Metric>.svg or .png.
	Metric string
	// Title and Caption say what it shows in plain words.
	Title, Caption string
	PNG            []byte // set when drawn as PNG
	SVG            []byte // set when drawn as SVG
	// Layout says where the panels and the legend were drawn.
	Layout ChartLayout
}

// RenderCharts draws the report's figures as SVG; see RenderChartsWith.
func RenderCharts(s *Summary) ([]Chart, error) { return RenderChartsWith(s, ReportOptions{}) }

// RenderChartsWith draws the report's figures — friendships dropped per
// round, score assortativity, the mean friends and perk tiers of the
// lowest 30% and the Gini coefficient of the scores — those the summary
// has data for, in that order: one panel per policy, one colour per value
// of the other axes, the mean over replicates with its 95% interval
// clipped to the quantity's range. SVG unless o.PNG.
func RenderChartsWith(s *Summary, o ReportOptions) ([]Chart, error) {
	var defs []figureDef
	for _, f := range figureDefs {
		if slices.Contains(s.Metrics, f.metric) {
			defs = append(defs, f)
		}
	}
	charts := make([]Chart, len(defs))
	errs := make([]error, len(defs))
	var wg sync.WaitGroup
	for i, f := range defs {
		wg.Go(func() { charts[i], errs[i] = renderFigure(s, f, o.PNG) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("simulate: chart %s: %w", defs[i].metric, err)
		}
	}
	return charts, nil
}

// WriteAll writes metrics.csv, summary.json, the report's figures as
// charts/<metric>.svg and report.html into dir (created if needed) and
// returns the summary.
func WriteAll(dir string, res *SweepResult) (*Summary, error) {
	return WriteAllWith(dir, res, ReportOptions{})
}

// WriteAllWith is WriteAll with options (PNG charts).
func WriteAllWith(dir string, res *SweepResult, o ReportOptions) (*Summary, error) {
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
	charts, err := RenderChartsWith(sum, o)
	if err != nil {
		return nil, err
	}
	for _, c := range charts {
		name, data := c.Metric+".svg", c.SVG
		if c.PNG != nil {
			name, data = c.Metric+".png", c.PNG
		}
		if err := os.WriteFile(filepath.Join(dir, DirCharts, name), data, 0o644); err != nil {
			return nil, err
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
