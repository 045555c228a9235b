package neo4j

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/socialscore/socialscore/graph"
)

// chunkFields are the parallel list properties of a :ScoreChunk, one
// element per result, in this order.
var chunkFields = []string{
	"ids", "score", "individual",
	"purchase", "info", "bills", "credit", "recruitment",
	"base", "network", "pagerank", "percentile",
	"friends", "friend_mean",
	// Added with record facts and friends' shares; chunks saved before
	// lack them (see decodeChunk).
	"known",
	"purchase_count", "bills_on_time", "bills_late", "bill_days_late",
	"credit_on_time", "credit_late", "credit_days_late", "defaults",
	"raise", "lower", "raising", "lowering",
}

// baseFields is the number of chunkFields every chunk has; the others are
// absent from chunks saved before they were added.
const baseFields = 14

// Bits of the known list of a chunk.
const (
	knownFacts = 1 << 0
	knownShare = 1 << 1
)

// chunkReturn projects a chunk variable c as its lists, in chunkFields
// order.
var chunkReturn = func() string {
	parts := make([]string, len(chunkFields))
	for i, f := range chunkFields {
		parts[i] = "c." + f
	}
	return strings.Join(parts, ", ")
}()

// elementReturn projects element i of each list of a chunk variable c, as
// a list of one, in chunkFields order (decodeChunk reads it as a chunk of
// one result).
var elementReturn = func() string {
	parts := make([]string, len(chunkFields))
	for i, f := range chunkFields {
		parts[i] = "c." + f + "[i..i + 1]"
	}
	return strings.Join(parts, ", ")
}()

// chunkOfID is the subquery that finds, for a run variable r, the chunk
// c of its results whose id range may hold $id: the one with the largest
// lo ≤ $id, found through the (run, lo) index. The caller still checks
// c.hi ≥ $id and looks for $id in c.ids (eraseQuery, History).
const chunkOfID = `CALL (r) {
  MATCH (c:ScoreChunk)
  USING INDEX c:ScoreChunk(run, lo)
  WHERE c.run = r.key AND c.lo <= $id
  WITH c ORDER BY c.lo DESC LIMIT 1
  RETURN c
}
`

// eraseQuery removes the element at index i from every list of the chunks
// that hold $id. It is built from chunkFields, a constant list of property
// names; no value is interpolated.
var eraseQuery = func() string {
	var b strings.Builder
	b.WriteString(`
MATCH (r:Run)
` + chunkOfID + `WITH c WHERE c.hi >= $id
WITH c, c.ids AS ids
WITH c, [k IN range(0, size(ids) - 1) WHERE ids[k] = $id][0] AS i
WHERE i IS NOT NULL
SET c.n = c.n - 1`)
	for _, f := range chunkFields {
		fmt.Fprintf(&b, ",\n    c.%[1]s = c.%[1]s[..i] + c.%[1]s[i + 1..]", f)
	}
	b.WriteString("\nRETURN count(c)")
	return b.String()
}()

// lockScores takes the write lock on the :ScoreMeta node (creating it if
// needed) and returns the number of the last saved run. Every transaction
// that writes result chunks or erases a person's scores takes it first, so
// a SaveRun that checked its people exist and a DeletePerson that erased
// scores cannot interleave.
func lockScores(ctx context.Context, tx drv.ManagedTransaction) (int64, error) {
	rec, err := single(ctx, tx, `
MERGE (m:ScoreMeta {name: 'scores'})
ON CREATE SET m.seq = 0
SET m.writes = coalesce(m.writes, 0) + 1
RETURN m.seq`, nil)
	if err != nil {
		return 0, err
	}
	return asInt(rec.Values[0]), nil
}

// eraseScores removes every stored result of the person, in every run,
// complete or still being saved.
func eraseScores(ctx context.Context, tx drv.ManagedTransaction, id graph.ID) error {
	if _, err := lockScores(ctx, tx); err != nil {
		return err
	}
	return execTx(ctx, tx, eraseQuery, map[string]any{"id": int64(id)})
}

