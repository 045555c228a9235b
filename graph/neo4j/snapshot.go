package neo4j

import (
	"context"
	"fmt"
	"math"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/socialscore/socialscore/graph"
)

// snapshotPage is how many consenting people one page of a snapshot
// holds.
const snapshotPage = 5000

// Snapshot reads the consenting people, and the friendships and
// recruitments among them, into a graph.SnapshotBuilder, all inside one
// read transaction. It pages through the people in id order (an index
// range seek, no sort): each page is one query returning the page's
// people packed in one record, and one query returning, packed in lists,
// the ties that start at a person of the page. A record per person or per
// tie would cost several times more: with hundreds of thousands of ties
// the per-record overhead of Bolt dominates. Memory on both sides stays
// bounded by a page.
//
// Neo4j reads at read-committed isolation: a write that commits while the
// snapshot is read may be seen by a later page and not an earlier one.
// The builder drops ties naming someone it was not given, so the snapshot
// is always well formed.
func (s *Store) Snapshot(ctx context.Context) (*graph.Snapshot, error) {
	v, err := s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		var b graph.SnapshotBuilder // fresh on every (re)try
		takenAt := s.now()
		disputed, err := snapshotDisputes(ctx, tx)
		if err != nil {
			return nil, err
		}
		if err := readSnapshot(ctx, tx, &b, s.snapshotPage, disputed); err != nil {
			return nil, err
		}
		return b.Build(takenAt)
	})
	if err != nil {
		return nil, s.wrap(ctx, "snapshot", err)
	}
	return v.(*graph.Snapshot), nil
}

const (
	qSnapshotPeople = `
MATCH (p:Person) WHERE p.id > $after AND p.consent = true
WITH p ORDER BY p.id LIMIT $page
RETURN collect([` + personFields + `]), max(p.id)`
	qSnapshotTies = `
CALL () {
  MATCH (a:Person) WHERE a.id > $after AND a.id <= $last AND a.consent = true
  MATCH (a)-[f:FRIEND]->(b:Person) WHERE b.consent = true
  RETURN collect(a.id) AS fa, collect(b.id) AS fb, collect(coalesce(f.weight, 1.0)) AS fw
}
CALL () {
  MATCH (a:Person) WHERE a.id > $after AND a.id <= $last AND a.consent = true
  MATCH (a)-[:RECRUITED]->(b:Person) WHERE b.consent = true
  RETURN collect(a.id) AS ra, collect(b.id) AS rb
}
RETURN fa, fb, fw, ra, rb`
)

func readSnapshot(ctx context.Context, tx drv.ManagedTransaction, b *graph.SnapshotBuilder, page int, disputed map[graph.ID]disputedPerson) error {
	after := int64(math.MinInt64)
	for {
		rec, err := single(ctx, tx, qSnapshotPeople, map[string]any{"after": after, "page": int64(page)})
		if err != nil {
			return err
		}
		people := asList(rec.Values[0])
		if len(people) == 0 {
			return nil
		}
		for _, row := range people {
			p, err := decodePerson(asList(row))
			if err != nil {
				return err
			}
			if d, ok := disputed[p.ID]; ok {
				b.AddDisputed(graph.DisputedRecord{ID: p.ID, Open: d.open, Record: p.Record})
				p.Record = d.without
			}
			b.AddPerson(p)
		}
		last := asInt(rec.Values[1])
		rec, err = single(ctx, tx, qSnapshotTies, map[string]any{"after": after, "last": last})
		if err != nil {
			return err
		}
		fa, fb, fw := asList(rec.Values[0]), asList(rec.Values[1]), asList(rec.Values[2])
		ra, rb := asList(rec.Values[3]), asList(rec.Values[4])
		if len(fb) != len(fa) || len(fw) != len(fa) || len(rb) != len(ra) {
			return fmt.Errorf("snapshot: tie lists differ in length")
		}
		for i := range fa {
			b.AddTie(graph.Tie{Kind: graph.Friend, From: graph.ID(asInt(fa[i])), To: graph.ID(asInt(fb[i])), Weight: weightOf(fw[i])})
		}
		for i := range ra {
			b.AddTie(graph.Tie{Kind: graph.Recruited, From: graph.ID(asInt(ra[i])), To: graph.ID(asInt(rb[i]))})
		}
		if len(people) < page {
			return nil
		}
		after = last
	}
}
