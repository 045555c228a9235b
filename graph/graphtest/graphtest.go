// Package graphtest is the conformance suite that every graph.Store must
// pass. A behaviour is defined here once; the embedded store and the Neo4j
// store both run RunStore, and a difference between them is a bug in one
// of them.
//
// The suite depends only on package graph. It keeps data small (the
// largest test applies one batch of a few thousand ties) so it runs
// quickly against a networked database, and it never runs subtests in
// parallel, so a store backed by one shared database may empty it in open.
//
// Where the contracts in graph/store.go leave a choice open, the suite
// pins the behaviour down and says so in the test. The choices are:
//
//   - The store stamps Person.CreatedAt when it creates a person and
//     UpdatedAt on every change; times given by the caller are ignored.
//   - UpdateRecord rejects a record that fn leaves invalid with ErrInvalid
//     and stores nothing.
//   - A recruitment has no weight: it reads back with Weight 1.
//   - SaveRun drops the results of people who have not consented, as well
//     as of people who do not exist (docs/architecture.md, Privacy: a person who has not
//     consented is not scored), so a run that raced with a withdrawal of
//     consent cannot store a score the withdrawal erased.
//   - HistoryEntry.ComputedAt is the run's FinishedAt.
//   - A person seeded by a batch, or created empty, reads with one event:
//     their opening balance (id 0), the record they had; it stays the
//     first event after events are appended.
//   - A dispute about an event that a rejected dispute covered may be
//     opened again; one about a removed event is ErrConflict.
//
// Times may be stored with millisecond precision and read back in any
// location: the suite compares them truncated to milliseconds in UTC.
package graphtest

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// RunStore runs the conformance suite. open must return a new, empty,
// open store each time it is called; the suite closes every store it
// opens (open must not arrange to close it as well; it may register
// cleanups that remove files or databases, which run after the close).
func RunStore(t *testing.T, open func(t *testing.T) graph.Store) {
	o := opener(open)
	t.Run("People", o.testPeople)
	t.Run("DeletePerson", o.testDeletePerson)
	t.Run("Ties", o.testTies)
	t.Run("UpdateRecord", o.testUpdateRecord)
	t.Run("Batch", o.testBatch)
	t.Run("Snapshot", o.testSnapshot)
	t.Run("Scores", o.testScores)
	t.Run("Counts", o.testCounts)
	t.Run("Ping", o.testPing)
	t.Run("Events", o.testEvents)
	t.Run("Disputes", o.testDisputes)
	t.Run("Keys", o.testKeys)
	t.Run("RunStarts", o.testRunStarts)
	t.Run("TieLog", o.testTieLog)
	t.Run("PseudonymKey", o.testPseudonymKey)
}

// opener opens stores for the subtests.
type opener func(t *testing.T) graph.Store

// store opens an empty store and closes it when the test ends.
func (o opener) store(t *testing.T) graph.Store {
	s, _ := o.storeWithClose(t)
	return s
}

// storeWithClose opens an empty store and returns a function that closes
// it once; the test's cleanup closes it if the test did not.
func (o opener) storeWithClose(t *testing.T) (graph.Store, func() error) {
	t.Helper()
	s := o(t)
	require.NotNil(t, s, "open returned a nil store")
	closeOnce := sync.OnceValue(s.Close)
	t.Cleanup(func() { assert.NoError(t, closeOnce(), "close") })
	c, err := s.Counts(t.Context())
	require.NoError(t, err)
	require.Equal(t, graph.Counts{}, c, "open must return an empty store")
	return s, closeOnce
}