// SaveRun stores the run and its results. Results are written in chunks,
// BatchSize results per transaction, under a run that is not yet
// complete; a last transaction marks it complete (LatestRun only sees
// complete runs) and deletes runs beyond KeepRuns. On failure the partial
// run is removed (even if ctx was cancelled); one left behind by a process
// that died is removed by a later SaveRun. Results of people who no longer
// exist, or no longer consent, are dropped. A run id already stored is an
// error wrapping graph.ErrConflict; result ids must be positive and unique
// (graph.ErrInvalid).
func (s *Store) SaveRun(ctx context.Context, run graph.Run, results []graph.Result) error {
	op := fmt.Sprintf("save run %s", run.ID)
	if run.ID == "" {
		return fmt.Errorf("neo4j: save run: %w", graph.Invalid("run/id", "is required"))
	}
	sorted := results
	byID := func(a, b graph.Result) int { return cmp.Compare(a.ID, b.ID) }
	if !slices.IsSortedFunc(results, byID) {
		sorted = slices.Clone(results)
		slices.SortStableFunc(sorted, byID)
	}
	for i := range sorted {
		r := &sorted[i]
		switch {
		case r.ID <= 0:
			return fmt.Errorf("neo4j: %s: %w", op, graph.Invalid("results/id", "person id %d is not a positive integer", r.ID))
		case i > 0 && sorted[i-1].ID == r.ID:
			return fmt.Errorf("neo4j: %s: %w", op, graph.Invalid("results/id", "person %d has two results", r.ID))
		case !fitsInt32(r.Score) || !fitsInt32(r.Individual):
			return fmt.Errorf("neo4j: %s: %w", op, graph.Invalid("results/score", "score of person %d out of range", r.ID))
		}
	}
	key := run.ID + "#" + randomHex(8)
	if err := s.saveRun(ctx, key, run, sorted); err != nil {
		if cerr := s.dropSave(ctx, key); cerr != nil {
			err = fmt.Errorf("%w (and removing the partial run failed: %v)", err, cerr)
		}
		return s.wrap(ctx, op, err)
	}
	return nil
}

func (s *Store) saveRun(ctx context.Context, key string, run graph.Run, results []graph.Result) error {
	now := s.now()
	// Leftovers of saves whose process died.
	if err := s.dropStaleSaves(ctx, now.Add(-staleSave)); err != nil {
		return err
	}
	if _, err := s.write(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		if err := checkRunID(ctx, tx, run.ID); err != nil {
			return nil, err
		}
		return nil, execTx(ctx, tx, `
CREATE (r:Run {key: $key, id: $id, complete: false, saving_at: $now})
SET r.policy = $policy, r.policy_spec = $spec,
    r.started_at = $started, r.finished_at = $finished,
    r.people = $people, r.friendships = $friendships`, map[string]any{
			"key": key, "id": run.ID, "now": now, "policy": run.Policy, "spec": asBytes(run.PolicySpec),
			"started": timeValue(run.StartedAt), "finished": timeValue(run.FinishedAt),
			"people": int64(run.People), "friendships": int64(run.Friendships),
		})
	}); err != nil {
		return err
	}
	for start := 0; start < len(results); start += s.cfg.BatchSize {
		part := results[start:min(start+s.cfg.BatchSize, len(results))]
		if _, err := s.write(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
			return nil, s.writeChunks(ctx, tx, key, part)
		}); err != nil {
			return err
		}
		if s.afterChunks != nil {
			if err := s.afterChunks(start + len(part)); err != nil {
				return err
			}
		}
	}
	_, err := s.write(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		seq, err := lockScores(ctx, tx)
		if err != nil {
			return nil, err
		}
		seq++
		if err := checkRunID(ctx, tx, run.ID); err != nil {
			return nil, err
		}
		rec, err := single(ctx, tx, `
MATCH (m:ScoreMeta {name: 'scores'})
SET m.seq = $seq
WITH m
MATCH (r:Run {key: $key})
SET r.complete = true, r.seq = $seq, r.saved_at = $now
REMOVE r.saving_at
RETURN count(r)`, map[string]any{"seq": seq, "key": key, "now": now})
		if err != nil {
			return nil, err
		}
		if asInt(rec.Values[0]) != 1 {
			return nil, fmt.Errorf("run %s disappeared while it was saved", key)
		}
		// Runs beyond the newest KeepRuns are deleted.
		return nil, execTx(ctx, tx, `
MATCH (o:Run) WHERE o.complete = true
WITH o ORDER BY o.seq DESC SKIP $keep
OPTIONAL MATCH (c:ScoreChunk {run: o.key})
DELETE c
WITH DISTINCT o
DELETE o`, map[string]any{"keep": int64(s.cfg.KeepRuns)})
	})
	return err
}

