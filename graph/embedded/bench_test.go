package embedded_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/embedded"
)

// genBatch returns n people (ids 1..n, nine in ten consenting) with m
// random friendships (one in ten weighted) and n/10 recruitments.
func genBatch(n, m int) graph.Batch {
	rng := rand.New(rand.NewPCG(uint64(n), uint64(m)))
	b := graph.Batch{People: make([]graph.Person, n), Ties: make([]graph.Tie, 0, m+n/10)}
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range b.People {
		id := graph.ID(i + 1)
		b.People[i] = graph.Person{
			ID: id, Consent: rng.IntN(10) != 0,
			Profile: graph.Profile{Provided: 0x1f, Verified: 0x3},
			Record: graph.Record{PurchaseTotal: float64(rng.IntN(5000)), PurchaseCount: int64(rng.IntN(50)),
				BillsOnTime: int64(rng.IntN(24)), BillsLate: int64(rng.IntN(3)), CreditOnTime: int64(rng.IntN(12)),
				LastEventAt: at.Add(time.Duration(rng.IntN(1e6)) * time.Second)},
		}
	}
	for len(b.Ties) < m {
		a, z := graph.ID(rng.IntN(n)+1), graph.ID(rng.IntN(n)+1)
		if a == z {
			continue
		}
		w := 0.0
		if rng.IntN(10) == 0 {
			w = float64(rng.IntN(4)+2) / 2
		}
		b.Ties = append(b.Ties, graph.Tie{Kind: graph.Friend, From: a, To: z, Weight: w})
	}
	for _, i := range rng.Perm(n)[:n/10] {
		by := graph.ID(rng.IntN(n) + 1)
		if by != graph.ID(i+1) {
			b.Ties = append(b.Ties, graph.Tie{Kind: graph.Recruited, From: by, To: graph.ID(i + 1)})
		}
	}
	return b
}

// genPeople returns n consenting people, ids 1..n.
func genPeople(n int) []graph.Person {
	ps := genBatch(n, 0).People
	for i := range ps {
		ps[i].Consent = true
	}
	return ps
}

func genResults(n int) []graph.Result {
	rs := make([]graph.Result, n)
	for i := range rs {
		rs[i] = graph.Result{ID: graph.ID(i + 1), Score: 350 + i%600, Individual: 400 + i%500,
			Pillars: graph.Pillars{Purchase: 0.5, Info: 0.25, Bills: 0.75, Credit: 0.125, Recruitment: 0.1},
			Base:    0.6, Network: 0.55, PageRank: 1.0 / float64(n), Percentile: float64(i%100) + 0.5, Friends: int32(i % 20), FriendMean: 612.5}
	}
	return rs
}

