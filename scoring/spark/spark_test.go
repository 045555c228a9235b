package spark

import (
	"context"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/datasets"
	"github.com/socialscore/socialscore/internal/sparktest"
	"github.com/socialscore/socialscore/scoring"
	"github.com/socialscore/socialscore/seed"
)

// testGraphs are the networks the Spark engine is checked on: Zachary's
// karate club (testdata/karate-club), a seeded 3,000-person network with
// tie weights, recruitments, people without friends and small components
// (a pair, a star: bipartite, where PageRank's iteration oscillates
// longest), and the SNAP ego-Facebook network (testdata/snap-ego-facebook).
func testGraphs(t *testing.T) map[string]*graph.Snapshot {
	t.Helper()
	gs := map[string]*graph.Snapshot{}
	rng := rand.New(rand.NewPCG(5, 8))
	record := func() graph.Record {
		r := graph.NeutralRecord()
		r.PurchaseTotal = float64(rng.IntN(8000))
		r.BillsOnTime, r.BillsLate = rng.Int64N(30), rng.Int64N(4)
		return r
	}
	fromEdges := func(edges [][2]int32, extra []graph.Person) *graph.Snapshot {
		var b graph.Batch
		seen := map[graph.ID]bool{}
		add := func(id graph.ID) {
			if !seen[id] {
				seen[id] = true
				b.People = append(b.People, graph.Person{ID: id, Consent: true, Record: record()})
			}
		}
		for _, e := range edges {
			add(graph.ID(e[0] + 1))
			add(graph.ID(e[1] + 1))
			b.Ties = append(b.Ties, graph.Tie{Kind: graph.Friend, From: graph.ID(e[0] + 1), To: graph.ID(e[1] + 1)})
		}
		b.People = append(b.People, extra...)
		s, err := graph.SnapshotOf(b, time.Unix(0, 0))
		require.NoError(t, err)
		return s
	}
	gs["karate"] = fromEdges(datasets.KarateEdges(t), nil)

	batch, err := seed.Generate(seed.Config{People: 3000, Seed: 9})
	require.NoError(t, err)
	for i := range batch.Ties {
		if batch.Ties[i].Kind == graph.Friend {
			batch.Ties[i].Weight = float64(1+rng.IntN(9)) / 4
		}
	}
	// Small components after the seeded ones: a pair and a 4-leaf star,
	// and two people without friends.
	for id := graph.ID(3001); id <= 3009; id++ {
		batch.People = append(batch.People, graph.Person{ID: id, Consent: true, Record: record()})
	}
	batch.Ties = append(batch.Ties, graph.Tie{Kind: graph.Friend, From: 3001, To: 3002})
	for leaf := graph.ID(3004); leaf <= 3007; leaf++ {
		batch.Ties = append(batch.Ties, graph.Tie{Kind: graph.Friend, From: 3003, To: leaf})
	}
	s, err := graph.SnapshotOf(batch, time.Unix(0, 0))
	require.NoError(t, err)
	gs["seeded-3000-weighted"] = s

	var fb [][2]int32
	for _, f := range datasets.ReadFields(t, datasets.Path(t, "snap-ego-facebook", "facebook_combined.txt"), "#") {
		fb = append(fb, [2]int32{int32(datasets.ParseInt(t, f[0])), int32(datasets.ParseInt(t, f[1]))})
	}
	gs["snap-ego-facebook"] = fromEdges(fb, nil)
	return gs
}

// TestSparkEngineMatchesGo runs each test graph's scoring run twice, on the
// Go kernels and on Spark (the master of internal/sparktest), and compares
// every person: s within 1e-9 of Go's (Go stops within α/(1−α)·1e-10 of
// the fixed point, Spark within 1e-12), PageRank within a relative 1e-7
// (Go's converged ranks are within about 4e-9 of the fixed point), and the
// same score, percentile within one rank step, and friends' mean.
func TestSparkEngineMatchesGo(t *testing.T) {
	master := sparktest.Master(t)
	ctx := context.Background()
	// One policy per graph, so that three values of α are covered.
	policies := map[string]string{"karate": scoring.PolicySesame, "seeded-3000-weighted": scoring.PolicyLenddo,
		"snap-ego-facebook": scoring.PolicyTencent}
	for name, s := range testGraphs(t) {
		for _, policy := range []string{policies[name]} {
			t.Run(name+"/"+policy, func(t *testing.T) {
				p, ok := scoring.Preset(policy)
				require.True(t, ok)
				want, _, err := scoring.ScoreSnapshot(ctx, s, p, scoring.Options{})
				require.NoError(t, err)
				eng := &Engine{Master: master, Dir: t.TempDir(), Partitions: 3, Checkpoint: 5}
				if testing.Verbose() {
					eng.Log = os.Stderr
				}
				got, st, err := scoring.ScoreSnapshot(ctx, s, p, scoring.Options{Engine: eng})
				require.NoError(t, err)
				require.Len(t, got, len(want))
				assert.Positive(t, st.PropagationIterations)
				assert.Positive(t, st.PageRankIterations)
				var sumPR float64
				differ := 0
				for i := range want {
					w, g := want[i], got[i]
					require.Equal(t, w.ID, g.ID)
					require.InDelta(t, w.Network, g.Network, 1e-9, "s of %d", w.ID)
					require.InEpsilon(t, w.PageRank, g.PageRank, 1e-7, "PageRank of %d", w.ID)
					sumPR += g.PageRank
					assert.InDelta(t, w.Percentile, g.Percentile, 100/float64(len(want))+1e-9, "percentile of %d", w.ID)
					if w.Score != g.Score {
						differ++
					}
				}
				assert.InDelta(t, 1, sumPR, 1e-9, "PageRank sums to 1")
				assert.Zero(t, differ, "people whose score differs between the engines")
			})
		}
	}
}

// TestReadOutputRefusesIncompleteResults: results that miss someone, or
// name someone twice, are an error, never a partial run.
func TestReadOutputRefusesIncompleteResults(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(dir+"/results", 0o755))
	require.NoError(t, os.WriteFile(dir+"/stats.json", []byte(`{"people":3,"propagation_iterations":1,"pagerank_iterations":1}`), 0o644))
	write := func(rows ...ResultRow) {
		require.NoError(t, parquet.WriteFile(dir+"/results/part-0.parquet", rows))
	}
	write(ResultRow{Idx: 0, S: 0.5, PageRank: 0.3}, ResultRow{Idx: 1, S: 0.5, PageRank: 0.3})
	_, err := ReadOutput(dir, 3)
	assert.ErrorContains(t, err, "results for 2 of 3 people")
	write(ResultRow{Idx: 0}, ResultRow{Idx: 1}, ResultRow{Idx: 1})
	_, err = ReadOutput(dir, 3)
	assert.ErrorContains(t, err, "repeated")
	write(ResultRow{Idx: 0, S: 0.1, PageRank: 0.2}, ResultRow{Idx: 2, S: 0.3, PageRank: 0.4}, ResultRow{Idx: 1, S: 0.5, PageRank: 0.6})
	out, err := ReadOutput(dir, 3)
	require.NoError(t, err)
	assert.Equal(t, []float64{0.1, 0.5, 0.3}, out.S)
	assert.Equal(t, []float64{0.2, 0.6, 0.4}, out.PageRank)
}
