package scoring

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// A timeline, by hand: runs start at t(10), t(20), t(30); the expected
// standing of each event in each run is worked out from the rule of
// EventsBetween's doc (arrived before the start, not removed by an upheld
// dispute before it, no open dispute before it unless included).
func t0(h int) time.Time { return time.Date(2026, 11, 1, h, 0, 0, 0, time.UTC) }

func TestEventsBetween(t *testing.T) {
	exclude, ok := Preset(PolicySesame)
	require.True(t, ok)
	include := exclude
	include.Name, include.DisputedEvents = "incl", DisputedInclude
	day := func(d int) time.Time { return time.Date(2026, 10, d, 0, 0, 0, 0, time.UTC) }
	events := []graph.StoredEvent{
		graph.OpeningBalance(1, graph.Record{}, t0(0)),
		{ID: 1, Person: 1, Event: graph.Event{Type: graph.EventDefault, Amount: 100, At: day(3)}, Provider: "lender", ArrivedAt: t0(5)},
		{ID: 2, Person: 1, Event: graph.Event{Type: graph.EventBillPayment, Amount: 10, Due: day(1), Paid: day(9)}, Provider: "power", ArrivedAt: t0(12)},
		{ID: 3, Person: 1, Event: graph.Event{Type: graph.EventBillPayment, Amount: 10, Due: day(2), Paid: day(8)}, Provider: "power", ArrivedAt: t0(13)},
		{ID: 4, Person: 1, Event: graph.Event{Type: graph.EventCreditPayment, Amount: 10, Due: day(4), Paid: day(4)}, Provider: "bank", ArrivedAt: t0(6)},
	}
	disputes := []graph.Dispute{
		// The default: disputed at 14, upheld at 25.
		{ID: 1, Person: 1, Event: 1, Status: graph.DisputeUpheld, OpenedAt: t0(14), ResolvedAt: t0(25)},
		// The credit payment: disputed at 15, rejected at 22.
		{ID: 2, Person: 1, Event: 4, Status: graph.DisputeRejected, OpenedAt: t0(15), ResolvedAt: t0(22)},
	}

	// 10 → 20, excluding disputed events: the two late bills arrived, the
	// default and the credit payment were disputed.
	ch := EventsBetween(events, disputes, t0(10), t0(20), exclude, exclude)
	ids := func(es []EventChange) (out []graph.EventID) {
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	assert.Equal(t, []graph.EventID{2, 3}, ids(ch.Added))
	assert.Empty(t, ch.Removed)
	assert.Equal(t, []graph.EventID{1, 2, 3, 4}, ids(ch.Moved))
	causes := map[graph.EventID]string{}
	for _, e := range ch.Moved {
		causes[e.ID] = e.Cause
	}
	assert.Equal(t, map[graph.EventID]string{1: CauseDisputed, 2: CauseArrived, 3: CauseArrived, 4: CauseDisputed}, causes)
	assert.True(t, ch.Added[0].Late)
	assert.Equal(t, day(1), ch.Added[0].Date, "a payment's date is its due date")
	require.Len(t, ch.Disputes, 2)
	assert.True(t, ch.Disputes[0].Opened)
	assert.False(t, ch.Disputes[0].Resolved)

	// 20 → 30: the default's dispute upheld (it stays out: removed, but
	// did not count in either run), the credit payment's rejected (counts
	// again).
	ch = EventsBetween(events, disputes, t0(20), t0(30), exclude, exclude)
	assert.Empty(t, ch.Added)
	assert.Equal(t, []graph.EventID{1}, ids(ch.Removed))
	assert.Equal(t, CauseUpheld, ch.Removed[0].Cause)
	assert.False(t, ch.Removed[0].CountedBefore)
	assert.Equal(t, []graph.EventID{4}, ids(ch.Moved))
	assert.Equal(t, CauseRejected, ch.Moved[0].Cause)
	assert.Equal(t, graph.DisputeID(2), ch.Moved[0].Dispute)

	// 20 → 30 including disputed events: the default counted at 20 and
	// the upheld dispute removed it; the credit payment counted in both.
	ch = EventsBetween(events, disputes, t0(20), t0(30), include, include)
	assert.Equal(t, []graph.EventID{1}, ids(ch.Moved))
	assert.Equal(t, CauseUpheld, ch.Moved[0].Cause)
	assert.True(t, ch.Moved[0].CountedBefore)

	// 20 → 21 switching to include: the open disputes of the default and
	// the credit payment (both open from before 20 to after 21) no longer
	// exclude them; the policy is the cause.
	ch = EventsBetween(events, disputes, t0(20), t0(21), exclude, include)
	assert.Equal(t, []graph.EventID{1, 4}, ids(ch.Moved))
	assert.Equal(t, CausePolicy, ch.Moved[0].Cause)
	assert.Equal(t, CausePolicy, ch.Moved[1].Cause)
	assert.Empty(t, ch.Disputes, "none opened or resolved between 20 and 21")
}

// TestEventDriver: the sentences, by hand.
func TestEventDriver(t *testing.T) {
	day := time.Date(2026, 10, 3, 0, 0, 0, 0, time.UTC)
	def := EventChange{ID: 1, Type: graph.EventDefault, Date: day, CountedAfter: true, Cause: CauseArrived}
	assert.Equal(t, "a default on 2026-10-03 cost 59 points", eventDriver(-59, []EventChange{def}))
	assert.Equal(t, "", eventDriver(4, []EventChange{def}), "a default counting cannot raise the score: not named")
	disp := def
	disp.CountedBefore, disp.CountedAfter, disp.Cause = true, false, CauseDisputed
	assert.Equal(t, "disputing the default of 2026-10-03 raised your credit points by 59", eventDriver(59, []EventChange{disp}))
	rej := def
	rej.Cause = CauseRejected
	assert.Equal(t, "the dispute of the default of 2026-10-03 was rejected: it counts again (−59 points)", eventDriver(-59, []EventChange{rej}))
	up := disp
	up.Cause = CauseUpheld
	assert.Equal(t, "the dispute of the default of 2026-10-03 was upheld: it is removed from your record (+59 points)", eventDriver(59, []EventChange{up}))
	late := EventChange{ID: 2, Type: graph.EventBillPayment, Date: day, Late: true, CountedAfter: true, Cause: CauseArrived}
	late2 := late
	late2.ID = 3
	assert.Equal(t, "2 late bill payments cost 12 points", eventDriver(-12, []EventChange{late, late2}))
	assert.Equal(t, "a late bill payment due 2026-10-03 cost 1 point", eventDriver(-1, []EventChange{late}))
	onTime := EventChange{ID: 4, Type: graph.EventCreditPayment, Date: day, CountedAfter: true, Cause: CauseArrived}
	assert.Equal(t, "an on-time credit payment due 2026-10-03 added 3 points", eventDriver(3, []EventChange{onTime}))
	assert.Equal(t, "2 changes to your events (default of 2026-10-03, late bill payment of 2026-10-03) moved your score by −7 points",
		eventDriver(-7, []EventChange{def, late}))
}

// TestNetworkOwnMove: with the friends' scores Ws fixed and only the
// person's own b moving, s = (1−α)b + α·Ws (the propagation's fixed point,
// by hand) moves the network component by −own·α·Δb and the friends' part
// by nothing.
func TestNetworkOwnMove(t *testing.T) {
	p, ok := Preset(PolicySesame)
	require.True(t, ok)
	const ws = 0.7
	res := func(b float64) graph.Result {
		return graph.Result{Base: b, Network: (1-p.Alpha)*b + p.Alpha*ws}
	}
	dOwn, dFriends := networkOwnMove(res(0.6), res(0.4), p, p)
	own := Span * (1 - p.Centrality)
	assert.InDelta(t, -own*p.Alpha*(0.4-0.6), dOwn, 1e-9)
	assert.InDelta(t, 0, dFriends, 1e-9)
	// Friends' scores moving with b fixed: all of it is the friends'.
	r2 := graph.Result{Base: 0.6, Network: (1-p.Alpha)*0.6 + p.Alpha*0.9}
	dOwn, dFriends = networkOwnMove(res(0.6), r2, p, p)
	assert.InDelta(t, 0, dOwn, 1e-9)
	assert.InDelta(t, own*p.Alpha*(0.9-ws), dFriends, 1e-9)
}

// TestEventsBetweenNewestDispute: an event disputed, the dispute rejected,
// then disputed again, all between two runs: it left the record, and the
// cause names the second dispute (the one open at the later run).
func TestEventsBetweenNewestDispute(t *testing.T) {
	p, ok := Preset(PolicySesame)
	require.True(t, ok)
	events := []graph.StoredEvent{
		graph.OpeningBalance(1, graph.Record{}, t0(0)),
		{ID: 5, Person: 1, Event: graph.Event{Type: graph.EventDefault, Amount: 1, At: t0(1)}, Provider: "lender", ArrivedAt: t0(6)},
	}
	disputes := []graph.Dispute{
		{ID: 3, Person: 1, Event: 5, Status: graph.DisputeRejected, OpenedAt: t0(11), ResolvedAt: t0(13)},
		{ID: 4, Person: 1, Event: 5, Status: graph.DisputeOpen, OpenedAt: t0(14)},
	}
	for _, order := range [][]graph.Dispute{disputes, {disputes[1], disputes[0]}} {
		ch := EventsBetween(events, order, t0(10), t0(20), p, p)
		require.Len(t, ch.Moved, 1)
		assert.Equal(t, CauseDisputed, ch.Moved[0].Cause)
		assert.Equal(t, graph.DisputeID(4), ch.Moved[0].Dispute)
		assert.True(t, ch.Moved[0].CountedBefore)
		assert.False(t, ch.Moved[0].CountedAfter)
		require.Len(t, ch.Disputes, 2)
		assert.True(t, ch.Disputes[0].Opened && ch.Disputes[0].Resolved)
		assert.True(t, ch.Disputes[1].Opened && !ch.Disputes[1].Resolved)
		assert.Equal(t, "disputing the default of 2026-11-01 raised your credit points by 50", eventDriver(50, ch.Moved))
	}
}
