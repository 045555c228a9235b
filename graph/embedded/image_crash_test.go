package embedded_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
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
	"github.com/socialscore/socialscore/graph/embedded"
	"github.com/socialscore/socialscore/graph/graphtest"
)

// The image crash test re-runs the test binary as a writer
// (TestImageCrashWriter with these variables set) that alternates writes
// with Snapshot calls, each of which rewrites the snapshot image, and
// kills it with SIGKILL at a random moment of a rewrite.
const (
	imageCrashEnvPath = "EMBEDDED_IMAGE_CRASH_DB"
	imageCrashEnvNext = "EMBEDDED_IMAGE_CRASH_NEXT"
	imageCrashSeed    = 8_000 // people loaded before the first cycle
)

// TestImageCrashWriter is the child process of TestImageCrash; it is
// skipped in a normal run. Iteration n adds person imageCrashSeed+n
// (consenting) with a friendship to an earlier person ("acked add n"),
// every third iteration removes that friendship of iteration n−1 ("acked
// remove n−1"), then reads a Snapshot, which rebuilds and saves the image
// because the write moved the generation on: "saving" as the save starts,
// "saved <µs>" when it is done.
func TestImageCrashWriter(t *testing.T) {
	path := os.Getenv(imageCrashEnvPath)
	if path == "" {
		t.Skip("runs only as the child of TestImageCrash")
	}
	next, err := strconv.Atoi(os.Getenv(imageCrashEnvNext))
	require.NoError(t, err)
	s, err := embedded.Open(path)
	require.NoError(t, err)
	ctx := t.Context()
	var start time.Time
	embedded.SetImageSaveHook(func(done bool) {
		if !done {
			fmt.Println("saving")
			start = time.Now()
			return
		}
		fmt.Printf("saved %d\n", time.Since(start).Microseconds())
	})
	deadline := time.Now().Add(time.Minute) // in case nobody kills us
	for n := next; time.Now().Before(deadline); n++ {
		if err := s.ApplyBatch(ctx, graph.Batch{
			People: []graph.Person{{ID: crashPerson(n), Consent: true}},
			Ties:   []graph.Tie{{Kind: graph.Friend, From: crashPerson(n), To: crashPartner(n)}},
		}); err != nil {
			fmt.Printf("error %v\n", err)
			return
		}
		fmt.Printf("acked add %d\n", n)
		if n%3 == 0 && n > next {
			fmt.Printf("removing %d\n", n-1) // a kill may land after the removal commits, before its ack
			if err := s.DeleteTie(ctx, graph.Friend, crashPerson(n-1), crashPartner(n-1)); err != nil {
				fmt.Printf("error %v\n", err)
				return
			}
			fmt.Printf("acked remove %d\n", n-1)
		}
		if _, err := s.Snapshot(ctx); err != nil {
			fmt.Printf("error %v\n", err)
			return
		}
	}
}

func crashPerson(n int) graph.ID { return graph.ID(imageCrashSeed + 1 + n) }

// crashPartner is a seeded person who consents (ids divisible by 10 do not).
func crashPartner(n int) graph.ID {
	id := graph.ID(1 + n*7919%imageCrashSeed)
	if id%10 == 0 {
		id--
	}
	return id
}

