package simulate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/strictjson"
	"github.com/socialscore/socialscore/scoring"
	"github.com/socialscore/socialscore/seed"
)

// DropRule says which friends a person considers dropping.
type DropRule string

// The drop rules. Only friends who are low (Config.LowScore,
// Config.LowQuantile) are ever dropped; the rule chooses among them.
const (
	// Threshold: friends whose score is below Config.Threshold.
	Threshold DropRule = "threshold"
	// Relative: friends whose score is below one's own by more than
	// Config.Margin points.
	Relative DropRule = "relative"
	// BestResponse: the friend whose removal raises one's own score most,
	// if it raises it by at least Config.MinGain points (and at all), then
	// the next best given that removal, and so on up to the cap. The
	// effect of a removal is estimated locally; see the package doc.
	BestResponse DropRule = "best_response"
)

// LowOn says which score decides who is low.
type LowOn string

const (
	// LowOnIndividual: the individual score, from one's own record only
	// (the pillars; graph.Result.Individual) — a person's "type" in
	// [WYVD16]. The default.
	LowOnIndividual LowOn = "individual"
	// LowOnScore: the score under the policy, friends included.
	LowOnScore LowOn = "score"
)

// Limits on a Config, so that a request cannot ask for unbounded work.
const (
	MaxRounds   = 10_000
	MaxPeople   = seed.MaxPeople
	MaxRuns     = 10_000 // grid points × replicates of a sweep
	maxCap      = 1 << 20
	maxEffort   = 1_000
	maxFormBias = 100
)

// Config is one simulation: the policy people are scored under, the
// network, and the behaviour. Its JSON field names are the names used in
// errors, in sweeps (Axis.Field) and in summary.json. The zero value is not
// valid; start from DefaultConfig.
type Config struct {
	// Policy is the scoring policy: in JSON a preset name ("tencent") or a
	// whole policy object.
	Policy PolicySpec `json:"policy"`
	// Rounds is the number of rounds, at least 1 (step 0 is recorded
	// before the first).
	Rounds int `json:"rounds"`
	// People > 0 simulates a seeded network of that many people
	// (seed.Generate with Seed); 0 simulates the network the caller gives
	// (a store's snapshot), which is never modified.
	People int `json:"people"`
	// Seed seeds everything random: the seeded network and the run's one
	// random stream. The same Config gives the same output.
	Seed uint64 `json:"seed"`

	// DropRule is threshold, relative or best_response.
	DropRule DropRule `json:"drop_rule"`
	// Threshold (threshold rule): friends scoring below it may be dropped.
	Threshold int `json:"threshold"`
	// Margin (relative rule): friends scoring more than Margin points below
	// oneself may be dropped.
	Margin int `json:"margin"`
	// MinGain (best_response rule): the fewest score points a drop must
	// gain to be worth a friendship. A drop must gain something even when
	// it is 0.
	MinGain float64 `json:"min_gain"`
	// PHighDropsLow is the probability that a high scorer drops a low
	// friend the rule picks; PLowDropsLow the same for a low scorer.
	PHighDropsLow float64 `json:"p_high_drops_low"`
	PLowDropsLow  float64 `json:"p_low_drops_low"`
	// MaxDropsPerRound caps the friends one person drops in a round.
	MaxDropsPerRound int `json:"max_drops_per_round"`
	// FullCost is the stake at which people act with the full
	// probability, in score points: a person whose friends cost them c
	// points overall (what they would score with no friends minus what
	// they score) drops, and refuses new low friends, with the probability
	// above times min(1, c/FullCost); nobody whose friends cost them
	// nothing drops anyone. 0 means the full probability whenever friends
	// cost anything.
	FullCost float64 `json:"full_cost"`

	// PFormTie is the probability that a person with friends tries to form
	// one new tie in a round, by triadic closure (a friend of a friend).
	PFormTie float64 `json:"p_form_tie"`
	// FormBias ≥ 0 biases the choice among friends of friends toward
	// higher scorers: a candidate w weighs exp(FormBias·(score_w−350)/600).
	// 0 chooses uniformly.
	FormBias float64 `json:"form_bias"`

	// PEffort is the probability that a low scorer invests effort in a
	// round; EffortSize is how much: that many more on-time bill payments
	// and as many on-time credit instalments on their record.
	PEffort    float64 `json:"p_effort"`
	EffortSize int     `json:"effort_size"`

	// LowOn is the score that decides who is low: individual (the
	// default: one's own record, whatever the friends) or score (the
	// policy's score).
	LowOn LowOn `json:"low_on"`
	// Who is low, judged on the LowOn scores at the start of each round:
	// a score below LowScore, or, if LowQuantile > 0, a score below the
	// step-0 score at the mid-rank percentile 100·LowQuantile (at step 0
	// the bottom LowQuantile of the population are low; afterwards people
	// are low as their scores fall below that score or rise above it).
	// Exactly one of the two is set.
	LowScore    int     `json:"low_score"`
	LowQuantile float64 `json:"low_quantile"`
}

