package embedded_test

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/embedded"
)

// open opens a store in a new file and closes it when the test ends.
func open(t *testing.T, opts ...embedded.Option) (*embedded.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := embedded.Open(path, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s, path
}

func person(id graph.ID, consent bool) graph.Person {
	return graph.Person{
		ID: id, Consent: consent,
		Profile: graph.Profile{Provided: 3, Verified: 1},
		Record:  graph.Record{PurchaseTotal: float64(id) + 0.5, PurchaseCount: int64(id), LastEventAt: time.Unix(int64(id)*1000, 123456789).UTC()},
	}
}

func result(id graph.ID, score int) graph.Result {
	return graph.Result{ID: id, Score: score, Individual: score - 10, Base: 0.5, Network: 0.25, PageRank: 1e-6, Percentile: 50, Friends: 3, FriendMean: 600}
}

func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := embedded.Open(path)
	require.NoError(t, err)
	require.NoError(t, s.ApplyBatch(ctx, graph.Batch{
		People: []graph.Person{person(1, true), person(2, true), person(3, false)},
		Ties: []graph.Tie{{Kind: graph.Friend, From: 2, To: 1, Weight: 2.5},
			{Kind: graph.Recruited, From: 1, To: 3}},
	}))
	run := graph.Run{ID: "r1", Policy: "sesame", PolicySpec: []byte(`{"name":"sesame"}`),
		StartedAt: time.Unix(1e9, 5).UTC(), FinishedAt: time.Unix(1e9+60, 7).UTC(), People: 2, Friendships: 1}
	require.NoError(t, s.SaveRun(ctx, run, []graph.Result{result(2, 700), result(1, 600)}))
	wantPeople := map[graph.ID]graph.Person{}
	for id := graph.ID(1); id <= 3; id++ {
		p, err := s.Person(ctx, id)
		require.NoError(t, err)
		wantPeople[id] = p
	}
	wantTies, err := s.Ties(ctx, 1)
	require.NoError(t, err)
	wantCounts, err := s.Counts(ctx)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s, err = embedded.Open(path)
	require.NoError(t, err)
	defer s.Close()
	for id, want := range wantPeople {
		got, err := s.Person(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, want, got, "times are kept to the nanosecond")
	}
	gotTies, err := s.Ties(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, wantTies, gotTies)
	gotCounts, err := s.Counts(ctx)
	require.NoError(t, err)
	assert.Equal(t, wantCounts, gotCounts)
	assert.Equal(t, graph.Counts{People: 3, Consenting: 2, Friendships: 1, Recruitments: 1}, gotCounts)
	gotRun, results, err := s.LatestRun(ctx)
	require.NoError(t, err)
	assert.Equal(t, run, gotRun)
	assert.Equal(t, []graph.Result{result(1, 600), result(2, 700)}, results)
}

func TestRetention(t *testing.T) {
	ctx := t.Context()
	s, path := open(t, embedded.WithKeepRuns(2), embedded.WithChunkSize(3))
	var ids []graph.ID
	var ps []graph.Person
	for id := graph.ID(1); id <= 10; id++ {
		ids = append(ids, id)
		ps = append(ps, person(id, true))
	}
	require.NoError(t, s.ApplyBatch(ctx, graph.Batch{People: ps}))
	runs := []graph.Run{{ID: "a", Policy: "p1"}, {ID: "b", Policy: "p2"}, {ID: "c", Policy: "p3"}}
	for i, r := range runs {
		var res []graph.Result
		for _, id := range ids {
			res = append(res, result(id, 400+i))
		}
		require.NoError(t, s.SaveRun(ctx, r, res))
	}
	h, err := s.History(ctx, 5, 0)
	require.NoError(t, err)
	assert.Equal(t, []graph.HistoryEntry{
		{RunID: "c", Policy: "p3", Score: 402, Individual: 392, Result: result(5, 402)},
		{RunID: "b", Policy: "p2", Score: 401, Individual: 391, Result: result(5, 401)},
	}, h, "only the last two runs are kept; limit 0 means all")
	run, _, err := s.LatestRun(ctx)
	require.NoError(t, err)
	assert.Equal(t, "c", run.ID)

	// A retained run's id cannot be saved again; the pruned one's can.
	err = s.SaveRun(ctx, graph.Run{ID: "b"}, nil)
	assert.ErrorIs(t, err, graph.ErrConflict)

	// The pruned run's chunks are gone from the file.
	require.NoError(t, s.Close())
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		assert.Equal(t, 2, tx.Bucket([]byte("runs")).Stats().KeyN)
		seqs := map[uint64]int{}
		require.NoError(t, tx.Bucket([]byte("results")).ForEach(func(k, v []byte) error {
			seqs[binary.BigEndian.Uint64(k)]++
			return nil
		}))
		assert.Equal(t, map[uint64]int{2: 4, 3: 4}, seqs, "10 results in chunks of 3, runs 2 and 3 only")
		return nil
	}))
}

func TestSaveRunRejects(t *testing.T) {
	ctx := t.Context()
	s, _ := open(t)
	_, err := s.PutPerson(ctx, person(1, true))
	require.NoError(t, err)
	assert.ErrorIs(t, s.SaveRun(ctx, graph.Run{}, nil), graph.ErrInvalid, "empty run id")
	assert.ErrorIs(t, s.SaveRun(ctx, graph.Run{ID: "x"}, []graph.Result{result(1, 500), result(1, 600)}), graph.ErrInvalid, "two results for one person")
	assert.ErrorIs(t, s.SaveRun(ctx, graph.Run{ID: "x"}, []graph.Result{result(1, 1<<40)}), graph.ErrInvalid, "score out of range")
	_, _, err = s.LatestRun(ctx)
	assert.ErrorIs(t, err, graph.ErrNotFound, "nothing was saved")
}

