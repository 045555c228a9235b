package api

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/datasets"
	"github.com/socialscore/socialscore/scoring"
	"github.com/socialscore/socialscore/seed"
)

// storeEdgeList stores a SNAP edge list through seed.ImportBatch (the
// importer of `socialscore import`: everyone consents; ids ≤ 0 shift).
func storeEdgeList(t *testing.T, e *testEnv, edges string) {
	t.Helper()
	batch, _, err := seed.ImportBatch(strings.NewReader(edges), nil)
	require.NoError(t, err)
	require.NoError(t, e.store.ApplyBatch(context.Background(), batch))
}

// networkxCentralities reads a CSV of scripts/reference/centrality.py
// ("id,betweenness,closeness", NetworkX's values) keyed by file id + shift.
func networkxCentralities(t *testing.T, shift int64, elem ...string) map[graph.ID][2]float64 {
	t.Helper()
	out := map[graph.ID][2]float64{}
	for _, row := range datasets.ReadFields(t, datasets.Path(t, elem...), "id,") {
		f := strings.Split(row[0], ",")
		require.Len(t, f, 3)
		out[graph.ID(datasets.ParseInt(t, f[0])+shift)] = [2]float64{datasets.ParseFloat(t, f[1]), datasets.ParseFloat(t, f[2])}
	}
	return out
}

// assertNetworkCentralities gets the network view at path and compares
// every person's betweenness and closeness with want within 1e-9.
func assertNetworkCentralities(t *testing.T, e *testEnv, path string, want map[graph.ID][2]float64) {
	t.Helper()
	w := e.get(path)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var n NetworkResponse
	decode(t, w, &n)
	require.Len(t, n.People, len(want))
	for _, p := range n.People {
		ref, ok := want[p.ID]
		require.True(t, ok, "person %d is not in the reference", p.ID)
		require.NotNil(t, p.Betweenness, "person %d", p.ID)
		require.NotNil(t, p.Closeness, "person %d", p.ID)
		assert.InDelta(t, ref[0], *p.Betweenness, 1e-9, "betweenness of %d", p.ID)
		assert.InDelta(t, ref[1], *p.Closeness, 1e-9, "closeness of %d", p.ID)
	}
}

// TestEgoNetworkCentralities: the network view's betweenness and
// closeness equal NetworkX's betweenness_centrality and
// closeness_centrality (NetworkX 3.6.1, default arguments; the CSVs and
// their SOURCE.md in testdata) on Zachary's karate club (the depth-3 ego
// network of Mr. Hi, 1, is the whole club) and on the depth-1 ego network
// of node 0 of ego-Facebook (person 1: 348 people at the default limit).
// Above scoring.MaxCentralityPeople people the fields are absent.
func TestEgoNetworkCentralities(t *testing.T) {
	t.Run("karate", func(t *testing.T) {
		e := newTestServer(t, openTestStore(t))
		var sb strings.Builder
		for _, edge := range datasets.KarateEdges(t) {
			fmt.Fprintf(&sb, "%d %d\n", edge[0], edge[1])
		}
		storeEdgeList(t, e, sb.String())
		want := networkxCentralities(t, 0, datasets.KarateFolder, "karate_centrality_networkx.csv")
		require.Len(t, want, 34)
		assertNetworkCentralities(t, e, "/v1/people/1/network?depth=3", want)
	})
	t.Run("ego-facebook", func(t *testing.T) {
		e := newTestServer(t, openTestStore(t))
		edges, err := os.ReadFile(datasets.Path(t, datasets.FacebookFolder, "facebook_combined.txt"))
		require.NoError(t, err)
		storeEdgeList(t, e, string(edges)) // file id i is person i+1
		e.score("sesame")                  // centralities do not depend on the scores
		want := networkxCentralities(t, 1, datasets.FacebookFolder, "ego_0_centrality_networkx.csv")
		require.Len(t, want, 348)
		assertNetworkCentralities(t, e, "/v1/people/1/network", want)

		limit := strconv.Itoa(scoring.MaxCentralityPeople + 1)
		w := e.get("/v1/people/1/network?depth=2&limit=" + limit)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		var n NetworkResponse
		decode(t, w, &n)
		require.Len(t, n.People, scoring.MaxCentralityPeople+1)
		assert.NotContains(t, w.Body.String(), `"betweenness"`)
		assert.NotContains(t, w.Body.String(), `"closeness"`)
	})
	// The API document states the bound.
	assert.Contains(t, string(openAPIDoc), "Absent when more than "+strconv.Itoa(scoring.MaxCentralityPeople)+" people are listed")
}
