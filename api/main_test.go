package api

import (
	"os"
	"testing"

	"github.com/socialscore/socialscore/internal/neo4jtest"
)

// TestMain releases the shared Neo4j server (internal/neo4jtest) that the
// tests running on both stores lock, and stops it if it was started here.
func TestMain(m *testing.M) { os.Exit(neo4jtest.Main(m)) }
