package graph_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func day(d int) time.Time { return time.Date(2026, 5, d, 0, 0, 0, 0, time.UTC) }

func TestRecordApply(t *testing.T) {
	var r graph.Record
	err := r.Apply([]graph.Event{
		{Type: graph.EventPurchase, Amount: 20, At: day(1)},
		{Type: graph.EventPurchase, Amount: 5.5, At: day(2)},
		{Type: graph.EventBillPayment, Amount: 80, Due: day(3), Paid: day(3)},
		{Type: graph.EventBillPayment, Amount: 80, Due: day(3), Paid: day(6)},
		{Type: graph.EventCreditPayment, Amount: 100, Due: day(10), Paid: day(9)},
		{Type: graph.EventCreditPayment, Amount: 100, Due: day(10), Paid: day(10).Add(2 * time.Hour)},
		{Type: graph.EventDefault, Amount: 700, At: day(20)},
	}, now)
	require.NoError(t, err)
	// Expected values counted by hand from the events above.
	assert.Equal(t, graph.Record{
		PurchaseTotal: 25.5, PurchaseCount: 2,
		BillsOnTime: 1, BillsLate: 1, BillDaysLate: 3,
		CreditOnTime: 1, CreditLate: 1, CreditDaysLate: 1, // two hours late counts as a day
		Defaults: 1, DefaultAmount: 700,
		LastEventAt: day(20),
	}, r)
}

func TestRecordApplyRejectsAndChangesNothing(t *testing.T) {
	for name, tc := range map[string]struct {
		ev    graph.Event
		field string
	}{
		"negative amount": {graph.Event{Type: graph.EventPurchase, Amount: -1, At: day(1)}, "events/1/amount"},
		"future purchase": {graph.Event{Type: graph.EventPurchase, Amount: 1, At: now.Add(time.Hour)}, "events/1/at"},
		"future payment":  {graph.Event{Type: graph.EventBillPayment, Amount: 1, Due: day(1), Paid: now.AddDate(0, 0, 2)}, "events/1/paid"},
		"missing due":     {graph.Event{Type: graph.EventCreditPayment, Amount: 1, Paid: day(1)}, "events/1/due"},
		"unknown type":    {graph.Event{Type: "gift", Amount: 1, At: day(1)}, "events/1/type"},
	} {
		t.Run(name, func(t *testing.T) {
			r := graph.Record{PurchaseTotal: 3, PurchaseCount: 1}
			before := r
			err := r.Apply([]graph.Event{{Type: graph.EventPurchase, Amount: 2, At: day(1)}, tc.ev}, now)
			require.Error(t, err)
			assert.True(t, errors.Is(err, graph.ErrInvalid))
			var ve *graph.ValidationError
			require.True(t, errors.As(err, &ve))
			assert.Equal(t, tc.field, ve.Field)
			assert.Equal(t, before, r, "a rejected list of events changes nothing")
		})
	}
}

func TestTieValidate(t *testing.T) {
	assert.ErrorIs(t, graph.Tie{Kind: graph.Friend, From: 3, To: 3}.Validate(), graph.ErrInvalid)
	assert.ErrorIs(t, graph.Tie{Kind: graph.Recruited, From: 3, To: 3}.Validate(), graph.ErrInvalid)
	assert.ErrorIs(t, graph.Tie{Kind: graph.Friend, From: 1, To: 2, Weight: -1}.Validate(), graph.ErrInvalid)
	assert.ErrorIs(t, graph.Tie{Kind: 9, From: 1, To: 2}.Validate(), graph.ErrInvalid)
	assert.NoError(t, graph.Tie{Kind: graph.Friend, From: 2, To: 1}.Validate())
	assert.Equal(t, graph.Tie{Kind: graph.Friend, From: 1, To: 2, Weight: 1}, graph.Tie{Kind: graph.Friend, From: 2, To: 1}.Normalize())
}

