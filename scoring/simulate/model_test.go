package simulate

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
	"github.com/socialscore/socialscore/scoring/netstat"
)

// requireSameScores checks the model's scores against scoring.ScoreSnapshot
// on the model's current network and records.
func requireSameScores(t *testing.T, m *Model) {
	t.Helper()
	snap := m.Snapshot()
	want, _, err := scoring.ScoreSnapshot(context.Background(), snap, m.pol, scoring.Options{})
	require.NoError(t, err)
	got := m.Results()
	require.Len(t, got, len(want))
	worst := 0.0
	for i := range want {
		require.Equal(t, want[i].ID, got[i].ID)
		worst = max(worst, math.Abs(want[i].Network-got[i].Network))
		require.InDelta(t, want[i].Base, got[i].Base, 1e-15, "person %d base", i)
		require.Equal(t, want[i].Score, got[i].Score, "person %d score (s %v vs %v)", i, want[i].Network, got[i].Network)
		require.Equal(t, want[i].Friends, got[i].Friends, "person %d friends", i)
		require.Equal(t, want[i].FriendMean, got[i].FriendMean, "person %d friend mean", i)
		require.Equal(t, want[i].Individual, got[i].Individual, "person %d individual", i)
		if m.pol.Centrality > 0 {
			require.Equal(t, want[i].Percentile, got[i].Percentile, "person %d percentile", i)
		}
	}
	// Local propagation leaves a residual of at most pushTol per row,
	// scoring.Propagate at most α/(1−α)·1e-10: both are within 1e-9 of
	// the fixed point.
	assert.Less(t, worst, 1e-9, "largest |s − s_ScoreSnapshot|")
}

// The incremental re-scoring gives what a full scoring run gives on the
// same network and records, for every preset (each exercises a different
// part: centrality, friend gates, friend-default penalty, no network).
func TestScoresMatchScoreSnapshot(t *testing.T) {
	for _, name := range scoring.PresetNames() {
		for _, mode := range []solveMode{solvePush, solveJacobi} {
			t.Run(name+"/"+mode.String(), func(t *testing.T) { testScoresMatch(t, name, mode) })
		}
	}
}

func testScoresMatch(t *testing.T, name string, mode solveMode) {
	cfg := testConfig(t, name, 1500, 4)
	cfg.PEffort = 0.3 // records change too
	cfg.PFormTie = 0.2
	cfg.MinGain = 0.5
	m, err := NewModel(context.Background(), cfg, nil, Options{})
	require.NoError(t, err)
	m.prop.mode = mode
	requireSameScores(t, m)
	dropped := 0
	for range cfg.Rounds {
		r, err := m.Step(context.Background())
		require.NoError(t, err)
		dropped += r.Dropped
		requireSameScores(t, m)
	}
	if m.pol.Alpha > 0 {
		assert.Positive(t, dropped, "the network changed")
	}
}

// On a weighted random network with recruitments and isolated people, a
// high alpha (slow propagation) and the threshold rule.
func TestScoresMatchScoreSnapshotWeighted(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	net := randomWeightedNetwork(t, rng, 800, 2400)
	require.NotNil(t, net.Weights)
	cfg := testConfig(t, scoring.PolicyLenddo, 0, 5)
	cfg.Policy.Alpha = 0.9
	cfg.DropRule = Threshold
	cfg.Threshold = 650
	cfg.PFormTie = 0.3
	cfg.PEffort = 0.2
	m, err := NewModel(context.Background(), cfg, net, Options{})
	require.NoError(t, err)
	requireSameScores(t, m)
	for range cfg.Rounds {
		r, err := m.Step(context.Background())
		require.NoError(t, err)
		assert.Positive(t, r.Dropped+r.Formed)
		requireSameScores(t, m)
	}
}

// The propagator against a fresh scoring.Propagate after random local
// edits, many times over: it must track the fixed point.
func TestPropagatorTracksFixedPoint(t *testing.T) {
	for _, mode := range []solveMode{solveAuto, solvePush, solveJacobi} {
		t.Run(mode.String(), func(t *testing.T) { testPropagator(t, mode) })
	}
}