// base is the time the fixtures' dates are counted from.
var base = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// newPerson returns a valid person whose profile and record are derived
// from the id, so different people differ in every field.
func newPerson(id graph.ID, consent bool) graph.Person {
	n := int64(id)
	provided := graph.FieldSet(n % 128)
	return graph.Person{
		ID:      id,
		Consent: consent,
		Profile: graph.Profile{Provided: provided, Verified: provided & graph.FieldSet(n%7)},
		Record: graph.Record{
			PurchaseTotal:  float64(n%10007) * 12.25,
			PurchaseCount:  n%17 + 1,
			BillsOnTime:    n % 11,
			BillsLate:      n % 3,
			BillDaysLate:   n % 3 * 4,
			CreditOnTime:   n % 9,
			CreditLate:     n % 2,
			CreditDaysLate: n % 2 * 30,
			Defaults:       n % 4 / 3,
			DefaultAmount:  float64(n%4/3) * 250.5,
			LastEventAt:    base.Add(time.Duration(n%100000)*time.Minute + 123*time.Millisecond),
		},
	}
}

// people returns newPerson for each id.
func people(consent bool, ids ...graph.ID) []graph.Person {
	out := make([]graph.Person, len(ids))
	for i, id := range ids {
		out[i] = newPerson(id, consent)
	}
	return out
}

func friend(a, b graph.ID, w float64) graph.Tie {
	return graph.Tie{Kind: graph.Friend, From: a, To: b, Weight: w}
}

func recruited(recruiter, recruit graph.ID) graph.Tie {
	return graph.Tie{Kind: graph.Recruited, From: recruiter, To: recruit}
}

// ms returns t in UTC truncated to milliseconds, the precision the suite
// compares times at.
func ms(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Millisecond)
}

// normRecord returns r with its time compared at millisecond precision.
func normRecord(r graph.Record) graph.Record {
	r.LastEventAt = ms(r.LastEventAt)
	return r
}

// normPerson returns p as the suite compares it: the store-set times
// cleared (they are checked separately) and the record normalised.
func normPerson(p graph.Person) graph.Person {
	p.CreatedAt, p.UpdatedAt = time.Time{}, time.Time{}
	p.Record = normRecord(p.Record)
	return p
}

// requireStored puts the people in the store one by one, requiring each
// to be created.
func requireStored(t *testing.T, s graph.Store, ps ...graph.Person) {
	t.Helper()
	for _, p := range ps {
		created, err := s.PutPerson(t.Context(), p)
		require.NoError(t, err, "put person %d", p.ID)
		require.True(t, created, "put person %d: created", p.ID)
	}
}

// requireTies puts the ties in the store.
func requireTies(t *testing.T, s graph.Store, ties ...graph.Tie) {
	t.Helper()
	for _, tie := range ties {
		require.NoError(t, s.PutTie(t.Context(), tie), "put tie %+v", tie)
	}
}

// assertPerson checks that the store holds want (compared whole, store-set
// times aside) and that its store-set times are sane.
func assertPerson(t *testing.T, s graph.Store, want graph.Person) graph.Person {
	t.Helper()
	got, err := s.Person(t.Context(), want.ID)
	if !assert.NoError(t, err, "person %d", want.ID) {
		return got
	}
	assert.Equal(t, normPerson(want), normPerson(got), "person %d", want.ID)
	assert.False(t, got.CreatedAt.IsZero(), "person %d: CreatedAt is set by the store", want.ID)
	assert.False(t, got.UpdatedAt.Before(got.CreatedAt), "person %d: UpdatedAt %v before CreatedAt %v", want.ID, got.UpdatedAt, got.CreatedAt)
	return got
}

// assertErrIs checks that err wraps each target.
func assertErrIs(t *testing.T, err error, target error, msgAndArgs ...any) bool {
	t.Helper()
	if !assert.Error(t, err, msgAndArgs...) {
		return false
	}
	return assert.ErrorIs(t, err, target, msgAndArgs...)
}

// model is an independent, in-memory account of what a store should hold.
// Tests apply the same writes to the model and to the store, then compare
// the whole of the store with it (checkModel).
type model struct {
	people    map[graph.ID]graph.Person // normalised as by normPerson
	friends   map[[2]graph.ID]float64   // a < b -> weight
	recruiter map[graph.ID]graph.ID     // recruit -> recruiter
}

