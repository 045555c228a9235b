package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/neo4j"
	"github.com/socialscore/socialscore/seed"
)

// bulkOptions are the flags of a first load into Neo4j through its offline
// importer (seed --bulk, import --bulk); see neo4j.BulkLoad.
type bulkOptions struct {
	bulk     bool
	neo4jDir string // runtime dir of a server deploy/neo4j/neo4j.sh runs
	admin    string // or: a command run with the importer's arguments
	dir      string // where the CSV files go (default: a temporary dir)

	command []string // from prepare
}

func addBulkFlags(fs *flag.FlagSet) *bulkOptions {
	o := &bulkOptions{}
	fs.BoolVar(&o.bulk, "bulk", false, "first load into an empty Neo4j database with neo4j-admin database import full "+
		"(CSV files, then the offline importer; the server restarts); needs --neo4j-dir or --neo4j-admin")
	fs.StringVar(&o.neo4jDir, "neo4j-dir", os.Getenv("NEO4J_RUN_DIR"), "with --bulk: runtime dir of the server, "+
		"as started by deploy/neo4j/neo4j.sh start --dir DIR, whose import command runs the importer (env NEO4J_RUN_DIR)")
	fs.StringVar(&o.admin, "neo4j-admin", os.Getenv("SOCIALSCORE_NEO4J_ADMIN"), "with --bulk: a command run with the "+
		"arguments of neo4j-admin database import full appended; it must stop the database around the import and "+
		"have the server answer again when it returns (overrides --neo4j-dir; env SOCIALSCORE_NEO4J_ADMIN)")
	fs.StringVar(&o.dir, "bulk-dir", "", "with --bulk: directory for the CSV files (default: a temporary one, removed after a successful load)")
	return o
}

// prepare checks the flags before anything is generated or read, and
// finds the command that runs the importer.
func (o *bulkOptions) prepare(storeURL string, merge bool) error {
	if !o.bulk {
		return nil
	}
	scheme, _, _ := strings.Cut(storeURL, "://")
	switch {
	case !strings.HasPrefix(scheme, "neo4j") && !strings.HasPrefix(scheme, "bolt"):
		return usageError{fmt.Errorf("--bulk loads a Neo4j store (neo4j:// or bolt://), not %s: the embedded store loads in one pass already", storeURL)}
	case merge:
		return usageError{errors.New("--bulk makes a first load into an empty database; --merge adds to a store: give one of them")}
	case strings.TrimSpace(o.admin) != "":
		o.command = strings.Fields(o.admin)
		return nil
	case o.neo4jDir == "":
		return usageError{errors.New("--bulk needs the server's runtime dir (--neo4j-dir DIR, as given to deploy/neo4j/neo4j.sh start --dir DIR; env NEO4J_RUN_DIR) " +
			"or a command that runs the importer (--neo4j-admin CMD)")}
	}
	cmd, err := managedImport(o.neo4jDir, storeURL)
	if err != nil {
		return err
	}
	o.command = cmd
	return nil
}

// managedImport returns the command that runs the importer for the server
// deploy/neo4j/neo4j.sh runs in dir, after checking that it is the server
// storeURL names.
func managedImport(dir, storeURL string) ([]string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	notManaged := func(format string, args ...any) error {
		return fmt.Errorf("--neo4j-dir %s: %s; start the server with deploy/neo4j/neo4j.sh start --dir DIR, or give --neo4j-admin", dir, fmt.Sprintf(format, args...))
	}
	uri, err := os.ReadFile(filepath.Join(dir, "bolt_uri"))
	if err != nil {
		return nil, notManaged("not the runtime dir of a server neo4j.sh runs (no bolt_uri)")
	}
	managed := strings.TrimSpace(string(uri))
	if !sameServer(managed, storeURL) {
		return nil, notManaged("--store %s is not the server this dir holds, which listens at %s", storeURL, managed)
	}
	script, err := os.ReadFile(filepath.Join(dir, "script"))
	if err != nil {
		return nil, notManaged("no record of the neo4j.sh that runs it (no file script: it was started by an older neo4j.sh; stop and start it again)")
	}
	path := strings.TrimSpace(string(script))
	if st, err := os.Stat(path); err != nil || st.IsDir() {
		return nil, notManaged("its neo4j.sh %s is gone", path)
	}
	if _, err := os.Stat(filepath.Join(dir, "neo4j.pid")); err != nil {
		return nil, notManaged("its server is not running (no neo4j.pid)")
	}
	return []string{"bash", path, "import", "--dir", dir, "--"}, nil
}

