package simulate

import (
	"fmt"
	"slices"

	"github.com/socialscore/socialscore/scoring/netstat"
)

// Deciles is the number of starting-score groups the per-decile metrics
// report (decile 0 scored lowest at step 0, decile 9 highest).
const Deciles = 10

// Names of the metrics recorded every round, in the order they are
// recorded. Per-decile metrics add the suffix _d0 … _d9; perk metrics are
// per perk tier k = 1, 2, … in policy order (the tier's perk name is in
// the summary), so that policies with different perk names compare.
const (
	MetricTiesDropped      = "ties_dropped"            // friendships dropped this round
	MetricTiesFormed       = "ties_formed"             // friendships formed this round
	MetricEffort           = "effort"                  // people who invested effort this round
	MetricFriendships      = "friendships"             // friendships in the network
	MetricIsolated         = "isolated"                // people without friends
	MetricComponents       = "components"              // connected components (an isolated person is one)
	MetricLargestComponent = "largest_component_share" // share of people in the largest component
	MetricScoreMean        = "score_mean"              // mean score
	MetricScoreGini        = "score_gini"              // Gini coefficient of the scores
	MetricAssortativity    = "score_assortativity"     // Newman's assortativity of the scores over friendships
	MetricLowShare         = "low_share"               // share of people scoring below the low cut at the end of the round
	MetricScoreMeanDecile  = "score_mean_d"            // + decile: mean score of a starting decile
	MetricDegreeMeanDecile = "degree_mean_d"           // + decile: mean number of friends of a starting decile
	MetricPerksMeanDecile  = "perks_mean_d"            // + decile: mean number of perk tiers a starting decile is eligible for
)

// PerkMetric returns the name of the share of everyone eligible for perk
// tier k (1-based).
func PerkMetric(k int) string { return fmt.Sprintf("perk%d_share", k) }

// PerkDecileMetric returns the name of the share of starting decile d
// eligible for perk tier k (1-based).
func PerkDecileMetric(k, d int) string { return fmt.Sprintf("perk%d_share_d%d", k, d) }

// DecileMetric returns the name of a per-decile metric (prefix
// MetricScoreMeanDecile, MetricDegreeMeanDecile or MetricPerksMeanDecile)
// for decile d.
func DecileMetric(prefix string, d int) string { return fmt.Sprintf("%s%d", prefix, d) }

// Metric is one named number about a model at a step.
type Metric struct {
	Name  string
	Value float64
}

// Metrics measures the model as it is now: what the last round changed
// (zero at step 0), the shape of the network, the spread and homophily of
// the scores, and per starting decile the mean score, the mean degree, the
// mean number of perk tiers unlocked and the share eligible for each perk
// tier. Undefined values (the
// assortativity of a network without ties) are NaN.
//
// Eligibility is Policy.PerksOf: the score reaches the perk's min_score and,
// for a perk with a friend gate, the person has friends whose mean score
// reaches the gate.
func (m *Model) Metrics() []Metric {
	n := float64(m.n)
	out := make([]Metric, 0, 11+len(m.perkNames)*(Deciles+1)+2*Deciles)
	add := func(name string, v float64) { out = append(out, Metric{name, v}) }
	add(MetricTiesDropped, float64(m.last.Dropped))
	add(MetricTiesFormed, float64(m.last.Formed))
	add(MetricEffort, float64(m.last.Effort))
	add(MetricFriendships, float64(len(m.targets)/2))
	add(MetricIsolated, float64(netstat.Isolated(m.offsets)))
	_, count, largest := netstat.Components(m.offsets, m.targets)
	add(MetricComponents, float64(count))
	add(MetricLargestComponent, float64(largest)/n)

	scores := make([]float64, m.n)
	for i, s := range m.score {
		scores[i] = float64(s)
	}
	var sum float64
	for _, s := range scores {
		sum += s
	}
	add(MetricScoreMean, sum/n)
	add(MetricScoreGini, netstat.Gini(scores))
	add(MetricAssortativity, netstat.Assortativity(m.offsets, m.targets, scores))
	m.classifyLow()
	low := 0
	for _, l := range m.low {
		if l {
			low++
		}
	}
	add(MetricLowShare, float64(low)/n)

	// Perk eligibility, overall and by starting decile.
	perks := m.pol.Perks
	eligible := make([][]float64, len(perks)) // per tier, per decile: count
	overall := make([]float64, len(perks))
	for k := range perks {
		eligible[k] = make([]float64, Deciles)
	}
	for i := 0; i < m.n; i++ {
		d := m.startDecile[i]
		for k, p := range perks {
			if int(m.score[i]) < p.MinScore {
				continue
			}
			if p.MinFriendMean > 0 && !(len(m.adj[i]) > 0 && m.friendMean[i] >= float64(p.MinFriendMean)) {
				continue
			}
			eligible[k][d]++
			overall[k]++
		}
	}
	for k := range perks {
		add(PerkMetric(k+1), overall[k]/n)
	}
	meanScore, size := netstat.GroupMeans(m.startDecile, Deciles, scores)
	for d := 0; d < Deciles; d++ {
		add(DecileMetric(MetricScoreMeanDecile, d), meanScore[d])
	}
	deg := make([]float64, m.n)
	for i, row := range m.adj {
		deg[i] = float64(len(row))
	}
	meanDeg, _ := netstat.GroupMeans(m.startDecile, Deciles, deg)
	for d := 0; d < Deciles; d++ {
		add(DecileMetric(MetricDegreeMeanDecile, d), meanDeg[d])
	}
	for d := 0; d < Deciles; d++ {
		var tiers float64
		for k := range perks {
			tiers += eligible[k][d]
		}
		v := tiers / float64(size[d])
		if size[d] == 0 {
			v = nanValue
		}
		add(DecileMetric(MetricPerksMeanDecile, d), v)
	}
	for k := range perks {
		for d := 0; d < Deciles; d++ {
			v := eligible[k][d] / float64(size[d])
			if size[d] == 0 {
				v = nanValue
			}
			add(PerkDecileMetric(k+1, d), v)
		}
	}
	return out
}

// Collector records named metrics per step (Mesa's DataCollector shape):
// Rows[t] holds the values of Names at step t, step 0 being the model
// before the first round.
type Collector struct {
	Names []string
	Rows  [][]float64
}

// Collect appends the model's metrics as the next step. Every step of a
// collector must have the same metric names (one model per collector).
func (c *Collector) Collect(m *Model) {
	ms := m.Metrics()
	if c.Names == nil {
		c.Names = make([]string, len(ms))
		for i, x := range ms {
			c.Names[i] = x.Name
		}
	}
	row := make([]float64, len(ms))
	for i, x := range ms {
		if c.Names[i] != x.Name {
			panic("simulate: collector metrics changed between steps")
		}
		row[i] = x.Value
	}
	c.Rows = append(c.Rows, row)
}

// Series returns the values of the named metric over the steps, or nil if
// there is no such metric.
func (c *Collector) Series(name string) []float64 {
	k := slices.Index(c.Names, name)
	if k < 0 {
		return nil
	}
	out := make([]float64, len(c.Rows))
	for t, row := range c.Rows {
		out[t] = row[k]
	}
	return out
}
