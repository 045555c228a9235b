package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"
)

// commonFlags are the flags every subcommand takes. Flags win; the
// environment supplies the defaults.
type commonFlags struct {
	store    string
	neo4j    storeOptions
	logLevel string
}

func newFlagSet(name string, stderr io.Writer) (*flag.FlagSet, *commonFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	// parse prints the help (on -h) or a short usage (on a mistake).
	fs.Usage = func() {}
	c := &commonFlags{}
	fs.StringVar(&c.store, "store", envOr("SOCIALSCORE_STORE", defaultStoreURL), "store URL: embedded:///path/file.db, neo4j://host:port or bolt://host:port (env SOCIALSCORE_STORE)")
	fs.StringVar(&c.neo4j.user, "neo4j-user", envOr("NEO4J_USER", "neo4j"), "Neo4j user (env NEO4J_USER)")
	fs.StringVar(&c.neo4j.password, "neo4j-password", os.Getenv("NEO4J_PASSWORD"), "Neo4j password (env NEO4J_PASSWORD)")
	fs.StringVar(&c.neo4j.database, "neo4j-database", envOr("NEO4J_DATABASE", "neo4j"), "Neo4j database (env NEO4J_DATABASE)")
	fs.Var(keepRunsFlag{&c.neo4j.keepRuns}, "keep-runs", "scoring runs the store keeps, and so the reach of score history (default 24; env SOCIALSCORE_KEEP_RUNS)")
	if v, ok := os.LookupEnv("SOCIALSCORE_KEEP_RUNS"); ok && v != "" {
		_ = keepRunsFlag{&c.neo4j.keepRuns}.Set(v) // an invalid value is reported when given as a flag
	}
	fs.StringVar(&c.logLevel, "log-level", envOr("SOCIALSCORE_LOG_LEVEL", "info"), "log level: debug, info, warn, error")
	return fs, c
}

// parse parses a command's flags. -h or --help gives a helpRequest (run
// prints the help on standard output and exits 0); a mistake gives a
// usageError after a short usage on standard error.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return helpRequest{topic: fs.Name(), fs: fs}
		}
		shortUsage(fs.Output(), fs.Name())
		return usageError{err}
	}
	if fs.NArg() > 0 {
		shortUsage(fs.Output(), fs.Name())
		return usageError{fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return nil
}

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

// isTerminal reports whether w is a terminal (progress bars only there).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// parseAPIKeys parses "app1:key1,app2:key2".
func parseAPIKeys(s string) (map[string]string, error) {
	keys := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return keys, nil
	}
	for _, part := range strings.Split(s, ",") {
		app, key, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || app == "" || len(key) < 16 {
			return nil, usageError{fmt.Errorf("api keys: want app:key pairs with keys of at least 16 characters, got %q", part)}
		}
		if _, dup := keys[key]; dup {
			return nil, usageError{fmt.Errorf("api keys: key for %q given twice", app)}
		}
		keys[key] = app
	}
	return keys, nil
}

// keepRunsFlag is --keep-runs: a positive number of runs.
type keepRunsFlag struct{ n *int }

func (f keepRunsFlag) String() string {
	if f.n == nil || *f.n == 0 {
		return ""
	}
	return strconv.Itoa(*f.n)
}

func (f keepRunsFlag) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100_000 {
		return fmt.Errorf("must be a whole number of runs from 1 to 100000, not %q", v)
	}
	*f.n = n
	return nil
}
