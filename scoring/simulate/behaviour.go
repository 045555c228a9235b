package simulate

import (
	"cmp"
	"math"
	"slices"

	"github.com/socialscore/socialscore/scoring"
)

// The behaviour rules of a round (see the package doc): who is low, who
// drops whom, which ties form, who invests effort. They decide on the
// scores at the start of the round; the network edits are in network.go
// and the re-scoring in rescore.go.

// classifyLow marks who is low: a current individual score (or score,
// Config.LowOn) below the cut.
func (m *Model) classifyLow() {
	for i := range m.score {
		m.low[i] = m.lowKey(i) < m.lowCut
	}
}

// setLowCut fixes the score below which people are low: LowScore, or the
// step-0 score of mid-rank percentile 100·LowQuantile, that is the lowest
// score s with (#{score < s} + ½·#{score = s})/n ≥ LowQuantile. Call it
// once, on the step-0 scores.
func (m *Model) setLowCut() {
	if m.cfg.LowQuantile == 0 {
		m.lowCut = int32(m.cfg.LowScore)
		return
	}
	var hist [scoring.MaxScore + 1]int
	for i := range m.score {
		hist[m.lowKey(i)]++
	}
	below := 0
	q2n := 2 * m.cfg.LowQuantile * float64(m.n)
	m.lowCut = scoring.MaxScore + 1
	for s := scoring.MinScore; s <= scoring.MaxScore; s++ {
		if float64(2*below+hist[s]) >= q2n {
			m.lowCut = int32(s)
			return
		}
		below += hist[s]
	}
}

// lowKey is the score on which person i is judged low or high (Config.LowOn).
func (m *Model) lowKey(i int) int32 {
	if m.cfg.LowOn == LowOnScore {
		return m.score[i]
	}
	return int32(scoring.IndividualScore(m.prop.b[i]))
}

// pDrop is the probability that u drops a low friend the rule picks, at
// full stake (see stake).
func (m *Model) pDrop(u int32) float64 {
	if m.low[u] {
		return m.cfg.PLowDropsLow
	}
	return m.cfg.PHighDropsLow
}

// stake is how much u cares about what friends do to u's score, in [0,1]:
// 0 when u's friends cost u nothing overall (cost ≤ 0, the points u would
// have with no friends minus the points u has, as the one-step estimate
// gives them), 1 when they cost FullCost points or more, in proportion in
// between; with FullCost 0, 1 whenever they cost anything. br must be
// reset for u.
func (m *Model) stake(br *bestResponse) float64 {
	cost := br.cost(m)
	switch {
	case !(cost > 0):
		return 0
	case m.cfg.FullCost == 0 || cost >= m.cfg.FullCost:
		return 1
	}
	return cost / m.cfg.FullCost
}

// decideDrops returns the drops decided this round, as (dropper, dropped)
// in the order decided. Each person, in index order, whose friends cost
// them points considers the low friends the rule picks among those who
// pull their score down, in order of preference, and drops each with the
// probability for their own type times their stake, up to the cap.
// Decisions use the scores and friendships at the start of the round.
func (m *Model) decideDrops() []pair {
	var out []pair
	limit := m.cfg.MaxDropsPerRound
	if limit == 0 || (m.cfg.PHighDropsLow == 0 && m.cfg.PLowDropsLow == 0) {
		return nil
	}
	var cand []int32
	var br bestResponse
	for ui := 0; ui < m.n; ui++ {
		u := int32(ui)
		p := m.pDrop(u)
		if p == 0 || len(m.adj[u]) == 0 {
			continue
		}
		br.reset(m, u)
		if p *= m.stake(&br); p == 0 {
			continue
		}
		drops := 0
		switch m.cfg.DropRule {
		case Threshold, Relative:
			cand = cand[:0]
			for k, v := range m.adj[u] {
				if m.low[v] && m.ruleMarks(u, v) && br.gain(m, k, v) > 0 {
					cand = append(cand, v)
				}
			}
			// Lowest scorers first (they pull down most); ties by index.
			slices.SortFunc(cand, func(a, b int32) int {
				if c := cmp.Compare(m.score[a], m.score[b]); c != 0 {
					return c
				}
				return cmp.Compare(a, b)
			})
			for _, v := range cand {
				if drops == limit {
					break
				}
				if m.rng.Float64() < p {
					out = append(out, pair{u, v})
					drops++
				}
			}
		case BestResponse:
			for drops < limit {
				v, gain := br.best(m)
				if v < 0 || !(gain > 0) || gain < m.cfg.MinGain {
					break
				}
				if m.rng.Float64() < p {
					br.remove(m, v)
					out = append(out, pair{u, v})
					drops++
				} else {
					br.spare(v)
				}
			}
		}
	}
	return out
}

