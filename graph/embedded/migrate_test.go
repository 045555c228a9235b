package embedded_test

import (
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
