package graph_test

import (
	"cmp"
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

func bperson(id graph.ID) graph.Person { return graph.Person{ID: id, Consent: true} }

func bfriend(a, b graph.ID, w float64) graph.Tie {
	return graph.Tie{Kind: graph.Friend, From: a, To: b, Weight: w}
}

func brecruit(a, b graph.ID) graph.Tie { return graph.Tie{Kind: graph.Recruited, From: a, To: b} }

// TestPlanBatchLayout checks the plan of a small batch against a layout
// worked out by hand.
func TestPlanBatchLayout(t *testing.T) {
	p, err := graph.PlanBatch(graph.Batch{
		People: []graph.Person{bperson(5), bperson(3), bperson(4)},
		Ties: []graph.Tie{
			bfriend(4, 3, 2), bfriend(9, 5, 0), bfriend(3, 4, 0.5), // 3-4 twice: the last weight wins
			brecruit(7, 5), brecruit(7, 5), brecruit(3, 9),
		},
	})
	require.NoError(t, err)
	assert.Equal(t, []int32{1, 2, 0}, p.Order)
	assert.Equal(t, graph.IDSet{3, 4, 5}, p.IDs)
	assert.Equal(t, []graph.Arc{
		{From: 3, To: 4, Weight: 0.5, At: 2}, {From: 4, To: 3, Weight: 0.5, At: 2},
		{From: 5, To: 9, Weight: 1, At: 1}, {From: 9, To: 5, Weight: 1, At: 1},
	}, p.Friends)
	assert.Equal(t, []graph.Arc{{From: 7, To: 5, Weight: 1, At: 3}, {From: 3, To: 9, Weight: 1, At: 5}}, p.Recruits)
	assert.Equal(t, []graph.ID{7, 9}, p.Outside, "ids the batch names but does not create")
}

// TestPlanBatchFriends compares the planned friendships of random batches
// with a map kept by hand (the last weight of a pair wins), for dense ids
// (the counting sort) and sparse ids (the comparison sort).
func TestPlanBatchFriends(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, spread := range []graph.ID{1, 1 << 40} {
		var b graph.Batch
		const n = 300
		for i := range n {
			b.People = append(b.People, bperson(graph.ID(i+1)*spread))
		}
		want := map[[2]graph.ID]struct {
			w  float64
			at int32
		}{}
		for i := range 3000 {
			a, z := graph.ID(rng.IntN(n)+1)*spread, graph.ID(rng.IntN(n)+1)*spread
			if a == z {
				a = z%(n*spread) + spread
			}
			w := float64(rng.IntN(4))
			b.Ties = append(b.Ties, bfriend(a, z, w))
			if w == 0 {
				w = 1
			}
			want[[2]graph.ID{a, z}] = struct {
				w  float64
				at int32
			}{w, int32(i)}
			want[[2]graph.ID{z, a}] = want[[2]graph.ID{a, z}]
		}
		p, err := graph.PlanBatch(b)
		require.NoError(t, err)
		var arcs []graph.Arc
		for k, v := range want {
			arcs = append(arcs, graph.Arc{From: k[0], To: k[1], Weight: v.w, At: v.at})
		}
		slices.SortFunc(arcs, func(x, y graph.Arc) int { return cmp.Or(cmp.Compare(x.From, y.From), cmp.Compare(x.To, y.To)) })
		assert.Equal(t, arcs, p.Friends, "spread %d", spread)
	}
}

// TestBatchErrors pins every error a store reports for a bad batch: the
// field, the reason and the kind, the first rule broken in the order
// package graph documents, and within it the first entry in batch order.
// stored is the store's content for CheckStored: people 1..4, 1 recruited
// 2.
func TestBatchErrors(t *testing.T) {
	stored := graph.Stored{
		Person:    func(id graph.ID) bool { return id >= 1 && id <= 4 },
		Recruiter: func(id graph.ID) (graph.ID, bool) { return 1, id == 2 },
	}
	tests := []struct {
		name   string
		b      graph.Batch
		want   graph.ValidationError
		stored bool // the error comes from CheckStored, not PlanBatch
	}{
		{"invalid person", graph.Batch{People: []graph.Person{bperson(10), {ID: 11, Profile: graph.Profile{Verified: 1}}, {ID: -1}}},
			graph.ValidationError{Field: "people/1/profile/verified", Reason: "a verified field must also be provided"}, false},
		{"invalid id", graph.Batch{People: []graph.Person{bperson(10), {ID: -1}}},
			graph.ValidationError{Field: "people/1/id", Reason: "must be a positive integer"}, false},
		// 5 repeats at 2 before 3 repeats at 3: the first in batch order,
		// not the smallest id.
		{"id twice", graph.Batch{People: []graph.Person{bperson(5), bperson(3), bperson(5), bperson(3), bperson(5)}},
			graph.ValidationError{Field: "people/2/id", Reason: "id 5 appears twice in the batch (also people/0)", Kind: graph.ErrConflict}, false},
		{"invalid person before id twice", graph.Batch{People: []graph.Person{bperson(5), bperson(5), {ID: 6, Record: graph.Record{Defaults: -1}}}},
			graph.ValidationError{Field: "people/2/record/defaults", Reason: "must be a non-negative number"}, false},
		{"self tie", graph.Batch{Ties: []graph.Tie{bfriend(1, 2, 0), bfriend(3, 3, 0)}},
			graph.ValidationError{Field: "ties/1/id", Reason: "a person cannot befriend themselves"}, false},
		{"bad weight", graph.Batch{Ties: []graph.Tie{bfriend(1, 2, -1)}},
			graph.ValidationError{Field: "ties/0/weight", Reason: "must be a positive number"}, false},
		{"unknown kind", graph.Batch{Ties: []graph.Tie{{Kind: 7, From: 1, To: 2}}},
			graph.ValidationError{Field: "ties/0/kind", Reason: "unknown tie kind 7"}, false},
		{"id twice before bad tie", graph.Batch{People: []graph.Person{bperson(5), bperson(5)}, Ties: []graph.Tie{bfriend(1, 1, 0)}},
			graph.ValidationError{Field: "people/1/id", Reason: "id 5 appears twice in the batch (also people/0)", Kind: graph.ErrConflict}, false},
		// Recruit 9's second recruiter is tie 3, recruit 5's tie 4: the
		// first in batch order, not the smallest recruit.
		{"two recruiters", graph.Batch{Ties: []graph.Tie{brecruit(1, 5), brecruit(1, 9), brecruit(1, 5), brecruit(2, 9), brecruit(3, 5), brecruit(4, 9)}},
			graph.ValidationError{Field: "ties/3/from", Reason: "person 9 is recruited by both 1 and 2 in the batch", Kind: graph.ErrConflict}, false},
		{"bad tie before two recruiters", graph.Batch{Ties: []graph.Tie{brecruit(1, 5), brecruit(2, 5), bfriend(1, 2, 2e6)}},
			graph.ValidationError{Field: "ties/2/weight", Reason: "must be a positive number"}, false},
		{"exists", graph.Batch{People: []graph.Person{bperson(10), bperson(4), bperson(1)}},
			graph.ValidationError{Field: "people/1/id", Reason: "person 4 already exists", Kind: graph.ErrConflict}, true},
		{"exists before missing", graph.Batch{People: []graph.Person{bperson(2)}, Ties: []graph.Tie{bfriend(2, 99, 0)}},
			graph.ValidationError{Field: "people/0/id", Reason: "person 2 already exists", Kind: graph.ErrConflict}, true},
		// 99 is named first by tie 1, 50 by tie 2: the first tie in batch
		// order, not the smallest id; its from end before its to end.
		{"missing", graph.Batch{People: []graph.Person{bperson(10)}, Ties: []graph.Tie{bfriend(10, 1, 0), bfriend(10, 99, 0), bfriend(50, 60, 0)}},
			graph.ValidationError{Field: "ties/1/to", Reason: "person 99 does not exist", Kind: graph.ErrNotFound}, true},
		{"missing both ends", graph.Batch{Ties: []graph.Tie{bfriend(1, 2, 0), brecruit(70, 60)}},
			graph.ValidationError{Field: "ties/1/from", Reason: "person 70 does not exist", Kind: graph.ErrNotFound}, true},
		{"missing before recruited", graph.Batch{Ties: []graph.Tie{brecruit(3, 2), bfriend(1, 77, 0)}},
			graph.ValidationError{Field: "ties/1/to", Reason: "person 77 does not exist", Kind: graph.ErrNotFound}, true},
		{"recruited", graph.Batch{People: []graph.Person{bperson(10)}, Ties: []graph.Tie{brecruit(10, 3), brecruit(4, 2), brecruit(4, 2)}},
			graph.ValidationError{Field: "ties/1/from", Reason: "person 2 was already recruited by 1", Kind: graph.ErrConflict}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := graph.PlanBatch(tt.b)
			if tt.stored {
				require.NoError(t, err)
				err = p.CheckStored(t.Context(), stored)
			}
			var ve *graph.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tt.want.Field, ve.Field)
			assert.Equal(t, tt.want.Reason, ve.Reason)
			kind := tt.want.Kind
			if kind == nil {
				kind = graph.ErrInvalid
			}
			assert.ErrorIs(t, err, kind)
		})
	}

	t.Run("GoodBatchPasses", func(t *testing.T) {
		p, err := graph.PlanBatch(graph.Batch{
			People: []graph.Person{bperson(10), bperson(11)},
			Ties:   []graph.Tie{brecruit(1, 2), brecruit(10, 11), brecruit(11, 3), bfriend(1, 2, 0), bfriend(10, 4, 0)},
		})
		require.NoError(t, err)
		assert.NoError(t, p.CheckStored(t.Context(), stored))
	})
	t.Run("Cancelled", func(t *testing.T) {
		p, err := graph.PlanBatch(graph.Batch{People: []graph.Person{bperson(10)}})
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		assert.True(t, errors.Is(p.CheckStored(ctx, stored), context.Canceled))
	})
}

