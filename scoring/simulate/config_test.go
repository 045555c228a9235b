package simulate

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

func requireField(t *testing.T, err error, field string) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, graph.ErrInvalid)
	var ve *graph.ValidationError
	require.True(t, errors.As(err, &ve), "%v is a *graph.ValidationError", err)
	assert.Equal(t, field, ve.Field, "%v", err)
}

func TestDefaultConfigValid(t *testing.T) {
	require.NoError(t, DefaultConfig().Validate())
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mod   func(*Config)
		field string
	}{
		{"zero rounds", func(c *Config) { c.Rounds = 0 }, "rounds"},
		{"too many rounds", func(c *Config) { c.Rounds = MaxRounds + 1 }, "rounds"},
		{"negative people", func(c *Config) { c.People = -1 }, "people"},
		{"negative p_high_drops_low", func(c *Config) { c.PHighDropsLow = -0.1 }, "p_high_drops_low"},
		{"negative p_low_drops_low", func(c *Config) { c.PLowDropsLow = -1 }, "p_low_drops_low"},
		{"p_form_tie above 1", func(c *Config) { c.PFormTie = 1.5 }, "p_form_tie"},
		{"negative p_effort", func(c *Config) { c.PEffort = -0.01 }, "p_effort"},
		{"NaN probability", func(c *Config) { c.PEffort = nanValue }, "p_effort"},
		{"unknown rule", func(c *Config) { c.DropRule = "grudge" }, "drop_rule"},
		{"negative margin", func(c *Config) { c.Margin = -5 }, "margin"},
		{"negative threshold", func(c *Config) { c.Threshold = -5 }, "threshold"},
		{"negative min gain", func(c *Config) { c.MinGain = -1 }, "min_gain"},
		{"negative cap", func(c *Config) { c.MaxDropsPerRound = -1 }, "max_drops_per_round"},
		{"negative full cost", func(c *Config) { c.FullCost = -1 }, "full_cost"},
		{"full cost above the scale", func(c *Config) { c.FullCost = 601 }, "full_cost"},
		{"NaN full cost", func(c *Config) { c.FullCost = nanValue }, "full_cost"},
		{"unknown low_on", func(c *Config) { c.LowOn = "friends" }, "low_on"},
		{"empty low_on", func(c *Config) { c.LowOn = "" }, "low_on"},
		{"negative bias", func(c *Config) { c.FormBias = -1 }, "form_bias"},
		{"negative effort", func(c *Config) { c.EffortSize = -1 }, "effort_size"},
		{"both low cuts", func(c *Config) { c.LowScore = 600 }, "low_score"},
		{"no low cut", func(c *Config) { c.LowQuantile = 0 }, "low_score"},
		{"quantile 1", func(c *Config) { c.LowQuantile = 1 }, "low_quantile"},
		{"no policy", func(c *Config) { c.Policy = PolicySpec{} }, "policy"},
		{"bad policy alpha", func(c *Config) { c.Policy.Alpha = 1 }, "policy/alpha"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mod(&c)
			requireField(t, c.Validate(), tc.field)
		})
	}
}

func TestDecodeConfig(t *testing.T) {
	c, err := DecodeConfig(strings.NewReader(`{"policy": "tencent", "rounds": 3, "drop_rule": "relative"}`))
	require.NoError(t, err)
	assert.Equal(t, scoring.PolicyTencent, c.Policy.Name)
	assert.Equal(t, 0.5, c.Policy.Alpha)
	assert.Equal(t, 3, c.Rounds)
	assert.Equal(t, Relative, c.DropRule)
	assert.Equal(t, DefaultConfig().PFormTie, c.PFormTie, "omitted fields keep defaults")

	// A whole policy object.
	p, _ := scoring.Preset(scoring.PolicySesame)
	p.Name = "custom"
	p.Alpha = 0.33
	pj, err := PolicySpec{p}.MarshalJSON()
	require.NoError(t, err)
	c, err = DecodeConfig(strings.NewReader(`{"policy": ` + string(pj) + `}`))
	require.NoError(t, err)
	assert.Equal(t, p, c.Policy.Policy)

	for _, tc := range []struct {
		name, body, field string
	}{
		{"unknown field", `{"rounds": 3, "roundz": 4}`, "roundz"},
		{"unknown policy", `{"policy": "alibaba"}`, "policy"},
		{"unknown policy field", `{"policy": {"name": "x", "alfa": 0.1}}`, "policy/alfa"},
		{"policy breaks a rule", `{"policy": {"name": "x", "alpha": 0.5}}`, "policy/weights"},
		{"zero rounds", `{"rounds": 0}`, "rounds"},
		{"negative probability", `{"p_high_drops_low": -0.5}`, "p_high_drops_low"},
		{"wrong type", `{"rounds": "ten"}`, "rounds"},
		{"policy field of the wrong type", `{"policy": {"name": "x", "alpha": "0.5"}}`, "policy/alpha"},
		{"policy key in another case", `{"policy": {"name": "x", "Alpha": 0.5}}`, "policy/Alpha"},
		{"repeated key", `{"rounds": 3, "rounds": 4}`, "rounds"},
		{"trailing data", `{"rounds": 3} {}`, "body"},
		{"empty", ``, "body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeConfig(strings.NewReader(tc.body))
			requireField(t, err, tc.field)
		})
	}
}