// checkRunID returns ErrConflict if a complete run with the id is stored.
func checkRunID(ctx context.Context, tx drv.ManagedTransaction, id string) error {
	rec, err := optional(ctx, tx, `MATCH (r:Run {id: $id}) WHERE r.complete = true RETURN r.key LIMIT 1`, map[string]any{"id": id})
	if err != nil {
		return err
	}
	if rec != nil {
		return fmt.Errorf("a run with id %q is already stored: %w", id, graph.ErrConflict)
	}
	return nil
}

func fitsInt32(v int) bool { return v >= math.MinInt32 && v <= math.MaxInt32 }

// writeChunks writes results (sorted by id) as chunks of the run, leaving
// out people who do not exist or do not consent.
func (s *Store) writeChunks(ctx context.Context, tx drv.ManagedTransaction, key string, results []graph.Result) error {
	if _, err := lockScores(ctx, tx); err != nil {
		return err
	}
	ids := make([]int64, len(results))
	for i := range results {
		ids[i] = int64(results[i].ID)
	}
	gone := map[graph.ID]bool{}
	if err := each(ctx, tx, `
UNWIND $ids AS id
OPTIONAL MATCH (p:Person {id: id})
WITH id, p WHERE p IS NULL OR p.consent <> true
RETURN id`, map[string]any{"ids": ids}, func(r *drv.Record) error {
		gone[graph.ID(asInt(r.Values[0]))] = true
		return nil
	}); err != nil {
		return err
	}
	keep := results
	if len(gone) > 0 {
		keep = make([]graph.Result, 0, len(results)-len(gone))
		for _, r := range results {
			if !gone[r.ID] {
				keep = append(keep, r)
			}
		}
	}
	var chunks []map[string]any
	for start := 0; start < len(keep); start += s.cfg.ChunkSize {
		c := keep[start:min(start+s.cfg.ChunkSize, len(keep))]
		chunks = append(chunks, encodeChunk(key, c))
	}
	if len(chunks) == 0 {
		return nil
	}
	return execTx(ctx, tx, `UNWIND $chunks AS c CREATE (x:ScoreChunk) SET x = c`, map[string]any{"chunks": chunks})
}

// encodeChunk returns the properties of a chunk holding rs (sorted by id).
func encodeChunk(key string, rs []graph.Result) map[string]any {
	n := len(rs)
	ints := func(f func(r *graph.Result) int64) []int64 {
		out := make([]int64, n)
		for i := range rs {
			out[i] = f(&rs[i])
		}
		return out
	}
	floats := func(f func(r *graph.Result) float64) []float64 {
		out := make([]float64, n)
		for i := range rs {
			out[i] = f(&rs[i])
		}
		return out
	}
	return map[string]any{
		"run": key,
		"lo":  int64(rs[0].ID),
		"hi":  int64(rs[n-1].ID),
		"n":   int64(n),
		// chunkFields, in order
		"ids":         ints(func(r *graph.Result) int64 { return int64(r.ID) }),
		"score":       ints(func(r *graph.Result) int64 { return int64(r.Score) }),
		"individual":  ints(func(r *graph.Result) int64 { return int64(r.Individual) }),
		"purchase":    floats(func(r *graph.Result) float64 { return r.Pillars.Purchase }),
		"info":        floats(func(r *graph.Result) float64 { return r.Pillars.Info }),
		"bills":       floats(func(r *graph.Result) float64 { return r.Pillars.Bills }),
		"credit":      floats(func(r *graph.Result) float64 { return r.Pillars.Credit }),
		"recruitment": floats(func(r *graph.Result) float64 { return r.Pillars.Recruitment }),
		"base":        floats(func(r *graph.Result) float64 { return r.Base }),
		"network":     floats(func(r *graph.Result) float64 { return r.Network }),
		"pagerank":    floats(func(r *graph.Result) float64 { return r.PageRank }),
		"percentile":  floats(func(r *graph.Result) float64 { return r.Percentile }),
		"friends":     ints(func(r *graph.Result) int64 { return int64(r.Friends) }),
		"friend_mean": floats(func(r *graph.Result) float64 { return r.FriendMean }),
		"known": ints(func(r *graph.Result) int64 {
			var k int64
			if r.Facts.Known {
				k |= knownFacts
			}
			if r.Share.Known {
				k |= knownShare
			}
			return k
		}),
		"purchase_count":   ints(func(r *graph.Result) int64 { return int64(r.Facts.PurchaseCount) }),
		"bills_on_time":    ints(func(r *graph.Result) int64 { return int64(r.Facts.BillsOnTime) }),
		"bills_late":       ints(func(r *graph.Result) int64 { return int64(r.Facts.BillsLate) }),
		"bill_days_late":   ints(func(r *graph.Result) int64 { return int64(r.Facts.BillDaysLate) }),
		"credit_on_time":   ints(func(r *graph.Result) int64 { return int64(r.Facts.CreditOnTime) }),
		"credit_late":      ints(func(r *graph.Result) int64 { return int64(r.Facts.CreditLate) }),
		"credit_days_late": ints(func(r *graph.Result) int64 { return int64(r.Facts.CreditDaysLate) }),
		"defaults":         ints(func(r *graph.Result) int64 { return int64(r.Facts.Defaults) }),
		"raise":            floats(func(r *graph.Result) float64 { return r.Share.Raise }),
		"lower":            floats(func(r *graph.Result) float64 { return r.Share.Lower }),
		"raising":          ints(func(r *graph.Result) int64 { return int64(r.Share.Raising) }),
		"lowering":         ints(func(r *graph.Result) int64 { return int64(r.Share.Lowering) }),
	}
}

