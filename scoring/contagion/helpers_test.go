package contagion

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/datasets/datagraph"
)

// The shared snapshot helpers (see package internal/datasets/datagraph)
// under the names this package's tests use.
var (
	// snapshotOf builds a snapshot from a batch with graph.SnapshotOf.
	snapshotOf = datagraph.Snapshot
	// karateSnapshot is Zachary's karate club read with seed.ImportBatch;
	// ids are the mtx ids 1..34.
	karateSnapshot = datagraph.KarateSnapshot
	// facebookSnapshot is SNAP ego-Facebook read with seed.ImportBatch.
	facebookSnapshot = datagraph.FacebookSnapshot
)

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
