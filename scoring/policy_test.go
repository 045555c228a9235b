package scoring

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	yaml "go.yaml.in/yaml/v3"

	"github.com/socialscore/socialscore/graph"
)

func TestPresets(t *testing.T) {
	ps := Presets()
	require.Equal(t, []string{"sesame", "tencent", "facebook-lending", "lenddo", "baseline"}, PresetNames())
	for _, p := range ps {
		t.Run(p.Name, func(t *testing.T) {
			require.NoError(t, p.Validate())
			got, ok := Preset(p.Name)
			require.True(t, ok)
			assert.Equal(t, p, got)
			assert.NotEmpty(t, p.Description)
			// Sesame-like bands and 600/650/700/750 perk tiers (docs/architecture.md, "Policies").
			assert.Equal(t, "poor", p.BandOf(549))
			assert.Equal(t, "fair", p.BandOf(550))
			assert.Equal(t, "excellent", p.BandOf(950))
			var tiers []int
			for _, k := range p.Perks {
				tiers = append(tiers, k.MinScore)
			}
			assert.Equal(t, []int{600, 650, 700, 750}, tiers)
		})
	}
	sesame, _ := Preset("sesame")
	tencent, _ := Preset("tencent")
	fb, _ := Preset("facebook-lending")
	lenddo, _ := Preset("lenddo")
	baseline, _ := Preset("baseline")
	// What docs/architecture.md ("Policies") asks of each preset.
	assert.Greater(t, sesame.Weights.Credit+sesame.Weights.Bills+sesame.Weights.Purchase+sesame.Weights.Info, 0.9, "sesame: own record first")
	assert.InDelta(t, 0.15, sesame.Alpha, 1e-12)
	assert.Greater(t, tencent.Alpha, sesame.Alpha, "tencent: strong contagion")
	for _, k := range fb.Perks {
		assert.GreaterOrEqual(t, k.MinFriendMean, 600, "facebook-lending: friend gate on %s", k.Name)
	}
	assert.Greater(t, lenddo.Weights.Recruitment, sesame.Weights.Recruitment, "lenddo: recruitment counts")
	assert.Positive(t, lenddo.FriendDefaultPenalty, "lenddo: friends' defaults count")
	assert.Zero(t, baseline.Alpha)
	assert.Zero(t, baseline.Centrality)
	assert.Zero(t, baseline.FriendDefaultPenalty)

	// Presets returns copies: changing one does not change the next.
	ps[0].Perks[0].Name = "changed"
	ps[0].Bands[0].Name = "changed"
	again, _ := Preset(ps[0].Name)
	assert.NotEqual(t, "changed", again.Perks[0].Name)
	assert.NotEqual(t, "changed", again.Bands[0].Name)

	_, ok := Preset("nope")
	assert.False(t, ok)
}

func TestPolicyValidate(t *testing.T) {
	valid, _ := Preset("lenddo")
	for _, c := range []struct {
		field  string
		mutate func(*Policy)
	}{
		{"name", func(p *Policy) { p.Name = "  " }},
		{"weights/credit", func(p *Policy) { p.Weights.Credit = -0.1; p.Weights.Purchase += 0.35 }},
		{"weights/info", func(p *Policy) { p.Weights.Info = math.NaN() }},
		{"weights", func(p *Policy) { p.Weights.Credit += 0.01 }},
		{"alpha", func(p *Policy) { p.Alpha = 1 }},
		{"alpha", func(p *Policy) { p.Alpha = -0.01 }},
		{"centrality", func(p *Policy) { p.Centrality = 1 }},
		{"friend_default_penalty", func(p *Policy) { p.FriendDefaultPenalty = -1 }},
		{"friend_default_cap", func(p *Policy) { p.FriendDefaultCap = 0 }},
		{"friend_default_cap", func(p *Policy) { p.FriendDefaultCap = 601 }},
		{"bands", func(p *Policy) { p.Bands = nil }},
		{"bands/0/min", func(p *Policy) { p.Bands[0].Min = 300 }},
		{"bands/2/min", func(p *Policy) { p.Bands[2].Min = p.Bands[1].Min }},
		{"bands/4/min", func(p *Policy) { p.Bands[4].Min = 951 }},
		{"bands/1/name", func(p *Policy) { p.Bands[1].Name = "" }},
		{"bands/3/name", func(p *Policy) { p.Bands[3].Name = p.Bands[0].Name }},
		{"perks/0/name", func(p *Policy) { p.Perks[0].Name = "" }},
		{"perks/1/name", func(p *Policy) { p.Perks[1].Name = p.Perks[0].Name }},
		{"perks/2/min_score", func(p *Policy) { p.Perks[2].MinScore = 349 }},
		{"perks/3/min_score", func(p *Policy) { p.Perks[3].MinScore = 951 }},
		{"perks/1/min_friend_mean", func(p *Policy) { p.Perks[1].MinFriendMean = 100 }},
	} {
		t.Run(c.field, func(t *testing.T) {
			p, _ := Preset(valid.Name)
			c.mutate(&p)
			err := p.Validate()
			require.Error(t, err)
			assert.ErrorIs(t, err, graph.ErrInvalid)
			var ve *graph.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, c.field, ve.Field)
		})
	}
	// Within tolerance and with no perks is fine.
	p := valid
	p.Weights.Credit += 5e-7
	p.Perks = nil
	assert.NoError(t, p.Validate())
}

