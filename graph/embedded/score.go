package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/socialscore/socialscore/graph"
)

// SaveRun stores a completed run and its results in one write transaction,
// as graph.ScoreStore specifies: until it returns nil LatestRun returns the
// previous run, and if it fails the previous run stays in place. Results
// of people who do not exist, or have not consented, are dropped (the
// results given are not modified). The run id must not be empty and must
// differ from every retained run's (graph.ErrConflict); result ids must be
// positive and unique and scores must fit in 32 bits (graph.ErrInvalid).
// Runs beyond the retention limit (WithKeepRuns) are deleted with their
// results in the same transaction.
func (s *Store) SaveRun(ctx context.Context, run graph.Run, results []graph.Result) error {
	if err := s.saveRun(ctx, run, results); err != nil {
		return fmt.Errorf("embedded: save run %q: %w", run.ID, err)
	}
	return nil
}

func (s *Store) saveRun(ctx context.Context, run graph.Run, results []graph.Result) error {
	if run.ID == "" {
		return graph.Invalid("run/id", "must not be empty")
	}
	meta := encodeRun(run)
	// Encode every result, in id order, before taking the write lock.
	order := resultOrder(results)
	recs := make([]byte, len(results)*resultSize)
	for i, j := range order {
		r := &results[j]
		if r.ID <= 0 {
			return graph.Invalid(fmt.Sprintf("results/%d/id", j), "must be a positive integer")
		}
		if i > 0 && results[order[i-1]].ID == r.ID {
			return graph.Invalid(fmt.Sprintf("results/%d/id", j), "person %d has two results", r.ID)
		}
		if !fitsInt32(r.Score) || !fitsInt32(r.Individual) {
			return graph.Invalid(fmt.Sprintf("results/%d/score", j), "out of range")
		}
		putResult(recs[i*resultSize:], r)
	}
	n := len(results)
	return s.updateQuiet(ctx, func(t *tx) error {
		// Runs are few (the retained ones): check the id against each.
		c := t.runs.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			old, err := decodeRun(v, false)
			if err != nil {
				return err
			}
			if old.ID == run.ID {
				return fmt.Errorf("a run with this id is already stored: %w", graph.ErrConflict)
			}
		}
		// Drop results of people who are gone or have not consented:
		// merge the sorted results with a cursor over people, stepping
		// when the next id is near and seeking when it is far.
		pc := t.people.Cursor()
		k, v := pc.First()
		kept := 0
		for i := 0; i < n; i++ {
			if err := t.checkCtx(i); err != nil {
				return err
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
		recs = recs[:kept*resultSize]

		seq, err := t.runs.NextSequence()
		if err != nil {
			return err
		}
		// Appends only: runs and results are keyed by an increasing
		// sequence number.
		t.runs.FillPercent = 1
		t.results.FillPercent = 1
		if err := t.runs.Put(runKey(seq), meta); err != nil {
			return err
		}
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
		return s.prune(t)
	})
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
	err := s.view(ctx, func(t *tx) error {
		k, v := t.runs.Cursor().Last()
		if k == nil {
			return graph.ErrNotFound
		}
		var err error
		if run, err = decodeRun(v, true); err != nil {
			return err
		}
		// Count first so the results are allocated once.
		c := t.results.Cursor()
		total := 0
		for ck, cv := c.Seek(k); ck != nil && bytes.HasPrefix(ck, k); ck, cv = c.Next() {
			_, n, _, err := chunkRecords(cv)
			if err != nil {
				return err
			}
			total += n
		}
		results = make([]graph.Result, 0, total)
		for ck, cv := c.Seek(k); ck != nil && bytes.HasPrefix(ck, k); ck, cv = c.Next() {
			if err := t.ctx.Err(); err != nil {
				return err
			}
			recs, n, size, _ := chunkRecords(cv)
			for i := 0; i < n; i++ {
				results = append(results, getResult(recs[i*size:], size))
			}
		}
		return nil
	})
	if err != nil {
		return graph.Run{}, nil, fmt.Errorf("embedded: latest run: %w", err)
	}
	return run, results, nil
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
