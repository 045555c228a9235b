package graphtest

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

func (o opener) testSnapshot(t *testing.T) {
	t.Run("Empty", func(t *testing.T) {
		s := o.store(t)
		snap, err := s.Snapshot(t.Context())
		require.NoError(t, err)
		assert.Equal(t, 0, snap.Len())
		assert.Equal(t, newModel().snapshot(), viewOf(t, snap))
	})

	t.Run("Contents", func(t *testing.T) {
		s := o.store(t)
		m := newModel()
		for id := graph.ID(1); id <= 8; id++ {
			p := newPerson(id, id != 4 && id != 7) // 4 and 7 have not consented
			requireStored(t, s, p)
			m.putPerson(p)
		}
		ties := []graph.Tie{
			friend(1, 2, 0), friend(3, 2, 2.5), friend(4, 1, 0), friend(3, 7, 0),
			friend(5, 6, 0.75), friend(8, 1, 1),
			recruited(1, 3), recruited(4, 5), recruited(1, 8), recruited(2, 7),
		}
		requireTies(t, s, ties...)
		for _, tie := range ties {
			m.putTie(tie)
		}
		// Worked out by hand from graph.Snapshot's definition. Consenting
		// people 1 2 3 5 6 8 are indices 0..5; ties to 4 and 7 are dropped.
		rec := func(id graph.ID) graph.Record { return normRecord(newPerson(id, true).Record) }
		prof := func(id graph.ID) graph.Profile { return newPerson(id, true).Profile }
		want := snapView{
			IDs:            []graph.ID{1, 2, 3, 5, 6, 8},
			Offsets:        []int32{0, 2, 4, 5, 6, 7, 8},
			Targets:        []int32{1, 5, 0, 2, 1, 4, 3, 0},
			Weights:        []float64{1, 1, 1, 2.5, 2.5, 0.75, 0.75, 1},
			RecruitOffsets: []int32{0, 2, 2, 2, 2, 2, 2},
			RecruitTargets: []int32{2, 5},
			Records:        []graph.Record{rec(1), rec(2), rec(3), rec(5), rec(6), rec(8)},
			Profiles:       []graph.Profile{prof(1), prof(2), prof(3), prof(5), prof(6), prof(8)},
		}
		require.Equal(t, want, m.snapshot(), "the model agrees with the hand-worked snapshot")
		snap, err := s.Snapshot(t.Context())
		require.NoError(t, err)
		assert.Equal(t, want, viewOf(t, snap))
		assert.Equal(t, 4, snap.Friendships())

		// Withdrawing consent takes a person and their ties out.
		require.NoError(t, putPerson(t, s, newPerson(2, false)))
		m.putPerson(newPerson(2, false))
		checkModel(t, s, m)
	})

	t.Run("WeightsKeepFullPrecision", func(t *testing.T) {
		// Weights that are not float32 values (0.1, 1/3) come back from
		// ExactWeight as stored, bit for bit; Weight is their float32
		// rounding, which scoring uses. Exports read ExactWeight.
		s := o.store(t)
		requireStored(t, s, people(true, 1, 2, 3, 4)...)
		third := 1.0 / 3
		requireTies(t, s, friend(1, 2, 0.1), friend(2, 3, third), friend(3, 4, 2.5))
		snap, err := s.Snapshot(t.Context())
		require.NoError(t, err)
		want := map[[2]graph.ID]float64{{1, 2}: 0.1, {2, 3}: third, {3, 4}: 2.5}
		for i := range snap.Len() {
			for k := snap.Offsets[i]; k < snap.Offsets[i+1]; k++ {
				a, b := snap.IDs[i], snap.IDs[snap.Targets[k]]
				w, ok := want[[2]graph.ID{min(a, b), max(a, b)}]
				require.True(t, ok, "tie %d-%d", a, b)
				assert.Equal(t, w, snap.ExactWeight(k), "exact weight of %d-%d", a, b)
				assert.Equal(t, float64(float32(w)), snap.Weight(k), "scoring weight of %d-%d", a, b)
			}
		}
		assert.NotEqual(t, 0.1, float64(float32(0.1)), "0.1 is not a float32: the test can fail")
	})

	t.Run("UnweightedHasNilWeights", func(t *testing.T) {
		s := o.store(t)
		requireStored(t, s, people(true, 1, 2, 3)...)
		requireTies(t, s, friend(1, 2, 0), friend(2, 3, 1))
		snap, err := s.Snapshot(t.Context())
		require.NoError(t, err)
		assert.Nil(t, snap.Weights, "Weights is nil when every weight is 1")
		assert.Equal(t, []int32{1, 0, 2, 1}, snap.Targets)
	})

	t.Run("Model", func(t *testing.T) {
		// Random people with sparse ids and random ties, then a mix of
		// single writes; the store must agree with the model throughout.
		s := o.store(t)
		ctx := t.Context()
		rng := rand.New(rand.NewPCG(3, 4))
		m := newModel()
		b := randomBatch(150, 500, 60, rng)
		sparse := func(id graph.ID) graph.ID { return id*1000 + 7 }
		for i := range b.People {
			p := newPerson(sparse(b.People[i].ID), b.People[i].Consent)
			b.People[i] = p
			m.putPerson(p)
		}
		for i := range b.Ties {
			b.Ties[i].From, b.Ties[i].To = sparse(b.Ties[i].From), sparse(b.Ties[i].To)
			m.putTie(b.Ties[i])
		}
		require.NoError(t, s.ApplyBatch(ctx, b))
		checkModelEvery(t, s, m, 7)

		id := func() graph.ID { return sparse(graph.ID(rng.IntN(150) + 1)) }
		for range 40 {
			switch op := rng.IntN(5); op {
			case 0: // a friendship, new or updated
				a, z := id(), id()
				_, okA := m.people[a]
				_, okZ := m.people[z]
				if a == z || !okA || !okZ {
					continue
				}
				tie := friend(a, z, float64(rng.IntN(4)+1)/2)
				require.NoError(t, s.PutTie(ctx, tie))
				m.putTie(tie)
			case 1: // delete a friendship that exists
				for k := range m.friends {
					require.NoError(t, s.DeleteTie(ctx, graph.Friend, k[1], k[0]))
					delete(m.friends, k)
					break
				}
			case 2: // flip consent
				p := m.people[id()]
				if p.ID == 0 {
					continue
				}
				q := newPerson(p.ID, !p.Consent)
				require.NoError(t, putPerson(t, s, q))
				m.putPerson(q)
			case 3: // delete a person
				victim := id()
				if _, ok := m.people[victim]; !ok {
					continue
				}
				require.NoError(t, s.DeletePerson(ctx, victim))
				m.deletePerson(victim)
			case 4: // a recruitment of someone without a recruiter
				a, z := id(), id()
				_, okA := m.people[a]
				_, okZ := m.people[z]
				if _, has := m.recruiter[z]; has || a == z || !okA || !okZ {
					continue
				}
				require.NoError(t, s.PutTie(ctx, recruited(a, z)))
				m.putTie(recruited(a, z))
			}
		}
		checkModelEvery(t, s, m, 3)
	})
}

// putPerson puts an existing person, requiring that it was not created.
func putPerson(t *testing.T, s graph.Store, p graph.Person) error {
	t.Helper()
	created, err := s.PutPerson(t.Context(), p)
	if err == nil {
		assert.False(t, created, "person %d exists already", p.ID)
	}
	return err
}
