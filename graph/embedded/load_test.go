package embedded_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/embedded"
	"github.com/socialscore/socialscore/seed"
)

// loadClock is the fixed clock of both stores compared, so CreatedAt and
// UpdatedAt agree.
func loadClock() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

// openAt opens (creating) the store at path with the fixed clock.
func openAt(t *testing.T, path string) *embedded.Store {
	t.Helper()
	s, err := embedded.Open(path, embedded.WithClock(loadClock))
	require.NoError(t, err)
	return s
}

// requireSameBuckets opens both files read-only and requires every bucket
// to hold the same keys with the same values, in order: the stores are
// the same person by person and tie by tie (and counter by counter). The
// one exception is meta/generation, which starts at a random value in
// every new file (see image.go).
func requireSameBuckets(t *testing.T, want, got string) {
	t.Helper()
	dump := func(path string) map[string][][2][]byte {
		db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
		require.NoError(t, err)
		defer db.Close()
		out := map[string][][2][]byte{}
		require.NoError(t, db.View(func(tx *bolt.Tx) error {
			return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
				rows := [][2][]byte{}
				err := b.ForEach(func(k, v []byte) error {
					if string(name) == "meta" && string(k) == "generation" {
						return nil
					}
					rows = append(rows, [2][]byte{bytes.Clone(k), bytes.Clone(v)})
					return nil
				})
				out[string(name)] = rows
				return err
			})
		}))
		return out
	}
	w, g := dump(want), dump(got)
	require.Equal(t, len(w), len(g), "buckets")
	for name, rows := range w {
		grows, ok := g[name]
		require.True(t, ok, "bucket %s missing", name)
		require.Equal(t, len(rows), len(grows), "bucket %s: number of keys", name)
		for i := range rows {
			if !bytes.Equal(rows[i][0], grows[i][0]) || !bytes.Equal(rows[i][1], grows[i][1]) {
				t.Fatalf("bucket %s, entry %d: want %x=%x, got %x=%x", name, i, rows[i][0], rows[i][1], grows[i][0], grows[i][1])
			}
		}
	}
}

// TestLoadSeedEqualsApplyBatch: a population streamed by seed.Stream and
// written by Load leaves the very keys and values that seed.Generate
// written by one ApplyBatch (the path before streaming) leaves, bucket by
// bucket: people, friendships both ways, recruitments, the recruiter
// index, counters. Small transactions make the load cross transaction
// boundaries inside people's lists of friends.
func TestLoadSeedEqualsApplyBatch(t *testing.T) {
	defer embedded.SetLoadTxSizes(3001, 7919)()
	cfg := seed.Config{People: 20_000, Seed: 3, ConsentShare: 0.9}
	dir := t.TempDir()
	ctx := context.Background()

	batch, err := seed.Generate(cfg)
	require.NoError(t, err)
	a := openAt(t, filepath.Join(dir, "batch.db"))
	require.NoError(t, a.ApplyBatch(ctx, batch))
	require.NoError(t, a.Close())

	net, err := seed.Stream(cfg)
	require.NoError(t, err)
	b := openAt(t, filepath.Join(dir, "load.db"))
	st, err := b.Load(ctx, net)
	require.NoError(t, err)
	c, err := b.Counts(ctx)
	require.NoError(t, err)
	require.NoError(t, b.Close())

	assert.Equal(t, cfg.People, st.People)
	assert.Equal(t, len(batch.Ties), st.Friendships+st.Recruitments)
	assert.Equal(t, graph.Counts{People: st.People, Consenting: st.Consenting, Friendships: st.Friendships, Recruitments: st.Recruitments}, c)
	assert.Greater(t, st.Transactions, 10, "small transactions")
	assert.Less(t, st.Consenting, cfg.People, "some people do not consent")
	assert.Positive(t, st.Recruitments)
	requireSameBuckets(t, filepath.Join(dir, "batch.db"), filepath.Join(dir, "load.db"))
}

