package scoring

import (
	"cmp"
	"math"
	"slices"

	"github.com/socialscore/socialscore/graph"
)

// Component names, in the order Explain lists them.
const (
	ComponentPurchase       = "purchase"
	ComponentInfo           = "info"
	ComponentBills          = "bills"
	ComponentCredit         = "credit"
	ComponentRecruitment    = "recruitment"
	ComponentNetwork        = "network"
	ComponentCentrality     = "centrality"
	ComponentFriendDefaults = "friend_defaults"
)

// Reason codes. They are stable: a code keeps its meaning forever, and a new
// kind of reason gets a new code. See Explain for the table.
const (
	ReasonPurchase       = "PUR01"
	ReasonInfo           = "INF01"
	ReasonBills          = "BIL01"
	ReasonCredit         = "CRD01"
	ReasonRecruitment    = "REC01"
	ReasonNetworkLowers  = "NET01"
	ReasonNetworkRaises  = "NET02"
	ReasonCentrality     = "CEN01"
	ReasonFriendDefaults = "DEF01"

	// Absence is not fault: these say that the record is empty or short,
	// where PUR01, BIL01 and CRD01 say what it holds.
	ReasonPurchaseNone = "PUR02"
	ReasonBillsNone    = "BIL02"
	ReasonBillsShort   = "BIL03"
	ReasonCreditNone   = "CRD02"
	ReasonCreditShort  = "CRD03"
)

// reasonText is the text of each reason code.
var reasonText = map[string]string{
	ReasonPurchase:       "low purchase volume",
	ReasonInfo:           "incomplete or unverified personal information",
	ReasonBills:          "late bill payments or a short bill payment history",
	ReasonCredit:         "late credit payments or defaults",
	ReasonRecruitment:    "few active recruits",
	ReasonNetworkLowers:  "friends' scores lower yours",
	ReasonNetworkRaises:  "friends' scores raise yours",
	ReasonCentrality:     "low standing in the network",
	ReasonFriendDefaults: "friends with defaults",
	ReasonPurchaseNone:   "no purchase history",
	ReasonBillsNone:      "no bill payment history",
	ReasonBillsShort:     "short bill payment history",
	ReasonCreditNone:     "no credit history",
	ReasonCreditShort:    "short credit history",
}

// ReasonText returns the fixed text of a reason code ("" if unknown).
func ReasonText(code string) string { return reasonText[code] }

// MaxReasons is the most reasons an explanation gives.
const MaxReasons = 4

