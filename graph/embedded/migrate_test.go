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
		assert.Equal(t, []byte{0, 0, 0, 0, 0, 0, 0, 2}, tx.Bucket([]byte("meta")).Get([]byte("version")))
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

	// The file now carries version 2, and opens again as it is.
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	require.NoError(t, err)
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		assert.Equal(t, uint64(2), binary.BigEndian.Uint64(tx.Bucket([]byte("meta")).Get([]byte("version"))))
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