// uniquePairs returns the undirected ties of the drops, sorted, each once
// (a tie dropped from both ends counts once).
func uniquePairs(drops []pair) []pair {
	out := make([]pair, len(drops))
	for i, d := range drops {
		out[i] = mkPair(d.u, d.v)
	}
	slices.SortFunc(out, comparePairs)
	return slices.Compact(out)
}

// ruleMarks reports whether the threshold or relative rule marks friend v
// of u for dropping (v's lowness is checked by the caller).
func (m *Model) ruleMarks(u, v int32) bool {
	if m.cfg.DropRule == Threshold {
		return int(m.score[v]) < m.cfg.Threshold
	}
	return int(m.score[v]) < int(m.score[u])-m.cfg.Margin
}

// bestResponse evaluates, for one person u, the one-step estimate of u's
// score after removing a set R of friends: with the friends' network values
// s_v held fixed,
//
//	ŝ_u(R) = (1−α)·b_u + α·Σ_{v∉R} w_uv·s_v / Σ_{v∉R} w_uv   (b_u if no friend is left)
//	points(R) = 600·(1−c)·ŝ_u(R) − min(cap, penalty·#{v∉R : v has a default})
//
// and the gain of removing v is points(R ∪ {v}) − points(R).
type bestResponse struct {
	u               int32
	sumW, sumWS     float64 // over friends not removed
	defaults        int     // friends not removed with a default
	removed, spared []int32 // removed, or kept after a failed draw
}

func (br *bestResponse) reset(m *Model, u int32) {
	br.u = u
	br.sumW, br.sumWS, br.defaults = 0, 0, 0
	br.removed, br.spared = br.removed[:0], br.spared[:0]
	s := m.prop.s
	for k, v := range m.adj[u] {
		w := m.weight(u, k)
		br.sumW += w
		br.sumWS += w * s[v]
		if m.defaulted != nil && m.defaulted[v] {
			br.defaults++
		}
	}
}

// points is the estimate for the remaining friends' sums.
func (br *bestResponse) points(m *Model, sumW, sumWS float64, defaults int) float64 {
	alpha, c := m.pol.Alpha, m.pol.Centrality
	b := m.prop.b[br.u]
	sh := b
	if sumW > 0 {
		sh = (1-alpha)*b + alpha*sumWS/sumW
	}
	pts := scoring.Span * (1 - c) * sh
	if m.defaulted != nil {
		pts -= m.pol.PenaltyFor(defaults)
	}
	return pts
}

// cost is what u's friends cost u overall: the points with no friends
// minus the points with all of them (negative when friends lift u).
func (br *bestResponse) cost(m *Model) float64 {
	return br.points(m, 0, 0, 0) - br.points(m, br.sumW, br.sumWS, br.defaults)
}

// gain is what removing v, u's k-th friend, gains u, given the removals
// so far this round.
func (br *bestResponse) gain(m *Model, k int, v int32) float64 {
	return br.without(m, k, v) - br.points(m, br.sumW, br.sumWS, br.defaults)
}

// without is u's points with v, u's k-th friend, removed as well.
func (br *bestResponse) without(m *Model, k int, v int32) float64 {
	w := m.weight(br.u, k)
	d := br.defaults
	if m.defaulted != nil && m.defaulted[v] {
		d--
	}
	return br.points(m, br.sumW-w, br.sumWS-w*m.prop.s[v], d)
}

// best returns the low friend (not yet removed or spared) whose removal
// gains most, and the gain; −1 if there is none. Ties go to the lower
// index.
func (br *bestResponse) best(m *Model) (int32, float64) {
	base := br.points(m, br.sumW, br.sumWS, br.defaults)
	bestV, bestGain := int32(-1), math.Inf(-1)
	for k, v := range m.adj[br.u] {
		if !m.low[v] || slices.Contains(br.removed, v) || slices.Contains(br.spared, v) {
			continue
		}
		g := br.without(m, k, v) - base
		if g > bestGain {
			bestV, bestGain = v, g
		}
	}
	return bestV, bestGain
}

