package api

import (
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/socialscore/socialscore/graph"
)

// Per-key rate limits (issue 13). Every request to /v1 is charged to a
// token bucket: the API key's own, found by the key's name (and role), or,
// for a request without a valid key and in open mode, the client address's.
// A bucket holds up to Burst requests and refills at Rate per second; a
// request finding it empty is answered 429 problem+json with Retry-After
// (whole seconds until a request would be allowed) and nothing else is
// done. Buckets are independent, so a key at any rate costs another key
// only the CPU its refusals take (a 429 is answered before the handler,
// the audit log or the store).
//
// Every response subject to a limit carries the RateLimit header fields of
// the IETF draft draft-ietf-httpapi-ratelimit-headers (revision 10 on),
// the combined form:
//
//	RateLimit-Policy: "app";q=10000;w=2    the bucket: q requests, refilled over w seconds
//	RateLimit: "app";r=9421;t=1            r requests left now, full again in t seconds
//
// The policy's name is the key's role, "key" when the key has a limit of
// its own (RateLimits.Keys) or "address" for the per-address bucket.
// /healthz, /readyz and /metrics are not limited (probes and scrapers).

// RateLimit is a token bucket: Rate requests per second on average, up to
// Burst at once. The zero value means no limit.
type RateLimit struct {
	Rate  float64 // requests per second; 0: no limit
	Burst int     // requests at once; 0 with a Rate means Rate (at least 1)
}

// Unlimited reports whether the limit lets everything through.
func (l RateLimit) Unlimited() bool { return l.Rate <= 0 || math.IsInf(l.Rate, 1) }

func (l RateLimit) String() string {
	if l.Unlimited() {
		return "off"
	}
	return strconv.FormatFloat(l.Rate, 'f', -1, 64) + "/" + strconv.Itoa(l.burst())
}

func (l RateLimit) burst() int {
	if l.Burst > 0 {
		return l.Burst
	}
	return max(1, int(math.Ceil(l.Rate)))
}

// DefaultRateLimits are the limits of each role when RateLimits.Roles does
// not name it. They are per key: two keys of one role have a bucket each.
// The burst is twice the rate (two seconds of it), so a client pacing
// itself at the rate never sees a 429 from jitter. Operators' keys are the
// deployment's own (the README's load test reads 20,000 scores a second
// with one); apps read scores in volume; researchers and analysts call
// heavy routes and poll jobs; a subject is one person's app.
var DefaultRateLimits = map[graph.Role]RateLimit{
	graph.RoleOperator:   {Rate: 25000, Burst: 50000},
	graph.RoleProvider:   {Rate: 5000, Burst: 10000},
	graph.RoleApp:        {Rate: 5000, Burst: 10000},
	graph.RoleResearcher: {Rate: 50, Burst: 100},
	graph.RoleAnalyst:    {Rate: 50, Burst: 100},
	graph.RoleAuditor:    {Rate: 200, Burst: 400},
	graph.RoleSubject:    {Rate: 10, Burst: 20},
}

// DefaultAnonymousRateLimit is the limit of one client address for
// requests without a valid key (each is a 401, or the researchers' page
// and the OpenAPI document, which need no key).
var DefaultAnonymousRateLimit = RateLimit{Rate: 50, Burst: 100}

// RateLimits configures the per-key limits. The zero value applies the
// defaults.
type RateLimits struct {
	// Off turns every limit off.
	Off bool
	// Roles overrides DefaultRateLimits for the roles it names.
	Roles map[graph.Role]RateLimit
	// Keys gives the keys it names (by key name) a limit of their own,
	// over their role's.
	Keys map[string]RateLimit
	// Anonymous overrides DefaultAnonymousRateLimit when set.
	Anonymous *RateLimit
	// Clock gives the time buckets refill by; nil means time.Now.
	Clock func() time.Time
}

// Role returns the limit of a role.
func (r *RateLimits) Role(role graph.Role) RateLimit {
	if l, ok := r.Roles[role]; ok {
		return l
	}
	return DefaultRateLimits[role]
}

// Validate checks the limits.
func (r *RateLimits) Validate() error {
	check := func(what string, l RateLimit) error {
		if l.Rate < 0 || l.Burst < 0 || math.IsNaN(l.Rate) {
			return fmt.Errorf("RateLimits: %s: rate and burst must not be negative", what)
		}
		return nil
	}
	for role, l := range r.Roles {
		if !role.Valid() {
			return fmt.Errorf("RateLimits: unknown role %q", role)
		}
		if err := check(string(role), l); err != nil {
			return err
		}
	}
	for name, l := range r.Keys {
		if err := check("key "+name, l); err != nil {
			return err
		}
	}
	if r.Anonymous != nil {
		return check("anonymous", *r.Anonymous)
	}
	return nil
}

