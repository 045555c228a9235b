package api

import (
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// refBucket is an independent token bucket, written from the textbook
// definition (RFC 2697 §2: a bucket of depth Burst, filled at Rate tokens
// a second, a request takes one token or is refused), not from
// golang.org/x/time/rate which the server uses.
type refBucket struct {
	rate, depth, tokens float64
	last                time.Duration
}

func (b *refBucket) take(at time.Duration) (ok bool, left float64) {
	b.tokens = math.Min(b.depth, b.tokens+b.rate*(at-b.last).Seconds())
	b.last = at
	if b.tokens >= 1 {
		b.tokens--
		return true, b.tokens
	}
	return false, b.tokens
}

// fakeClock is a settable clock for the buckets.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func scoreRead(e *testEnv, key string, id int) *httptest.ResponseRecorder {
	return e.do(request{method: http.MethodGet, path: "/v1/people/" + strconv.Itoa(id) + "/score?purpose=credit_decision",
		header: map[string]string{"Authorization": "Bearer " + key}})
}

// TestRateLimitTwiceTheLimit: an app key reading at twice its limit gets
// exactly the 200s and 429s a token bucket gives (each 429 a problem with
// Retry-After), while another app key reading at its limit, interleaved,
// gets every read. Time is a fake clock stepped by a quarter second, so
// the counts are exact and nothing depends on the machine's speed.
func TestRateLimitTwiceTheLimit(t *testing.T) {
	const rate, burst = 2.0, 4
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	start := clock.Now()
	e := newTestServer(t, openTestStore(t), func(c *Config) {
		c.RateLimits = RateLimits{Roles: map[graph.Role]RateLimit{graph.RoleApp: {Rate: rate, Burst: burst}}, Clock: clock.Now}
	})
	e.seed()
	e.score("sesame")

	hammer, other := roleKeys[graph.RoleApp], app2Key
	ref := refBucket{rate: rate, depth: burst, tokens: burst}
	const step = 250 * time.Millisecond // 4 reads a second: twice the rate
	var ok, refused, otherOK, otherReads int
	for k := 0; k < 160; k++ { // 40 s
		at := time.Duration(k) * step
		clock.Set(start.Add(at))
		w := scoreRead(e, hammer, 1+k%5)
		wantOK, left := ref.take(at)
		assert.Equal(t, `"app";q=4;w=2`, w.Header().Get("RateLimit-Policy"), "read %d", k)
		if wantOK {
			require.Equal(t, http.StatusOK, w.Code, "read %d at %s: body %s", k, at, w.Body.String())
			ok++
		} else {
			assertProblem(t, w, http.StatusTooManyRequests, "rate-limited", "-", "")
			// One token takes half a second: Retry-After rounds up to 1.
			assert.Equal(t, "1", w.Header().Get("Retry-After"), "read %d", k)
			refused++
		}
		assert.Equal(t, `"app";r=`+strconv.Itoa(int(math.Floor(left)))+";t="+strconv.Itoa(int(math.Ceil((burst-left)/rate))),
			w.Header().Get("RateLimit"), "read %d", k)
		if k%2 == 0 { // the other key: 2 reads a second, its limit
			otherReads++
			if w := scoreRead(e, other, 1+k%5); assert.Equal(t, http.StatusOK, w.Code, "other key, read %d: %s", k, w.Body.String()) {
				otherOK++
			}
		}
	}
	// The bucket starts full (4) and refills 2 a second: over 40 s at 4 a
	// second, 4 + 2·39.75 rounded down = 83 reads pass.
	assert.Equal(t, 83, ok)
	assert.Equal(t, 160-83, refused)
	assert.Equal(t, otherReads, otherOK, "the other key's reads all succeed")
	assert.Equal(t, 80, otherReads)
}

