package api

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// benchPeople is the size of the network the score benchmarks read from.
const benchPeople = 20000

// newBenchServer stores benchPeople consenting people with ~5 friends
// each (seeded), scores them, and returns the server. Rate limits are off
// (a benchmark reads far faster than any key may) unless opts turn them on.
func newBenchServer(b *testing.B, opts ...func(*Config)) *testEnv {
	b.Helper()
	opts = append([]func(*Config){func(c *Config) { c.RateLimits.Off = true }}, opts...)
	e := newTestServer(b, openTestStore(b), opts...)
	rng := rand.New(rand.NewPCG(1, 2))
	batch := graph.Batch{People: make([]graph.Person, benchPeople)}
	for i := range batch.People {
		rec := graph.NeutralRecord()
		rec.PurchaseTotal = float64(rng.IntN(5000))
		batch.People[i] = graph.Person{ID: graph.ID(i + 1), Consent: true, Record: rec,
			Profile: graph.Profile{Provided: graph.FieldSet(rng.IntN(128)), Verified: 0}}
	}
	for range benchPeople * 5 / 2 {
		a, c := graph.ID(rng.IntN(benchPeople)+1), graph.ID(rng.IntN(benchPeople)+1)
		if a != c {
			batch.Ties = append(batch.Ties, graph.Tie{Kind: graph.Friend, From: a, To: c})
		}
	}
	require.NoError(b, e.store.ApplyBatch(context.Background(), batch))
	e.score("sesame")
	return e
}

// discardWriter is a reusable http.ResponseWriter that keeps only the
// status, so the benchmark measures the server rather than the recorder.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *discardWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(b)
	return len(b), nil
}
func (w *discardWriter) reset() {
	clear(w.h)
	w.status, w.n = 0, 0
}

// BenchmarkGetScore measures GET /v1/people/{id}/score in-process: routing,
// middleware (request id, metrics, auth), lookup, explanation (afresh on
// every read, as a person's first read after a run), audit record and
// encoding. Requests are built once and reused (a real server pools its
// request buffers too); see BenchmarkGetScoreHTTP for the cost with
// net/http and a loopback connection.
func BenchmarkGetScore(b *testing.B) {
	benchGetScore(b, newBenchServer(b))
}

// BenchmarkGetScoreApp is BenchmarkGetScore as an app reads: with an app
// key and a declared purpose (?purpose=credit_decision), which is checked
// and recorded.
func BenchmarkGetScoreApp(b *testing.B) {
	benchGetScoreAs(b, newBenchServer(b), roleKeys[graph.RoleApp], "?purpose=credit_decision")
}

// BenchmarkGetScoreRateLimited is BenchmarkGetScoreApp with the key's
// token bucket charged on every read (a rate no benchmark reaches): the
// cost of the rate limit and its RateLimit fields.
func BenchmarkGetScoreRateLimited(b *testing.B) {
	benchGetScoreAs(b, newBenchServer(b, func(c *Config) {
		c.RateLimits = RateLimits{Roles: map[graph.Role]RateLimit{graph.RoleApp: {Rate: 1e12, Burst: 1 << 40}}}
	}), roleKeys[graph.RoleApp], "?purpose=credit_decision")
}

func benchGetScore(b *testing.B, e *testEnv) { benchGetScoreAs(b, e, lenderKey, "") }

func benchGetScoreAs(b *testing.B, e *testEnv, key, query string) {
	reqs := make([]*http.Request, 1024)
	for i := range reqs {
		reqs[i] = httptest.NewRequest(http.MethodGet, "/v1/people/"+strconv.Itoa(i*17%benchPeople+1)+"/score"+query, nil)
		reqs[i].Header.Set("Authorization", "Bearer "+key)
	}
	rawQuery := strings.TrimPrefix(query, "?")
	run := func(pb func() bool) {
		w := &discardWriter{h: http.Header{}}
		for i := 0; pb(); i++ {
			w.reset()
			r := reqs[i%len(reqs)]
			r.URL.RawQuery = rawQuery // the server takes purpose out of the query
			e.h.ServeHTTP(w, r)
			if w.status != http.StatusOK {
				b.Fatalf("status %d", w.status)
			}
		}
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := processCPU()
		run(b.Loop)
		// CPU time of the whole process per read: unlike ns/op it does not
		// count time spent waiting for a core on a busy machine.
		b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) { run(pb.Next) })
	})
}

// BenchmarkGetScoreHTTP measures the same read through net/http over a
// loopback keep-alive connection per client goroutine.
func BenchmarkGetScoreHTTP(b *testing.B) {
	e := newBenchServer(b)
	ts := httptest.NewServer(e.h)
	defer ts.Close()
	client := ts.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			req, _ := http.NewRequest(http.MethodGet, ts.URL+"/v1/people/"+strconv.Itoa(i%benchPeople+1)+"/score", nil)
			req.Header.Set("Authorization", "Bearer "+lenderKey)
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
}

// BenchmarkBatchScores measures POST /v1/scores/batch with 100 ids.
func BenchmarkBatchScores(b *testing.B) {
	e := newBenchServer(b)
	body := `{"ids":[`
	for i := range 100 {
		if i > 0 {
			body += ","
		}
		body += strconv.Itoa(i*97 + 1)
	}
	body += "]}"
	b.ReportAllocs()
	for b.Loop() {
		w := e.do(request{method: http.MethodPost, path: "/v1/scores/batch", body: body})
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body.String())
		}
	}
}

// processCPU is the user and system CPU time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
