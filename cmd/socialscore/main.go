// Command socialscore is the one binary of socialscore: it seeds or imports
// a network, runs scoring, and serves the API.
//
//	socialscore demo                          seed if empty, score, serve (the README's command)
//	socialscore seed --people N --seed S      generate and load a network
//	socialscore import --friends FILE [--people FILE]
//	socialscore score [--policy NAME|FILE]    a full scoring run
//	socialscore serve --addr HOST:PORT        the API
//	socialscore simulate --policy NAME|FILE --rounds N [--people N --seed S | --store URL] [--sweep f=v1,v2]... [--replicates R] --out DIR
//	socialscore export --format json|gexf|graphml [--ego ID --depth D | --sample N --seed S] --out FILE
//	socialscore experiment shock --ids 1,2 --event default:5000 [--out F.json] [--gexf F.gexf]
//	socialscore keys create --name NAME --role ROLE [--person ID] | list | revoke NAME
//	socialscore audit verify [--log FILE]
//
// Every subcommand takes --store URL (embedded:///path/file.db, the
// default embedded://data/socialscore.db, or neo4j://host:port).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// runMain is the program: it runs the command, reports an error on
// stderr, and returns the exit code.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := run(ctx, args, stdout, stderr)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stderr, "socialscore:", err)
	}
	return exitCode(err)
}

// usageError marks errors in how the command was called (exit code 2).
type usageError struct{ error }

// exitCode is 0 for success and for help asked for, 2 for a usage error,
// else 1.
func exitCode(err error) int {
	var u usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &u):
		return 2
	}
	return 1
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"demo", "seed a network if the store is empty, score it and serve the API", cmdDemo},
		{"seed", "generate a realistic network and load it (ids 1..N)", cmdSeed},
		{"import", "load a real network from a SNAP edge list", cmdImport},
		{"score", "run a full scoring run under a policy", cmdScore},
		{"serve", "serve the HTTP API", cmdServe},
		{"simulate", "simulate friend-dropping under a scoring policy (runs and sweeps)", cmdSimulate},
		{"export", "write the network, an ego network or a sample as JSON, GEXF or GraphML", cmdExport},
		{"experiment", "run a research experiment (shock) without changing the store", cmdExperiment},
		{"metrics", "print the network's metrics: assortativity, clustering, Gini, communities", cmdMetrics},
		{"keys", "create, list and revoke API keys (each holds one role)", cmdKeys},
		{"audit", "verify the audit log's hash chain", cmdAudit},
	}
}

// run runs the command args name. Help asked for (socialscore --help,
// socialscore help COMMAND, socialscore COMMAND --help) is printed on
// stdout and returns nil.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		printUsage(stderr)
		return usageError{errors.New("no command given")}
	}
	if isHelpArg(args[0]) {
		if len(args) > 1 && !isHelpArg(args[1]) {
			return run(ctx, []string{args[1], "--help"}, stdout, stderr)
		}
		printUsage(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, args[1:], stdout, stderr)
			var h helpRequest
			if errors.As(err, &h) {
				printHelp(stdout, h)
				return nil
			}
			return err
		}
	}
	printUsage(stderr)
	return usageError{fmt.Errorf("unknown command %q", args[0])}
}