// sameServer reports whether two bolt/neo4j URIs name the same host and
// port (localhost and 127.0.0.1 alike; 7687 when no port is given).
func sameServer(a, b string) bool {
	hostPort := func(s string) string {
		u, err := url.Parse(s)
		if err != nil {
			return ""
		}
		host, port := u.Hostname(), u.Port()
		if host == "localhost" {
			host = "127.0.0.1"
		}
		if port == "" {
			port = "7687"
		}
		return host + ":" + port
	}
	ha := hostPort(a)
	return ha != "" && ha == hostPort(b)
}

// bulkLoad loads a seeded or imported network with neo4j.BulkLoad and
// reports it. The network is streamed to the importer's files: people in
// id order, a chunk at a time, then friendships and recruitments from its
// arrays, so memory stays that of the network's arrays.
func bulkLoad(ctx context.Context, common *commonFlags, o *bulkOptions, n *seed.Network, what string, stdout, stderr io.Writer) error {
	s, st, err := neo4j.BulkLoad(ctx, neo4j.BulkConfig{
		Config: neo4j.Config{
			URI: common.store, User: common.neo4j.user, Password: common.neo4j.password, Database: common.neo4j.database,
			KeepRuns: common.neo4j.keepRuns,
		},
		Admin: o.command,
		Dir:   o.dir,
		Log:   stderr,
	}, func(w *neo4j.BulkWriter) error {
		var people []graph.Person
		for lo := 0; lo < n.Len(); lo += seed.PeopleChunk {
			people = n.People(lo, min(n.Len(), lo+seed.PeopleChunk), people[:0])
			for _, p := range people {
				if err := w.AddPerson(p); err != nil {
					return err
				}
			}
		}
		for i := range n.Len() {
			for _, j := range n.Friends(i) {
				if int(j) > i {
					if err := w.AddTie(graph.Tie{Kind: graph.Friend, From: n.ID(i), To: n.ID(int(j)), Weight: 1}); err != nil {
						return err
					}
				}
			}
		}
		for i := range n.Len() {
			if r := n.Recruiter(i); r >= 0 {
				if err := w.AddTie(graph.Tie{Kind: graph.Recruited, From: n.ID(int(r)), To: n.ID(i), Weight: 1}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if errors.Is(err, neo4j.ErrNotEmpty) {
		return fmt.Errorf("%s: %w; load without --bulk to add to it", what, err)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer s.Close()
	f := st.Files
	rels := f.Friendships + f.Recruitments
	fmt.Fprintf(stdout, "bulk-loaded %d people, %d friendships, %d recruitments into %s in %s: %.0f relationships/s "+
		"(CSV %.1f MB in %s, importer with restart %s, schema %s)\n",
		f.People, f.Friendships, f.Recruitments, common.store, st.Total.Round(time.Millisecond),
		float64(rels)/st.Total.Seconds(), float64(f.Bytes)/1e6, st.Write.Round(time.Millisecond),
		st.Admin.Round(time.Millisecond), st.Open.Round(time.Millisecond))
	return nil
}

// bulkSeed is seed --bulk: the generated network through the importer.
func bulkSeed(ctx context.Context, common *commonFlags, o *bulkOptions, cfg seed.Config, stdout, stderr io.Writer) error {
	t0 := time.Now()
	net, err := seed.Stream(cfg)
	if err != nil {
		return usageError{err}
	}
	fmt.Fprintf(stderr, "generated %d people, %d ties in %s\n", net.Len(), net.Friendships()+net.Recruitments(), time.Since(t0).Round(time.Millisecond))
	return bulkLoad(ctx, common, o, net, "seed", stdout, stderr)
}