// TestRateLimitConcurrent: with the real clock, goroutines hammering one
// key as fast as they can get 429s with Retry-After, while another key's
// reads, concurrent with them, all succeed. Nothing is timed: the hammer
// sends 600 reads against a limit of 20 a second (burst 5), so it is over
// its limit unless the 600 took 30 s.
func TestRateLimitConcurrent(t *testing.T) {
	e := newTestServer(t, openTestStore(t), func(c *Config) {
		c.RateLimits = RateLimits{
			Roles: map[graph.Role]RateLimit{graph.RoleApp: {Rate: 20, Burst: 5}},
			Keys:  map[string]RateLimit{"app2": {Rate: 100000, Burst: 100000}},
		}
	})
	e.seed()
	e.score("sesame")
	hammer, other := roleKeys[graph.RoleApp], app2Key

	var mu sync.Mutex
	codes := map[int]int{}
	var badRetry []string
	var wg sync.WaitGroup
	begin := time.Now()
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 150; i++ {
				w := scoreRead(e, hammer, 1+i%5)
				mu.Lock()
				codes[w.Code]++
				if w.Code == http.StatusTooManyRequests {
					if n, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || n < 1 ||
						!strings.Contains(w.Body.String(), "rate-limited") {
						badRetry = append(badRetry, w.Header().Get("Retry-After")+" "+w.Body.String())
					}
				}
				mu.Unlock()
			}
		}()
	}
	var otherCodes []int
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 300; i++ {
			otherCodes = append(otherCodes, scoreRead(e, other, 1+i%5).Code)
		}
	}()
	wg.Wait()
	elapsed := time.Since(begin)

	for i, c := range otherCodes {
		require.Equal(t, http.StatusOK, c, "other key's read %d", i)
	}
	assert.Len(t, otherCodes, 300)
	assert.Equal(t, 600, codes[http.StatusOK]+codes[http.StatusTooManyRequests], "only 200s and 429s: %v", codes)
	assert.Positive(t, codes[http.StatusTooManyRequests], "the hammering key is refused")
	assert.Empty(t, badRetry, "every 429 is a rate-limited problem with Retry-After >= 1")
	// What a bucket of 5 filled at 20 a second can pass in the elapsed time.
	assert.LessOrEqual(t, float64(codes[http.StatusOK]), 5+20*elapsed.Seconds()+1, "after %s", elapsed)
}

// TestRateLimitAddress: requests without a valid key are charged to the
// client address: 401 while its bucket lasts, then 429; another address
// still gets its 401s. A refusal of a request with a body asks for the
// connection to be closed, so a slow body is not waited for. Health,
// readiness and metrics are not limited and carry no RateLimit fields.
func TestRateLimitAddress(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	e := newTestServer(t, openTestStore(t), func(c *Config) {
		c.RateLimits = RateLimits{Anonymous: &RateLimit{Rate: 1, Burst: 3}, Clock: clock.Now}
	})
	from := func(addr, key string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/v1/people/1/events", strings.NewReader(`{"events":[]}`))
		req.RemoteAddr = addr
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		return w
	}
	for i := 0; i < 3; i++ {
		w := from("198.51.100.7:4000", "not-a-key-0123456789")
		assertProblem(t, w, http.StatusUnauthorized, "unauthorized", "Authorization", "unknown API key")
		assert.Equal(t, "close", w.Header().Get("Connection"))
		assert.Equal(t, `"address";q=3;w=3`, w.Header().Get("RateLimit-Policy"))
	}
	w := from("198.51.100.7:4001", "not-a-key-0123456789") // same address, another port
	assertProblem(t, w, http.StatusTooManyRequests, "rate-limited", "-", "")
	assert.Equal(t, "1", w.Header().Get("Retry-After"))
	assert.Equal(t, "close", w.Header().Get("Connection"))
	assert.Equal(t, `"address";r=0;t=3`, w.Header().Get("RateLimit"))
	assertProblem(t, from("198.51.100.8:4000", "not-a-key-0123456789"), http.StatusUnauthorized, "unauthorized", "Authorization", "unknown API key")
	// A second later one more passes.
	clock.Set(clock.Now().Add(time.Second))
	assertProblem(t, from("198.51.100.7:4000", "not-a-key-0123456789"), http.StatusUnauthorized, "unauthorized", "Authorization", "unknown API key")

	// A valid key from the refused address is charged to the key.
	w = from("198.51.100.7:4000", roleKeys[graph.RoleProvider])
	assert.NotEqual(t, http.StatusTooManyRequests, w.Code, w.Body.String())
	assert.Equal(t, `"provider";q=10000;w=2`, w.Header().Get("RateLimit-Policy"))

	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		for i := 0; i < 5; i++ {
			req := httptest.NewRequest(http.MethodGet, p, nil)
			req.RemoteAddr = "198.51.100.7:4000"
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, req)
			assert.Equal(t, http.StatusOK, w.Code, "%s: %s", p, w.Body.String())
			assert.Empty(t, w.Header().Get("RateLimit"), p)
		}
	}
	// The OpenAPI document is limited per address like the 401s.
	req := httptest.NewRequest(http.MethodGet, "/openapi.json", nil)
	req.RemoteAddr = "198.51.100.7:4000"
	w = httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	assert.Equal(t, http.StatusTooManyRequests, w.Code)
}