// String describes the limits in effect, for the log at start.
func (r *RateLimits) String() string {
	if r.Off {
		return "off"
	}
	var parts []string
	for _, role := range graph.Roles() {
		parts = append(parts, string(role)+"="+r.Role(role).String())
	}
	anon := DefaultAnonymousRateLimit
	if r.Anonymous != nil {
		anon = *r.Anonymous
	}
	parts = append(parts, "anonymous="+anon.String())
	names := make([]string, 0, len(r.Keys))
	for n := range r.Keys {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		parts = append(parts, "key:"+n+"="+r.Keys[n].String())
	}
	return strings.Join(parts, ",")
}

// ParseRateLimits reads limits written as comma-separated WHO=LIMIT
// entries, where WHO is a role, "anonymous" or "key:NAME", and LIMIT is
// RATE (requests per second, burst twice the rate), RATE/BURST or "off":
//
//	app=2000,subject=5/10,key:scoreload=off
func ParseRateLimits(s string) (RateLimits, error) {
	var r RateLimits
	for _, e := range strings.Split(s, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		who, val, ok := strings.Cut(e, "=")
		if !ok {
			return r, fmt.Errorf("rate limit %q: want WHO=RATE[/BURST] or WHO=off", e)
		}
		var l RateLimit
		if val != "off" {
			rs, bs, hasBurst := strings.Cut(val, "/")
			v, err := strconv.ParseFloat(rs, 64)
			if err != nil || v <= 0 || math.IsInf(v, 0) || math.IsNaN(v) {
				return r, fmt.Errorf("rate limit %q: the rate must be a positive number of requests per second", e)
			}
			l.Rate, l.Burst = v, max(1, int(math.Ceil(2*v)))
			if hasBurst {
				b, err := strconv.Atoi(bs)
				if err != nil || b < 1 {
					return r, fmt.Errorf("rate limit %q: the burst must be a positive whole number", e)
				}
				l.Burst = b
			}
		}
		switch {
		case who == "anonymous":
			r.Anonymous = &l
		case strings.HasPrefix(who, "key:") && len(who) > len("key:"):
			if r.Keys == nil {
				r.Keys = map[string]RateLimit{}
			}
			r.Keys[strings.TrimPrefix(who, "key:")] = l
		case graph.Role(who).Valid():
			if r.Roles == nil {
				r.Roles = map[graph.Role]RateLimit{}
			}
			r.Roles[graph.Role(who)] = l
		default:
			return r, fmt.Errorf("rate limit %q: %q is not a role, anonymous or key:NAME", e, who)
		}
	}
	return r, nil
}

// bucket is one key's or address's token bucket.
type bucket struct {
	lim    *rate.Limiter
	policy []string // the RateLimit-Policy value, computed once
	name   string   // the policy's name, quoted
	rate   float64
	burst  float64
}

// limiter holds the buckets. Buckets that are full are equivalent to new
// ones, so sweep drops them: the map holds only the keys and addresses
// seen lately.
type limiter struct {
	cfg     RateLimits
	anon    RateLimit
	now     func() time.Time
	mu      sync.RWMutex
	buckets map[bucketKey]*bucket
	swept   time.Time
	refused *prometheus.CounterVec // by policy
}

// sweepEvery is the least time between two sweeps of full buckets;
// sweepAbove is the number of buckets beyond which inserting one sweeps.
const (
	sweepEvery = time.Minute
	sweepAbove = 100_000
)

func newLimiter(cfg RateLimits, reg *prometheus.Registry) (*limiter, error) {
	l := &limiter{cfg: cfg, anon: DefaultAnonymousRateLimit, now: cfg.Clock, buckets: map[bucketKey]*bucket{}}
	if cfg.Anonymous != nil {
		l.anon = *cfg.Anonymous
	}
	if l.now == nil {
		l.now = time.Now
	}
	l.swept = l.now()
	l.refused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "socialscore", Subsystem: "http", Name: "rate_limited_total",
		Help: "Requests refused with 429 by a per-key or per-address rate limit, by policy (role, key or address).",
	}, []string{"policy"})
	if err := reg.Register(l.refused); err != nil {
		return nil, err
	}
	return l, nil
}

// bucketKey names a bucket: a key's own (kind 'k', by name), a key's by
// role and name ('r'), an address's without a key ('a') or in open mode
// ('o'). A struct, so that finding a bucket allocates nothing.
type bucketKey struct {
	kind byte
	role graph.Role
	id   string
}

