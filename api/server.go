// Package api is socialscore's HTTP adapter: a Gin engine (gin.New plus our
// own middleware) serving the JSON API under /v1, health and readiness
// checks, Prometheus metrics and the OpenAPI document kept in this package
// as openapi.json.
//
// Errors are RFC 9457 application/problem+json bodies translated from the
// domain errors of package graph in one place (translate). Bad input is
// rejected before anything is written, so it changes nothing. Every read of
// a person's score is attributed to the app that made it and recorded
// through an Auditor before the score is sent (see FileAuditor for how
// soon a record is on disk).
//
// Researchers' routes (ego networks, exports, shock experiments, network
// metrics) and the policy lab's simulation jobs work on a cached snapshot of
// the consenting network (see snapCache) and never write to the store. The
// researchers' page, built from ../web into webdist/ and embedded, is
// served at / with its assets under /assets/.
//
// Every key holds one role (graph.Role); accessTable in authz.go says which
// role may call which /v1 route, and authorize applies it, with the
// object-level rules, before any handler runs. Every access to personal
// data is recorded in a hash-chained audit log (auditchain.go) before it
// is served.
//
// The package never imports a store adapter: it is given a graph.Store and
// a scoring.Runner by its caller.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/socialscore/socialscore/export"
	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/admission"
	"github.com/socialscore/socialscore/internal/connlimit"
	"github.com/socialscore/socialscore/internal/jobs"
	"github.com/socialscore/socialscore/scoring"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultMaxBodyBytes = 1 << 20 // 1 MiB
	DefaultPingInterval = 2 * time.Second
	DefaultMaxJobs      = 100
	// MinAPIKeyLen is the shortest API key accepted.
	MinAPIKeyLen = 16
	// DefaultKeyRefresh is how often the store's keys are re-read.
	DefaultKeyRefresh = time.Second
)

// AnonymousApp is the app name score reads are attributed to when no API
// keys are configured (development only).
const AnonymousApp = "anonymous"

