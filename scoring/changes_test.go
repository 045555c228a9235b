package scoring

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// TestChangesAfterADefault scores a small network twice, the second time
// after person 2 defaulted, and checks Changes: the component deltas sum
// to the score's delta, the credit component's move is named as the
// default's cost, and the record's changed count is listed.
func TestChangesAfterADefault(t *testing.T) {
	p, _ := Preset(PolicySesame)
	build := func(defaults int64) []graph.Result {
		var b graph.SnapshotBuilder
		b.AddPerson(graph.Person{ID: 1, Consent: true, Record: graph.Record{CreditOnTime: 4, BillsOnTime: 6, PurchaseTotal: 900, PurchaseCount: 9}})
		b.AddPerson(graph.Person{ID: 2, Consent: true, Record: graph.Record{CreditOnTime: 2, BillsOnTime: 3, PurchaseTotal: 300, PurchaseCount: 2, Defaults: defaults}})
		b.AddPerson(graph.Person{ID: 3, Consent: true, Record: graph.Record{BillsLate: 1, BillDaysLate: 10}})
		b.AddTie(graph.Tie{Kind: graph.Friend, From: 1, To: 2})
		b.AddTie(graph.Tie{Kind: graph.Friend, From: 2, To: 3})
		snap, err := b.Build(time.Time{})
		require.NoError(t, err)
		rs, _, err := ScoreSnapshot(context.Background(), snap, p, Options{})
		require.NoError(t, err)
		return rs
	}
	before, after := build(0)[1], build(1)[1]
	ch := Changes(before, after, p, p)
	assert.Equal(t, after.Score-before.Score, ch.Delta)
	sum, credit := 0, 0
	for _, c := range ch.Components {
		sum += c.Delta
		if c.Name == ComponentCredit {
			credit = c.Delta
		}
	}
	assert.Equal(t, ch.Delta, sum)
	// expected: credit = 570·0.35·(3/4)·2^(−d): 149.625 before, 74.8125
	// after, so the credit points fall by about 75.
	assert.InDelta(t, -75, credit, 1)
	require.NotEmpty(t, ch.Drivers)
	assert.Equal(t, "a new default cost "+itoa(-credit)+" points", ch.Drivers[0])
	assert.True(t, ch.RecordKnown)
	assert.Equal(t, []FactChange{{Fact: "defaults", Before: 0, After: 1}}, ch.Record)
	assert.Equal(t, 2, ch.FriendsBefore)
	assert.Equal(t, 2, ch.FriendsAfter)
	var added, removed []string
	for _, r := range ch.ReasonsAdded {
		added = append(added, r.Code)
	}
	for _, r := range ch.ReasonsRemoved {
		removed = append(removed, r.Code)
	}
	assert.Contains(t, added, ReasonCredit)
	assert.Contains(t, removed, ReasonCreditShort, "before the default the credit history was only short")

	// The other way round: the default gone (a dispute upheld, say).
	back := Changes(after, before, p, p)
	assert.Equal(t, -ch.Delta, back.Delta)
	assert.Equal(t, "a default removed from your record gave back "+itoa(-credit)+" points", back.Drivers[0])
}

// TestChangesWithoutFacts: results stored before facts were kept give no
// record changes and generic sentences; a change of policy is said first.
func TestChangesWithoutFacts(t *testing.T) {
	ps, _ := Preset(PolicySesame)
	pt, _ := Preset(PolicyTencent)
	r := graph.Result{ID: 1, Pillars: graph.Pillars{Purchase: 0.5, Info: 0.5, Bills: 0.5, Credit: 0.5}, Percentile: 50}
	r.Base = ps.Weights.Combine(r.Pillars)
	r.Network = r.Base
	r.Score = RoundScore(MinScore + Span*((1-ps.Centrality)*r.Network+ps.Centrality*r.Percentile/100))
	r2 := r
	r2.Pillars.Credit = 0.25
	r2.Base = pt.Weights.Combine(r2.Pillars)
	r2.Network = r2.Base
	r2.Score = RoundScore(MinScore + Span*((1-pt.Centrality)*r2.Network+pt.Centrality*r2.Percentile/100))
	ch := Changes(r, r2, ps, pt)
	assert.False(t, ch.RecordKnown)
	assert.Empty(t, ch.Record)
	require.NotEmpty(t, ch.Drivers)
	assert.Equal(t, "the score was computed under policy tencent, before under sesame", ch.Drivers[0])
	assert.LessOrEqual(t, len(ch.Drivers), MaxDrivers)
	sum := 0
	for _, c := range ch.Components {
		sum += c.Delta
	}
	assert.Equal(t, ch.Delta, sum)
}

func itoa(n int) string { return strconv.Itoa(n) }
