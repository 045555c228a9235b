package main

import (
	"context"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/neo4j"
)

// openNeo4j opens the Neo4j store; credentials come from flags, else from
// NEO4J_USER / NEO4J_PASSWORD.
func openNeo4j(ctx context.Context, url string, o storeOptions) (graph.Store, error) {
	return neo4j.Open(ctx, neo4j.Config{URI: url, User: o.user, Password: o.password, Database: o.database})
}
