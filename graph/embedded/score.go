package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/socialscore/socialscore/graph"
)

// SaveRun stores a completed run and its results, as graph.ScoreStore
// specifies: until it returns nil LatestRun returns the previous run, and
// if it fails the previous run stays in place. Results of people who do
// not exist, or have not consented, are dropped (the results given are not
// modified). The run id must not be empty and must differ from every
// retained run's (graph.ErrConflict); result ids must be positive and
// unique and scores must fit in 32 bits (graph.ErrInvalid), checked before
// anything is written. Runs beyond the retention limit (WithKeepRuns) are
// deleted with their results in the transaction that makes the run the
// latest. Results are written as SaveRunFrom writes them.
func (s *Store) SaveRun(ctx context.Context, run graph.Run, results []graph.Result) error {
	order := resultOrder(results)
	for i, j := range order {
		r := &results[j]
		if r.ID <= 0 {
			return fmt.Errorf("embedded: save run %q: %w", run.ID, graph.Invalid(fmt.Sprintf("results/%d/id", j), "must be a positive integer"))
		}
		if i > 0 && results[order[i-1]].ID == r.ID {
			return fmt.Errorf("embedded: save run %q: %w", run.ID, graph.Invalid(fmt.Sprintf("results/%d/id", j), "person %d has two results", r.ID))
		}
		if !fitsInt32(r.Score) || !fitsInt32(r.Individual) {
			return fmt.Errorf("embedded: save run %q: %w", run.ID, graph.Invalid(fmt.Sprintf("results/%d/score", j), "out of range"))
		}
	}
	return s.SaveRunFrom(ctx, run, len(results), func(i int) graph.Result { return results[order[i]] })
}

// resultsPerTx is how many results one write transaction of SaveRunFrom
// holds at most (about 40 MB of chunks); a variable so tests can make runs
// span several transactions.
var resultsPerTx = 1 << 18

// keyPendingRun, in the meta bucket, holds the sequence number of a run
// whose results are being written in several transactions and that is not
// stored yet (no key in the runs bucket): its chunks are invisible to
// LatestRun and History, erasure removes people from them too, and a
// later SaveRunFrom deletes them if the process died before the run was
// stored.
var keyPendingRun = []byte("pending_run")

// saveLocks serialises SaveRunFrom per store (*Store -> *sync.Mutex): one
// pending run at a time.
var saveLocks sync.Map

// SaveRunFrom stores a completed run whose n results are given one at a
// time: at(i) for i in 0..n-1, in strictly ascending id order. at is called
// from several goroutines at once and must be safe for that. Everything
// SaveRun says holds, but memory stays bounded whatever n: results are
// encoded and written resultsPerTx at a time. A run that fits one such
// batch is written in one transaction, as before; a larger run writes its
// result chunks under a run sequence number recorded as pending
// (keyPendingRun), each batch in its own transaction, and then, in one
// last transaction, stores the run record, clears the mark and prunes old
// runs: the run becomes the latest, atomically, when that transaction
// commits. A crash or an error before then leaves the previous run the
// latest; the chunks written so far are deleted on error, or by the next
// SaveRunFrom after a crash. A result that is invalid (id not positive or
// not ascending, score beyond 32 bits) is an error naming its index, and
// nothing of the run becomes visible.
func (s *Store) SaveRunFrom(ctx context.Context, run graph.Run, n int, at func(i int) graph.Result) error {
	if err := s.saveRunFrom(ctx, run, n, at, nil); err != nil {
		return fmt.Errorf("embedded: save run %q: %w", run.ID, err)
	}
	return nil
}

// SaveRunOf is SaveRunFrom for a run computed from snap, with one result
// per person of snap in its order: at(i) is the result of snap.IDs[i].
// When snap is the snapshot this store returned last (Snapshot or
// FreshSnapshot) and nothing that moves the generation (image.go) was
// written since it was read, the people of snap are exactly the people who
// exist and consent, so a transaction that finds the generation unchanged
// and its results' ids equal to snap's skips merging them with the people
// bucket, which at ten million people is most of the save. Any other
// case, and any transaction that finds the generation moved, merges as
// SaveRunFrom does; the stored run is the same either way.
func (s *Store) SaveRunOf(ctx context.Context, run graph.Run, snap *graph.Snapshot, at func(i int) graph.Result) error {
	var known *snapStamp
	if st := s.lastSnap.Load(); st != nil && st.snap == snap {
		known = st
	}
	if err := s.saveRunFrom(ctx, run, snap.Len(), at, known); err != nil {
		return fmt.Errorf("embedded: save run %q: %w", run.ID, err)
	}
	return nil
}

