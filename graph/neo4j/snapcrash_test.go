package neo4j

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/graphtest"
)

// The crash test re-runs the test binary as a writer (TestSnapCrashWriter
// with these variables set) that alternates writes with snapshots, so that
// its snapshot image is rewritten again and again, and kills it with
// SIGKILL: sometimes the moment a temporary image file appears (the image
// half written), sometimes at a random time. After each kill a new store
// on the same cache directory must answer Snapshot with what
// FreshSnapshot reads, holding every acknowledged write. The child is
// given the server's address directly: neo4jtest's lock is held by the
// parent.
const (
	snapCrashEnvDir   = "NEO4J_SNAPCRASH_DIR"
	snapCrashEnvURI   = "NEO4J_SNAPCRASH_URI"
	snapCrashEnvUser  = "NEO4J_SNAPCRASH_USER"
	snapCrashEnvPass  = "NEO4J_SNAPCRASH_PASSWORD"
	snapCrashEnvRound = "NEO4J_SNAPCRASH_ROUND"
	snapCrashPeople   = 20_000
)

// snapCrashPerson is the person whose record write i changes, and the
// purchase count it gives them.
func snapCrashPerson(i int) (graph.ID, int64) {
	return graph.ID(1 + (i*7919)%snapCrashPeople), int64(100_000 + i)
}

// TestSnapCrashWriter is the child process of TestSnapshotCacheCrash; it
// is skipped in a normal run.
func TestSnapCrashWriter(t *testing.T) {
	dir := os.Getenv(snapCrashEnvDir)
	if dir == "" {
		t.Skip("runs only as the child of TestSnapshotCacheCrash")
	}
	start, err := strconv.Atoi(os.Getenv(snapCrashEnvRound))
	require.NoError(t, err)
	s, err := Open(t.Context(), Config{
		URI: os.Getenv(snapCrashEnvURI), User: os.Getenv(snapCrashEnvUser), Password: os.Getenv(snapCrashEnvPass),
		SnapshotCache: dir,
	})
	require.NoError(t, err)
	ctx := t.Context()
	deadline := time.Now().Add(2 * time.Minute) // in case nobody kills us
	for i := start; time.Now().Before(deadline); i++ {
		id, count := snapCrashPerson(i)
		if _, err := s.UpdateRecord(ctx, id, func(r *graph.Record) error {
			r.PurchaseCount = count
			return nil
		}); err != nil {
			fmt.Printf("error %v\n", err)
			return
		}
		fmt.Printf("acked %d\n", i)
		if _, err := s.Snapshot(ctx); err != nil {
			fmt.Printf("error %v\n", err)
			return
		}
		fmt.Printf("snapshot %d\n", i)
	}
}

func TestSnapshotCacheCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no child processes")
	}
	ctx := t.Context()
	dir := t.TempDir()
	s := openCached(t, dir)
	var b graph.Batch
	for id := graph.ID(1); id <= snapCrashPeople; id++ {
		b.People = append(b.People, graph.Person{ID: id, Consent: id%10 != 0, Record: graph.NeutralRecord()})
		if id > 1 {
			b.Ties = append(b.Ties, graph.Tie{Kind: graph.Friend, From: id / 2, To: id, Weight: float64(id%3) + 1})
		}
	}
	require.NoError(t, s.ApplyBatch(ctx, b))
	require.NoError(t, s.Close())
	cfg := testConfig(t)

	next, tornKills := 0, 0
	for cycle := range 8 {
		onTemp := cycle%2 == 0
		acked, tornAtKill := runSnapCrashWriter(t, cfg, dir, next, onTemp, cycle)
		require.NotEmpty(t, acked, "cycle %d: the writer acknowledged nothing", cycle)
		if tornAtKill {
			tornKills++
		}
		s := reopenStore(t, s)
		got, err := s.Snapshot(ctx)
		require.NoError(t, err, "cycle %d", cycle)
		want, err := s.FreshSnapshot(ctx)
		require.NoError(t, err)
		graphtest.RequireSameSnapshot(t, want, got, "cycle %d: Snapshot after the kill", cycle)
		// Every acknowledged write is in the snapshot; a later write to
		// the same person may have replaced it, never an earlier one.
		last := map[graph.ID]int64{}
		for _, i := range acked {
			id, count := snapCrashPerson(i)
			last[id] = max(last[id], count)
		}
		for id, count := range last {
			k, ok := got.Index(id)
			if !ok {
				continue // not consenting
			}
			require.GreaterOrEqual(t, got.Records[k].PurchaseCount, count, "cycle %d: acknowledged write to %d", cycle, id)
		}
		// The image on disk is now whole and current.
		g, err := s.readGeneration(ctx)
		require.NoError(t, err)
		img, gen, err := graph.LoadImageFile(s.imagePath(g.epoch))
		require.NoError(t, err, "cycle %d: the image after a Snapshot", cycle)
		require.Equal(t, uint64(g.n), gen)
		graphtest.RequireSameSnapshot(t, want, img)
		require.NoError(t, s.Close())
		next = acked[len(acked)-1] + 1
	}
	require.Positive(t, tornKills, "no kill landed while an image was half written: the test did not exercise it")
	t.Logf("%d of 8 kills landed while a temporary image file was being written", tornKills)
}

