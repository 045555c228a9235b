package graphtest

import (
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

func (o opener) testPeople(t *testing.T) {
	t.Run("CreateAndGet", func(t *testing.T) {
		s := o.store(t)
		for _, p := range []graph.Person{newPerson(7, true), newPerson(8, false), newPerson(1<<40+3, true)} {
			created, err := s.PutPerson(t.Context(), p)
			require.NoError(t, err)
			assert.True(t, created, "person %d is new", p.ID)
			// Person returns people whether or not they consented.
			assertPerson(t, s, p)
		}
		_, err := s.Person(t.Context(), 9)
		assertErrIs(t, err, graph.ErrNotFound)
		c, err := s.Counts(t.Context())
		require.NoError(t, err)
		assert.Equal(t, graph.Counts{People: 3, Consenting: 2}, c)
	})

	t.Run("StoreSetsTimes", func(t *testing.T) {
		s := o.store(t)
		p := newPerson(7, true)
		long := base.AddDate(-20, 0, 0)
		p.CreatedAt, p.UpdatedAt = long, long
		requireStored(t, s, p)
		got := assertPerson(t, s, p)
		assert.NotEqual(t, ms(long), ms(got.CreatedAt), "CreatedAt is the store's, not the caller's")
	})

	t.Run("UpdateKeepsRecordAndCreatedAt", func(t *testing.T) {
		s := o.store(t)
		first := newPerson(7, true)
		requireStored(t, s, first)
		before := assertPerson(t, s, first)

		second := newPerson(8, false) // another profile and record
		second.ID = 7
		require.NotEqual(t, first.Profile, second.Profile, "fixture: profiles differ")
		created, err := s.PutPerson(t.Context(), second)
		require.NoError(t, err)
		assert.False(t, created, "an existing person is updated, not created")

		want := second
		want.Record = first.Record // the record changes only through UpdateRecord
		after := assertPerson(t, s, want)
		assert.Equal(t, ms(before.CreatedAt), ms(after.CreatedAt), "CreatedAt is kept")
		assert.False(t, after.UpdatedAt.Before(before.UpdatedAt), "UpdatedAt does not go back")

		c, err := s.Counts(t.Context())
		require.NoError(t, err)
		assert.Equal(t, graph.Counts{People: 1, Consenting: 0}, c)
	})

	t.Run("Validation", func(t *testing.T) {
		tests := []struct {
			name  string
			edit  func(*graph.Person)
			field string
		}{
			{"zero id", func(p *graph.Person) { p.ID = 0 }, "id"},
			{"negative id", func(p *graph.Person) { p.ID = -5 }, "id"},
			{"unknown profile field", func(p *graph.Person) { p.Profile.Provided = 1 << 12 }, "profile"},
			{"verified but not provided", func(p *graph.Person) { p.Profile = graph.Profile{Provided: 1, Verified: 3} }, "profile/verified"},
			{"negative purchase total", func(p *graph.Person) { p.Record.PurchaseTotal = -1 }, "record/purchase_total"},
			{"NaN default amount", func(p *graph.Person) { p.Record.DefaultAmount = math.NaN() }, "record/default_amount"},
			{"negative late bills", func(p *graph.Person) { p.Record.BillsLate = -2 }, "record/bills_late"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := o.store(t)
				requireStored(t, s, newPerson(1, true))
				m := newModel()
				m.putPerson(newPerson(1, true))

				// A new person.
				p := newPerson(7, true)
				tt.edit(&p)
				created, err := s.PutPerson(t.Context(), p)
				assertErrIs(t, err, graph.ErrInvalid)
				assert.Equal(t, tt.field, fieldOf(err), "field named by the error")
				assert.False(t, created)

				// An update of an existing person.
				p = newPerson(1, false)
				tt.edit(&p)
				if p.ID == 1 {
					_, err = s.PutPerson(t.Context(), p)
					assertErrIs(t, err, graph.ErrInvalid)
					assert.Equal(t, tt.field, fieldOf(err), "field named by the error")
				}
				checkModel(t, s, m, 7)
			})
		}
	})

	t.Run("ConsentWithdrawalErasesScores", func(t *testing.T) {
		s := o.store(t)
		ctx := t.Context()
		requireStored(t, s, people(true, 1, 2, 3)...)
		run1, run2 := newRun(1), newRun(2)
		require.NoError(t, s.SaveRun(ctx, run1, newResults(1, 1, 2, 3)))
		require.NoError(t, s.SaveRun(ctx, run2, newResults(2, 1, 2, 3)))

		created, err := s.PutPerson(ctx, newPerson(2, false))
		require.NoError(t, err)
		require.False(t, created)

		h, err := s.History(ctx, 2, 10)
		require.NoError(t, err)
		assert.Empty(t, h, "every run's score of a withdrawn person is erased")
		assertLatest(t, s, run2, newResults(2, 1, 3))
		assertHistory(t, s, 1, 10, historyOf(1, run2, run1))

		// Consenting again does not bring the old scores back.
		created, err = s.PutPerson(ctx, newPerson(2, true))
		require.NoError(t, err)
		require.False(t, created)
		h, err = s.History(ctx, 2, 10)
		require.NoError(t, err)
		assert.Empty(t, h)
		assertPerson(t, s, newPerson(2, true))
	})
}