// decodeChunk appends the results held in a chunkReturn projection. A
// chunk saved before record facts and friends' shares were kept has none
// of the lists after the first baseFields: its results decode with Facts
// and Share unknown (Known false), which is what it holds.
func decodeChunk(dst []graph.Result, v []any) ([]graph.Result, error) {
	if len(v) != len(chunkFields) {
		return dst, fmt.Errorf("chunk row has %d values, want %d", len(v), len(chunkFields))
	}
	lists := make([][]any, len(v))
	n := -1
	extra := v[baseFields] != nil
	for i := range v {
		if i >= baseFields && !extra {
			continue
		}
		lists[i] = asList(v[i])
		if n >= 0 && len(lists[i]) != n {
			return dst, fmt.Errorf("chunk lists differ in length (%s: %d, want %d)", chunkFields[i], len(lists[i]), n)
		}
		n = len(lists[i])
	}
	for k := 0; k < n; k++ {
		at := func(i int) any { return lists[i][k] }
		var facts graph.RecordFacts
		var share graph.NetworkShare
		if extra {
			known := asInt(at(baseFields))
			u := func(i int) uint32 { return uint32(asInt(at(baseFields + 1 + i))) }
			if known&knownFacts != 0 {
				facts = graph.RecordFacts{Known: true, PurchaseCount: u(0), BillsOnTime: u(1), BillsLate: u(2), BillDaysLate: u(3),
					CreditOnTime: u(4), CreditLate: u(5), CreditDaysLate: u(6), Defaults: u(7)}
			}
			if known&knownShare != 0 {
				share = graph.NetworkShare{Known: true, Raise: asFloat(at(baseFields + 9)), Lower: asFloat(at(baseFields + 10)),
					Raising: int32(asInt(at(baseFields + 11))), Lowering: int32(asInt(at(baseFields + 12)))}
			}
		}
		dst = append(dst, graph.Result{
			Facts:      facts,
			Share:      share,
			ID:         graph.ID(asInt(at(0))),
			Score:      int(asInt(at(1))),
			Individual: int(asInt(at(2))),
			Pillars: graph.Pillars{
				Purchase:    asFloat(at(3)),
				Info:        asFloat(at(4)),
				Bills:       asFloat(at(5)),
				Credit:      asFloat(at(6)),
				Recruitment: asFloat(at(7)),
			},
			Base:       asFloat(at(8)),
			Network:    asFloat(at(9)),
			PageRank:   asFloat(at(10)),
			Percentile: asFloat(at(11)),
			Friends:    int32(asInt(at(12))),
			FriendMean: asFloat(at(13)),
		})
	}
	return dst, nil
}

// dropSave removes the run being saved under key and its chunks. It runs
// even when ctx is already cancelled (the caller gave up; the partial run
// must still go), bounded by its own timeout.
func (s *Store) dropSave(ctx context.Context, key string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_, err := s.write(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		return nil, execTx(ctx, tx, `
OPTIONAL MATCH (c:ScoreChunk {run: $key})
DELETE c
WITH count(*) AS done
MATCH (r:Run {key: $key})
DELETE r`, map[string]any{"key": key})
	})
	return err
}

