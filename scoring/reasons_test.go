package scoring

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/seed"
)

// factRecord returns a record in which each part (purchases, bills,
// credit) is, at random, absent, on time only, late, or odd (days late
// without a late count, a default without any instalment), so that every
// reason code has people it must and must not be given to.
func factRecord(rng *rand.Rand) graph.Record {
	var r graph.Record
	switch rng.IntN(4) {
	case 1:
		r.PurchaseCount = int64(1 + rng.IntN(30))
		r.PurchaseTotal = float64(r.PurchaseCount) * 90 * rng.ExpFloat64()
	case 2:
		r.PurchaseCount = int64(1 + rng.IntN(3)) // purchases of amount 0
	case 3:
		r.PurchaseTotal = 50 * rng.ExpFloat64() // an imported total without a count
	}
	switch rng.IntN(5) {
	case 1:
		r.BillsOnTime = int64(1 + rng.IntN(30))
	case 2:
		r.BillsOnTime = int64(rng.IntN(30))
		r.BillsLate = int64(1 + rng.IntN(5))
		r.BillDaysLate = r.BillsLate * int64(1+rng.IntN(40))
	case 3:
		r.BillsOnTime = int64(rng.IntN(5))
		r.BillDaysLate = int64(1 + rng.IntN(60)) // odd: days late, no late count
	}
	switch rng.IntN(6) {
	case 1:
		r.CreditOnTime = int64(1 + rng.IntN(20))
	case 2:
		r.CreditOnTime = int64(rng.IntN(20))
		r.CreditLate = int64(1 + rng.IntN(4))
		r.CreditDaysLate = r.CreditLate * int64(1+rng.IntN(60))
	case 3:
		r.Defaults = int64(1 + rng.IntN(2)) // a default without any instalment
		r.DefaultAmount = 500
	case 4:
		r.CreditOnTime = int64(1 + rng.IntN(20))
		r.Defaults = 1
	}
	return r
}

