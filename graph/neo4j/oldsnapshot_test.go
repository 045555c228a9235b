package neo4j

import (
	"context"
	"fmt"
	"math"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/socialscore/socialscore/graph"
)

// oldSnapshot is the snapshot read before issue 15, kept here so that
// BenchmarkSnapshot/old measures it in the same run as the new one: pages
// of 5,000 consenting people read one after another in one transaction,
// each tie's far end by its person id, into a graph.SnapshotBuilder.
func (s *Store) oldSnapshot(ctx context.Context) (*graph.Snapshot, error) {
	v, err := s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		var b graph.SnapshotBuilder
		takenAt := s.now()
		disputed, err := snapshotDisputes(ctx, tx)
		if err != nil {
			return nil, err
		}
		if err := oldReadSnapshot(ctx, tx, &b, snapshotPage, disputed); err != nil {
			return nil, err
		}
		return b.Build(takenAt)
	})
	if err != nil {
		return nil, s.wrap(ctx, "old snapshot", err)
	}
	return v.(*graph.Snapshot), nil
}

const (
	oldQSnapshotPeople = `
MATCH (p:Person) WHERE p.id > $after AND p.consent = true
WITH p ORDER BY p.id LIMIT $page
RETURN collect([` + personFields + `]), max(p.id)`
	oldQSnapshotTies = `
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

func oldReadSnapshot(ctx context.Context, tx drv.ManagedTransaction, b *graph.SnapshotBuilder, page int, disputed map[graph.ID]disputedPerson) error {
	after := int64(math.MinInt64)
	for {
		rec, err := single(ctx, tx, oldQSnapshotPeople, map[string]any{"after": after, "page": int64(page)})
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
		rec, err = single(ctx, tx, oldQSnapshotTies, map[string]any{"after": after, "last": last})
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
