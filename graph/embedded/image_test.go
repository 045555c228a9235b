package embedded_test

import (
	"bytes"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/embedded"
	"github.com/socialscore/socialscore/graph/graphtest"
)

// imageHarness runs graphtest.RunSnapshotImage on stores in temporary
// directories; closed, when set, runs between a close and the reopen.
func imageHarness(closed func(t *testing.T, path string, rng *rand.Rand)) graphtest.ImageHarness {
	h := graphtest.ImageHarness{
		New: func(t *testing.T) graphtest.ImageStore {
			s, err := embedded.Open(filepath.Join(t.TempDir(), "store.db"), quiet)
			require.NoError(t, err)
			return s
		},
		Reopen: func(t *testing.T, s graphtest.ImageStore) graphtest.ImageStore {
			s2, err := embedded.Open(s.(*embedded.Store).Path(), quiet)
			require.NoError(t, err)
			return s2
		},
	}
	if closed != nil {
		h.Closed = func(t *testing.T, s graphtest.ImageStore, rng *rand.Rand) {
			closed(t, s.(*embedded.Store).Path(), rng)
		}
	}
	return h
}

// quiet drops the store's warnings about damaged images, which some
// tests make on purpose.
var quiet = embedded.WithLogger(slog.New(slog.DiscardHandler))

func TestSnapshotImage(t *testing.T) {
	graphtest.RunSnapshotImage(t, imageHarness(nil))
}

// TestSnapshotImageDamaged runs the suite with the image damaged at every
// restart: a bit flipped, cut short, deleted or replaced by an older one.
func TestSnapshotImageDamaged(t *testing.T) {
	older := map[string][]byte{}
	graphtest.RunSnapshotImage(t, imageHarness(func(t *testing.T, path string, rng *rand.Rand) {
		img, err := os.ReadFile(embedded.ImagePath(path))
		if os.IsNotExist(err) {
			return
		}
		require.NoError(t, err)
		switch rng.IntN(4) {
		case 0:
			img[rng.IntN(len(img))] ^= 1 << rng.IntN(8)
		case 1:
			img = img[:rng.IntN(len(img))]
		case 2:
			require.NoError(t, os.Remove(embedded.ImagePath(path)))
			return
		case 3:
			if old, ok := older[path]; ok {
				img, older[path] = old, img
			} else {
				older[path] = img
			}
		}
		require.NoError(t, os.WriteFile(embedded.ImagePath(path), img, 0o600))
	}))
}

