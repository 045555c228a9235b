package neo4j

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// The tests in this package run against a live server:
//
//   - NEO4J_URI (with NEO4J_USER and NEO4J_PASSWORD) names one, or
//   - TestMain starts one with ../../deploy/neo4j/neo4j.sh in a temporary
//     directory and stops it when the tests end.
//
// If neither works every test that needs the server fails (never skips).
// Community edition has one database, so every store a test opens starts
// by wiping it: the tests in this package must not run in parallel with
// each other, and NEO4J_URI must not name a server whose data matters.

// server is the server the tests use.
var server struct {
	uri, user, password string
	runDir              string // of a server TestMain started
	err                 error  // why there is none
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if uri := os.Getenv("NEO4J_URI"); uri != "" {
		server.uri, server.user, server.password = uri, os.Getenv("NEO4J_USER"), os.Getenv("NEO4J_PASSWORD")
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "socialscore-neo4j-test-")
	if err != nil {
		server.err = err
		return m.Run()
	}
	defer os.RemoveAll(dir)
	stop, err := startServer(dir)
	if err != nil {
		server.err = err
		return m.Run()
	}
	defer stop()
	return m.Run()
}

// script is the deploy script, relative to this package.
const script = "../../deploy/neo4j/neo4j.sh"

// startServer runs `neo4j.sh start --dir dir` and reads the credentials
// and the bolt URI (its last line) from what it prints.
func startServer(dir string) (stop func(), err error) {
	abs, err := filepath.Abs(script)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("no NEO4J_URI and cannot start a server: %w", err)
	}
	runDir := filepath.Join(dir, "server")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", abs, "start", "--dir", runDir)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "bash", abs, "stop", "--dir", runDir).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "neo4j test: stopping the server: %v\n%s", err, out)
		}
	}
	if err := cmd.Run(); err != nil {
		stop() // in case it started and did not become ready
		return nil, fmt.Errorf("no NEO4J_URI, and %s start failed: %w\n%s", script, err, tail(stderr.String(), 40))
	}
	var last string
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		last = line
		if v, ok := strings.CutPrefix(line, "NEO4J_USER="); ok {
			server.user = v
		}
		if v, ok := strings.CutPrefix(line, "NEO4J_PASSWORD="); ok {
			server.password = v
		}
	}
	if !strings.Contains(last, "://") {
		stop()
		return nil, fmt.Errorf("%s start printed no bolt URI as its last line:\n%s", script, stdout.String())
	}
	server.uri = last
	server.runDir = runDir
	return stop, nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// testConfig returns the configuration of the test server; it fails the
// test if there is none.
func testConfig(tb testing.TB) Config {
	tb.Helper()
	if server.err != nil {
		tb.Fatalf("no Neo4j server for the tests: %v", server.err)
	}
	return Config{URI: server.uri, User: server.user, Password: server.password}
}

// openEmpty opens a store on the test server with the changes edit makes
// to the configuration, and wipes the database. The caller closes it.
func openEmpty(tb testing.TB, edit func(*Config)) *Store {
	tb.Helper()
	cfg := testConfig(tb)
	if edit != nil {
		edit(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := Open(ctx, cfg)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	benchLoaded = false
	if err := wipe(ctx, s); err != nil {
		_ = s.Close()
		tb.Fatalf("wipe: %v", err)
	}
	return s
}

// wipe deletes every node and relationship (the schema stays).
func wipe(ctx context.Context, s *Store) error {
	sess := s.session(ctx, drv.AccessModeWrite)
	defer sess.Close(ctx)
	return runConsume(ctx, sess, `MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS`, nil)
}
