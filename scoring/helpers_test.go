package scoring

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/datasets"
)

// The dataset parsers fail the test on a malformed number.
var (
	mustParseInt   = datasets.ParseInt
	mustParseFloat = datasets.ParseFloat
)

// randomRecord returns a varied but valid record.
func randomRecord(rng *rand.Rand) graph.Record {
	r := graph.Record{
		PurchaseCount: int64(rng.IntN(40)),
		BillsOnTime:   int64(rng.IntN(30)),
		CreditOnTime:  int64(rng.IntN(20)),
	}
	if r.PurchaseCount > 0 {
		r.PurchaseTotal = float64(r.PurchaseCount) * 80 * rng.ExpFloat64()
	}
	if rng.IntN(3) == 0 {
		r.BillsLate = int64(1 + rng.IntN(5))
		r.BillDaysLate = r.BillsLate * int64(1+rng.IntN(40))
	}
	if rng.IntN(4) == 0 {
		r.CreditLate = int64(1 + rng.IntN(4))
		r.CreditDaysLate = r.CreditLate * int64(1+rng.IntN(60))
	}
	if rng.IntN(8) == 0 {
		r.Defaults = int64(1 + rng.IntN(2))
		r.DefaultAmount = 1000 * rng.Float64()
	}
	return r
}

func randomProfile(rng *rand.Rand) graph.Profile {
	all := graph.FieldSet(1<<graph.NumProfileFields - 1)
	provided := graph.FieldSet(rng.Uint32()) & all
	return graph.Profile{Provided: provided, Verified: graph.FieldSet(rng.Uint32()) & provided}
}

// randomSnapshot builds, through the production graph.SnapshotBuilder, a
// snapshot of n consenting people (ids 10, 20, …: not dense) with up to m
// random friendships (duplicates and self-ties dropped, so some people are
// isolated), weighted at random if weighted, random records and profiles,
// and random recruitments.
func randomSnapshot(t testing.TB, rng *rand.Rand, n, m int, weighted bool) *graph.Snapshot {
	t.Helper()
	var b graph.SnapshotBuilder
	id := func(i int) graph.ID { return graph.ID(10 * (i + 1)) }
	for i := 0; i < n; i++ {
		b.AddPerson(graph.Person{ID: id(i), Consent: true, Record: randomRecord(rng), Profile: randomProfile(rng)})
	}
	// Someone who has not consented: absent from the snapshot.
	b.AddPerson(graph.Person{ID: 5, Consent: false})
	for k := 0; k < m && n > 1; k++ {
		u, v := rng.IntN(n), rng.IntN(n)
		if u == v {
			continue
		}
		tie := graph.Tie{Kind: graph.Friend, From: id(u), To: id(v)}
		if weighted {
			tie.Weight = 0.1 + 3*rng.Float64()
		}
		b.AddTie(tie)
	}
	for k := 0; k < n/3; k++ {
		u, v := rng.IntN(n), rng.IntN(n)
		if u != v {
			b.AddTie(graph.Tie{Kind: graph.Recruited, From: id(u), To: id(v)})
		}
	}
	s, err := b.Build(time.Time{})
	require.NoError(t, err)
	require.Equal(t, n, s.Len())
	return s
}