func TestConfigSet(t *testing.T) {
	c := DefaultConfig()
	require.NoError(t, c.Set("p_form_tie", "0.3"))
	require.NoError(t, c.Set("drop_rule", "threshold"))
	require.NoError(t, c.Set("alpha", "0.4"))
	require.NoError(t, c.Set("policy.weights.credit", "0.4"))
	require.NoError(t, c.Set("seed", "18446744073709551615"))
	require.NoError(t, c.Set("policy", "tencent"))
	assert.Equal(t, 0.3, c.PFormTie)
	assert.Equal(t, Threshold, c.DropRule)
	assert.Equal(t, uint64(18446744073709551615), c.Seed)
	assert.Equal(t, scoring.PolicyTencent, c.Policy.Name, "policy replaced as a whole")

	require.NoError(t, c.Set("low_score", "600"))
	assert.Equal(t, 600, c.LowScore)
	assert.Zero(t, c.LowQuantile, "low_score replaces low_quantile")
	require.NoError(t, c.Set("low_quantile", "0.2"))
	assert.Zero(t, c.LowScore)
	require.NoError(t, c.Validate())

	requireField(t, c.Set("p_fromtie", "1"), "p_fromtie")
	requireField(t, c.Set("policy.alfa", "1"), "policy.alfa")
	requireField(t, c.Set("rounds", "ten"), "rounds")
	requireField(t, c.Set("p_effort", "NaN"), "p_effort")
	requireField(t, c.Set("policy", "alibaba"), "policy")
	requireField(t, c.Set("policy.perks", "x"), "policy.perks")
}