// TestLoadImportEqualsApplyBatch: the same for an import, with a people
// file giving some records, a person without friendships, a person who
// does not consent, ids with gaps, duplicates and self-loops.
func TestLoadImportEqualsApplyBatch(t *testing.T) {
	defer embedded.SetLoadTxSizes(500, 1231)()
	net0, err := seed.Stream(seed.Config{People: 3000, Seed: 9})
	require.NoError(t, err)
	var edges strings.Builder
	edges.WriteString("# a test edge list\n")
	for i := range net0.Len() {
		for _, j := range net0.Friends(i) {
			if int(j) > i {
				fmt.Fprintf(&edges, "%d\t%d\n", 3*i, 3*int(j)) // ids 0, 3, 6, ...: shifted by 1
			} else if i%7 == 0 {
				fmt.Fprintf(&edges, "%d %d\n", 3*i, 3*int(j)) // a duplicate in reverse
			}
		}
		if i%11 == 0 {
			fmt.Fprintf(&edges, "%d %d\n", 3*i, 3*i)
		}
	}
	people := "id,consent,bills_on_time,bills_late,provided,verified\n" +
		"0,false,,,email,\n" + "3,true,12,1,phone;email,phone\n" + "1,true,4,0,,\n" + "100000,yes,,,,\n"

	dir := t.TempDir()
	ctx := context.Background()
	batch, bstats, err := seed.ImportBatch(strings.NewReader(edges.String()), strings.NewReader(people))
	require.NoError(t, err)
	a := openAt(t, filepath.Join(dir, "batch.db"))
	require.NoError(t, a.ApplyBatch(ctx, batch))
	require.NoError(t, a.Close())

	net, nstats, err := seed.ImportNetwork(strings.NewReader(edges.String()), strings.NewReader(people))
	require.NoError(t, err)
	assert.Equal(t, bstats, nstats)
	assert.Equal(t, int64(1), nstats.Offset)
	assert.Equal(t, 2, nstats.OnlyInPeople)
	b := openAt(t, filepath.Join(dir, "load.db"))
	st, snap, err := b.LoadSnapshot(ctx, net, loadClock())
	require.NoError(t, err)
	fresh, err := b.FreshSnapshot(ctx)
	require.NoError(t, err)
	require.NoError(t, b.Close())
	snap.TakenAt = fresh.TakenAt
	assert.Equal(t, fresh, snap, "the snapshot built while loading is the store's")
	assert.Less(t, fresh.Len(), net.Len(), "someone does not consent")
	assert.Equal(t, nstats.People, st.People)
	assert.Equal(t, nstats.Friendships, st.Friendships)
	assert.Equal(t, net0.Friendships(), st.Friendships, "the edge list's friendships, duplicates and self-loops dropped")
	requireSameBuckets(t, filepath.Join(dir, "batch.db"), filepath.Join(dir, "load.db"))
}

// TestLoadedSnapshot: the snapshot built from the loaded arrays is the one
// the store reads back from its records (FreshSnapshot); saved as the
// store's image, it is what Snapshot then returns.
func TestLoadedSnapshot(t *testing.T) {
	// Everyone consents (the friend lists are shared with the network), or
	// not everyone does.
	for _, consent := range []float64{0, 0.8} {
		t.Run(fmt.Sprintf("consent=%g", consent), func(t *testing.T) { testLoadedSnapshot(t, consent) })
	}
}

func testLoadedSnapshot(t *testing.T, consent float64) {
	ctx := context.Background()
	net, err := seed.Stream(seed.Config{People: 5000, Seed: 4, ConsentShare: consent})
	require.NoError(t, err)
	s := openAt(t, filepath.Join(t.TempDir(), "s.db"))
	defer s.Close()
	_, err = s.Load(ctx, net)
	require.NoError(t, err)
	fresh, err := s.FreshSnapshot(ctx)
	require.NoError(t, err)
	built, err := embedded.LoadedSnapshot(net, fresh.TakenAt)
	require.NoError(t, err)
	if consent == 0 { // the default: everyone
		require.Equal(t, fresh.Len(), net.Len())
	} else {
		require.Less(t, fresh.Len(), net.Len(), "some people do not consent")
	}
	require.Positive(t, len(fresh.RecruitTargets))
	assert.Equal(t, fresh, built)

	// Stamped an hour earlier, so a snapshot read from the image shows it.
	built.TakenAt = fresh.TakenAt.Add(-time.Hour)
	require.NoError(t, s.SaveImage(ctx, built))
	_, err = os.Stat(embedded.ImagePath(s.Path()))
	require.NoError(t, err, "the image is saved")
	fromImage, err := s.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, built.TakenAt, fromImage.TakenAt, "read from the image")
	fromImage.TakenAt = fresh.TakenAt
	assert.Equal(t, fresh, fromImage)
}

