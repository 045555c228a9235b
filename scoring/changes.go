package scoring

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/socialscore/socialscore/graph"
)

// ComponentChange is one component's points in two runs.
type ComponentChange struct {
	Name   string `json:"name"`
	Before int    `json:"before"`
	After  int    `json:"after"`
	Delta  int    `json:"delta"` // After − Before
}

// FactChange is a count of the record that differs between two runs.
type FactChange struct {
	Fact   string `json:"fact"` // purchase_count, bills_on_time, bills_late, bill_days_late, credit_on_time, credit_late, credit_days_late, defaults
	Before int64  `json:"before"`
	After  int64  `json:"after"`
}

// Change is how a person's score moved from one run to another.
type Change struct {
	Before, After Explanation
	Delta         int // After.Score − Before.Score
	// Components lists every component of either run (in the later run's
	// order, then any only the earlier had), with 0 points where a run
	// lacks it; the deltas sum to Delta when both explanations add up
	// (see Explain).
	Components []ComponentChange
	// Record lists the record's counts that changed; RecordKnown is false
	// when either run did not keep the record's facts (then Record is
	// empty).
	Record      []FactChange
	RecordKnown bool
	// FriendsBefore and FriendsAfter are the numbers of consenting friends.
	FriendsBefore, FriendsAfter int
	// ReasonsAdded are the later run's reasons whose code the earlier run
	// did not give; ReasonsRemoved the earlier run's whose code the later
	// run does not give.
	ReasonsAdded, ReasonsRemoved []Reason
	// Drivers are up to MaxDrivers sentences naming the main causes of
	// the change with their points, largest first; components that moved
	// only by rounding (exact points within ½) are not drivers.
	Drivers []string
}

// MaxDrivers is the most sentences Changes gives.
const MaxDrivers = 3

// factNames are the record facts in FactChange order.
var factNames = []string{"purchase_count", "bills_on_time", "bills_late", "bill_days_late",
	"credit_on_time", "credit_late", "credit_days_late", "defaults"}

func factValues(f graph.RecordFacts) []int64 {
	return []int64{int64(f.PurchaseCount), int64(f.BillsOnTime), int64(f.BillsLate), int64(f.BillDaysLate),
		int64(f.CreditOnTime), int64(f.CreditLate), int64(f.CreditDaysLate), int64(f.Defaults)}
}

// Changes compares a person's results in two runs: before under policy
// pb, after under pa (each its run's policy). Components come from
// Explain of each; drivers name, for the components that moved by at
// least 1 point (largest move first, at most MaxDrivers), what in the
// record or the network moved them, with their points, e.g. "a new
// default cost 59 points" or "with 3 more friends, your network points
// rose by 4". When the policies differ, the first driver says so.
func Changes(before, after graph.Result, pb, pa Policy) Change {
	return ChangesWithEvents(before, after, pb, pa, nil)
}

// ChangesWithEvents is Changes with the events that counted in one run and
// not the other (EventChanges.Moved): a component whose move those events
// explain gets a sentence naming them, their dates and the component's
// points ("a default on 2026-10-03 cost 59 points"; "disputing the default
// of 2026-10-03 raised your credit points by 59"; "2 late bill payments
// cost 12 points"), instead of one naming only counts of the record.
func ChangesWithEvents(before, after graph.Result, pb, pa Policy, moved []EventChange) Change {
	return ChangesWithTies(before, after, pb, pa, moved, TieDrivers{})
}

