package main

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/neo4j"
)

// openNeo4j opens the Neo4j store; credentials come from flags, else from
// NEO4J_USER / NEO4J_PASSWORD. Connection and retry times are short so
// that, with the server down, an API write answers 503 within seconds
// instead of hanging on the driver's retries.
func openNeo4j(ctx context.Context, url string, o storeOptions) (graph.Store, error) {
	s, err := neo4j.Open(ctx, neo4j.Config{
		URI: url, User: o.user, Password: o.password, Database: o.database,
		ConnectTimeout: 3 * time.Second,
		RetryTime:      3 * time.Second,
		KeepRuns:       o.keepRuns,
		SnapshotCache:  defaultSnapshotCache(),
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// defaultSnapshotCache is where a Neo4j store keeps the image of its
// snapshot (neo4j.Store.Snapshot) unless the store URL says otherwise
// (?snapshot_cache=DIR, or =off): socialscore/neo4j-snapshots in the
// user's cache directory ($XDG_CACHE_HOME, else ~/.cache, on Linux). ""
// (no cache) when there is no such directory or it cannot be made.
func defaultSnapshotCache() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	dir = filepath.Join(dir, "socialscore", "neo4j-snapshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return ""
	}
	return dir
}

// neo4jExists reports whether the Neo4j database holds a socialscore
// store, changing nothing (neo4j.Exists).
func neo4jExists(ctx context.Context, url string, o storeOptions) (bool, error) {
	return neo4j.Exists(ctx, neo4j.Config{
		URI: url, User: o.user, Password: o.password, Database: o.database,
		ConnectTimeout: 3 * time.Second,
		RetryTime:      3 * time.Second,
	})
}
