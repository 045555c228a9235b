package embedded_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/embedded"
)

// The crash test re-runs the test binary as a writer (TestCrashWriter with
// these variables set), reads what it acknowledges, kills it with SIGKILL
// mid-stream, and checks that the file holds every acknowledged write and
// nothing half-written.
const (
	crashEnvPath  = "EMBEDDED_CRASH_DB"
	crashEnvRound = "EMBEDDED_CRASH_FIRST_ROUND"
)

// Each round of the writer is a batch of crashBatch people with a chain of
// friendships among them and a tie to the previous round, then an update
// of the round's first record, then crashEventsPerRound events kept for
// its last person, then a reweighting of its first friendship (logged in
// the tie log).
const crashBatch = 400

func roundIDs(r int) (first, last graph.ID) {
	first = graph.ID(r*crashBatch + 1)
	return first, first + crashBatch - 1
}

func crashRoundBatch(r int) graph.Batch {
	first, last := roundIDs(r)
	var b graph.Batch
	for id := first; id <= last; id++ {
		b.People = append(b.People, graph.Person{ID: id, Consent: id%3 != 0})
		if id > first {
			b.Ties = append(b.Ties, graph.Tie{Kind: graph.Friend, From: id - 1, To: id, Weight: float64(r%5 + 1)})
		}
	}
	if r > 0 {
		prev, _ := roundIDs(r - 1)
		b.Ties = append(b.Ties, graph.Tie{Kind: graph.Recruited, From: prev, To: first})
	}
	return b
}

// TestCrashWriter is the child process of TestCrashSafety; it is skipped
// in a normal run.
func TestCrashWriter(t *testing.T) {
	path := os.Getenv(crashEnvPath)
	if path == "" {
		t.Skip("runs only as the child of TestCrashSafety")
	}
	start, err := strconv.Atoi(os.Getenv(crashEnvRound))
	require.NoError(t, err)
	s, err := embedded.Open(path)
	require.NoError(t, err)
	ctx := t.Context()
	deadline := time.Now().Add(time.Minute) // in case nobody kills us
	for r := start; time.Now().Before(deadline); r++ {
		if err := s.ApplyBatch(ctx, crashRoundBatch(r)); err != nil {
			fmt.Printf("error %v\n", err)
			return
		}
		fmt.Printf("acked batch %d\n", r)
		first, _ := roundIDs(r)
		if _, err := s.UpdateRecord(ctx, first, func(rec *graph.Record) error {
			rec.PurchaseCount = int64(1000 + r)
			return nil
		}); err != nil {
			fmt.Printf("error %v\n", err)
			return
		}
		fmt.Printf("acked record %d\n", r)
		_, last := roundIDs(r)
		if _, _, err := s.AppendEvents(ctx, last, "crash", crashEvents(r)); err != nil {
			fmt.Printf("error %v\n", err)
			return
		}
		fmt.Printf("acked events %d\n", r)
		// A reweighting of the round's first friendship: the tie and its
		// log entry are one transaction.
		if err := s.PutTie(ctx, graph.Tie{Kind: graph.Friend, From: first, To: first + 1, Weight: crashTieWeight}); err != nil {
			fmt.Printf("error %v\n", err)
			return
		}
		fmt.Printf("acked tie %d\n", r)
	}
}

// crashTieWeight is the weight the writer gives each round's first
// friendship after its events (crashRoundBatch gives r%5+1).
const crashTieWeight = 9

// crashEventsPerRound is how many events the writer appends to the last
// person of each round, in one AppendEvents.
const crashEventsPerRound = 50

// crashEvents returns the events appended in round r: purchases of
// distinct amounts, so each event read back can be told apart.
func crashEvents(r int) []graph.Event {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]graph.Event, crashEventsPerRound)
	for i := range out {
		out[i] = graph.Event{Type: graph.EventPurchase, Amount: float64(r*1000 + i), At: at}
	}
	return out
}