// TestReasonsTrueOfTheRecord is the property test of issue 10: over
// 100,000 generated records (seeded), scored on a random network under
// every preset, a reason is given only when the generated record (not
// the facts Explain reads) shows what its text says, and the points add
// up: the components sum to score − 350, and for pillar components
// points_missing = max − points.
func TestReasonsTrueOfTheRecord(t *testing.T) {
	const n = 100_000
	rng := rand.New(rand.NewPCG(2026, 10))
	var b graph.SnapshotBuilder
	recs := make(map[graph.ID]graph.Record, n)
	for i := 1; i <= n; i++ {
		r := factRecord(rng)
		recs[graph.ID(i)] = r
		b.AddPerson(graph.Person{ID: graph.ID(i), Consent: true, Record: r, Profile: randomProfile(rng)})
	}
	for k := 0; k < 3*n; k++ {
		u, v := 1+rng.IntN(n), 1+rng.IntN(n)
		if u != v {
			b.AddTie(graph.Tie{Kind: graph.Friend, From: graph.ID(u), To: graph.ID(v), Weight: 0.1 + 2*rng.Float64()})
		}
	}
	for k := 0; k < n/4; k++ {
		u, v := 1+rng.IntN(n), 1+rng.IntN(n)
		if u != v {
			b.AddTie(graph.Tie{Kind: graph.Recruited, From: graph.ID(u), To: graph.ID(v)})
		}
	}
	snap, err := b.Build(time.Time{})
	require.NoError(t, err)
	require.Equal(t, n, snap.Len())

	// check is require.True without testify's cost per call (millions here).
	check := func(ok bool, format string, args ...any) {
		if !ok {
			t.Helper()
			t.Fatalf(format, args...)
		}
	}
	given := map[string]int{}
	for _, p := range Presets() {
		results, _, err := ScoreSnapshot(context.Background(), snap, p, Options{})
		require.NoError(t, err)
		for _, r := range results {
			rec := recs[r.ID]
			lateCredit := rec.CreditLate > 0 || rec.CreditDaysLate > 0 || rec.Defaults > 0
			lateBill := rec.BillsLate > 0 || rec.BillDaysLate > 0
			purchases := rec.PurchaseCount > 0 || rec.PurchaseTotal > 0
			e := Explain(r, p)

			sum := MinScore
			byName := map[string]Component{} // few entries: cheap
			for _, c := range e.Components {
				sum += c.Points
				byName[c.Name] = c
				switch c.Name {
				case ComponentNetwork, ComponentFriendDefaults:
					check(c.Max == nil, "%s has no maximum", c.Name)
				default:
					check(c.Max != nil, "%s: %s has a maximum", p.Name, c.Name)
					check(c.Points <= *c.Max, "%s: %s of %d", p.Name, c.Name, r.ID)
				}
			}
			check(r.Score == sum, "%s: components of %d sum to score − 350", p.Name, r.ID)

			for _, reason := range e.Reasons {
				given[reason.Code]++
				switch reason.Code {
				case ReasonCredit:
					check(lateCredit, "%s: %d got CRD01 without a late instalment or a default: %+v", p.Name, r.ID, rec)
				case ReasonCreditNone:
					check(rec.CreditOnTime == 0 && !lateCredit, "%s: %d got CRD02 with credit history %+v", p.Name, r.ID, rec)
				case ReasonCreditShort:
					check(rec.CreditOnTime > 0 && !lateCredit, "%s: %d got CRD03 with %+v", p.Name, r.ID, rec)
				case ReasonBills:
					check(lateBill, "%s: %d got BIL01 without a late bill: %+v", p.Name, r.ID, rec)
				case ReasonBillsNone:
					check(rec.BillsOnTime == 0 && !lateBill, "%s: %d got BIL02 with %+v", p.Name, r.ID, rec)
				case ReasonBillsShort:
					check(rec.BillsOnTime > 0 && !lateBill, "%s: %d got BIL03 with %+v", p.Name, r.ID, rec)
				case ReasonPurchase:
					check(purchases, "%s: %d got PUR01 without purchases", p.Name, r.ID)
				case ReasonPurchaseNone:
					check(!purchases, "%s: %d got PUR02 with purchases %+v", p.Name, r.ID, rec)
				}
				var comp string
				switch reason.Code {
				case ReasonPurchase, ReasonPurchaseNone:
					comp = ComponentPurchase
				case ReasonBills, ReasonBillsNone, ReasonBillsShort:
					comp = ComponentBills
				case ReasonCredit, ReasonCreditNone, ReasonCreditShort:
					comp = ComponentCredit
				case ReasonInfo:
					comp = ComponentInfo
				case ReasonRecruitment:
					comp = ComponentRecruitment
				case ReasonCentrality:
					comp = ComponentCentrality
				}
				if comp != "" {
					c := byName[comp]
					check(*c.Max-c.Points == reason.PointsMissing, "%s: %s of %d: points_missing = max − points", p.Name, reason.Code, r.ID)
				} else if reason.Code != ReasonNetworkRaises {
					check(-reason.Points == reason.PointsMissing, "%s: %s of %d", p.Name, reason.Code, r.ID)
				}
			}

			// The network split adds up to the network component.
			check(e.Network != nil, "%s: %d has no network split", p.Name, r.ID)
			net := byName[ComponentNetwork].Points
			check(net == e.Network.Raise.Points+e.Network.Lower.Points, "%s: network split of %d", p.Name, r.ID)
			check(e.Network.Raise.Points >= 0, "%s: raise of %d", p.Name, r.ID)
			check(e.Network.Lower.Points <= 0, "%s: lower of %d", p.Name, r.ID)
			check(e.Network.Raise.Friends+e.Network.Lower.Friends <= int(r.Friends), "%s: friends of %d", p.Name, r.ID)
		}
	}
	// Every code had people to be given to, so no check above is vacuous.
	for _, code := range []string{ReasonCredit, ReasonCreditNone, ReasonCreditShort, ReasonBills, ReasonBillsNone,
		ReasonBillsShort, ReasonPurchase, ReasonPurchaseNone} {
		require.Positive(t, given[code], "code %s never given", code)
	}
	t.Logf("reasons given: %v", given)
}