// TestImageCrash kills the writer while it rewrites the image, again and
// again, and after each kill checks that the reopened store's Snapshot
// equals FreshSnapshot and holds every acknowledged write, and that an
// image found current on disk is the network of the records (no stale
// image is ever taken for current).
func TestImageCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no child processes")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	s, err := embedded.Open(path)
	require.NoError(t, err)
	var b graph.Batch
	rng := rand.New(rand.NewPCG(15, 11))
	for id := graph.ID(1); id <= imageCrashSeed; id++ {
		b.People = append(b.People, graph.Person{ID: id, Consent: id%10 != 0, Record: graph.NeutralRecord()})
		for range 3 {
			if to := graph.ID(1 + rng.IntN(imageCrashSeed)); to != id {
				b.Ties = append(b.Ties, graph.Tie{Kind: graph.Friend, From: id, To: to, Weight: float64(1 + rng.IntN(3))})
			}
		}
	}
	require.NoError(t, s.ApplyBatch(t.Context(), b))
	require.NoError(t, s.Close())

	next, torn := 0, 0
	const cycles = 12
	for cycle := range cycles {
		cs := time.Now()
		added, removed, removing := runImageWriter(t, path, next, rng)
		t.Logf("cycle %d: writer ran %v", cycle, time.Since(cs))
		require.NotEmpty(t, added, "cycle %d: the writer acknowledged nothing", cycle)
		if tmps, _ := filepath.Glob(embedded.ImagePath(path) + ".tmp-*"); len(tmps) > 0 {
			torn++ // killed between creating the new image and renaming it
		}

		s, err := embedded.Open(path)
		require.NoError(t, err, "cycle %d: reopen after kill", cycle)
		ctx := t.Context()
		tmps, _ := filepath.Glob(embedded.ImagePath(path) + ".tmp-*")
		require.Empty(t, tmps, "cycle %d: Open removes unfinished images", cycle)
		fresh, err := s.FreshSnapshot(ctx)
		require.NoError(t, err)
		// The image on disk, if it is valid and stamped with the store's
		// generation, is the network of the records.
		if img, gen, err := graph.LoadImageFile(embedded.ImagePath(path)); err == nil && gen == generationOf(t, s) {
			graphtest.RequireSameSnapshot(t, fresh, img, "cycle %d: a current image that is not the records' network", cycle)
		}
		snap, err := s.Snapshot(ctx)
		require.NoError(t, err)
		graphtest.RequireSameSnapshot(t, fresh, snap, "cycle %d: Snapshot after a crash", cycle)
		// Every acknowledged write is in it.
		for _, n := range added {
			i, ok := snap.Index(crashPerson(n))
			require.True(t, ok, "cycle %d: acknowledged person of iteration %d missing", cycle, n)
			j, ok := snap.Index(crashPartner(n))
			require.True(t, ok, "cycle %d: partner of iteration %d missing", cycle, n)
			has := false
			for _, f := range snap.Friends(i) {
				has = has || f == j
			}
			if removing[n] && !removed[n] {
				continue // killed during its removal: either way is right
			}
			require.Equal(t, !removed[n], has, "cycle %d: friendship of iteration %d (removed: %t)", cycle, n, removed[n])
		}
		require.NoError(t, s.Close())
		checkFile(t, path)
		next = added[len(added)-1] + 2 // the iteration in flight may have added its person
	}
	t.Logf("%d of %d kills landed while a new image was being written", torn, cycles)
	require.Positive(t, torn, "no kill landed during an image rewrite: the test did not test it")
}

// generationOf returns the store's generation (meta/generation).
func generationOf(t *testing.T, s *embedded.Store) uint64 {
	t.Helper()
	g, err := embedded.Generation(t.Context(), s)
	require.NoError(t, err)
	return g
}

// runImageWriter runs the writer from iteration next and kills it at a
// random moment of an image rewrite: after it announced a save, within
// the time the previous save took. It returns the acknowledged additions
// (in order) and removals, and the removals begun (acknowledged or not).
func runImageWriter(t *testing.T, path string, next int, rng *rand.Rand) (added []int, removed, removing map[int]bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestImageCrashWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), imageCrashEnvPath+"="+path, imageCrashEnvNext+"="+strconv.Itoa(next))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	removed, removing = map[int]bool{}, map[int]bool{}
	var killed atomic.Bool
	saves, killAt := 0, 2+rng.IntN(4)
	lastSave := time.Duration(0)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "acked add "):
			n, _ := strconv.Atoi(strings.TrimPrefix(line, "acked add "))
			added = append(added, n)
		case strings.HasPrefix(line, "acked remove "):
			n, _ := strconv.Atoi(strings.TrimPrefix(line, "acked remove "))
			removed[n] = true
		case strings.HasPrefix(line, "removing "):
			n, _ := strconv.Atoi(strings.TrimPrefix(line, "removing "))
			removing[n] = true
		case strings.HasPrefix(line, "saved "):
			us, _ := strconv.Atoi(strings.TrimPrefix(line, "saved "))
			lastSave = time.Duration(us) * time.Microsecond
		case line == "saving":
			saves++
			if saves == killAt && lastSave > 0 {
				delay := time.Duration(rng.Int64N(int64(lastSave)))
				time.AfterFunc(delay, func() {
					killed.Store(true)
					_ = cmd.Process.Signal(syscall.SIGKILL)
				})
			} else if saves == killAt {
				killAt++ // no duration known yet
			}
		case strings.HasPrefix(line, "error "):
			t.Errorf("writer: %s", line)
		}
	}
	err = cmd.Wait()
	require.True(t, killed.Load(), "the writer ended before it was killed: %v", err)
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr)
	ws, ok := exitErr.Sys().(syscall.WaitStatus)
	require.True(t, ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL, "the writer died by SIGKILL: %v", err)
	return added, removed, removing
}