func TestPerksOf(t *testing.T) {
	fb, _ := Preset("facebook-lending")
	sesame, _ := Preset("sesame")
	for _, c := range []struct {
		name       string
		p          Policy
		score      int
		friends    int32
		friendMean float64
		want       []string
	}{
		{"below every tier", sesame, 599, 3, 900, []string{}},
		{"tier edges count", sesame, 650, 0, 0, []string{"deposit_free_rentals", "car_rental_no_deposit"}},
		{"all tiers", sesame, 950, 0, 0, []string{"deposit_free_rentals", "car_rental_no_deposit", "travel_fast_track", "premium_credit_line"}},
		{"gate: no friends", fb, 800, 0, 0, []string{}},
		{"gate: mean just below", fb, 800, 4, 599.75, []string{}},
		{"gate: mean at 600", fb, 800, 4, 600, []string{"small_loan", "standard_loan"}},
		{"gate: mean 650", fb, 720, 4, 650, []string{"small_loan", "standard_loan", "large_loan"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, c.p.PerksOf(c.score, c.friends, c.friendMean))
		})
	}
}

const policyJSON = `{
  "name": "custom",
  "weights": {"purchase": 0.2, "info": 0.2, "bills": 0.2, "credit": 0.3, "recruitment": 0.1},
  "alpha": 0.25,
  "centrality": 0.1,
  "friend_default_penalty": 10,
  "friend_default_cap": 40,
  "perks": [{"name": "loan", "min_score": 640, "min_friend_mean": 600}],
  "bands": [{"name": "low", "min": 350}, {"name": "high", "min": 650}]
}`

const policyYAML = `name: custom
weights: {purchase: 0.2, info: 0.2, bills: 0.2, credit: 0.3, recruitment: 0.1}
alpha: 0.25
centrality: 0.1
friend_default_penalty: 10
friend_default_cap: 40
perks:
  - {name: loan, min_score: 640, min_friend_mean: 600}
bands:
  - {name: low, min: 350}
  - {name: high, min: 650}
`

var customPolicy = Policy{
	Name:                 "custom",
	Weights:              Weights{Purchase: 0.2, Info: 0.2, Bills: 0.2, Credit: 0.3, Recruitment: 0.1},
	Alpha:                0.25,
	Centrality:           0.1,
	FriendDefaultPenalty: 10,
	FriendDefaultCap:     40,
	Perks:                []Perk{{Name: "loan", MinScore: 640, MinFriendMean: 600}},
	Bands:                []Band{{Name: "low", Min: 350}, {Name: "high", Min: 650}},
}

