package embedded_test

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/embedded"
	"github.com/socialscore/socialscore/graph/graphtest"
	"github.com/socialscore/socialscore/scoring"
)

// TestMigrateSchemaV1 opens a file that schema version 1 wrote
// (testdata/schema-v1.db, see testdata/README.md): it is migrated to the
// current version, reads back exactly what version 1 read from it
// (testdata/schema-v1.json) with record facts and friends' shares unknown,
// and then takes new runs, whose results carry both, beside the old ones.
func TestMigrateSchemaV1(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "schema-v1.db"))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "v1.db")
	require.NoError(t, os.WriteFile(path, src, 0o600))
	var want struct {
		LatestRun     graph.Run            `json:"latest_run"`
		LatestResults []graph.Result       `json:"latest_results"`
		HistoryOf2    []graph.HistoryEntry `json:"history_of_2"`
	}
	b, err := os.ReadFile(filepath.Join("testdata", "schema-v1.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &want))
	require.Len(t, want.HistoryOf2, 2)

	now := time.Date(2026, 11, 5, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s, err := embedded.Open(path, embedded.WithClock(clock))
	require.NoError(t, err)
	ctx := t.Context()

	run, results, err := s.LatestRun(ctx)
	require.NoError(t, err)
	assert.Equal(t, want.LatestRun, run)
	assert.Equal(t, want.LatestResults, results, "version 1 results read back as version 1 read them")
	for _, r := range results {
		assert.False(t, r.Facts.Known, "facts of %d were not kept by version 1", r.ID)
		assert.False(t, r.Share.Known, "shares of %d were not kept by version 1", r.ID)
	}
	h, err := s.History(ctx, 2, 0)
	require.NoError(t, err)
	require.Len(t, h, 2)
	for i := range h {
		assert.Equal(t, want.HistoryOf2[i].RunID, h[i].RunID)
		assert.Equal(t, want.HistoryOf2[i].Policy, h[i].Policy)
		assert.Equal(t, want.HistoryOf2[i].Score, h[i].Score)
		assert.Equal(t, want.HistoryOf2[i].Individual, h[i].Individual)
		assert.True(t, want.HistoryOf2[i].ComputedAt.Equal(h[i].ComputedAt))
		assert.Equal(t, graph.ID(2), h[i].Result.ID)
		assert.Equal(t, h[i].Score, h[i].Result.Score)
		assert.NotEmpty(t, h[i].PolicySpec, "the run's policy comes with the entry")
	}
	assert.Equal(t, want.LatestResults[1], h[0].Result)

	// A new run beside the old ones: its results carry facts and shares.
	p, _ := scoring.Preset(scoring.PolicySesame)
	_, err = scoring.NewRunner(s, clock).Run(ctx, p, scoring.Options{Workers: 1})
	require.NoError(t, err)
	_, results, err = s.LatestRun(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, results)
	for _, r := range results {
		assert.True(t, r.Facts.Known)
		assert.True(t, r.Share.Known)
	}
	// Person 2 defaulted once in the fixture (before its second run).
	assert.Equal(t, uint32(1), results[1].Facts.Defaults)
	h, err = s.History(ctx, 2, 0)
	require.NoError(t, err)
	require.Len(t, h, 3, "the new run follows the two old ones")
	assert.True(t, h[0].Result.Facts.Known)
	assert.False(t, h[1].Result.Facts.Known)

	// Erasing a person rewrites old and new chunks, each in its version.
	require.NoError(t, s.DeletePerson(ctx, 3))
	h, err = s.History(ctx, 1, 0)
	require.NoError(t, err)
	require.Len(t, h, 3)
	assert.Equal(t, want.LatestResults[0], h[1].Result, "person 1's version 1 result survives the rewrite of its chunk")
	require.NoError(t, s.Close())

	// The file now has the current version, and opens again as such.
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	require.NoError(t, err)
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		assert.Equal(t, []byte{0, 0, 0, 0, 0, 0, 0, 4}, tx.Bucket([]byte("meta")).Get([]byte("version")))
		return nil
	}))
	require.NoError(t, db.Close())
	s, err = embedded.Open(path)
	require.NoError(t, err)
	h, err = s.History(ctx, 2, 0)
	require.NoError(t, err)
	assert.Len(t, h, 3)
	require.NoError(t, s.Close())
}

