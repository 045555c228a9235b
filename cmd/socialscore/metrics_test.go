package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/internal/datasets"
)

// TestMetricsCommand imports the karate club and checks `metrics --json`
// against NetworkX (testdata/karate-club/karate_network_metrics_networkx.json,
// written by scripts/reference/network_metrics.py); the text form names
// the same numbers and says that CDLP put everyone in one community.
func TestMetricsCommand(t *testing.T) {
	dir := t.TempDir()
	url := "embedded://" + filepath.Join(dir, "s.db")
	var sb strings.Builder
	for _, e := range datasets.KarateEdges(t) {
		fmt.Fprintf(&sb, "%d %d\n", e[0], e[1])
	}
	edges := filepath.Join(dir, "karate.txt")
	require.NoError(t, os.WriteFile(edges, []byte(sb.String()), 0o600))
	runCmd(t, "import", "--store", url, "--friends", edges)
	runCmd(t, "score", "--store", url, "--policy", "tencent")

	var want struct {
		DegreeAssortativity float64 `json:"degree_assortativity"`
		Transitivity        float64 `json:"transitivity"`
		DegreeGini          float64 `json:"degree_gini"`
	}
	data, err := os.ReadFile(datasets.Path(t, datasets.KarateFolder, "karate_network_metrics_networkx.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &want))

	var got struct {
		People              int      `json:"people"`
		Friendships         int      `json:"friendships"`
		Scored              int      `json:"scored"`
		DegreeAssortativity *float64 `json:"degree_assortativity"`
		Transitivity        *float64 `json:"transitivity"`
		DegreeGini          *float64 `json:"degree_gini"`
		ScoreGini           *float64 `json:"score_gini"`
		Communities         []struct {
			Method          string `json:"method"`
			SingleCommunity bool   `json:"single_community"`
			Note            string `json:"note"`
		} `json:"communities"`
	}
	out := runCmd(t, "metrics", "--store", url, "--json")
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	assert.Equal(t, 34, got.People)
	assert.Equal(t, 78, got.Friendships)
	assert.Equal(t, 34, got.Scored, "the scores of the store's run")
	require.NotNil(t, got.DegreeAssortativity)
	require.NotNil(t, got.Transitivity)
	require.NotNil(t, got.DegreeGini)
	require.NotNil(t, got.ScoreGini)
	assert.InDelta(t, want.DegreeAssortativity, *got.DegreeAssortativity, 1e-12)
	assert.InDelta(t, want.Transitivity, *got.Transitivity, 1e-12)
	assert.InDelta(t, want.DegreeGini, *got.DegreeGini, 1e-12)
	require.Len(t, got.Communities, 2)
	assert.Equal(t, "cdlp", got.Communities[0].Method)
	assert.True(t, got.Communities[0].SingleCommunity)

	out = runCmd(t, "metrics", "--store", url)
	for _, s := range []string{
		"network: 34 people, 78 friendships, 34 scored",
		fmt.Sprintf("degree assortativity %+.3f", want.DegreeAssortativity),
		fmt.Sprintf("transitivity %.3f", want.Transitivity),
		fmt.Sprintf("Gini %.3f", want.DegreeGini),
		"note: cdlp put everyone with a friend into one community",
		"louvain",
	} {
		assert.Contains(t, out, s)
	}

	_, _, err = runResearch(t, cmdMetrics, "--store", url, "--louvain-max", "-1")
	var u usageError
	assert.ErrorAs(t, err, &u)
}