func testPropagator(t *testing.T, mode solveMode) {
	rng := rand.New(rand.NewPCG(21, 22))
	net := randomWeightedNetwork(t, rng, 300, 900)
	for _, alpha := range []float64{0, 0.3, 0.75, 0.95} {
		cfg := testConfig(t, scoring.PolicySesame, 0, 1)
		cfg.Policy.Alpha = alpha
		m, err := NewModel(context.Background(), cfg, net, Options{})
		require.NoError(t, err)
		m.prop.mode = mode
		for it := 0; it < 15; it++ {
			clear(m.touched)
			for k := 0; k < 1+rng.IntN(5); k++ {
				u, v := int32(rng.IntN(m.n)), int32(rng.IntN(m.n))
				if u == v {
					continue
				}
				if _, found := slices.BinarySearch(m.adj[u], v); found {
					m.removeTie(u, v)
				} else {
					m.addTie(u, v)
				}
			}
			if rng.IntN(2) == 0 {
				m.records[rng.IntN(m.n)].BillsOnTime += 5
			}
			m.rebuildCSR()
			require.NoError(t, m.scoreAll(context.Background(), nil))
			snap := m.Snapshot()
			want, _, err := scoring.Propagate(context.Background(), snap, m.prop.b, alpha, 1)
			require.NoError(t, err)
			for i := range want {
				require.InDelta(t, want[i], m.prop.s[i], 1e-9, "alpha %v iteration %d person %d", alpha, it, i)
			}
		}
	}
}

// A simulation works on a copy: the network it is given is unchanged.
func TestNetworkNeverModified(t *testing.T) {
	net, err := SeededNetwork(1000, 5)
	require.NoError(t, err)
	before, err := SeededNetwork(1000, 5)
	require.NoError(t, err)
	cfg := testConfig(t, scoring.PolicyTencent, 0, 3)
	cfg.PEffort = 0.5
	cfg.PFormTie = 0.5
	m := runModel(t, cfg, net, cfg.Rounds)
	assert.Positive(t, m.last.Dropped+m.last.Formed+m.last.Effort)
	assert.Equal(t, before, net)
}

// The metrics are consistent with each other and with the model's state.
func TestMetricsInvariants(t *testing.T) {
	cfg := testConfig(t, scoring.PolicyFacebookLending, 2000, 4)
	cfg.Policy.Alpha = 0.5
	cfg.PFormTie = 0.2
	c, perks, err := Run(context.Background(), cfg, nil, RunOptions{})
	require.NoError(t, err)
	require.Len(t, c.Rows, cfg.Rounds+1, "step 0 and one row per round")
	assert.Equal(t, []string{"small_loan", "standard_loan", "large_loan", "premium_loan"}, perks)
	fr, dr, fo := c.Series(MetricFriendships), c.Series(MetricTiesDropped), c.Series(MetricTiesFormed)
	assert.Zero(t, dr[0])
	assert.Zero(t, fo[0])
	for r := 1; r <= cfg.Rounds; r++ {
		assert.Equal(t, fr[r-1]-dr[r]+fo[r], fr[r], "round %d: friendships = before − dropped + formed", r)
	}
	for _, name := range c.Names {
		for t2, v := range c.Series(name) {
			assert.False(t, math.IsInf(v, 0), "%s step %d", name, t2)
		}
	}
	assert.Len(t, c.Names, 11+4+3*Deciles+4*Deciles)
}

// Per-decile perk shares are Policy.PerksOf over each decile.
func TestPerkMetricsArePerksOf(t *testing.T) {
	cfg := testConfig(t, scoring.PolicyFacebookLending, 1500, 2)
	cfg.Policy.Alpha = 0.4
	m := runModel(t, cfg, nil, 2)
	ms := m.Metrics()
	get := func(name string) float64 {
		i := slices.IndexFunc(ms, func(x Metric) bool { return x.Name == name })
		require.GreaterOrEqual(t, i, 0, name)
		return ms[i].Value
	}
	res := m.Results()
	for k, perk := range m.pol.Perks {
		for d := 0; d < Deciles; d++ {
			var in, elig int
			for i, r := range res {
				if m.startDecile[i] != int8(d) {
					continue
				}
				in++
				if slices.Contains(m.pol.PerksOf(r.Score, r.Friends, r.FriendMean), perk.Name) {
					elig++
				}
			}
			assert.InDelta(t, float64(elig)/float64(in), get(PerkDecileMetric(k+1, d)), 1e-12, "%s decile %d", perk.Name, d)
		}
	}
	scores := make([]float64, len(res))
	for i, r := range res {
		scores[i] = float64(r.Score)
	}
	assert.InDelta(t, netstat.Assortativity(m.offsets, m.targets, scores), get(MetricAssortativity), 1e-15)
	assert.InDelta(t, netstat.Gini(scores), get(MetricScoreGini), 1e-15)
}