// TestMigrateV1 opens a copy of testdata/v1.db, written by schema version 1
// (before events were kept; see testdata/README.md for what it holds), and
// checks that everything reads back as that version wrote it and that each
// person's record became their opening balance.
func TestMigrateV1(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "v1.db"))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "v1.db")
	require.NoError(t, os.WriteFile(path, src, 0o600))

	s, err := embedded.Open(path)
	require.NoError(t, err)
	ctx := t.Context()
	created := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

	// The records version 1 wrote: the neutral record, and for person 2 the
	// neutral record with the default and the late bill folded in.
	neutral := graph.NeutralRecord()
	two := graph.NeutralRecord()
	require.NoError(t, two.Apply([]graph.Event{
		{Type: graph.EventDefault, Amount: 250, At: time.Date(2026, 10, 3, 0, 0, 0, 0, time.UTC)},
		{Type: graph.EventBillPayment, Amount: 40, Due: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Paid: time.Date(2026, 10, 11, 0, 0, 0, 0, time.UTC)},
	}, created))
	for id, want := range map[graph.ID]graph.Record{1: neutral, 2: two, 3: neutral, 4: neutral} {
		p, err := s.Person(ctx, id)
		require.NoError(t, err, "person %d", id)
		assert.Equal(t, want, p.Record, "record of %d", id)
		assert.Equal(t, id != 4, p.Consent)
		assert.Equal(t, created, p.CreatedAt)
		events, err := s.Events(ctx, id)
		require.NoError(t, err)
		require.Len(t, events, 1, "person %d: only the opening balance", id)
		assert.Equal(t, graph.EventOpeningBalance, events[0].Event.Type)
		assert.Equal(t, want, events[0].Balance)
		assert.Equal(t, created, events[0].ArrivedAt)
	}
	ties, err := s.Ties(ctx, 2)
	require.NoError(t, err)
	assert.Equal(t, []graph.Tie{
		{Kind: graph.Friend, From: 1, To: 2, Weight: 1},
		{Kind: graph.Friend, From: 2, To: 3, Weight: 2},
	}, ties)
	run, results, err := s.LatestRun(ctx)
	require.NoError(t, err)
	assert.Equal(t, "20261101T120000.000000000Z", run.ID)
	assert.Equal(t, []int{700, 650, 720}, []int{results[0].Score, results[1].Score, results[2].Score})
	c, err := s.Counts(ctx)
	require.NoError(t, err)
	assert.Equal(t, graph.Counts{People: 4, Consenting: 3, Friendships: 2, Recruitments: 1}, c)

	// Events now kept start from the opening balance.
	_, stored, err := s.AppendEvents(ctx, 2, "lender", []graph.Event{{Type: graph.EventPurchase, Amount: 10, At: created}})
	require.NoError(t, err)
	events, err := s.Events(ctx, 2)
	require.NoError(t, err)
	require.Len(t, events, 2)
	assert.Equal(t, two, events[0].Balance)
	assert.Equal(t, stored[0].ID, events[1].ID)
	p, err := s.Person(ctx, 2)
	require.NoError(t, err)
	assert.Equal(t, graph.DeriveRecord(events, false), p.Record)
	assert.Equal(t, two.PurchaseCount+1, p.Record.PurchaseCount)
	require.NoError(t, s.Close())

	// The file now carries the current version (4), and opens again as it is.
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	require.NoError(t, err)
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		assert.Equal(t, uint64(4), binary.BigEndian.Uint64(tx.Bucket([]byte("meta")).Get([]byte("version"))))
		return nil
	}))
	require.NoError(t, db.Close())
	s, err = embedded.Open(path)
	require.NoError(t, err)
	events, err = s.Events(ctx, 2)
	require.NoError(t, err)
	assert.Len(t, events, 2)
	require.NoError(t, s.Close())
	checkFile(t, path)
}

