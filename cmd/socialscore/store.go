package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/embedded"
)

// defaultStoreURL is the embedded store in ./data, so the program runs with
// no server at all.
const defaultStoreURL = "embedded://data/socialscore.db"

// storeOptions are the credentials for a networked store; flags win over
// the environment.
type storeOptions struct {
	user, password, database string
	// keepRuns is how many scoring runs the store keeps (0: its default,
	// 24), and so how far back a person's score history reaches.
	keepRuns int
}

// errNoStore is why a command that needs a store refuses a store URL that
// names none: it would otherwise create an empty one and report on nothing.
var errNoStore = errors.New("no such store")

// openStore opens the existing store a URL names:
//
//	embedded:///abs/path/file.db   the embedded store at an absolute path
//	embedded://rel/path/file.db    ... or relative to the working directory
//	neo4j://host:port, bolt://host:port   a Neo4j server
//
// A store that does not exist (no file; a Neo4j database without the
// socialscore schema and without people) is an error wrapping errNoStore,
// and nothing is created. Only seed, import, demo and serve --create make
// a store (createStore).
func openStore(ctx context.Context, url string, o storeOptions) (graph.Store, error) {
	return openStoreMode(ctx, url, o, false)
}

// createStore opens the store a URL names, creating an empty one if there
// is none.
func createStore(ctx context.Context, url string, o storeOptions) (graph.Store, error) {
	return openStoreMode(ctx, url, o, true)
}

// noStoreHint says how a store is made, for errNoStore's messages.
const noStoreHint = "create one with `socialscore seed`, `socialscore import` or `socialscore demo` (or `socialscore serve --create`), or check --store"

func openStoreMode(ctx context.Context, url string, o storeOptions, create bool) (graph.Store, error) {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return nil, fmt.Errorf("store %q: want embedded:///path, neo4j://host:port or bolt://host:port", url)
	}
	switch scheme {
	case "embedded":
		path := rest
		if strings.HasPrefix(rest, "/") {
			path = filepath.Clean(rest)
		}
		if path == "" || path == "." {
			return nil, fmt.Errorf("store %q: no file path", url)
		}
		if !create {
			if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("store %s: %w: there is no file %s; %s", url, errNoStore, path, noStoreHint)
			} else if err != nil {
				return nil, fmt.Errorf("store %s: %w", url, err)
			}
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("store %q: %w", url, err)
		}
		var opts []embedded.Option
		if o.keepRuns > 0 {
			opts = append(opts, embedded.WithKeepRuns(o.keepRuns))
		}
		s, err := embedded.Open(path, opts...)
		if err != nil {
			return nil, err
		}
		return s, nil
	case "neo4j", "bolt", "neo4j+s", "bolt+s":
		if !create {
			ok, err := neo4jExists(ctx, url, o)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, fmt.Errorf("store %s: %w: database %q holds no socialscore schema and no people; %s", url, errNoStore, databaseName(o), noStoreHint)
			}
		}
		return openNeo4j(ctx, url, o)
	}
	return nil, fmt.Errorf("store %q: unknown scheme %q (want embedded, neo4j or bolt)", url, scheme)
}

func databaseName(o storeOptions) string {
	if o.database == "" {
		return "neo4j"
	}
	return o.database
}

// storeDir returns the directory next to which files that belong with the
// store (audit log) are kept: the embedded file's directory, else ./data.
func storeDir(url string) string {
	if rest, ok := strings.CutPrefix(url, "embedded://"); ok && rest != "" {
		return filepath.Dir(rest)
	}
	return "data"
}
