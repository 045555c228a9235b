package simulate

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/scoring"
)

// Under the baseline policy (α = 0, centrality 0, no friend-default
// penalty) a person's score depends on their own record only, so nobody's
// friends cost them anything and dropping a friend never raises a score:
// under every rule nobody drops anyone, in any round of any replicate,
// even when everyone would drop every friend who gains them anything
// (probabilities 1, min_gain 0, full stake at any cost, a high cap, a
// threshold above most scores, a small margin).
func TestBaselineNobodyDrops(t *testing.T) {
	for _, rule := range []DropRule{BestResponse, Relative, Threshold} {
		t.Run(string(rule), func(t *testing.T) {
			base := testConfig(t, scoring.PolicyBaseline, 2000, 4)
			base.DropRule = rule
			base.PHighDropsLow, base.PLowDropsLow = 1, 1
			base.MinGain, base.FullCost = 0, 0
			base.Threshold, base.Margin = 700, 10
			base.MaxDropsPerRound = 10
			base.PFormTie = 0.2 // the network still changes
			sw := Sweep{Base: base, Replicates: 3}
			res, err := RunSweep(context.Background(), sw, nil, SweepOptions{})
			require.NoError(t, err)
			formed := 0.0
			for r, c := range res.Runs[0] {
				assert.Equal(t, make([]float64, base.Rounds+1), c.Series(MetricTiesDropped), "replicate %d", r)
				for _, x := range c.Series(MetricTiesFormed) {
					formed += x
				}
			}
			assert.Positive(t, formed, "ties were formed, so decisions were made on a changing network")

			// The same behaviour with contagion drops plenty: the zero
			// above is the policy's doing, not a model that never drops.
			sw.Base.Policy.Alpha = 0.25
			res, err = RunSweep(context.Background(), sw, nil, SweepOptions{})
			require.NoError(t, err)
			assert.Greater(t, res.Runs[0][0].Series(MetricTiesDropped)[1], 100.0)
		})
	}
}

// effect is one measure of a run, computed from its collector.
type effect func(c *Collector) float64

var (
	// totalDropped: ties dropped over all rounds.
	totalDropped effect = func(c *Collector) float64 {
		s := 0.0
		for _, x := range c.Series(MetricTiesDropped) {
			s += x
		}
		return s
	}
	// assortRise: score assortativity at the end minus at step 0.
	assortRise effect = func(c *Collector) float64 {
		a := c.Series(MetricAssortativity)
		return a[len(a)-1] - a[0]
	}
	// degreeGap: the relative change of the low starting deciles' (the
	// bottom three) mean degree minus the high ones' (the top three);
	// negative: the low lost more.
	degreeGap effect = func(c *Collector) float64 {
		l0, l1 := decileMeans(c, MetricDegreeMeanDecile, 0, 2)
		h0, h1 := decileMeans(c, MetricDegreeMeanDecile, 7, 9)
		return l1/l0 - h1/h0
	}
	// perkGap: the change of the low starting deciles' mean number of
	// perk tiers minus the high ones'; negative: the low lost more.
	perkGap effect = func(c *Collector) float64 {
		l0, l1 := decileMeans(c, MetricPerksMeanDecile, 0, 2)
		h0, h1 := decileMeans(c, MetricPerksMeanDecile, 7, 9)
		return (l1 - l0) - (h1 - h0)
	}
)

// decileMeans returns the mean over starting deciles lo..hi of a
// per-decile metric, at step 0 and at the end.
func decileMeans(c *Collector, metric string, lo, hi int) (first, last float64) {
	k := float64(hi - lo + 1)
	for d := lo; d <= hi; d++ {
		s := c.Series(DecileMetric(metric, d))
		first += s[0] / k
		last += s[len(s)-1] / k
	}
	return first, last
}

// meanOf returns the mean of the effect over a point's replicates and its
// 95% interval.
func meanOf(res *SweepResult, p int, e effect) (mean, lo, hi float64) {
	var xs []float64
	for _, c := range res.Runs[p] {
		xs = append(xs, e(c))
	}
	return MeanInterval(xs)
}