// runSnapCrashWriter runs the writer from write round, kills it with
// SIGKILL (onTemp: as soon as a temporary image file appears after its
// third acknowledged write; else a random few milliseconds after one), and
// returns the acknowledged writes and whether a temporary image file was
// left behind by the kill.
func runSnapCrashWriter(t *testing.T, cfg Config, dir string, round int, onTemp bool, cycle int) (acked []int, torn bool) {
	t.Helper()
	before := map[string]bool{}
	for _, name := range images(t, dir) {
		before[name] = true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSnapCrashWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), snapCrashEnvDir+"="+dir, snapCrashEnvURI+"="+cfg.URI,
		snapCrashEnvUser+"="+cfg.User, snapCrashEnvPass+"="+cfg.Password, snapCrashEnvRound+"="+strconv.Itoa(round))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var killed atomic.Bool
	kill := func() {
		if !killed.Swap(true) {
			_ = cmd.Process.Signal(syscall.SIGKILL)
		}
	}
	armed := make(chan struct{})
	watching := make(chan struct{})
	go func() {
		defer close(watching)
		if !onTemp {
			return
		}
		select {
		case <-armed:
		case <-time.After(2 * time.Minute):
			return
		}
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline) && !killed.Load(); {
			es, _ := os.ReadDir(dir)
			for _, e := range es {
				if strings.Contains(e.Name(), ".img.tmp-") && !before[e.Name()] {
					kill()
					return
				}
			}
		}
	}()
	sc := bufio.NewScanner(out)
	armedOnce := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "acked "):
			i, err := strconv.Atoi(strings.TrimPrefix(line, "acked "))
			require.NoError(t, err)
			acked = append(acked, i)
			if len(acked) == 3 {
				if onTemp && !armedOnce {
					armedOnce = true
					close(armed)
				} else if !onTemp {
					delay := time.Duration(cycle*37%50) * time.Millisecond
					time.AfterFunc(delay, kill)
				}
			}
		case strings.HasPrefix(line, "error "):
			t.Errorf("writer: %s", line)
		}
	}
	err = cmd.Wait()
	<-watching
	require.True(t, killed.Load(), "the writer ended before it was killed: %v", err)
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr)
	ws, ok := exitErr.Sys().(syscall.WaitStatus)
	require.True(t, ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL, "the writer died by SIGKILL: %v", err)
	for _, name := range images(t, dir) {
		if strings.Contains(name, ".img.tmp-") && !before[name] {
			torn = true
			// A temporary file younger than staleImageTemp is left alone
			// (it may be another writer's); this one is the dead
			// writer's: remove it, as staleImageTemp later would.
			require.NoError(t, os.Remove(filepath.Join(dir, name)))
		}
	}
	return acked, torn
}