// The rules drop only low friends who pull the dropper's score down, from
// people whose friends cost them points, and threshold only those below
// the threshold; the cap holds.
func TestDropRulesPickLowFriends(t *testing.T) {
	for _, rule := range []DropRule{Threshold, Relative, BestResponse} {
		t.Run(string(rule), func(t *testing.T) {
			cfg := testConfig(t, scoring.PolicyTencent, 1500, 1)
			cfg.DropRule = rule
			cfg.Threshold = 680
			cfg.Margin = 30
			cfg.PHighDropsLow, cfg.PLowDropsLow = 1, 1
			cfg.FullCost = 0 // the full probability, 1, whenever friends cost anything
			cfg.MaxDropsPerRound = 1
			m, err := NewModel(context.Background(), cfg, nil, Options{})
			require.NoError(t, err)
			m.classifyLow()
			drops := m.decideDrops()
			require.NotEmpty(t, drops)
			per := map[int32]int{}
			for _, d := range drops {
				_, isFriend := slices.BinarySearch(m.adj[d.u], d.v)
				require.True(t, isFriend, "%d drops %d", d.u, d.v)
				require.True(t, m.low[d.v], "%d drops %d, who is not low", d.u, d.v)
				require.True(t, m.wouldPick(d.u, d.v), "%d drops %d, whom the rule does not pick", d.u, d.v)
				if rule == Threshold {
					require.Less(t, int(m.score[d.v]), cfg.Threshold)
				}
				per[d.u]++
				require.LessOrEqual(t, per[d.u], cfg.MaxDropsPerRound, "cap")
			}
			// With probability 1 and a cap of 1, everyone whom the rule
			// gives a low friend to drop drops exactly one.
			for u := range m.n {
				has := slices.ContainsFunc(m.adj[u], func(v int32) bool { return m.low[v] && m.wouldPick(int32(u), v) })
				assert.Equal(t, has, per[int32(u)] == 1, "person %d", u)
			}
		})
	}
}

// pointsWithout is u's score points, before rounding and without the
// PageRank part, by the one-step estimate of the package doc, with u's
// friends except those in without (all friends gone: b_u alone, no
// penalty). It is written from the doc's formula, apart from the model's
// bestResponse.
func (m *Model) pointsWithout(u int32, without ...int32) float64 {
	alpha, c := m.pol.Alpha, m.pol.Centrality
	var sumW, sumWS float64
	defaults := 0
	for k, v := range m.adj[u] {
		if slices.Contains(without, v) {
			continue
		}
		w := 1.0
		if m.wts != nil {
			w = float64(m.wts[u][k])
		}
		sumW += w
		sumWS += w * m.prop.s[v]
		if m.records[v].Defaults > 0 {
			defaults++
		}
	}
	b := m.prop.b[u]
	if sumW == 0 {
		return scoring.Span * (1 - c) * b
	}
	pts := scoring.Span * (1 - c) * ((1-alpha)*b + alpha*sumWS/sumW)
	return pts - min(m.pol.FriendDefaultCap, m.pol.FriendDefaultPenalty*float64(defaults))
}

// friendCost is what u's friends cost u: points with none minus points
// with all.
func (m *Model) friendCost(u int32) float64 {
	return m.pointsWithout(u, m.adj[u]...) - m.pointsWithout(u)
}

// wouldPick reports whether u, at full stake, would drop low friend v
// alone: u's friends cost u points, v pulls u's score down (for
// best_response by at least MinGain) and u's rule marks v.
func (m *Model) wouldPick(u, v int32) bool {
	gain := m.pointsWithout(u, v) - m.pointsWithout(u)
	if !(m.friendCost(u) > 0) || !(gain > 0) {
		return false
	}
	switch m.cfg.DropRule {
	case Threshold:
		return int(m.score[v]) < m.cfg.Threshold
	case Relative:
		return int(m.score[v]) < int(m.score[u])-m.cfg.Margin
	}
	return gain >= m.cfg.MinGain
}

// With FullCost > 0, each friend picked is dropped with probability
// p·q, q = min(1, cost/FullCost), the person's stake: with p = 1 and a cap
// of 1, a person with k friends to drop drops one with probability
// 1 − (1−q)^k, so the number of people who drop is a sum of independent
// Bernoulli draws with those probabilities. The count must lie within 4
// standard deviations of that sum's mean, and well below the count at
// full stake (everyone with a friend to drop).
func TestStakeScalesDrops(t *testing.T) {
	cfg := testConfig(t, scoring.PolicyTencent, 3000, 1)
	cfg.PHighDropsLow, cfg.PLowDropsLow = 1, 1
	cfg.MaxDropsPerRound = 1
	cfg.FullCost = 80
	m, err := NewModel(context.Background(), cfg, nil, Options{})
	require.NoError(t, err)
	m.classifyLow()
	var mean, variance float64
	eligible := 0
	for u := range int32(m.n) {
		k := 0
		for _, v := range m.adj[u] {
			if m.low[v] && m.wouldPick(u, v) {
				k++
			}
		}
		if k == 0 {
			continue
		}
		eligible++
		q := 1 - math.Pow(1-min(1, m.friendCost(u)/cfg.FullCost), float64(k))
		mean += q
		variance += q * (1 - q)
	}
	droppers := map[int32]bool{}
	for _, d := range m.decideDrops() {
		droppers[d.u] = true
	}
	t.Logf("%d people have a friend to drop; expected %.1f ± %.1f droppers, got %d", eligible, mean, math.Sqrt(variance), len(droppers))
	require.Greater(t, eligible, 200)
	assert.InDelta(t, mean, float64(len(droppers)), 4*math.Sqrt(variance))
	assert.Less(t, mean, 0.9*float64(eligible), "stakes below 1 matter here")
}