// saveRunFrom saves the run; known, when not nil, is the snapshot the
// results were computed from, one per person in its order (SaveRunOf).
func (s *Store) saveRunFrom(ctx context.Context, run graph.Run, n int, at func(i int) graph.Result, known *snapStamp) error {
	if run.ID == "" {
		return graph.Invalid("run/id", "must not be empty")
	}
	if n < 0 {
		return graph.Invalid("results", "count %d is negative", n)
	}
	mu, _ := saveLocks.LoadOrStore(s, new(sync.Mutex))
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	meta := encodeRun(run)
	enc := &resultEncoder{at: at, buf: make([]byte, min(n, resultsPerTx)*resultSize)}

	if n <= resultsPerTx {
		recs, err := enc.encode(0, n)
		if err != nil {
			return err
		}
		return s.updateQuiet(ctx, func(t *tx) error {
			if err := checkRunID(t, run.ID); err != nil {
				return err
			}
			if err := clearPending(t); err != nil {
				return err
			}
			seq, err := t.runs.NextSequence()
			if err != nil {
				return err
			}
			if err := s.putChunks(t, seq, recs, known.ids(0, n)); err != nil {
				return err
			}
			return s.storeRun(t, seq, meta)
		})
	}

	// Several transactions: mark the run pending, write its chunks a
	// batch at a time, then store it.
	var seq uint64
	err := s.updateQuiet(ctx, func(t *tx) error {
		if err := checkRunID(t, run.ID); err != nil {
			return err
		}
		if err := clearPending(t); err != nil {
			return err
		}
		var err error
		if seq, err = t.runs.NextSequence(); err != nil {
			return err
		}
		return t.meta.Put(keyPendingRun, runKey(seq))
	})
	if err != nil {
		return err
	}
	fail := func(err error) error {
		// Best effort, also when ctx is done: the chunks are invisible
		// either way, and the next save deletes them if this fails.
		_ = s.updateQuiet(context.WithoutCancel(ctx), clearPending)
		return err
	}
	// Encoding a batch (computing the results: CPU) overlaps writing the
	// one before (a transaction's spill, write and fsync: mostly waiting
	// on the disk), in two buffers: the encoder fills one while the other
	// is written, and hands it over only once the previous write is done.
	batches := make(chan encodedBatch) // unbuffered: the handover
	stop := make(chan struct{})
	var encoding sync.WaitGroup
	encoding.Go(func() {
		bufs := [2][]byte{enc.buf, make([]byte, len(enc.buf))}
		for b, lo := 0, 0; lo < n; b, lo = b+1, lo+resultsPerTx {
			enc.buf = bufs[b%2]
			hi := min(lo+resultsPerTx, n)
			recs, err := enc.encode(lo, hi)
			select {
			case batches <- encodedBatch{recs, known.ids(lo, hi), err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
		close(batches)
	})
	defer func() {
		close(stop)
		encoding.Wait()
	}()
	for b := range batches {
		if b.err != nil {
			return fail(b.err)
		}
		if err := s.updateQuiet(ctx, func(t *tx) error { return s.putChunks(t, seq, b.recs, b.known) }); err != nil {
			return fail(err)
		}
	}
	err = s.updateQuiet(ctx, func(t *tx) error {
		if err := checkRunID(t, run.ID); err != nil {
			return err
		}
		if v := t.meta.Get(keyPendingRun); v == nil || u64(v) != seq {
			return fmt.Errorf("pending run %d lost its mark: %w", seq, errCorrupt)
		}
		if err := t.meta.Delete(keyPendingRun); err != nil {
			return err
		}
		return s.storeRun(t, seq, meta)
	})
	if err != nil {
		return fail(err)
	}
	return nil
}

// encodedBatch is a batch of records encoded by resultEncoder.encode, or
// its error.
type encodedBatch struct {
	recs  []byte
	known *knownIDs // the snapshot's people of the batch (SaveRunOf), or nil
	err   error
}

// resultEncoder encodes results into one reused buffer, checking them.
type resultEncoder struct {
	at   func(int) graph.Result
	buf  []byte
	last graph.ID // id of the last result encoded
}

// encode encodes results lo..hi-1 (hi−lo ≤ the buffer's capacity), split
// between GOMAXPROCS goroutines, and returns their records.
func (e *resultEncoder) encode(lo, hi int) ([]byte, error) {
	recs := e.buf[:(hi-lo)*resultSize]
	parts := max(1, min(runtime.GOMAXPROCS(0), (hi-lo)/4096))
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p := range parts {
		a, b := lo+(hi-lo)*p/parts, lo+(hi-lo)*(p+1)/parts
		wg.Go(func() {
			for i := a; i < b; i++ {
				r := e.at(i)
				if err := checkResult(i, &r); err != nil {
					errs[p] = err
					return
				}
				putResult(recs[(i-lo)*resultSize:], &r)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	// Ids ascend within and across batches.
	for i := lo; i < hi; i++ {
		id := graph.ID(binary.BigEndian.Uint64(recs[(i-lo)*resultSize:]))
		if id <= e.last {
			return nil, graph.Invalid(fmt.Sprintf("results/%d/id", i), "%d does not follow %d: ids must be unique and ascending", id, e.last)
		}
		e.last = id
	}
	return recs, nil
}

// checkResult checks the parts of result i that the encoding needs.
func checkResult(i int, r *graph.Result) error {
	if r.ID <= 0 {
		return graph.Invalid(fmt.Sprintf("results/%d/id", i), "must be a positive integer")
	}
	if !fitsInt32(r.Score) || !fitsInt32(r.Individual) {
		return graph.Invalid(fmt.Sprintf("results/%d/score", i), "out of range")
	}
	return nil
}

// checkRunID fails with graph.ErrConflict when a retained run has the id.
// Runs are few (the retained ones): the id is checked against each.
func checkRunID(t *tx, id string) error {
	c := t.runs.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		old, err := decodeRun(v, false)
		if err != nil {
			return err
		}
		if old.ID == id {
			return fmt.Errorf("a run with this id is already stored: %w", graph.ErrConflict)
		}
	}
	return nil
}

// clearPending deletes the chunks of a pending run left by a save that did
// not finish, and its mark.
func clearPending(t *tx) error {
	v := t.meta.Get(keyPendingRun)
	if v == nil {
		return nil
	}
	seq := bytes.Clone(v)
	if t.runs.Get(seq) == nil { // never stored: its chunks are leftovers
		if err := deletePrefix(t, seq); err != nil {
			return err
		}
	}
	return t.meta.Delete(keyPendingRun)
}

// knownIDs is the people of a batch of results computed from a snapshot
// the store returned, and the generation the snapshot was read at.
type knownIDs struct {
	ids []graph.ID
	gen uint64
}

// ids returns the snapshot's people lo..hi-1, or nil for a nil stamp.
func (st *snapStamp) ids(lo, hi int) *knownIDs {
	if st == nil || hi > len(st.snap.IDs) {
		return nil
	}
	return &knownIDs{st.snap.IDs[lo:hi], st.gen}
}

// current reports whether the records are exactly the results of the
// batch's people and nothing moved the generation since the snapshot was
// read: then they are the results of people who exist and consent.
func (k *knownIDs) current(t *tx, recs []byte) bool {
	if k == nil || len(recs) != len(k.ids)*resultSize || u64(t.meta.Get(keyGeneration)) != k.gen {
		return false
	}
	for i, id := range k.ids {
		if graph.ID(binary.BigEndian.Uint64(recs[i*resultSize:])) != id {
			return false
		}
	}
	return true
}

// putChunks writes the records (ascending ids) of run seq as chunks,
// dropping the results of people who are gone or have not consented: it
// merges the ids with a cursor over people, stepping when the next id is
// near and seeking when it is far, unless known says they all are
// (knownIDs.current). recs is overwritten.
func (s *Store) putChunks(t *tx, seq uint64, recs []byte, known *knownIDs) error {
	if !known.current(t, recs) {
		var err error
		if recs, err = s.keepConsenting(t, recs); err != nil {
			return err
		}
	}
	// The pages this batch read through the mapping (the people's, once,
	// when merged; the results' branch pages): out of the resident set
	// (dropResident), or a run over 10 million people leaves the whole
	// people bucket there.
	dropResident(s.db, t.Tx)
	// Appends only: runs and results are keyed by an increasing sequence
	// number.
	t.results.FillPercent = 1
	for off := 0; off < len(recs); off += s.chunkSize * resultSize {
		end := min(off+s.chunkSize*resultSize, len(recs))
		chunk := make([]byte, 1+end-off)
		chunk[0] = chunkV2
		copy(chunk[1:], recs[off:end])
		first := graph.ID(binary.BigEndian.Uint64(recs[off:]))
		if err := t.results.Put(chunkKey(seq, first), chunk); err != nil {
			return err
		}
	}
	return nil
}

// keepConsenting returns the records of the people who exist and consent,
// compacted in place: it merges the ids with a cursor over people.
func (s *Store) keepConsenting(t *tx, recs []byte) ([]byte, error) {
	s.merges.Add(1)
	n := len(recs) / resultSize
	pc := t.people.Cursor()
	k, v := pc.First()
	if n > 0 {
		k, v = pc.Seek(recs[:8])
	}
	kept := 0
	for i := 0; i < n; i++ {
		if err := t.checkCtx(i); err != nil {
			return nil, err
		}
		rec := recs[i*resultSize : (i+1)*resultSize]
		id := graph.ID(binary.BigEndian.Uint64(rec))
		for steps := 0; k != nil && keyID(k) < id; steps++ {
			if steps == 8 {
				k, v = pc.Seek(idKey(id))
				break
			}
			k, v = pc.Next()
		}
		if k == nil || keyID(k) != id || !personConsents(v) {
			continue
		}
		if kept != i {
			copy(recs[kept*resultSize:], rec)
		}
		kept++
	}
	return recs[:kept*resultSize], nil
}

// storeRun stores the run record of seq, which makes the run the latest,
// and prunes runs beyond the retention limit.
func (s *Store) storeRun(t *tx, seq uint64, meta []byte) error {
	t.runs.FillPercent = 1
	if err := t.runs.Put(runKey(seq), meta); err != nil {
		return err
	}
	return s.prune(t)
}

// resultOrder returns the indices of results in ascending id order,
// without copying the results.
func resultOrder(results []graph.Result) []int {
	order := make([]int, len(results))
	sorted := true
	for i := range order {
		order[i] = i
		if i > 0 && results[i].ID < results[i-1].ID {
			sorted = false
		}
	}
	if !sorted {
		slices.SortStableFunc(order, func(a, b int) int {
			switch {
			case results[a].ID < results[b].ID:
				return -1
			case results[a].ID > results[b].ID:
				return 1
			}
			return 0
		})
	}
	return order
}

func fitsInt32(v int) bool { return v >= math.MinInt32 && v <= math.MaxInt32 }

// prune deletes the oldest runs beyond the retention limit with their
// results.
func (s *Store) prune(t *tx) error {
	var seqs [][]byte
	c := t.runs.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		seqs = append(seqs, bytes.Clone(k))
	}
	for len(seqs) > s.keepRuns {
		if err := t.runs.Delete(seqs[0]); err != nil {
			return err
		}
		if err := deletePrefix(t, seqs[0]); err != nil {
			return err
		}
		seqs = seqs[1:]
	}
	return nil
}

// deletePrefix deletes every result chunk of the run with the seq key.
func deletePrefix(t *tx, seq []byte) error {
	var keys [][]byte
	c := t.results.Cursor()
	for k, _ := c.Seek(seq); k != nil && bytes.HasPrefix(k, seq); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		if err := t.results.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// LatestRun returns the most recently saved run and its results ordered by
// id, or an error wrapping graph.ErrNotFound if no run was saved yet.
func (s *Store) LatestRun(ctx context.Context) (graph.Run, []graph.Result, error) {
	var (
		run     graph.Run
		results []graph.Result
	)
	err := s.EachLatestResult(ctx, func(r graph.Run, n int) error {
		run, results = r, make([]graph.Result, 0, n)
		return nil
	}, func(r *graph.Result) error {
		results = append(results, *r)
		return nil
	})
	if err != nil {
		return graph.Run{}, nil, err
	}
	return run, results, nil
}

// residentDropBytes is how much of the file EachLatestResult reads between
// two dropResident calls (a variable so tests can lower it).
var residentDropBytes = 64 << 20

// EachLatestResult is LatestRun without holding the results: it calls
// start with the latest run and its number of results, then each with
// every result in id order (r is reused between calls), all in one read
// transaction. An error from start or each stops it and is returned. No
// run yet is an error wrapping graph.ErrNotFound. The file's pages it
// read leave the process's resident set when it is done (dropResident).
func (s *Store) EachLatestResult(ctx context.Context, start func(run graph.Run, n int) error, each func(r *graph.Result) error) error {
	err := s.view(ctx, func(t *tx) error {
		k, v := t.runs.Cursor().Last()
		if k == nil {
			return graph.ErrNotFound
		}
		run, err := decodeRun(v, true)
		if err != nil {
			return err
		}
		c := t.results.Cursor()
		total := 0
		for ck, cv := c.Seek(k); ck != nil && bytes.HasPrefix(ck, k); ck, cv = c.Next() {
			_, n, _, err := chunkRecords(cv)
			if err != nil {
				return err
			}
			total += n
		}
		// Counting touched the first page of every chunk (and the
		// kernel's fault-around, its neighbours).
		dropResident(s.db, t.Tx)
		if err := start(run, total); err != nil {
			return err
		}
		var r graph.Result
		read := 0 // bytes of chunks read since the last dropResident
		for ck, cv := c.Seek(k); ck != nil && bytes.HasPrefix(ck, k); ck, cv = c.Next() {
			if err := t.ctx.Err(); err != nil {
				return err
			}
			// Out of the resident set as it goes, not only at the end:
			// 1.6 GB of chunks at 10 million people would otherwise add
			// to what the caller holds (the score command reads the run
			// back with its scoring run's memory not yet returned).
			if read += len(cv); read >= residentDropBytes {
				dropResident(s.db, t.Tx)
				read = 0
			}
			recs, n, size, _ := chunkRecords(cv)
			for i := 0; i < n; i++ {
				r = getResult(recs[i*size:], size)
				if err := each(&r); err != nil {
					return err
				}
			}
		}
		// The run's pages were read once; the caller holds what it needs.
		dropResident(s.db, t.Tx)
		return nil
	})
	if err != nil {
		return fmt.Errorf("embedded: latest run: %w", err)
	}
	return nil
}

// History returns up to limit past scores of the person from the retained
// runs, newest first; a limit of 0 or less means every retained run. Each
// entry's ComputedAt is its run's FinishedAt. A person without scores has
// an empty history; a person who does not exist gets an error wrapping
// graph.ErrNotFound. Each run costs one binary search.
func (s *Store) History(ctx context.Context, id graph.ID, limit int) ([]graph.HistoryEntry, error) {
	out := []graph.HistoryEntry{}
	err := s.view(ctx, func(t *tx) error {
		if t.people.Get(idKey(id)) == nil {
			return graph.ErrNotFound
		}
		c := t.runs.Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			recs, i, size, ok, err := findResult(t, k, id)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			run, err := decodeRun(v, true)
			if err != nil {
				return err
			}
			r := getResult(recs[i*size:], size)
			out = append(out, graph.HistoryEntry{
				RunID: run.ID, Policy: run.Policy, ComputedAt: run.FinishedAt,
				Score: r.Score, Individual: r.Individual,
				PolicySpec: run.PolicySpec, Result: r,
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embedded: history of %d: %w", id, err)
	}
	return out, nil
}

// findChunk finds the chunk of the run with the seq key that would hold
// id: the last chunk whose first id is at most id. It returns nil if the
// run has no such chunk.
func findChunk(t *tx, seq []byte, id graph.ID) (key, val []byte) {
	c := t.results.Cursor()
	want := chunkKey(u64(seq), id)
	k, v := c.Seek(want)
	switch {
	case k == nil:
		k, v = c.Last()
	case !bytes.Equal(k, want):
		k, v = c.Prev()
	}
	if k == nil || !bytes.HasPrefix(k, seq) {
		return nil, nil
	}
	return k, v
}

// findResult returns the records of the chunk that holds id in the run
// with the seq key, the size of each, and id's position in it.
func findResult(t *tx, seq []byte, id graph.ID) (recs []byte, i, size int, ok bool, err error) {
	_, v := findChunk(t, seq, id)
	if v == nil {
		return nil, 0, 0, false, nil
	}
	recs, n, size, err := chunkRecords(v)
	if err != nil {
		return nil, 0, 0, false, err
	}
	i, ok = chunkFind(recs, n, size, id)
	return recs, i, size, ok, nil
}

// eraseScores removes the person's results from every retained run,
// rewriting the chunks that hold them.
func (s *Store) eraseScores(t *tx, id graph.ID) error {
	var seqs [][]byte
	c := t.runs.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		seqs = append(seqs, bytes.Clone(k))
	}
	// A run being saved holds results too: its chunks written so far.
	if v := t.meta.Get(keyPendingRun); v != nil && t.runs.Get(v) == nil {
		seqs = append(seqs, bytes.Clone(v))
	}
	for _, seq := range seqs {
		k, v := findChunk(t, seq, id)
		if v == nil {
			continue
		}
		recs, n, size, err := chunkRecords(v)
		if err != nil {
			return err
		}
		i, ok := chunkFind(recs, n, size, id)
		if !ok {
			continue
		}
		key := bytes.Clone(k)
		if n == 1 {
			if err := t.results.Delete(key); err != nil {
				return err
			}
			continue
		}
		// The key keeps its first id even if that result is the one
		// removed: it stays a lower bound of the chunk's ids, which is all
		// findChunk needs.
		nv := make([]byte, 0, len(v)-size)
		nv = append(nv, v[0]) // the chunk keeps its version
		nv = append(nv, recs[:i*size]...)
		nv = append(nv, recs[(i+1)*size:]...)
		if err := t.results.Put(key, nv); err != nil {
			return err
		}
	}
	return nil
}
