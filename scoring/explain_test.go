package scoring

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// TestExplainByHand checks one explanation worked out by hand under
// sesame (c = 0.05, so 600·(1−c) = 570):
//
//	purchase    570·0.25·0.5  = 71.25   floor 71  rem .25
//	info        570·0.15·0.5  = 42.75   floor 42  rem .75  +1
//	bills       570·0.20·0.75 = 85.5    floor 85  rem .5
//	credit      570·0.35·0.8  = 159.6   floor 159 rem .6   +1
//	recruitment 570·0.05·0    = 0
//	network     570·(0.60−0.63) = −17.1 floor −18 rem .9  +1
//	centrality  600·0.05·0.40 = 12
//	sum 354 = 704 − 350; floors sum to 351, so the 3 largest remainders get 1.
//
// Points lost against the maxima (570·w_k, 600·c): purchase 71.25, info
// 42.75, credit 39.9, bills 28.5, recruitment 28.5, centrality 18; the
// network moves the score by −17, so NET01 displaces the fourth (BIL01).
func TestExplainByHand(t *testing.T) {
	p, _ := Preset("sesame")
	r := graph.Result{
		ID: 1, Score: 704, Individual: 728,
		Pillars:    graph.Pillars{Purchase: 0.5, Info: 0.5, Bills: 0.75, Credit: 0.8},
		Base:       0.63,
		Network:    0.60,
		Percentile: 40,
		Friends:    3, FriendMean: 610,
		// The record has purchases and a late instalment, so PUR01 and
		// CRD01 are true of it.
		Facts: graph.RecordFacts{Known: true, PurchaseCount: 4, BillsOnTime: 5, BillsLate: 1, BillDaysLate: 3, CreditOnTime: 7, CreditLate: 1, CreditDaysLate: 2},
	}
	e := Explain(r, p)
	// expected: the hand computation above; the maxima are ⌈570·w_k⌉ and
	// ⌈600·c⌉: 143, 86, 114, 200, 29 and 30.
	assert.Equal(t, []Component{
		{Name: "purchase", Points: 71, Max: ptr(143)}, {Name: "info", Points: 43, Max: ptr(86)},
		{Name: "bills", Points: 85, Max: ptr(114)}, {Name: "credit", Points: 160, Max: ptr(200)},
		{Name: "recruitment", Points: 0, Max: ptr(29)}, {Name: "network", Points: -17},
		{Name: "centrality", Points: 12, Max: ptr(30)},
	}, e.Components)
	assert.Equal(t, []Reason{
		{Code: "PUR01", Text: "low purchase volume", Points: -71, PointsMissing: 72},
		{Code: "INF01", Text: "incomplete or unverified personal information", Points: -43, PointsMissing: 43},
		{Code: "CRD01", Text: "late credit payments or defaults", Points: -40, PointsMissing: 40},
		{Code: "NET01", Text: "friends' scores lower yours", Points: -17, PointsMissing: 17},
	}, e.Reasons)
	assert.Nil(t, e.Network, "a result without friends' shares has no network split")
	assert.Equal(t, 704, e.Score)
	assert.Equal(t, 728, e.Individual)
	assert.Equal(t, "excellent", e.Band)
	assert.Equal(t, []string{"deposit_free_rentals", "car_rental_no_deposit", "travel_fast_track"}, e.Perks)
}

// TestExplainFriendsRaise: when friends raise the score by ≥ 1 point the
// last reason is NET02 with those points, and at most three adverse ones
// come before it.
func TestExplainFriendsRaise(t *testing.T) {
	p, _ := Preset("tencent") // c = 0.1: 600·(1−c) = 540
	r := graph.Result{
		Pillars:    graph.Pillars{Purchase: 0.2, Info: 0.3, Bills: 0.5, Credit: 0.4, Recruitment: 0.1},
		Percentile: 50,
	}
	r.Base = p.Weights.Combine(r.Pillars)
	r.Network = r.Base + 0.05 // friends add 540·0.05 = 27 points
	r.Score = RoundScore(350 + 540*r.Network + 60*0.5)
	e := Explain(r, p)
	require.Len(t, e.Reasons, 4)
	last := e.Reasons[3]
	// expected: 540·0.05 = 27
	assert.Equal(t, Reason{Code: "NET02", Text: "friends' scores raise yours", Points: 27}, last)
	for _, reason := range e.Reasons[:3] {
		assert.Negative(t, reason.Points)
	}
}

