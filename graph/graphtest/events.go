package graphtest

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// day returns the fixtures' base date plus d days.
func day(d int) time.Time { return base.AddDate(0, 0, d) }

func purchase(amount float64, d int) graph.Event {
	return graph.Event{Type: graph.EventPurchase, Amount: amount, At: day(d)}
}

func defaulted(amount float64, d int) graph.Event {
	return graph.Event{Type: graph.EventDefault, Amount: amount, At: day(d)}
}

func bill(amount float64, due, paid int) graph.Event {
	return graph.Event{Type: graph.EventBillPayment, Amount: amount, Due: day(due), Paid: day(paid)}
}

func credit(amount float64, due, paid int) graph.Event {
	return graph.Event{Type: graph.EventCreditPayment, Amount: amount, Due: day(due), Paid: day(paid)}
}

// normEvents returns the events as the suite compares them (times at
// millisecond precision).
func normEvents(es []graph.StoredEvent) []graph.StoredEvent {
	out := make([]graph.StoredEvent, len(es))
	for i, e := range es {
		e.Event.At, e.Event.Due, e.Event.Paid = ms(e.Event.At), ms(e.Event.Due), ms(e.Event.Paid)
		e.ArrivedAt = ms(e.ArrivedAt)
		e.Balance = normRecord(e.Balance)
		out[i] = e
	}
	return out
}

// requireDerived checks the contract record = DeriveRecord(events): the
// person's stored record is the fold of their opening balance and every
// event not removed.
func requireDerived(t *testing.T, s graph.Store, id graph.ID) []graph.StoredEvent {
	t.Helper()
	events, err := s.Events(t.Context(), id)
	require.NoError(t, err)
	require.NotEmpty(t, events)
	require.True(t, events[0].Opening(), "the first event is the opening balance")
	p, err := s.Person(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, normRecord(p.Record), normRecord(graph.DeriveRecord(events, false)), "record of %d derived from its events", id)
	return events
}