// TestMigrateV2 opens a copy of testdata/v2.db, written by schema version 2
// (events and disputes kept, tie changes not logged; see
// testdata/README.md): everything that version wrote reads back, the tie
// log starts empty (the ties changed between the fixture's two runs were
// not logged, so the ties before them are the ties now), and tie changes
// made after the migration are logged and erased with a person.
func TestMigrateV2(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "v2.db"))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "v2.db")
	require.NoError(t, os.WriteFile(path, src, 0o600))

	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	s, err := embedded.Open(path, embedded.WithClock(func() time.Time { return now }))
	require.NoError(t, err)
	ctx := t.Context()
	created := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

	// What version 2 wrote (make_v2_fixture.go.txt).
	c, err := s.Counts(ctx)
	require.NoError(t, err)
	assert.Equal(t, graph.Counts{People: 5, Consenting: 4, Friendships: 3, Recruitments: 1}, c)
	ties, err := s.Ties(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, []graph.Tie{
		{Kind: graph.Friend, From: 1, To: 2, Weight: 1},
		{Kind: graph.Friend, From: 1, To: 5, Weight: 1},
		{Kind: graph.Recruited, From: 1, To: 3, Weight: 1},
	}, ties)
	events, err := s.Events(ctx, 2)
	require.NoError(t, err)
	require.Len(t, events, 3)
	assert.Equal(t, graph.EventDefault, events[1].Event.Type)
	assert.Equal(t, graph.EventBillPayment, events[2].Event.Type)
	assert.True(t, events[2].Disputed, "the dispute version 2 opened is still open")
	assert.Equal(t, created.Add(time.Hour), events[1].ArrivedAt)
	ds, err := s.Disputes(ctx, graph.DisputeFilter{Person: 2})
	require.NoError(t, err)
	require.Len(t, ds, 1)
	assert.Equal(t, graph.DisputeOpen, ds[0].Status)
	h, err := s.History(ctx, 2, 0)
	require.NoError(t, err)
	require.Len(t, h, 2, "both runs of version 2")
	assert.True(t, h[0].Result.Facts.Known)
	assert.Equal(t, uint32(1), h[0].Result.Facts.Defaults)
	assert.Equal(t, uint32(0), h[1].Result.Facts.Defaults)
	rs, err := s.RunStarted(ctx, []string{h[0].RunID, h[1].RunID})
	require.NoError(t, err)
	assert.Equal(t, created.Add(time.Hour), rs[h[0].RunID])
	assert.Equal(t, created, rs[h[1].RunID])

	// The log starts empty: version 2 did not log the changes of 1-5 and 3-5.
	th, err := s.TieHistory(ctx, 5, time.Time{})
	require.NoError(t, err)
	assert.Empty(t, th.Log)
	assert.Equal(t, []graph.Tie{{Kind: graph.Friend, From: 1, To: 5, Weight: 1}}, th.Ties)
	assert.Equal(t, th.Ties, th.At(created), "without entries, the ties at the first run are taken to be the ties now")

	// Changes after the migration are logged, under both people.
	require.NoError(t, s.PutTie(ctx, graph.Tie{Kind: graph.Friend, From: 5, To: 2, Weight: 3}))
	now = now.Add(time.Minute)
	require.NoError(t, s.DeleteTie(ctx, graph.Friend, 2, 1))
	th, err = s.TieHistory(ctx, 2, time.Time{})
	require.NoError(t, err)
	require.Len(t, th.Log, 2)
	assert.Equal(t, graph.TieChange{Seq: th.Log[0].Seq, At: now.Add(-time.Minute), Op: graph.TieAdded,
		Tie: graph.Tie{Kind: graph.Friend, From: 2, To: 5, Weight: 3}}, th.Log[0])
	assert.Equal(t, graph.TieChange{Seq: th.Log[1].Seq, At: now, Op: graph.TieRemoved,
		Tie: graph.Tie{Kind: graph.Friend, From: 1, To: 2, Weight: 1}}, th.Log[1])
	assert.Greater(t, th.Log[1].Seq, th.Log[0].Seq)
	assert.Equal(t, []graph.Tie{{Kind: graph.Friend, From: 1, To: 2, Weight: 1}, {Kind: graph.Friend, From: 2, To: 3, Weight: 2}},
		th.At(now.Add(-time.Minute)), "the ties of 2 before both changes")

	// Erasing 5 removes the entries that name 5 from 2's log too.
	require.NoError(t, s.DeletePerson(ctx, 5))
	th, err = s.TieHistory(ctx, 2, time.Time{})
	require.NoError(t, err)
	require.Len(t, th.Log, 1)
	assert.Equal(t, graph.TieRemoved, th.Log[0].Op)
	require.NoError(t, s.Close())

	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	require.NoError(t, err)
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		assert.Equal(t, uint64(4), binary.BigEndian.Uint64(tx.Bucket([]byte("meta")).Get([]byte("version"))))
		n := 0
		require.NoError(t, tx.Bucket([]byte("tie_log")).ForEach(func(k, v []byte) error { n++; return nil }))
		assert.Equal(t, 2, n, "one change left, logged under 1 and 2")
		return nil
	}))
	require.NoError(t, db.Close())
	checkFile(t, path)
}