// TestReasonsOfAnOldResult: a result stored before facts were kept
// (Facts.Known false) gets no purchase, bills or credit reason, and its
// components still carry points and maxima.
func TestReasonsOfAnOldResult(t *testing.T) {
	p, _ := Preset(PolicySesame)
	r := graph.Result{ID: 1, Pillars: graph.Pillars{Purchase: 0.1, Info: 0.2, Bills: 0.5, Credit: 0.5}, Percentile: 10}
	r.Base = p.Weights.Combine(r.Pillars)
	r.Network = r.Base
	r.Score = RoundScore(MinScore + Span*((1-p.Centrality)*r.Network+p.Centrality*r.Percentile/100))
	e := Explain(r, p)
	var codes []string
	for _, reason := range e.Reasons {
		codes = append(codes, reason.Code)
	}
	// Losses: purchase 128, info 68, credit 100, bills 57, recruitment
	// 28.5, centrality 27; without facts only info, recruitment and
	// centrality can be given.
	require.Equal(t, []string{ReasonInfo, ReasonRecruitment, ReasonCentrality}, codes)
	require.Nil(t, e.Network)
	for _, c := range e.Components[:5] {
		require.NotNil(t, c.Max)
	}
}

// TestDemoNetworkReasons: on the demo network (`socialscore demo`: 20,000
// people from seed.Generate with seed 1, scored under sesame, the
// server's default policy), nobody without a late instalment or a default
// is told CRD01 and nobody without a late bill BIL01; people 1-300 with no
// credit history, who were all told CRD01 before issue 10, are told CRD02.
// Both on seed's default population and on the demo's (SpreadBands, since
// issue 14).
func TestDemoNetworkReasons(t *testing.T) {
	for _, spread := range []bool{false, true} {
		t.Run(fmt.Sprintf("spread bands %v", spread), func(t *testing.T) { demoNetworkReasons(t, spread) })
	}
}

func demoNetworkReasons(t *testing.T, spread bool) {
	batch, err := seed.Generate(seed.Config{People: 20_000, Seed: 1, SpreadBands: spread})
	require.NoError(t, err)
	var b graph.SnapshotBuilder
	recs := map[graph.ID]graph.Record{}
	for _, p := range batch.People {
		b.AddPerson(p)
		recs[p.ID] = p.Record
	}
	for _, tie := range batch.Ties {
		b.AddTie(tie)
	}
	snap, err := b.Build(time.Time{})
	require.NoError(t, err)
	p, _ := Preset(PolicySesame)
	results, _, err := ScoreSnapshot(context.Background(), snap, p, Options{})
	require.NoError(t, err)
	noHistoryTold := 0
	for _, r := range results {
		rec := recs[r.ID]
		for _, reason := range Explain(r, p).Reasons {
			switch reason.Code {
			case ReasonCredit:
				require.True(t, rec.CreditLate > 0 || rec.CreditDaysLate > 0 || rec.Defaults > 0, "person %d told CRD01: %+v", r.ID, rec)
			case ReasonBills:
				require.True(t, rec.BillsLate > 0 || rec.BillDaysLate > 0, "person %d told BIL01: %+v", r.ID, rec)
			case ReasonCreditNone:
				require.True(t, rec.CreditOnTime+rec.CreditLate+rec.Defaults == 0, "person %d told CRD02: %+v", r.ID, rec)
				if r.ID <= 300 {
					noHistoryTold++
				}
			}
		}
	}
	t.Logf("people 1-300 told CRD02 (no credit history): %d", noHistoryTold)
	require.Positive(t, noHistoryTold)
}