// Explain derives the explanation of a result under the policy it was
// computed with (p must be that policy: the points are recomputed from the
// result's pillars, b, s and percentile).
//
// Components. With c the policy's centrality and w_k its weights, the score
// before rounding is 350 + Σ of these exact points:
//
//	purchase, info, bills, credit, recruitment:  600·(1−c)·w_k·pillar_k
//	network:                                      600·(1−c)·(s − b)
//	centrality:                                   600·c·percentile/100
//	friend_defaults (only if the policy has a FriendDefaultPenalty):
//	    Score − 350 − Σ of the others, the penalty as actually applied
//	    (after clamping); amounts above −½ point are rounding and count 0.
//
// The exact points are turned into integers by the largest-remainder
// method (round every one down, then add 1 to those with the largest
// fractional parts until they sum to Score − 350), so 350 + Σ points =
// Score exactly; only if the result does not fit the policy can they be off
// (each is then rounded on its own).
//
// Reasons. A component's adverse points are what it lost against its
// maximum: 600·(1−c)·w_k for a pillar, 600·c for centrality, and for the
// network and friend_defaults their points when negative. Components that
// lost at least ½ point are reasons, most adverse first (ties in code
// order below), at most MaxReasons. When friends move the score by at
// least 1 point, the network reason is always given, even if it pushes out
// a smaller one: NET01 among the adverse ones, or NET02 (friends raise the
// score) last. Reason.Points is −(points lost, rounded) for a pillar or
// centrality and the component's points for NET01, NET02 and DEF01.
//
// A reason is given only when the record shows what its text says: which
// code a purchase, bills or credit component gets depends on the record's
// facts (graph.Result.Facts), not on its points. CRD01 needs a late credit
// payment or a default, BIL01 a late bill payment, PUR01 a purchase;
// otherwise the component gets the code for no history (nothing in the
// record) or a short history (only on-time payments: the pillar's
// rule of succession keeps it below 1 until the history is long). A result
// stored before facts were kept (Facts.Known false) gets no purchase,
// bills or credit reason: its record is not known.
//
// Points. Component.Points is what the component earned (as before);
// Component.Max is the most it can earn, ⌈600·(1−c)·w_k⌉ for a pillar and
// ⌈600·c⌉ for centrality (and never below Points), nil for the network
// and friend_defaults. Reason.PointsMissing is Max − Points of its
// component, or −Points for NET01 and DEF01, and 0 for NET02.
//
// Network split. When the result carries friends' shares (Share.Known),
// Network divides the network component's points between the friends who
// raise it and those who lower it (graph.NetworkShare, FriendShares),
// rounded by the largest-remainder method so that Raise.Points +
// Lower.Points is the network component's points.
//
//	code   component        meaning (given when)
//	PUR01  purchase         low purchase volume (the record has purchases)
//	PUR02  purchase         no purchase history (no purchase)
//	INF01  info             incomplete or unverified personal information
//	BIL01  bills            late bill payments or a short bill payment history
//	                        (given only when a bill was paid late; the text is
//	                        kept as it was, a code never changes meaning)
//	BIL02  bills            no bill payment history (no bill payment)
//	BIL03  bills            short bill payment history (all on time)
//	CRD01  credit           late credit payments or defaults (a late
//	                        instalment or a default)
//	CRD02  credit           no credit history (no instalment, no default)
//	CRD03  credit           short credit history (all instalments on time)
//	REC01  recruitment      few active recruits
//	NET01  network          friends' scores lower yours
//	NET02  network          friends' scores raise yours (not adverse)
//	CEN01  centrality       low standing in the network (PageRank percentile)
//	DEF01  friend_defaults  friends with defaults
//
// The codes follow the adverse-action reason codes that US credit scores
// give under Regulation B (12 CFR 1002.9): a short, stable list of the
// principal reasons, most important first.
//
// Band is Policy.BandOf(Score); Perks is Policy.PerksOf(Score, Friends,
// FriendMean).
func Explain(r graph.Result, p Policy) Explanation {
	var buf ExplainBuf
	e := ExplainInto(r, p, &buf)
	// The explanation owns its slices (ExplainInto's point into buf).
	e.Components = slices.Clone(e.Components)
	for i := range e.Components {
		if m := e.Components[i].Max; m != nil {
			v := *m
			e.Components[i].Max = &v
		}
	}
	e.Reasons = append([]Reason{}, e.Reasons...)
	e.Perks = append([]string{}, e.Perks...)
	if e.Network != nil {
		n := *e.Network
		e.Network = &n
	}
	return e
}

// maxComponents is the most components an explanation has (seven, and
// friend_defaults).
const maxComponents = 8

// ExplainBuf is where the slices of an explanation made by ExplainInto
// point. A score read keeps one on its stack, so that explaining a score
// allocates nothing: every read of a person can be explained afresh, at
// the cost a cached explanation had, and nothing per person is kept.
type ExplainBuf struct {
	comps   [maxComponents]Component
	reasons [MaxReasons]Reason
	perks   [8]string // more perks than these are appended to the heap
	network NetworkSplit
}

// maxValues[v] is v: a component's Max points here rather than into an
// ExplainBuf, which would make the buffer escape to the heap (a pointer
// into it stored in it). Maxima beyond Span (a result that does not fit
// its policy) get an int of their own.
var maxValues = func() (a [Span + 1]int) {
	for i := range a {
		a[i] = i
	}
	return a
}()

// ExplainInto is Explain with the explanation's slices and Network in buf
// (valid until buf is reused) and Max pointing to shared, read-only ints:
// the same explanation, without allocating. Callers must not modify it.
func ExplainInto(r graph.Result, p Policy, buf *ExplainBuf) Explanation {
	own := Span * (1 - p.Centrality)
	var compsArr [maxComponents]comp
	comps := componentsInto(r, p, &compsArr)
	const network = 5
	target := r.Score - MinScore

	var exactArr [maxComponents]float64
	exact := exactArr[:len(comps)]
	for i, k := range comps {
		exact[i] = k.exact
	}
	var pointsArr [maxComponents]int
	points := pointsArr[:len(comps)]
	largestRemainderInto(exact, target, points)

	e := Explanation{
		Score:      r.Score,
		Individual: r.Individual,
		Band:       p.BandOf(r.Score),
		Components: buf.comps[:len(comps)],
		Reasons:    buf.reasons[:0],
		Perks:      p.appendPerks(buf.perks[:0], r.Score, r.Friends, r.FriendMean),
	}
	type cand struct {
		Reason
		loss float64
	}
	var adverseArr [maxComponents]cand
	adverse := adverseArr[:0]
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
			m := max(int(math.Ceil(k.max-1e-9)), points[i])
			if m >= 0 && m < len(maxValues) {
				e.Components[i].Max = &maxValues[m]
			} else {
				e.Components[i].Max = &[]int{m}[0]
			}
			loss = k.max - k.exact
			pts, missing = -int(math.Round(loss)), m-points[i]
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
		buf.network = NetworkSplit{
			Raise: FriendsPoints{Friends: int(sh.Raising), Points: rp},
			Lower: FriendsPoints{Friends: int(sh.Lowering), Points: lp},
		}
		e.Network = &buf.network
	}
	return e
}