// Config is what New needs. Store, Runner, Policy and Audit are required.
type Config struct {
	// Store holds people, ties and scores. The server does not close it.
	Store graph.Store
	// Runner performs scoring runs and serves the read view of scores.
	Runner *scoring.Runner
	// Policy is the default policy of POST /v1/scoring-runs.
	Policy scoring.Policy
	// Policies are extra named policies a scoring run may ask for, besides
	// Policy and the built-in presets (a name here wins over a preset).
	// Runs cannot name policy files: the API never reads files.
	Policies []scoring.Policy
	// Logger receives the access log and errors; nil means slog.Default().
	Logger *slog.Logger
	// APIKeys maps an API key to the name of the app that holds it, with
	// the operator role (what every key could do before roles existed).
	// Deprecated: use Keys or KeyStore, which give each key a role.
	APIKeys map[string]string
	// Keys maps an API key to its holder and role. Every /v1 route
	// requires a key (Authorization: Bearer <key> or X-API-Key: <key>)
	// unless Open is set; see authz.go for what each role may do.
	Keys map[string]KeyHolder
	// KeyStore, when set, holds keys too (by digest); it is read at New
	// and again every KeyRefresh, so keys created or revoked there take
	// effect without a restart.
	KeyStore graph.KeyStore
	// KeyRefresh is how often KeyStore is re-read; 0 means
	// DefaultKeyRefresh.
	KeyRefresh time.Duration
	// Open serves /v1 without keys, for local development only: every
	// request is attributed to AnonymousApp with the operator role, and a
	// warning is logged. New refuses a config with no keys (no APIKeys,
	// no Keys, no KeyStore) unless Open is set.
	Open bool
	// Audit records every score read. The server owns it from New on and
	// closes it in Close.
	Audit Auditor
	// Registry receives the server's metrics and is served at /metrics;
	// nil means a new registry with the Go and process collectors.
	Registry *prometheus.Registry
	// Clock gives the time for event validation ("not in the future") and
	// audit records; nil means time.Now.
	Clock graph.Clock
	// MaxBodyBytes bounds request bodies (413 above it); 0 means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// TrustedProxies lists the proxies (IPs or CIDRs) whose
	// X-Forwarded-For is believed for the client address in the access
	// log; none by default.
	TrustedProxies []string
	// PingInterval is how often the store is pinged in the background to
	// decide readiness and whether scores are served as stale; 0 means
	// DefaultPingInterval.
	PingInterval time.Duration
	// MaxJobs is how many finished scoring-run jobs are remembered; 0 means
	// DefaultMaxJobs.
	MaxJobs int
	// RunOptions are passed to every scoring run (Progress is set by the
	// server and overrides one given here).
	RunOptions scoring.Options

	// SnapshotRefresh is the least time between two reads of the store's
	// snapshot for the research routes (ego networks, exports, shocks,
	// network metrics, simulations) after a write through this server or a
	// completed scoring run; within it a slightly older network is served.
	// An erasure or withdrawal of consent is never served stale. 0 means
	// DefaultSnapshotRefresh. See snapCache.
	SnapshotRefresh time.Duration
	// SnapshotMaxAge is the age at which the snapshot is read again even
	// if this server saw no change (for other writers to a shared store);
	// 0 means DefaultSnapshotMaxAge.
	SnapshotMaxAge time.Duration

	// ExportKey is the secret key that pseudonymises person ids in
	// exports (HMAC-SHA256, at least export.MinKeyLen bytes). nil means
	// the store's own key (graph.PseudonymKeyStore, made once and kept in
	// the store), so pseudonyms stay the same across exports and
	// restarts; for a store without one, a random key per process (stable
	// only until the server restarts; a warning is logged).
	ExportKey []byte
	// ExportRealIDs allows GET /v1/exports?real_ids=true, which writes
	// real person ids (such an export is personal data and is audited).
	// Off by default: exports are pseudonymised and real_ids=true is 403.
	ExportRealIDs bool

	// SimulationQueue is how many simulation jobs may wait to run (429
	// beyond); 0 means DefaultSimulationQueue.
	SimulationQueue int
	// Live serves scores from the live view (scoring/live; api/live.go):
	// every acknowledged write moves the affected scores at once, and
	// what-if and advice answer.
	Live bool
	// LiveReconcile, with Live, runs a full scoring run this often under
	// the live view's policy and swaps its live view in (api/live.go,
	// reconcileLoop); 0: only runs started otherwise do.
	LiveReconcile time.Duration

	// SimulationWorkers is how many simulation jobs run at once (each
	// on one goroutine, holding a slot of the heavy pool); 0 means
	// DefaultSimulationWorkers.
	SimulationWorkers int

	// RateLimits are the per-key token buckets (ratelimit.go); the zero
	// value applies DefaultRateLimits, RateLimits.Off turns them off.
	RateLimits RateLimits
	// Connections, when set, is the limiter of the listener the server is
	// served on: /readyz reports overload from it (503 at
	// connlimit.OverloadedShare of the cap) and /metrics its counts.
	Connections *connlimit.Limiter
	// SimulationQueuePerKey is how many of the SimulationQueue places one
	// key may hold (429 beyond); 0 means DefaultSimulationQueuePerKey.
	SimulationQueuePerKey int

	// HeavyBudgets are the largest costs each role may start (see
	// admission.Budgets; 400 above); nil means admission.DefaultBudgets().
	HeavyBudgets admission.Budgets
	// Heavy configures the pool heavy work runs in: its share of
	// GOMAXPROCS (half by default), the per-key limits and the memory
	// limit heavy work is refused near (api/admission.go). Zero fields
	// take admission's defaults.
	Heavy admission.Config
}

// Validate checks the configuration after defaults were applied.
func (c *Config) Validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("Store is required"))
	}
	if c.Runner == nil {
		errs = append(errs, errors.New("Runner is required"))
	}
	if c.Audit == nil {
		errs = append(errs, errors.New("Audit is required (every score read is recorded)"))
	}
	if err := c.Policy.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("Policy: %w", err))
	}
	for i, p := range c.Policies {
		if err := p.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("Policies[%d]: %w", i, err))
		}
	}
	for k, app := range c.APIKeys {
		if len(k) < MinAPIKeyLen {
			errs = append(errs, fmt.Errorf("APIKeys: the key of app %q is shorter than %d characters", app, MinAPIKeyLen))
		}
		if app == "" {
			errs = append(errs, errors.New("APIKeys: an app name is empty"))
		}
	}
	for k, h := range c.Keys {
		if len(k) < MinAPIKeyLen {
			errs = append(errs, fmt.Errorf("Keys: the key of %q is shorter than %d characters", h.Name, MinAPIKeyLen))
		}
		if err := (graph.APIKey{Name: h.Name, Role: h.Role, Person: h.Person, Hash: graph.HashKey(k)}).Validate(); err != nil {
			errs = append(errs, fmt.Errorf("Keys: %q: %w", h.Name, err))
		}
	}
	if len(c.APIKeys) == 0 && len(c.Keys) == 0 && c.KeyStore == nil && !c.Open {
		errs = append(errs, errors.New("no API keys: give Keys or KeyStore, or set Open (local development only)"))
	}
	if c.KeyRefresh < 0 {
		errs = append(errs, errors.New("KeyRefresh must not be negative"))
	}
	if c.MaxBodyBytes < 0 {
		errs = append(errs, errors.New("MaxBodyBytes must not be negative"))
	}
	if c.PingInterval < 0 {
		errs = append(errs, errors.New("PingInterval must not be negative"))
	}
	if c.MaxJobs < 0 {
		errs = append(errs, errors.New("MaxJobs must not be negative"))
	}
	if c.SnapshotRefresh < 0 || c.SnapshotMaxAge < 0 {
		errs = append(errs, errors.New("SnapshotRefresh and SnapshotMaxAge must not be negative"))
	}
	if n := len(c.ExportKey); n > 0 && n < export.MinKeyLen {
		errs = append(errs, fmt.Errorf("ExportKey must be at least %d bytes, got %d", export.MinKeyLen, n))
	}
	if err := c.RateLimits.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.SimulationQueue < 0 || c.SimulationWorkers < 0 || c.SimulationQueuePerKey < 0 {
		errs = append(errs, errors.New("SimulationQueue, SimulationQueuePerKey and SimulationWorkers must not be negative"))
	}
	if err := c.Heavy.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("Heavy: %w", err))
	}
	if len(errs) > 0 {
		return fmt.Errorf("api: invalid config: %w", errors.Join(errs...))
	}
	return nil
}