func TestBatchErrorsNameTheEntry(t *testing.T) {
	ctx := t.Context()
	s, _ := open(t)
	_, err := s.PutPerson(ctx, person(1, true))
	require.NoError(t, err)
	friend := func(a, b graph.ID) graph.Tie { return graph.Tie{Kind: graph.Friend, From: a, To: b} }
	tests := []struct {
		name  string
		batch graph.Batch
		kind  error
		field string
	}{
		{"invalid person", graph.Batch{People: []graph.Person{person(2, true), {ID: 3, Profile: graph.Profile{Verified: 1}}}}, graph.ErrInvalid, "people/1/profile/verified"},
		{"twice in batch", graph.Batch{People: []graph.Person{person(2, true), person(3, true), person(2, true)}}, graph.ErrConflict, "people/2/id"},
		{"exists", graph.Batch{People: []graph.Person{person(2, true), person(1, true)}}, graph.ErrConflict, "people/1/id"},
		{"self tie", graph.Batch{People: []graph.Person{person(2, true)}, Ties: []graph.Tie{friend(1, 2), friend(2, 2)}}, graph.ErrInvalid, "ties/1/id"},
		{"missing to", graph.Batch{People: []graph.Person{person(2, true)}, Ties: []graph.Tie{friend(1, 2), friend(2, 9)}}, graph.ErrNotFound, "ties/1/to"},
		{"missing from", graph.Batch{Ties: []graph.Tie{friend(9, 1)}}, graph.ErrNotFound, "ties/0/from"},
		{"two recruiters", graph.Batch{People: []graph.Person{person(2, true), person(3, true)}, Ties: []graph.Tie{
			{Kind: graph.Recruited, From: 1, To: 3}, {Kind: graph.Recruited, From: 2, To: 3}}}, graph.ErrConflict, "ties/1/from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.ApplyBatch(ctx, tt.batch)
			require.ErrorIs(t, err, tt.kind)
			var ve *graph.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tt.field, ve.Field)
		})
	}
	c, err := s.Counts(ctx)
	require.NoError(t, err)
	assert.Equal(t, graph.Counts{People: 1, Consenting: 1}, c)
}

func TestClosed(t *testing.T) {
	ctx := t.Context()
	s, err := embedded.Open(filepath.Join(t.TempDir(), "store.db"))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "a second Close is harmless")
	_, err = s.PutPerson(ctx, person(1, true))
	assert.ErrorIs(t, err, graph.ErrUnavailable)
	_, err = s.Person(ctx, 1)
	assert.ErrorIs(t, err, graph.ErrUnavailable)
	_, err = s.Snapshot(ctx)
	assert.ErrorIs(t, err, graph.ErrUnavailable)
	assert.ErrorIs(t, s.ApplyBatch(ctx, graph.Batch{}), graph.ErrUnavailable)
	_, err = s.Counts(ctx)
	assert.ErrorIs(t, err, graph.ErrUnavailable)
}

func TestLockedFile(t *testing.T) {
	_, path := open(t)
	_, err := embedded.Open(path, embedded.WithLockTimeout(50*time.Millisecond))
	assert.ErrorIs(t, err, graph.ErrUnavailable)
}

func TestCancelledContext(t *testing.T) {
	s, _ := open(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.PutPerson(ctx, person(1, true))
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, s.ApplyBatch(ctx, graph.Batch{People: []graph.Person{person(2, true)}}), context.Canceled)
	_, err = s.Snapshot(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	c, err := s.Counts(t.Context())
	require.NoError(t, err)
	assert.Equal(t, graph.Counts{}, c)
}

func TestWithClock(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	s, _ := open(t, embedded.WithClock(func() time.Time { return at }))
	_, err := s.PutPerson(t.Context(), person(1, true))
	require.NoError(t, err)
	p, err := s.Person(t.Context(), 1)
	require.NoError(t, err)
	assert.Equal(t, at, p.CreatedAt)
	assert.Equal(t, at, p.UpdatedAt)
	snap, err := s.Snapshot(t.Context())
	require.NoError(t, err)
	assert.Equal(t, at, snap.TakenAt)
}

func TestOpenURL(t *testing.T) {
	dir := t.TempDir()
	abs := filepath.Join(dir, "abs.db")
	s, err := embedded.OpenURL("embedded://" + abs)
	require.NoError(t, err)
	assert.Equal(t, abs, s.Path())
	require.NoError(t, s.Close())

	t.Chdir(dir)
	require.NoError(t, os.Mkdir("sub", 0o755))
	s, err = embedded.OpenURL("embedded://sub/rel.db")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join("sub", "rel.db"), s.Path())
	require.NoError(t, s.Close())
	assert.FileExists(t, filepath.Join(dir, "sub", "rel.db"))

	for _, u := range []string{"neo4j://localhost:7687", "embedded://", "embedded:///", "/plain/path.db"} {
		_, err := embedded.OpenURL(u)
		assert.ErrorIs(t, err, graph.ErrInvalid, u)
	}
}

func TestSchemaVersionChecked(t *testing.T) {
	path2 := filepath.Join(t.TempDir(), "v99.db")
	db, err := bolt.Open(path2, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		return b.Put([]byte("version"), binary.BigEndian.AppendUint64(nil, 99))
	}))
	require.NoError(t, db.Close())
	_, err = embedded.Open(path2)
	assert.ErrorContains(t, err, "schema version 99")
}
