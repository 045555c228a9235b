// Package datagraph builds graph.Snapshots for tests: from a graph.Batch,
// and from the reference datasets in testdata (see package datasets) read with
// the production importer seed.ImportBatch.
//
// It is a test helper package: only _test.go files import it. It is apart
// from package datasets because it imports package seed, whose own tests
// use datasets.
package datagraph

import (
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/datasets"
	"github.com/socialscore/socialscore/seed"
)

// Snapshot builds the snapshot of the batch with graph.SnapshotOf, at the
// zero time: what a store holding exactly the batch would return.
func Snapshot(tb testing.TB, b graph.Batch) *graph.Snapshot {
	tb.Helper()
	s, err := graph.SnapshotOf(b, time.Time{})
	require.NoError(tb, err)
	return s
}

// Import reads a SNAP-style edge list with seed.ImportBatch (everyone
// consents, with graph.NeutralRecord) and builds its snapshot.
func Import(tb testing.TB, r io.Reader) *graph.Snapshot {
	tb.Helper()
	batch, _, err := seed.ImportBatch(r, nil)
	require.NoError(tb, err)
	return Snapshot(tb, batch)
}

// ImportFile is Import of the file at path.
func ImportFile(tb testing.TB, path string) *graph.Snapshot {
	tb.Helper()
	f, err := os.Open(path)
	require.NoError(tb, err)
	defer f.Close()
	return Import(tb, f)
}

// KarateSnapshot is Zachary's karate club: karate.mtx is a MatrixMarket
// file, so its header and comments are dropped and the "row col" lines fed
// to seed.ImportBatch. Ids are the mtx ids 1..34; 78 friendships.
func KarateSnapshot(tb testing.TB) *graph.Snapshot {
	tb.Helper()
	var sb strings.Builder
	for _, e := range datasets.KarateEdges(tb) {
		fmt.Fprintf(&sb, "%d %d\n", e[0], e[1])
	}
	s := Import(tb, strings.NewReader(sb.String()))
	require.Equal(tb, datasets.KarateVertices, s.Len())
	require.Equal(tb, 78, s.Friendships())
	require.Equal(tb, graph.ID(1), s.IDs[0])
	return s
}

// FacebookSnapshot is SNAP ego-Facebook (facebook_combined.txt) read with
// seed.ImportBatch: file ids 0..4038 become 1..4039; 88,234 friendships.
func FacebookSnapshot(tb testing.TB) *graph.Snapshot {
	tb.Helper()
	s := ImportFile(tb, datasets.Path(tb, datasets.FacebookFolder, "facebook_combined.txt"))
	require.Equal(tb, 4039, s.Len())
	require.Equal(tb, 88234, s.Friendships())
	return s
}
