package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/socialscore/socialscore/api"
	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/embedded"
	"github.com/socialscore/socialscore/scoring"
	"github.com/socialscore/socialscore/seed"
)

func cmdSeed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, common := newFlagSet("seed", stderr)
	people := fs.Int("people", 10000, "number of people to generate (ids 1..N)")
	seedVal := fs.Uint64("seed", 1, "random seed: the same seed gives the same network")
	spread := fs.Bool("spread-bands", false, "draw weaker, more varied records so every score band is well populated (as demo does)")
	bulk := addBulkFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	// A bad size is refused before a store is created.
	if err := (seed.Config{People: *people, Seed: *seedVal}).Validate(); err != nil {
		return usageError{err}
	}
	if err := bulk.prepare(common.store, false); err != nil {
		return err
	}
	if bulk.bulk {
		return bulkSeed(ctx, common, bulk, seed.Config{People: *people, Seed: *seedVal, SpreadBands: *spread}, stdout, stderr)
	}
	store, err := createStore(ctx, common.store, common.neo4j)
	if err != nil {
		return err
	}
	defer store.Close()
	return seedStoreConfig(ctx, store, seed.Config{People: *people, Seed: *seedVal, SpreadBands: *spread}, stdout, stderr)
}

func seedStore(ctx context.Context, store graph.Store, people int, seedVal uint64, stdout, stderr io.Writer) error {
	return seedStoreConfig(ctx, store, seed.Config{People: people, Seed: seedVal}, stdout, stderr)
}

// loadMemoryLimit is the soft memory limit (runtime/debug.SetMemoryLimit)
// of a load by seed or import when GOMEMLIMIT is not set: the network's
// arrays, a transaction and the snapshot built after an embedded load are
// live at once (about 2.3 GB at 10 million people), and with the default
// GOGC the heap would grow to twice that before the collector runs.
const loadMemoryLimit = 3 << 30

// limitLoadMemory sets loadMemoryLimit unless GOMEMLIMIT sets a limit, and
// returns a function restoring the previous one.
func limitLoadMemory() (restore func()) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	prev := debug.SetMemoryLimit(loadMemoryLimit)
	return func() { debug.SetMemoryLimit(prev) }
}

// scoreGCPercent is the GOGC of a one-shot scoring run when GOGC is not
// set. A run's live heap is large and long-lived (the snapshot and the
// kernels' arrays: 3.3 GB at ten million people) and its garbage comes in
// large pieces (the kernels' scratch arrays, the save's transactions), so
// with the default 100 the heap grew to twice the live heap before a
// collection: a peak RSS of 7.2 GB at ten million people, where 25 gave
// 4.2 GB and took less time, fresh pages being fewer (docs/architecture.md,
// "Ten million people").
const scoreGCPercent = 25

// scoreGC sets scoreGCPercent unless GOGC is set, and returns a function
// restoring the previous value.
func scoreGC() (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	prev := debug.SetGCPercent(scoreGCPercent)
	return func() { debug.SetGCPercent(prev) }
}

func seedStoreConfig(ctx context.Context, store graph.Store, cfg seed.Config, stdout, stderr io.Writer) error {
	defer limitLoadMemory()()
	bar := newBar(stderr, 2, "generating")
	t0 := time.Now()
	net, err := seed.Stream(cfg)
	if err != nil {
		return usageError{err}
	}
	gen := time.Since(t0)
	bar.step("loading")
	t1 := time.Now()
	if err := loadNetwork(ctx, store, net, bar); err != nil {
		return fmt.Errorf("seed: load: %w", err)
	}
	load := time.Since(t1)
	bar.finish()
	fmt.Fprintf(stdout, "seeded %d people, %d ties (generate %s, load %s)\n",
		net.Len(), net.Friendships()+net.Recruitments(), gen.Round(time.Millisecond), load.Round(time.Millisecond))
	return nil
}

