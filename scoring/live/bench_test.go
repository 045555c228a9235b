package live

import (
	"bufio"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
	"github.com/socialscore/socialscore/seed"
)

// BenchmarkLive measures the live view on a seeded network
// (seed.Generate, mean degree 10: 1M people have 5M friendships) under
// sesame: the latency of each change (p50, p99, max, in ms) for 10,000
// random tie changes and 10,000 random events applied one after the
// other, the sustained rate over both, the what-if latency (p50, p99) for
// 1,000 what-ifs of a person's events and one new tie, and the accuracy
// against a full run on the changed data afterwards (max and mean
// |Δscore|, max |Δs|, max relative ΔPageRank, max |Δpercentile|). Run it
// once: go test -run '^$' -bench Live -benchtime 1x ./scoring/live/
// (people=1M needs about 3 GB and a few minutes; BENCH_LIVE_PEOPLE sets
// another size).
func BenchmarkLive(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("BENCH_LIVE_PEOPLE")); err == nil && v > 0 {
		n = v
	}
	b.Run("people="+strconv.Itoa(n), func(b *testing.B) {
		for range b.N {
			benchLive(b, n)
		}
	})
}

func benchLive(b *testing.B, n int) {
	p, _ := scoring.Preset(scoring.PolicySesame)
	t0 := time.Now()
	batch, err := seed.Generate(seed.Config{People: n, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	w := newWorld(batch)
	batch = graph.Batch{}
	s := w.snapshot(b)
	results := fullRun(b, s, p)
	b.ReportMetric(float64(s.Friendships()), "friendships")
	b.ReportMetric(time.Since(t0).Seconds(), "setup-s")
	t1 := time.Now()
	var o Options
	o.PropagationTol, _ = strconv.ParseFloat(os.Getenv("BENCH_LIVE_STOL"), 64)
	o.PageRankTol, _ = strconv.ParseFloat(os.Getenv("BENCH_LIVE_YTOL"), 64)
	e, err := New(s, results, p, o)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(time.Since(t1).Seconds()*1000, "new-ms")
	results = nil
	rng := rand.New(rand.NewPCG(3, 4))
	in := w.consenting()

	const k = 10_000
	ties := make([]time.Duration, 0, k)
	events := make([]time.Duration, 0, k)
	// The changes are drawn first (the world's bookkeeping of them is
	// not the live view's work), then applied back to back.
	cs := make([]Change, 2*k)
	for i := range cs {
		if i%2 == 0 {
			cs[i] = w.randomTieChange(rng, in)
		} else {
			cs[i] = w.randomEvent(b, rng, in)
		}
	}
	b.ResetTimer()
	start, cpu0 := time.Now(), processCPU()
	for i, c := range cs {
		t := time.Now()
		if err := e.Apply(c); err != nil {
			b.Fatal(err)
		}
		d := time.Since(t)
		if i%2 == 0 {
			ties = append(ties, d)
		} else {
			events = append(events, d)
		}
	}
	elapsed, cpu := time.Since(start), processCPU()-cpu0
	pushesS, pushesY := e.st.pushesS, e.st.pushesY
	var whatifs []time.Duration
	wcpu0 := processCPU()
	for range 1000 {
		id := in[rng.IntN(len(in))]
		other := in[rng.IntN(len(in))]
		if other == id {
			continue
		}
		cs := []Change{
			{Kind: Events, A: id, Now: testNow, Events: []graph.Event{
				{Type: graph.EventBillPayment, Amount: 10, Due: testNow, Paid: testNow},
				{Type: graph.EventPurchase, Amount: 100, At: testNow},
				{Type: graph.EventCreditPayment, Amount: 10, Due: testNow, Paid: testNow}}},
			{Kind: TieSet, A: id, B: other},
		}
		t := time.Now()
		if _, err := e.WhatIf(id, cs); err != nil {
			b.Fatal(err)
		}
		whatifs = append(whatifs, time.Since(t))
	}
	wcpu := processCPU() - wcpu0
	b.StopTimer()
	q := func(ds []time.Duration, f float64) float64 {
		ds = slices.Clone(ds)
		slices.Sort(ds)
		return ds[min(len(ds)-1, int(f*float64(len(ds))))].Seconds() * 1000
	}
	b.ReportMetric(q(ties, 0.5), "tie-p50-ms")
	b.ReportMetric(q(ties, 0.99), "tie-p99-ms")
	b.ReportMetric(q(ties, 1), "tie-max-ms")
	b.ReportMetric(q(events, 0.5), "event-p50-ms")
	b.ReportMetric(q(events, 0.99), "event-p99-ms")
	b.ReportMetric(q(events, 1), "event-max-ms")
	b.ReportMetric(float64(2*k)/elapsed.Seconds(), "changes/s")
	// The rate per CPU second: on a shared machine the wall-clock rate
	// is that of the share this process got; the CPU rate is what one
	// core sustains (the loop is one goroutine; the collector runs
	// beside it).
	if cpu > 0 {
		b.ReportMetric(float64(2*k)/cpu.Seconds(), "changes/cpu-s")
	}
	b.ReportMetric(q(whatifs, 0.5), "whatif-p50-ms")
	b.ReportMetric(q(whatifs, 0.99), "whatif-p99-ms")
	b.ReportMetric(wcpu.Seconds()*1000/float64(len(whatifs)), "whatif-cpu-ms")
	b.ReportMetric(float64(pushesS)/float64(2*k), "s-pushes/change")
	b.ReportMetric(float64(pushesY)/float64(2*k), "y-pushes/change")

	d := compare(b, e.Results(), fullRun(b, w.snapshot(b), p))
	b.ReportMetric(d.maxScore, "max|Δscore|")
	b.ReportMetric(d.mean(), "mean|Δscore|")
	b.ReportMetric(d.maxS, "max|Δs|")
	b.ReportMetric(d.maxPRRel, "max-relΔPR")
	b.ReportMetric(d.maxPct, "max|Δpct|")
	b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
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
