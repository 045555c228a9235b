package simulate

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/scoring"
)

// readmeAxes is the README's policy-lab grid: α crossed with baseline,
// sesame and tencent.
func readmeAxes() []Axis {
	return []Axis{
		{Field: "alpha", Values: []string{"0", "0.25", "0.5", "0.75"}},
		{Field: "policy", Values: []string{"baseline", "sesame", "tencent"}},
	}
}

// Issue 14: crossing alpha with policy=baseline,... ran "baseline" with
// contagion, and those runs dropped ties. Every run that says baseline is
// now baseline (α = 0, centrality 0, no penalty) and drops nothing; the
// points that would not be are left out, with the reason; the others say
// what their axes override.
func TestSweepBaselineIsBaseline(t *testing.T) {
	sw := Sweep{Base: testConfig(t, scoring.PolicyTencent, 600, 3), Replicates: 2, Axes: readmeAxes()}
	res, err := RunSweep(context.Background(), sw, nil, SweepOptions{})
	require.NoError(t, err)

	baselines, dropping := 0, 0
	for p, pt := range res.Points {
		var dropped float64
		for _, c := range res.Runs[p] {
			for _, v := range c.Series(MetricTiesDropped) {
				dropped += v
			}
		}
		if pt.Values[1] != scoring.PolicyBaseline {
			if dropped > 0 {
				dropping++
			}
			continue
		}
		baselines++
		pol := pt.Config.Policy
		assert.Zero(t, pol.Alpha, pt.Label)
		assert.Zero(t, pol.Centrality, pt.Label)
		assert.Zero(t, pol.FriendDefaultPenalty, pt.Label)
		assert.Zero(t, dropped, "%s: baseline drops no tie", pt.Label)
	}
	assert.Equal(t, 1, baselines, "baseline runs once, at α = 0")
	assert.Positive(t, dropping, "other points do drop ties: the check above can fail")
	assert.Len(t, res.Points, 9)

	var skipped []string
	for _, s := range res.Skipped {
		skipped = append(skipped, s.Label)
		assert.Contains(t, s.Reason, "baseline is the policy without a network effect")
	}
	assert.Equal(t, []string{"alpha=0.25,policy=baseline", "alpha=0.5,policy=baseline", "alpha=0.75,policy=baseline"}, skipped)

	desc := map[string]string{}
	for _, pt := range res.Points {
		desc[pt.Label] = pt.Description
	}
	assert.Equal(t, "baseline, α = 0", desc["alpha=0,policy=baseline"])
	assert.Equal(t, "sesame, α = 0.5 (preset: 0.15)", desc["alpha=0.5,policy=sesame"])
	assert.Equal(t, "tencent, α = 0.5", desc["alpha=0.5,policy=tencent"], "the preset's own value: nothing overridden")
	assert.Equal(t, "tencent, α = 0 (preset: 0.5)", desc["alpha=0,policy=tencent"])

	sum := Summarize(res)
	assert.Equal(t, res.Skipped, sum.Skipped)
	assert.Equal(t, "baseline, α = 0", sum.Runs[0].Description)
	require.Equal(t, EffectTiesDropped, sum.Runs[0].Effects[0].Name)
	assert.Zero(t, float64(sum.Runs[0].Effects[0].Mean), "the summary table's baseline row: zero ties dropped")
}

// A sweep that can only run baseline with a network effect is rejected,
// naming where.
func TestSweepBaselineRejected(t *testing.T) {
	base := testConfig(t, scoring.PolicyBaseline, 300, 2)
	for _, tc := range []struct {
		name  string
		axes  []Axis
		field string
	}{
		{"base policy baseline", []Axis{{Field: "alpha", Values: []string{"0", "0.5"}}}, "axes/0"},
		{"baseline alone", []Axis{{Field: "policy", Values: []string{"baseline"}}, {Field: "centrality", Values: []string{"0.1"}}}, "axes/1"},
		{"penalty", []Axis{{Field: "policy.friend_default_penalty", Values: []string{"10"}}, {Field: "policy.friend_default_cap", Values: []string{"60"}}}, "axes/0"},
		{"no alpha 0", []Axis{{Field: "alpha", Values: []string{"0.25", "0.5"}}, {Field: "policy", Values: []string{"baseline", "sesame"}}}, "axes/1/values/0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Sweep{Base: base, Replicates: 1, Axes: tc.axes}.Validate()
			requireField(t, err, tc.field)
			assert.ErrorContains(t, err, "baseline")
		})
	}
	// Baseline's other fields may be swept: it stays without network
	// effect, and the label says what changed.
	pts, err := Sweep{Base: base, Replicates: 1, Axes: []Axis{{Field: "policy.weights.credit", Values: []string{"0.45"}},
		{Field: "policy.weights.purchase", Values: []string{"0.15"}}}}.Points()
	require.NoError(t, err)
	require.Len(t, pts, 1)
	assert.Equal(t, "baseline, weights.credit = 0.45 (preset: 0.35), weights.purchase = 0.15 (preset: 0.25)", pts[0].Description)
	// α = 0 alone is baseline itself.
	pts, err = Sweep{Base: base, Replicates: 1, Axes: []Axis{{Field: "alpha", Values: []string{"0"}}}}.Points()
	require.NoError(t, err)
	assert.Equal(t, "baseline, α = 0", pts[0].Description)
}
