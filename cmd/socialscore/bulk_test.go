package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/neo4jtest"
)

// TestBulkFlagsRefused: --bulk with what cannot work is refused with a
// message naming the flag and what to do, before anything is generated,
// read or written. None of these reach a server.
func TestBulkFlagsRefused(t *testing.T) {
	edges := tempFile(t, "edges.txt", "1 2\n2 3\n")
	noURI := t.TempDir() // not a neo4j.sh runtime dir
	other := t.TempDir() // one for another server
	require.NoError(t, os.WriteFile(filepath.Join(other, "bolt_uri"), []byte("bolt://127.0.0.1:40001\n"), 0o644))
	old := t.TempDir() // started by a neo4j.sh without import
	require.NoError(t, os.WriteFile(filepath.Join(old, "bolt_uri"), []byte("bolt://127.0.0.1:40002\n"), 0o644))
	down := t.TempDir() // its server is not running
	require.NoError(t, os.WriteFile(filepath.Join(down, "bolt_uri"), []byte("bolt://127.0.0.1:40003\n"), 0o644))
	script, err := neo4jtest.Script()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(down, "script"), []byte(script+"\n"), 0o644))
	t.Setenv("NEO4J_RUN_DIR", "")
	t.Setenv("SOCIALSCORE_NEO4J_ADMIN", "")

	cases := []struct {
		args []string
		want string
	}{
		{[]string{"seed", "--people", "50", "--bulk", "--store", "embedded://" + filepath.Join(t.TempDir(), "s.db")}, "--bulk loads a Neo4j store"},
		{[]string{"seed", "--people", "50", "--bulk", "--store", "bolt://127.0.0.1:40001"}, "--bulk needs the server's runtime dir (--neo4j-dir"},
		{[]string{"import", "--friends", edges, "--bulk", "--merge", "--store", "bolt://127.0.0.1:40001", "--neo4j-dir", other}, "give one of them"},
		{[]string{"seed", "--people", "50", "--bulk", "--store", "bolt://127.0.0.1:40001", "--neo4j-dir", noURI}, "not the runtime dir of a server neo4j.sh runs"},
		{[]string{"seed", "--people", "50", "--bulk", "--store", "bolt://127.0.0.1:40009", "--neo4j-dir", other}, "is not the server this dir holds, which listens at bolt://127.0.0.1:40001"},
		{[]string{"seed", "--people", "50", "--bulk", "--store", "neo4j://localhost:40002", "--neo4j-dir", old}, "older neo4j.sh"},
		{[]string{"import", "--friends", edges, "--bulk", "--store", "bolt://127.0.0.1:40003", "--neo4j-dir", down}, "its server is not running"},
		{[]string{"seed", "--people", "50", "--bulk", "--store", "bolt://127.0.0.1:40001", "--neo4j-admin", "/nonexistent/neo4j-admin database import full"}, `admin: command "/nonexistent/neo4j-admin"`},
	}
	for _, c := range cases {
		code, stdout, stderr := runAll(c.args...)
		require.NotZero(t, code, "%v", c.args)
		require.Contains(t, stderr, c.want, "%v", c.args)
		require.Empty(t, stdout, "%v", c.args)
	}
}

// TestBulkImportCLI: import --bulk into a server of the test's own,
// through deploy/neo4j/neo4j.sh's import, then the store serves the other
// commands and takes later writes; a second --bulk is refused.
func TestBulkImportCLI(t *testing.T) {
	tmp, err := os.MkdirTemp("", "socialscore-bulkcli-")
	require.NoError(t, err)
	srv, err := neo4jtest.Start(filepath.Join(tmp, "server"))
	if err != nil {
		os.RemoveAll(tmp)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		require.NoError(t, srv.Stop())
		os.RemoveAll(tmp)
	})
	t.Setenv("NEO4J_RUN_DIR", srv.Dir)
	s := cliStore{name: "neo4j",
		flags: []string{"--store", srv.URI, "--neo4j-user", srv.User, "--neo4j-password", srv.Password},
		url:   srv.URI, opts: storeOptions{user: srv.User, password: srv.Password, database: "neo4j"}}
	// A ring of 40 people with chords to the seventh neighbour: 80 friendships.
	var el strings.Builder
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&el, "%d %d\n%d\t%d\n", i, i%40+1, i, (i+6)%40+1)
	}
	edges := tempFile(t, "ring.txt", "# ring\n"+el.String())

	args := append([]string{"import", "--friends", edges, "--bulk"}, s.flags...)
	code, stdout, stderr := runAll(args...)
	require.Zero(t, code, stderr)
	require.Contains(t, stdout, "bulk-loaded 40 people, 80 friendships, 0 recruitments", stderr)
	require.Contains(t, stdout, "relationships/s")

	st := s.open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := st.Counts(ctx)
	require.NoError(t, err)
	require.Equal(t, graph.Counts{People: 40, Consenting: 40, Friendships: 80}, c)
	require.NoError(t, st.PutTie(ctx, graph.Tie{Kind: graph.Friend, From: 1, To: 34, Weight: 2}))
	code, stdout, stderr = runAll(append([]string{"score", "--policy", "sesame"}, s.flags...)...)
	require.Zero(t, code, stderr)
	require.Contains(t, stdout, "40")

	code, _, stderr = runAll(args...)
	require.NotZero(t, code)
	require.Contains(t, stderr, "not empty")
	require.Contains(t, stderr, "load without --bulk")
	require.NotContains(t, stderr, "importing into database", "the importer ran for a refused load")
}
