package scoring

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/graph/network"

	"github.com/socialscore/socialscore/graph"
)

// tolerantPercentiles is the percentile definition applied to values from
// another solver: values within a relative 1e-8 count as equal.
func tolerantPercentiles(values []float64) []float64 {
	out := make([]float64, len(values))
	for i, x := range values {
		var below, equal int
		for _, y := range values {
			switch {
			case math.Abs(y-x) <= 1e-8*math.Abs(x):
				equal++
			case y < x:
				below++
			}
		}
		out[i] = 100 * (float64(below) + 0.5*float64(equal)) / float64(len(values))
	}
	return out
}

// TestScoreSnapshotIndependent recomputes a run from independent parts:
// s by a dense LU solve, PageRank by gonum's network.PageRank on the
// snapshot adapter, percentiles by brute-force counting, the friends'
// default penalty and friend means by direct loops, then the final score
// by the formula of ScoreSnapshot's doc comment; and compares every field.
func TestScoreSnapshotIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 34))
	s := randomSnapshot(t, rng, 160, 320, true)
	for _, p := range Presets() {
		t.Run(p.Name, func(t *testing.T) {
			got, st, err := ScoreSnapshot(context.Background(), s, p, Options{Workers: 2})
			require.NoError(t, err)
			require.Len(t, got, s.Len())

			n := s.Len()
			b := make([]float64, n)
			for i := range b {
				b[i] = p.Weights.Combine(ComputePillars(s, int32(i)))
			}
			// expected: dense solve, gonum PageRank, brute-force percentiles
			sv := denseFixedPoint(t, s, b, p.Alpha)
			prMap := network.PageRank(snapshotGraph(s), 0.85, 1e-13)
			pr := make([]float64, n)
			for i := range pr {
				pr[i] = prMap[int64(i)]
			}
			pct := tolerantPercentiles(pr)
			score := make([]int, n)
			for i := 0; i < n; i++ {
				defaulted := 0
				for _, j := range s.Friends(int32(i)) {
					if s.Records[j].Defaults > 0 {
						defaulted++
					}
				}
				penalty := math.Min(p.FriendDefaultCap, p.FriendDefaultPenalty*float64(defaulted))
				raw := 350 + 600*((1-p.Centrality)*sv[i]+p.Centrality*pct[i]/100) - penalty
				score[i] = int(math.Max(350, math.Min(950, math.Round(raw))))
			}
			for i, r := range got {
				require.Equal(t, s.IDs[i], r.ID)
				assert.InDelta(t, b[i], r.Base, 1e-15)
				assert.Equal(t, int(math.Round(350+600*b[i])), r.Individual)
				assert.InDelta(t, sv[i], r.Network, 1e-8, "s of %d", r.ID)
				assert.InDelta(t, pr[i], r.PageRank, 1e-9, "PageRank of %d", r.ID)
				assert.Equal(t, pct[i], r.Percentile, "percentile of %d", r.ID)
				assert.Equal(t, score[i], r.Score, "score of %d", r.ID)
				assert.Equal(t, int32(s.Degree(int32(i))), r.Friends)
				var sum float64
				for _, j := range s.Friends(int32(i)) {
					sum += float64(score[j])
				}
				if r.Friends > 0 {
					assert.InDelta(t, sum/float64(r.Friends), r.FriendMean, 1e-12)
				} else {
					assert.Zero(t, r.FriendMean)
				}
			}
			assert.Positive(t, st.PageRankIterations)
			if p.Alpha > 0 {
				assert.Positive(t, st.PropagationIterations)
			}
		})
	}
}

// TestScoreSnapshotBaselineHasNoNetworkEffect: under baseline the score is
// the individual score, for everyone.
func TestScoreSnapshotBaselineHasNoNetworkEffect(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	s := randomSnapshot(t, rng, 300, 900, true)
	p, _ := Preset("baseline")
	got, _, err := ScoreSnapshot(context.Background(), s, p, Options{})
	require.NoError(t, err)
	for _, r := range got {
		assert.Equal(t, r.Individual, r.Score)
		assert.Equal(t, r.Base, r.Network)
	}
}

// TestScoreSnapshotFriendDefaults: under lenddo each friend with a default
// costs 15 points, at most 60; nothing else changes.
func TestScoreSnapshotFriendDefaults(t *testing.T) {
	var b graph.SnapshotBuilder
	clean := graph.NeutralRecord()
	defaulted := graph.NeutralRecord()
	defaulted.Defaults = 1
	b.AddPerson(graph.Person{ID: 1, Consent: true, Record: clean}) // 5 defaulting friends
	b.AddPerson(graph.Person{ID: 2, Consent: true, Record: clean}) // 2 defaulting friends
	for id := graph.ID(10); id < 15; id++ {
		b.AddPerson(graph.Person{ID: id, Consent: true, Record: defaulted})
		b.AddTie(graph.Tie{Kind: graph.Friend, From: 1, To: id})
	}
	b.AddTie(graph.Tie{Kind: graph.Friend, From: 2, To: 10})
	b.AddTie(graph.Tie{Kind: graph.Friend, From: 2, To: 11})
	s, err := b.Build(time.Time{})
	require.NoError(t, err)

	lenddo, _ := Preset("lenddo")
	noPenalty := lenddo
	noPenalty.FriendDefaultPenalty = 0
	with, _, err := ScoreSnapshot(context.Background(), s, lenddo, Options{})
	require.NoError(t, err)
	without, _, err := ScoreSnapshot(context.Background(), s, noPenalty, Options{})
	require.NoError(t, err)
	// expected: min(60, 15·5) = 60 for person 1, 15·2 = 30 for person 2, 0
	// for the others (their friends, 1 and 2, have no default).
	want := map[graph.ID]int{1: 60, 2: 30}
	for i := range with {
		assert.Equal(t, want[with[i].ID], without[i].Score-with[i].Score, "person %d", with[i].ID)
		assert.Equal(t, without[i].Network, with[i].Network)
	}
}