// reasonCode returns the code a component's adverse points are given
// under, from the record's facts: the component's first code (PUR01,
// BIL01, CRD01) only when the record shows what it names. ok is false when
// no code is true of what is known (a result stored before facts were
// kept).
func reasonCode(code string, r graph.Result) (string, bool) {
	f := r.Facts
	switch code {
	case ReasonPurchase:
		switch {
		case !f.Known:
			return "", false
		case f.PurchaseCount == 0 && r.Pillars.Purchase == 0:
			return ReasonPurchaseNone, true
		}
	case ReasonBills:
		switch {
		case !f.Known:
			return "", false
		case f.LateBills():
			return ReasonBills, true
		case f.BillsOnTime == 0:
			return ReasonBillsNone, true
		default:
			return ReasonBillsShort, true
		}
	case ReasonCredit:
		switch {
		case !f.Known:
			return "", false
		case f.LateCredit():
			return ReasonCredit, true
		case f.CreditOnTime == 0:
			return ReasonCreditNone, true
		default:
			return ReasonCreditShort, true
		}
	}
	return code, true
}

// largestRemainder returns integers p_i with Σ p_i = target that round the
// x_i: every x_i is rounded down and the target's remaining units go, one
// each, to the x_i with the largest fractional parts (Hamilton's method of
// apportionment). If the floors are too far from target for that, each x_i
// is rounded to nearest instead.
func largestRemainder(x []float64, target int) []int {
	p := make([]int, len(x))
	largestRemainderInto(x, target, p)
	return p
}

// largestRemainderInto is largestRemainder into p (len(p) == len(x)); it
// allocates nothing for up to maxComponents values.
func largestRemainderInto(x []float64, target int, p []int) {
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
		return
	}
	var orderArr [maxComponents]int
	order := orderArr[:0]
	if len(x) > maxComponents {
		order = make([]int, 0, len(x))
	}
	order = order[:len(x)]
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(x[b]-math.Floor(x[b]), x[a]-math.Floor(x[a]))
	})
	for _, i := range order[:rem] {
		p[i]++
	}
}

// comp is one component of a score before rounding.
type comp struct {
	name, code string
	exact      float64
	max        float64 // NaN: no maximum (network, friend_defaults)
}

// components returns the exact points of each component of r under p, in
// Explain's order (see Explain for the formulas).
func components(r graph.Result, p Policy) []comp {
	var a [maxComponents]comp
	return slices.Clone(componentsInto(r, p, &a))
}

// componentsInto is components in dst's array.
func componentsInto(r graph.Result, p Policy, dst *[maxComponents]comp) []comp {
	c := p.Centrality
	own := Span * (1 - c)
	w := p.Weights
	*dst = [maxComponents]comp{
		{ComponentPurchase, ReasonPurchase, own * w.Purchase * r.Pillars.Purchase, own * w.Purchase},
		{ComponentInfo, ReasonInfo, own * w.Info * r.Pillars.Info, own * w.Info},
		{ComponentBills, ReasonBills, own * w.Bills * r.Pillars.Bills, own * w.Bills},
		{ComponentCredit, ReasonCredit, own * w.Credit * r.Pillars.Credit, own * w.Credit},
		{ComponentRecruitment, ReasonRecruitment, own * w.Recruitment * r.Pillars.Recruitment, own * w.Recruitment},
		{ComponentNetwork, ReasonNetworkLowers, own * (r.Network - r.Base), math.NaN()},
		{ComponentCentrality, ReasonCentrality, Span * c * r.Percentile / 100, Span * c},
	}
	comps := dst[:7]
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