func TestSnapshotBuilder(t *testing.T) {
	var b graph.SnapshotBuilder
	// Added out of order; 4 has not consented.
	for _, id := range []graph.ID{10, 2, 7, 4} {
		b.AddPerson(graph.Person{ID: id, Consent: id != 4, Record: graph.Record{PurchaseCount: int64(id)}})
	}
	for _, t := range []graph.Tie{
		{Kind: graph.Friend, From: 2, To: 7},
		{Kind: graph.Friend, From: 7, To: 2}, // the same friendship again
		{Kind: graph.Friend, From: 10, To: 2, Weight: 1},
		{Kind: graph.Friend, From: 4, To: 10, Weight: 3}, // to a non-consenting person: dropped
		{Kind: graph.Recruited, From: 7, To: 10},
		{Kind: graph.Recruited, From: 4, To: 2}, // dropped
	} {
		b.AddTie(t)
	}
	s, err := b.Build(now)
	require.NoError(t, err)
	// Expected CSR worked out by hand: indices 0:2, 1:7, 2:10.
	assert.Equal(t, []graph.ID{2, 7, 10}, s.IDs)
	assert.Equal(t, []int32{0, 2, 3, 4}, s.Offsets)
	assert.Equal(t, []int32{1, 2, 0, 0}, s.Targets)
	assert.Nil(t, s.Weights, "every kept tie weighs 1")
	assert.Equal(t, []int32{0, 0, 1, 1}, s.RecruitOffsets)
	assert.Equal(t, []int32{2}, s.RecruitTargets)
	assert.Equal(t, int64(7), s.Records[1].PurchaseCount)
	assert.Equal(t, 2, s.Friendships())
	i, ok := s.Index(10)
	assert.True(t, ok)
	assert.Equal(t, int32(2), i)
	_, ok = s.Index(4)
	assert.False(t, ok)
}

func TestSnapshotBuilderWeights(t *testing.T) {
	var b graph.SnapshotBuilder
	for _, id := range []graph.ID{1, 2, 3} {
		b.AddPerson(graph.Person{ID: id, Consent: true})
	}
	b.AddTie(graph.Tie{Kind: graph.Friend, From: 3, To: 1, Weight: 2.5})
	b.AddTie(graph.Tie{Kind: graph.Friend, From: 1, To: 2})
	s, err := b.Build(now)
	require.NoError(t, err)
	// Node 1 (index 0) has friends 2 (w 1) and 3 (w 2.5), ascending.
	assert.Equal(t, []int32{1, 2}, s.Friends(0))
	assert.Equal(t, []float32{1, 2.5, 1, 2.5}, s.Weights)
	assert.Equal(t, 2.5, s.Weight(1))
}

func TestParseID(t *testing.T) {
	id, err := graph.ParseID("42")
	require.NoError(t, err)
	assert.Equal(t, graph.ID(42), id)
	for _, bad := range []string{"0", "-3", "x", "", "1e3"} {
		_, err := graph.ParseID(bad)
		assert.Error(t, err, bad)
	}
}

func TestUnder(t *testing.T) {
	ve := &graph.ValidationError{Field: "amount", Reason: "must be positive", Kind: graph.ErrConflict}
	got := graph.Under("events/2", ve)
	var out *graph.ValidationError
	require.ErrorAs(t, got, &out)
	assert.Equal(t, "events/2/amount", out.Field)
	assert.Equal(t, "must be positive", out.Reason)
	assert.ErrorIs(t, got, graph.ErrConflict)
	assert.Equal(t, "amount", ve.Field, "the original is not changed")

	out = nil
	require.ErrorAs(t, graph.Under("people/0", &graph.ValidationError{Reason: "r"}), &out)
	assert.Equal(t, "people/0", out.Field, "an empty field becomes the prefix")

	plain := errors.New("boom")
	wrapped := graph.Under("ties/1", plain)
	assert.ErrorIs(t, wrapped, plain)
	assert.Equal(t, "ties/1: boom", wrapped.Error())
	assert.NoError(t, graph.Under("x", nil))
}
