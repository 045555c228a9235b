package neo4j

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/graphtest"
)

// openCached opens an empty store whose snapshot cache is dir.
func openCached(t *testing.T, dir string) *Store {
	t.Helper()
	return openEmpty(t, func(c *Config) { c.SnapshotCache = dir })
}

// reopenStore opens the database of s again with the same configuration
// (a new driver: another client of the server).
func reopenStore(t *testing.T, s *Store) *Store {
	t.Helper()
	s2, err := Open(t.Context(), s.cfg)
	require.NoError(t, err)
	return s2
}

// otherHandle opens a second store on the database of s, with another
// driver and no snapshot cache of its own: another process's client.
func otherHandle(t *testing.T, s *Store) *Store {
	t.Helper()
	cfg := s.cfg
	cfg.SnapshotCache = ""
	o, err := Open(t.Context(), cfg)
	require.NoError(t, err)
	return o
}

// images lists the files in the cache directory.
func images(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// damageImages deletes, truncates, flips a byte of or leaves the images
// in dir, chosen by rng.
func damageImages(t *testing.T, dir string, rng *rand.Rand) {
	t.Helper()
	for _, name := range images(t, dir) {
		path := filepath.Join(dir, name)
		switch rng.IntN(4) {
		case 0:
			require.NoError(t, os.Remove(path))
		case 1:
			st, err := os.Stat(path)
			require.NoError(t, err)
			require.NoError(t, os.Truncate(path, st.Size()*int64(rng.IntN(10))/10))
		case 2:
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			if len(b) > 0 {
				b[rng.IntN(len(b))] ^= 0x20
				require.NoError(t, os.WriteFile(path, b, 0o644))
			}
		}
	}
}

// TestSnapshotImage runs graphtest.RunSnapshotImage: random writes of
// every kind, restarts with the image deleted, truncated or damaged in
// between, and writes through a second handle (another driver, as another
// process would make them); Snapshot must always equal FreshSnapshot.
func TestSnapshotImage(t *testing.T) {
	graphtest.RunSnapshotImage(t, graphtest.ImageHarness{
		New: func(t *testing.T) graphtest.ImageStore {
			return openCached(t, t.TempDir())
		},
		Reopen: func(t *testing.T, s graphtest.ImageStore) graphtest.ImageStore {
			return reopenStore(t, s.(*Store))
		},
		Closed: func(t *testing.T, s graphtest.ImageStore, rng *rand.Rand) {
			damageImages(t, s.(*Store).cfg.SnapshotCache, rng)
		},
		Outside: func(t *testing.T, s graphtest.ImageStore, rng *rand.Rand) {
			o := otherHandle(t, s.(*Store))
			defer o.Close()
			snap, err := o.FreshSnapshot(t.Context())
			require.NoError(t, err)
			if snap.Len() < 2 {
				return
			}
			a, b := snap.IDs[rng.IntN(snap.Len())], snap.IDs[rng.IntN(snap.Len())]
			if a != b && rng.IntN(2) == 0 {
				require.NoError(t, o.PutTie(t.Context(), graph.Tie{Kind: graph.Friend, From: a, To: b, Weight: 1.5 + float64(rng.IntN(4))}))
				return
			}
			_, err = o.UpdateRecord(t.Context(), a, func(r *graph.Record) error { r.BillsLate++; return nil })
			require.NoError(t, err)
		},
	})
}

// TestSnapshotCacheHits: a second Snapshot with nothing written answers
// from the image (no read of the database); writes that change the
// network make the next one read afresh, and so does a write through
// another handle; saving a run, creating a key and the pseudonym key
// leave the image current.
func TestSnapshotCacheHits(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := openCached(t, dir)
	defer s.Close()
	require.NoError(t, s.ApplyBatch(ctx, genBatch(50, 120, 3)))

	snapshot := func(fresh bool, why string) *graph.Snapshot {
		t.Helper()
		before := s.freshReads.Load()
		snap, err := s.Snapshot(ctx)
		require.NoError(t, err)
		want, err := s.FreshSnapshot(ctx)
		require.NoError(t, err)
		graphtest.RequireSameSnapshot(t, want, snap, why)
		require.Equal(t, fresh, s.freshReads.Load()-before > 1, "%s: read afresh", why)
		return snap
	}
	first := snapshot(true, "first snapshot")
	require.Len(t, images(t, dir), 1, "the image was saved")
	snapshot(false, "nothing written")

	require.NoError(t, s.SaveRun(ctx, graph.Run{ID: "r1", Policy: "sesame", StartedAt: time.Now(), FinishedAt: time.Now()},
		[]graph.Result{{ID: first.IDs[0], Score: 600}}))
	require.NoError(t, s.CreateKey(ctx, graph.APIKey{Name: "k", Hash: graph.HashKey("key of k"), Role: graph.RoleOperator}))
	_, err := s.PseudonymKey(ctx)
	require.NoError(t, err)
	snapshot(false, "a run, a key and the pseudonym key saved")

	require.NoError(t, s.PutTie(ctx, graph.Tie{Kind: graph.Friend, From: first.IDs[0], To: first.IDs[1], Weight: 3}))
	snapshot(true, "after PutTie")
	snapshot(false, "nothing written since")

	o := otherHandle(t, s)
	defer o.Close()
	_, err = o.UpdateRecord(ctx, first.IDs[2], func(r *graph.Record) error { r.Defaults++; return nil })
	require.NoError(t, err)
	got := snapshot(true, "after a write through another handle")
	require.Equal(t, first.Records[2].Defaults+1, got.Records[2].Defaults)
	require.Len(t, images(t, dir), 1, "one image")
}

// TestSnapshotCacheWriteDuringRead: a write that commits while a fresh
// read is under way keeps the read from being saved as the image (it may
// hold the write in some pages and not others), and the next Snapshot
// reads afresh and sees it.
func TestSnapshotCacheWriteDuringRead(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := openCached(t, dir)
	defer s.Close()
	require.NoError(t, s.ApplyBatch(ctx, genBatch(40, 100, 4)))
	o := otherHandle(t, s)
	defer o.Close()
	snap, err := s.FreshSnapshot(ctx)
	require.NoError(t, err)
	a, b := snap.IDs[0], snap.IDs[snap.Len()-1]

	writes := 0
	s.afterSnapshotRead = func() {
		if writes < snapshotAttempts {
			writes++
			require.NoError(t, o.PutTie(ctx, graph.Tie{Kind: graph.Friend, From: a, To: b, Weight: float64(1 + writes)}))
		}
	}
	before := s.freshReads.Load()
	_, err = s.Snapshot(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(snapshotAttempts), s.freshReads.Load()-before, "each attempt saw a write, so it was read %d times", snapshotAttempts)
	require.Empty(t, images(t, dir), "a read during which writes committed is not saved")

	s.afterSnapshotRead = nil
	got, err := s.Snapshot(ctx)
	require.NoError(t, err)
	want, err := s.FreshSnapshot(ctx)
	require.NoError(t, err)
	graphtest.RequireSameSnapshot(t, want, got)
	i, _ := got.Index(a)
	j, _ := got.Index(b)
	found := false
	for k := got.Offsets[i]; k < got.Offsets[i+1]; k++ {
		if got.Targets[k] == j {
			found = got.Weight(k) == float64(1+snapshotAttempts)
		}
	}
	require.True(t, found, "the last write is in the snapshot")
	require.Len(t, images(t, dir), 1, "the quiet read was saved")
}

// TestSnapshotCacheNewEpoch: a database wiped and loaded again behind the
// store's back (the generation's shards deleted with everything else) gets
// shards of a new epoch, so the old image is not used even where the
// counts would agree.
func TestSnapshotCacheNewEpoch(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := openCached(t, dir)
	defer s.Close()
	require.NoError(t, s.ApplyBatch(ctx, genBatch(30, 60, 5)))
	_, err := s.Snapshot(ctx)
	require.NoError(t, err)
	g1, err := s.readGeneration(ctx)
	require.NoError(t, err)

	require.NoError(t, wipe(ctx, s))
	// Writes made while the shards are missing bump nothing.
	require.NoError(t, s.ApplyBatch(ctx, genBatch(20, 30, 6)))
	g, err := s.readGeneration(ctx)
	require.NoError(t, err)
	require.False(t, g.known(), "the shards went with the wipe")

	got, err := s.Snapshot(ctx)
	require.NoError(t, err)
	want, err := s.FreshSnapshot(ctx)
	require.NoError(t, err)
	graphtest.RequireSameSnapshot(t, want, got)
	require.Equal(t, 20-countNonConsenting(genBatch(20, 30, 6)), got.Len(), "the new network")
	g2, err := s.readGeneration(ctx)
	require.NoError(t, err)
	require.True(t, g2.known())
	require.NotEqual(t, g1.epoch, g2.epoch, "a new epoch")
	require.Equal(t, []string{filepath.Base(s.imagePath(g2.epoch))}, images(t, dir), "the old epoch's image was removed")
}

func countNonConsenting(b graph.Batch) int {
	n := 0
	for _, p := range b.People {
		if !p.Consent {
			n++
		}
	}
	return n
}

// TestSnapshotCacheURI: the store URL's snapshot_cache parameter sets the
// cache (and is not passed to the driver); "off" turns it off; a cache
// directory that cannot be made is refused at Open, naming the field.
func TestSnapshotCacheURI(t *testing.T) {
	cfg := testConfig(t)
	dir := t.TempDir()
	for _, c := range []struct{ query, want string }{
		{"?snapshot_cache=" + dir, dir},
		{"?snapshot_cache=off", ""},
		{"", ""},
	} {
		cfg := cfg
		cfg.URI += c.query
		s, err := Open(t.Context(), cfg)
		require.NoError(t, err, c.query)
		require.Equal(t, c.want, s.cfg.SnapshotCache, c.query)
		require.NotContains(t, s.cfg.URI, "snapshot_cache")
		require.NoError(t, s.Close())
	}
	file := filepath.Join(dir, "a-file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	cfg.SnapshotCache = filepath.Join(file, "sub")
	_, err := Open(t.Context(), cfg)
	require.ErrorIs(t, err, graph.ErrInvalid)
	require.ErrorContains(t, err, "snapshot_cache")
}

// TestStaleImageTemps: temporary image files of killed writers are
// removed once they are old, never while they may still be written.
func TestStaleImageTemps(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := openCached(t, dir)
	defer s.Close()
	require.NoError(t, s.ApplyBatch(ctx, genBatch(10, 10, 8)))
	g, err := s.generation(ctx)
	require.NoError(t, err)
	oldTemp := s.imagePath(g.epoch) + ".tmp-1"
	newTemp := s.imagePath(g.epoch) + ".tmp-2"
	for _, p := range []string{oldTemp, newTemp} {
		require.NoError(t, os.WriteFile(p, []byte("torn"), 0o644))
	}
	long := time.Now().Add(-2 * staleImageTemp)
	require.NoError(t, os.Chtimes(oldTemp, long, long))
	_, err = s.Snapshot(ctx)
	require.NoError(t, err)
	require.NoFileExists(t, oldTemp)
	require.FileExists(t, newTemp)
}
