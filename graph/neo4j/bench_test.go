package neo4j

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/neo4jtest"
	"github.com/socialscore/socialscore/seed"
)

// Benchmarks run against the test server (see main_test.go) on a network
// of benchPeople people and about benchFriends friendships
// (NEO4J_BENCH_PEOPLE and NEO4J_BENCH_FRIENDS override them;
// NEO4J_BENCH_REUSE=1 reuses a database already holding that network,
// NEO4J_BENCH_REUSE=any whatever network it holds, for the read
// benchmarks):
//
//	go test ./graph/neo4j/ -run '^$' -bench . -benchtime 1x
var (
	benchPeople  = envInt("NEO4J_BENCH_PEOPLE", 100_000)
	benchFriends = envInt("NEO4J_BENCH_FRIENDS", 500_000)
)

func envInt(key string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(key)); err == nil && v > 0 {
		return v
	}
	return def
}

// genBatch returns n people (ids 1..n, nine in ten consenting) and f
// distinct random friendships, plus a recruitment for one person in ten.
func genBatch(n, f int, seed uint64) graph.Batch {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	var b graph.Batch
	b.People = make([]graph.Person, n)
	for i := range b.People {
		id := graph.ID(i + 1)
		b.People[i] = graph.Person{
			ID:      id,
			Consent: rng.IntN(10) != 0,
			Profile: graph.Profile{Provided: graph.FieldSet(rng.IntN(128))},
			Record: graph.Record{
				PurchaseTotal: float64(rng.IntN(100000)) / 100, PurchaseCount: int64(rng.IntN(50)),
				BillsOnTime: int64(rng.IntN(30)), BillsLate: int64(rng.IntN(3)),
				CreditOnTime: int64(rng.IntN(20)), CreditLate: int64(rng.IntN(2)),
				LastEventAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(1e6)) * time.Minute),
			},
		}
	}
	seen := make(map[[2]graph.ID]bool, f)
	b.Ties = make([]graph.Tie, 0, f+n/10)
	for len(seen) < f && f < n*(n-1)/2 {
		a, z := graph.ID(rng.IntN(n)+1), graph.ID(rng.IntN(n)+1)
		if a == z {
			continue
		}
		if a > z {
			a, z = z, a
		}
		if seen[[2]graph.ID{a, z}] {
			continue
		}
		seen[[2]graph.ID{a, z}] = true
		w := 0.0
		if rng.IntN(4) == 0 {
			w = float64(rng.IntN(4)+1) / 2
		}
		b.Ties = append(b.Ties, graph.Tie{Kind: graph.Friend, From: a, To: z, Weight: w})
	}
	for i := 0; i < n; i += 10 {
		recruit := graph.ID(i + 1)
		by := graph.ID(rng.IntN(n) + 1)
		if by != recruit {
			b.Ties = append(b.Ties, graph.Tie{Kind: graph.Recruited, From: by, To: recruit})
		}
	}
	return b
}

// BenchmarkApplyBatch loads benchPeople people into an empty database in
// one ApplyBatch: "seed" the network `socialscore seed` generates (about
// 5.3 ties per person, every weight 1), "random" genBatch's (benchFriends
// random friendships, a quarter of them weighted). Besides rels/s it
// reports the server's CPU per 1,000 relationships, which other work on a
// shared machine disturbs far less than the wall-clock rate.
func BenchmarkApplyBatch(b *testing.B) {
	b.Run("seed", func(b *testing.B) {
		batch, err := seed.Generate(seed.Config{People: benchPeople, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		benchApplyBatch(b, batch)
	})
	b.Run("random", func(b *testing.B) { benchApplyBatch(b, genBatch(benchPeople, benchFriends, 1)) })
}

func benchApplyBatch(b *testing.B, batch graph.Batch) {
	s := openEmpty(b, func(c *Config) {
		c.TxRows = envInt("NEO4J_BENCH_TXROWS", 0)
		c.SplitTxRows = envInt("NEO4J_BENCH_SPLITTXROWS", 0)
		c.Writers = envInt("NEO4J_BENCH_WRITERS", 0)
	})
	defer s.Close()
	ctx := context.Background()
	var cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := wipe(ctx, s); err != nil {
			b.Fatal(err)
		}
		cpu -= serverCPU(b)
		b.StartTimer()
		if err := s.ApplyBatch(ctx, batch); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		cpu += serverCPU(b)
		b.StartTimer()
	}
	b.StopTimer()
	secs := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(len(batch.Ties))/secs, "rels/s")
	b.ReportMetric(float64(len(batch.People)+len(batch.Ties))/secs, "rows/s")
	if cpu > 0 { // server CPU over the loads
		b.ReportMetric(cpu.Seconds()*1000/(float64(len(batch.Ties))*float64(b.N)/1000), "server-cpu-ms/krel")
	}
}