// TestLoadSnapshot: LoadSnapshot leaves the store Load leaves and returns
// the snapshot the store then reads back from its records, with small
// transactions (many friend-key slabs and transactions) and with
// everyone or not everyone consenting.
func TestLoadSnapshot(t *testing.T) {
	defer embedded.SetLoadTxSizes(3001, 70_001)()
	for _, consent := range []float64{0, 0.8} {
		t.Run(fmt.Sprintf("consent=%g", consent), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			net, err := seed.Stream(seed.Config{People: 30_000, Seed: 5, ConsentShare: consent})
			require.NoError(t, err)
			require.Greater(t, 2*net.Friendships(), 2*70_001, "the keys span several transactions")
			a := openAt(t, filepath.Join(dir, "load.db"))
			want, err := a.Load(ctx, net)
			require.NoError(t, err)
			require.NoError(t, a.Close())

			b := openAt(t, filepath.Join(dir, "snap.db"))
			st, snap, err := b.LoadSnapshot(ctx, net, loadClock())
			require.NoError(t, err)
			assert.Equal(t, [4]int{want.People, want.Consenting, want.Friendships, want.Recruitments},
				[4]int{st.People, st.Consenting, st.Friendships, st.Recruitments})
			assert.Greater(t, st.Transactions, want.Transactions, "smaller friend transactions beside the snapshot")
			fresh, err := b.FreshSnapshot(ctx)
			require.NoError(t, err)
			require.NoError(t, b.Close())
			snap.TakenAt = fresh.TakenAt
			assert.Equal(t, fresh, snap)
			requireSameBuckets(t, filepath.Join(dir, "load.db"), filepath.Join(dir, "snap.db"))
		})
	}
}

// badFriends is a network whose person at gives the friend list fr.
type badFriends struct {
	*seed.Network
	at int
	fr []int32
}

func (b badFriends) Friends(i int) []int32 {
	if i == b.at {
		return b.fr
	}
	return b.Network.Friends(i)
}

// TestLoadRejectsBadFriends: a friend index out of range, the person's own
// or not ascending fails Load and LoadSnapshot with graph.ErrInvalid
// naming the entry, after the keys before it were encoded ahead of the
// writer.
func TestLoadRejectsBadFriends(t *testing.T) {
	defer embedded.SetLoadTxSizes(1000, 5000)()
	net, err := seed.Stream(seed.Config{People: 20_000, Seed: 1})
	require.NoError(t, err)
	at := 15_000
	ok := net.Friends(at)
	require.GreaterOrEqual(t, len(ok), 2)
	for name, fr := range map[string][]int32{
		"out of range":  {ok[0], int32(net.Len())},
		"own":           {int32(at)},
		"not ascending": {ok[1], ok[0]},
		"negative":      {-1, ok[0]},
	} {
		for _, withSnap := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/snapshot=%v", name, withSnap), func(t *testing.T) {
				s := openAt(t, filepath.Join(t.TempDir(), "s.db"))
				defer s.Close()
				src := badFriends{net, at, fr}
				if withSnap {
					_, snap, err := s.LoadSnapshot(context.Background(), src, loadClock())
					require.ErrorIs(t, err, graph.ErrInvalid)
					require.ErrorContains(t, err, fmt.Sprintf("friends/%d/", at))
					require.Nil(t, snap)
				} else {
					_, err = s.Load(context.Background(), src)
					require.ErrorIs(t, err, graph.ErrInvalid)
					require.ErrorContains(t, err, fmt.Sprintf("friends/%d/", at))
				}
			})
		}
	}
}

// TestLoadRefusesNonEmpty: Load writes only into an empty store.
func TestLoadRefusesNonEmpty(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "s.db"))
	defer s.Close()
	require.NoError(t, s.ApplyBatch(ctx, graph.Batch{People: []graph.Person{{ID: 1, Consent: true}}}))
	net, err := seed.Stream(seed.Config{People: 10, Seed: 1})
	require.NoError(t, err)
	_, err = s.Load(ctx, net)
	require.ErrorIs(t, err, graph.ErrConflict)
	c, err := s.Counts(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, c.People)
}