func TestIDSet(t *testing.T) {
	for _, s := range []graph.IDSet{{}, {4}, {1, 2, 3, 4, 5}, {2, 3, 7, 100, 101}, {-3, -2, 9}} {
		for id := graph.ID(-5); id <= 110; id++ {
			want := slices.Index(s, id)
			i, ok := s.Index(id)
			assert.Equal(t, want >= 0, ok, "%v has %d", s, id)
			assert.Equal(t, want >= 0, s.Has(id), "%v has %d", s, id)
			if want >= 0 {
				assert.Equal(t, want, i, "%v index of %d", s, id)
			}
		}
	}
}

// TestSnapshotOf compares SnapshotOf with the production
// SnapshotBuilder, which the stores build their snapshots with, on
// random batches whose friendships repeat only with the same weight (the
// builder keeps an arbitrary one of differing weights), and checks by
// hand that of differing weights the last one given wins, as in a store.
func TestSnapshotOf(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	takenAt := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for round := range 20 {
		var b graph.Batch
		n := 1 + rng.IntN(200)
		for _, i := range rng.Perm(n) {
			p := bperson(graph.ID(i*3 + 7))
			p.Consent = rng.IntN(4) != 0
			p.Record.PurchaseCount = int64(rng.IntN(9))
			p.Profile.Provided = graph.FieldSet(rng.IntN(8))
			b.People = append(b.People, p)
		}
		id := func() graph.ID { return graph.ID(rng.IntN(n)*3 + 7) }
		weightOf := func(a, z graph.ID) float64 {
			if round%2 == 0 {
				return 0
			}
			return float64(1 + (a+z)%3)
		}
		for range rng.IntN(4 * n) {
			a, z := id(), id()
			if a != z {
				b.Ties = append(b.Ties, bfriend(a, z, weightOf(a, z)))
			}
		}
		for _, i := range rng.Perm(n)[:rng.IntN(n)] {
			if by := id(); by != graph.ID(i*3+7) {
				b.Ties = append(b.Ties, brecruit(by, graph.ID(i*3+7)))
			}
		}
		var sb graph.SnapshotBuilder
		for _, p := range b.People {
			sb.AddPerson(p)
		}
		for _, tie := range b.Ties {
			sb.AddTie(tie)
		}
		want, err := sb.Build(takenAt)
		require.NoError(t, err)
		got, err := graph.SnapshotOf(b, takenAt)
		require.NoError(t, err)
		assert.Equal(t, want.IDs, got.IDs, "round %d", round)
		assert.Equal(t, want.Offsets, got.Offsets, "round %d", round)
		assert.Equal(t, want.Targets, got.Targets, "round %d", round)
		assert.Equal(t, want.Weights, got.Weights, "round %d", round)
		assert.Equal(t, want.RecruitOffsets, got.RecruitOffsets, "round %d", round)
		assert.Equal(t, want.RecruitTargets, got.RecruitTargets, "round %d", round)
		assert.Equal(t, want.Records, got.Records, "round %d", round)
		assert.Equal(t, want.Profiles, got.Profiles, "round %d", round)
		assert.Equal(t, takenAt, got.TakenAt)
	}

	t.Run("LastWeightWins", func(t *testing.T) {
		s, err := graph.SnapshotOf(graph.Batch{
			People: []graph.Person{bperson(2), bperson(1), {ID: 3}},
			Ties:   []graph.Tie{bfriend(1, 2, 3), bfriend(2, 1, 0.5), bfriend(3, 1, 2), brecruit(1, 2), brecruit(3, 1)},
		}, takenAt)
		require.NoError(t, err)
		assert.Equal(t, []graph.ID{1, 2}, s.IDs)
		assert.Equal(t, []int32{0, 1, 2}, s.Offsets)
		assert.Equal(t, []int32{1, 0}, s.Targets)
		assert.Equal(t, []float32{0.5, 0.5}, s.Weights)
		assert.Equal(t, []int32{0, 1, 1}, s.RecruitOffsets)
		assert.Equal(t, []int32{1}, s.RecruitTargets)
	})
	t.Run("StoreErrors", func(t *testing.T) {
		_, err := graph.SnapshotOf(graph.Batch{People: []graph.Person{bperson(1)}, Ties: []graph.Tie{bfriend(1, 2, 0)}}, takenAt)
		assert.ErrorIs(t, err, graph.ErrNotFound)
		assert.Equal(t, "ties/0/to", fieldOf(err))
		_, err = graph.SnapshotOf(graph.Batch{People: []graph.Person{bperson(1), bperson(1)}}, takenAt)
		assert.ErrorIs(t, err, graph.ErrConflict)
	})
}

func fieldOf(err error) string {
	var ve *graph.ValidationError
	if errors.As(err, &ve) {
		return ve.Field
	}
	return ""
}