// benchLoaded is set while the database holds genBatch's network (and
// the results of SaveRun benchmarks); openEmpty clears it.
var benchLoaded bool

// loaded opens a store holding genBatch's network, loading it unless an
// earlier benchmark did.
func loaded(b *testing.B) (*Store, graph.Batch) {
	b.Helper()
	if os.Getenv("NEO4J_BENCH_REUSE") == "any" {
		// Whatever network the database holds (socialscore seed's, say).
		s, err := Open(context.Background(), testConfig(b))
		if err != nil {
			b.Fatal(err)
		}
		return s, graph.Batch{}
	}
	batch := genBatch(benchPeople, benchFriends, 1)
	if !benchLoaded && os.Getenv("NEO4J_BENCH_REUSE") != "" {
		// Reuse a database an earlier run loaded, if its counts match.
		s, err := Open(context.Background(), testConfig(b))
		if err != nil {
			b.Fatal(err)
		}
		c, err := s.Counts(context.Background())
		s.Close()
		if err != nil {
			b.Fatal(err)
		}
		friends := 0
		for _, t := range batch.Ties {
			if t.Kind == graph.Friend {
				friends++
			}
		}
		benchLoaded = c.People == len(batch.People) && c.Friendships == friends
	}
	if benchLoaded {
		s, err := Open(context.Background(), testConfig(b))
		if err != nil {
			b.Fatal(err)
		}
		return s, batch
	}
	s := openEmpty(b, nil)
	t0 := time.Now()
	if err := s.ApplyBatch(context.Background(), batch); err != nil {
		s.Close()
		b.Fatal(err)
	}
	b.Logf("loaded %d people and %d ties in %v", len(batch.People), len(batch.Ties), time.Since(t0).Round(time.Millisecond))
	benchLoaded = true
	return s, batch
}

// BenchmarkSnapshot reads the network: "fresh" from the database
// (FreshSnapshot; NEO4J_BENCH_READERS sets Config.SnapshotReaders),
// "cached" from a current snapshot image (Snapshot with a cache), "old"
// the read before issue 15 (oldsnapshot_test.go), in the same run. It
// reports the stored relationships (friendships and recruitments, as
// Counts gives them) read per second, and the server's and this
// process's CPU per read.
func BenchmarkSnapshot(b *testing.B) {
	s, _ := loaded(b)
	defer s.Close()
	ctx := context.Background()
	c, err := s.Counts(ctx)
	if err != nil {
		b.Fatal(err)
	}
	s.cfg.SnapshotReaders = envInt("NEO4J_BENCH_READERS", s.cfg.SnapshotReaders)
	s.snapshotPage = envInt("NEO4J_BENCH_PAGE", s.snapshotPage)
	cache := b.TempDir()
	run := func(b *testing.B, read func(context.Context) (*graph.Snapshot, error)) {
		var snap *graph.Snapshot
		var server, client time.Duration
		for b.Loop() {
			server -= serverCPU(b)
			client -= processCPU()
			var err error
			if snap, err = read(ctx); err != nil {
				b.Fatal(err)
			}
			server += serverCPU(b)
			client += processCPU()
		}
		secs := b.Elapsed().Seconds() / float64(b.N)
		b.ReportMetric(float64(c.Friendships+c.Recruitments)/secs, "rels/s")
		b.ReportMetric(server.Seconds()/float64(b.N), "server-cpu-s/op")
		b.ReportMetric(client.Seconds()/float64(b.N), "client-cpu-s/op")
		b.ReportMetric(float64(snap.Len()), "people")
		b.ReportMetric(float64(snap.Friendships()), "friendships")
	}
	b.Run("fresh", func(b *testing.B) { run(b, s.FreshSnapshot) })
	b.Run("cached", func(b *testing.B) {
		s.cfg.SnapshotCache = cache
		defer func() { s.cfg.SnapshotCache = "" }()
		if _, err := s.Snapshot(ctx); err != nil { // writes the image
			b.Fatal(err)
		}
		run(b, s.Snapshot)
	})
	if os.Getenv("NEO4J_BENCH_OLD") != "0" {
		b.Run("old", func(b *testing.B) { run(b, s.oldSnapshot) })
	}
}