func openBench(b *testing.B, dir string) *embedded.Store {
	b.Helper()
	s, err := embedded.Open(filepath.Join(dir, "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkApplyBatch loads 100k people and 500k friendships (plus 10k
// recruitments) into an empty store in one batch.
func BenchmarkApplyBatch(b *testing.B) {
	batch := genBatch(100_000, 500_000)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		s := openBench(b, dir)
		b.StartTimer()
		if err := s.ApplyBatch(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(len(batch.Ties))*float64(b.N)/b.Elapsed().Seconds(), "ties/s")
}

// BenchmarkSnapshot reads 100k people and 500k friendships from bbolt
// (the store is opened without its snapshot image).
func BenchmarkSnapshot(b *testing.B) {
	s, err := embedded.Open(filepath.Join(b.TempDir(), "bench.db"), embedded.WithoutImage())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.ApplyBatch(b.Context(), genBatch(100_000, 500_000)); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		snap, err := s.Snapshot(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		if snap.Len() == 0 {
			b.Fatal("empty snapshot")
		}
	}
}

// BenchmarkSnapshotImage reads the same network as BenchmarkSnapshot from
// the store's current snapshot image.
func BenchmarkSnapshotImage(b *testing.B) {
	s := openBench(b, b.TempDir())
	defer s.Close()
	if err := s.ApplyBatch(b.Context(), genBatch(100_000, 500_000)); err != nil {
		b.Fatal(err)
	}
	if _, err := s.Snapshot(b.Context()); err != nil { // saves the image
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		snap, err := s.Snapshot(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		if snap.Len() == 0 {
			b.Fatal("empty snapshot")
		}
	}
}

// BenchmarkSnapshotImage1M compares, on 1M people and 5M friendships, the
// read of the snapshot from bbolt (FreshSnapshot, decoding every record)
// with the read of its image (Snapshot when the image is current),
// reporting both in seconds, their ratio, the seconds to save the image
// and its size. It runs only when SOCIALSCORE_BENCH_1M=1:
//
//	SOCIALSCORE_BENCH_1M=1 go test -run '^$' -bench SnapshotImage1M -benchtime 3x ./graph/embedded/
func BenchmarkSnapshotImage1M(b *testing.B) {
	if os.Getenv("SOCIALSCORE_BENCH_1M") != "1" {
		b.Skip("set SOCIALSCORE_BENCH_1M=1 to run")
	}
	dir := b.TempDir()
	s := openBench(b, dir)
	defer s.Close()
	if err := s.ApplyBatch(b.Context(), genBatch(1_000_000, 5_000_000)); err != nil {
		b.Fatal(err)
	}
	var fresh, save, image time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		snap, err := s.FreshSnapshot(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		fresh += time.Since(t0)
		t0 = time.Now()
		if err := s.SaveImage(b.Context(), snap); err != nil {
			b.Fatal(err)
		}
		save += time.Since(t0)
		snap = nil
		t0 = time.Now()
		got, err := s.Snapshot(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		image += time.Since(t0)
		if got.Friendships() == 0 {
			b.Fatal("no friendships")
		}
	}
	fi, err := os.Stat(embedded.ImagePath(filepath.Join(dir, "bench.db")))
	if err != nil {
		b.Fatal(err)
	}
	n := float64(b.N)
	b.ReportMetric(fresh.Seconds()/n, "bbolt-s")
	b.ReportMetric(image.Seconds()/n, "image-s")
	b.ReportMetric(fresh.Seconds()/image.Seconds(), "bbolt/image")
	b.ReportMetric(save.Seconds()/n, "save-s")
	b.ReportMetric(float64(fi.Size())/(1<<20), "image-MB")
}

// BenchmarkSaveRun saves runs of 100k results; after the first 20 each
// save also prunes the oldest run.
func BenchmarkSaveRun(b *testing.B) {
	s := openBench(b, b.TempDir())
	defer s.Close()
	const n = 100_000
	if err := s.ApplyBatch(b.Context(), graph.Batch{People: genPeople(n)}); err != nil {
		b.Fatal(err)
	}
	results := genResults(n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.SaveRun(b.Context(), graph.Run{ID: fmt.Sprintf("run-%06d", i), Policy: "sesame"}, results); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "results/s")
}

// BenchmarkHistory reads one person's history over 20 retained runs of
// 100k results.
func BenchmarkHistory(b *testing.B) {
	s := openBench(b, b.TempDir())
	defer s.Close()
	const n = 100_000
	if err := s.ApplyBatch(b.Context(), graph.Batch{People: genPeople(n)}); err != nil {
		b.Fatal(err)
	}
	results := genResults(n)
	for i := range 20 {
		if err := s.SaveRun(b.Context(), graph.Run{ID: fmt.Sprintf("run-%02d", i), Policy: "sesame"}, results); err != nil {
			b.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(1, 1))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h, err := s.History(b.Context(), graph.ID(rng.IntN(n)+1), 20)
		if err != nil || len(h) != 20 {
			b.Fatal(len(h), err)
		}
	}
}

// BenchmarkSeed1M loads 1M people and 5M friendships in one batch, takes
// a snapshot and saves a run of 1M results, reporting the seconds of each
// step, the file size and the peak resident memory of the process. It
// needs a few GB of memory and runs only when SOCIALSCORE_BENCH_1M=1:
//
//	SOCIALSCORE_BENCH_1M=1 go test -run '^$' -bench Seed1M -benchtime 1x ./graph/embedded/
func BenchmarkSeed1M(b *testing.B) {
	if os.Getenv("SOCIALSCORE_BENCH_1M") != "1" {
		b.Skip("set SOCIALSCORE_BENCH_1M=1 to run")
	}
	const n, m = 1_000_000, 5_000_000
	batch := genBatch(n, m)
	results := genResults(n)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		s := openBench(b, dir)
		b.StartTimer()

		t0 := time.Now()
		if err := s.ApplyBatch(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
		apply := time.Since(t0)

		t0 = time.Now()
		snap, err := s.FreshSnapshot(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		snapshot := time.Since(t0)
		if snap.Friendships() == 0 {
			b.Fatal("no friendships")
		}
		snap = nil

		t0 = time.Now()
		if err := s.SaveRun(b.Context(), graph.Run{ID: "r1", Policy: "sesame"}, results); err != nil {
			b.Fatal(err)
		}
		save := time.Since(t0)

		t0 = time.Now()
		if _, err := s.History(b.Context(), 123457, 20); err != nil {
			b.Fatal(err)
		}
		history := time.Since(t0)

		b.StopTimer()
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		s = openBench(b, dir) // bbolt rebuilds the freelist on open
		reopen := time.Since(t0)
		_ = s.Close()
		fi, err := os.Stat(filepath.Join(dir, "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(apply.Seconds(), "apply-s")
		b.ReportMetric(snapshot.Seconds(), "snapshot-s")
		b.ReportMetric(save.Seconds(), "saverun-s")
		b.ReportMetric(float64(history.Microseconds()), "history-µs")
		b.ReportMetric(reopen.Seconds(), "reopen-s")
		b.ReportMetric(float64(fi.Size())/(1<<20), "file-MB")
		var ru syscall.Rusage
		if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
			b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB") // Maxrss is in KiB on Linux
		}
		b.StartTimer()
	}
}

// BenchmarkSaveRunFrom saves runs of 1M results streamed from a function
// (as Runner.Run does), several transactions each, and reports the bytes
// allocated per result saved: bounded by the transaction size, not by the
// run (SaveRun once encoded every result into one buffer and wrote them
// in one transaction).
func BenchmarkSaveRunFrom(b *testing.B) {
	s := openBench(b, b.TempDir())
	defer s.Close()
	const n = 1_000_000
	if err := s.ApplyBatch(b.Context(), graph.Batch{People: genPeople(n)}); err != nil {
		b.Fatal(err)
	}
	at := func(i int) graph.Result {
		return graph.Result{ID: graph.ID(i + 1), Score: 350 + i%600, Individual: 400 + i%500, Base: 0.6, Network: 0.55,
			PageRank: 1.0 / n, Percentile: float64(i%100) + 0.5, Friends: int32(i % 20), FriendMean: 612.5}
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.SaveRunFrom(b.Context(), graph.Run{ID: fmt.Sprintf("run-%06d", i), Policy: "sesame"}, n, at); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "results/s")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/n, "B/result")
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB") // Maxrss is in KiB on Linux
	}
}
