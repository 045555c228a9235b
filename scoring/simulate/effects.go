package simulate

import (
	"math"
	"slices"
	"strings"
)

// The headline effects of a grid point: what the report's summary table
// shows, per replicate reduced to one number, then over replicates to a
// mean with its 95% interval.

// LowDeciles is the number of lowest starting deciles that make up the
// "low group" of the headline effects: d0–d2, the 30% of people who
// started with the lowest scores.
const LowDeciles = 3

// Names of the series Summarize derives from the recorded metrics: the
// low group's mean degree and mean number of perk tiers, per step (the
// mean of its deciles' means; deciles are equal in size up to one person).
const (
	MetricDegreeMeanLow = "degree_mean_low"
	MetricPerksMeanLow  = "perks_mean_low"
)

// Names of the headline effects, in the order the report shows them.
const (
	EffectTiesDropped   = "ties_dropped_total" // friendships dropped over all rounds
	EffectAssortativity = "assortativity_rise" // score assortativity at the last round minus at round 0
	EffectLowDegree     = "low_degree_change"  // the low group's mean degree, last round minus round 0
	EffectLowPerks      = "low_perks_change"   // the low group's mean perk tiers, last round minus round 0
	EffectScoreGini     = "score_gini_final"   // Gini coefficient of the scores at the last round
)

// Effect is one headline effect of a grid point over its replicates: the
// mean, the 95% Student-t interval (clipped to the values the effect can
// take, e.g. ≥ 0 for a count) and n, the replicates with a finite value.
type Effect struct {
	Name string `json:"name"`
	// Title says what the effect is in words.
	Title string `json:"title"`
	Mean  Num    `json:"mean"`
	Lo    Num    `json:"lo"`
	Hi    Num    `json:"hi"`
	N     int    `json:"n"`
}

// effectDef is how an effect is computed from one replicate's series.
type effectDef struct {
	name, title string
	lo, hi      float64 // the values the effect can take
	of          func(series func(string) []float64) float64
}

var effectDefs = []effectDef{
	{EffectTiesDropped, "friendships dropped, all rounds", 0, math.Inf(1), func(s func(string) []float64) float64 {
		x := s(MetricTiesDropped)
		if x == nil {
			return math.NaN()
		}
		var sum float64
		for _, v := range x[1:] {
			sum += v
		}
		return sum
	}},
	{EffectAssortativity, "rise of score assortativity (homophily)", -2, 2, change(MetricAssortativity)},
	{EffectLowDegree, "change of mean friends, lowest 30%", math.Inf(-1), math.Inf(1), change(MetricDegreeMeanLow)},
	{EffectLowPerks, "change of mean perk tiers, lowest 30%", math.Inf(-1), math.Inf(1), change(MetricPerksMeanLow)},
	{EffectScoreGini, "Gini coefficient of scores, last round", 0, 1, func(s func(string) []float64) float64 {
		x := s(MetricScoreGini)
		if len(x) == 0 {
			return math.NaN()
		}
		return x[len(x)-1]
	}},
}

// change is the last value of a series minus its first.
func change(metric string) func(func(string) []float64) float64 {
	return func(s func(string) []float64) float64 {
		x := s(metric)
		if len(x) == 0 {
			return math.NaN()
		}
		return x[len(x)-1] - x[0]
	}
}

// lowGroupSeries derives the low group's series of a per-decile metric
// (prefix MetricDegreeMeanDecile or MetricPerksMeanDecile) from one run:
// per step, the mean of deciles 0 … LowDeciles−1. Nil if the run lacks
// them.
func lowGroupSeries(c *Collector, prefix string) []float64 {
	var out []float64
	for d := range LowDeciles {
		x := c.Series(DecileMetric(prefix, d))
		if x == nil {
			return nil
		}
		if out == nil {
			out = make([]float64, len(x))
		}
		for t, v := range x {
			out[t] += v / LowDeciles
		}
	}
	return out
}

// derivedSeries returns, for one run, the series Summarize derives, by
// name.
func derivedSeries(c *Collector) map[string][]float64 {
	return map[string][]float64{
		MetricDegreeMeanLow: lowGroupSeries(c, MetricDegreeMeanDecile),
		MetricPerksMeanLow:  lowGroupSeries(c, MetricPerksMeanDecile),
	}
}

// addDerived adds the derived series' statistics to a run's summary and
// their names to the summary's metrics, and computes its effects.
func addDerived(s *Summary, rs *RunSummary, runs []*Collector) {
	derived := make([]map[string][]float64, len(runs))
	for r, c := range runs {
		derived[r] = derivedSeries(c)
	}
	for _, name := range []string{MetricDegreeMeanLow, MetricPerksMeanLow} {
		if derived[0][name] == nil {
			continue
		}
		if !slices.Contains(s.Metrics, name) {
			s.Metrics = append(s.Metrics, name)
		}
		steps := len(derived[0][name])
		st := Stats{Mean: make([]Num, steps), Lo: make([]Num, steps), Hi: make([]Num, steps), N: make([]int, steps)}
		vals := make([]float64, 0, len(runs))
		for t := range steps {
			vals = vals[:0]
			for r := range runs {
				if v := derived[r][name][t]; finite(v) {
					vals = append(vals, v)
				}
			}
			mean, lo, hi := MeanInterval(vals)
			st.Mean[t], st.Lo[t], st.Hi[t], st.N[t] = Num(mean), Num(lo), Num(hi), len(vals)
		}
		rs.Metrics[name] = st
	}
	rs.Effects = make([]Effect, 0, len(effectDefs))
	for _, e := range effectDefs {
		vals := make([]float64, 0, len(runs))
		for r, c := range runs {
			series := func(name string) []float64 {
				if x, ok := derived[r][name]; ok {
					return x
				}
				return c.Series(name)
			}
			if v := e.of(series); finite(v) {
				vals = append(vals, v)
			}
		}
		mean, lo, hi := MeanInterval(vals)
		lo, hi = clipInterval(lo, hi, e.lo, e.hi)
		rs.Effects = append(rs.Effects, Effect{Name: e.name, Title: e.title, Mean: Num(mean), Lo: Num(lo), Hi: Num(hi), N: len(vals)})
	}
}

// clipInterval clips an interval to [min, max], the values the quantity
// can take (NaN stays NaN).
func clipInterval(lo, hi, minV, maxV float64) (float64, float64) {
	if finite(lo) {
		lo = math.Max(lo, minV)
	}
	if finite(hi) {
		hi = math.Min(hi, maxV)
	}
	return lo, hi
}

// metricRange is the range of values a metric can take, for clipping its
// interval: counts are ≥ 0, shares and Gini coefficients in [0,1],
// assortativity in [−1,1], scores in [350,950], perk tiers in
// [0, perks].
func metricRange(name string, perks int) (float64, float64) {
	base := name
	if isDecileMetric(name) {
		base = name[:len(name)-1]
	}
	switch {
	case name == MetricAssortativity:
		return -1, 1
	case name == MetricScoreGini, name == MetricLargestComponent, name == MetricLowShare,
		strings.HasPrefix(name, "perk") && strings.Contains(name, "_share"):
		return 0, 1
	case name == MetricScoreMean, base == MetricScoreMeanDecile:
		return 350, 950
	case name == MetricPerksMeanLow, base == MetricPerksMeanDecile:
		return 0, float64(perks)
	}
	return 0, math.Inf(1) // every other metric is a count or a mean of counts
}