func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no child processes")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	nextRound := 0
	// Kill the writer at different points (four writes a round): after a
	// batch (5), an update (10), an append of events (15) and a tie (20)
	// was acknowledged, each a little further in.
	for cycle, killAfter := range []int{5, 10, 15, 20} {
		batches, records, events, ties := runAndKill(t, path, nextRound, killAfter)
		require.NotEmpty(t, batches, "cycle %d: the writer acknowledged nothing", cycle)

		s, err := embedded.Open(path)
		require.NoError(t, err, "cycle %d: reopen after kill", cycle)
		ctx := t.Context()
		lastAcked := batches[len(batches)-1]
		for r := 0; r <= lastAcked; r++ {
			first, last := roundIDs(r)
			for _, id := range []graph.ID{first, (first + last) / 2, last} {
				_, err := s.Person(ctx, id)
				require.NoError(t, err, "cycle %d: person %d of acknowledged round %d", cycle, id, r)
			}
			ties, err := s.Ties(ctx, last)
			require.NoError(t, err)
			assert.Contains(t, ties, graph.Tie{Kind: graph.Friend, From: last - 1, To: last, Weight: float64(r%5 + 1)}, "cycle %d round %d", cycle, r)
		}
		for _, r := range records {
			first, _ := roundIDs(r)
			p, err := s.Person(ctx, first)
			require.NoError(t, err)
			assert.Equal(t, int64(1000+r), p.Record.PurchaseCount, "cycle %d: acknowledged update of round %d", cycle, r)
		}
		// Every acknowledged append of events is there, whole, with the
		// record derived from it; any other round has all of its events
		// or none.
		acked := map[int]bool{}
		for _, r := range events {
			acked[r] = true
		}
		for r := 0; r <= lastAcked; r++ {
			_, last := roundIDs(r)
			kept, err := s.Events(ctx, last)
			require.NoError(t, err)
			if acked[r] {
				require.Len(t, kept, 1+crashEventsPerRound, "cycle %d: acknowledged events of round %d", cycle, r)
			} else {
				require.Contains(t, []int{1, 1 + crashEventsPerRound}, len(kept), "cycle %d: events of round %d half kept", cycle, r)
			}
			for i, e := range kept[1:] {
				assert.Equal(t, crashEvents(r)[i].Amount, e.Event.Amount, "cycle %d round %d event %d", cycle, r, i)
			}
			p, err := s.Person(ctx, last)
			require.NoError(t, err)
			assert.Equal(t, graph.DeriveRecord(kept, false), p.Record, "cycle %d: record of %d derived from its events", cycle, last)
		}
		// Every acknowledged reweighting is there with its log entry; any
		// other round has both or neither.
		ackedTie := map[int]bool{}
		for _, r := range ties {
			ackedTie[r] = true
		}
		for r := 0; r <= lastAcked; r++ {
			first, _ := roundIDs(r)
			h, err := s.TieHistory(ctx, first, time.Time{})
			require.NoError(t, err)
			var w float64
			for _, tie := range h.Ties {
				if tie.Kind == graph.Friend && tie.From == first && tie.To == first+1 {
					w = tie.Weight
				}
			}
			reweighted := w == crashTieWeight
			if ackedTie[r] {
				assert.True(t, reweighted, "cycle %d: acknowledged reweighting of round %d", cycle, r)
			}
			if reweighted {
				require.Len(t, h.Log, 1, "cycle %d round %d: the reweighting is logged", cycle, r)
				assert.Equal(t, graph.TieReweighted, h.Log[0].Op)
				assert.Equal(t, float64(r%5+1), h.Log[0].Previous)
			} else {
				assert.Equal(t, float64(r%5+1), w, "cycle %d round %d", cycle, r)
				assert.Empty(t, h.Log, "cycle %d round %d: a log entry without its change", cycle, r)
			}
		}
		// The round in flight when the writer died is all there or not at
		// all, and the counters agree with the contents.
		inFlight := lastAcked + 1
		first, last := roundIDs(inFlight)
		_, errFirst := s.Person(ctx, first)
		_, errLast := s.Person(ctx, last)
		assert.Equal(t, errFirst == nil, errLast == nil, "cycle %d: batch %d half written", cycle, inFlight)
		rounds := lastAcked + 1
		if errFirst == nil {
			rounds++
		}
		c, err := s.Counts(ctx)
		require.NoError(t, err)
		assert.Equal(t, rounds*crashBatch, c.People, "cycle %d: people counter", cycle)
		assert.Equal(t, rounds*(crashBatch-1), c.Friendships, "cycle %d: friendships counter", cycle)
		assert.Equal(t, rounds-1, c.Recruitments, "cycle %d: recruitments counter", cycle)
		snap, err := s.Snapshot(ctx)
		require.NoError(t, err)
		assert.Equal(t, c.Consenting, snap.Len(), "cycle %d: consenting counter", cycle)
		require.NoError(t, s.Close())
		checkFile(t, path)
		nextRound = rounds
	}
}

// runAndKill runs the writer from the round, kills it with SIGKILL after
// it acknowledged killAfter writes, and returns the rounds of every
// acknowledged batch and record update (including those printed before
// the kill landed).
func runAndKill(t *testing.T, path string, round, killAfter int) (batches, records, events, ties []int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnvPath+"="+path, crashEnvRound+"="+strconv.Itoa(round))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	killed := false
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		var r int
		switch {
		case strings.HasPrefix(line, "acked batch "):
			r, _ = strconv.Atoi(strings.TrimPrefix(line, "acked batch "))
			batches = append(batches, r)
		case strings.HasPrefix(line, "acked record "):
			r, _ = strconv.Atoi(strings.TrimPrefix(line, "acked record "))
			records = append(records, r)
		case strings.HasPrefix(line, "acked events "):
			r, _ = strconv.Atoi(strings.TrimPrefix(line, "acked events "))
			events = append(events, r)
		case strings.HasPrefix(line, "acked tie "):
			r, _ = strconv.Atoi(strings.TrimPrefix(line, "acked tie "))
			ties = append(ties, r)
		case strings.HasPrefix(line, "error "):
			t.Errorf("writer: %s", line)
		default:
			continue
		}
		if !killed && len(batches)+len(records)+len(events)+len(ties) >= killAfter {
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			killed = true
		}
	}
	err = cmd.Wait()
	require.True(t, killed, "the writer ended before it was killed: %v", err)
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr)
	ws, ok := exitErr.Sys().(syscall.WaitStatus)
	require.True(t, ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL, "the writer died by SIGKILL: %v", err)
	return batches, records, events, ties
}

// checkFile runs bbolt's consistency check over the file.
func checkFile(t *testing.T, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("bbolt check: %v", err)
		}
		return nil
	}))
}