func TestSweepPoints(t *testing.T) {
	base := DefaultConfig()
	sw := Sweep{Base: base, Replicates: 2, Axes: []Axis{
		{Field: "alpha", Values: []string{"0", "0.25"}},
		{Field: "policy", Values: []string{"sesame", "tencent"}},
	}}
	pts, err := sw.Points()
	require.NoError(t, err)
	var labels []string
	for _, p := range pts {
		labels = append(labels, p.Label)
		require.NoError(t, p.Config.Validate())
	}
	assert.Equal(t, []string{"alpha=0,policy=sesame", "alpha=0,policy=tencent", "alpha=0.25,policy=sesame", "alpha=0.25,policy=tencent"}, labels)
	// policy is applied before alpha whatever the axis order.
	assert.Equal(t, scoring.PolicyTencent, pts[3].Config.Policy.Name)
	assert.Equal(t, 0.25, pts[3].Config.Policy.Alpha)
	assert.Equal(t, 0.0, pts[1].Config.Policy.Alpha)

	one, err := Sweep{Base: base, Replicates: 1}.Points()
	require.NoError(t, err)
	require.Len(t, one, 1)
	assert.Equal(t, "base", one[0].Label)

	for _, tc := range []struct {
		name  string
		sw    Sweep
		field string
	}{
		{"unknown field", Sweep{Base: base, Replicates: 1, Axes: []Axis{{Field: "contagion", Values: []string{"1"}}}}, "axes/0/field"},
		{"unknown policy field", Sweep{Base: base, Replicates: 1, Axes: []Axis{{Field: "policy.contagion", Values: []string{"1"}}}}, "axes/0/field"},
		{"unknown policy", Sweep{Base: base, Replicates: 1, Axes: []Axis{{Field: "policy", Values: []string{"sesame", "alibaba"}}}}, "policy"},
		{"bad value", Sweep{Base: base, Replicates: 1, Axes: []Axis{{Field: "p_effort", Values: []string{"0.1", "-0.1"}}}}, "p_effort"},
		{"not a number", Sweep{Base: base, Replicates: 1, Axes: []Axis{{Field: "rounds", Values: []string{"many"}}}}, "rounds"},
		{"zero rounds", Sweep{Base: base, Replicates: 1, Axes: []Axis{{Field: "rounds", Values: []string{"0"}}}}, "rounds"},
		{"no values", Sweep{Base: base, Replicates: 1, Axes: []Axis{{Field: "rounds"}}}, "axes/0/values"},
		{"repeated value", Sweep{Base: base, Replicates: 1, Axes: []Axis{{Field: "rounds", Values: []string{"1", "1"}}}}, "axes/0/values/1"},
		{"swept twice", Sweep{Base: base, Replicates: 1, Axes: []Axis{{Field: "alpha", Values: []string{"0"}}, {Field: "policy.alpha", Values: []string{"0"}}}}, "axes/1/field"},
		{"zero replicates", Sweep{Base: base}, "replicates"},
		{"too many runs", Sweep{Base: base, Replicates: MaxReplicates, Axes: []Axis{{Field: "rounds", Values: []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"}}}}, "axes"},
		{"bad base", Sweep{Base: Config{}, Replicates: 1}, "base/policy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireField(t, tc.sw.Validate(), tc.field)
		})
	}
}

func TestDecodeSweep(t *testing.T) {
	sw, err := DecodeSweep(strings.NewReader(`{
		"base": {"policy": "sesame", "rounds": 5, "people": 2000},
		"axes": [{"field": "alpha", "values": [0, 0.25, "0.5"]}, {"field": "drop_rule", "values": ["threshold"]}],
		"replicates": 3}`))
	require.NoError(t, err)
	assert.Equal(t, []string{"0", "0.25", "0.5"}, sw.Axes[0].Values)
	assert.Equal(t, 3, sw.Replicates)
	assert.Equal(t, 2000, sw.Base.People)

	sw, err = DecodeSweep(strings.NewReader(`{"base": {"rounds": 2}}`))
	require.NoError(t, err)
	assert.Equal(t, 1, sw.Replicates, "a run: one replicate by default")

	_, err = DecodeSweep(strings.NewReader(`{"base": {"rounds": 2}, "replicas": 3}`))
	requireField(t, err, "replicas")
	_, err = DecodeSweep(strings.NewReader(`{"base": {"rounds": 2, "p_form_tie": -1}}`))
	requireField(t, err, "base/p_form_tie")
	_, err = DecodeSweep(strings.NewReader(`{"axes": [{"field": "alpha", "values": [{}]}]}`))
	require.ErrorIs(t, err, graph.ErrInvalid)
	_, err = DecodeSweep(strings.NewReader(`{"axes": [{"field": "alfa", "values": [1]}]}`))
	requireField(t, err, "axes/0/field")
	assert.ErrorContains(t, err, `"alfa"`)
}

func TestParseAxis(t *testing.T) {
	a, err := ParseAxis("alpha=0, 0.25,0.5")
	require.NoError(t, err)
	assert.Equal(t, Axis{Field: "alpha", Values: []string{"0", "0.25", "0.5"}}, a)
	for _, bad := range []string{"alpha", "=1,2", "alpha=", ""} {
		_, err := ParseAxis(bad)
		assert.ErrorIs(t, err, graph.ErrInvalid, bad)
	}
}

func TestReplicateSeed(t *testing.T) {
	assert.Equal(t, uint64(42), ReplicateSeed(42, 0))
	seen := map[uint64]bool{}
	for r := 0; r < 100; r++ {
		s := ReplicateSeed(42, r)
		assert.False(t, seen[s])
		seen[s] = true
	}
	assert.NotEqual(t, ReplicateSeed(1, 1), ReplicateSeed(2, 1))
}

func TestMeanInterval(t *testing.T) {
	// expected: t_{0.975,4} = 2.7764451051977987 (scipy.stats.t.ppf(0.975, 4));
	// x = 1..5 has mean 3 and sd √2.5.
	m, lo, hi := MeanInterval([]float64{1, 2, 3, 4, 5})
	h := 2.7764451051977987 * 1.5811388300841898 / 2.23606797749979
	assert.InDelta(t, 3, m, 1e-15)
	assert.InDelta(t, 3-h, lo, 1e-9)
	assert.InDelta(t, 3+h, hi, 1e-9)
	m, lo, _ = MeanInterval([]float64{7})
	assert.Equal(t, 7.0, m)
	assert.True(t, lo != lo, "no interval from one value")
	m, _, _ = MeanInterval(nil)
	assert.True(t, m != m)
}