func (br *bestResponse) remove(m *Model, v int32) {
	k, _ := slices.BinarySearch(m.adj[br.u], v)
	w := m.weight(br.u, k)
	br.sumW -= w
	br.sumWS -= w * m.prop.s[v]
	if m.defaulted != nil && m.defaulted[v] {
		br.defaults--
	}
	br.removed = append(br.removed, v)
}

func (br *bestResponse) spare(v int32) { br.spared = append(br.spared, v) }

// wouldDrop reports whether w, offered a tie with u, sees u as a friend
// it would drop: u is low, would pull w's score down (for best_response:
// by at least MinGain points), and w's rule marks u. It returns w's stake
// as w's friends are now (see stake).
func (m *Model) wouldDrop(w, u int32) (bool, float64) {
	if !m.low[u] {
		return false, 0
	}
	if m.cfg.DropRule != BestResponse && !m.ruleMarks(w, u) {
		return false, 0
	}
	var br bestResponse
	br.reset(m, w)
	before := br.points(m, br.sumW, br.sumWS, br.defaults)
	d := br.defaults
	if m.defaulted != nil && m.defaulted[u] {
		d++
	}
	after := br.points(m, br.sumW+1, br.sumWS+m.prop.s[u], d)
	loss := before - after
	if !(loss > 0) || (m.cfg.DropRule == BestResponse && loss < m.cfg.MinGain) {
		return false, 0
	}
	// The stake with u among w's friends: what w would then be defending.
	br.sumW++
	br.sumWS += m.prop.s[u]
	br.defaults = d
	return true, m.stake(&br)
}

// decideForms returns the ties formed this round, sorted, each once and
// none already present. Each person with friends, in index order, tries
// with probability PFormTie: they take formCandidates two-hop walks
// (a random friend, then a random friend of theirs), keep the ends that
// are neither themselves, nor already friends, nor a tie dropped this
// round, and choose one with weight exp(FormBias·(score−350)/600). The
// chosen person refuses, with the probability for their own type times
// their stake with the newcomer as a friend, if they would drop the
// newcomer (wouldDrop).
func (m *Model) decideForms(dropped []pair) []pair {
	pf := m.cfg.PFormTie
	if pf == 0 {
		return nil
	}
	var out []pair
	var cands []int32
	var wts []float64
	for ui := 0; ui < m.n; ui++ {
		u := int32(ui)
		fu := m.adj[u]
		if len(fu) == 0 {
			continue
		}
		if m.rng.Float64() >= pf {
			continue
		}
		cands, wts = cands[:0], wts[:0]
		total := 0.0
		for range formCandidates {
			v := fu[m.rng.IntN(len(fu))]
			fv := m.adj[v]
			if len(fv) == 0 {
				continue
			}
			w := fv[m.rng.IntN(len(fv))]
			if w == u || slices.Contains(cands, w) {
				continue
			}
			if _, found := slices.BinarySearch(fu, w); found {
				continue
			}
			if _, found := slices.BinarySearchFunc(dropped, mkPair(u, w), comparePairs); found {
				continue
			}
			x := math.Exp(m.cfg.FormBias * float64(m.score[w]-scoring.MinScore) / scoring.Span)
			cands = append(cands, w)
			wts = append(wts, x)
			total += x
		}
		if len(cands) == 0 {
			continue
		}
		r := m.rng.Float64() * total
		pick := len(cands) - 1
		for k, x := range wts {
			if r < x {
				pick = k
				break
			}
			r -= x
		}
		w := cands[pick]
		if p := m.pDrop(w); p > 0 {
			if drop, stake := m.wouldDrop(w, u); drop && stake > 0 && m.rng.Float64() < p*stake {
				continue // refused
			}
		}
		out = append(out, mkPair(u, w))
	}
	slices.SortFunc(out, comparePairs)
	return slices.Compact(out)
}

// invest lets low scorers invest effort and returns how many did.
func (m *Model) invest() int {
	if m.cfg.PEffort == 0 || m.cfg.EffortSize == 0 {
		return 0
	}
	k := 0
	add := int64(m.cfg.EffortSize)
	for i := 0; i < m.n; i++ {
		if !m.low[i] {
			continue
		}
		if m.rng.Float64() < m.cfg.PEffort {
			m.records[i].BillsOnTime += add
			m.records[i].CreditOnTime += add
			k++
		}
	}
	return k
}
