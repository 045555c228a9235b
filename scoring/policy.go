package scoring

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/strictjson"
)

// Names of the built-in policies (docs/architecture.md, "Policies").
const (
	PolicySesame          = "sesame"
	PolicyTencent         = "tencent"
	PolicyFacebookLending = "facebook-lending"
	PolicyLenddo          = "lenddo"
	PolicyBaseline        = "baseline"
)

// Sesame-like bands and perk tiers shared by the presets.
func presetBands() []Band {
	return []Band{
		{Name: "poor", Min: 350},
		{Name: "fair", Min: 550},
		{Name: "good", Min: 600},
		{Name: "very good", Min: 650},
		{Name: "excellent", Min: 700},
	}
}

func presetPerks() []Perk {
	return []Perk{
		{Name: "deposit_free_rentals", Description: "rent bikes, power banks and umbrellas without a deposit", MinScore: 600},
		{Name: "car_rental_no_deposit", Description: "rent a car or a hotel room without a deposit", MinScore: 650},
		{Name: "travel_fast_track", Description: "fast-track travel and visa paperwork", MinScore: 700},
		{Name: "premium_credit_line", Description: "a pre-approved premium credit line", MinScore: 750},
	}
}

// sesameWeights are the weights commonly reported for Sesame Credit's five
// dimensions: credit history 35%, behaviour and preferences 25%, ability to
// fulfil contracts 20%, personal characteristics 15%, interpersonal
// relationships 5%.
var sesameWeights = Weights{Purchase: 0.25, Info: 0.15, Bills: 0.20, Credit: 0.35, Recruitment: 0.05}

// Presets returns the built-in policies, in the order sesame, tencent,
// facebook-lending, lenddo, baseline. Each call returns fresh copies.
//
//   - sesame: own record first (Sesame Credit's reported weights), a mild
//     social circle: α = 0.15, centrality 0.05.
//   - tencent: strong contagion, α = 0.5, centrality 0.1.
//   - facebook-lending: credit-heavy; loans gated on the mean score of one's
//     friends (US patent 9,100,400, "Authorization and authentication based
//     on an individual's social network"): min friend mean 600 or 650.
//   - lenddo: recruitment weighs 25%, α = 0.3, and each friend with a default
//     costs 15 points, at most 60.
//   - baseline: sesame's weights with α = 0, centrality 0 and no penalty: no
//     network effect at all, so Score = Individual.
func Presets() []Policy {
	return []Policy{
		{
			Name:        PolicySesame,
			Description: "own record first, mild social circle (Sesame Credit-like)",
			Weights:     sesameWeights,
			Alpha:       0.15,
			Centrality:  0.05,
			Perks:       presetPerks(),
			Bands:       presetBands(),
		},
		{
			Name:        PolicyTencent,
			Description: "strong contagion: half of the value comes from friends (Tencent credit-like)",
			Weights:     Weights{Purchase: 0.25, Info: 0.15, Bills: 0.20, Credit: 0.30, Recruitment: 0.10},
			Alpha:       0.5,
			Centrality:  0.1,
			Perks:       presetPerks(),
			Bands:       presetBands(),
		},
		{
			Name:        PolicyFacebookLending,
			Description: "loans gated on the mean score of one's friends (Facebook lending patent)",
			Weights:     Weights{Purchase: 0.10, Info: 0.15, Bills: 0.25, Credit: 0.45, Recruitment: 0.05},
			Alpha:       0.2,
			Centrality:  0.05,
			Perks: []Perk{
				{Name: "small_loan", Description: "a small loan, if your friends' mean score is at least 600", MinScore: 600, MinFriendMean: 600},
				{Name: "standard_loan", Description: "a standard loan, if your friends' mean score is at least 600", MinScore: 650, MinFriendMean: 600},
				{Name: "large_loan", Description: "a large loan, if your friends' mean score is at least 650", MinScore: 700, MinFriendMean: 650},
				{Name: "premium_loan", Description: "a premium loan, if your friends' mean score is at least 650", MinScore: 750, MinFriendMean: 650},
			},
			Bands: presetBands(),
		},
		{
			Name:                 PolicyLenddo,
			Description:          "recruitment counts and friends' defaults cost points (Lenddo-like)",
			Weights:              Weights{Purchase: 0.10, Info: 0.20, Bills: 0.20, Credit: 0.25, Recruitment: 0.25},
			Alpha:                0.3,
			Centrality:           0.1,
			FriendDefaultPenalty: 15,
			FriendDefaultCap:     60,
			Perks:                presetPerks(),
			Bands:                presetBands(),
		},
		{
			Name:        PolicyBaseline,
			Description: "no network effect at all: the individual score, for comparison",
			Weights:     sesameWeights,
			Perks:       presetPerks(),
			Bands:       presetBands(),
		},
	}
}

