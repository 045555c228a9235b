package scoring

import (
	"bufio"
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/socialscore/socialscore/graph"
)

// syntheticSnapshot builds a random snapshot of n people and about
// friendships distinct friendships, fast and without the seed package.
//
// Degrees are heavy-tailed (Chung–Lu style): person i gets a propensity
// t_i = ⌊(1−u)^(−1/1.5)⌋, a Pareto tail with exponent 2.5 capped at 1000,
// and appears t_i times in an endpoint table; each friendship joins two
// endpoints drawn uniformly from the table, so the expected degree is
// proportional to t_i. Self-ties and repeats are dropped. Person indices
// are random with respect to degree, so there is no memory locality to
// exploit, as in a real store. Records, profiles and recruitments are
// random too (all from one PCG stream with the seed).
func syntheticSnapshot(n, friendships int, seed uint64) *graph.Snapshot {
	rng := rand.New(rand.NewPCG(seed, 0x50c1a15c02e))
	s := &graph.Snapshot{
		IDs:      make([]graph.ID, n),
		Records:  make([]graph.Record, n),
		Profiles: make([]graph.Profile, n),
	}
	var tableLen int
	prop := make([]int32, n)
	for i := range prop {
		t := int32(min(math.Pow(1-rng.Float64(), -1/1.5), 1000))
		prop[i] = t
		tableLen += int(t)
	}
	table := make([]int32, 0, tableLen)
	for i, t := range prop {
		for range t {
			table = append(table, int32(i))
		}
	}
	prop = nil

	// Edge list → CSR in both directions (counting sort), then sort and
	// deduplicate every row.
	us := make([]int32, friendships)
	vs := make([]int32, friendships)
	deg := make([]int32, n+1)
	for k := range us {
		u := table[rng.IntN(len(table))]
		v := table[rng.IntN(len(table))]
		for u == v {
			v = table[rng.IntN(len(table))]
		}
		us[k], vs[k] = u, v
		deg[u+1]++
		deg[v+1]++
	}
	table = nil
	for i := 0; i < n; i++ {
		deg[i+1] += deg[i]
	}
	offsets := deg
	pos := make([]int32, n)
	copy(pos, offsets[:n])
	targets := make([]int32, offsets[n])
	for k := range us {
		u, v := us[k], vs[k]
		targets[pos[u]] = v
		pos[u]++
		targets[pos[v]] = u
		pos[v]++
	}
	us, vs, pos = nil, nil, nil
	w := int32(0)
	start := int32(0)
	for i := 0; i < n; i++ {
		end := offsets[i+1]
		row := targets[start:end]
		slices.Sort(row)
		offsets[i] = w
		for k, t := range row {
			if k > 0 && t == row[k-1] {
				continue
			}
			targets[w] = t
			w++
		}
		start = end
	}
	offsets[n] = w
	s.Offsets, s.Targets = offsets, slices.Clip(targets[:w])

	// Records and profiles.
	all := graph.FieldSet(1<<graph.NumProfileFields - 1)
	for i := 0; i < n; i++ {
		s.IDs[i] = graph.ID(i + 1)
		r := &s.Records[i]
		r.PurchaseCount = int64(rng.IntN(60))
		if r.PurchaseCount > 0 {
			r.PurchaseTotal = math.Exp(5 + 2*rng.NormFloat64())
		}
		r.BillsOnTime = int64(rng.IntN(36))
		r.CreditOnTime = int64(rng.IntN(24))
		if x := rng.Uint32(); x%4 == 0 {
			r.BillsLate = int64(1 + x>>8%6)
			r.BillDaysLate = r.BillsLate * int64(1+x>>16%45)
		}
		if x := rng.Uint32(); x%6 == 0 {
			r.CreditLate = int64(1 + x>>8%4)
			r.CreditDaysLate = r.CreditLate * int64(1+x>>16%90)
		}
		if rng.IntN(25) == 0 {
			r.Defaults = 1
			r.DefaultAmount = 2000
		}
		provided := graph.FieldSet(rng.Uint32()) & all
		s.Profiles[i] = graph.Profile{Provided: provided, Verified: graph.FieldSet(rng.Uint32()) & provided}
	}

	// Recruitment: a quarter of the people were recruited by someone.
	recruiter := make([]int32, n)
	rdeg := make([]int32, n+1)
	for i := range recruiter {
		recruiter[i] = -1
		if rng.IntN(4) == 0 {
			if r := int32(rng.IntN(n)); int(r) != i {
				recruiter[i] = r
				rdeg[r+1]++
			}
		}
	}
	for i := 0; i < n; i++ {
		rdeg[i+1] += rdeg[i]
	}
	rpos := make([]int32, n)
	copy(rpos, rdeg[:n])
	rt := make([]int32, rdeg[n])
	for i, r := range recruiter {
		if r >= 0 {
			rt[rpos[r]] = int32(i)
			rpos[r]++
		}
	}
	s.RecruitOffsets, s.RecruitTargets = rdeg, rt
	return s
}

var (
	synthMu    sync.Mutex
	synthCache = map[int]*graph.Snapshot{}
)