// benchResults returns a result for every consenting person.
func benchResults(batch graph.Batch) []graph.Result {
	var out []graph.Result
	for _, p := range batch.People {
		if !p.Consent {
			continue
		}
		x := float64(p.ID%1000) / 1000
		out = append(out, graph.Result{
			ID: p.ID, Score: 350 + int(p.ID%600), Individual: 350 + int(p.ID%599),
			Pillars: graph.Pillars{Purchase: x, Info: x / 2, Bills: 1 - x, Credit: 0.5, Recruitment: x / 3},
			Base:    x, Network: x * 0.9, PageRank: 1 / float64(len(batch.People)), Percentile: 100 * x,
			Friends: int32(p.ID % 13), FriendMean: 600 + 100*x,
		})
	}
	return out
}

func BenchmarkSaveRun(b *testing.B) {
	s, batch := loaded(b)
	defer s.Close()
	ctx := context.Background()
	results := benchResults(batch)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run := graph.Run{ID: fmt.Sprintf("bench-%s-%06d", randomHex(4), i), Policy: "sesame", StartedAt: time.Now(), FinishedAt: time.Now(), People: len(results)}
		if err := s.SaveRun(ctx, run, results); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(len(results))*float64(b.N)/b.Elapsed().Seconds(), "results/s")
}

