package api

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/neo4j"
	"github.com/socialscore/socialscore/internal/neo4jtest"
)

// Tests that must pass on both stores (the access matrix) also run on a
// real Neo4j server: the one NEO4J_URI names, or one started for this test
// binary (see internal/neo4jtest); they fail, never skip, without one.

func TestMain(m *testing.M) { os.Exit(neo4jtest.Main(m)) }

// openNeo4jTestStore opens a store on the shared server and wipes it.
func openNeo4jTestStore(tb testing.TB) graph.Store {
	tb.Helper()
	srv := neo4jtest.Shared(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	require.NoError(tb, neo4jtest.Wipe(ctx, srv))
	s, err := neo4j.Open(ctx, neo4j.Config{URI: srv.URI, User: srv.User, Password: srv.Password})
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = s.Close() })
	return s
}
