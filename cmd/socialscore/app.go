package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/socialscore/socialscore/api"
	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/admission"
	"github.com/socialscore/socialscore/internal/connlimit"
	"github.com/socialscore/socialscore/scoring"
)

// Main is the whole program wired together: a store, a scoring runner, the
// API and its HTTP server. End-to-end tests start it on port 0.
type Main struct {
	StoreURL  string
	StoreOpts storeOptions
	// CreateStore makes an empty store when StoreURL names none (demo,
	// serve --create); without it Open refuses a store that does not exist.
	CreateStore bool
	Addr        string // host:port; port 0 picks a free one
	Policy      scoring.Policy
	APIKeys     map[string]string // key -> name; deprecated: these keys hold the operator role
	// Keys are keys with roles given in the configuration; the store's
	// keys (graph.KeyStore) are used besides them.
	Keys map[string]api.KeyHolder
	// OpenAccess serves /v1 without keys (local development only).
	// Without it Open refuses to start when there is no key at all.
	OpenAccess bool
	// InitKeysFile, when set, is where one key per role is written on the
	// first start (see initKeys); InitKeys holds them after Open.
	InitKeysFile string
	InitKeys     []keyFileEntry
	AuditPath    string
	Logger       *slog.Logger
	// ExportKey pseudonymises ids in exports; ExportRealIDs allows real ids.
	ExportKey         []byte
	ExportRealIDs     bool
	SimulationQueue   int
	SimulationWorkers int
	// ShowsReady prints the listening URL once serving.
	ShowsReady bool
	// PprofAddr, when set, is where Serve also serves Go's profiles
	// (net/http/pprof), on a listener of its own: never on the API's.
	PprofAddr string
	// Live serves live scores (api.Config.Live).
	Live bool
	// LiveReconcile is api.Config.LiveReconcile.
	LiveReconcile time.Duration

	// Fair use under load (issue 13). MaxConns and MaxConnsPerAddr cap the
	// open connections (0: connlimit.Defaults of the file limit, which Open
	// first raises to the hard limit); a request's headers must arrive
	// within ReadHeaderTimeout and its body within ReadBodyTimeout after
	// them; an idle keep-alive connection is closed after IdleTimeout.
	// Zero durations take the Default* values. RateLimits are the per-key
	// limits (api.RateLimits; the zero value is the defaults).
	MaxConns, MaxConnsPerAddr                       int
	ReadHeaderTimeout, ReadBodyTimeout, IdleTimeout time.Duration
	RateLimits                                      api.RateLimits
	conns                                           *connlimit.Limiter
	// Heavy and HeavyBudgets configure heavy work (api.Config); MemoryLimit,
	// when positive, is set as the process's soft memory limit by Serve.
	// MemoryLimitFollowsStore (the default limit: neither --memory-limit
	// nor GOMEMLIMIT given) raises MemoryLimit, once the scores are
	// loaded, to that much above the heap they hold (storeMemoryLimit).
	Heavy                   admission.Config
	HeavyBudgets            admission.Budgets
	MemoryLimit             int64
	MemoryLimitFollowsStore bool

	Store  graph.Store
	Runner *scoring.Runner
	API    *api.Server

	ln  net.Listener
	srv *http.Server
}

