package neo4j

import (
	"context"
	"errors"
	"fmt"
	"testing"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// TestLargeBatch loads 20,000 people and 100,000 friendships in one
// ApplyBatch (several transactions) and checks what is stored.
func TestLargeBatch(t *testing.T) {
	s := openEmpty(t, func(c *Config) { c.TxRows = 50_000 })
	defer s.Close()
	ctx := t.Context()
	b := genBatch(20_000, 100_000, 7)
	require.NoError(t, s.ApplyBatch(ctx, b))

	want := graph.Counts{People: len(b.People)}
	consent := map[graph.ID]bool{}
	for _, p := range b.People {
		if p.Consent {
			want.Consenting++
			consent[p.ID] = true
		}
	}
	friendsAmongConsenting := 0
	for _, tie := range b.Ties {
		if tie.Kind == graph.Friend {
			want.Friendships++
			if consent[tie.From] && consent[tie.To] {
				friendsAmongConsenting++
			}
		} else {
			want.Recruitments++
		}
	}
	c, err := s.Counts(ctx)
	require.NoError(t, err)
	assert.Equal(t, want, c)

	snap, err := s.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, want.Consenting, snap.Len())
	assert.Equal(t, friendsAmongConsenting, snap.Friendships())
	assert.NotNil(t, snap.Weights, "some weights differ from 1")

	// One person read back whole.
	p := b.People[12345]
	got, err := s.Person(ctx, p.ID)
	require.NoError(t, err)
	assert.Equal(t, p.Record.PurchaseTotal, got.Record.PurchaseTotal)
	assert.True(t, p.Record.LastEventAt.Equal(got.Record.LastEventAt))

	// Every friendship is stored once, from the smaller id to the larger.
	rec := single1(t, s, `MATCH (a:Person)-[:FRIEND]->(b:Person) WHERE a.id > b.id RETURN count(*)`)
	assert.EqualValues(t, 0, rec)
}

// single1 runs a read query returning one number.
func single1(t *testing.T, s *Store, q string) int64 {
	t.Helper()
	v, err := s.read(t.Context(), func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		rec, err := single(ctx, tx, q, nil)
		if err != nil {
			return nil, err
		}
		return asInt(rec.Values[0]), nil
	})
	require.NoError(t, err)
	return v.(int64)
}

// dump returns everything stored, for comparing before and after.
type dump struct {
	counts  graph.Counts
	weights map[[2]graph.ID]float64
	people  map[graph.ID]graph.Person
	recruit map[graph.ID]graph.ID
}

func takeDump(t *testing.T, s *Store) dump {
	t.Helper()
	ctx := t.Context()
	d := dump{weights: map[[2]graph.ID]float64{}, people: map[graph.ID]graph.Person{}, recruit: map[graph.ID]graph.ID{}}
	var err error
	d.counts, err = s.Counts(ctx)
	require.NoError(t, err)
	_, err = s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		if err := each(ctx, tx, `MATCH (p:Person) RETURN `+personFields, nil, func(r *drv.Record) error {
			p, err := decodePerson(r.Values)
			d.people[p.ID] = p
			return err
		}); err != nil {
			return nil, err
		}
		if err := each(ctx, tx, `MATCH (a:Person)-[f:FRIEND]->(b:Person) RETURN a.id, b.id, coalesce(f.weight, 1.0)`, nil, func(r *drv.Record) error {
			d.weights[[2]graph.ID{graph.ID(asInt(r.Values[0])), graph.ID(asInt(r.Values[1]))}] = asFloat(r.Values[2])
			return nil
		}); err != nil {
			return nil, err
		}
		return nil, each(ctx, tx, `MATCH (a:Person)-[:RECRUITED]->(b:Person) RETURN a.id, b.id`, nil, func(r *drv.Record) error {
			d.recruit[graph.ID(asInt(r.Values[1]))] = graph.ID(asInt(r.Values[0]))
			return nil
		})
	})
	require.NoError(t, err)
	return d
}

