package embedded

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// saveRunPeople is the size of the stores of the tests of SaveRunFrom's
// several transactions.
const saveRunPeople = 50

// newSaveRunStore opens a store of saveRunPeople people (every third not
// consenting) with small chunks, and makes SaveRunFrom write 7 results a
// transaction while the test runs.
func newSaveRunStore(t *testing.T, path string) *Store {
	t.Helper()
	old := resultsPerTx
	resultsPerTx = 7
	t.Cleanup(func() { resultsPerTx = old })
	s, err := Open(path, withChunkSize(3))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	n, err := s.Counts(context.Background())
	require.NoError(t, err)
	if n.People == 0 {
		var b graph.Batch
		for id := graph.ID(1); id <= saveRunPeople; id++ {
			b.People = append(b.People, graph.Person{ID: id, Consent: id%3 != 0})
		}
		require.NoError(t, s.ApplyBatch(context.Background(), b))
	}
	return s
}

// saveRunResults returns one result per person, score 400+id+k.
func saveRunResults(k int) []graph.Result {
	out := make([]graph.Result, saveRunPeople)
	for i := range out {
		id := graph.ID(i + 1)
		out[i] = graph.Result{ID: id, Score: 400 + int(id) + k, Individual: 500, Base: float64(id) / 100,
			Network: 0.5, Friends: int32(i), Facts: graph.FactsOf(graph.Record{BillsLate: int64(i)}),
			Share: graph.NetworkShare{Known: true, Raise: 0.25, Raising: 2}}
	}
	return out
}

// consenting returns the results of consenting people (what SaveRun
// keeps).
func consenting(rs []graph.Result) []graph.Result {
	var out []graph.Result
	for _, r := range rs {
		if r.ID%3 != 0 {
			out = append(out, r)
		}
	}
	return out
}

// chunkCount counts the result chunks under every sequence number.
func chunkCount(t *testing.T, s *Store) map[uint64]int {
	t.Helper()
	out := map[uint64]int{}
	require.NoError(t, s.view(context.Background(), func(t *tx) error {
		return t.results.ForEach(func(k, _ []byte) error {
			out[u64(k[:8])]++
			return nil
		})
	}))
	return out
}

func TestSaveRunSeveralTransactions(t *testing.T) {
	ctx := context.Background()
	s := newSaveRunStore(t, filepath.Join(t.TempDir(), "s.db"))
	first := saveRunResults(0)
	require.NoError(t, s.SaveRun(ctx, graph.Run{ID: "r1", Policy: "sesame"}, first))
	run, got, err := s.LatestRun(ctx)
	require.NoError(t, err)
	assert.Equal(t, "r1", run.ID)
	assert.Equal(t, consenting(first), got)

	// An invalid result part way: an error naming it, r1 stays the
	// latest, nothing of the failed run is left.
	before := chunkCount(t, s)
	bad := saveRunResults(1)
	err = s.SaveRunFrom(ctx, graph.Run{ID: "r2"}, len(bad), func(i int) graph.Result {
		r := bad[i]
		if i == 30 {
			r.ID = 29 // not ascending
		}
		return r
	})
	require.ErrorIs(t, err, graph.ErrInvalid)
	assert.Contains(t, err.Error(), "results/30/id")
	run, got, err = s.LatestRun(ctx)
	require.NoError(t, err)
	assert.Equal(t, "r1", run.ID)
	assert.Equal(t, consenting(first), got)
	assert.Equal(t, before, chunkCount(t, s))

	// Cancelled part way: the same.
	cctx, cancel := context.WithCancel(ctx)
	err = s.SaveRunFrom(cctx, graph.Run{ID: "r2"}, len(bad), func(i int) graph.Result {
		if i == 20 {
			cancel()
		}
		return bad[i]
	})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, before, chunkCount(t, s))

	// A person who withdraws consent while the run is written is in
	// none of its chunks: those written before are rewritten, those after
	// leave them out.
	second := saveRunResults(2)
	err = s.SaveRunFrom(ctx, graph.Run{ID: "r2"}, len(second), func(i int) graph.Result {
		if i == 21 { // after the first three batches were written
			p, err := s.Person(ctx, 4)
			require.NoError(t, err)
			p.Consent = false
			_, err = s.PutPerson(ctx, p)
			require.NoError(t, err)
		}
		return second[i]
	})
	require.NoError(t, err)
	run, got, err = s.LatestRun(ctx)
	require.NoError(t, err)
	assert.Equal(t, "r2", run.ID)
	var want []graph.Result
	for _, r := range consenting(second) {
		if r.ID != 4 {
			want = append(want, r)
		}
	}
	assert.Equal(t, want, got)
	h, err := s.History(ctx, 5, 0)
	require.NoError(t, err)
	require.Len(t, h, 2)
	assert.Equal(t, second[4], h[0].Result)
	assert.Equal(t, first[4], h[1].Result)
	// The same run id again is a conflict.
	require.ErrorIs(t, s.SaveRun(ctx, graph.Run{ID: "r2"}, second), graph.ErrConflict)
}