func TestParsePolicy(t *testing.T) {
	for _, c := range []struct{ format, data string }{
		{"json", policyJSON}, {".JSON", policyJSON}, {"yaml", policyYAML}, {"yml", policyYAML},
	} {
		p, err := ParsePolicy([]byte(c.data), c.format)
		require.NoError(t, err, c.format)
		assert.Equal(t, customPolicy, p, c.format)
	}

	for name, c := range map[string]struct{ format, data string }{
		"json unknown field":   {"json", strings.Replace(policyJSON, `"alpha"`, `"alhpa": 0.1, "alpha"`, 1)},
		"json nested unknown":  {"json", strings.Replace(policyJSON, `"min": 650`, `"min": 650, "max": 949`, 1)},
		"json trailing data":   {"json", policyJSON + `{"name": "second"}`},
		"json empty":           {"json", ""},
		"json wrong type":      {"json", strings.Replace(policyJSON, `"alpha": 0.25`, `"alpha": "high"`, 1)},
		"yaml unknown field":   {"yaml", policyYAML + "contagion: 0.3\n"},
		"yaml nested unknown":  {"yaml", strings.Replace(policyYAML, "{name: low, min: 350}", "{name: low, min: 350, colour: red}", 1)},
		"yaml second document": {"yaml", policyYAML + "---\nname: other\n"},
		"yaml empty":           {"yaml", ""},
		"unknown format":       {"toml", policyJSON},
		"invalid policy":       {"json", strings.Replace(policyJSON, `"alpha": 0.25`, `"alpha": 1.5`, 1)},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParsePolicy([]byte(c.data), c.format)
			assert.ErrorIs(t, err, graph.ErrInvalid)
		})
	}
	_, err := ParsePolicy([]byte(strings.Replace(policyJSON, `"alpha": 0.25`, `"alpha": 1.5`, 1)), "json")
	var ve *graph.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "alpha", ve.Field)
}

// TestPresetsRoundTrip: every preset encodes to JSON and YAML and decodes
// strictly to the same policy (so stored run specs and policy files of the
// presets load back).
func TestPresetsRoundTrip(t *testing.T) {
	for _, p := range Presets() {
		j, err := json.Marshal(p)
		require.NoError(t, err)
		got, err := ParsePolicy(j, "json")
		require.NoError(t, err)
		assert.Equal(t, p, got)

		y, err := yaml.Marshal(p)
		require.NoError(t, err)
		got, err = ParsePolicy(y, "yaml")
		require.NoError(t, err)
		assert.Equal(t, p, got)
	}
}

func TestLoadPolicy(t *testing.T) {
	p, err := LoadPolicy("tencent")
	require.NoError(t, err)
	assert.Equal(t, "tencent", p.Name)

	dir := t.TempDir()
	for name, data := range map[string]string{"p.json": policyJSON, "p.yaml": policyYAML, "p.YML": policyYAML} {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(data), 0o600))
		got, err := LoadPolicy(path)
		require.NoError(t, err, name)
		assert.Equal(t, customPolicy, got, name)
	}

	_, err = LoadPolicy("sesame-2")
	require.ErrorIs(t, err, graph.ErrNotFound)
	for _, name := range PresetNames() {
		assert.Contains(t, err.Error(), name)
	}

	_, err = LoadPolicy(filepath.Join(dir, "missing.yaml"))
	assert.ErrorIs(t, err, graph.ErrNotFound)
	assert.True(t, errors.Is(err, os.ErrNotExist))

	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"name": "x", "surprise": 1}`), 0o600))
	_, err = LoadPolicy(bad)
	assert.ErrorIs(t, err, graph.ErrInvalid)
	assert.Contains(t, err.Error(), "bad.json")
}

// TestParsePolicyNamesTheField: a JSON policy is decoded by
// internal/strictjson, so an error names the field by its full path, and
// keys that encoding/json alone would take (another case, a repeat) are
// rejected.
func TestParsePolicyNamesTheField(t *testing.T) {
	for name, c := range map[string]struct{ data, field, reason string }{
		"nested unknown":  {strings.Replace(policyJSON, `"min": 650`, `"min": 650, "max": 949`, 1), "bands/1/max", "unknown field"},
		"wrong case":      {strings.Replace(policyJSON, `"alpha"`, `"Alpha"`, 1), "Alpha", "unknown field"},
		"duplicate":       {strings.Replace(policyJSON, `"alpha": 0.25`, `"alpha": 0.25, "alpha": 0.3`, 1), "alpha", "duplicate field"},
		"wrong type":      {strings.Replace(policyJSON, `"credit": 0.3`, `"credit": "0.3"`, 1), "weights/credit", "must be a number, not a string"},
		"trailing data":   {policyJSON + `{"name": "second"}`, "", "trailing data after the JSON value"},
		"perk wrong type": {strings.Replace(policyJSON, `"min_score": 640`, `"min_score": 640.5`, 1), "perks/0/min_score", "must be an integer, not the number 640.5"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParsePolicy([]byte(c.data), "json")
			require.ErrorIs(t, err, graph.ErrInvalid)
			if c.field == "" {
				assert.Contains(t, err.Error(), "unexpected data after the JSON value")
				return
			}
			var ve *graph.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, c.field, ve.Field)
			assert.Equal(t, c.reason, ve.Reason)
		})
	}
}