// TestBatchFailureMidwayLeavesNothing splits a batch over many
// transactions and makes it fail after some have committed: people,
// friendships and recruitments created are removed and the weights the
// batch changed are restored.
func TestBatchFailureMidwayLeavesNothing(t *testing.T) {
	failures := []struct {
		name string
		hook func(cancel context.CancelFunc, done, total int) error
	}{
		{"error after a commit", func(_ context.CancelFunc, done, _ int) error {
			if done >= 5 {
				return errors.New("injected failure")
			}
			return nil
		}},
		{"error after the last commit", func(_ context.CancelFunc, done, total int) error {
			if done == total {
				return errors.New("injected failure")
			}
			return nil
		}},
		{"context cancelled", func(cancel context.CancelFunc, done, _ int) error {
			if done >= 5 {
				cancel()
			}
			return nil
		}},
		{"concurrent create of a batch id", nil},
	}
	for _, f := range failures {
		t.Run(f.name, func(t *testing.T) {
			s := openEmpty(t, func(c *Config) {
				c.BatchSize = 100
				c.TxRows = 300
			})
			defer s.Close()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()

			// Stored before: people 1..500 with friendships and
			// recruitments among them.
			before := genBatch(500, 1500, 3)
			require.NoError(t, s.ApplyBatch(ctx, before))
			// The batch: new people 501..2000, ties among them, to the
			// old people, and updates of old friendships' weights.
			b := genBatch(2000, 6000, 4)
			b.People = b.People[500:]
			var ties []graph.Tie
			for _, tie := range b.Ties {
				if tie.To > 500 || (tie.Kind == graph.Friend && tie.From > 500) {
					ties = append(ties, tie)
				}
			}
			for _, tie := range before.Ties[:300] {
				if tie.Kind == graph.Friend {
					tie.Weight = 7.5
					ties = append(ties, tie)
				}
			}
			for i := graph.ID(2); i <= 500; i += 50 { // old recruits that have no recruiter yet
				if !hasRecruiter(before, i) {
					ties = append(ties, graph.Tie{Kind: graph.Recruited, From: 1000, To: i})
				}
			}
			if f.hook == nil {
				// Person 2001 sorts last: it is created in the last
				// transaction that creates people.
				ties = append(ties, graph.Tie{Kind: graph.Friend, From: 1, To: 2001})
				b.People = append(b.People, graph.Person{ID: 2001})
			}
			b.Ties = ties
			want := takeDump(t, s)

			commits := 0
			if f.hook != nil {
				s.afterTx = func(done, total int) error { commits++; return f.hook(cancel, done, total) }
			} else {
				// Someone else creates person 2001 after the check, while
				// the batch is being written: the uniqueness constraint
				// fails the batch's create.
				s.afterTx = func(done, _ int) error {
					commits++
					if done == 3 {
						_, err := s.PutPerson(t.Context(), graph.Person{ID: 2001})
						return err
					}
					return nil
				}
			}
			err := s.ApplyBatch(ctx, b)
			require.Error(t, err)
			require.Greater(t, commits, 1, "the batch failed after writing: %v", err)
			if f.hook == nil {
				assert.ErrorIs(t, err, graph.ErrConflict)
				require.NoError(t, s.DeletePerson(t.Context(), 2001))
			}
			got := takeDump(t, s)
			assert.Equal(t, want.counts, got.counts, "counts")
			assert.Equal(t, want.weights, got.weights, "friendships and weights")
			assert.Equal(t, want.recruit, got.recruit, "recruitments")
			assert.Equal(t, len(want.people), len(got.people), "people")
			for id, p := range want.people {
				assert.Equal(t, p, got.people[id], "person %d", id)
			}
		})
	}
}

func hasRecruiter(b graph.Batch, id graph.ID) bool {
	for _, t := range b.Ties {
		if t.Kind == graph.Recruited && t.To == id {
			return true
		}
	}
	return false
}

// TestBatchCheckedBeforeWriting: a large batch whose last tie is bad
// writes nothing, and its error names the tie.
func TestBatchCheckedBeforeWriting(t *testing.T) {
	s := openEmpty(t, func(c *Config) {
		c.BatchSize = 100
		c.TxRows = 300
	})
	defer s.Close()
	ctx := t.Context()
	b := genBatch(1000, 3000, 5)
	writes := 0
	s.afterTx = func(int, int) error { writes++; return nil }
	for _, tt := range []struct {
		tie   graph.Tie
		kind  error
		field string
	}{
		{graph.Tie{Kind: graph.Friend, From: 1, To: 5000}, graph.ErrNotFound, "ties/%d/to"},
		{graph.Tie{Kind: graph.Friend, From: 1, To: 1}, graph.ErrInvalid, "ties/%d/id"},
	} {
		bad := b
		bad.Ties = append(b.Ties[:len(b.Ties):len(b.Ties)], tt.tie)
		err := s.ApplyBatch(ctx, bad)
		assert.ErrorIs(t, err, tt.kind)
		var ve *graph.ValidationError
		if assert.ErrorAs(t, err, &ve) {
			assert.Equal(t, fmt.Sprintf(tt.field, len(b.Ties)), ve.Field)
		}
	}
	assert.Zero(t, writes, "nothing was written")
	c, err := s.Counts(ctx)
	require.NoError(t, err)
	assert.Equal(t, graph.Counts{}, c)
}