// TestRateLimitOpenMode: without keys (--open) requests are charged to
// the client address with the operator's limit.
func TestRateLimitOpenMode(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	e := newTestServer(t, openTestStore(t), func(c *Config) {
		c.APIKeys, c.Keys, c.Open = nil, nil, true
		c.RateLimits = RateLimits{Roles: map[graph.Role]RateLimit{graph.RoleOperator: {Rate: 1, Burst: 2}}, Clock: clock.Now}
	})
	get := func(addr string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/v1/scoring-runs", nil)
		req.RemoteAddr = addr
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		return w
	}
	assert.Equal(t, http.StatusOK, get("203.0.113.1:1").Code)
	assert.Equal(t, http.StatusOK, get("203.0.113.1:2").Code)
	assertProblem(t, get("203.0.113.1:3"), http.StatusTooManyRequests, "rate-limited", "-", "")
	assert.Equal(t, http.StatusOK, get("203.0.113.2:1").Code, "another address has its own bucket")
}

// TestRateLimitsOff: RateLimits.Off sends no RateLimit fields and never
// 429s; the default limits send them with the role's policy.
func TestRateLimitsOff(t *testing.T) {
	e := newTestServer(t, openTestStore(t), func(c *Config) { c.RateLimits.Off = true })
	for i := 0; i < 50; i++ {
		w := e.do(request{method: http.MethodGet, path: "/v1/scoring-runs", header: map[string]string{"Authorization": "Bearer " + roleKeys[graph.RoleSubject]}})
		assert.NotEqual(t, http.StatusTooManyRequests, w.Code)
		assert.Empty(t, w.Header().Get("RateLimit"))
	}
	d := newTestServer(t, openTestStore(t))
	w := d.get("/v1/scoring-runs") // lender: an operator key
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, `"operator";q=50000;w=2`, w.Header().Get("RateLimit-Policy"))
	assert.Equal(t, `"operator";r=49999;t=1`, w.Header().Get("RateLimit"))
}

func TestParseRateLimits(t *testing.T) {
	r, err := ParseRateLimits("app=2000, subject=5/10,key:scoreload=off,anonymous=0.5")
	require.NoError(t, err)
	assert.Equal(t, RateLimit{Rate: 2000, Burst: 4000}, r.Role(graph.RoleApp))
	assert.Equal(t, RateLimit{Rate: 5, Burst: 10}, r.Role(graph.RoleSubject))
	assert.Equal(t, DefaultRateLimits[graph.RoleOperator], r.Role(graph.RoleOperator))
	assert.True(t, r.Keys["scoreload"].Unlimited())
	assert.Equal(t, RateLimit{Rate: 0.5, Burst: 1}, *r.Anonymous)
	require.NoError(t, r.Validate())
	for _, bad := range []string{"app", "app=", "app=-1", "app=x", "app=5/0", "app=5/x", "king=5", "key:=5", "app=NaN", "app=Inf"} {
		_, err := ParseRateLimits(bad)
		assert.Error(t, err, bad)
	}
	r, err = ParseRateLimits("")
	require.NoError(t, err)
	assert.Equal(t, DefaultRateLimits[graph.RoleApp], r.Role(graph.RoleApp))
	assert.GreaterOrEqual(t, DefaultRateLimits[graph.RoleOperator].Rate, 20000.0, "the README's scoreload run (20,000 reads/s with an operator key) passes by default")
}

// TestRateLimitSweep: full buckets are dropped, the others kept.
func TestRateLimitSweep(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	e := newTestServer(t, openTestStore(t), func(c *Config) {
		c.RateLimits = RateLimits{Anonymous: &RateLimit{Rate: 1, Burst: 2}, Clock: clock.Now}
	})
	l := e.srv.limits
	for i := 0; i < 10; i++ {
		req := httptest.NewRequest(http.MethodGet, "/openapi.json", nil)
		req.RemoteAddr = "198.51.100." + strconv.Itoa(i) + ":1"
		e.h.ServeHTTP(httptest.NewRecorder(), req)
	}
	l.mu.Lock()
	assert.Len(t, l.buckets, 10)
	// A second later each bucket is full again: a sweep drops them all.
	l.sweepLocked(clock.Now().Add(time.Second))
	assert.Empty(t, l.buckets)
	l.mu.Unlock()
}
