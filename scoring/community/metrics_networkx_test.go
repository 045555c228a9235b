package community

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/datasets"
	"github.com/socialscore/socialscore/internal/datasets/datagraph"
	"github.com/socialscore/socialscore/scoring"
)

// networkxMetrics is a file written by scripts/reference/network_metrics.py
// (NetworkX 3.6.1; see the folders' SOURCE.md).
type networkxMetrics struct {
	People              int     `json:"people"`
	Friendships         int     `json:"friendships"`
	DegreeAssortativity float64 `json:"degree_assortativity"`
	Transitivity        float64 `json:"transitivity"`
	AverageClustering   float64 `json:"average_clustering"`
	DegreeGini          float64 `json:"degree_gini"`
}

// TestReportAgainstNetworkX: the report's degree assortativity,
// transitivity, average clustering and Gini of degrees on the karate club
// and SNAP ego-Facebook equal NetworkX's degree_assortativity_coefficient,
// transitivity and average_clustering and the Gini computed from its
// pairwise definition (testdata/*/..._network_metrics_networkx.json,
// written by scripts/reference/network_metrics.py), to 1e-12.
func TestReportAgainstNetworkX(t *testing.T) {
	if testing.Short() {
		t.Skip("ego-Facebook: 4,039 people")
	}
	for _, c := range []struct {
		name, folder, file string
		snap               func(testing.TB) *graph.Snapshot
	}{
		{"karate", datasets.KarateFolder, "karate_network_metrics_networkx.json", datagraph.KarateSnapshot},
		{"facebook", datasets.FacebookFolder, "facebook_network_metrics_networkx.json", datagraph.FacebookSnapshot},
	} {
		t.Run(c.name, func(t *testing.T) {
			data, err := os.ReadFile(datasets.Path(t, c.folder, c.file))
			require.NoError(t, err)
			var want networkxMetrics
			require.NoError(t, json.Unmarshal(data, &want))
			s := c.snap(t)
			rep, err := Report(context.Background(), s, nil, ReportOptions{Seed: 1, LouvainMaxPeople: -1})
			require.NoError(t, err)
			assert.Equal(t, want.People, rep.People)
			assert.Equal(t, want.Friendships, rep.Friendships)
			for _, m := range []struct {
				name string
				got  *float64
				want float64
			}{
				{"degree_assortativity", rep.DegreeAssortativity, want.DegreeAssortativity},
				{"transitivity", rep.Transitivity, want.Transitivity},
				{"average_clustering", rep.AverageClustering, want.AverageClustering},
				{"degree_gini", rep.DegreeGini, want.DegreeGini},
			} {
				require.NotNil(t, m.got, m.name)
				assert.InDelta(t, m.want, *m.got, 1e-12, m.name)
			}
			assert.Nil(t, rep.ScoreGini, "nobody scored: no Gini of scores")
		})
	}
}

// TestReportScoreGiniAndSingleCommunity: the Gini of scores is taken over
// the scored people only (checked against the pairwise definition,
// Σ|x_i − x_j| / (2n²μ), computed here); and on the karate club, where
// CDLP's labels flood the whole club, the report says so.
func TestReportScoreGiniAndSingleCommunity(t *testing.T) {
	s := datagraph.KarateSnapshot(t)
	for i := range s.Records {
		s.Records[i].BillsLate = int64(i % 5)
	}
	pol, _ := scoring.Preset(scoring.PolicyTencent)
	results, _, err := scoring.ScoreSnapshot(context.Background(), s, pol, scoring.Options{})
	require.NoError(t, err)
	results = results[:30] // four people unscored
	rep, err := Report(context.Background(), s, results, ReportOptions{Seed: 1})
	require.NoError(t, err)
	var diff, sum float64
	for _, a := range results {
		sum += float64(a.Score)
		for _, b := range results {
			diff += max(float64(a.Score-b.Score), float64(b.Score-a.Score))
		}
	}
	n := float64(len(results))
	require.NotNil(t, rep.ScoreGini)
	assert.InDelta(t, diff/(2*n*n*(sum/n)), *rep.ScoreGini, 1e-12)
	assert.Positive(t, *rep.ScoreGini)

	require.Len(t, rep.Communities, 2)
	cd, lv := rep.Communities[0], rep.Communities[1]
	require.Equal(t, "cdlp", cd.Method)
	// Synchronous label propagation (Graphalytics CDLP, 10 rounds) ends
	// with one label on the whole club: the collapse issue 14 reports.
	assert.Equal(t, 1, cd.Count)
	assert.True(t, cd.SingleCommunity)
	assert.Contains(t, cd.Note, "one community")
	assert.False(t, lv.SingleCommunity, "Louvain finds the club's groups")
	assert.Empty(t, lv.Note)
}