// The crash test of SaveRunFrom: a child process (TestSaveRunCrashWriter)
// saves runs of several transactions in a loop, printing each run it
// stored; it is killed with SIGKILL while it writes. The file must hold the
// last acknowledged run (or the one being written, had it finished) whole,
// and the next save must delete what the killed one left.
const saveRunCrashEnv = "EMBEDDED_SAVERUN_CRASH_DB"

func TestSaveRunCrashWriter(t *testing.T) {
	path := os.Getenv(saveRunCrashEnv)
	if path == "" {
		t.Skip("the child of TestSaveRunCrash")
	}
	s := newSaveRunStore(t, path)
	start := time.Now().UnixNano() // run ids differ from the earlier children's
	for k := 0; ; k++ {
		rs := saveRunResults(k)
		err := s.SaveRunFrom(context.Background(), graph.Run{ID: fmt.Sprintf("r%06d-%d", k, start)}, len(rs), func(i int) graph.Result {
			if i%7 == 0 {
				time.Sleep(time.Millisecond) // between transactions, so kills land mid-run
			}
			return rs[i]
		})
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("saved", k)
	}
}

func TestSaveRunCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("re-runs the test binary")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	for round := range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSaveRunCrashWriter$", "-test.count=1")
		cmd.Env = append(os.Environ(), saveRunCrashEnv+"="+path)
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		acked := -1
		sc := bufio.NewScanner(out)
		kill := 3 + 2*round // runs acknowledged before the kill
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 2 && f[0] == "saved" {
				acked, err = strconv.Atoi(f[1])
				require.NoError(t, err)
				if acked >= kill {
					time.Sleep(time.Duration(round+1) * 3 * time.Millisecond) // into the next run
					require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
					break
				}
			}
		}
		// The child may have stored and printed more runs before the
		// kill landed than this side had read (a loaded machine): the
		// last acknowledged run is the last one in the whole output.
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "saved" {
				acked, err = strconv.Atoi(f[1])
				require.NoError(t, err)
			}
		}
		_ = cmd.Wait()
		require.GreaterOrEqual(t, acked, kill, "the writer acknowledged runs")

		s := newSaveRunStore(t, path)
		run, got, err := s.LatestRun(context.Background())
		require.NoError(t, err)
		k, err := strconv.Atoi(strings.TrimPrefix(strings.Split(run.ID, "-")[0], "r"))
		require.NoError(t, err)
		require.Contains(t, []int{acked, acked + 1}, k, "the latest run is the last acknowledged or the one being written")
		assert.Equal(t, consenting(saveRunResults(k)), got, "run %s whole", run.ID)
		// A new save clears what the killed one left: only retained runs
		// have chunks.
		require.NoError(t, s.SaveRun(context.Background(), graph.Run{ID: fmt.Sprintf("after-%d", round)}, saveRunResults(0)))
		var runs int
		require.NoError(t, s.view(context.Background(), func(t *tx) error {
			runs = t.runs.Stats().KeyN
			return nil
		}))
		assert.Len(t, chunkCount(t, s), runs, "chunks only of stored runs")
		require.NoError(t, s.Close())
	}
}

// rssFileKiB returns the process's resident file-backed memory (Linux).
func rssFileKiB(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "RssFile:" {
			n, err := strconv.Atoi(f[1])
			require.NoError(t, err)
			return n
		}
	}
	t.Fatal("no RssFile in /proc/self/status")
	return 0
}

// Streaming the latest run leaves its pages out of the resident set, and
// they read back the same afterwards.
func TestLatestRunLeavesPagesNotResident(t *testing.T) {
	ctx := context.Background()
	path, rs := newResidentStore(t) // 31 MB of result chunks
	n := len(rs)
	s, err := Open(path)
	require.NoError(t, err)
	defer s.Close()
	before := rssFileKiB(t)
	_, got, err := s.LatestRun(ctx)
	require.NoError(t, err)
	grew := rssFileKiB(t) - before
	assert.Less(t, grew, n*resultSize/1024/4, "resident file pages grew by %d KiB reading %d KiB of results", grew, n*resultSize/1024)
	assert.Equal(t, rs, got)
	_, again, err := s.LatestRun(ctx)
	require.NoError(t, err)
	assert.Equal(t, rs, again)
}