// TestLoadCancelledIsRefused: a load that stops half way (here cancelled)
// leaves a store that Open refuses, naming the cause.
func TestLoadCancelledIsRefused(t *testing.T) {
	defer embedded.SetLoadTxSizes(1000, 1000)()
	path := filepath.Join(t.TempDir(), "s.db")
	s := openAt(t, path)
	net, err := seed.Stream(seed.Config{People: 5000, Seed: 1})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	_, err = s.Load(ctx, cancelAfterPeople{net, 2500, cancel})
	require.ErrorIs(t, err, context.Canceled)
	require.NoError(t, s.Close())
	_, err = embedded.Open(path)
	require.ErrorContains(t, err, "an interrupted load (a seed or import that did not finish); delete it and load again")
}

// cancelAfterPeople cancels the load's context once people past n are
// asked for.
type cancelAfterPeople struct {
	*seed.Network
	n      int
	cancel func()
}

func (c cancelAfterPeople) People(lo, hi int, dst []graph.Person) []graph.Person {
	if hi > c.n {
		c.cancel()
	}
	return c.Network.People(lo, hi, dst)
}

const loadEnvPath = "EMBEDDED_LOAD_KILL_DB"

// TestLoadKillWriter is the child of TestLoadKilled: it loads a network
// into the store its variable names, saying when it starts.
func TestLoadKillWriter(t *testing.T) {
	path := os.Getenv(loadEnvPath)
	if path == "" {
		t.Skip("the child process of TestLoadKilled")
	}
	defer embedded.SetLoadTxSizes(1<<12, 1<<13)()
	net, err := seed.Stream(seed.Config{People: 200_000, Seed: 2})
	require.NoError(t, err)
	s, err := embedded.Open(path)
	require.NoError(t, err)
	fmt.Println("loading")
	_, err = s.Load(context.Background(), net)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	fmt.Println("loaded")
}

// TestLoadKilled kills (SIGKILL) a process in the middle of a load: Open
// then refuses the store as an interrupted load, and after the file is
// deleted a new load succeeds. Kills land at several delays after the
// load starts; at least one must hit the load before it ends.
func TestLoadKilled(t *testing.T) {
	dir := t.TempDir()
	interrupted := 0
	for round, delay := range []time.Duration{50 * time.Millisecond, 300 * time.Millisecond, time.Second} {
		path := filepath.Join(dir, fmt.Sprintf("kill%d.db", round))
		cmd := exec.Command(os.Args[0], "-test.run", "^TestLoadKillWriter$", "-test.count=1")
		cmd.Env = append(os.Environ(), loadEnvPath+"="+path)
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		sc := bufio.NewScanner(out)
		for sc.Scan() && sc.Text() != "loading" {
		}
		time.Sleep(delay)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		rest := ""
		for sc.Scan() {
			rest += sc.Text() + "\n"
		}
		_ = cmd.Wait()

		s, err := embedded.Open(path)
		if strings.Contains(rest, "loaded") {
			require.NoError(t, err, "a finished load opens")
			c, err := s.Counts(context.Background())
			require.NoError(t, err)
			assert.Equal(t, 200_000, c.People)
			require.NoError(t, s.Close())
			continue
		}
		if err == nil { // killed before the load's first commit: an empty store
			c, cerr := s.Counts(context.Background())
			require.NoError(t, cerr)
			require.Zero(t, c.People, "a store that opens after a kill holds no partial load")
			require.NoError(t, s.Close())
			continue
		}
		require.ErrorContains(t, err, "delete it and load again")
		require.False(t, errors.Is(err, graph.ErrUnavailable))
		interrupted++
		require.NoError(t, os.Remove(path))
		s = openAt(t, path)
		net, err := seed.Stream(seed.Config{People: 1000, Seed: 2})
		require.NoError(t, err)
		_, err = s.Load(context.Background(), net)
		require.NoError(t, err)
		require.NoError(t, s.Close())
	}
	require.Positive(t, interrupted, "no kill landed in the middle of a load")
}