// get returns the bucket of id, making it with limit lim under policy name
// if there is none.
func (l *limiter) get(id bucketKey, policy string, lim RateLimit) *bucket {
	l.mu.RLock()
	b := l.buckets[id]
	l.mu.RUnlock()
	if b != nil {
		return b
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if b = l.buckets[id]; b != nil {
		return b
	}
	now := l.now()
	if len(l.buckets) >= sweepAbove || now.Sub(l.swept) >= sweepEvery {
		l.sweepLocked(now)
	}
	burst := lim.burst()
	w := int(math.Ceil(float64(burst) / lim.Rate))
	name := strconv.Quote(policy)
	b = &bucket{
		lim:    rate.NewLimiter(rate.Limit(lim.Rate), burst),
		policy: []string{name + ";q=" + strconv.Itoa(burst) + ";w=" + strconv.Itoa(max(1, w))},
		name:   name,
		rate:   lim.Rate,
		burst:  float64(burst),
	}
	l.buckets[id] = b
	return b
}

// sweepLocked drops the buckets that are full.
func (l *limiter) sweepLocked(now time.Time) {
	l.swept = now
	for id, b := range l.buckets {
		if b.lim.TokensAt(now) >= b.burst {
			delete(l.buckets, id)
		}
	}
}

// take charges one request to b, sets the RateLimit fields and reports
// whether it is allowed; when not, it answers 429.
func (l *limiter) take(c *gin.Context, b *bucket) bool {
	now := l.now()
	ok := b.lim.AllowN(now, 1)
	tokens := b.lim.TokensAt(now)
	h := c.Writer.Header()
	h["Ratelimit-Policy"] = b.policy
	remaining := max(0, int(math.Floor(tokens)))
	full := max(0, int(math.Ceil((b.burst-tokens)/b.rate)))
	var buf [64]byte
	v := append(buf[:0], b.name...)
	v = append(v, ";r="...)
	v = strconv.AppendInt(v, int64(remaining), 10)
	v = append(v, ";t="...)
	v = strconv.AppendInt(v, int64(full), 10)
	if ri := infoFrom(c.Request.Context()); ri != nil { // the slice lives in the request's context
		ri.rateHdr[0] = string(v)
		h["Ratelimit"] = ri.rateHdr[:]
	} else {
		h["Ratelimit"] = []string{string(v)}
	}
	if ok {
		return true
	}
	// Whole seconds until one token is back, never 0: a client that
	// retries at once would only be refused again.
	wait := max(1, int(math.Ceil((1-tokens)/b.rate)))
	l.refused.WithLabelValues(strings.Trim(b.name, `"`)).Inc()
	c.Header("Retry-After", strconv.Itoa(wait))
	closeIfBodyUnread(c)
	writeProblem(c, Problem{Type: typeRateLimited, Title: "Too many requests", Status: http.StatusTooManyRequests,
		Detail: fmt.Sprintf("over the rate limit of %s (%s requests a second, %d at once): retry in %d s",
			strings.Trim(b.name, `"`), strconv.FormatFloat(b.rate, 'f', -1, 64), int(b.burst), wait),
		Instance: c.Request.URL.Path})
	return false
}

// allowKey charges a request with a valid key to the key's bucket.
func (s *Server) allowKey(c *gin.Context, name string, role graph.Role) bool {
	l := s.limits
	if l == nil {
		return true
	}
	if lim, ok := l.cfg.Keys[name]; ok {
		if lim.Unlimited() {
			return true
		}
		return l.take(c, l.get(bucketKey{kind: 'k', id: name}, "key", lim))
	}
	lim := l.cfg.Role(role)
	if lim.Unlimited() {
		return true
	}
	return l.take(c, l.get(bucketKey{kind: 'r', role: role, id: name}, string(role), lim))
}

// allowAddress charges a request without a valid key (or any request in
// open mode, with the operator's limit) to the client address's bucket.
func (s *Server) allowAddress(c *gin.Context, open bool) bool {
	l := s.limits
	if l == nil {
		return true
	}
	lim, kind := l.anon, byte('a')
	if open {
		lim, kind = l.cfg.Role(graph.RoleOperator), 'o'
	}
	if lim.Unlimited() {
		return true
	}
	return l.take(c, l.get(bucketKey{kind: kind, id: c.ClientIP()}, "address", lim))
}

// limitAnonymous is the middleware of the routes outside /v1 that are
// limited per address (the researchers' page and the OpenAPI document).
func (s *Server) limitAnonymous(h gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.allowAddress(c, false) {
			h(c)
		}
	}
}

// closeIfBodyUnread has the connection closed as soon as a refusal
// answered before the body was read is sent: otherwise net/http reads (and
// discards) up to 256 KiB of the body first, and a client sending it
// slowly holds the connection until the read deadline. The read deadline
// is moved to now, so that discarding stops at once.
func closeIfBodyUnread(c *gin.Context) {
	if c.Request.ContentLength != 0 {
		c.Header("Connection", "close")
		_ = http.NewResponseController(c.Writer).SetReadDeadline(time.Now())
	}
}
