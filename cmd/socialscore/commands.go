package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
	"github.com/socialscore/socialscore/seed"
)

func cmdSeed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, common := newFlagSet("seed", stderr)
	people := fs.Int("people", 10000, "number of people to generate (ids 1..N)")
	seedVal := fs.Uint64("seed", 1, "random seed: the same seed gives the same network")
	if err := parse(fs, args); err != nil {
		return err
	}
	store, err := openStore(ctx, common.store, common.neo4j)
	if err != nil {
		return err
	}
	defer store.Close()
	return seedStore(ctx, store, *people, *seedVal, stdout, stderr)
}

func seedStore(ctx context.Context, store graph.Store, people int, seedVal uint64, stdout, stderr io.Writer) error {
	bar := newBar(stderr, 2, "generating")
	t0 := time.Now()
	batch, err := seed.Generate(seed.Config{People: people, Seed: seedVal})
	if err != nil {
		return usageError{err}
	}
	gen := time.Since(t0)
	bar.step("loading")
	t1 := time.Now()
	if err := store.ApplyBatch(ctx, batch); err != nil {
		return fmt.Errorf("seed: load: %w", err)
	}
	load := time.Since(t1)
	bar.finish()
	fmt.Fprintf(stdout, "seeded %d people, %d ties (generate %s, load %s)\n",
		len(batch.People), len(batch.Ties), gen.Round(time.Millisecond), load.Round(time.Millisecond))
	return nil
}

func cmdImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, common := newFlagSet("import", stderr)
	friends := fs.String("friends", "", "SNAP edge list of friendships (whitespace-separated id pairs, # comments)")
	peopleFile := fs.String("people", "", "optional CSV of people and their records (see seed.ReadPeopleCSV)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *friends == "" {
		return usageError{errors.New("import: --friends FILE is required")}
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
	batch, stats, err := seed.ImportBatch(ef, pr)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	store, err := openStore(ctx, common.store, common.neo4j)
	if err != nil {
		return err
	}
	defer store.Close()
	t0 := time.Now()
	if err := store.ApplyBatch(ctx, batch); err != nil {
		return fmt.Errorf("import: load: %w", err)
	}
	fmt.Fprintf(stdout, "imported %d people, %d friendships in %s (%+v)\n",
		len(batch.People), len(batch.Ties), time.Since(t0).Round(time.Millisecond), stats)
	return nil
}

func cmdScore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, common := newFlagSet("score", stderr)
	policyArg := fs.String("policy", envOr("SOCIALSCORE_POLICY", "sesame"), "policy: a preset name or a JSON/YAML file")
	if err := parse(fs, args); err != nil {
		return err
	}
	pol, err := scoring.LoadPolicy(*policyArg)
	if err != nil {
		return usageError{err}
	}
	store, err := openStore(ctx, common.store, common.neo4j)
	if err != nil {
		return err
	}
	defer store.Close()
	_, err = scoreStore(ctx, scoring.NewRunner(store, nil), pol, stdout, stderr)
	return err
}

// scoreStore runs one scoring run with a progress bar and prints its report.
func scoreStore(ctx context.Context, r *scoring.Runner, pol scoring.Policy, stdout, stderr io.Writer) (scoring.Report, error) {
	// One step per scoring phase; the time before the first is the snapshot.
	bar := newBar(stderr, 5, "reading snapshot")
	rep, err := r.Run(ctx, pol, scoring.Options{Progress: func(phase string, _, _ int) {
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
	return rep, nil
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, common := newFlagSet("serve", stderr)
	cfg := serveFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
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
	// One key per role on the first run, the same ones afterwards, in a
	// file beside the store that only its owner can read.
	m, err := cfg.openMain(ctx, common, stderr, filepath.Join(storeDir(common.store), "keys.txt"))
	if err != nil {
		return err
	}
	defer m.Close()
	// Bind first, so a busy port fails before any seeding.
	if err := m.Listen(); err != nil {
		return err
	}
	counts, err := m.Store.Counts(ctx)
	if err != nil {
		return err
	}
	if counts.People == 0 {
		fmt.Fprintf(stdout, "store %s is empty: seeding %d people (seed %d)\n", common.store, *people, *seedVal)
		if err := seedStore(ctx, m.Store, *people, *seedVal, stdout, stderr); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "store %s holds %d people, %d friendships\n", common.store, counts.People, counts.Friendships)
	}
	if _, err := scoreStore(ctx, m.Runner, m.Policy, stdout, stderr); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "API keys, one per role: %s (readable by you only)\n", m.InitKeysFile)
	for _, e := range m.InitKeys {
		if e.role == graph.RoleOperator {
			fmt.Fprintf(stdout, "operator key: %s\n", e.key)
			fmt.Fprintf(stdout, "try:  curl -s -H 'Authorization: Bearer %s' %s/v1/people/1/score\n", e.key, m.URL())
		}
	}
	return m.Serve(ctx, stdout)
}

// serveConfig holds the flags of serve and demo.
type serveConfig struct {
	addr, policy, apiKeys, auditLog string
	pprofAddr                       string
	apiKeysFile, initKeys           string
	open                            bool
	fs                              *flag.FlagSet
	live                            bool
	// privacy: --real-ids lets exports carry real ids; --key-file (or
	// SOCIALSCORE_EXPORT_KEY) is the pseudonymisation key, shared with the
	// export command so pseudonyms match.
	privacy              *privacy
	simQueue, simWorkers int
	heavy                *heavyFlags
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
	fs.StringVar(&c.pprofAddr, "pprof-addr", "", "serve Go's profiles (net/http/pprof) on this address, apart from the API, e.g. 127.0.0.1:6060; off when empty")
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
	heavy, memLimit, err := c.heavy.config()
	if err != nil {
		return nil, err
	}
	return &Main{
		Heavy:             heavy,
		HeavyBudgets:      c.heavy.budgets,
		MemoryLimit:       memLimit,
		ExportKey:         ps.Key,
		ExportRealIDs:     ps.RealIDs,
		SimulationQueue:   c.simQueue,
		SimulationWorkers: c.simWorkers,
		StoreURL:          common.store,
		StoreOpts:         common.neo4j,
		Addr:              c.addr,
		Policy:            pol,
		APIKeys:           keys,
		OpenAccess:        c.open,
		InitKeysFile:      c.initKeys,
		AuditPath:         audit,
		PprofAddr:         c.pprofAddr,
		Live:              c.live,
		Logger:            slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
		ShowsReady:        true,
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