func (o opener) testEvents(t *testing.T) {
	s := o.store(t)
	ctx := t.Context()
	// 1 and 2 come from a batch (a seed or an import) with a record; 3 is
	// created with an empty record.
	require.NoError(t, s.ApplyBatch(ctx, graph.Batch{People: people(true, 1, 2)}))
	requireStored(t, s, graph.Person{ID: 3, Consent: true})
	seeded, err := s.Person(ctx, 1)
	require.NoError(t, err)

	t.Run("a person without kept events has their record as opening balance", func(t *testing.T) {
		events, err := s.Events(ctx, 1)
		require.NoError(t, err)
		require.Len(t, events, 1)
		assert.Equal(t, graph.EventID(0), events[0].ID)
		assert.Equal(t, graph.EventOpeningBalance, events[0].Event.Type)
		assert.Equal(t, normRecord(seeded.Record), normRecord(events[0].Balance))
		assert.Equal(t, ms(seeded.CreatedAt), ms(events[0].ArrivedAt))
		_, err = s.Events(ctx, 99)
		assert.ErrorIs(t, err, graph.ErrNotFound)
	})

	var appended []graph.StoredEvent
	t.Run("append keeps the events with ids, provider and arrival", func(t *testing.T) {
		in := []graph.Event{purchase(120.5, 1), bill(40, 2, 12), credit(300, 3, 3), defaulted(250, 4)}
		before := time.Now().Add(-time.Second)
		p, stored, err := s.AppendEvents(ctx, 1, "lender", in)
		after := time.Now().Add(time.Second)
		require.NoError(t, err)
		require.Len(t, stored, len(in))
		// Reference: the record the events give when applied by hand to
		// the seeded record (graph.Record.Apply).
		want := seeded.Record
		require.NoError(t, want.Apply(in, time.Now()))
		assert.Equal(t, normRecord(want), normRecord(p.Record))
		for i, e := range stored {
			assert.Positive(t, e.ID)
			if i > 0 {
				assert.Greater(t, e.ID, stored[i-1].ID, "ids increase in the order given")
			}
			assert.Equal(t, graph.ID(1), e.Person)
			assert.Equal(t, "lender", e.Provider)
			assert.Equal(t, in[i].Type, e.Event.Type)
			assert.True(t, !e.ArrivedAt.Before(before) && !e.ArrivedAt.After(after), "arrived at %v", e.ArrivedAt)
		}
		events := requireDerived(t, s, 1)
		require.Len(t, events, 1+len(in))
		assert.Equal(t, normRecord(seeded.Record), normRecord(events[0].Balance), "the opening balance is the record before the first event")
		assert.Equal(t, normEvents(stored), normEvents(events[1:]))
		got, err := s.Event(ctx, stored[3].ID)
		require.NoError(t, err)
		assert.Equal(t, normEvents(stored[3:4]), normEvents([]graph.StoredEvent{got}))
		appended = stored

		// A second append follows the first.
		_, more, err := s.AppendEvents(ctx, 3, "hotel", []graph.Event{purchase(10, 5)})
		require.NoError(t, err)
		assert.Greater(t, more[0].ID, stored[3].ID)
		events = requireDerived(t, s, 3)
		assert.Equal(t, graph.Record{}, events[0].Balance, "a person created empty opens at zero")
	})

	t.Run("bad input keeps nothing", func(t *testing.T) {
		beforeP, err := s.Person(ctx, 1)
		require.NoError(t, err)
		beforeE, err := s.Events(ctx, 1)
		require.NoError(t, err)
		_, _, err = s.AppendEvents(ctx, 1, "lender", []graph.Event{purchase(1, 1), purchase(-5, 1)})
		var ve *graph.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, "events/1/amount", ve.Field)
		_, _, err = s.AppendEvents(ctx, 1, "lender", []graph.Event{{Type: graph.EventOpeningBalance}})
		assert.ErrorIs(t, err, graph.ErrInvalid, "an opening balance cannot be appended")
		_, _, err = s.AppendEvents(ctx, 1, "", []graph.Event{purchase(1, 1)})
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, "provider", ve.Field)
		_, _, err = s.AppendEvents(ctx, 1, "lender", []graph.Event{{Type: graph.EventPurchase, Amount: 1, At: time.Now().Add(time.Hour)}})
		assert.ErrorIs(t, err, graph.ErrInvalid, "an event in the future")
		_, _, err = s.AppendEvents(ctx, 99, "lender", []graph.Event{purchase(1, 1)})
		assert.ErrorIs(t, err, graph.ErrNotFound)
		afterP, err := s.Person(ctx, 1)
		require.NoError(t, err)
		assert.Equal(t, beforeP, afterP)
		afterE, err := s.Events(ctx, 1)
		require.NoError(t, err)
		assert.Equal(t, normEvents(beforeE), normEvents(afterE))
		_, err = s.Event(ctx, 1<<40)
		assert.ErrorIs(t, err, graph.ErrNotFound)
	})

	t.Run("UpdateRecord keeps the record derived from the events", func(t *testing.T) {
		p, err := s.UpdateRecord(ctx, 1, func(r *graph.Record) error {
			r.PurchaseCount += 3
			r.PurchaseTotal += 30
			return nil
		})
		require.NoError(t, err)
		events := requireDerived(t, s, 1)
		assert.Equal(t, seeded.Record.PurchaseCount+3, events[0].Balance.PurchaseCount, "the change went to the opening balance")
		assert.Equal(t, seeded.Record.PurchaseCount+3+1, p.Record.PurchaseCount)
		// Below zero in the opening balance: refused, nothing stored.
		_, err = s.UpdateRecord(ctx, 1, func(r *graph.Record) error {
			r.Defaults = 0 // the opening balance has none, and an event adds one
			return nil
		})
		assert.ErrorIs(t, err, graph.ErrInvalid)
		after := requireDerived(t, s, 1)
		assert.Equal(t, normEvents(events), normEvents(after))
	})

	t.Run("concurrent appends are not lost", func(t *testing.T) {
		const workers, each = 4, 5
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := range workers {
			wg.Go(func() {
				for k := range each {
					_, _, err := s.AppendEvents(ctx, 2, "app", []graph.Event{purchase(float64(100*w+k), 1), credit(1, 2, 2)})
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		events := requireDerived(t, s, 2)
		require.Len(t, events, 1+2*workers*each)
		seen := map[graph.EventID]bool{}
		for i, e := range events[1:] {
			assert.False(t, seen[e.ID], "id %d given twice", e.ID)
			seen[e.ID] = true
			if i > 0 {
				assert.Greater(t, e.ID, events[i].ID, "listed in id order")
			}
		}
	})

	t.Run("erasure takes the events", func(t *testing.T) {
		require.NoError(t, s.DeletePerson(ctx, 1))
		for _, e := range appended {
			_, err := s.Event(ctx, e.ID)
			assert.ErrorIs(t, err, graph.ErrNotFound, "event %d of an erased person", e.ID)
		}
		// The id is free again for a new person, who starts with no events.
		requireStored(t, s, graph.Person{ID: 1, Consent: true})
		events := requireDerived(t, s, 1)
		assert.Len(t, events, 1)
	})
}

func (o opener) testDisputes(t *testing.T) {
	s := o.store(t)
	ctx := t.Context()
	require.NoError(t, s.ApplyBatch(ctx, graph.Batch{People: []graph.Person{
		{ID: 1, Consent: true, Record: graph.NeutralRecord()},
		{ID: 2, Consent: true, Record: graph.NeutralRecord()},
	}, Ties: []graph.Tie{friend(1, 2, 1)}}))
	_, ev1, err := s.AppendEvents(ctx, 1, "lender", []graph.Event{purchase(100, 1), defaulted(250, 2), bill(30, 3, 20)})
	require.NoError(t, err)
	_, ev2, err := s.AppendEvents(ctx, 2, "lender", []graph.Event{defaulted(80, 2)})
	require.NoError(t, err)
	def := ev1[1]

	// snapRecords returns person 1's record in a snapshot and the
	// disputed entries.
	snapRecords := func(t *testing.T) (graph.Record, []graph.DisputedRecord) {
		t.Helper()
		snap, err := s.Snapshot(ctx)
		require.NoError(t, err)
		i, ok := snap.Index(1)
		require.True(t, ok)
		return normRecord(snap.Records[i]), snap.Disputed
	}
	// Reference records, from graph.Record.Apply on the opening balance:
	// with every event, and without the default.
	all := graph.NeutralRecord()
	require.NoError(t, all.Apply([]graph.Event{purchase(100, 1), defaulted(250, 2), bill(30, 3, 20)}, time.Now()))
	noDefault := graph.NeutralRecord()
	require.NoError(t, noDefault.Apply([]graph.Event{purchase(100, 1), bill(30, 3, 20)}, time.Now()))
	got, disputed := snapRecords(t)
	require.Equal(t, normRecord(all), got)
	require.Empty(t, disputed)

	var d graph.Dispute
	t.Run("open", func(t *testing.T) {
		before := time.Now().Add(-time.Second)
		var err error
		d, err = s.OpenDispute(ctx, 1, def.ID, "I never had a loan with them", "person-app")
		require.NoError(t, err)
		assert.Positive(t, d.ID)
		assert.Equal(t, graph.DisputeOpen, d.Status)
		assert.Equal(t, graph.ID(1), d.Person)
		assert.Equal(t, def.ID, d.Event)
		assert.Equal(t, "person-app", d.OpenedBy)
		assert.True(t, d.OpenedAt.After(before))
		assert.True(t, d.ResolvedAt.IsZero())

		// The stored record keeps the event; the snapshot's leaves it out
		// and names the person in Disputed with the full record.
		p, err := s.Person(ctx, 1)
		require.NoError(t, err)
		assert.Equal(t, normRecord(all), normRecord(p.Record))
		got, disputed := snapRecords(t)
		assert.Equal(t, normRecord(noDefault), got)
		require.Len(t, disputed, 1)
		assert.Equal(t, graph.ID(1), disputed[0].ID)
		assert.Equal(t, 1, disputed[0].Open)
		assert.Equal(t, normRecord(all), normRecord(disputed[0].Record))

		e, err := s.Event(ctx, def.ID)
		require.NoError(t, err)
		assert.True(t, e.Disputed)
		assert.Equal(t, d.ID, e.Dispute)
		counts, err := s.OpenDisputes(ctx)
		require.NoError(t, err)
		assert.Equal(t, map[graph.ID]int{1: 1}, counts)
		stored, err := s.Dispute(ctx, d.ID)
		require.NoError(t, err)
		assert.Equal(t, normDispute(d), normDispute(stored))
	})

	t.Run("bad input changes nothing", func(t *testing.T) {
		beforeE, err := s.Events(ctx, 1)
		require.NoError(t, err)
		beforeD, err := s.Disputes(ctx, graph.DisputeFilter{})
		require.NoError(t, err)
		cases := []struct {
			name   string
			person graph.ID
			event  graph.EventID
			reason string
			field  string
			kind   error
		}{
			{"unknown event", 1, 1 << 40, "wrong", "event", graph.ErrNotFound},
			{"another person's event", 1, ev2[0].ID, "wrong", "event", graph.ErrNotFound},
			{"already disputed", 1, def.ID, "again", "event", graph.ErrConflict},
			{"the opening balance", 1, 0, "wrong", "event", graph.ErrInvalid},
			{"empty reason", 1, ev1[0].ID, "  ", "reason", graph.ErrInvalid},
			{"too long reason", 1, ev1[0].ID, strings.Repeat("é", graph.MaxDisputeText+1), "reason", graph.ErrInvalid},
		}
		for _, c := range cases {
			_, err := s.OpenDispute(ctx, c.person, c.event, c.reason, "person-app")
			var ve *graph.ValidationError
			if assert.ErrorAs(t, err, &ve, c.name) {
				assert.Equal(t, c.field, ve.Field, c.name)
			}
			assert.ErrorIs(t, err, c.kind, c.name)
		}
		_, err = s.OpenDispute(ctx, 99, ev1[0].ID, "wrong", "person-app")
		assert.ErrorIs(t, err, graph.ErrNotFound, "unknown person")
		_, err = s.ResolveDispute(ctx, d.ID, "maybe", "", "operator")
		var ve *graph.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, "outcome", ve.Field)
		_, err = s.ResolveDispute(ctx, d.ID, graph.DisputeUpheld, strings.Repeat("x", graph.MaxDisputeText+1), "operator")
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, "note", ve.Field)
		_, err = s.ResolveDispute(ctx, 1<<40, graph.DisputeUpheld, "", "operator")
		assert.ErrorIs(t, err, graph.ErrNotFound)

		afterE, err := s.Events(ctx, 1)
		require.NoError(t, err)
		assert.Equal(t, normEvents(beforeE), normEvents(afterE))
		afterD, err := s.Disputes(ctx, graph.DisputeFilter{})
		require.NoError(t, err)
		assert.Equal(t, normDisputes(beforeD), normDisputes(afterD))
	})

	t.Run("concurrent disputes of one event: one wins", func(t *testing.T) {
		const workers = 4
		var wg sync.WaitGroup
		results := make(chan error, workers)
		for range workers {
			wg.Go(func() {
				_, err := s.OpenDispute(ctx, 1, ev1[0].ID, "not mine", "person-app")
				results <- err
			})
		}
		wg.Wait()
		close(results)
		won := 0
		for err := range results {
			if err == nil {
				won++
			} else {
				assert.ErrorIs(t, err, graph.ErrConflict)
			}
		}
		assert.Equal(t, 1, won)
		open, err := s.Disputes(ctx, graph.DisputeFilter{Person: 1, Status: graph.DisputeOpen})
		require.NoError(t, err)
		require.Len(t, open, 2, "the default's and the purchase's")
		// Close it again so the cases below see one open dispute.
		_, err = s.ResolveDispute(ctx, open[0].ID, graph.DisputeRejected, "", "operator")
		require.NoError(t, err)
		requireDerived(t, s, 1)
	})

	t.Run("rejected restores the event", func(t *testing.T) {
		r, err := s.ResolveDispute(ctx, d.ID, graph.DisputeRejected, "the lender sent the contract", "operator")
		require.NoError(t, err)
		assert.Equal(t, graph.DisputeRejected, r.Status)
		assert.Equal(t, "operator", r.ResolvedBy)
		assert.Equal(t, "the lender sent the contract", r.Note)
		assert.False(t, r.ResolvedAt.IsZero())
		got, disputed := snapRecords(t)
		assert.Equal(t, normRecord(all), got)
		assert.Empty(t, disputed)
		requireDerived(t, s, 1)
		// Resolving again is a conflict and changes nothing.
		_, err = s.ResolveDispute(ctx, d.ID, graph.DisputeUpheld, "", "operator")
		var ve *graph.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, "id", ve.Field)
		assert.ErrorIs(t, err, graph.ErrConflict)
		again, err := s.Dispute(ctx, d.ID)
		require.NoError(t, err)
		assert.Equal(t, normDispute(r), normDispute(again))
	})

	t.Run("upheld removes the event for good", func(t *testing.T) {
		d2, err := s.OpenDispute(ctx, 1, def.ID, "still not mine", "person-app")
		require.NoError(t, err, "a rejected dispute may be followed by another")
		assert.Greater(t, d2.ID, d.ID)
		_, err = s.ResolveDispute(ctx, d2.ID, graph.DisputeUpheld, "the lender withdrew it", "operator")
		require.NoError(t, err)
		p, err := s.Person(ctx, 1)
		require.NoError(t, err)
		assert.Equal(t, normRecord(noDefault), normRecord(p.Record), "the stored record lost the event")
		got, disputed := snapRecords(t)
		assert.Equal(t, normRecord(noDefault), got)
		assert.Empty(t, disputed)
		events := requireDerived(t, s, 1)
		assert.True(t, events[2].Removed)
		_, err = s.OpenDispute(ctx, 1, def.ID, "once more", "person-app")
		assert.ErrorIs(t, err, graph.ErrConflict, "a removed event cannot be disputed")
	})

	t.Run("listing", func(t *testing.T) {
		d3, err := s.OpenDispute(ctx, 2, ev2[0].ID, "paid in full", "person-app")
		require.NoError(t, err)
		all, err := s.Disputes(ctx, graph.DisputeFilter{})
		require.NoError(t, err)
		require.Len(t, all, 4, "with the one the concurrent openers opened")
		assert.Equal(t, d3.ID, all[0].ID, "newest first")
		for i := 1; i < len(all); i++ {
			assert.Greater(t, all[i-1].ID, all[i].ID, "newest first")
		}
		open, err := s.Disputes(ctx, graph.DisputeFilter{Status: graph.DisputeOpen})
		require.NoError(t, err)
		require.Len(t, open, 1)
		assert.Equal(t, d3.ID, open[0].ID)
		mine, err := s.Disputes(ctx, graph.DisputeFilter{Person: 1, Limit: 1})
		require.NoError(t, err)
		require.Len(t, mine, 1)
		assert.Equal(t, graph.ID(1), mine[0].Person)
		assert.Equal(t, graph.DisputeUpheld, mine[0].Status)
		none, err := s.Disputes(ctx, graph.DisputeFilter{Status: graph.DisputeOpen, OpenedBefore: d3.OpenedAt.Add(-time.Hour)})
		require.NoError(t, err)
		assert.Empty(t, none, "nothing opened an hour before the last")
		overdue, err := s.Disputes(ctx, graph.DisputeFilter{Status: graph.DisputeOpen, OpenedBefore: d3.OpenedAt.Add(time.Hour)})
		require.NoError(t, err)
		assert.Len(t, overdue, 1)
		_, err = s.Disputes(ctx, graph.DisputeFilter{Person: 99})
		assert.ErrorIs(t, err, graph.ErrNotFound)
		counts, err := s.OpenDisputes(ctx)
		require.NoError(t, err)
		assert.Equal(t, map[graph.ID]int{2: 1}, counts)

		// Erasure takes the person's disputes along.
		require.NoError(t, s.DeletePerson(ctx, 2))
		_, err = s.Dispute(ctx, d3.ID)
		assert.ErrorIs(t, err, graph.ErrNotFound)
		counts, err = s.OpenDisputes(ctx)
		require.NoError(t, err)
		assert.Empty(t, counts)
	})
}

func normDispute(d graph.Dispute) graph.Dispute {
	d.OpenedAt, d.ResolvedAt = ms(d.OpenedAt), ms(d.ResolvedAt)
	return d
}

func normDisputes(ds []graph.Dispute) []graph.Dispute {
	out := make([]graph.Dispute, len(ds))
	for i, d := range ds {
		out[i] = normDispute(d)
	}
	return out
}