// Open opens the store, loads the last completed scoring run into the read
// view, and builds the API.
func (m *Main) Open(ctx context.Context) error {
	if m.Logger == nil {
		m.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	open := openStore
	if m.CreateStore {
		open = createStore
	}
	store, err := open(ctx, m.StoreURL, m.StoreOpts)
	if err != nil {
		return err
	}
	m.Store = store
	m.Runner = scoring.NewRunner(store, nil)
	if err := m.Runner.Load(ctx); err != nil {
		return err
	}
	if m.MemoryLimitFollowsStore && m.MemoryLimit > 0 {
		if l := storeMemoryLimit(m.MemoryLimit); l > m.MemoryLimit {
			m.Logger.Info("memory limit raised above the loaded scores", "limit_bytes", l, "default_bytes", m.MemoryLimit)
			m.MemoryLimit, m.Heavy.MemoryLimit = l, l
		}
	}
	ks, _ := store.(graph.KeyStore)
	if m.InitKeysFile != "" && ks != nil {
		if m.InitKeys, err = initKeys(ctx, ks, m.InitKeysFile); err != nil {
			return fmt.Errorf("keys: %w", err)
		}
	}
	if !m.OpenAccess {
		n := len(m.APIKeys) + len(m.Keys)
		if ks != nil {
			stored, err := ks.Keys(ctx)
			if err != nil {
				return fmt.Errorf("keys: %w", err)
			}
			for _, k := range stored {
				if !k.Revoked() {
					n++
				}
			}
		}
		if n == 0 {
			return errNoKeys
		}
	}
	nofile, err := connlimit.RaiseNoFile()
	if err != nil {
		m.Logger.Warn("cannot read the limit of open files", "error", err)
	}
	m.conns = connlimit.New(connlimit.Limits{Max: m.MaxConns, PerAddr: m.MaxConnsPerAddr})
	st := m.conns.Stats()
	m.Logger.Info("limits", "open_files", nofile, "max_conns", st.Max, "max_conns_per_ip", st.PerAddr,
		"rate_limits", m.RateLimits.String())
	if err := os.MkdirAll(filepath.Dir(m.AuditPath), 0o755); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	auditor, err := api.NewFileAuditor(m.AuditPath)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	m.API, err = api.New(api.Config{
		Store:    store,
		KeyStore: ks,
		Runner:   m.Runner,
		Policy:   m.Policy,
		Logger:   m.Logger,
		APIKeys:  m.APIKeys,
		Keys:     m.Keys,
		Open:     m.OpenAccess,
		Audit:    auditor,

		ExportKey:         m.ExportKey,
		ExportRealIDs:     m.ExportRealIDs,
		SimulationQueue:   m.SimulationQueue,
		SimulationWorkers: m.SimulationWorkers,
		Live:              m.Live,
		RateLimits:        m.RateLimits,
		Connections:       m.conns,
		LiveReconcile:     m.LiveReconcile,
		Heavy:             m.Heavy,
		HeavyBudgets:      m.HeavyBudgets,
	})
	if err != nil {
		auditor.Close()
		return err
	}
	return nil
}

// errNoKeys is why serve does not start without keys.
var errNoKeys = errors.New("no API keys: /v1 would be open to anyone. Create one with " +
	"`socialscore keys create --name NAME --role operator` (it prints the key once), give --api-keys-file FILE, " +
	"or start with --init-keys FILE to make one key per role; --open serves without keys, for local development only")

// Listen binds the address; URL is valid afterwards.
func (m *Main) Listen() error {
	ln, err := net.Listen("tcp", m.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", m.Addr, err)
	}
	if m.conns != nil {
		ln = m.conns.Listener(ln)
	}
	m.ln = ln
	return nil
}

// URL returns the base URL the API is served at.
func (m *Main) URL() string { return "http://" + m.ln.Addr().String() }

// Serve serves the API until ctx is cancelled, then shuts down in order:
// stop accepting, finish requests (bounded), and return. Close releases the
// rest.
func (m *Main) Serve(ctx context.Context, stdout io.Writer) error {
	if m.ln == nil {
		if err := m.Listen(); err != nil {
			return err
		}
	}
	// The live heap of a server is small (the score view) while every
	// request allocates a little: collect less often than Go's default so
	// GC cycles do not show in the tail latency of score reads. GOGC, when
	// set, wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	header, body, idle := orDefault(m.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		orDefault(m.ReadBodyTimeout, DefaultReadBodyTimeout), orDefault(m.IdleTimeout, DefaultIdleTimeout)
	// The soft memory limit (--memory-limit, GOMEMLIMIT): the collector
	// works harder near it, and heavy work is refused (api/admission.go).
	if m.MemoryLimit > 0 {
		debug.SetMemoryLimit(m.MemoryLimit)
	}
	m.srv = &http.Server{
		Handler:           m.API.Handler(),
		ReadHeaderTimeout: header,
		ReadTimeout:       header + body, // from the request's first byte to its body's last
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       idle,
	}
	if m.PprofAddr != "" {
		_, stop, err := m.servePprof()
		if err != nil {
			return err
		}
		defer stop()
	}
	errc := make(chan error, 1)
	go func() { errc <- m.srv.Serve(m.ln) }()
	if m.ShowsReady {
		fmt.Fprintf(stdout, "serving on %s (Ctrl-C to stop)\n", m.URL())
	}
	m.Logger.Info("serving", "addr", m.URL(), "store", m.StoreURL)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Defaults of the connection deadlines. A body of the largest size allowed
// (1 MiB) arrives in 10 s at 100 KiB/s; a client slower than that is cut
// off rather than holding a connection (and a descriptor) for long.
const (
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadBodyTimeout   = 10 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
)

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// servePprof serves net/http/pprof's handlers on PprofAddr until stop is
// called. They reveal the process's internals and cost CPU while
// profiling: bind them to loopback.
func (m *Main) servePprof() (addr string, stop func(), err error) {
	ln, err := net.Listen("tcp", m.PprofAddr)
	if err != nil {
		return "", nil, fmt.Errorf("pprof: listen %s: %w", m.PprofAddr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	// Not /debug/pprof/cmdline: the command line may hold secrets (keys
	// given with the deprecated --api-keys), and profiles need no key.
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
		m.Logger.Warn("profiles are served on a non-loopback address", "addr", ln.Addr().String())
	}
	m.Logger.Info("serving profiles", "addr", "http://"+ln.Addr().String()+"/debug/pprof/")
	return ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// Close releases the API (flushing the audit log) and then the store.
func (m *Main) Close() error {
	var errs []error
	if m.srv != nil {
		errs = append(errs, m.srv.Close())
	} else if m.ln != nil {
		errs = append(errs, m.ln.Close())
	}
	if m.API != nil {
		errs = append(errs, m.API.Close())
	}
	if m.Store != nil {
		errs = append(errs, m.Store.Close())
	}
	return errors.Join(errs...)
}

// storeMemoryLimit returns the default soft memory limit of a server whose
// store is loaded: base (the default limit, 1 GiB) above the live heap,
// which is then mostly the view of the latest run (about 190 bytes a
// person: 1.9 GB at 10 million people). A fixed 1 GiB would be below the
// live heap of a large store, and the collector would run back to back.
func storeMemoryLimit(base int64) int64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return base
	}
	return base + int64(s[0].Value.Uint64())
}