func (c *Config) applyDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.KeyRefresh == 0 {
		c.KeyRefresh = DefaultKeyRefresh
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.PingInterval == 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.MaxJobs == 0 {
		c.MaxJobs = DefaultMaxJobs
	}
	if c.SnapshotRefresh == 0 {
		c.SnapshotRefresh = DefaultSnapshotRefresh
	}
	if c.SnapshotMaxAge == 0 {
		c.SnapshotMaxAge = DefaultSnapshotMaxAge
	}
	if c.SimulationQueue == 0 {
		c.SimulationQueue = DefaultSimulationQueue
	}
	if c.SimulationWorkers == 0 {
		c.SimulationWorkers = DefaultSimulationWorkers
	}
	if c.SimulationQueuePerKey == 0 {
		c.SimulationQueuePerKey = DefaultSimulationQueuePerKey
	}
	if c.HeavyBudgets == nil {
		c.HeavyBudgets = admission.DefaultBudgets()
	}
}

// Server is the HTTP API. Create it with New, serve Handler, and Close it
// when done.
type Server struct {
	cfg     Config
	store   graph.Store
	runner  *scoring.Runner
	log     *slog.Logger
	clock   graph.Clock
	audit   Auditor
	keys    atomic.Pointer[keyring]
	authz   authzState
	engine  *gin.Engine
	metrics *metrics
	scores  scoreEncoder
	jobs    *jobs.Manager
	limits  *limiter // nil when RateLimits.Off

	heavy   *admission.Pool   // where heavy work runs (api/admission.go)
	budgets admission.Budgets // the largest cost each role may start
	pages   []byte            // secret of shock cursors and their pseudonyms

	disputes openDisputes // open disputes per person, for score reads

	snaps     *snapCache // the network the research routes work on
	live      liveView   // Config.Live
	exportKey []byte     // pseudonymisation key of exports
	web       *webSite   // the researchers' page

	// storeUp is false after the store was found unreachable (background
	// ping or an ErrUnavailable on a request) until a ping succeeds again.
	storeUp atomic.Bool

	ctx    context.Context // owned by the server; cancelled on Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

// New validates cfg, applies defaults and returns a server. It starts a
// background goroutine that pings the store; Close stops it.
func New(cfg Config) (*Server, error) {
	cfg.applyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Honour an explicit GIN_MODE; otherwise never print gin's debug output.
	if os.Getenv(gin.EnvGinMode) == "" {
		gin.SetMode(gin.ReleaseMode)
	}
	e := gin.New()
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	e.HandleMethodNotAllowed = true
	if err := e.SetTrustedProxies(cfg.TrustedProxies); err != nil { // nil: trust no proxy
		return nil, fmt.Errorf("api: trusted proxies: %w", err)
	}
	web, err := loadWeb()
	if err != nil {
		return nil, err
	}
	exportKey, randomKey, err := newExportKey(&cfg)
	if err != nil {
		return nil, err
	}
	storedKeys, err := readStoredKeys(cfg.KeyStore)
	if err != nil {
		return nil, err
	}
	// Metrics last: nothing may fail after they are registered.
	reg := cfg.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	s := &Server{
		cfg:    cfg,
		store:  cfg.Store,
		runner: cfg.Runner,
		log:    cfg.Logger,
		clock:  cfg.Clock,
		audit:  cfg.Audit,
		jobs:   jobs.New(cfg.Clock),

		exportKey: exportKey,
		web:       web,

		heavy:   admission.New(cfg.Heavy),
		budgets: cfg.HeavyBudgets,
		pages:   oneOffKey(),
	}
	s.storeUp.Store(true)
	s.scores.disputes = &s.disputes
	m, err := newMetrics(reg, s.peopleScored, func() float64 { return b2f(s.storeUp.Load()) })
	if err != nil {
		return nil, err
	}
	s.metrics = m
	if !cfg.RateLimits.Off {
		if s.limits, err = newLimiter(cfg.RateLimits, reg); err != nil {
			return nil, err
		}
	}
	if cfg.Connections != nil {
		if err := registerConnMetrics(reg, cfg.Connections); err != nil {
			return nil, err
		}
	}
	if err := registerHeavyMetrics(reg, s.heavy); err != nil {
		return nil, err
	}
	s.keys.Store(buildKeyring(&s.cfg, storedKeys))
	if cfg.Open {
		s.log.Warn("api: no API keys configured: /v1 is open and score reads are attributed to app " + AnonymousApp + "; configure keys in production")
	}
	if randomKey {
		s.log.Warn("api: no export key configured and the store keeps none: exported ids are pseudonymised with a random key and change when the server restarts")
	}
	s.engine = e
	s.routes()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.snaps = newSnapCache(s.ctx, &s.wg, s.store.Snapshot, func() string {
		if v := s.runner.View(); v != nil {
			return v.Run.ID
		}
		return ""
	}, cfg.SnapshotRefresh, cfg.SnapshotMaxAge)
	// A scoring run starts at once or is refused (409); simulations wait
	// in a bounded queue.
	s.jobs.Register(kindScoringRun, jobs.Limits{Workers: 1, Keep: cfg.MaxJobs})
	s.jobs.Register(kindSimulation, jobs.Limits{Workers: cfg.SimulationWorkers, MaxQueued: cfg.SimulationQueue,
		MaxQueuedPerOwner: cfg.SimulationQueuePerKey})
	s.wg.Add(2)
	go s.pingLoop()
	go s.disputeLoop()
	if cfg.KeyStore != nil {
		s.wg.Add(1)
		go s.keyLoop()
	}
	if cfg.Live && cfg.LiveReconcile > 0 {
		s.wg.Add(1)
		go s.reconcileLoop() // api/live.go
	}
	return s, nil
}

// Handler returns the HTTP handler serving every route.
func (s *Server) Handler() http.Handler { return s.engine }

// Close cancels the jobs queued or running (a scoring run, simulations)
// and waits for them, stops the background ping, and flushes and
// closes the auditor. It does not close the store. It is safe to call more
// than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.snaps.close()
		s.cancel()
		s.jobs.Close()
		s.wg.Wait()
		if err := s.audit.Close(); err != nil {
			s.closeErr = fmt.Errorf("api: close audit: %w", err)
		}
	})
	return s.closeErr
}