// The paper's predictions as contagion strength α grows (0, 0.25, 0.5,
// 0.75; best response, the default rule; 2,000 seeded people, 6 rounds, 5
// replicates each; effort is off so that it does not mask what dropping
// does to the low deciles), on the sesame and tencent presets.
//
// With any contagion, compared with none: ties are dropped, score
// assortativity rises, and the low starting deciles (the bottom three)
// lose degree and perks relative to the high ones (the top three), each
// with a 95% interval clear of the no-contagion one.
//
// As α grows, more ties are dropped and assortativity rises more, each
// step with intervals apart (for ties dropped) or a higher mean. Under
// sesame the low deciles' loss of perks relative to the high ones also
// grows at every step. Their relative loss of degree does not keep
// growing: once contagion is strong, low scores cluster, and the low
// deciles' friends are mostly low themselves, with little to gain from
// dropping them (package doc, "What the model predicts").
func TestContagionPredictions(t *testing.T) {
	for _, policy := range []string{scoring.PolicySesame, scoring.PolicyTencent} {
		t.Run(policy, func(t *testing.T) { testContagionPredictions(t, policy) })
	}
}

func testContagionPredictions(t *testing.T, policy string) {
	base := testConfig(t, policy, 2000, 6)
	base.PEffort = 0
	sw := Sweep{Base: base, Axes: []Axis{{Field: "alpha", Values: []string{"0", "0.25", "0.5", "0.75"}}}, Replicates: 5}
	res, err := RunSweep(context.Background(), sw, nil, SweepOptions{})
	require.NoError(t, err)
	require.Len(t, res.Points, 4)
	const a0, a25, a50, a75 = 0, 1, 2, 3

	type row struct{ mean, lo, hi float64 }
	measure := func(e effect) []row {
		out := make([]row, len(res.Points))
		for p := range res.Points {
			out[p].mean, out[p].lo, out[p].hi = meanOf(res, p, e)
		}
		return out
	}
	drops, assort, deg, perk := measure(totalDropped), measure(assortRise), measure(degreeGap), measure(perkGap)
	for p, pt := range res.Points {
		t.Logf("%-10s dropped %6.0f [%6.0f,%6.0f]  assortativity rise %+.3f [%+.3f,%+.3f]  degree gap %+.3f [%+.3f,%+.3f]  perk gap %+.3f [%+.3f,%+.3f]",
			pt.Label, drops[p].mean, drops[p].lo, drops[p].hi, assort[p].mean, assort[p].lo, assort[p].hi,
			deg[p].mean, deg[p].lo, deg[p].hi, perk[p].mean, perk[p].lo, perk[p].hi)
	}

	t.Run("no contagion: no drops, no change", func(t *testing.T) {
		assert.Zero(t, drops[a0].mean)
		assert.InDelta(t, 0, assort[a0].mean, 0.02)
		assert.InDelta(t, 0, deg[a0].mean, 0.02)
		assert.InDelta(t, 0, perk[a0].mean, 0.02)
	})
	t.Run("any contagion against none", func(t *testing.T) {
		for _, p := range []int{a25, a50, a75} {
			label := res.Points[p].Label
			assert.Greater(t, drops[p].lo, 0.15*float64(base.People), "%s: ties dropped", label)
			assert.Greater(t, assort[p].lo, assort[a0].hi+0.03, "%s: assortativity rises", label)
			assert.Less(t, deg[p].hi, deg[a0].lo-0.015, "%s: the low deciles lose degree relative to the high", label)
			assert.Less(t, perk[p].hi, perk[a0].lo, "%s: the low deciles lose perks relative to the high", label)
		}
	})
	t.Run("growing contagion", func(t *testing.T) {
		assert.Greater(t, drops[a50].lo, drops[a25].hi, "more ties are dropped at 0.5 than at 0.25")
		assert.Greater(t, drops[a75].lo, drops[a50].hi, "and at 0.75 than at 0.5")
		assert.Greater(t, assort[a50].lo, assort[a25].hi, "assortativity rises more at 0.5 than at 0.25")
		assert.Greater(t, assort[a75].mean, assort[a50].mean, "and more at 0.75")
		if policy == scoring.PolicySesame {
			assert.Less(t, perk[a50].hi, perk[a25].lo, "the low deciles lose more perks at 0.5 than at 0.25")
			assert.Less(t, perk[a75].hi, perk[a50].lo, "and more at 0.75")
		}
	})
}