// loadNetwork writes a seeded or imported network into the store with
// memory bounded by a batch, not by the network (see docs/architecture.md,
// "Loading"): into an empty embedded store with its bulk loader, into any
// other empty store in batches of people with their ties to earlier
// people (seed.LoadChunks). A store that holds people already gets the
// whole network in one ApplyBatch, all or nothing, as before: it fails on
// the first id it holds and writes nothing.
func loadNetwork(ctx context.Context, store graph.Store, net *seed.Network, bar *bar) error {
	counts, err := store.Counts(ctx)
	if err != nil {
		return err
	}
	if counts.People > 0 || counts.Friendships > 0 || counts.Recruitments > 0 {
		return store.ApplyBatch(ctx, net.Batch())
	}
	if es, ok := store.(*embedded.Store); ok {
		// The snapshot image, from the arrays as they are loaded, so the
		// first score need not decode the store. Without it the first
		// Snapshot reads the records and saves the image itself: a failure
		// here costs time, never correctness.
		_, snap, err := es.LoadSnapshot(ctx, net, time.Now().UTC().Round(0))
		if err != nil {
			return err
		}
		if err := es.SaveImage(ctx, snap); err != nil {
			slog.Warn("load: snapshot image not saved; the first score reads the store", "err", err)
		}
		return nil
	}
	return seed.LoadChunks(ctx, store, net, 0, func(done int) {
		bar.describe(fmt.Sprintf("loading (%d of %d people)", done, net.Len()))
	})
}

func cmdImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, common := newFlagSet("import", stderr)
	friends := fs.String("friends", "", "SNAP edge list of friendships (whitespace-separated id pairs, # comments) (required)")
	peopleFile := fs.String("people", "", "optional CSV of people and their records (see seed.ReadPeopleCSV)")
	merge := fs.Bool("merge", false, "add to a store that already holds people: new people and their ties are added, stored people keep their records, ties between stored people are added where new")
	bulk := addBulkFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *friends == "" {
		return usageError{errors.New("import: --friends FILE is required")}
	}
	if err := bulk.prepare(common.store, *merge); err != nil {
		return err
	}
	ef, err := os.Open(*friends)
	if err != nil {
		return err
	}
	defer ef.Close()
	var pr io.Reader
	if *peopleFile != "" {
		pf, err := os.Open(*peopleFile)
		if err != nil {
			return err
		}
		defer pf.Close()
		pr = pf
	}
	defer limitLoadMemory()()
	net, stats, err := seed.ImportNetwork(ef, pr)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	// Nothing to import is a mistake (a wrong or truncated file), not a
	// success: the store is not even opened.
	if stats.Friendships == 0 {
		return fmt.Errorf("import: %s holds no friendships (%d lines: %d comments, %d blank, %d self-loops): nothing imported",
			*friends, stats.Lines, stats.Comments, stats.Blank, stats.SelfLoops)
	}
	if bulk.bulk {
		return bulkLoad(ctx, common, bulk, net, "import", stdout, stderr)
	}
	store, err := createStore(ctx, common.store, common.neo4j)
	if err != nil {
		return err
	}
	defer store.Close()
	t0 := time.Now()
	counts, err := store.Counts(ctx)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	var ms mergeStats
	imported := struct{ people, ties int }{net.Len(), net.Friendships()}
	switch {
	case counts.People > 0 && !*merge:
		return fmt.Errorf("import: store %s already holds %d people: give --merge to add the new people and ties "+
			"(stored people are kept as they are), or import into another store with --store", common.store, counts.People)
	case counts.People > 0:
		batch, merged, err := mergeBatch(ctx, store, net.Batch())
		if err != nil {
			return fmt.Errorf("import: merge: %w", err)
		}
		ms = merged
		imported.people, imported.ties = len(batch.People), len(batch.Ties)
		if len(batch.People) > 0 || len(batch.Ties) > 0 {
			if err := store.ApplyBatch(ctx, batch); err != nil {
				return fmt.Errorf("import: load: %w", err)
			}
		}
	default:
		if err := loadNetwork(ctx, store, net, newBar(io.Discard, 1, "loading")); err != nil {
			return fmt.Errorf("import: load: %w", err)
		}
	}
	fmt.Fprintf(stdout, "imported %d people, %d friendships in %s (%+v)\n",
		imported.people, imported.ties, time.Since(t0).Round(time.Millisecond), stats)
	if counts.People > 0 {
		fmt.Fprintf(stdout, "merged into %d stored people: %d of the file's people were stored already and kept as they are, %d of its ties were stored already\n",
			counts.People, ms.KeptPeople, ms.KeptTies)
	}
	return nil
}