// pingLoop keeps storeUp current so reads can say whether they are stale
// without touching the store.
func (s *Server) pingLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.PingInterval)
	defer t.Stop()
	for {
		s.ping(s.ctx)
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ping checks the store and records the outcome.
func (s *Server) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	err := s.store.Ping(ctx)
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return err // shutting down; say nothing about the store
	}
	up := err == nil
	if s.storeUp.Swap(up) != up {
		if up {
			s.log.Info("api: store reachable again")
		} else {
			s.log.Warn("api: store unreachable; scores are served as stale", slog.Any("error", err))
		}
	}
	return err
}

// peopleScored is the size of the runner's current view.
func (s *Server) peopleScored() float64 {
	if v := s.runner.View(); v != nil {
		return float64(v.Len())
	}
	return 0
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// routes registers every route. Each goes through s.handle, which knows
// its pattern for metrics and logging.
func (s *Server) routes() {
	e := s.engine
	e.Use(s.observe, s.recover, s.limitBody)
	e.NoRoute(func(c *gin.Context) {
		writeProblem(c, Problem{Type: typeNotFound, Title: "Not found", Status: http.StatusNotFound,
			Detail: "no such route", Instance: c.Request.URL.Path})
	})
	e.NoMethod(func(c *gin.Context) {
		writeProblem(c, Problem{Type: typeMethodNotAllowed, Title: "Method not allowed",
			Status: http.StatusMethodNotAllowed, Detail: c.Request.Method + " is not allowed here",
			Instance: c.Request.URL.Path})
	})

	s.handle(e, http.MethodGet, "/healthz", false, s.healthz)
	s.handle(e, http.MethodGet, "/readyz", false, s.readyz)
	s.handle(e, http.MethodGet, "/metrics", false, s.serveMetrics)
	s.handle(e, http.MethodGet, "/openapi.json", false, s.openapi)

	v1 := e.Group("/v1", s.authenticate)
	s.handle(v1, http.MethodPut, "/people/:id", false, s.putPerson)
	s.handle(v1, http.MethodGet, "/people/:id", false, s.getPerson)
	s.handle(v1, http.MethodDelete, "/people/:id", false, s.deletePerson)
	s.handle(v1, http.MethodPost, "/people/:id/events", false, s.postEvents)
	s.handle(v1, http.MethodGet, "/people/:id/events", false, s.getEvents)
	s.handle(v1, http.MethodPost, "/people/:id/disputes", false, s.postDispute)
	s.handle(v1, http.MethodGet, "/people/:id/disputes", false, s.getPersonDisputes)
	s.handle(v1, http.MethodGet, "/disputes", false, s.getDisputes) // operator only (x-roles)
	s.handle(v1, http.MethodGet, "/disputes/:id", false, s.getDispute)
	s.handle(v1, http.MethodPost, "/disputes/:id/resolution", false, s.postResolution) // operator only (x-roles)
	s.handle(v1, http.MethodGet, "/people/:id/score", true, s.getScore)
	s.handle(v1, http.MethodGet, "/people/:id/score/history", false, s.getScoreHistory)
	s.handle(v1, http.MethodGet, "/people/:id/score/changes", false, s.getScoreChanges)
	s.handle(v1, http.MethodGet, "/people/:id/score/friends", false, s.getScoreFriends) // person and operators only (roles issue)
	s.handle(v1, http.MethodPost, "/people/:id/what-if", false, s.postWhatIf)
	s.handle(v1, http.MethodGet, "/people/:id/advice", false, s.getAdvice)
	s.handle(v1, http.MethodPost, "/scores/batch", true, s.batchScores)
	s.handle(v1, http.MethodPut, "/friendships/:a/:b", false, s.putFriendship)
	s.handle(v1, http.MethodDelete, "/friendships/:a/:b", false, s.deleteFriendship)
	s.handle(v1, http.MethodPut, "/recruitments/:recruiter/:recruit", false, s.putRecruitment)
	s.handle(v1, http.MethodDelete, "/recruitments/:recruiter/:recruit", false, s.deleteRecruitment)
	s.handle(v1, http.MethodGet, "/scoring-runs", false, s.listRuns)
	s.handle(v1, http.MethodPost, "/scoring-runs", false, s.postRun)
	s.handle(v1, http.MethodGet, "/scoring-runs/:id", false, s.getRun)

	// Researchers' tools and the policy lab.
	s.handle(v1, http.MethodGet, "/people/:id/network", false, s.getNetwork)
	s.handle(v1, http.MethodGet, "/exports", false, s.getExport)
	s.handle(v1, http.MethodPost, "/experiments/shock", false, s.postShock)
	s.handle(v1, http.MethodGet, "/network/metrics", false, s.getNetworkMetrics)
	s.handle(v1, http.MethodGet, "/simulations", false, s.listSimulations)
	s.handle(v1, http.MethodPost, "/simulations", false, s.postSimulation)
	s.handle(v1, http.MethodGet, "/simulations/:id", false, s.getSimulation)
	s.handle(v1, http.MethodDelete, "/simulations/:id", false, s.deleteSimulation)
	s.accessRoutes(v1)

	// The researchers' page (no key needed: it holds no data).
	s.handle(e, http.MethodGet, "/", true, s.getIndex)
	s.handle(e, http.MethodGet, "/assets/*filepath", true, s.getAsset)
}

// handle registers h for the route. quiet routes (score reads, the hot
// path) are access-logged at Debug rather than Info.
func (s *Server) handle(r gin.IRoutes, method, path string, quiet bool, h gin.HandlerFunc) {
	full := path
	if g, ok := r.(*gin.RouterGroup); ok {
		full = g.BasePath() + path
	}
	s.metrics.addRoute(method, full, quiet)
	switch {
	case strings.HasPrefix(full, "/v1/"):
		h = s.authorize(method, full, h) // rate limited in authenticate
	case full != "/healthz" && full != "/readyz" && full != "/metrics":
		h = s.limitAnonymous(h)
	}
	r.Handle(method, path, h)
}