// DefaultConfig returns the defaults: the sesame policy, 10 rounds on a
// seeded network of 10,000 people (seed 1), best response with a gain of at
// least one point, high scorers dropping low friends with probability 0.5
// and low scorers with 0.02 — at full stake, reached when friends cost 60
// points — at most 2 drops per person per round, a 0.05 chance of a new
// tie with a mild bias toward higher scorers, a 0.05 chance that a low
// scorer invests effort of 2 on-time payments, and "low" meaning an
// individual score below the bottom 30% of the step-0 individual scores.
//
// Who is low is judged on the individual score by default, as types are
// in [WYVD16]: a person's own record, which the policy's contagion does
// not change. Propagation makes low network scores cluster (a low score is
// as much a low neighbourhood as a poor record), so a cut on the policy's
// score marks whole neighbourhoods, whose members mostly have low
// friends and little reason to drop them; the stronger the contagion the
// more so, which would hide the incentive the lab is there to show.
//
// The low cut is relative to the start by default so that the same
// share of people is low whatever the records' scale (LowScore sets an
// absolute cut). It is then fixed, rather than re-taken from each round's
// scores, so that who is low does not move up the distribution as the
// lowest are cut off (a re-taken bottom 30% always holds 30% of the
// people, and dropping would cascade through the whole network round
// after round).
func DefaultConfig() Config {
	p, _ := scoring.Preset(scoring.PolicySesame)
	return Config{
		Policy:           PolicySpec{p},
		Rounds:           10,
		People:           10_000,
		Seed:             1,
		DropRule:         BestResponse,
		Threshold:        600,
		Margin:           50,
		MinGain:          1,
		PHighDropsLow:    0.5,
		PLowDropsLow:     0.02,
		MaxDropsPerRound: 2,
		FullCost:         60,
		PFormTie:         0.05,
		FormBias:         2,
		PEffort:          0.05,
		EffortSize:       2,
		LowOn:            LowOnIndividual,
		LowQuantile:      0.3,
	}
}