// dropStaleSaves removes runs that started saving before cutoff and never
// completed.
func (s *Store) dropStaleSaves(ctx context.Context, cutoff time.Time) error {
	_, err := s.write(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		return nil, execTx(ctx, tx, `
MATCH (r:Run) WHERE r.complete = false AND r.saving_at < $cutoff
OPTIONAL MATCH (c:ScoreChunk {run: r.key})
DELETE c
WITH DISTINCT r
DELETE r`, map[string]any{"cutoff": cutoff})
	})
	return err
}

// runFields projects a run variable r in the order decodeRun expects.
const runFields = `r.key, r.id, r.policy, r.policy_spec, r.started_at, r.finished_at, r.people, r.friendships`

func decodeRun(v []any) (key string, run graph.Run) {
	return asString(v[0]), graph.Run{
		ID:          asString(v[1]),
		Policy:      asString(v[2]),
		PolicySpec:  asBytes(v[3]),
		StartedAt:   asTime(v[4]),
		FinishedAt:  asTime(v[5]),
		People:      int(asInt(v[6])),
		Friendships: int(asInt(v[7])),
	}
}

// LatestRun returns the most recently saved complete run and its results,
// ordered by id.
func (s *Store) LatestRun(ctx context.Context) (graph.Run, []graph.Result, error) {
	type out struct {
		run     graph.Run
		results []graph.Result
	}
	v, err := s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		rec, err := optional(ctx, tx, `
MATCH (r:Run) WHERE r.complete = true
RETURN `+runFields+`
ORDER BY r.seq DESC
LIMIT 1`, nil)
		if err != nil {
			return nil, err
		}
		if rec == nil {
			return nil, graph.ErrNotFound
		}
		key, run := decodeRun(rec.Values)
		results := make([]graph.Result, 0, max(0, min(run.People, 1<<24)))
		err = each(ctx, tx, `
MATCH (c:ScoreChunk) WHERE c.run = $key AND c.lo IS NOT NULL
RETURN `+chunkReturn+`
ORDER BY c.lo`, map[string]any{"key": key}, func(r *drv.Record) error {
			var err error
			results, err = decodeChunk(results, r.Values)
			return err
		})
		if err != nil {
			return nil, err
		}
		if !slices.IsSortedFunc(results, func(a, b graph.Result) int { return cmp.Compare(a.ID, b.ID) }) {
			slices.SortFunc(results, func(a, b graph.Result) int { return cmp.Compare(a.ID, b.ID) })
		}
		return out{run, results}, nil
	})
	if err != nil {
		return graph.Run{}, nil, s.wrap(ctx, "latest run", err)
	}
	o := v.(out)
	return o.run, o.results, nil
}

// History returns up to limit past scores of the person, newest first; a
// limit of 0 or less means every retained run. ComputedAt is the run's
// FinishedAt.
func (s *Store) History(ctx context.Context, id graph.ID, limit int) ([]graph.HistoryEntry, error) {
	v, err := s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		rec, err := optional(ctx, tx, `MATCH (p:Person {id: $id}) RETURN p.id`, map[string]any{"id": int64(id)})
		if err != nil {
			return nil, err
		}
		if rec == nil {
			return nil, graph.ErrNotFound
		}
		hist := []graph.HistoryEntry{}
		if limit <= 0 {
			limit = math.MaxInt32 // every retained run
		}
		err = each(ctx, tx, `
MATCH (r:Run) WHERE r.complete = true
`+chunkOfID+`WITH r, c WHERE c.hi >= $id
WITH r, c, c.ids AS ids
WITH r, c, [k IN range(0, size(ids) - 1) WHERE ids[k] = $id][0] AS i
WHERE i IS NOT NULL
RETURN r.id, r.policy, r.finished_at, r.policy_spec, `+elementReturn+`
ORDER BY r.seq DESC
LIMIT $limit`, map[string]any{"id": int64(id), "limit": int64(limit)}, func(r *drv.Record) error {
			res, err := decodeChunk(nil, r.Values[4:])
			if err != nil {
				return err
			}
			if len(res) != 1 {
				return fmt.Errorf("history of %d: %d results in one element", id, len(res))
			}
			hist = append(hist, graph.HistoryEntry{
				RunID:      asString(r.Values[0]),
				Policy:     asString(r.Values[1]),
				ComputedAt: asTime(r.Values[2]),
				Score:      res[0].Score,
				Individual: res[0].Individual,
				PolicySpec: asBytes(r.Values[3]),
				Result:     res[0],
			})
			return nil
		})
		return hist, err
	})
	if err != nil {
		return nil, s.wrap(ctx, fmt.Sprintf("history of %d", id), err)
	}
	return v.([]graph.HistoryEntry), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
