package graphtest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// ImageStore is a store that keeps a persisted image of its snapshot
// (graph.WriteImage): Snapshot may answer from the image, FreshSnapshot
// reads the store's records.
type ImageStore interface {
	graph.Store
	graph.FreshSnapshotReader
}

// ImageHarness is how RunSnapshotImage reaches a store that keeps a
// snapshot image.
type ImageHarness struct {
	// New opens a new, empty store for one subtest. It may register
	// cleanups that remove it; they run after the suite closed it.
	New func(t *testing.T) ImageStore
	// Reopen opens the store of s again after the suite closed s: a
	// restart. It returns a new handle on the same stored data (and the
	// same image).
	Reopen func(t *testing.T, s ImageStore) ImageStore
	// Closed, when set, is called between closing a store and reopening
	// it, e.g. to damage or delete its image: the reopened store must
	// still answer Snapshot with what FreshSnapshot reads.
	Closed func(t *testing.T, s ImageStore, rng *rand.Rand)
	// Outside, when set, is called with the open store after some rounds
	// of the suite's writes: it may write to the store behind the
	// handle's back (another process or client of the same database), and
	// Snapshot must see those writes too.
	Outside func(t *testing.T, s ImageStore, rng *rand.Rand)
}

// RunSnapshotImage checks that a store's persisted snapshot image is
// never stale: after random writes of every kind that changes the
// snapshot (people added and erased, consent and profile changes, records
// updated, ties added, removed and reweighted, recruitments made and
// undone, events appended, disputes opened and resolved, batches), after
// writes that do not (scoring runs saved), and across restarts, Snapshot
// returns exactly what FreshSnapshot reads, every field compared
// (TakenAt aside; times compared as instants). Subtests never run in
// parallel.
func RunSnapshotImage(t *testing.T, h ImageHarness) {
	t.Run("RandomWrites", func(t *testing.T) { testImageRandomWrites(t, h) })
	t.Run("EveryWriteSeen", func(t *testing.T) { testImageEveryWriteSeen(t, h) })
	t.Run("Restart", func(t *testing.T) { testImageRestart(t, h) })
}

// RequireSameSnapshot fails the test unless got and want hold the same
// network: every field of graph.Snapshot deep-equal (nil and empty
// differ), TakenAt aside, times compared as instants.
func RequireSameSnapshot(t testing.TB, want, got *graph.Snapshot, msgAndArgs ...any) {
	t.Helper()
	if err := SnapshotDiff(want, got); err != nil {
		require.Fail(t, err.Error(), msgAndArgs...)
	}
}

// SnapshotDiff returns an error naming the first field in which the two
// snapshots differ (see RequireSameSnapshot), nil when they do not.
func SnapshotDiff(want, got *graph.Snapshot) error {
	if want == nil || got == nil {
		if want != got {
			return fmt.Errorf("snapshot: one is nil (want nil %t, got nil %t)", want == nil, got == nil)
		}
		return nil
	}
	fields := []struct {
		name string
		w, g any
	}{
		{"IDs", want.IDs, got.IDs},
		{"Offsets", want.Offsets, got.Offsets},
		{"Targets", want.Targets, got.Targets},
		{"Weights", want.Weights, got.Weights},
		{"ExactWeights", want.ExactWeights, got.ExactWeights},
		{"RecruitOffsets", want.RecruitOffsets, got.RecruitOffsets},
		{"RecruitTargets", want.RecruitTargets, got.RecruitTargets},
		{"Records", utcRecords(want.Records), utcRecords(got.Records)},
		{"Profiles", want.Profiles, got.Profiles},
		{"Disputed", utcDisputed(want.Disputed), utcDisputed(got.Disputed)},
	}
	for _, f := range fields {
		if !reflect.DeepEqual(f.w, f.g) {
			return fmt.Errorf("snapshot field %s differs:\nwant %s\n got %s", f.name, brief(f.w), brief(f.g))
		}
	}
	return nil
}

// brief formats a value, cut to a readable length.
func brief(v any) string {
	s := fmt.Sprintf("%#v", v)
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return s
}

func utcRecords(rs []graph.Record) []graph.Record {
	if rs == nil {
		return nil
	}
	out := slices.Clone(rs)
	for i := range out {
		if !out[i].LastEventAt.IsZero() {
			out[i].LastEventAt = out[i].LastEventAt.UTC()
		}
	}
	return out
}

