// Package neo4jtest gives tests a real Neo4j server: the one NEO4J_URI
// names, or one started with deploy/neo4j/neo4j.sh. Tests never skip for
// want of a server: if none can be had, they fail.
//
// Community edition has a single user database, so test binaries that use
// the shared server take an exclusive lock on it (a file lock beside the
// temp dir, keyed by the URI) for as long as they run: packages run in
// parallel by `go test ./...` then take turns on the server instead of
// wiping each other's data.
package neo4jtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// Server is a Neo4j server reachable from the tests.
type Server struct {
	URI, User, Password string
	// Dir is the runtime directory of a server this package started; empty
	// for a server named by NEO4J_URI.
	Dir string
}

// Start starts a server with deploy/neo4j/neo4j.sh in dir (which may hold
// a server started before: it is restarted on the same port with its
// data). It waits until the server answers queries.
func Start(dir string) (Server, error) {
	script, err := Script()
	if err != nil {
		return Server{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", script, "start", "--dir", dir)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return Server{}, fmt.Errorf("neo4jtest: %s start: %w\n%s", script, err, tail(stderr.String(), 40))
	}
	s := Server{Dir: dir}
	var last string
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		last = line
		if v, ok := strings.CutPrefix(line, "NEO4J_USER="); ok {
			s.User = v
		}
		if v, ok := strings.CutPrefix(line, "NEO4J_PASSWORD="); ok {
			s.Password = v
		}
	}
	if !strings.Contains(last, "://") {
		_ = s.Stop()
		return Server{}, fmt.Errorf("neo4jtest: %s start printed no bolt URI last:\n%s", script, stdout.String())
	}
	s.URI = last
	return s, nil
}

// Stop stops a server this package started (SIGTERM to its recorded pid).
func (s Server) Stop() error {
	if s.Dir == "" {
		return errors.New("neo4jtest: not a server this package started")
	}
	script, err := Script()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "bash", script, "stop", "--dir", s.Dir).CombinedOutput()
	if err != nil {
		return fmt.Errorf("neo4jtest: stop: %w\n%s", err, out)
	}
	return nil
}

// Script returns the absolute path of deploy/neo4j/neo4j.sh, found by
// walking up from the working directory to the module root.
func Script() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "deploy", "neo4j", "neo4j.sh"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("neo4jtest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// shared is the server of this test binary.
var shared struct {
	once    sync.Once
	server  Server
	err     error
	started bool // by us: stop it at the end
	lock    *os.File
	tmp     string
}

// Main runs the tests of a package that uses Shared, and then stops the
// server it started, if any. Call it from TestMain: os.Exit(neo4jtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if shared.lock != nil {
		_ = shared.lock.Close() // releases the flock
	}
	if shared.started {
		if err := shared.server.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
		_ = os.RemoveAll(shared.tmp)
	}
	return code
}

// Shared returns the server the tests of this binary share, holding its
// lock until the binary exits: the server NEO4J_URI names (with
// NEO4J_USER / NEO4J_PASSWORD), or else one started for this binary. It
// fails the test when there is none.
func Shared(tb testing.TB) Server {
	tb.Helper()
	shared.once.Do(func() {
		if uri := os.Getenv("NEO4J_URI"); uri != "" {
			shared.server = Server{URI: uri, User: os.Getenv("NEO4J_USER"), Password: os.Getenv("NEO4J_PASSWORD")}
		} else {
			shared.tmp, shared.err = os.MkdirTemp("", "socialscore-neo4jtest-")
			if shared.err != nil {
				return
			}
			shared.server, shared.err = Start(filepath.Join(shared.tmp, "server"))
			shared.started = shared.err == nil
			if shared.err != nil {
				shared.err = fmt.Errorf("NEO4J_URI is not set and no server could be started: %w", shared.err)
				return
			}
		}
		shared.lock, shared.err = lockServer(shared.server.URI)
	})
	if shared.err != nil {
		tb.Fatalf("no Neo4j server for the tests: %v", shared.err)
	}
	return shared.server
}

// lockServer takes an exclusive file lock named after the URI, waiting up
// to 40 minutes for other test binaries to finish with the server.
func lockServer(uri string) (*os.File, error) {
	sum := sha256.Sum256([]byte(uri))
	path := filepath.Join(os.TempDir(), "socialscore-neo4j-"+hex.EncodeToString(sum[:6])+".lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }()
	select {
	case err := <-done:
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		return f, nil
	case <-time.After(40 * time.Minute):
		f.Close()
		return nil, fmt.Errorf("lock %s: another test binary held the server for 40 minutes", path)
	}
}

// Wipe deletes every node and relationship on the server (the schema
// stays), so a test starts from an empty database.
func Wipe(ctx context.Context, s Server) error {
	auth := drv.NoAuth()
	if s.User != "" || s.Password != "" {
		auth = drv.BasicAuth(s.User, s.Password, "")
	}
	d, err := drv.NewDriverWithContext(s.URI, auth)
	if err != nil {
		return err
	}
	defer d.Close(ctx)
	sess := d.NewSession(ctx, drv.SessionConfig{DatabaseName: "neo4j", AccessMode: drv.AccessModeWrite})
	defer sess.Close(ctx)
	res, err := sess.Run(ctx, `MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS`, nil)
	if err != nil {
		return fmt.Errorf("neo4jtest: wipe: %w", err)
	}
	_, err = res.Consume(ctx)
	return err
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