// Validate checks the config. The error is a *graph.ValidationError
// (wrapping graph.ErrInvalid) whose Field is the JSON name of the first
// offending field ("p_form_tie"; "policy/alpha" for a field of the
// policy).
func (c Config) Validate() error {
	if c.Policy.Name == "" && c.Policy.Bands == nil {
		return graph.Invalid("policy", "is required: a preset (%s) or a policy object", strings.Join(scoring.PresetNames(), ", "))
	}
	if err := c.Policy.Validate(); err != nil {
		var ve *graph.ValidationError
		if errors.As(err, &ve) {
			return &graph.ValidationError{Field: "policy/" + ve.Field, Reason: ve.Reason, Kind: ve.Kind}
		}
		return graph.Invalid("policy", "%v", err)
	}
	if c.Rounds < 1 || c.Rounds > MaxRounds {
		return graph.Invalid("rounds", "must be in [1,%d], got %d", MaxRounds, c.Rounds)
	}
	if c.People < 0 || c.People > MaxPeople {
		return graph.Invalid("people", "must be in [0,%d] (0: the given network), got %d", MaxPeople, c.People)
	}
	switch c.DropRule {
	case Threshold, Relative, BestResponse:
	default:
		return graph.Invalid("drop_rule", "unknown rule %q (want threshold, relative or best_response)", string(c.DropRule))
	}
	if c.Threshold < 0 || c.Threshold > scoring.MaxScore+1 {
		return graph.Invalid("threshold", "must be in [0,%d], got %d", scoring.MaxScore+1, c.Threshold)
	}
	if c.Margin < 0 || c.Margin > scoring.Span {
		return graph.Invalid("margin", "must be in [0,%d], got %d", scoring.Span, c.Margin)
	}
	if !finite(c.MinGain) || c.MinGain < 0 || c.MinGain > scoring.Span {
		return graph.Invalid("min_gain", "must be in [0,%d], got %v", scoring.Span, c.MinGain)
	}
	for _, p := range []struct {
		f string
		v float64
	}{
		{"p_high_drops_low", c.PHighDropsLow},
		{"p_low_drops_low", c.PLowDropsLow},
		{"p_form_tie", c.PFormTie},
		{"p_effort", c.PEffort},
	} {
		if !(p.v >= 0 && p.v <= 1) {
			return graph.Invalid(p.f, "is a probability and must be in [0,1], got %v", p.v)
		}
	}
	if !finite(c.FullCost) || c.FullCost < 0 || c.FullCost > scoring.Span {
		return graph.Invalid("full_cost", "must be in [0,%d] score points, got %v", scoring.Span, c.FullCost)
	}
	if c.MaxDropsPerRound < 0 || c.MaxDropsPerRound > maxCap {
		return graph.Invalid("max_drops_per_round", "must be in [0,%d], got %d", maxCap, c.MaxDropsPerRound)
	}
	if !finite(c.FormBias) || c.FormBias < 0 || c.FormBias > maxFormBias {
		return graph.Invalid("form_bias", "must be in [0,%d], got %v", maxFormBias, c.FormBias)
	}
	if c.EffortSize < 0 || c.EffortSize > maxEffort {
		return graph.Invalid("effort_size", "must be in [0,%d], got %d", maxEffort, c.EffortSize)
	}
	switch c.LowOn {
	case LowOnIndividual, LowOnScore:
	default:
		return graph.Invalid("low_on", "unknown score %q (want individual or score)", string(c.LowOn))
	}
	if c.LowScore < 0 || c.LowScore > scoring.MaxScore+1 {
		return graph.Invalid("low_score", "must be in [0,%d], got %d", scoring.MaxScore+1, c.LowScore)
	}
	if !(c.LowQuantile >= 0 && c.LowQuantile < 1) {
		return graph.Invalid("low_quantile", "must be in [0,1), got %v", c.LowQuantile)
	}
	if (c.LowScore > 0) == (c.LowQuantile > 0) {
		return graph.Invalid("low_score", "set exactly one of low_score (an absolute cut) and low_quantile (a bottom share)")
	}
	return nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// DecodeConfig decodes a JSON config strictly (unknown fields, trailing
// data and a policy name that is not a preset are errors) on top of
// DefaultConfig, so omitted fields keep their defaults, and validates it.
// Errors wrap graph.ErrInvalid.
func DecodeConfig(r io.Reader) (Config, error) {
	c := DefaultConfig()
	if err := decodeStrict(r, &c); err != nil {
		return Config{}, err
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// decodeStrict decodes one JSON value into v with strictjson.Decode
// (exact-case keys, no duplicates, no unknown fields, no trailing data).
// Errors wrap graph.ErrInvalid and are *graph.ValidationErrors naming the
// field; input that is not one JSON value is named "body".
func decodeStrict(r io.Reader, v any) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("simulate: decode: %w", err)
	}
	err = strictjson.Decode(data, v, "")
	var se *strictjson.SyntaxError
	if errors.As(err, &se) {
		return graph.Invalid("body", "%s", se.Error())
	}
	return err
}

// PolicySpec is the policy of a Config. In JSON it is either the name of
// a preset ("sesame") or a policy object (scoring.Policy's fields, decoded
// strictly); it is always written out as the whole object, so that
// summary.json records exactly what was simulated. Files are never read
// here: a command line resolves a file with scoring.LoadPolicy and puts
// the policy in.
type PolicySpec struct {
	scoring.Policy
}

// UnmarshalJSON accepts a preset name or a policy object.
func (p *PolicySpec) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var name string
		if err := json.Unmarshal(data, &name); err != nil {
			return graph.Invalid("policy", "%v", err)
		}
		pol, ok := scoring.Preset(name)
		if !ok {
			return &graph.ValidationError{Field: "policy", Reason: fmt.Sprintf("unknown policy %q (want a preset: %s, or a policy object)",
				name, strings.Join(scoring.PresetNames(), ", "))}
		}
		p.Policy = pol
		return nil
	}
	var pol scoring.Policy
	if err := strictjson.Decode(data, &pol, "policy"); err != nil {
		return err
	}
	p.Policy = pol
	return nil
}

// MarshalJSON writes the whole policy object.
func (p PolicySpec) MarshalJSON() ([]byte, error) { return json.Marshal(p.Policy) }
