package simulate

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/scoring"
)

func smallSweep(t testing.TB) Sweep {
	base := testConfig(t, scoring.PolicySesame, 800, 3)
	return Sweep{Base: base, Replicates: 3, Axes: []Axis{
		{Field: "alpha", Values: []string{"0", "0.5"}},
		{Field: "drop_rule", Values: []string{"best_response", "threshold"}},
	}}
}

// The same sweep gives a byte-identical metrics.csv, whatever the number
// of workers running it (and of goroutines inside each run).
func TestMetricsCSVReproducible(t *testing.T) {
	sw := smallSweep(t)
	var outs [][]byte
	for _, w := range []int{1, 3, 8} {
		res, err := RunSweep(context.Background(), sw, nil, SweepOptions{Workers: w})
		require.NoError(t, err)
		var buf bytes.Buffer
		require.NoError(t, WriteMetricsCSV(&buf, res))
		outs = append(outs, buf.Bytes())
	}
	require.NotEmpty(t, outs[0])
	assert.True(t, bytes.Equal(outs[0], outs[1]), "workers 1 and 3 differ")
	assert.True(t, bytes.Equal(outs[0], outs[2]), "workers 1 and 8 differ")

	// A different seed gives a different file: the check above is not
	// vacuous.
	sw.Base.Seed = 2
	res, err := RunSweep(context.Background(), sw, nil, SweepOptions{})
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, WriteMetricsCSV(&buf, res))
	assert.False(t, bytes.Equal(outs[0], buf.Bytes()))
}

// A model stepped by hand equals Run with the same config, and replicate 0
// of a sweep is the plain run.
func TestRunIsReproducible(t *testing.T) {
	cfg := testConfig(t, scoring.PolicyTencent, 1000, 3)
	a, _, err := Run(context.Background(), cfg, nil, RunOptions{Workers: 1})
	require.NoError(t, err)
	b, _, err := Run(context.Background(), cfg, nil, RunOptions{Workers: 4})
	require.NoError(t, err)
	assert.Equal(t, a, b)
	res, err := RunSweep(context.Background(), Sweep{Base: cfg, Replicates: 2}, nil, SweepOptions{})
	require.NoError(t, err)
	assert.Equal(t, a, res.Runs[0][0])
	assert.NotEqual(t, a, res.Runs[0][1])
}

func TestWriteAll(t *testing.T) {
	res, err := RunSweep(context.Background(), smallSweep(t), nil, SweepOptions{})
	require.NoError(t, err)
	dir := t.TempDir()
	sum, err := WriteAll(dir, res)
	require.NoError(t, err)

	f, err := os.Open(filepath.Join(dir, FileMetrics))
	require.NoError(t, err)
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	require.NoError(t, err)
	assert.Equal(t, []string{"run", "replicate", "round", "metric", "value"}, rows[0])
	nMetrics := len(res.Runs[0][0].Names)
	assert.Len(t, rows, 1+4*3*4*nMetrics, "header + points × replicates × steps × metrics")
	assert.Equal(t, []string{"alpha=0,drop_rule=best_response", "0", "0", MetricTiesDropped, "0"}, rows[1])

	data, err := os.ReadFile(filepath.Join(dir, FileSummary))
	require.NoError(t, err)
	var back Summary
	require.NoError(t, json.Unmarshal(data, &back))
	require.Len(t, back.Runs, 4)
	assert.Equal(t, sum.Metrics, back.Metrics)
	st := back.Runs[2].Metrics[MetricTiesDropped] // alpha=0.5, best response
	require.Len(t, st.Mean, 4)
	assert.Equal(t, 3, st.N[1])
	assert.LessOrEqual(t, float64(st.Lo[1]), float64(st.Mean[1]))
	assert.GreaterOrEqual(t, float64(st.Hi[1]), float64(st.Mean[1]))
	assert.Positive(t, float64(st.Mean[1]))
	assert.Equal(t, []string{"0.5", "best_response"}, back.Runs[2].Values)
	assert.Len(t, back.Runs[2].Seeds, 3)

	// The report's five figures, as SVG only (PNG on request).
	figures := []string{MetricTiesDropped, MetricAssortativity, MetricDegreeMeanLow, MetricPerksMeanLow, MetricScoreGini}
	entries, err := os.ReadDir(filepath.Join(dir, DirCharts))
	require.NoError(t, err)
	var files []string
	for _, e := range entries {
		files = append(files, e.Name())
	}
	var want []string
	for _, m := range figures {
		want = append(want, m+".svg")
		svg, err := os.ReadFile(filepath.Join(dir, DirCharts, m+".svg"))
		require.NoError(t, err)
		assert.Contains(t, string(svg), "<svg", m)
	}
	assert.ElementsMatch(t, want, files)

	html, err := os.ReadFile(filepath.Join(dir, FileReport))
	require.NoError(t, err)
	page := string(html)
	assert.Contains(t, page, "alpha=0.5,drop_rule=threshold")
	assert.Contains(t, page, `&#34;p_high_drops_low&#34;: 0.5`, "the config is shown")
	assert.Equal(t, len(figures), strings.Count(page, `src="data:image/svg`), "every figure embedded")
	assert.NotContains(t, page, "data:image/png")
	for _, external := range []string{"http://", "https://", "<script", "<link"} {
		assert.NotContains(t, page, external, "self-contained")
	}
}

// summary.json writes undefined values as null, never NaN (which is not
// JSON).
func TestSummaryNaN(t *testing.T) {
	b, err := json.Marshal([]Num{1.5, Num(nanValue)})
	require.NoError(t, err)
	assert.Equal(t, "[1.5,null]", string(b))
	var back []Num
	require.NoError(t, json.Unmarshal(b, &back))
	assert.True(t, back[1] != back[1])
}