func (o opener) testDeletePerson(t *testing.T) {
	s := o.store(t)
	ctx := t.Context()
	m := newModel()
	for _, p := range people(true, 1, 2, 3, 4, 5) {
		requireStored(t, s, p)
		m.putPerson(p)
	}
	// Person 1 has friendships with 1 in From and in To, a recruit, and a
	// recruiter; 2-3 and 4-5 do not involve 1.
	ties := []graph.Tie{
		friend(1, 2, 0), friend(3, 1, 2.5), friend(2, 3, 0), friend(4, 5, 0),
		recruited(1, 3), recruited(4, 1), recruited(2, 5),
	}
	requireTies(t, s, ties...)
	for _, tie := range ties {
		m.putTie(tie)
	}
	run := newRun(1)
	require.NoError(t, s.SaveRun(ctx, run, newResults(1, 1, 2, 3)))

	require.NoError(t, s.DeletePerson(ctx, 1))
	m.deletePerson(1)
	checkModel(t, s, m, 1)
	_, err := s.History(ctx, 1, 10)
	assertErrIs(t, err, graph.ErrNotFound, "history of a deleted person")
	assertLatest(t, s, run, newResults(1, 2, 3))

	assertErrIs(t, s.DeletePerson(ctx, 1), graph.ErrNotFound, "delete twice")
	assertErrIs(t, s.DeletePerson(ctx, 99), graph.ErrNotFound, "delete unknown")

	// The scores are gone, not merely hidden: the same id created again
	// has no history.
	requireStored(t, s, newPerson(1, true))
	m.putPerson(newPerson(1, true))
	h, err := s.History(ctx, 1, 10)
	require.NoError(t, err)
	assert.Empty(t, h)
	// And 3 lost their recruiter: someone else may recruit them now.
	requireTies(t, s, recruited(2, 3))
	m.putTie(recruited(2, 3))
	checkModel(t, s, m)
}

func (o opener) testUpdateRecord(t *testing.T) {
	t.Run("Applies", func(t *testing.T) {
		s := o.store(t)
		p := newPerson(5, true)
		requireStored(t, s, p)
		before := assertPerson(t, s, p)
		events := []graph.Event{
			{Type: graph.EventPurchase, Amount: 40, At: base.Add(200 * 24 * time.Hour)},
			{Type: graph.EventBillPayment, Amount: 10, Due: base, Paid: base.Add(72 * time.Hour)},
		}
		want := p
		require.NoError(t, want.Record.Apply(events, base.AddDate(1, 0, 0)))
		require.NotEqual(t, p.Record, want.Record, "fixture: the events change the record")

		got, err := s.UpdateRecord(t.Context(), 5, func(r *graph.Record) error {
			return r.Apply(events, base.AddDate(1, 0, 0))
		})
		require.NoError(t, err)
		assert.Equal(t, normPerson(want), normPerson(got), "returned person")
		after := assertPerson(t, s, want)
		assert.Equal(t, ms(before.CreatedAt), ms(after.CreatedAt))
		assert.False(t, after.UpdatedAt.Before(before.UpdatedAt))
	})

	t.Run("CallbackErrorChangesNothing", func(t *testing.T) {
		s := o.store(t)
		p := newPerson(5, true)
		requireStored(t, s, p)
		_, err := s.UpdateRecord(t.Context(), 5, func(r *graph.Record) error {
			r.PurchaseCount += 100 // changed, then refused
			return errSentinel
		})
		assert.ErrorIs(t, err, errSentinel, "the callback's error is returned")
		assertPerson(t, s, p)
	})

	t.Run("InvalidResultChangesNothing", func(t *testing.T) {
		s := o.store(t)
		p := newPerson(5, true)
		requireStored(t, s, p)
		_, err := s.UpdateRecord(t.Context(), 5, func(r *graph.Record) error {
			r.Defaults = -1
			return nil
		})
		assertErrIs(t, err, graph.ErrInvalid)
		assert.Equal(t, "record/defaults", fieldOf(err))
		assertPerson(t, s, p)
	})

	t.Run("NotFound", func(t *testing.T) {
		s := o.store(t)
		_, err := s.UpdateRecord(t.Context(), 5, func(r *graph.Record) error { return nil })
		assertErrIs(t, err, graph.ErrNotFound)
	})

	t.Run("ConcurrentUpdatesAreNotLost", func(t *testing.T) {
		s := o.store(t)
		p := newPerson(5, true)
		requireStored(t, s, p)
		const workers, each = 4, 10
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for range workers {
			wg.Go(func() {
				for range each {
					_, err := s.UpdateRecord(t.Context(), 5, func(r *graph.Record) error {
						r.PurchaseCount++
						r.PurchaseTotal += 2
						return nil
					})
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			assert.NoError(t, err)
		}
		want := p
		want.Record.PurchaseCount += workers * each
		want.Record.PurchaseTotal += 2 * workers * each
		assertPerson(t, s, want)
	})
}
