package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSimulateReproducible runs the same simulate command twice and
// compares metrics.csv byte for byte (issue: "the same command twice gives
// identical metrics.csv").
func TestSimulateReproducible(t *testing.T) {
	dirs := []string{filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")}
	for _, d := range dirs {
		runCmd(t, "simulate", "--policy", "tencent", "--rounds", "3", "--people", "800", "--seed", "5",
			"--sweep", "alpha=0,0.5", "--replicates", "2", "--out", d)
	}
	a, err := os.ReadFile(filepath.Join(dirs[0], "metrics.csv"))
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(dirs[1], "metrics.csv"))
	require.NoError(t, err)
	require.NotEmpty(t, a)
	assert.Equal(t, a, b)
	for _, f := range []string{"summary.json", "report.html"} {
		_, err := os.Stat(filepath.Join(dirs[0], f))
		assert.NoError(t, err, f)
	}
}

// TestSimulateBadConfig: bad configs get an error naming the problem and
// write nothing.
func TestSimulateBadConfig(t *testing.T) {
	for name, args := range map[string][]string{
		"zero rounds":          {"--rounds", "0"},
		"negative probability": {"--p-high-drops-low", "-0.1"},
		"unknown policy":       {"--policy", "no-such-policy"},
		"unknown sweep field":  {"--sweep", "nonsense=1,2"},
		"no out":               nil,
	} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			full := append([]string{"simulate", "--people", "100", "--rounds", "2"}, args...)
			if name != "no out" {
				full = append(full, "--out", out)
			}
			err := run(context.Background(), full, io.Discard, io.Discard)
			require.Error(t, err)
			_, statErr := os.Stat(filepath.Join(out, "metrics.csv"))
			assert.True(t, os.IsNotExist(statErr), "nothing written")
		})
	}
}
