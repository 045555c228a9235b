package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/neo4j"
	"github.com/socialscore/socialscore/internal/neo4jtest"
	"github.com/socialscore/socialscore/seed"
)

// BenchmarkLiveWritesHTTP measures writes through the HTTP API with live
// scores on, on the embedded store and on Neo4j: a seeded network
// (seed.Generate, mean degree 10) is stored and scored, the live view
// built, then friendships are put and deleted again (each an
// acknowledged change) at a fixed rate for a while, open loop: 64
// writers, write k due at start + k/rate, its latency counted from when
// it was due (a server that falls behind shows it). It reports the
// latency p50/p99/max in ms, the acknowledged changes per second and the
// process's CPU per write (server and client: they share the process).
//
//	go test -run '^$' -bench LiveWritesHTTP -benchtime 1x ./api/
//
// BENCH_LIVE_HTTP_PEOPLE (default 20,000), BENCH_LIVE_HTTP_RATE (1,000
// per second) and BENCH_LIVE_HTTP_SECONDS (10) set the size, rate and
// length. The server's CPU per read with and without writes needs the
// server in a process of its own: scripts/live-load.sh.
func BenchmarkLiveWritesHTTP(b *testing.B) {
	people, rate, secs := envInt("BENCH_LIVE_HTTP_PEOPLE", 20_000), envInt("BENCH_LIVE_HTTP_RATE", 1000), envInt("BENCH_LIVE_HTTP_SECONDS", 10)
	stores := []struct {
		name string
		open func(b *testing.B) graph.Store
	}{
		{"embedded", func(b *testing.B) graph.Store { return openTestStore(b) }},
		{"neo4j", func(b *testing.B) graph.Store {
			srv := neo4jtest.Shared(b)
			require.NoError(b, neo4jtest.Wipe(context.Background(), srv))
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			s, err := neo4j.Open(ctx, neo4j.Config{URI: srv.URI, User: srv.User, Password: srv.Password})
			require.NoError(b, err)
			b.Cleanup(func() { _ = s.Close() })
			return s
		}},
	}
	for _, st := range stores {
		b.Run(fmt.Sprintf("%s/people=%d/rate=%d", st.name, people, rate), func(b *testing.B) {
			for range b.N {
				benchLiveWrites(b, st.open(b), people, rate, time.Duration(secs)*time.Second)
			}
		})
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func benchLiveWrites(b *testing.B, store graph.Store, people, rate int, d time.Duration) {
	ctx := context.Background()
	batch, err := seed.Generate(seed.Config{People: people, Seed: 1})
	require.NoError(b, err)
	t0 := time.Now()
	require.NoError(b, store.ApplyBatch(ctx, batch))
	b.ReportMetric(time.Since(t0).Seconds(), "load-s")
	e := newTestServer(b, store, func(c *Config) { c.Live = true })
	e.score("sesame")
	ts := httptest.NewServer(e.h)
	defer ts.Close()
	client := ts.Client()
	const writers = 64
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = writers
	do := func(method, path string) (int, error) {
		req, _ := http.NewRequest(method, ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+lenderKey)
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	t1 := time.Now()
	code, err := do(http.MethodGet, "/v1/people/1/score") // builds the live view
	require.NoError(b, err)
	require.Equal(b, http.StatusOK, code)
	b.ReportMetric(time.Since(t1).Seconds(), "live-build-s")

	interval := time.Second / time.Duration(rate)
	total := int(d / interval)
	var acked, failed atomic.Int64
	lat := make([][]time.Duration, writers)
	b.ResetTimer()
	cpu0 := processCPU()
	start := time.Now().Add(50 * time.Millisecond)
	var last atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for k := w; k < total; k += writers {
				due := start.Add(time.Duration(k) * interval)
				time.Sleep(time.Until(due))
				turn := k / writers
				pair := (turn/2)*writers + w
				a := pair*7919%people + 1
				c := (pair*104729+17)%people + 1
				if a == c {
					c = c%people + 1
				}
				method := http.MethodPut
				if turn%2 == 1 {
					method = http.MethodDelete
				}
				code, err := do(method, "/v1/friendships/"+strconv.Itoa(a)+"/"+strconv.Itoa(c))
				if err != nil || code/100 != 2 {
					failed.Add(1)
					continue
				}
				acked.Add(1)
				lat[w] = append(lat[w], time.Since(due))
				if now := time.Since(start).Nanoseconds(); now > last.Load() {
					last.Store(now) // racy max, fine for a rate
				}
			}
		}(w)
	}
	wg.Wait()
	cpu := processCPU() - cpu0
	b.StopTimer()
	all := slices.Concat(lat...)
	require.NotEmpty(b, all)
	slices.Sort(all)
	q := func(f float64) float64 { return all[min(len(all)-1, int(f*float64(len(all))))].Seconds() * 1000 }
	b.ReportMetric(q(0.5), "write-p50-ms")
	b.ReportMetric(q(0.99), "write-p99-ms")
	b.ReportMetric(q(1), "write-max-ms")
	b.ReportMetric(float64(acked.Load())/time.Duration(last.Load()).Seconds(), "changes/s")
	b.ReportMetric(float64(failed.Load()), "failed")
	// CPU of this process (server and the 64 writers) per write: on a
	// shared machine the wall-clock rate is that of the share it got.
	b.ReportMetric(cpu.Seconds()*1e6/float64(acked.Load()+failed.Load()), "cpu-µs/write")
	_, n := e.srv.live.cur.Load().eng.AsOf()
	b.ReportMetric(float64(n), "live-changes")
}
