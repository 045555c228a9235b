package contagion

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/seed"
)

// datasetsDir returns the shared reference data folder: $SOCIALSCORE_DATASETS,
// or ../../../shared/datasets (the repo is checked out beside shared/, and
// tests run in the package folder). A missing folder fails the test.
func datasetsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("SOCIALSCORE_DATASETS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "datasets")
	}
	require.DirExists(t, dir, "reference datasets folder missing (set SOCIALSCORE_DATASETS)")
	return dir
}

// snapshotOf builds a snapshot from a batch through graph.SnapshotBuilder.
func snapshotOf(t testing.TB, b graph.Batch) *graph.Snapshot {
	t.Helper()
	var sb graph.SnapshotBuilder
	for _, p := range b.People {
		sb.AddPerson(p)
	}
	for _, tie := range b.Ties {
		sb.AddTie(tie)
	}
	s, err := sb.Build(time.Time{})
	require.NoError(t, err)
	return s
}

// importSNAP loads a SNAP edge list with seed.ImportBatch (everyone
// consents, with graph.NeutralRecord).
func importSNAP(t testing.TB, path string) *graph.Snapshot {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	batch, _, err := seed.ImportBatch(f, nil)
	require.NoError(t, err)
	return snapshotOf(t, batch)
}

// karateSnapshot is Zachary's karate club: karate.mtx is a MatrixMarket
// file, so its header and comments are dropped and the "row col" lines fed
// to seed.ImportBatch. Ids are the mtx ids 1..34.
func karateSnapshot(t testing.TB) *graph.Snapshot {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(datasetsDir(t), "karate-club", "karate.mtx"))
	require.NoError(t, err)
	var edges []byte
	header := true
	for _, line := range splitLines(string(data)) {
		if len(line) == 0 || line[0] == '%' {
			continue
		}
		if header { // "34 34 78"
			header = false
			continue
		}
		edges = append(edges, line...)
		edges = append(edges, '\n')
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "karate.txt")
	require.NoError(t, os.WriteFile(p, edges, 0o644))
	s := importSNAP(t, p)
	require.Equal(t, 34, s.Len())
	require.Equal(t, 78, s.Friendships())
	require.Equal(t, graph.ID(1), s.IDs[0])
	return s
}

func facebookSnapshot(t testing.TB) *graph.Snapshot {
	t.Helper()
	s := importSNAP(t, filepath.Join(datasetsDir(t), "snap-ego-facebook", "facebook_combined.txt"))
	require.Equal(t, 4039, s.Len())
	require.Equal(t, 88234, s.Friendships())
	return s
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, trimCR(s[start:i]))
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, trimCR(s[start:]))
	}
	return out
}

func trimCR(s string) string {
	if len(s) > 0 && s[len(s)-1] == '\r' {
		return s[:len(s)-1]
	}
	return s
}

// randomRecord returns a varied but valid record.
func randomRecord(rng *rand.Rand) graph.Record {
	r := graph.Record{
		PurchaseCount: int64(rng.IntN(40)),
		BillsOnTime:   int64(rng.IntN(30)),
		CreditOnTime:  int64(rng.IntN(20)),
	}
	if rng.IntN(5) == 0 { // inactive
		r.PurchaseCount, r.BillsOnTime, r.CreditOnTime = 0, 0, 0
	}
	if r.PurchaseCount > 0 {
		r.PurchaseTotal = float64(r.PurchaseCount) * 80 * rng.ExpFloat64()
	}
	if rng.IntN(3) == 0 {
		r.BillsLate = int64(1 + rng.IntN(5))
		r.BillDaysLate = r.BillsLate * int64(1+rng.IntN(40))
	}
	if rng.IntN(6) == 0 {
		r.Defaults = int64(1 + rng.IntN(2))
		r.DefaultAmount = 1000 * rng.Float64()
	}
	return r
}

// randomSnapshot builds a snapshot of n consenting people (ids 10, 20, …)
// with up to m random friendships (some people isolated, several
// components when m is small), weighted if asked, random records and
// profiles, and random recruitments; plus someone who did not consent.
func randomSnapshot(t testing.TB, rng *rand.Rand, n, m int, weighted bool) *graph.Snapshot {
	t.Helper()
	id := func(i int) graph.ID { return graph.ID(10 * (i + 1)) }
	var b graph.Batch
	all := graph.FieldSet(1<<graph.NumProfileFields - 1)
	for i := 0; i < n; i++ {
		prov := graph.FieldSet(rng.Uint32()) & all
		b.People = append(b.People, graph.Person{ID: id(i), Consent: true, Record: randomRecord(rng),
			Profile: graph.Profile{Provided: prov, Verified: graph.FieldSet(rng.Uint32()) & prov}})
	}
	b.People = append(b.People, graph.Person{ID: 5, Consent: false})
	for k := 0; k < m; k++ {
		u, v := rng.IntN(n), rng.IntN(n)
		if u == v {
			continue
		}
		tie := graph.Tie{Kind: graph.Friend, From: id(u), To: id(v)}
		if weighted {
			tie.Weight = 0.1 + 3*rng.Float64()
		}
		b.Ties = append(b.Ties, tie)
		if k%7 == 0 {
			b.Ties = append(b.Ties, graph.Tie{Kind: graph.Friend, From: 5, To: id(v)}) // dropped: 5 has not consented
		}
	}
	recruited := map[int]bool{}
	for k := 0; k < n/3; k++ {
		u, v := rng.IntN(n), rng.IntN(n)
		if u != v && !recruited[v] {
			recruited[v] = true
			b.Ties = append(b.Ties, graph.Tie{Kind: graph.Recruited, From: id(u), To: id(v)})
		}
	}
	s := snapshotOf(t, b)
	require.Equal(t, n, s.Len())
	return s
}
