package scoring

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// TestExplainIntoMatchesBefore: ExplainInto, with one buffer reused for
// every result, and Explain give exactly what Explain gave before it was
// built on ExplainInto (explainBefore, that code kept verbatim below), for
// every result of every preset, a policy with more perks than the buffer
// holds, and results that do not fit their policy.
func TestExplainIntoMatchesBefore(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 10))
	s := randomSnapshot(t, rng, 400, 1000, true)
	many, _ := Preset("tencent")
	many.Name = "many-perks"
	many.FriendDefaultPenalty, many.FriendDefaultCap = 40, 120
	many.Perks = nil
	for k := range 12 {
		many.Perks = append(many.Perks, Perk{Name: "perk" + strconv.Itoa(k), MinScore: 350 + 40*k, MinFriendMean: 500 * min(k%3, 1)})
	}
	var buf ExplainBuf
	checked := 0
	for _, p := range append(Presets(), many) {
		results, _, err := ScoreSnapshot(context.Background(), s, p, Options{})
		require.NoError(t, err)
		// Results that do not fit the policy: points beyond the maxima.
		for i := range 20 {
			r := results[i]
			r.Score = MinScore + Span + 200*(i%3)
			r.Pillars.Credit = 3
			results = append(results, r)
		}
		for _, r := range results {
			want := explainBefore(r, p)
			got := ExplainInto(r, p, &buf)
			require.Equal(t, want, got, "%s: person %d", p.Name, r.ID)
			require.Equal(t, want, Explain(r, p), "%s: person %d", p.Name, r.ID)
			checked++
		}
	}
	require.Greater(t, checked, 2000)
}

// TestExplainOwnsItsSlices: an explanation from Explain shares nothing
// with another one.
func TestExplainOwnsItsSlices(t *testing.T) {
	p, _ := Preset("sesame")
	r := graph.Result{ID: 1, Score: 600, Pillars: graph.Pillars{Purchase: 0.5, Info: 0.2, Bills: 0.4, Credit: 0.3},
		Base: 0.4, Network: 0.35, Percentile: 20, Share: graph.NetworkShare{Known: true, Lower: -0.05, Lowering: 2}}
	a, b := Explain(r, p), Explain(r, p)
	require.Equal(t, a, b)
	*a.Components[0].Max = 999
	a.Components[1].Points = 999
	a.Reasons[0].Points = 999
	a.Network.Lower.Points = 999
	require.Equal(t, explainBefore(r, p), b)
}

// TestExplainIntoAllocatesNothing: a score read explains with a buffer on
// its stack and no allocation.
func TestExplainIntoAllocatesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	s := randomSnapshot(t, rng, 200, 500, true)
	for _, p := range Presets() {
		results, _, err := ScoreSnapshot(context.Background(), s, p, Options{})
		require.NoError(t, err)
		i := 0
		allocs := testing.AllocsPerRun(200, func() {
			var buf ExplainBuf
			e := ExplainInto(results[i%len(results)], p, &buf)
			i++
			if len(e.Components) == 0 {
				t.Fatal("no components")
			}
		})
		require.Zero(t, allocs, p.Name)
	}
}

