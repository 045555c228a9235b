package seed_test

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/neo4j"
	"github.com/socialscore/socialscore/internal/neo4jtest"
	"github.com/socialscore/socialscore/seed"
)

// The Neo4j tests here run against a live server (see internal/neo4jtest);
// they never skip.
func TestMain(m *testing.M) {
	os.Exit(neo4jtest.Main(m))
}

// storeDump is everything a store holds about its people: each person as
// Person returns them and their ties as Ties returns them, sorted.
type storeDump struct {
	people []graph.Person
	ties   [][]graph.Tie
	counts graph.Counts
}

// dumpStore reads people 1..n (ids as given) and their ties through the
// store's API, on a few connections at once.
func dumpStore(t *testing.T, s graph.Store, ids []graph.ID) storeDump {
	t.Helper()
	ctx := context.Background()
	d := storeDump{people: make([]graph.Person, len(ids)), ties: make([][]graph.Tie, len(ids))}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for w := range 8 {
		wg.Go(func() {
			for k := w; k < len(ids); k += 8 {
				p, err := s.Person(ctx, ids[k])
				if err != nil {
					errs[w] = fmt.Errorf("person %d: %w", ids[k], err)
					return
				}
				ts, err := s.Ties(ctx, ids[k])
				if err != nil {
					errs[w] = fmt.Errorf("ties of %d: %w", ids[k], err)
					return
				}
				slices.SortFunc(ts, func(a, b graph.Tie) int {
					return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
				})
				d.people[k], d.ties[k] = p, ts
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	var err error
	d.counts, err = s.Counts(ctx)
	require.NoError(t, err)
	return d
}

// openNeo4jEmpty wipes the test server's database and opens a store on it
// with a fixed clock.
func openNeo4jEmpty(t testing.TB) *neo4j.Store {
	t.Helper()
	srv := neo4jtest.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	require.NoError(t, neo4jtest.Wipe(ctx, srv))
	s, err := neo4j.Open(ctx, neo4j.Config{URI: srv.URI, User: srv.User, Password: srv.Password,
		Clock: func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }})
	require.NoError(t, err)
	return s
}

// TestLoadChunksNeo4jEqualsApplyBatch: a Neo4j store loaded by LoadChunks
// from a streamed population (20,000 people, in batches of 3,000 people
// with their ties to earlier people) holds the same people, person by
// person, and the same ties, tie by tie, as one loaded from Generate with
// one ApplyBatch (the path before streaming); the same for an import.
func TestLoadChunksNeo4jEqualsApplyBatch(t *testing.T) {
	ctx := context.Background()
	cfg := seed.Config{People: 20_000, Seed: 3, ConsentShare: 0.9}
	ids := make([]graph.ID, cfg.People)
	for i := range ids {
		ids[i] = graph.ID(i + 1)
	}

	batch, err := seed.Generate(cfg)
	require.NoError(t, err)
	a := openNeo4jEmpty(t)
	require.NoError(t, a.ApplyBatch(ctx, batch))
	want := dumpStore(t, a, ids)
	require.NoError(t, a.Close())

	net, err := seed.Stream(cfg)
	require.NoError(t, err)
	b := openNeo4jEmpty(t)
	batches := 0
	require.NoError(t, seed.LoadChunks(ctx, b, net, 3000, func(int) { batches++ }))
	got := dumpStore(t, b, ids)
	require.NoError(t, b.Close())
	require.Equal(t, 7, batches)
	require.Positive(t, want.counts.Recruitments)
	require.Less(t, want.counts.Consenting, want.counts.People)
	require.Equal(t, want, got)

	// An import: an edge list with ids 0, 2, 4, ... (shifted by 1) and a
	// people file.
	var edges strings.Builder
	small, err := seed.Stream(seed.Config{People: 2000, Seed: 8})
	require.NoError(t, err)
	for i := range small.Len() {
		for _, j := range small.Friends(i) {
			if int(j) > i {
				fmt.Fprintf(&edges, "%d %d\n", 2*i, 2*int(j))
			}
		}
	}
	people := "id,consent,bills_late\n0,false,\n2,true,3\n7,true,\n"
	ib, _, err := seed.ImportBatch(strings.NewReader(edges.String()), strings.NewReader(people))
	require.NoError(t, err)
	in, _, err := seed.ImportNetwork(strings.NewReader(edges.String()), strings.NewReader(people))
	require.NoError(t, err)
	iids := make([]graph.ID, in.Len())
	for i := range iids {
		iids[i] = in.ID(i)
	}
	a = openNeo4jEmpty(t)
	require.NoError(t, a.ApplyBatch(ctx, ib))
	want = dumpStore(t, a, iids)
	require.NoError(t, a.Close())
	b = openNeo4jEmpty(t)
	require.NoError(t, seed.LoadChunks(ctx, b, in, 700, nil))
	got = dumpStore(t, b, iids)
	require.NoError(t, b.Close())
	require.Equal(t, want, got)
}

// BenchmarkNeo4jLoad seeds an empty Neo4j store with 100,000 people
// (SOCIALSCORE_BENCH_LOAD_PEOPLE to change it) the streamed way
// (seed.Stream and LoadChunks) or the old way (seed.Generate and one
// ApplyBatch), reporting relationships per second and the peak resident
// memory of the test process (run each in a process of its own, since the
// peak is the process's):
//
//	go test -run '^$' -bench 'Neo4jLoad/streamed' -benchtime 1x ./seed/
//	go test -run '^$' -bench 'Neo4jLoad/batch' -benchtime 1x ./seed/
func BenchmarkNeo4jLoad(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("SOCIALSCORE_BENCH_LOAD_PEOPLE")); err == nil && v > 0 {
		n = v
	}
	cfg := seed.Config{People: n, Seed: 1}
	for _, streamed := range []bool{true, false} {
		name := "batch"
		if streamed {
			name = "streamed"
		}
		b.Run(fmt.Sprintf("%s/people=%d", name, n), func(b *testing.B) {
			ties := 0
			for b.Loop() {
				b.StopTimer()
				s := openNeo4jEmpty(b)
				b.StartTimer()
				if streamed {
					net, err := seed.Stream(cfg)
					if err != nil {
						b.Fatal(err)
					}
					ties = net.Friendships() + net.Recruitments()
					if err := seed.LoadChunks(b.Context(), s, net, 0, nil); err != nil {
						b.Fatal(err)
					}
				} else {
					batch, err := seed.Generate(cfg)
					if err != nil {
						b.Fatal(err)
					}
					ties = len(batch.Ties)
					if err := s.ApplyBatch(b.Context(), batch); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				_ = s.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(ties)*float64(b.N)/b.Elapsed().Seconds(), "rels/s")
			var ru syscall.Rusage
			if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
				b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB") // KiB on Linux
			}
		})
	}
}
