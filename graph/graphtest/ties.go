package graphtest

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

func (o opener) testTies(t *testing.T) {
	// setup opens a store holding people 1..n (odd ids consent) and a
	// model of it.
	setup := func(t *testing.T, n int) (graph.Store, *model) {
		s := o.store(t)
		m := newModel()
		for id := graph.ID(1); id <= graph.ID(n); id++ {
			p := newPerson(id, id%2 == 1)
			requireStored(t, s, p)
			m.putPerson(p)
		}
		return s, m
	}

	t.Run("FriendshipNormalisedEitherOrder", func(t *testing.T) {
		s, m := setup(t, 4)
		requireTies(t, s, friend(3, 1, 0), friend(2, 4, 1.5))
		m.putTie(friend(1, 3, 1))
		m.putTie(friend(2, 4, 1.5))
		checkModel(t, s, m)
		want := []graph.Tie{{Kind: graph.Friend, From: 1, To: 3, Weight: 1}}
		for _, id := range []graph.ID{1, 3} {
			got, err := s.Ties(t.Context(), id)
			require.NoError(t, err)
			assert.Equal(t, want, got, "ties of %d: normalised, default weight 1", id)
		}
	})

	t.Run("PutAgainUpdatesWeight", func(t *testing.T) {
		s, m := setup(t, 3)
		requireTies(t, s, friend(1, 2, 2), friend(2, 1, 0.25), friend(1, 2, 0.25))
		m.putTie(friend(1, 2, 0.25))
		checkModel(t, s, m)
		// Zero means the default weight 1, also on update.
		requireTies(t, s, friend(2, 1, 0))
		m.putTie(friend(1, 2, 1))
		checkModel(t, s, m)
	})

	t.Run("Invalid", func(t *testing.T) {
		tests := []struct {
			name  string
			tie   graph.Tie
			field string
		}{
			{"self friendship", friend(2, 2, 0), "id"},
			{"self recruitment", recruited(2, 2), "id"},
			{"negative weight", friend(1, 2, -1), "weight"},
			{"NaN weight", friend(1, 2, math.NaN()), "weight"},
			{"infinite weight", friend(1, 2, math.Inf(1)), "weight"},
			{"unknown kind", graph.Tie{Kind: 9, From: 1, To: 2}, "kind"},
			{"zero id", friend(0, 2, 0), "id"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s, m := setup(t, 3)
				err := s.PutTie(t.Context(), tt.tie)
				assertErrIs(t, err, graph.ErrInvalid)
				assert.Equal(t, tt.field, fieldOf(err))
				checkModel(t, s, m)
			})
		}
	})

	t.Run("UnknownPerson", func(t *testing.T) {
		for _, tie := range []graph.Tie{friend(1, 9, 0), friend(9, 1, 0), recruited(1, 9), recruited(9, 1)} {
			s, m := setup(t, 2)
			assertErrIs(t, s.PutTie(t.Context(), tie), graph.ErrNotFound, "%+v", tie)
			checkModel(t, s, m, 9)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		s, m := setup(t, 4)
		ctx := t.Context()
		requireTies(t, s, friend(1, 2, 3), friend(3, 4, 0), recruited(1, 3), recruited(2, 4))
		m.putTie(friend(1, 2, 3))
		m.putTie(friend(3, 4, 0))
		m.putTie(recruited(2, 4))

		require.NoError(t, s.DeleteTie(ctx, graph.Friend, 2, 1), "a friendship is deleted in either order")
		require.NoError(t, s.DeleteTie(ctx, graph.Recruited, 1, 3))
		delete(m.friends, [2]graph.ID{1, 2})
		checkModel(t, s, m)

		assertErrIs(t, s.DeleteTie(ctx, graph.Friend, 1, 2), graph.ErrNotFound, "deleted already")
		assertErrIs(t, s.DeleteTie(ctx, graph.Friend, 1, 4), graph.ErrNotFound, "never existed")
		assertErrIs(t, s.DeleteTie(ctx, graph.Recruited, 4, 2), graph.ErrNotFound, "a recruitment is directed: a is the recruiter")
		assertErrIs(t, s.DeleteTie(ctx, graph.Recruited, 1, 2), graph.ErrNotFound)
		assertErrIs(t, s.DeleteTie(ctx, graph.Friend, 7, 8), graph.ErrNotFound, "unknown people")
		checkModel(t, s, m)
	})

	t.Run("Recruitment", func(t *testing.T) {
		s, m := setup(t, 4)
		ctx := t.Context()
		requireTies(t, s, recruited(3, 1))
		m.putTie(recruited(3, 1))
		want := []graph.Tie{{Kind: graph.Recruited, From: 3, To: 1, Weight: 1}}
		for _, id := range []graph.ID{1, 3} {
			got, err := s.Ties(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, want, got, "ties of %d: From is the recruiter", id)
		}

		// Putting the same recruitment again changes nothing.
		require.NoError(t, s.PutTie(ctx, recruited(3, 1)))
		// A second recruiter conflicts, whoever it is.
		for _, by := range []graph.ID{2, 4} {
			err := s.PutTie(ctx, recruited(by, 1))
			assertErrIs(t, err, graph.ErrConflict, "second recruiter %d", by)
		}
		// The recruit may recruit others, including their own recruiter.
		requireTies(t, s, recruited(1, 2), recruited(1, 3))
		m.putTie(recruited(1, 2))
		m.putTie(recruited(1, 3))
		checkModel(t, s, m)
	})

	t.Run("Ordering", func(t *testing.T) {
		s, m := setup(t, 9)
		// Put in an order unlike the expected one.
		ties := []graph.Tie{
			recruited(5, 8), friend(9, 5, 0), recruited(1, 5), friend(5, 2, 2),
			recruited(5, 3), friend(7, 5, 0.5), friend(4, 6, 0),
		}
		requireTies(t, s, ties...)
		for _, tie := range ties {
			m.putTie(tie)
		}
		want := []graph.Tie{
			{Kind: graph.Friend, From: 2, To: 5, Weight: 2},
			{Kind: graph.Friend, From: 5, To: 7, Weight: 0.5},
			{Kind: graph.Friend, From: 5, To: 9, Weight: 1},
			{Kind: graph.Recruited, From: 1, To: 5, Weight: 1},
			{Kind: graph.Recruited, From: 5, To: 3, Weight: 1},
			{Kind: graph.Recruited, From: 5, To: 8, Weight: 1},
		}
		got, err := s.Ties(t.Context(), 5)
		require.NoError(t, err)
		assert.Equal(t, want, got, "by kind, then From, then To")
		checkModel(t, s, m)
	})

	t.Run("OfUnknownOrLonelyPerson", func(t *testing.T) {
		s, _ := setup(t, 2)
		_, err := s.Ties(t.Context(), 3)
		assertErrIs(t, err, graph.ErrNotFound)
		got, err := s.Ties(t.Context(), 2)
		require.NoError(t, err)
		assert.Empty(t, got)
	})
}