// perksBefore is Policy.PerksOf as it was.
func perksBefore(p Policy, score int, friends int32, friendMean float64) []string {
	out := []string{}
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

// The code below is Explain, largestRemainder and components as they were
// before ExplainInto (the reference of TestExplainIntoMatchesBefore).

func explainBefore(r graph.Result, p Policy) Explanation {
	own := Span * (1 - p.Centrality)
	comps := componentsBefore(r, p)
	const network = 5
	target := r.Score - MinScore

	exact := make([]float64, len(comps))
	for i, k := range comps {
		exact[i] = k.exact
	}
	points := largestRemainderBefore(exact, target)

	e := Explanation{
		Score:      r.Score,
		Individual: r.Individual,
		Band:       p.BandOf(r.Score),
		Components: make([]Component, len(comps)),
		Reasons:    []Reason{},
		Perks:      perksBefore(p, r.Score, r.Friends, r.FriendMean),
	}
	type cand struct {
		Reason
		loss float64
	}
	var adverse []cand
	maxes := make([]int, len(comps))
	for i, k := range comps {
		e.Components[i] = Component{Name: k.name, Points: points[i]}
		var loss float64
		var pts, missing int
		if math.IsNaN(k.max) {
			loss, pts, missing = -k.exact, points[i], -points[i]
			if pts > -1 {
				continue
			}
		} else {
			maxes[i] = max(int(math.Ceil(k.max-1e-9)), points[i])
			e.Components[i].Max = &maxes[i]
			loss = k.max - k.exact
			pts, missing = -int(math.Round(loss)), maxes[i]-points[i]
			if pts > -1 {
				continue
			}
		}
		code, ok := reasonCode(k.code, r)
		if !ok {
			continue
		}
		adverse = append(adverse, cand{Reason{Code: code, Text: reasonText[code], Points: pts, PointsMissing: missing}, loss})
	}
	slices.SortStableFunc(adverse, func(a, b cand) int { return cmp.Compare(b.loss, a.loss) })
	netPts := points[network]
	limit := MaxReasons
	if netPts >= 1 {
		limit-- // room for NET02
	}
	if len(adverse) > limit {
		if netPts <= -1 && !slices.ContainsFunc(adverse[:limit], func(c cand) bool { return c.Code == ReasonNetworkLowers }) {
			i := slices.IndexFunc(adverse, func(c cand) bool { return c.Code == ReasonNetworkLowers })
			adverse[limit-1] = adverse[i]
		}
		adverse = adverse[:limit]
	}
	for _, a := range adverse {
		e.Reasons = append(e.Reasons, a.Reason)
	}
	if netPts >= 1 {
		e.Reasons = append(e.Reasons, Reason{Code: ReasonNetworkRaises, Text: reasonText[ReasonNetworkRaises], Points: netPts})
	}
	if sh := r.Share; sh.Known {
		rp, lp := splitPoints(own*sh.Raise, own*sh.Lower, netPts)
		e.Network = &NetworkSplit{
			Raise: FriendsPoints{Friends: int(sh.Raising), Points: rp},
			Lower: FriendsPoints{Friends: int(sh.Lowering), Points: lp},
		}
	}
	return e
}

func largestRemainderBefore(x []float64, target int) []int {
	p := make([]int, len(x))
	sum := 0
	for i, v := range x {
		p[i] = int(math.Floor(v))
		sum += p[i]
	}
	rem := target - sum
	if rem < 0 || rem > len(x) {
		for i, v := range x {
			p[i] = int(math.Round(v))
		}
		return p
	}
	order := make([]int, len(x))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(x[b]-math.Floor(x[b]), x[a]-math.Floor(x[a]))
	})
	for _, i := range order[:rem] {
		p[i]++
	}
	return p
}

func componentsBefore(r graph.Result, p Policy) []comp {
	c := p.Centrality
	own := Span * (1 - c)
	w := p.Weights
	comps := []comp{
		{ComponentPurchase, ReasonPurchase, own * w.Purchase * r.Pillars.Purchase, own * w.Purchase},
		{ComponentInfo, ReasonInfo, own * w.Info * r.Pillars.Info, own * w.Info},
		{ComponentBills, ReasonBills, own * w.Bills * r.Pillars.Bills, own * w.Bills},
		{ComponentCredit, ReasonCredit, own * w.Credit * r.Pillars.Credit, own * w.Credit},
		{ComponentRecruitment, ReasonRecruitment, own * w.Recruitment * r.Pillars.Recruitment, own * w.Recruitment},
		{ComponentNetwork, ReasonNetworkLowers, own * (r.Network - r.Base), math.NaN()},
		{ComponentCentrality, ReasonCentrality, Span * c * r.Percentile / 100, Span * c},
	}
	if p.FriendDefaultPenalty > 0 {
		var sum float64
		for _, k := range comps {
			sum += k.exact
		}
		fd := float64(r.Score-MinScore) - sum
		if fd > -0.5 {
			fd = 0
		}
		comps = append(comps, comp{ComponentFriendDefaults, ReasonFriendDefaults, fd, math.NaN()})
	}
	return comps
}