// TestScoreSnapshotKarate: the run's PageRank on the karate club matches
// the NetworkX reference (so the default tolerance is tight enough), and
// the two best-connected members (mtx 34 and 1) get the top percentiles.
func TestScoreSnapshotKarate(t *testing.T) {
	s, refs := loadKarate(t)
	p, _ := Preset("sesame")
	got, _, err := ScoreSnapshot(context.Background(), s, p, Options{})
	require.NoError(t, err)
	for _, r := range refs {
		i, _ := s.Index(graph.ID(r.mtxID))
		// expected: karate_pagerank_reference.csv, networkx column, abs 1e-5
		assert.InDelta(t, r.networkx, got[i].PageRank, 1e-5, "vertex %d", r.mtxID)
	}
	// expected: 100·(33+½)/34 and 100·(32+½)/34 (the two largest PageRanks)
	assert.InDelta(t, 100*33.5/34, got[33].Percentile, 1e-12)
	assert.InDelta(t, 100*32.5/34, got[0].Percentile, 1e-12)
}

func TestScoreSnapshotWorkersDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 17))
	s := randomSnapshot(t, rng, 4000, 16000, true)
	p, _ := Preset("lenddo")
	ref, _, err := ScoreSnapshot(context.Background(), s, p, Options{Workers: 1})
	require.NoError(t, err)
	for _, w := range []int{2, 5} {
		got, _, err := ScoreSnapshot(context.Background(), s, p, Options{Workers: w})
		require.NoError(t, err)
		assert.Equal(t, ref, got, "workers %d", w)
	}
}

func TestScoreSnapshotProgressAndCancel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 9))
	s := randomSnapshot(t, rng, 50, 100, false)
	p, _ := Preset("tencent")

	var phases []string
	_, st, err := ScoreSnapshot(context.Background(), s, p, Options{Progress: func(phase string, done, total int) {
		assert.Equal(t, len(phases)+1, done)
		assert.Equal(t, 5, total)
		phases = append(phases, phase)
	}})
	require.NoError(t, err)
	assert.Equal(t, []string{"pillars", "propagation", "pagerank", "percentiles", "finalize"}, phases)
	assert.Positive(t, st.Total)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = ScoreSnapshot(ctx, s, p, Options{})
	assert.ErrorIs(t, err, context.Canceled)

	// Cancelled while running: stops after the current phase.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	var seen []string
	_, _, err = ScoreSnapshot(ctx, s, p, Options{Progress: func(phase string, _, _ int) {
		seen = append(seen, phase)
		if phase == "propagation" {
			cancel()
		}
	}})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, []string{"pillars", "propagation"}, seen)
}

func TestScoreSnapshotErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 9))
	s := randomSnapshot(t, rng, 20, 40, true)
	p, _ := Preset("sesame")
	ctx := context.Background()

	bad := p
	bad.Alpha = 1
	_, _, err := ScoreSnapshot(ctx, s, bad, Options{})
	var ve *graph.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "alpha", ve.Field)

	_, _, err = ScoreSnapshot(ctx, nil, p, Options{})
	assert.ErrorIs(t, err, graph.ErrInvalid)

	for name, mutate := range map[string]func(*graph.Snapshot){
		"records":        func(c *graph.Snapshot) { c.Records = c.Records[:5] },
		"offsets":        func(c *graph.Snapshot) { c.Offsets = c.Offsets[:5] },
		"target range":   func(c *graph.Snapshot) { c.Targets[0] = 20 },
		"weights length": func(c *graph.Snapshot) { c.Weights = c.Weights[:1] },
		"weight sign":    func(c *graph.Snapshot) { c.Weights[0] = -1 },
		"recruits":       func(c *graph.Snapshot) { c.RecruitTargets = append(c.RecruitTargets, 3) },
	} {
		t.Run(name, func(t *testing.T) {
			c := *s
			c.Targets = append([]int32(nil), s.Targets...)
			c.Weights = append([]float32(nil), s.Weights...)
			mutate(&c)
			_, _, err := ScoreSnapshot(ctx, &c, p, Options{})
			assert.ErrorIs(t, err, graph.ErrInvalid)
		})
	}

	empty, err := (&graph.SnapshotBuilder{}).Build(time.Time{})
	require.NoError(t, err)
	got, _, err := ScoreSnapshot(ctx, empty, p, Options{})
	require.NoError(t, err)
	assert.Empty(t, got)
	got, _, err = ScoreSnapshot(ctx, &graph.Snapshot{}, p, Options{})
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestToScore(t *testing.T) {
	// expected: math.Round (half away from zero), then clamped to [350, 950]
	for x, want := range map[float64]int{349.4: 350, -10: 350, 350.5: 351, 700.49: 700, 949.5: 950, 2000: 950, math.NaN(): 350} {
		assert.Equal(t, want, RoundScore(x), "%v", x)
	}
}
