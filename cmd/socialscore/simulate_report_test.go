package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/scoring/simulate"
)

// TestSimulateReadmeGrid runs the README's policy-lab command, smaller
// (fewer people, rounds and replicates): baseline runs once, at α = 0, and
// the summary's baseline row shows zero ties dropped; the points left out
// are printed; the report's charts are SVG.
func TestSimulateReadmeGrid(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lab")
	out := runCmd(t, "simulate", "--policy", "tencent", "--rounds", "3", "--people", "600", "--seed", "1",
		"--sweep", "alpha=0,0.25,0.5,0.75", "--sweep", "policy=baseline,sesame,tencent", "--replicates", "2", "--out", dir)
	assert.Contains(t, out, "not run: alpha=0.25,policy=baseline: baseline is the policy without a network effect")
	assert.Contains(t, out, "simulated 18 run(s) (9 grid point(s) × 2 replicate(s))")
	assert.Contains(t, out, "sesame, α = 0.5 (preset: 0.15)")

	data, err := os.ReadFile(filepath.Join(dir, simulate.FileSummary))
	require.NoError(t, err)
	var sum simulate.Summary
	require.NoError(t, json.Unmarshal(data, &sum))
	baselines := 0
	for _, r := range sum.Runs {
		if r.Config.Policy.Name != "baseline" {
			continue
		}
		baselines++
		assert.Equal(t, "baseline, α = 0", r.Description)
		require.Equal(t, simulate.EffectTiesDropped, r.Effects[0].Name)
		assert.Zero(t, float64(r.Effects[0].Mean), "baseline drops no tie")
		assert.Equal(t, 2, r.Effects[0].N)
	}
	assert.Equal(t, 1, baselines)
	assert.Len(t, sum.Skipped, 3)

	charts, err := os.ReadDir(filepath.Join(dir, simulate.DirCharts))
	require.NoError(t, err)
	require.Len(t, charts, 5)
	for _, c := range charts {
		assert.True(t, strings.HasSuffix(c.Name(), ".svg"), c.Name())
	}
}

// --charts png draws PNG charts instead; another format is an error.
func TestSimulateChartsFlag(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lab")
	runCmd(t, "simulate", "--rounds", "2", "--people", "300", "--sweep", "alpha=0,0.5", "--charts", "png", "--out", dir)
	charts, err := os.ReadDir(filepath.Join(dir, simulate.DirCharts))
	require.NoError(t, err)
	require.NotEmpty(t, charts)
	for _, c := range charts {
		assert.True(t, strings.HasSuffix(c.Name(), ".png"), c.Name())
	}
	html, err := os.ReadFile(filepath.Join(dir, simulate.FileReport))
	require.NoError(t, err)
	assert.Contains(t, string(html), "data:image/png;base64,")

	out := filepath.Join(t.TempDir(), "bad")
	err = run(context.Background(), []string{"simulate", "--people", "100", "--rounds", "2", "--charts", "gif", "--out", out}, io.Discard, io.Discard)
	require.Error(t, err)
	assert.ErrorContains(t, err, "--charts: want svg or png")
	assert.NoDirExists(t, out)
}

// Baseline with contagion is refused, saying why, and nothing is written.
func TestSimulateBaselineWithAlpha(t *testing.T) {
	out := filepath.Join(t.TempDir(), "lab")
	err := run(context.Background(), []string{"simulate", "--policy", "baseline", "--people", "100", "--rounds", "2",
		"--sweep", "alpha=0,0.5", "--out", out}, io.Discard, io.Discard)
	require.Error(t, err)
	assert.ErrorContains(t, err, "baseline is the policy without a network effect")
	assert.NoDirExists(t, out)
}

// The same command twice writes the same report and charts, byte for byte,
// as it writes the same metrics.csv (TestSimulateReproducible).
func TestSimulateReportReproducible(t *testing.T) {
	dirs := []string{filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")}
	for _, d := range dirs {
		runCmd(t, "simulate", "--policy", "tencent", "--rounds", "3", "--people", "500", "--seed", "5",
			"--sweep", "alpha=0,0.5", "--sweep", "policy=baseline,sesame", "--replicates", "2", "--out", d)
	}
	for _, f := range []string{simulate.FileMetrics, simulate.FileSummary, simulate.FileReport, "charts/ties_dropped.svg"} {
		a, err := os.ReadFile(filepath.Join(dirs[0], f))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(dirs[1], f))
		require.NoError(t, err)
		require.NotEmpty(t, a)
		assert.Equal(t, a, b, f)
	}
}
