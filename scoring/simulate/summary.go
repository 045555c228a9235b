package simulate

import (
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/gonum/stat/distuv"
)

var nanValue = math.NaN()

// Confidence is the coverage of the intervals in a Summary.
const Confidence = 0.95

// Num is a float64 that is written to JSON as null when it is NaN or
// infinite (JSON has no such numbers), and otherwise in the shortest form
// that reads back exactly.
type Num float64

// MarshalJSON implements json.Marshaler.
func (x Num) MarshalJSON() ([]byte, error) {
	f := float64(x)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler (null reads as NaN).
func (x *Num) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*x = Num(math.NaN())
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	*x = Num(f)
	return err
}

// Summary is what a sweep found: per grid point, metric and step, the mean
// over replicates with a 95% interval. It is the content of summary.json
// and of an API job's results.
type Summary struct {
	Base       Config       `json:"base"`
	Axes       []Axis       `json:"axes"`
	Replicates int          `json:"replicates"`
	Confidence float64      `json:"confidence"`
	Metrics    []string     `json:"metrics"` // in recording order (the first point's)
	Runs       []RunSummary `json:"runs"`
	// Skipped are the grid points the sweep left out, and why (see
	// Sweep.Grid).
	Skipped []Skipped `json:"skipped"`
}

// RunSummary is one grid point of a summary.
type RunSummary struct {
	Label string `json:"label"`
	// Description names the point in words, with what its axes override
	// ("sesame, α = 0.5 (preset: 0.15)").
	Description string   `json:"description"`
	Values      []string `json:"values"` // axis values, in axis order
	Config      Config   `json:"config"`
	Seeds       []uint64 `json:"seeds"` // one per replicate
	Perks       []string `json:"perks"` // perk tier k is Perks[k-1]
	// Metrics maps a metric name to its statistics per step (index =
	// round, 0 before the first), the recorded metrics and those derived
	// from them (MetricDegreeMeanLow, MetricPerksMeanLow).
	Metrics map[string]Stats `json:"metrics"`
	// Effects are the headline effects, in the report's order (see
	// Effect).
	Effects []Effect `json:"effects"`
}

// Stats are a metric's statistics over replicates, per step: the mean of
// the finite values, the two-sided 95% Student-t interval around it,
//
//	mean ± t_{0.975, n−1} · sd / √n      (sd the sample standard deviation)
//
// and n, the replicates with a finite value. With n < 2 the interval is
// undefined (null in JSON).
type Stats struct {
	Mean []Num `json:"mean"`
	Lo   []Num `json:"lo"`
	Hi   []Num `json:"hi"`
	N    []int `json:"n"`
}

// Summarize aggregates a sweep's runs.
func Summarize(res *SweepResult) *Summary {
	s := &Summary{
		Base:       res.Sweep.Base,
		Axes:       res.Sweep.Axes,
		Replicates: res.Sweep.Replicates,
		Confidence: Confidence,
	}
	if s.Axes == nil {
		s.Axes = []Axis{}
	}
	s.Skipped = append([]Skipped{}, res.Skipped...)
	for p, pt := range res.Points {
		runs := res.Runs[p]
		rs := RunSummary{
			Label:       pt.Label,
			Description: pt.Description,
			Values:      pt.Values,
			Config:      pt.Config,
			Seeds:       res.Seeds[p],
			Perks:       res.Perks[p],
			Metrics:     map[string]Stats{},
		}
		if rs.Values == nil {
			rs.Values = []string{}
		}
		if rs.Perks == nil {
			rs.Perks = []string{}
		}
		names := runs[0].Names
		for _, name := range names {
			if !slices.Contains(s.Metrics, name) {
				s.Metrics = append(s.Metrics, name)
			}
		}
		steps := len(runs[0].Rows)
		vals := make([]float64, 0, len(runs))
		for k, name := range names {
			st := Stats{Mean: make([]Num, steps), Lo: make([]Num, steps), Hi: make([]Num, steps), N: make([]int, steps)}
			for t := 0; t < steps; t++ {
				vals = vals[:0]
				for _, c := range runs {
					if v := c.Rows[t][k]; finite(v) {
						vals = append(vals, v)
					}
				}
				mean, lo, hi := MeanInterval(vals)
				st.Mean[t], st.Lo[t], st.Hi[t], st.N[t] = Num(mean), Num(lo), Num(hi), len(vals)
			}
			rs.Metrics[name] = st
		}
		addDerived(s, &rs, runs)
		s.Runs = append(s.Runs, rs)
	}
	return s
}

// MeanInterval returns the mean of x and the two-sided Confidence (95%)
// interval for it from Student's t distribution with n−1 degrees of
// freedom: mean ± t·sd/√n. The interval is NaN for fewer than two values;
// everything is NaN for none. Sums run in order, so the result is
// reproducible.
func MeanInterval(x []float64) (mean, lo, hi float64) {
	n := len(x)
	if n == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	for _, v := range x {
		mean += v
	}
	mean /= float64(n)
	if n < 2 {
		return mean, math.NaN(), math.NaN()
	}
	var ss float64
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	sd := math.Sqrt(ss / float64(n-1))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(1 - (1-Confidence)/2)
	h := t * sd / math.Sqrt(float64(n))
	return mean, mean - h, mean + h
}
