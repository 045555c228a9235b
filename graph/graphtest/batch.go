package graphtest

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

func (o opener) testBatch(t *testing.T) {
	// setup stores people 1..4 (odd ids consent), a friendship 1-2 of
	// weight 2 and the recruitment 1->2.
	setup := func(t *testing.T) (graph.Store, *model) {
		s := o.store(t)
		m := newModel()
		for id := graph.ID(1); id <= 4; id++ {
			p := newPerson(id, id%2 == 1)
			requireStored(t, s, p)
			m.putPerson(p)
		}
		for _, tie := range []graph.Tie{friend(1, 2, 2), recruited(1, 2)} {
			requireTies(t, s, tie)
			m.putTie(tie)
		}
		return s, m
	}
	// good is a batch that setup's store accepts: new people 10..14, ties
	// among them, between them and stored people, and among stored
	// people (an update of 1-2's weight). The friendship 10-11 is given
	// twice; the last weight wins.
	good := func() graph.Batch {
		return graph.Batch{
			People: []graph.Person{newPerson(12, true), newPerson(10, true), newPerson(11, false), newPerson(14, true), newPerson(13, true)},
			Ties: []graph.Tie{
				friend(10, 11, 0), friend(12, 1, 0.5), friend(2, 1, 4), friend(14, 13, 0),
				recruited(10, 12), recruited(3, 13), recruited(12, 4), recruited(10, 12),
				friend(11, 10, 3),
			},
		}
	}
	newIDs := []graph.ID{10, 11, 12, 13, 14}

	t.Run("GoodBatchStoresEverything", func(t *testing.T) {
		s, m := setup(t)
		b := good()
		require.NoError(t, s.ApplyBatch(t.Context(), b))
		for _, p := range b.People {
			m.putPerson(p)
		}
		for _, tie := range b.Ties {
			m.putTie(tie)
		}
		checkModel(t, s, m)
	})

	t.Run("EmptyBatch", func(t *testing.T) {
		s, m := setup(t)
		require.NoError(t, s.ApplyBatch(t.Context(), graph.Batch{}))
		checkModel(t, s, m)
	})

	// Each bad batch is the good one with faults appended (people at
	// positions 5.., ties at 9..); nothing of it may be stored. Every
	// store reports the same error: the first rule broken in the order
	// package graph documents (graph.PlanBatch, graph.BatchPlan.CheckStored),
	// and within it the first offending entry in batch order, with the
	// same field, reason and kind.
	bad := []struct {
		name   string
		edit   func(*graph.Batch)
		field  string
		reason string
		kind   error
	}{
		{"duplicate id in batch", func(b *graph.Batch) { b.People = append(b.People, newPerson(11, true)) },
			"people/5/id", "id 11 appears twice in the batch (also people/2)", graph.ErrConflict},
		{"existing id", func(b *graph.Batch) { b.People = append(b.People, newPerson(3, true)) },
			"people/5/id", "person 3 already exists", graph.ErrConflict},
		{"invalid person", func(b *graph.Batch) {
			p := newPerson(15, true)
			p.Record.CreditLate = -1
			b.People = append(b.People, p)
		}, "people/5/record/credit_late", "must be a non-negative number", graph.ErrInvalid},
		{"friend unknown", func(b *graph.Batch) { b.Ties = append(b.Ties, friend(10, 99, 0)) },
			"ties/9/to", "person 99 does not exist", graph.ErrNotFound},
		{"recruiter unknown", func(b *graph.Batch) { b.Ties = append(b.Ties, recruited(99, 11)) },
			"ties/9/from", "person 99 does not exist", graph.ErrNotFound},
		{"self tie", func(b *graph.Batch) { b.Ties = append(b.Ties, friend(11, 11, 0)) },
			"ties/9/id", "a person cannot befriend themselves", graph.ErrInvalid},
		{"self recruitment", func(b *graph.Batch) { b.Ties = append(b.Ties, recruited(13, 13)) },
			"ties/9/id", "a person cannot recruit themselves", graph.ErrInvalid},
		{"bad weight", func(b *graph.Batch) { b.Ties = append(b.Ties, friend(10, 14, -2)) },
			"ties/9/weight", "must be a positive number", graph.ErrInvalid},
		{"two recruiters in batch", func(b *graph.Batch) { b.Ties = append(b.Ties, recruited(11, 12)) },
			"ties/9/from", "person 12 is recruited by both 10 and 11 in the batch", graph.ErrConflict},
		{"recruit already recruited", func(b *graph.Batch) { b.Ties = append(b.Ties, recruited(3, 2)) },
			"ties/9/from", "person 2 was already recruited by 1", graph.ErrConflict},

		// Several faults of one kind: the first in batch order names the
		// error, not the smallest id.
		{"two duplicate ids", func(b *graph.Batch) { b.People = append(b.People, newPerson(13, true), newPerson(10, true)) },
			"people/5/id", "id 13 appears twice in the batch (also people/4)", graph.ErrConflict},
		{"two existing ids", func(b *graph.Batch) { b.People = append(b.People, newPerson(4, true), newPerson(3, true)) },
			"people/5/id", "person 4 already exists", graph.ErrConflict},
		{"two unknown people", func(b *graph.Batch) { b.Ties = append(b.Ties, friend(10, 98, 0), friend(97, 11, 0)) },
			"ties/9/to", "person 98 does not exist", graph.ErrNotFound},
		{"two unknown ends", func(b *graph.Batch) { b.Ties = append(b.Ties, recruited(96, 95)) },
			"ties/9/from", "person 96 does not exist", graph.ErrNotFound},
		{"two recruiters twice", func(b *graph.Batch) { b.Ties = append(b.Ties, recruited(1, 13), recruited(11, 12)) },
			"ties/9/from", "person 13 is recruited by both 3 and 1 in the batch", graph.ErrConflict},
		{"two invalid ties", func(b *graph.Batch) { b.Ties = append(b.Ties, friend(10, 14, -2), friend(11, 11, 0)) },
			"ties/9/weight", "must be a positive number", graph.ErrInvalid},

		// Faults of several kinds: the first rule in graph's order.
		{"invalid person before duplicate id", func(b *graph.Batch) {
			p := newPerson(15, true)
			p.Profile.Verified = p.Profile.Provided | 1<<6 // 15 provides fields 0..3
			b.People = append(b.People, newPerson(11, true), p)
		}, "people/6/profile/verified", "a verified field must also be provided", graph.ErrInvalid},
		{"duplicate id before invalid tie", func(b *graph.Batch) {
			b.People = append(b.People, newPerson(11, true))
			b.Ties = append(b.Ties, friend(11, 11, 0))
		}, "people/5/id", "id 11 appears twice in the batch (also people/2)", graph.ErrConflict},
		{"invalid tie before two recruiters", func(b *graph.Batch) { b.Ties = append(b.Ties, recruited(11, 12), friend(10, 14, -2)) },
			"ties/10/weight", "must be a positive number", graph.ErrInvalid},
		{"two recruiters before existing id", func(b *graph.Batch) {
			b.People = append(b.People, newPerson(3, true))
			b.Ties = append(b.Ties, recruited(11, 12))
		}, "ties/9/from", "person 12 is recruited by both 10 and 11 in the batch", graph.ErrConflict},
		{"existing id before unknown person", func(b *graph.Batch) {
			b.People = append(b.People, newPerson(3, true))
			b.Ties = append(b.Ties, friend(10, 99, 0))
		}, "people/5/id", "person 3 already exists", graph.ErrConflict},
		{"unknown person before recruit already recruited", func(b *graph.Batch) { b.Ties = append(b.Ties, recruited(3, 2), friend(10, 99, 0)) },
			"ties/10/to", "person 99 does not exist", graph.ErrNotFound},
	}
	for _, tt := range bad {
		t.Run("NothingStored/"+tt.name, func(t *testing.T) {
			s, m := setup(t)
			b := good()
			tt.edit(&b)
			err := s.ApplyBatch(t.Context(), b)
			assertErrIs(t, err, tt.kind)
			var ve *graph.ValidationError
			if assert.ErrorAs(t, err, &ve) {
				assert.Equal(t, tt.field, ve.Field, "field")
				assert.Equal(t, tt.reason, ve.Reason, "reason")
			}
			checkModel(t, s, m, newIDs...)
		})
	}

	t.Run("Large", func(t *testing.T) {
		s := o.store(t)
		ctx := t.Context()
		b := randomBatch(2000, 5000, 300, rand.New(rand.NewPCG(1, 2)))

		// The same batch with a bad last tie stores nothing.
		spoilt := b
		spoilt.Ties = append(b.Ties[:len(b.Ties):len(b.Ties)], friend(1, 999999, 0))
		assertErrIs(t, s.ApplyBatch(ctx, spoilt), graph.ErrNotFound)
		checkModelEvery(t, s, newModel(), 1, 1, 1000, 2000)

		require.NoError(t, s.ApplyBatch(ctx, b))
		m := newModel()
		for _, p := range b.People {
			m.putPerson(p)
		}
		for _, tie := range b.Ties {
			m.putTie(tie)
		}
		checkModelEvery(t, s, m, 97)

		// The snapshot is the one graph.SnapshotOf builds from the batch
		// without a store.
		snap, err := s.Snapshot(ctx)
		require.NoError(t, err)
		want, err := graph.SnapshotOf(b, snap.TakenAt)
		require.NoError(t, err)
		assert.Equal(t, viewOf(t, want), viewOf(t, snap), "snapshot of the batch")
		assert.Equal(t, want.Weights == nil, snap.Weights == nil, "Weights nil exactly when every weight is 1")
	})
}

// randomBatch returns n people (ids 1..n in shuffled order, three in four
// consenting), f friendships between random pairs (a pair may repeat, in
// either order, with another weight) and r recruitments with distinct
// recruits.
func randomBatch(n, f, r int, rng *rand.Rand) graph.Batch {
	var b graph.Batch
	for _, i := range rng.Perm(n) {
		id := graph.ID(i + 1)
		b.People = append(b.People, newPerson(id, rng.IntN(4) != 0))
	}
	weights := []float64{0, 1, 0.5, 2, 3.25}
	for len(b.Ties) < f {
		a, z := graph.ID(rng.IntN(n)+1), graph.ID(rng.IntN(n)+1)
		if a == z {
			continue
		}
		b.Ties = append(b.Ties, friend(a, z, weights[rng.IntN(len(weights))]))
	}
	for _, i := range rng.Perm(n)[:r] {
		recruit := graph.ID(i + 1)
		by := graph.ID(rng.IntN(n) + 1)
		if by == recruit {
			continue
		}
		b.Ties = append(b.Ties, recruited(by, recruit))
	}
	return b
}