func utcDisputed(ds []graph.DisputedRecord) []graph.DisputedRecord {
	if ds == nil {
		return nil
	}
	out := slices.Clone(ds)
	for i := range out {
		if !out[i].Record.LastEventAt.IsZero() {
			out[i].Record.LastEventAt = out[i].Record.LastEventAt.UTC()
		}
	}
	return out
}

// checkImage reads Snapshot twice (the first may rebuild the image, the
// second may read it) and FreshSnapshot, and requires all three equal. It
// returns the fresh snapshot.
func checkImage(t *testing.T, s ImageStore, when string) *graph.Snapshot {
	t.Helper()
	ctx := t.Context()
	first, err := s.Snapshot(ctx)
	require.NoError(t, err, when)
	fresh, err := s.FreshSnapshot(ctx)
	require.NoError(t, err, when)
	RequireSameSnapshot(t, fresh, first, "%s: Snapshot (first read) differs from FreshSnapshot", when)
	second, err := s.Snapshot(ctx)
	require.NoError(t, err, when)
	RequireSameSnapshot(t, fresh, second, "%s: Snapshot (second read) differs from FreshSnapshot", when)
	return fresh
}

// imageWriter makes random writes to a store and remembers enough (the
// people it made) to aim them.
type imageWriter struct {
	t      *testing.T
	s      ImageStore
	rng    *rand.Rand
	ids    []graph.ID
	nextID graph.ID
	runs   int
	done   map[string]int // successful writes per kind
}

// writeKinds are the kinds of write imageWriter makes; all but "save run"
// change what Snapshot returns (or may: a tie to someone who has not
// consented does not).
var writeKinds = []string{
	"add person", "erase person", "consent", "profile", "update record",
	"add friendship", "reweight friendship", "remove friendship",
	"recruit", "remove recruitment", "events", "open dispute", "resolve dispute",
	"batch", "save run",
}

func newImageWriter(t *testing.T, s ImageStore, rng *rand.Rand) *imageWriter {
	return &imageWriter{t: t, s: s, rng: rng, nextID: 1, done: map[string]int{}}
}

// seed loads n people (nine in ten consenting) and about 2n friendships and
// n/4 recruitments among them in one batch.
func (w *imageWriter) seed(n int) {
	var b graph.Batch
	for i := 0; i < n; i++ {
		id := w.nextID
		w.nextID++
		b.People = append(b.People, newPerson(id, w.rng.IntN(10) > 0))
		w.ids = append(w.ids, id)
	}
	seen := map[[2]graph.ID]bool{}
	for k := 0; k < 2*n; k++ {
		a, z := w.pick(), w.pick()
		if a == z || seen[[2]graph.ID{min(a, z), max(a, z)}] {
			continue
		}
		seen[[2]graph.ID{min(a, z), max(a, z)}] = true
		b.Ties = append(b.Ties, friend(a, z, w.weight()))
	}
	hasRecruiter := map[graph.ID]bool{}
	for k := 0; k < n/4; k++ {
		a, z := w.pick(), w.pick()
		if a == z || hasRecruiter[z] {
			continue
		}
		hasRecruiter[z] = true
		b.Ties = append(b.Ties, recruited(a, z))
	}
	require.NoError(w.t, w.s.ApplyBatch(w.t.Context(), b))
}

// weight returns a friendship weight: mostly 1, some exact in float32,
// some that need float64.
func (w *imageWriter) weight() float64 {
	switch w.rng.IntN(6) {
	case 0:
		return float64(1+w.rng.IntN(8)) / 4
	case 1:
		return 0.1 + float64(w.rng.IntN(1000))/997
	}
	return 1
}

func (w *imageWriter) pick() graph.ID { return w.ids[w.rng.IntN(len(w.ids))] }

// newID returns an id nobody has.
func (w *imageWriter) newID() graph.ID {
	id := w.nextID
	w.nextID++
	return id
}