// TestSaveRunOf: a run saved with the snapshot it was computed from is
// stored exactly as SaveRunFrom stores it. When nothing was written since
// the snapshot, no batch is merged with the people; a consent withdrawn or
// a person erased after the snapshot (before the save, or between its
// transactions) leaves that person out, as does a snapshot the store did
// not return.
func TestSaveRunOf(t *testing.T) {
	ctx := context.Background()
	s := newSaveRunStore(t, filepath.Join(t.TempDir(), "s.db"))
	resultsOf := func(snap *graph.Snapshot, k int) []graph.Result {
		out := make([]graph.Result, snap.Len())
		for i, id := range snap.IDs {
			out[i] = graph.Result{ID: id, Score: 400 + int(id) + k, Individual: 500, Friends: int32(i)}
		}
		return out
	}
	without := func(rs []graph.Result, ids ...graph.ID) []graph.Result {
		var out []graph.Result
		for _, r := range rs {
			if !slices.Contains(ids, r.ID) {
				out = append(out, r)
			}
		}
		return out
	}
	latest := func() []graph.Result {
		_, got, err := s.LatestRun(ctx)
		require.NoError(t, err)
		return got
	}
	withdraw := func(id graph.ID) {
		p, err := s.Person(ctx, id)
		require.NoError(t, err)
		p.Consent = false
		_, err = s.PutPerson(ctx, p)
		require.NoError(t, err)
	}

	// Unchanged since the snapshot: no merge, the same run as SaveRunFrom.
	snap, err := s.Snapshot(ctx)
	require.NoError(t, err)
	require.Greater(t, snap.Len(), 3*7, "the run spans several transactions")
	rs := resultsOf(snap, 0)
	merges := s.merges.Load()
	require.NoError(t, s.SaveRunOf(ctx, graph.Run{ID: "r1"}, snap, func(i int) graph.Result { return rs[i] }))
	assert.Equal(t, merges, s.merges.Load(), "no batch merged with the people")
	assert.Equal(t, rs, latest())
	require.NoError(t, s.SaveRunFrom(ctx, graph.Run{ID: "r1b"}, len(rs), func(i int) graph.Result { return rs[i] }))
	assert.Greater(t, s.merges.Load(), merges, "SaveRunFrom merges")
	assert.Equal(t, rs, latest())

	// Consent withdrawn and a person erased after the snapshot: both left
	// out, every batch merged.
	snap, err = s.Snapshot(ctx)
	require.NoError(t, err)
	rs = resultsOf(snap, 1)
	withdraw(snap.IDs[2])
	require.NoError(t, s.DeletePerson(ctx, snap.IDs[20]))
	merges = s.merges.Load()
	require.NoError(t, s.SaveRunOf(ctx, graph.Run{ID: "r2"}, snap, func(i int) graph.Result { return rs[i] }))
	assert.Equal(t, without(rs, snap.IDs[2], snap.IDs[20]), latest())
	assert.Equal(t, int64((len(rs)+6)/7), s.merges.Load()-merges, "every batch merged")

	// Withdrawn while the run is written, after the batch holding the
	// person was stored unmerged: the person is in none of its chunks.
	snap, err = s.Snapshot(ctx)
	require.NoError(t, err)
	rs = resultsOf(snap, 2)
	gone := snap.IDs[1]
	merges = s.merges.Load()
	require.NoError(t, s.SaveRunOf(ctx, graph.Run{ID: "r3"}, snap, func(i int) graph.Result {
		if i == 3*7 { // the first batches were written
			withdraw(gone)
		}
		return rs[i]
	}))
	assert.Equal(t, without(rs, gone), latest())
	assert.Greater(t, s.merges.Load(), merges, "the batches after the withdrawal merged")

	// A snapshot this store did not return (a copy naming someone who does
	// not consent): merged, that person left out.
	snap, err = s.Snapshot(ctx)
	require.NoError(t, err)
	const refuser = graph.ID(48) // every third person does not consent
	cp := *snap
	cp.IDs = append(slices.DeleteFunc(slices.Clone(snap.IDs), func(id graph.ID) bool { return id >= refuser }), refuser)
	rs = resultsOf(&cp, 3)
	merges = s.merges.Load()
	require.NoError(t, s.SaveRunOf(ctx, graph.Run{ID: "r4"}, &cp, func(i int) graph.Result { return rs[i] }))
	assert.Equal(t, rs[:len(rs)-1], latest())
	assert.Greater(t, s.merges.Load(), merges)

	// Results that are not the snapshot's people in its order (one of them
	// replaced by someone who does not consent): merged, that one left out.
	rs = resultsOf(snap, 4)
	i := slices.IndexFunc(rs, func(r graph.Result) bool { return r.ID%3 == 1 && r.ID > 12 }) // 3k+1: 3k is between it and the one before
	require.Positive(t, i)
	require.Equal(t, rs[i].ID-2, rs[i-1].ID)
	rs[i].ID--
	merges = s.merges.Load()
	require.NoError(t, s.SaveRunOf(ctx, graph.Run{ID: "r5"}, snap, func(k int) graph.Result { return rs[k] }))
	assert.Greater(t, s.merges.Load(), merges)
	assert.Equal(t, slices.Delete(slices.Clone(rs), i, i+1), latest())
}
