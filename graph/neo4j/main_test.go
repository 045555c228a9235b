package neo4j

import (
	"context"
	"os"
	"testing"
	"time"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/socialscore/socialscore/internal/neo4jtest"
)

// The tests in this package run against a live server (see
// internal/neo4jtest): the one NEO4J_URI names, or one started with
// deploy/neo4j/neo4j.sh for this test binary. If neither works every test
// that needs the server fails (never skips). Community edition has one
// database, so every store a test opens starts by wiping it; the tests in
// this package do not run in parallel with each other, and neo4jtest
// locks the server against other test binaries.

func TestMain(m *testing.M) {
	os.Exit(neo4jtest.Main(m))
}

// testConfig returns the configuration of the test server; it fails the
// test if there is none.
func testConfig(tb testing.TB) Config {
	tb.Helper()
	srv := neo4jtest.Shared(tb)
	return Config{URI: srv.URI, User: srv.User, Password: srv.Password}
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
	return execTx(ctx, autoCommit{sess}, `MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS`, nil)
}