func newModel() *model {
	return &model{people: map[graph.ID]graph.Person{}, friends: map[[2]graph.ID]float64{}, recruiter: map[graph.ID]graph.ID{}}
}

func (m *model) putPerson(p graph.Person) {
	p = normPerson(p)
	if old, ok := m.people[p.ID]; ok {
		p.Record = old.Record
	}
	m.people[p.ID] = p
}

func (m *model) putTie(tie graph.Tie) {
	tie = tie.Normalize()
	if tie.Kind == graph.Friend {
		m.friends[[2]graph.ID{tie.From, tie.To}] = tie.Weight
	} else {
		m.recruiter[tie.To] = tie.From
	}
}

func (m *model) deletePerson(id graph.ID) {
	delete(m.people, id)
	for k := range m.friends {
		if k[0] == id || k[1] == id {
			delete(m.friends, k)
		}
	}
	for r, by := range m.recruiter {
		if r == id || by == id {
			delete(m.recruiter, r)
		}
	}
}

func (m *model) counts() graph.Counts {
	c := graph.Counts{People: len(m.people), Friendships: len(m.friends), Recruitments: len(m.recruiter)}
	for _, p := range m.people {
		if p.Consent {
			c.Consenting++
		}
	}
	return c
}

// ties returns the person's ties as TieStore.Ties must: normalised,
// ordered by kind, then From, then To.
func (m *model) ties(id graph.ID) []graph.Tie {
	out := []graph.Tie{}
	for k, w := range m.friends {
		if k[0] == id || k[1] == id {
			out = append(out, graph.Tie{Kind: graph.Friend, From: k[0], To: k[1], Weight: w})
		}
	}
	for r, by := range m.recruiter {
		if r == id || by == id {
			out = append(out, graph.Tie{Kind: graph.Recruited, From: by, To: r, Weight: 1})
		}
	}
	slices.SortFunc(out, func(x, y graph.Tie) int {
		return cmp.Or(cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.From, y.From), cmp.Compare(x.To, y.To))
	})
	return out
}

// snapView is a snapshot in a form that compares whole: weights read
// through Snapshot.Weight, records normalised, no nil slices.
type snapView struct {
	IDs            []graph.ID
	Offsets        []int32
	Targets        []int32
	Weights        []float64
	RecruitOffsets []int32
	RecruitTargets []int32
	Records        []graph.Record
	Profiles       []graph.Profile
}

// snapshot computes the expected snapshot from the model directly from
// the definition in graph.Snapshot, without graph.SnapshotBuilder.
func (m *model) snapshot() snapView {
	var v snapView
	v.IDs = []graph.ID{}
	for id, p := range m.people {
		if p.Consent {
			v.IDs = append(v.IDs, id)
		}
	}
	slices.Sort(v.IDs)
	index := map[graph.ID]int32{}
	for i, id := range v.IDs {
		index[id] = int32(i)
	}
	friends := map[int32]map[int32]float64{}
	for k, w := range m.friends {
		a, okA := index[k[0]]
		b, okB := index[k[1]]
		if !okA || !okB {
			continue
		}
		for _, d := range [][2]int32{{a, b}, {b, a}} {
			if friends[d[0]] == nil {
				friends[d[0]] = map[int32]float64{}
			}
			friends[d[0]][d[1]] = float64(float32(w)) // snapshots keep float32 weights
		}
	}
	recruits := map[int32][]int32{}
	for r, by := range m.recruiter {
		a, okA := index[by]
		b, okB := index[r]
		if okA && okB {
			recruits[a] = append(recruits[a], b)
		}
	}
	v.Offsets, v.Targets, v.Weights = []int32{0}, []int32{}, []float64{}
	v.RecruitOffsets, v.RecruitTargets = []int32{0}, []int32{}
	v.Records, v.Profiles = []graph.Record{}, []graph.Profile{}
	for i, id := range v.IDs {
		nb := slices.Sorted(maps.Keys(friends[int32(i)]))
		for _, j := range nb {
			v.Targets = append(v.Targets, j)
			v.Weights = append(v.Weights, friends[int32(i)][j])
		}
		v.Offsets = append(v.Offsets, int32(len(v.Targets)))
		rs := recruits[int32(i)]
		slices.Sort(rs)
		v.RecruitTargets = append(v.RecruitTargets, rs...)
		v.RecruitOffsets = append(v.RecruitOffsets, int32(len(v.RecruitTargets)))
		v.Records = append(v.Records, m.people[id].Record)
		v.Profiles = append(v.Profiles, m.people[id].Profile)
	}
	return v
}