// PresetNames returns the names of the built-in policies, in Presets order.
func PresetNames() []string {
	ps := Presets()
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return names
}

// Preset returns a fresh copy of the built-in policy with the name.
func Preset(name string) (Policy, bool) {
	for _, p := range Presets() {
		if p.Name == name {
			return p, true
		}
	}
	return Policy{}, false
}

// weightTol is how far the weights may sum from 1.
const weightTol = 1e-6

// Validate checks the policy. The error is a *graph.ValidationError
// (wrapping graph.ErrInvalid) whose Field names the first offending field
// by its JSON path, e.g. "weights/credit", "bands/0/min",
// "perks/2/min_friend_mean". The rules:
//
//   - name is not blank;
//   - every weight is finite and ≥ 0, and they sum to 1 ± 1e-6 ("weights");
//   - alpha and centrality are in [0,1);
//   - friend_default_penalty and friend_default_cap are finite and ≥ 0, the
//     cap is at most 600, and a positive penalty has a positive cap;
//   - there is at least one band, the first starts at 350, mins strictly
//     ascend and are at most 950, names are not blank and are distinct;
//   - perk names are not blank and are distinct, min_score is in
//     [350,950], and min_friend_mean is 0 (no gate) or in [350,950];
//   - disputed_events is empty (exclude), "exclude" or "include".
func (p Policy) Validate() error {
	if strings.TrimSpace(p.Name) == "" {
		return graph.Invalid("name", "must not be empty")
	}
	ws := []struct {
		f string
		v float64
	}{
		{"purchase", p.Weights.Purchase},
		{"info", p.Weights.Info},
		{"bills", p.Weights.Bills},
		{"credit", p.Weights.Credit},
		{"recruitment", p.Weights.Recruitment},
	}
	for _, w := range ws {
		if !(w.v >= 0) || math.IsInf(w.v, 0) {
			return graph.Invalid("weights/"+w.f, "must be a finite number ≥ 0, got %v", w.v)
		}
	}
	if sum := p.Weights.Sum(); math.Abs(sum-1) > weightTol {
		return graph.Invalid("weights", "must sum to 1, got %v", sum)
	}
	if !(p.Alpha >= 0 && p.Alpha < 1) {
		return graph.Invalid("alpha", "must be in [0,1), got %v", p.Alpha)
	}
	if !(p.Centrality >= 0 && p.Centrality < 1) {
		return graph.Invalid("centrality", "must be in [0,1), got %v", p.Centrality)
	}
	if !(p.FriendDefaultPenalty >= 0) || math.IsInf(p.FriendDefaultPenalty, 0) {
		return graph.Invalid("friend_default_penalty", "must be a finite number ≥ 0, got %v", p.FriendDefaultPenalty)
	}
	if !(p.FriendDefaultCap >= 0 && p.FriendDefaultCap <= Span) {
		return graph.Invalid("friend_default_cap", "must be in [0,%d], got %v", Span, p.FriendDefaultCap)
	}
	if p.FriendDefaultPenalty > 0 && p.FriendDefaultCap == 0 {
		return graph.Invalid("friend_default_cap", "must be positive when friend_default_penalty is")
	}
	if err := validFriendShares(p.FriendShares); err != nil {
		return err
	}
	switch p.DisputedEvents {
	case "", DisputedExclude, DisputedInclude:
	default:
		return graph.Invalid("disputed_events", "must be %q or %q, got %q", DisputedExclude, DisputedInclude, p.DisputedEvents)
	}
	if len(p.Bands) == 0 {
		return graph.Invalid("bands", "must have at least one band")
	}
	seen := map[string]bool{}
	for i, b := range p.Bands {
		f := fmt.Sprintf("bands/%d", i)
		if err := checkName(seen, b.Name, f+"/name"); err != nil {
			return err
		}
		switch {
		case i == 0 && b.Min != MinScore:
			return graph.Invalid(f+"/min", "the first band must start at %d, got %d", MinScore, b.Min)
		case i > 0 && b.Min <= p.Bands[i-1].Min:
			return graph.Invalid(f+"/min", "must be greater than the previous band's %d, got %d", p.Bands[i-1].Min, b.Min)
		case b.Min > MaxScore:
			return graph.Invalid(f+"/min", "must be at most %d, got %d", MaxScore, b.Min)
		}
	}
	clear(seen)
	for i, k := range p.Perks {
		f := fmt.Sprintf("perks/%d", i)
		if err := checkName(seen, k.Name, f+"/name"); err != nil {
			return err
		}
		if k.MinScore < MinScore || k.MinScore > MaxScore {
			return graph.Invalid(f+"/min_score", "must be in [%d,%d], got %d", MinScore, MaxScore, k.MinScore)
		}
		if k.MinFriendMean != 0 && (k.MinFriendMean < MinScore || k.MinFriendMean > MaxScore) {
			return graph.Invalid(f+"/min_friend_mean", "must be 0 (no gate) or in [%d,%d], got %d", MinScore, MaxScore, k.MinFriendMean)
		}
	}
	return nil
}