// write makes one write of the kind; it reports whether it changed the
// store (a write aimed at something absent, or refused as a conflict,
// does not).
func (w *imageWriter) write(kind string) bool {
	t, s, ctx, rng := w.t, w.s, w.t.Context(), w.rng
	t.Helper()
	ok := func(err error) bool {
		t.Helper()
		if err == nil {
			w.done[kind]++
			return true
		}
		if errors.Is(err, graph.ErrNotFound) || errors.Is(err, graph.ErrConflict) {
			return false
		}
		require.NoError(t, err, kind)
		return false
	}
	if len(w.ids) < 3 && kind != "add person" && kind != "batch" {
		kind = "add person"
	}
	switch kind {
	case "add person":
		id := w.newID()
		w.ids = append(w.ids, id)
		_, err := s.PutPerson(ctx, newPerson(id, rng.IntN(5) > 0))
		return ok(err)
	case "erase person":
		i := rng.IntN(len(w.ids))
		id := w.ids[i]
		w.ids = slices.Delete(w.ids, i, i+1)
		return ok(s.DeletePerson(ctx, id))
	case "consent", "profile":
		p, err := s.Person(ctx, w.pick())
		require.NoError(t, err)
		if kind == "consent" {
			p.Consent = !p.Consent
		} else {
			p.Profile.Provided = graph.FieldSet(rng.IntN(128))
			p.Profile.Verified = p.Profile.Provided & graph.FieldSet(rng.IntN(128))
		}
		_, err = s.PutPerson(ctx, p)
		return ok(err)
	case "update record":
		_, err := s.UpdateRecord(ctx, w.pick(), func(r *graph.Record) error {
			r.PurchaseCount += 1 + int64(rng.IntN(3))
			r.PurchaseTotal += float64(rng.IntN(500))
			return nil
		})
		return ok(err)
	case "add friendship":
		a, z := w.pick(), w.pick()
		if a == z {
			return false
		}
		return ok(s.PutTie(ctx, friend(a, z, w.weight())))
	case "reweight friendship", "remove friendship", "remove recruitment":
		id := w.pick()
		ties, err := s.Ties(ctx, id)
		require.NoError(t, err)
		want := graph.Friend
		if kind == "remove recruitment" {
			want = graph.Recruited
		}
		ties = slices.DeleteFunc(ties, func(x graph.Tie) bool { return x.Kind != want })
		if len(ties) == 0 {
			return false
		}
		tie := ties[rng.IntN(len(ties))]
		if kind == "reweight friendship" {
			tie.Weight += 0.5 + float64(rng.IntN(4))/8
			return ok(s.PutTie(ctx, tie))
		}
		return ok(s.DeleteTie(ctx, tie.Kind, tie.From, tie.To))
	case "recruit":
		a, z := w.pick(), w.pick()
		if a == z {
			return false
		}
		return ok(s.PutTie(ctx, recruited(a, z)))
	case "events":
		d := rng.IntN(300)
		events := []graph.Event{purchase(float64(1+rng.IntN(900)), d)}
		switch rng.IntN(3) {
		case 0:
			events = append(events, bill(80, d, d+rng.IntN(20)))
		case 1:
			events = append(events, defaulted(float64(100+rng.IntN(2000)), d+1))
		}
		_, _, err := s.AppendEvents(ctx, w.pick(), "app", events)
		return ok(err)
	case "open dispute":
		for range 10 {
			id := w.pick()
			events, err := s.Events(ctx, id)
			require.NoError(t, err)
			for _, e := range events {
				if e.ID != 0 && !e.Disputed && !e.Removed {
					_, err := s.OpenDispute(ctx, id, e.ID, "not mine", "app")
					return ok(err)
				}
			}
		}
		return false
	case "resolve dispute":
		open, err := s.Disputes(ctx, graph.DisputeFilter{Status: graph.DisputeOpen})
		require.NoError(t, err)
		if len(open) == 0 {
			return false
		}
		outcome := graph.DisputeUpheld
		if rng.IntN(2) == 0 {
			outcome = graph.DisputeRejected
		}
		_, err = s.ResolveDispute(ctx, open[rng.IntN(len(open))].ID, outcome, "checked", "operator")
		return ok(err)
	case "batch":
		var b graph.Batch
		for range 3 {
			id := w.newID()
			b.People = append(b.People, newPerson(id, rng.IntN(5) > 0))
			if len(w.ids) > 0 {
				b.Ties = append(b.Ties, friend(id, w.pick(), w.weight()))
			}
			w.ids = append(w.ids, id)
		}
		return ok(s.ApplyBatch(ctx, b))
	case "save run":
		w.runs++
		return ok(s.SaveRun(ctx, newRun(w.runs), newResults(w.runs, w.ids[:min(5, len(w.ids))]...)))
	}
	t.Fatalf("graphtest: unknown write kind %q", kind)
	return false
}

// randomWrite makes one write of a random kind.
func (w *imageWriter) randomWrite() string {
	kind := writeKinds[w.rng.IntN(len(writeKinds))]
	w.write(kind)
	return kind
}