// TestExplainFriendDefaults: under lenddo the penalty shows as the
// friend_defaults component (the part of the score the others do not
// explain) with reason DEF01.
func TestExplainFriendDefaults(t *testing.T) {
	p, _ := Preset("lenddo")
	r := graph.Result{
		Pillars:    graph.Pillars{Purchase: 0.9, Info: 0.9, Bills: 0.9, Credit: 0.9, Recruitment: 0.9},
		Percentile: 90,
	}
	r.Base = p.Weights.Combine(r.Pillars)
	r.Network = r.Base
	raw := 350 + 600*((1-p.Centrality)*r.Network+p.Centrality*0.9)
	r.Score = RoundScore(raw - 45) // three defaulting friends
	e := Explain(r, p)
	require.Len(t, e.Components, 8)
	assert.Equal(t, Component{Name: "friend_defaults", Points: -45}, e.Components[7])
	assert.Contains(t, e.Reasons, Reason{Code: "DEF01", Text: "friends with defaults", Points: -45, PointsMissing: 45})
	sum := 350
	for _, c := range e.Components {
		sum += c.Points
	}
	assert.Equal(t, r.Score, sum)

	// Without defaulting friends the component is 0, not rounding noise.
	r.Score = RoundScore(raw)
	e = Explain(r, p)
	assert.Equal(t, Component{Name: "friend_defaults", Points: 0}, e.Components[7])
}

// TestExplainInvariants explains every result of random runs under every
// preset and checks what Explain promises.
func TestExplainInvariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(77, 78))
	s := randomSnapshot(t, rng, 400, 1000, true)
	codes := map[string]bool{}
	for _, c := range []string{"PUR01", "PUR02", "INF01", "BIL01", "BIL02", "BIL03", "CRD01", "CRD02", "CRD03", "REC01", "NET01", "NET02", "CEN01", "DEF01"} {
		codes[c] = true
		assert.NotEmpty(t, ReasonText(c))
	}
	netReasons := 0
	for _, p := range Presets() {
		results, _, err := ScoreSnapshot(context.Background(), s, p, Options{})
		require.NoError(t, err)
		for _, r := range results {
			e := Explain(r, p)
			names := []string{"purchase", "info", "bills", "credit", "recruitment", "network", "centrality"}
			if p.FriendDefaultPenalty > 0 {
				names = append(names, "friend_defaults")
			}
			sum := MinScore
			var got []string
			netPoints := 0
			for _, c := range e.Components {
				got = append(got, c.Name)
				sum += c.Points
				if c.Name == "network" {
					netPoints = c.Points
				}
			}
			require.Equal(t, names, got)
			require.Equal(t, r.Score, sum, "%s: components of %d", p.Name, r.ID)
			require.LessOrEqual(t, len(e.Reasons), 4)
			hasNet := false
			for k, reason := range e.Reasons {
				assert.True(t, codes[reason.Code], reason.Code)
				assert.Equal(t, ReasonText(reason.Code), reason.Text)
				switch reason.Code {
				case "NET02":
					assert.Equal(t, len(e.Reasons)-1, k, "NET02 comes last")
					assert.Equal(t, netPoints, reason.Points)
					hasNet = true
				case "NET01":
					assert.Equal(t, netPoints, reason.Points)
					hasNet = true
				default:
					assert.LessOrEqual(t, reason.Points, -1)
				}
			}
			assert.Equal(t, math.Abs(float64(netPoints)) >= 1, hasNet, "network reason of %d (%d points)", r.ID, netPoints)
			if hasNet {
				netReasons++
			}
			assert.Equal(t, p.BandOf(r.Score), e.Band)
			assert.Equal(t, p.PerksOf(r.Score, r.Friends, r.FriendMean), e.Perks)
			if p.Alpha == 0 {
				assert.Zero(t, netPoints)
			}
		}
	}
	assert.Positive(t, netReasons, "the runs should include network reasons")
}

func TestLargestRemainder(t *testing.T) {
	for _, c := range []struct {
		name   string
		x      []float64
		target int
		want   []int
	}{
		// floors 10+20+5 = 35, one unit to the largest remainder (.6)
		{"one unit", []float64{10.6, 20.3, 5.1}, 36, []int{11, 20, 5}},
		// ties go to the earlier component
		{"tie", []float64{1.5, 1.5, 1}, 4, []int{2, 1, 1}},
		// negatives: floor(−2.3) = −3 with remainder .7
		{"negative", []float64{-2.3, 5.3}, 3, []int{-2, 5}},
		{"exact", []float64{3, 4}, 7, []int{3, 4}},
		// target unreachable by floors + 1: round each
		{"fallback", []float64{1.2, 2.2}, 10, []int{1, 2}},
	} {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, largestRemainder(c.x, c.target))
		})
	}
}

func ptr[T any](v T) *T { return &v }