// clockStore opens a store whose clock moves on a second at every reading,
// so a snapshot's TakenAt tells which read made it: one from the image
// keeps the TakenAt of the read that saved it.
func clockStore(t *testing.T, opts ...embedded.Option) (*embedded.Store, string) {
	t.Helper()
	var tick atomic.Int64
	clock := func() time.Time { return time.Unix(1.8e9+tick.Add(1), 0) }
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := embedded.Open(path, append([]embedded.Option{embedded.WithClock(clock)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s, path
}

func seedSmall(t *testing.T, s *embedded.Store, n int) {
	t.Helper()
	var b graph.Batch
	for id := graph.ID(1); id <= graph.ID(n); id++ {
		b.People = append(b.People, graph.Person{ID: id, Consent: id%7 != 0, Record: graph.NeutralRecord()})
		if id > 1 {
			b.Ties = append(b.Ties, graph.Tie{Kind: graph.Friend, From: id - 1, To: id, Weight: float64(id%3 + 1)})
		}
	}
	require.NoError(t, s.ApplyBatch(t.Context(), b))
}

// TestSnapshotImageUsed: the second Snapshot reads the image the first
// saved (same TakenAt, no new read of the records); writes that cannot
// change the network (a saved run, API keys, the pseudonym key) keep it
// current; a write that can makes the next Snapshot read the records.
func TestSnapshotImageUsed(t *testing.T) {
	s, path := clockStore(t)
	ctx := t.Context()
	seedSmall(t, s, 50)
	first, err := s.Snapshot(ctx)
	require.NoError(t, err)
	_, gen, err := graph.LoadImageFile(embedded.ImagePath(path))
	require.NoError(t, err, "Snapshot saved the image")
	cur, err := embedded.Generation(ctx, s)
	require.NoError(t, err)
	require.Equal(t, cur, gen, "stamped with the store's generation")

	second, err := s.Snapshot(ctx)
	require.NoError(t, err)
	require.Equal(t, first.TakenAt, second.TakenAt, "the second Snapshot was read from the image")
	graphtest.RequireSameSnapshot(t, first, second)

	require.NoError(t, s.SaveRun(ctx, graph.Run{ID: "r1", Policy: "sesame", StartedAt: time.Unix(1.8e9, 0), FinishedAt: time.Unix(1.8e9+1, 0)},
		[]graph.Result{{ID: 1, Score: 600, Individual: 600}}))
	require.NoError(t, s.CreateKey(ctx, graph.APIKey{Name: "ops", Role: graph.RoleOperator, Hash: graph.KeyHash{1}}))
	_, err = s.PseudonymKey(ctx)
	require.NoError(t, err)
	after, err := embedded.Generation(ctx, s)
	require.NoError(t, err)
	require.Equal(t, cur, after, "quiet writes leave the generation")
	third, err := s.Snapshot(ctx)
	require.NoError(t, err)
	require.Equal(t, first.TakenAt, third.TakenAt, "the image is still current after quiet writes")

	_, err = s.UpdateRecord(ctx, 3, func(r *graph.Record) error { r.Defaults++; return nil })
	require.NoError(t, err)
	fourth, err := s.Snapshot(ctx)
	require.NoError(t, err)
	require.True(t, fourth.TakenAt.After(first.TakenAt), "a write that can change the network: read from the records")
	require.Equal(t, int64(1), fourth.Records[2].Defaults, "and the write is in it")
}

// TestSnapshotImageCorrupt: a damaged image is ignored (and logged), the
// records are read, and a good image replaces it.
func TestSnapshotImageCorrupt(t *testing.T) {
	var logs bytes.Buffer
	s, path := clockStore(t, embedded.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	ctx := t.Context()
	seedSmall(t, s, 80)
	want, err := s.Snapshot(ctx)
	require.NoError(t, err)
	img, err := os.ReadFile(embedded.ImagePath(path))
	require.NoError(t, err)
	for i, damage := range []func([]byte) []byte{
		func(b []byte) []byte { b[len(b)/2] ^= 0x10; return b },        // a flipped bit in the arrays
		func(b []byte) []byte { return b[:len(b)-9] },                  // cut short
		func(b []byte) []byte { return append(b, 0) },                  // too long
		func(b []byte) []byte { b[8] = 9; return b },                   // another format version
		func(b []byte) []byte { return []byte("not an image at all") }, // garbage
	} {
		logs.Reset()
		require.NoError(t, os.WriteFile(embedded.ImagePath(path), damage(bytes.Clone(img)), 0o600))
		got, err := s.Snapshot(ctx)
		require.NoError(t, err, "damage %d", i)
		graphtest.RequireSameSnapshot(t, want, got, "damage %d", i)
		require.True(t, got.TakenAt.After(want.TakenAt), "damage %d: read from the records", i)
		require.Contains(t, logs.String(), "snapshot image unreadable", "damage %d: logged", i)
		_, _, err = graph.LoadImageFile(embedded.ImagePath(path))
		require.NoError(t, err, "damage %d: a good image replaced the damaged one", i)
	}
}

// TestSnapshotImageUnsaved: when the image cannot be saved (here its path
// is a directory; the tests may run as root, who can write anywhere) the
// failure is logged and Snapshot still answers from the records.
func TestSnapshotImageUnsaved(t *testing.T) {
	var logs bytes.Buffer
	s, path := clockStore(t, embedded.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	ctx := t.Context()
	seedSmall(t, s, 20)
	require.NoError(t, os.Mkdir(embedded.ImagePath(path), 0o700))
	for i := range 2 {
		got, err := s.Snapshot(ctx)
		require.NoError(t, err)
		fresh, err := s.FreshSnapshot(ctx)
		require.NoError(t, err)
		graphtest.RequireSameSnapshot(t, fresh, got, "read %d", i)
	}
	require.Contains(t, logs.String(), "snapshot image not saved")
	tmps, _ := filepath.Glob(embedded.ImagePath(path) + ".tmp-*")
	require.Empty(t, tmps, "a failed save leaves no temporary file")
}

// TestSaveImage: a loader's SaveImage is what the next Snapshot returns,
// stamped with the generation at the time; a write after it makes it
// stale. A store opened WithoutImage neither reads nor writes one.
func TestSaveImage(t *testing.T) {
	s, path := clockStore(t)
	ctx := t.Context()
	seedSmall(t, s, 30)
	fresh, err := s.FreshSnapshot(ctx)
	require.NoError(t, err)
	_, err = os.Stat(embedded.ImagePath(path))
	require.ErrorIs(t, err, os.ErrNotExist, "FreshSnapshot writes no image")
	require.NoError(t, s.SaveImage(ctx, fresh))
	got, err := s.Snapshot(ctx)
	require.NoError(t, err)
	require.Equal(t, fresh.TakenAt, got.TakenAt, "Snapshot read the saved image")
	graphtest.RequireSameSnapshot(t, fresh, got)

	require.NoError(t, s.PutTie(ctx, graph.Tie{Kind: graph.Friend, From: 1, To: 30}))
	got, err = s.Snapshot(ctx)
	require.NoError(t, err)
	require.NotEqual(t, fresh.TakenAt, got.TakenAt, "the image is stale after a write")
	require.Equal(t, fresh.Friendships()+1, got.Friendships())
	require.NoError(t, s.Close())

	path2 := filepath.Join(t.TempDir(), "plain.db")
	p, err := embedded.Open(path2, embedded.WithoutImage())
	require.NoError(t, err)
	defer p.Close()
	seedSmall(t, p, 10)
	_, err = p.Snapshot(ctx)
	require.NoError(t, err)
	require.NoError(t, p.SaveImage(ctx, fresh))
	_, err = os.Stat(embedded.ImagePath(path2))
	require.ErrorIs(t, err, os.ErrNotExist, "WithoutImage: no image file")
}

// TestSnapshotImageConcurrent: Snapshot calls racing with writes never
// return a network older than the writes acknowledged before they
// started, and each equals the records' network at some generation.
func TestSnapshotImageConcurrent(t *testing.T) {
	s, _ := clockStore(t)
	ctx := t.Context()
	seedSmall(t, s, 200)
	var acked atomic.Int64 // people 1001..1000+acked are stored
	const writes = 60
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := int64(1); n <= writes; n++ {
			id := graph.ID(1000 + n)
			if _, err := s.PutPerson(ctx, graph.Person{ID: id, Consent: true}); err != nil {
				t.Error(err)
				return
			}
			if err := s.PutTie(ctx, graph.Tie{Kind: graph.Friend, From: id, To: graph.ID(7*(n%28) + 1)}); err != nil { // 7k+1 consents
				t.Error(err)
				return
			}
			acked.Store(n)
		}
	}()
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for acked.Load() < writes {
				before := acked.Load()
				snap, err := s.Snapshot(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if err := graph.ValidateSnapshot(snap); err != nil {
					t.Error(err)
					return
				}
				for n := int64(1); n <= before; n++ {
					i, ok := snap.Index(graph.ID(1000 + n))
					if !ok || snap.Degree(i) != 1 {
						t.Errorf("a Snapshot started after person %d and their tie were acknowledged misses them", 1000+n)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	got, err := s.Snapshot(ctx)
	require.NoError(t, err)
	fresh, err := s.FreshSnapshot(ctx)
	require.NoError(t, err)
	graphtest.RequireSameSnapshot(t, fresh, got)
}