func BenchmarkLatestRunAndHistory(b *testing.B) {
	s, batch := loaded(b)
	defer s.Close()
	ctx := context.Background()
	results := benchResults(batch)
	for i := range 3 {
		run := graph.Run{ID: fmt.Sprintf("bench-%s-%06d", randomHex(4), i), Policy: "sesame", StartedAt: time.Now(), FinishedAt: time.Now()}
		if err := s.SaveRun(ctx, run, results); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("LatestRun", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			_, rs, err := s.LatestRun(ctx)
			if err != nil || len(rs) != len(results) {
				b.Fatal(err, len(rs))
			}
		}
	})
	b.Run("History", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			id := results[i%len(results)].ID
			h, err := s.History(ctx, id, 10)
			if err != nil || len(h) < 3 {
				b.Fatal(err, len(h))
			}
		}
	})
	next := 0
	b.Run("DeletePerson", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			next++
			if err := s.DeletePerson(ctx, results[(next*7919)%len(results)].ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	benchLoaded = false // people were deleted
}

// serverCPU returns the CPU time the server process has used, or 0 when
// it is not known: its pid is NEO4J_PID or the one TestMain started.
// Comparing server CPU per row, not only wall time, keeps measurements
// meaningful on a machine shared with other work.
func serverCPU(tb testing.TB) time.Duration {
	pid := os.Getenv("NEO4J_PID")
	if dir := neo4jtest.Shared(tb).Dir; pid == "" && dir != "" {
		b, _ := os.ReadFile(filepath.Join(dir, "neo4j.pid"))
		pid = strings.TrimSpace(string(b))
	}
	if pid == "" {
		return 0
	}
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	stat := string(b)
	f := strings.Fields(stat[strings.LastIndex(stat, ")")+2:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// BenchmarkWriteGeneration measures what bumping the snapshot generation
// costs writes: NEO4J_BENCH_WRITERS goroutines (default 4) make writes of
// one kind, in alternating blocks of 100 with and without the bump
// (Store.noGen), so both see the same machine; it reports the writes per
// second of each, their ratio, and the server's CPU per write of each.
// "batch" is an ApplyBatch of 50 new people and 100 ties, one
// transaction, in blocks of 20. The database is emptied at the end.
func BenchmarkWriteGeneration(b *testing.B) {
	s := openEmpty(b, nil)
	defer s.Close()
	ctx := context.Background()
	defer func() { _ = wipe(ctx, s) }()
	const people = 10_000
	if err := s.ApplyBatch(ctx, genBatch(people, 3*people, 11)); err != nil {
		b.Fatal(err)
	}
	writers := envInt("NEO4J_BENCH_WRITERS", 4)
	var nextID atomic.Int64
	nextID.Store(people)
	kinds := map[string]func(rng *rand.Rand) error{
		"UpdateRecord": func(rng *rand.Rand) error {
			_, err := s.UpdateRecord(ctx, graph.ID(1+rng.IntN(people)), func(r *graph.Record) error { r.PurchaseCount++; return nil })
			return err
		},
		"PutTie": func(rng *rand.Rand) error {
			a, z := graph.ID(1+rng.IntN(people)), graph.ID(1+rng.IntN(people))
			if a == z {
				z = a%people + 1
			}
			return s.PutTie(ctx, graph.Tie{Kind: graph.Friend, From: a, To: z, Weight: float64(1 + rng.IntN(3))})
		},
		"batch": func(rng *rand.Rand) error {
			first := graph.ID(nextID.Add(50) - 49)
			var bt graph.Batch
			for i := range graph.ID(50) {
				bt.People = append(bt.People, graph.Person{ID: first + i, Consent: true, Record: graph.NeutralRecord()})
				bt.Ties = append(bt.Ties,
					graph.Tie{Kind: graph.Friend, From: first + i, To: graph.ID(1 + rng.IntN(people))},
					graph.Tie{Kind: graph.Friend, From: first + i, To: graph.ID(1 + rng.IntN(people))})
			}
			slices.SortFunc(bt.Ties, compareTies)
			bt.Ties = slices.Compact(bt.Ties)
			return s.ApplyBatch(ctx, bt)
		},
	}
	for _, name := range []string{"UpdateRecord", "PutTie", "batch"} {
		write := kinds[name]
		b.Run(name, func(b *testing.B) {
			block := 100
			if name == "batch" {
				block = 20
			}
			var took [2]time.Duration // [with, without]
			var cpu [2]time.Duration
			var n [2]int
			round := 0
			for b.Loop() {
				for _, without := range []bool{round%2 == 1, round%2 == 0} {
					k := 0
					if without {
						k = 1
					}
					s.noGen = without
					cpu[k] -= serverCPU(b)
					t0 := time.Now()
					var wg sync.WaitGroup
					var failed atomic.Value
					for w := range writers {
						wg.Add(1)
						go func() {
							defer wg.Done()
							rng := rand.New(rand.NewPCG(uint64(round), uint64(w)))
							for range block / writers {
								if err := write(rng); err != nil {
									failed.Store(err)
									return
								}
							}
						}()
					}
					wg.Wait()
					took[k] += time.Since(t0)
					cpu[k] += serverCPU(b)
					n[k] += block / writers * writers
					if err, _ := failed.Load().(error); err != nil {
						b.Fatal(err)
					}
				}
				round++
			}
			s.noGen = false
			with, without := float64(n[0])/took[0].Seconds(), float64(n[1])/took[1].Seconds()
			b.ReportMetric(with, "writes/s-gen")
			b.ReportMetric(without, "writes/s-nogen")
			b.ReportMetric(with/without, "gen/nogen")
			if cpu[0] > 0 {
				b.ReportMetric(float64(cpu[0].Microseconds())/float64(n[0]), "server-cpu-us/write-gen")
				b.ReportMetric(float64(cpu[1].Microseconds())/float64(n[1]), "server-cpu-us/write-nogen")
			}
		})
	}
}