// checkName checks the name of a band or perk at field f: not blank and
// not among the names seen before, to which it is then added.
func checkName(seen map[string]bool, name, f string) error {
	if strings.TrimSpace(name) == "" {
		return graph.Invalid(f, "must not be empty")
	}
	if seen[name] {
		return graph.Invalid(f, "%q is used twice", name)
	}
	seen[name] = true
	return nil
}

// BandOf returns the name of the band the score falls in: the last band
// whose Min is at most the score ("" if none, which a valid policy rules
// out for scores ≥ 350).
func (p Policy) BandOf(score int) string {
	name := ""
	for _, b := range p.Bands {
		if b.Min <= score {
			name = b.Name
		}
	}
	return name
}

// PerksOf returns the names of the perks unlocked, in policy order: those
// with MinScore ≤ score whose friend gate, if any, is met. A gate
// (MinFriendMean > 0) is met only by someone with at least one friend whose
// friends' mean score is at least MinFriendMean.
func (p Policy) PerksOf(score int, friends int32, friendMean float64) []string {
	return p.appendPerks([]string{}, score, friends, friendMean)
}

// appendPerks appends the names of PerksOf to out.
func (p *Policy) appendPerks(out []string, score int, friends int32, friendMean float64) []string {
	for _, k := range p.Perks {
		if k.MinScore > score {
			continue
		}
		if k.MinFriendMean > 0 && !(friends > 0 && friendMean >= float64(k.MinFriendMean)) {
			continue
		}
		out = append(out, k.Name)
	}
	return out
}

// LoadPolicy returns the preset with the name, or else reads the policy
// from a file whose name ends in .json, .yaml or .yml (ParsePolicy). A
// name that is neither returns an error wrapping graph.ErrNotFound that
// lists the presets; so does a policy file that does not exist.
func LoadPolicy(nameOrFile string) (Policy, error) {
	if p, ok := Preset(nameOrFile); ok {
		return p, nil
	}
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(nameOrFile)), ".")
	switch format {
	case "json", "yaml", "yml":
	default:
		return Policy{}, fmt.Errorf("scoring: policy %q: %w: want a preset (%s) or a .json, .yaml or .yml file",
			nameOrFile, graph.ErrNotFound, strings.Join(PresetNames(), ", "))
	}
	data, err := os.ReadFile(nameOrFile)
	if errors.Is(err, fs.ErrNotExist) {
		return Policy{}, fmt.Errorf("scoring: policy file %q: %w (%w)", nameOrFile, graph.ErrNotFound, err)
	}
	if err != nil {
		return Policy{}, fmt.Errorf("scoring: policy file %q: %w", nameOrFile, err)
	}
	p, err := ParsePolicy(data, format)
	if err != nil {
		return Policy{}, fmt.Errorf("scoring: policy file %q: %w", nameOrFile, err)
	}
	return p, nil
}

// ParsePolicy decodes a policy from JSON (format "json") or YAML ("yaml" or
// "yml"; a leading dot and case are ignored) and validates it. Decoding is
// strict: unknown fields, a second document or trailing data are errors;
// JSON is read by internal/strictjson, so keys must also match exactly
// and not repeat, and an error names the field ("weights/credit").
// Errors wrap graph.ErrInvalid; a policy that decodes but breaks a rule
// returns Validate's *graph.ValidationError.
func ParsePolicy(data []byte, format string) (Policy, error) {
	var p Policy
	switch f := strings.TrimPrefix(strings.ToLower(format), "."); f {
	case "json":
		if err := strictjson.Decode(data, &p, ""); err != nil {
			return Policy{}, fmt.Errorf("scoring: parse policy: %w", err)
		}
	case "yaml", "yml":
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&p); err != nil {
			if errors.Is(err, io.EOF) {
				return Policy{}, fmt.Errorf("scoring: parse policy: %w: empty YAML document", graph.ErrInvalid)
			}
			return Policy{}, fmt.Errorf("scoring: parse policy: %w: %w", graph.ErrInvalid, err)
		}
		var extra any
		if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
			return Policy{}, fmt.Errorf("scoring: parse policy: %w: more than one YAML document", graph.ErrInvalid)
		}
	default:
		return Policy{}, graph.Invalid("format", "unknown policy format %q (want json, yaml or yml)", format)
	}
	if err := p.Validate(); err != nil {
		return Policy{}, err
	}
	return p, nil
}