func cmdScore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, common := newFlagSet("score", stderr)
	policyArg := fs.String("policy", envOr("SOCIALSCORE_POLICY", "sesame"), "policy: a preset name or a JSON/YAML file")
	ef := engineFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	pol, err := scoring.LoadPolicy(*policyArg)
	if err != nil {
		return usageError{err}
	}
	engine, err := ef.engine(stderr)
	if err != nil {
		return err
	}
	defer scoreGC()()
	store, err := openStore(ctx, common.store, common.neo4j)
	if err != nil {
		return err
	}
	defer store.Close()
	// A one-shot run: no read view (it would hold every result).
	r := scoring.NewRunner(store, nil)
	r.NoView = true
	_, err = scoreStoreOn(ctx, store, r, pol, engine, stdout, stderr)
	return err
}

// scoreStore runs one scoring run with a progress bar and prints its
// report, ending with a summary of the run's stored results against the
// previous run's (printSummary). r scores store.
func scoreStore(ctx context.Context, store graph.ScoreStore, r *scoring.Runner, pol scoring.Policy, stdout, stderr io.Writer) (scoring.Report, error) {
	return scoreStoreOn(ctx, store, r, pol, nil, stdout, stderr)
}

// scoreStoreOn is scoreStore with the graph phases on engine (nil: Go's).
func scoreStoreOn(ctx context.Context, store graph.ScoreStore, r *scoring.Runner, pol scoring.Policy, engine scoring.GraphEngine, stdout, stderr io.Writer) (scoring.Report, error) {
	prev, prevResults, err := latestScores(ctx, store)
	if errors.Is(err, graph.ErrNotFound) {
		prev, prevResults, err = graph.Run{}, nil, nil
	}
	if err != nil {
		return scoring.Report{}, fmt.Errorf("score: previous run: %w", err)
	}
	// One step per scoring phase; the time before the first is the snapshot.
	bar := newBar(stderr, 5, "reading snapshot")
	rep, err := r.Run(ctx, pol, scoring.Options{Engine: engine, Progress: func(phase string, _, _ int) {
		bar.step(phase + " done")
	}})
	if err != nil {
		return rep, err
	}
	bar.finish()
	s := rep.Stats
	ms := func(d time.Duration) string { return d.Round(100 * time.Microsecond).String() }
	fmt.Fprintf(stdout, "scored %d people, %d friendships under %q: run %s\n", rep.Run.People, rep.Run.Friendships, rep.Run.Policy, rep.Run.ID)
	fmt.Fprintf(stdout, "  snapshot %s | pillars %s, propagation %s (%d it), pagerank %s (%d it), percentiles %s, finalize %s | save %s | total %s\n",
		ms(rep.Snapshot), ms(s.Pillars), ms(s.Propagation), s.PropagationIterations, ms(s.PageRank), s.PageRankIterations,
		ms(s.Percentiles), ms(s.Finalize), ms(rep.Save), ms(rep.Total))
	cur, results, err := latestScores(ctx, store)
	if err != nil {
		return rep, fmt.Errorf("score: read back run %s: %w", rep.Run.ID, err)
	}
	sum, err := summarize(cur, results, prev, prevResults, maxMovers)
	if err != nil {
		return rep, err
	}
	printSummary(stdout, sum)
	return rep, nil
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, common := newFlagSet("serve", stderr)
	cfg := serveFlags(fs)
	create := fs.Bool("create", false, "create an empty store when --store names none (people then arrive through the API); without it serve refuses a store that does not exist")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg.create = *create
	m, err := cfg.openMain(ctx, common, stderr, "")
	if err != nil {
		return err
	}
	defer m.Close()
	return m.Serve(ctx, stdout)
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, common := newFlagSet("demo", stderr)
	cfg := serveFlags(fs)
	people := fs.Int("people", 20000, "people to seed when the store is empty")
	seedVal := fs.Uint64("seed", 1, "random seed for the demo network")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := (seed.Config{People: *people, Seed: *seedVal}).Validate(); err != nil {
		return usageError{err}
	}
	// Bind first, so a busy port fails before any seeding and the page's
	// address is the first thing printed.
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.addr, err)
	}
	page := pageURL(ln.Addr())
	fmt.Fprintf(stdout, "socialscore demo: the page is at %s\n", page)
	fmt.Fprintln(stdout, "  open it in a browser once the network is scored (the last line below says when),")
	fmt.Fprintln(stdout, "  paste the operator key below into \"API key\", Save, and enter a person id (1, 2, ...)")
	fmt.Fprintln(stdout, "  to draw their network coloured by score band, or play a shock on them")
	// One key per role on the first run, the same ones afterwards, in a
	// file beside the store that only its owner can read.
	cfg.create = true
	m, err := cfg.openMain(ctx, common, stderr, filepath.Join(storeDir(common.store), "keys.txt"))
	if err != nil {
		ln.Close()
		return err
	}
	m.ln = ln
	defer m.Close()
	fmt.Fprintf(stdout, "API keys, one per role: %s (readable by you only)\n", m.InitKeysFile)
	for _, e := range m.InitKeys {
		if e.role == graph.RoleOperator {
			fmt.Fprintf(stdout, "operator key: %s\n", e.key)
			fmt.Fprintf(stdout, "try:  curl -s -H 'Authorization: Bearer %s' %sv1/people/1/score\n", e.key, page)
		}
	}
	counts, err := m.Store.Counts(ctx)
	if err != nil {
		return err
	}
	if counts.People == 0 {
		fmt.Fprintf(stdout, "store %s is empty: seeding %d people (seed %d)\n", common.store, *people, *seedVal)
		if err := seedStoreConfig(ctx, m.Store, seed.Config{People: *people, Seed: *seedVal, SpreadBands: true}, stdout, stderr); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "store %s holds %d people, %d friendships\n", common.store, counts.People, counts.Friendships)
	}
	if _, err := scoreStore(ctx, m.Store, m.Runner, m.Policy, stdout, stderr); err != nil {
		return err
	}
	return m.Serve(ctx, stdout)
}