// ChangesWithTies is ChangesWithEvents with what the ties that changed
// between the runs did (TieDriversOf). When both runs' friends' shares
// are known and friends came or went, the network component gets up to
// three sentences instead of one, each naming points of the model's own
// split of the component over friends (scoring/friendshare.go): the new
// friends' shares in the later run ("3 new friends raised your network
// points by 4"), the lost friends' shares in the earlier run ("losing 2
// friends lowered your network points by 3"), and the change of the kept
// friends' shares; the three sum to the component's exact move. New or
// lost recruits are named in the recruitment component's sentence. All
// sentences compete for the MaxDrivers places by their points.
func ChangesWithTies(before, after graph.Result, pb, pa Policy, moved []EventChange, ties TieDrivers) Change {
	eb, ea := Explain(before, pb), Explain(after, pa)
	ch := Change{Before: eb, After: ea, Delta: ea.Score - eb.Score,
		FriendsBefore: int(before.Friends), FriendsAfter: int(after.Friends)}
	bp := map[string]int{}
	for _, c := range eb.Components {
		bp[c.Name] = c.Points
	}
	seen := map[string]bool{}
	for _, c := range ea.Components {
		ch.Components = append(ch.Components, ComponentChange{Name: c.Name, Before: bp[c.Name], After: c.Points, Delta: c.Points - bp[c.Name]})
		seen[c.Name] = true
	}
	for _, c := range eb.Components {
		if !seen[c.Name] {
			ch.Components = append(ch.Components, ComponentChange{Name: c.Name, Before: c.Points, Delta: -c.Points})
		}
	}

	fb, fa := before.Facts, after.Facts
	ch.RecordKnown = fb.Known && fa.Known
	ch.Record = []FactChange{}
	if ch.RecordKnown {
		vb, va := factValues(fb), factValues(fa)
		for i, name := range factNames {
			if vb[i] != va[i] {
				ch.Record = append(ch.Record, FactChange{Fact: name, Before: vb[i], After: va[i]})
			}
		}
	}

	codes := func(rs []Reason) map[string]bool {
		m := map[string]bool{}
		for _, r := range rs {
			m[r.Code] = true
		}
		return m
	}
	cb, ca := codes(eb.Reasons), codes(ea.Reasons)
	ch.ReasonsAdded, ch.ReasonsRemoved = []Reason{}, []Reason{}
	for _, r := range ea.Reasons {
		if !cb[r.Code] {
			ch.ReasonsAdded = append(ch.ReasonsAdded, r)
		}
	}
	for _, r := range eb.Reasons {
		if !ca[r.Code] {
			ch.ReasonsRemoved = append(ch.ReasonsRemoved, r)
		}
	}

	ch.Drivers = []string{}
	if pb.Name != pa.Name {
		ch.Drivers = append(ch.Drivers, fmt.Sprintf("the score was computed under policy %s, before under %s", pa.Name, pb.Name))
	}
	// A component whose exact points moved by less than ½ moved only by
	// rounding (the largest-remainder apportionment): it is not a driver.
	exact := func(r graph.Result, p Policy) map[string]float64 {
		m := map[string]float64{}
		for _, k := range components(r, p) {
			m[k.name] = k.exact
		}
		return m
	}
	xb, xa := exact(before, pb), exact(after, pa)
	byComponent := map[string][]EventChange{}
	for _, e := range moved {
		k := eventComponent(e.Type)
		byComponent[k] = append(byComponent[k], e)
	}
	// Candidates in the components' order, then the largest first (a
	// stable sort keeps that order among equals).
	var cands []tieDriver
	for _, c := range ch.Components {
		if c.Name == ComponentNetwork {
			if ts := networkTieDrivers(ties); ts != nil {
				cands = append(cands, ts...)
				continue
			}
		}
		if abs(c.Delta) < 1 || math.Abs(xa[c.Name]-xb[c.Name]) < 0.5 {
			continue
		}
		if s := eventDriver(c.Delta, byComponent[c.Name]); s != "" {
			cands = append(cands, tieDriver{abs(c.Delta), s})
			continue
		}
		if s := recruitDriver(c, ties); s != "" {
			cands = append(cands, tieDriver{abs(c.Delta), s})
			continue
		}
		cands = append(cands, tieDriver{abs(c.Delta), driver(c, before, after, pb, pa, ch.RecordKnown)})
	}
	slices.SortStableFunc(cands, func(a, b tieDriver) int { return cmp.Compare(b.points, a.points) })
	for _, c := range cands {
		if len(ch.Drivers) == MaxDrivers {
			break
		}
		ch.Drivers = append(ch.Drivers, c.sentence)
	}
	return ch
}