// cachedSynthetic returns the synthetic snapshot of n people with 5n
// friendship draws, built once per process.
func cachedSynthetic(b *testing.B, n int) *graph.Snapshot {
	synthMu.Lock()
	defer synthMu.Unlock()
	s, ok := synthCache[n]
	if !ok {
		s = syntheticSnapshot(n, 5*n, 42)
		if err := checkSnapshot(s); err != nil {
			b.Fatal(err)
		}
		synthCache[n] = s
	}
	return s
}

// peakRSSMiB returns the process's peak resident set (VmHWM) in MiB, or 0
// where /proc is not available.
func peakRSSMiB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				return 0
			}
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkScoreSnapshot scores synthetic networks of 100k people (≈500k
// friendships) and 1M people (≈5M friendships) under sesame and reports
// every phase in wall-clock ms per run, the process CPU time per run
// (cpu-ms; about 2× the wall time when both cores are busy with this run
// alone), the iteration counts and the process's peak RSS (which includes
// the generator's snapshot). The explain sub-benchmark
// measures one Explain call. Run the 1M case with -benchtime=3x.
func BenchmarkScoreSnapshot(b *testing.B) {
	p, _ := Preset("sesame")
	for _, size := range []struct {
		name string
		n    int
	}{{"people=100k", 100_000}, {"people=1M", 1_000_000}} {
		b.Run(size.name, func(b *testing.B) {
			s := cachedSynthetic(b, size.n)
			b.ReportMetric(float64(s.Friendships()), "friendships")
			var sum Stats
			cpu0 := processCPU()
			b.ResetTimer()
			for range b.N {
				var st Stats
				var err error
				_, st, err = ScoreSnapshot(context.Background(), s, p, Options{})
				if err != nil {
					b.Fatal(err)
				}
				sum.Pillars += st.Pillars
				sum.Propagation += st.Propagation
				sum.PageRank += st.PageRank
				sum.Percentiles += st.Percentiles
				sum.Finalize += st.Finalize
				sum.PropagationIterations += st.PropagationIterations
				sum.PageRankIterations += st.PageRankIterations
			}
			b.StopTimer()
			b.ReportMetric((processCPU()-cpu0).Seconds()*1000/float64(b.N), "cpu-ms")
			ms := func(d interface{ Seconds() float64 }) float64 { return d.Seconds() * 1000 / float64(b.N) }
			b.ReportMetric(ms(sum.Pillars), "pillars-ms")
			b.ReportMetric(ms(sum.Propagation), "propagation-ms")
			b.ReportMetric(ms(sum.PageRank), "pagerank-ms")
			b.ReportMetric(ms(sum.Percentiles), "percentiles-ms")
			b.ReportMetric(ms(sum.Finalize), "finalize-ms")
			b.ReportMetric(float64(sum.PropagationIterations)/float64(b.N), "prop-iters")
			b.ReportMetric(float64(sum.PageRankIterations)/float64(b.N), "pr-iters")
			b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
		})
	}
	b.Run("explain", func(b *testing.B) {
		s := cachedSynthetic(b, 100_000)
		results, _, err := ScoreSnapshot(context.Background(), s, p, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := range b.N {
			_ = Explain(results[i%len(results)], p)
		}
	})
}

// BenchmarkPercentileSort compares the radix sort used by Percentiles with
// sorting indices by value with slices.SortFunc, on 1M PageRank-like
// values.
func BenchmarkPercentileSort(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	values := make([]float64, 1_000_000)
	for i := range values {
		values[i] = rng.ExpFloat64() * 1e-6
	}
	b.Run("radix", func(b *testing.B) {
		for range b.N {
			_ = Percentiles(values)
		}
	})
	b.Run("SortFunc", func(b *testing.B) {
		idx := make([]int32, len(values))
		for range b.N {
			for i := range idx {
				idx[i] = int32(i)
			}
			slices.SortFunc(idx, func(x, y int32) int { return cmp.Compare(values[x], values[y]) })
		}
	})
}

// BenchmarkScorePerPerson reports the bytes a scoring run allocates per
// person (B/person: every allocation of the call, the iterations'
// transient arrays included, divided by the people) and what outlives it
// (kept-B/person): ScoreSnapshot's []graph.Result against ScoreArrays'
// arrays, which a run that streams its results to the store keeps
// instead (Runner.Run with a StreamSaver). Run with -benchtime 1x at 1M.
func BenchmarkScorePerPerson(b *testing.B) {
	p, _ := Preset("sesame")
	for _, size := range []struct {
		name string
		n    int
	}{{"people=100k", 100_000}, {"people=1M", 1_000_000}} {
		s := cachedSynthetic(b, size.n)
		per := func(b *testing.B, run func() any) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			var kept any
			b.ResetTimer()
			for range b.N {
				kept = run()
			}
			b.StopTimer()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/float64(size.n), "B/person")
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(size.n), "kept-B/person")
			runtime.KeepAlive(kept)
		}
		b.Run(size.name+"/ScoreSnapshot", func(b *testing.B) {
			per(b, func() any {
				r, _, err := ScoreSnapshot(context.Background(), s, p, Options{})
				if err != nil {
					b.Fatal(err)
				}
				return r
			})
		})
		b.Run(size.name+"/ScoreArrays", func(b *testing.B) {
			per(b, func() any {
				sc, _, err := ScoreArrays(context.Background(), s, p, Options{})
				if err != nil {
					b.Fatal(err)
				}
				return sc
			})
		})
	}
}