func (w *imageWriter) requireEveryKind() {
	w.t.Helper()
	for _, k := range writeKinds {
		require.Positive(w.t, w.done[k], "no write of kind %q succeeded: the test did not exercise it", k)
	}
}

// reopen closes s, calls the Closed hook and reopens.
func reopen(t *testing.T, h ImageHarness, s ImageStore, rng *rand.Rand) ImageStore {
	t.Helper()
	require.NoError(t, s.Close())
	if h.Closed != nil {
		h.Closed(t, s, rng)
	}
	s2 := h.Reopen(t, s)
	require.NotNil(t, s2)
	return s2
}

func newImageStore(t *testing.T, h ImageHarness) ImageStore {
	t.Helper()
	s := h.New(t)
	require.NotNil(t, s, "New returned a nil store")
	// The store open at the end of the test is closed; closing twice is
	// allowed (graph.Store.Close is idempotent).
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// testImageRandomWrites runs rounds of random writes, checking Snapshot
// against FreshSnapshot after each round and restarting now and then.
func testImageRandomWrites(t *testing.T, h ImageHarness) {
	rng := rand.New(rand.NewPCG(15, 2026))
	s := newImageStore(t, h)
	checkImage(t, s, "empty store")
	w := newImageWriter(t, s, rng)
	w.seed(60)
	checkImage(t, s, "after the seed")
	for round := 0; round < 120; round++ {
		var kinds []string
		for range 1 + rng.IntN(3) {
			kinds = append(kinds, w.randomWrite())
		}
		when := fmt.Sprintf("round %d (%v)", round, kinds)
		if h.Outside != nil && round%10 == 9 {
			h.Outside(t, s, rng)
			when += " and a write from outside"
		}
		checkImage(t, s, when)
		if round%15 == 14 {
			s = reopen(t, h, s, rng)
			t.Cleanup(func() { _ = s.Close() })
			w.s = s
			checkImage(t, s, when+", after a restart")
		}
	}
	// Make sure every kind was exercised, then check once more.
	for _, k := range writeKinds {
		for tries := 0; w.done[k] == 0 && tries < 50; tries++ {
			if k == "resolve dispute" {
				w.write("open dispute")
			}
			w.write(k)
		}
	}
	checkImage(t, s, "after every kind of write")
	w.requireEveryKind()
}

// testImageEveryWriteSeen: with an image made current by a Snapshot, each
// kind of write that changes the network is seen by the next Snapshot,
// which differs from the one before and equals FreshSnapshot; a saved run
// changes nothing.
func testImageEveryWriteSeen(t *testing.T, h ImageHarness) {
	rng := rand.New(rand.NewPCG(15, 7))
	s := newImageStore(t, h)
	w := newImageWriter(t, s, rng)
	w.seed(40)
	for _, kind := range writeKinds {
		changed := 0
		for tries := 0; tries < 60 && changed < 3; tries++ {
			before := checkImage(t, s, "before "+kind)
			if kind == "resolve dispute" {
				w.write("open dispute")
				before = checkImage(t, s, "before "+kind)
			}
			if !w.write(kind) {
				continue
			}
			after := checkImage(t, s, "after "+kind)
			same := SnapshotDiff(before, after) == nil
			if kind == "save run" {
				require.True(t, same, "saving a run changed the snapshot")
				changed++
				continue
			}
			if !same {
				changed++
			}
		}
		require.Positive(t, changed, "no write of kind %q changed the snapshot", kind)
	}
}

// testImageRestart: the image survives a restart when nothing changed,
// and a write made just before closing (no Snapshot after it) is seen
// after the restart.
func testImageRestart(t *testing.T, h ImageHarness) {
	rng := rand.New(rand.NewPCG(15, 9))
	s := newImageStore(t, h)
	w := newImageWriter(t, s, rng)
	w.seed(30)
	want := checkImage(t, s, "before the restart")
	s = reopen(t, h, s, rng)
	t.Cleanup(func() { _ = s.Close() })
	w.s = s
	got := checkImage(t, s, "after a restart")
	RequireSameSnapshot(t, want, got, "the network changed across a restart without writes")
	for i := 0; i < 6; i++ {
		for !w.write("add friendship") {
		}
		w.write(writeKinds[rng.IntN(len(writeKinds))])
		s = reopen(t, h, s, rng)
		t.Cleanup(func() { _ = s.Close() })
		w.s = s
		checkImage(t, s, fmt.Sprintf("restart %d after writes", i))
	}
}