// pageURL is the address of the page served on addr; an unspecified host
// (0.0.0.0, ::) is shown as localhost, which a browser on this machine
// reaches.
func pageURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + "/"
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// serveConfig holds the flags of serve and demo.
type serveConfig struct {
	addr, policy, apiKeys, auditLog string
	pprofAddr                       string
	apiKeysFile, initKeys           string
	open                            bool
	create                          bool // make the store if there is none
	fs                              *flag.FlagSet
	live                            bool
	reconcileEvery                  time.Duration
	// privacy: --real-ids lets exports carry real ids; --key-file (or
	// SOCIALSCORE_EXPORT_KEY) is the pseudonymisation key, shared with the
	// export command so pseudonyms match.
	privacy              *privacy
	simQueue, simWorkers int
	// Fair use under load (issue 13): connection caps, deadlines, rate limits.
	maxConns, maxConnsPerIP    int
	readHeader, readBody, idle time.Duration
	rateLimits                 string
	heavy                      *heavyFlags
}

func serveFlags(fs *flag.FlagSet) *serveConfig {
	c := &serveConfig{privacy: privacyFlags(fs), fs: fs, heavy: heavyFlagsOf(fs)}
	fs.IntVar(&c.simQueue, "simulation-queue", 4, "simulations that may wait for a worker before POST /v1/simulations answers 429")
	fs.IntVar(&c.simWorkers, "simulation-workers", 1, "simulations run at once (each on one core of the heavy share)")
	fs.StringVar(&c.addr, "addr", envOr("SOCIALSCORE_ADDR", "127.0.0.1:8080"), "HTTP listen address (env SOCIALSCORE_ADDR)")
	fs.StringVar(&c.policy, "policy", envOr("SOCIALSCORE_POLICY", "sesame"), "default policy for scoring runs: a preset name or a JSON/YAML file")
	fs.StringVar(&c.apiKeys, "api-keys", os.Getenv("SOCIALSCORE_API_KEYS"), "refused: keys never go on a command line, which every user of the machine can read; set SOCIALSCORE_API_KEYS (name:key,name:key, operator role) or use --api-keys-file")
	fs.StringVar(&c.apiKeysFile, "api-keys-file", os.Getenv("SOCIALSCORE_API_KEYS_FILE"), "file of keys with the operator role, name:key per line (env SOCIALSCORE_API_KEYS_FILE); prefer keys in the store (socialscore keys create)")
	fs.StringVar(&c.initKeys, "init-keys", os.Getenv("SOCIALSCORE_INIT_KEYS"), "on the first start, make one key per role in the store and write them to this file (mode 0600); later starts reuse them (env SOCIALSCORE_INIT_KEYS)")
	fs.BoolVar(&c.open, "open", false, "serve /v1 without keys: anyone may do anything. Local development only")
	fs.StringVar(&c.auditLog, "audit-log", os.Getenv("SOCIALSCORE_AUDIT_LOG"), "file the score-read audit log is appended to (default: audit.jsonl beside the embedded store, else data/audit.jsonl)")
	fs.BoolVar(&c.live, "live", false, "serve live scores: every acknowledged write moves the affected scores at once; enables what-if and advice")
	fs.DurationVar(&c.reconcileEvery, "reconcile-every", 0, "with --live: run a full scoring run this often (e.g. 1h) and swap it in under the live view, replaying the writes made meanwhile; 0: never")
	fs.StringVar(&c.pprofAddr, "pprof-addr", "", "serve Go's profiles (net/http/pprof) on this address, apart from the API, e.g. 127.0.0.1:6060; off when empty")
	fs.IntVar(&c.maxConns, "max-conns", 0, "open connections at most; more are closed on accept (0: nine tenths of the open-file limit, at most 50,000)")
	fs.IntVar(&c.maxConnsPerIP, "max-conns-per-ip", 0, "open connections from one client address at most (0: an eighth of --max-conns, at least 64)")
	fs.DurationVar(&c.readHeader, "read-header-timeout", 0, "time a client has to send a request's headers (0: 5s)")
	fs.DurationVar(&c.readBody, "read-body-timeout", 0, "time a client has to send a request's body after its headers (0: 10s)")
	fs.DurationVar(&c.idle, "idle-timeout", 0, "an idle keep-alive connection is closed after this (0: 60s)")
	fs.StringVar(&c.rateLimits, "rate-limits", os.Getenv("SOCIALSCORE_RATE_LIMITS"), "per-key rate limits over the defaults: WHO=RATE[/BURST] or WHO=off, comma-separated; WHO is a role, anonymous (per client address) or key:NAME; \"off\" alone turns every limit off (env SOCIALSCORE_RATE_LIMITS)")
	return c
}