// TestMigrateV3 opens a copy of testdata/v3.db, written by schema version 3
// (no generation, no snapshot image; see testdata/README.md): it is
// migrated to version 4 with a generation, an image left beside it (of
// another file) is removed, and Snapshot, from the records and then from
// the image, reads what version 3 read from the file
// (testdata/v3-snapshot.json).
func TestMigrateV3(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "v3.db"))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "v3.db")
	require.NoError(t, os.WriteFile(path, src, 0o600))
	js, err := os.ReadFile(filepath.Join("testdata", "v3-snapshot.json"))
	require.NoError(t, err)
	var want graph.Snapshot
	require.NoError(t, json.Unmarshal(js, &want))
	require.NotNil(t, want.ExactWeights, "the fixture has weights that need float64")
	require.Len(t, want.Disputed, 1, "the fixture has an open dispute")

	// An image of some other network, stamped with generation 0 (what a
	// file without a generation would read as): it must not be used.
	var other graph.SnapshotBuilder
	other.AddPerson(graph.Person{ID: 99, Consent: true})
	otherSnap, err := other.Build(time.Now())
	require.NoError(t, err)
	require.NoError(t, graph.SaveImageFile(embedded.ImagePath(path), otherSnap, 0))

	s, err := embedded.Open(path)
	require.NoError(t, err)
	ctx := t.Context()
	_, err = os.Stat(embedded.ImagePath(path))
	require.ErrorIs(t, err, os.ErrNotExist, "the image beside a migrated file is removed")
	fresh, err := s.FreshSnapshot(ctx)
	require.NoError(t, err)
	graphtest.RequireSameSnapshot(t, &want, fresh, "version 4 reads the records as version 3 did")
	for i := range 2 { // the first rebuilds the image, the second reads it
		snap, err := s.Snapshot(ctx)
		require.NoError(t, err)
		graphtest.RequireSameSnapshot(t, &want, snap, "Snapshot %d", i)
	}
	_, gen, err := graph.LoadImageFile(embedded.ImagePath(path))
	require.NoError(t, err)
	require.NoError(t, s.Close())

	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	require.NoError(t, err)
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket([]byte("meta"))
		assert.Equal(t, uint64(4), binary.BigEndian.Uint64(meta.Get([]byte("version"))))
		assert.Equal(t, gen, binary.BigEndian.Uint64(meta.Get([]byte("generation"))), "the image is stamped with the file's generation")
		assert.NotZero(t, gen, "the generation starts at a random value")
		return nil
	}))
	require.NoError(t, db.Close())
	checkFile(t, path)
}