// Under baseline (no network effect) nobody's friends cost them anything,
// so no rule drops anyone, even at probability 1 with the full stake at
// any cost; the same people under contagion do drop.
func TestNoRuleDropsUnderBaseline(t *testing.T) {
	for _, rule := range []DropRule{Threshold, Relative, BestResponse} {
		t.Run(string(rule), func(t *testing.T) {
			cfg := testConfig(t, scoring.PolicyBaseline, 1500, 2)
			cfg.DropRule = rule
			cfg.Threshold = 700
			cfg.Margin = 10
			cfg.MinGain = 0
			cfg.FullCost = 0
			cfg.PHighDropsLow, cfg.PLowDropsLow = 1, 1
			c, _, err := Run(context.Background(), cfg, nil, RunOptions{})
			require.NoError(t, err)
			assert.Equal(t, []float64{0, 0, 0}, c.Series(MetricTiesDropped))

			cfg.Policy.Alpha = 0.3
			c, _, err = Run(context.Background(), cfg, nil, RunOptions{})
			require.NoError(t, err)
			assert.Positive(t, c.Series(MetricTiesDropped)[1])
		})
	}
}

func TestNewModelErrors(t *testing.T) {
	net, err := SeededNetwork(50, 1)
	require.NoError(t, err)
	cfg := testConfig(t, scoring.PolicySesame, 50, 1)
	_, err = NewModel(context.Background(), cfg, net, Options{})
	assert.ErrorIs(t, err, graph.ErrInvalid, "people and a network")
	cfg.People = 0
	_, err = NewModel(context.Background(), cfg, nil, Options{})
	assert.ErrorIs(t, err, graph.ErrInvalid, "neither")
	_, err = NewModel(context.Background(), cfg, &graph.Snapshot{Offsets: []int32{0}}, Options{})
	assert.ErrorIs(t, err, graph.ErrInvalid, "empty network")
	bad := *net
	bad.Targets = slices.Clone(net.Targets)
	bad.Targets[0] = 10_000
	_, err = NewModel(context.Background(), cfg, &bad, Options{})
	assert.ErrorIs(t, err, graph.ErrInvalid, "target out of range")

	ctx, cancel := context.WithCancel(context.Background())
	m, err := NewModel(ctx, cfg, net, Options{})
	require.NoError(t, err)
	cancel()
	_, err = m.Step(ctx)
	assert.ErrorIs(t, err, context.Canceled)
}

// The low cut is the step-0 individual score (or score, low_on) with the
// bottom low_quantile below it, and it stays put while scores move.
func TestLowCut(t *testing.T) {
	for _, on := range []LowOn{LowOnIndividual, LowOnScore} {
		t.Run(string(on), func(t *testing.T) {
			cfg := testConfig(t, scoring.PolicyTencent, 3000, 3)
			cfg.LowOn = on
			m, err := NewModel(context.Background(), cfg, nil, Options{})
			require.NoError(t, err)
			key := func(r graph.Result) int {
				if on == LowOnScore {
					return r.Score
				}
				return r.Individual
			}
			cut := m.LowCut()
			below, at := 0, 0
			for _, r := range m.Results() {
				switch {
				case key(r) < cut:
					below++
				case key(r) == cut:
					at++
				}
			}
			n := float64(m.n)
			// Mid-rank rule: scores below the cut have percentile < q, the
			// cut's own has ≥ q.
			assert.Less(t, float64(below), cfg.LowQuantile*n+0.5*float64(at)+1e-9)
			assert.GreaterOrEqual(t, float64(below)+0.5*float64(at), cfg.LowQuantile*n)
			assert.InDelta(t, cfg.LowQuantile, float64(below)/n, 0.02)
			for range cfg.Rounds {
				_, err := m.Step(context.Background())
				require.NoError(t, err)
				assert.Equal(t, cut, m.LowCut())
				m.classifyLow()
				for i, r := range m.Results() {
					require.Equal(t, key(r) < cut, m.low[i], "person %d", i)
				}
			}

			cfg.LowQuantile, cfg.LowScore = 0, 640
			m, err = NewModel(context.Background(), cfg, nil, Options{})
			require.NoError(t, err)
			assert.Equal(t, 640, m.LowCut())
		})
	}
}