// viewOf turns a store's snapshot into a snapView, after checking the
// invariants that the comparison would not show.
func viewOf(t *testing.T, s *graph.Snapshot) snapView {
	t.Helper()
	n := s.Len()
	assert.Len(t, s.Offsets, n+1, "Offsets has N+1 entries")
	assert.Len(t, s.RecruitOffsets, n+1, "RecruitOffsets has N+1 entries")
	assert.Len(t, s.Records, n, "one record per person")
	assert.Len(t, s.Profiles, n, "one profile per person")
	if s.Weights != nil {
		assert.Len(t, s.Weights, len(s.Targets), "Weights parallel to Targets")
	}
	assert.False(t, s.TakenAt.IsZero(), "TakenAt is set")
	v := snapView{
		IDs:            append([]graph.ID{}, s.IDs...),
		Offsets:        append([]int32{}, s.Offsets...),
		Targets:        append([]int32{}, s.Targets...),
		Weights:        []float64{},
		RecruitOffsets: append([]int32{}, s.RecruitOffsets...),
		RecruitTargets: append([]int32{}, s.RecruitTargets...),
		Records:        []graph.Record{},
		Profiles:       append([]graph.Profile{}, s.Profiles...),
	}
	if s.Weights == nil || len(s.Weights) == len(s.Targets) {
		for k := range s.Targets {
			v.Weights = append(v.Weights, s.Weight(int32(k)))
		}
	}
	for _, r := range s.Records {
		v.Records = append(v.Records, normRecord(r))
	}
	return v
}

// checkModel compares everything the store holds with the model: counts,
// every person, every person's ties, absent people, and the snapshot.
// absent lists ids that must not exist.
func checkModel(t *testing.T, s graph.Store, m *model, absent ...graph.ID) {
	t.Helper()
	checkModelEvery(t, s, m, 1, absent...)
}

// checkModelEvery is checkModel reading only every so many people one by
// one (the snapshot and counts still cover everyone), for large models.
func checkModelEvery(t *testing.T, s graph.Store, m *model, every int, absent ...graph.ID) {
	t.Helper()
	ctx := t.Context()
	c, err := s.Counts(ctx)
	require.NoError(t, err)
	assert.Equal(t, m.counts(), c, "counts")
	for i, id := range slices.Sorted(maps.Keys(m.people)) {
		if i%every != 0 {
			continue
		}
		assertPerson(t, s, m.people[id])
		ties, err := s.Ties(ctx, id)
		if assert.NoError(t, err, "ties of %d", id) {
			assert.Equal(t, m.ties(id), append([]graph.Tie{}, ties...), "ties of %d", id)
		}
	}
	for _, id := range absent {
		_, err := s.Person(ctx, id)
		assertErrIs(t, err, graph.ErrNotFound, "person %d must not exist", id)
		_, err = s.Ties(ctx, id)
		assertErrIs(t, err, graph.ErrNotFound, "ties of %d must not exist", id)
	}
	snap, err := s.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, m.snapshot(), viewOf(t, snap), "snapshot")
}

// errSentinel is returned by UpdateRecord callbacks in tests.
var errSentinel = errors.New("graphtest: callback failed")

// fieldOf returns the Field of the *graph.ValidationError in err's chain.
func fieldOf(err error) string {
	var ve *graph.ValidationError
	if errors.As(err, &ve) {
		return ve.Field
	}
	return fmt.Sprintf("(no *graph.ValidationError in %v)", err)
}