// openMain builds the main of serve or demo (newMain) and opens it; keysFile,
// when not empty, is where the first keys go unless a flag named a file.
// On error nothing is left open.
func (c *serveConfig) openMain(ctx context.Context, common *commonFlags, stderr io.Writer, keysFile string) (*Main, error) {
	m, err := c.newMain(common, stderr)
	if err != nil {
		return nil, err
	}
	if m.InitKeysFile == "" {
		m.InitKeysFile = keysFile
	}
	if err := m.Open(ctx); err != nil {
		_ = m.Close()
		return nil, err
	}
	return m, nil
}

func (c *serveConfig) newMain(common *commonFlags, stderr io.Writer) (*Main, error) {
	pol, err := scoring.LoadPolicy(c.policy)
	if err != nil {
		return nil, usageError{err}
	}
	switch {
	case c.reconcileEvery < 0:
		return nil, usageError{fmt.Errorf("--reconcile-every must not be negative, got %v", c.reconcileEvery)}
	case c.reconcileEvery > 0 && !c.live:
		return nil, usageError{errors.New("--reconcile-every reconciles the live view: it needs --live")}
	}
	var onCommandLine bool
	c.fs.Visit(func(f *flag.Flag) { onCommandLine = onCommandLine || f.Name == "api-keys" })
	if onCommandLine {
		return nil, usageError{errors.New("--api-keys would put secrets on the command line, where any user of the machine can read them: " +
			"set SOCIALSCORE_API_KEYS, use --api-keys-file, or make keys in the store (socialscore keys create)")}
	}
	keys, err := parseAPIKeys(c.apiKeys)
	if err != nil {
		return nil, err
	}
	if c.apiKeysFile != "" {
		data, err := os.ReadFile(c.apiKeysFile)
		if err != nil {
			return nil, fmt.Errorf("--api-keys-file: %w", err)
		}
		var lines []string
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				lines = append(lines, l)
			}
		}
		fileKeys, err := parseAPIKeys(strings.Join(lines, ","))
		if err != nil {
			return nil, fmt.Errorf("--api-keys-file %s: %w", c.apiKeysFile, err)
		}
		for k, n := range fileKeys {
			keys[k] = n
		}
	}
	audit := c.auditLog
	if audit == "" {
		audit = filepath.Join(storeDir(common.store), "audit.jsonl")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(common.logLevel)); err != nil {
		return nil, usageError{fmt.Errorf("--log-level: %w", err)}
	}
	ps, err := c.privacy.pseudonymizer(stderr)
	if err != nil {
		return nil, err
	}
	var limits api.RateLimits
	if strings.TrimSpace(c.rateLimits) == "off" {
		limits.Off = true
	} else if limits, err = api.ParseRateLimits(c.rateLimits); err != nil {
		return nil, usageError{fmt.Errorf("--rate-limits: %w", err)}
	}
	if c.maxConns < 0 || c.maxConnsPerIP < 0 || c.readHeader < 0 || c.readBody < 0 || c.idle < 0 {
		return nil, usageError{errors.New("--max-conns, --max-conns-per-ip and the timeouts must not be negative")}
	}
	heavy, memLimit, err := c.heavy.config()
	if err != nil {
		return nil, err
	}
	return &Main{
		Heavy:                   heavy,
		HeavyBudgets:            c.heavy.budgets,
		MemoryLimit:             memLimit,
		MemoryLimitFollowsStore: c.heavy.memory == "" && os.Getenv("GOMEMLIMIT") == "",
		ExportKey:               ps.Key,
		ExportRealIDs:           ps.RealIDs,
		SimulationQueue:         c.simQueue,
		SimulationWorkers:       c.simWorkers,
		StoreURL:                common.store,
		StoreOpts:               common.neo4j,
		CreateStore:             c.create,
		Addr:                    c.addr,
		Policy:                  pol,
		APIKeys:                 keys,
		OpenAccess:              c.open,
		InitKeysFile:            c.initKeys,
		AuditPath:               audit,
		PprofAddr:               c.pprofAddr,
		Live:                    c.live,
		MaxConns:                c.maxConns,
		MaxConnsPerAddr:         c.maxConnsPerIP,
		ReadHeaderTimeout:       c.readHeader,
		ReadBodyTimeout:         c.readBody,
		IdleTimeout:             c.idle,
		RateLimits:              limits,
		LiveReconcile:           c.reconcileEvery,
		Logger:                  slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
		ShowsReady:              true,
	}, nil
}

// bar is a progress bar shown only on a terminal.
type bar struct{ pb *progressbar.ProgressBar }

func newBar(w io.Writer, steps int, first string) *bar {
	if !isTerminal(w) {
		return &bar{}
	}
	return &bar{pb: progressbar.NewOptions(steps,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(first),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(30),
	)}
}

func (b *bar) step(next string) {
	if b.pb != nil {
		b.pb.Describe(next)
		_ = b.pb.Add(1)
	}
}

func (b *bar) finish() {
	if b.pb != nil {
		_ = b.pb.Finish()
	}
}

func (b *bar) describe(s string) {
	if b.pb != nil {
		b.pb.Describe(s)
	}
}