// recruitDriver names the recruits added or removed between the runs in
// the recruitment component's sentence, when the ties are known and their
// count moved the way the component did; "" otherwise.
func recruitDriver(c ComponentChange, ties TieDrivers) string {
	if c.Name != ComponentRecruitment || !ties.TiesKnown {
		return ""
	}
	switch n := ties.NewRecruits - ties.LostRecruits; {
	case n > 0 && c.Delta > 0:
		return fmt.Sprintf("with %s, your recruitment points rose by %d", count(int64(n), "a new recruit", "new recruits"), c.Delta)
	case n < 0 && c.Delta < 0:
		return fmt.Sprintf("with %s, your recruitment points fell by %d", count(int64(-n), "1 recruit fewer", "recruits fewer"), -c.Delta)
	}
	return ""
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// count returns "a new default" / "3 new defaults" style phrases.
func count(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// moved says "cost N points" or "raised your X points by N".
func moved(delta int, what string) string {
	if delta < 0 {
		return fmt.Sprintf("cost %s", plural(-delta, "point"))
	}
	return fmt.Sprintf("raised your %s points by %d", what, delta)
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// driver is the sentence for one component's move.
func driver(c ComponentChange, before, after graph.Result, pb, pa Policy, known bool) string {
	fb, fa := before.Facts, after.Facts
	d := c.Delta
	generic := func(what string) string {
		if d < 0 {
			return fmt.Sprintf("your %s points fell by %d", what, -d)
		}
		return fmt.Sprintf("your %s points rose by %d", what, d)
	}
	switch c.Name {
	case ComponentCredit:
		if !known {
			return generic("credit")
		}
		dDef := int64(fa.Defaults) - int64(fb.Defaults)
		dLate := int64(fa.CreditLate) - int64(fb.CreditLate)
		dOn := int64(fa.CreditOnTime) - int64(fb.CreditOnTime)
		switch {
		case d < 0 && dDef > 0:
			return count(dDef, "a new default", "new defaults") + " " + moved(d, "credit")
		case d < 0 && dLate > 0:
			return count(dLate, "a new late credit payment", "new late credit payments") + " " + moved(d, "credit")
		case d > 0 && dDef < 0:
			return fmt.Sprintf("%s gave back %s", count(-dDef, "a default removed from your record", "defaults removed from your record"), plural(d, "point"))
		case d > 0 && dOn > 0:
			return count(dOn, "a new on-time credit payment", "new on-time credit payments") + " " + moved(d, "credit")
		}
		return generic("credit")
	case ComponentBills:
		if !known {
			return generic("bills")
		}
		dLate := int64(fa.BillsLate) - int64(fb.BillsLate)
		dOn := int64(fa.BillsOnTime) - int64(fb.BillsOnTime)
		switch {
		case d < 0 && dLate > 0:
			return count(dLate, "a new late bill payment", "new late bill payments") + " " + moved(d, "bills")
		case d > 0 && dOn > 0:
			return count(dOn, "a new on-time bill payment", "new on-time bill payments") + " " + moved(d, "bills")
		}
		return generic("bills")
	case ComponentPurchase:
		if dp := int64(fa.PurchaseCount) - int64(fb.PurchaseCount); known && d > 0 && dp > 0 {
			return count(dp, "a new purchase", "new purchases") + " " + moved(d, "purchase")
		}
		return generic("purchase")
	case ComponentInfo:
		return generic("personal information")
	case ComponentRecruitment:
		return generic("recruitment")
	case ComponentNetwork:
		df := int64(after.Friends) - int64(before.Friends)
		switch {
		case df > 0:
			return fmt.Sprintf("with %s, %s", count(df, "1 more friend", "more friends"), generic("network"))
		case df < 0:
			return fmt.Sprintf("with %s, %s", count(-df, "1 friend fewer", "friends fewer"), generic("network"))
		}
		// The network component is own·(s − b) = own·α·(Ws − b): the
		// pull of the friends' scores Ws away from the person's own b.
		// When the person's own b moved more of it than the friends'
		// scores did, that is the driver.
		if dOwn, dFriends := networkOwnMove(before, after, pb, pa); math.Abs(dOwn) > math.Abs(dFriends) {
			lower := "lower"
			if after.Base > before.Base {
				lower = "higher"
			}
			return fmt.Sprintf("with your own points %s, your network points %s by %d (the network pulls your score toward your friends')", lower, rose(d), abs(d))
		}
		if d < 0 {
			return fmt.Sprintf("changes in your friends' scores lowered your network points by %d", -d)
		}
		return fmt.Sprintf("changes in your friends' scores raised your network points by %d", d)
	case ComponentCentrality:
		if d < 0 {
			return fmt.Sprintf("a lower standing in the network (PageRank percentile %.0f, before %.0f) cost %s", after.Percentile, before.Percentile, plural(-d, "point"))
		}
		return fmt.Sprintf("a higher standing in the network (PageRank percentile %.0f, before %.0f) added %s", after.Percentile, before.Percentile, plural(d, "point"))
	case ComponentFriendDefaults:
		if d < 0 {
			return fmt.Sprintf("friends' defaults cost %s more", plural(-d, "point"))
		}
		return fmt.Sprintf("friends' defaults cost %s less", plural(d, "point"))
	}
	return generic(c.Name)
}

// PolicyOf returns the policy a run was scored under: its PolicySpec if
// it has one (graph.Run, graph.HistoryEntry), else the preset with its
// name.
func PolicyOf(name string, spec []byte) (Policy, error) {
	return policyOfRun(graph.Run{ID: name, Policy: name, PolicySpec: spec})
}

func rose(d int) string {
	if d < 0 {
		return "fell"
	}
	return "rose"
}

// networkOwnMove splits the move of the network component's exact points,
// own·α·(Ws − b) with own = Span·(1 − centrality), into the part the
// person's own b moved (−own·α·b) and the part the friends' scores Ws
// moved (the rest).
func networkOwnMove(before, after graph.Result, pb, pa Policy) (dOwn, dFriends float64) {
	term := func(r graph.Result, p Policy) (ownPart, total float64) {
		own := Span * (1 - p.Centrality)
		return -own * p.Alpha * r.Base, own * (r.Network - r.Base)
	}
	ob, tb := term(before, pb)
	oa, ta := term(after, pa)
	dOwn = oa - ob
	return dOwn, (ta - tb) - dOwn
}
