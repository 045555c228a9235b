package neo4j

import (
	"context"
	"testing"
	"time"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

func TestZZSnap(t *testing.T) {
	s, err := Open(context.Background(), testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	qs := []struct{ name, q string }{
		{"friends", `MATCH (a:Person)-[f:FRIEND]->(b:Person) WHERE a.consent = true AND b.consent = true RETURN a.id, b.id, f.weight`},
		{"friends-bucket64", `MATCH (a:Person)-[f:FRIEND]->(b:Person) WHERE a.consent = true AND b.consent = true WITH toInteger(rand() * 64) AS g, collect(a.id) AS as, collect(b.id) AS bs, collect(f.weight) AS ws RETURN as, bs, ws`},
		{"friends-bucket8", `MATCH (a:Person)-[f:FRIEND]->(b:Person) WHERE a.consent = true AND b.consent = true WITH toInteger(rand() * 8) AS g, collect(a.id) AS as, collect(b.id) AS bs, collect(f.weight) AS ws RETURN as, bs, ws`},
		{"friends-grouped-ids", `MATCH (a:Person) WHERE a.consent = true RETURN a.id, [(a)-[f:FRIEND]->(b:Person) WHERE b.consent = true | b.id]`},
		{"people", `MATCH (p:Person) WHERE p.consent = true RETURN ` + personFields},
		{"people-bucket", `MATCH (p:Person) WHERE p.consent = true WITH toInteger(rand() * 64) AS g, collect([` + personFields + `]) AS ps RETURN ps`},
	}
	for _, fs := range []int{10000} {
		for _, q := range qs {
			sess := s.driver.NewSession(ctx, drv.SessionConfig{DatabaseName: "neo4j", FetchSize: fs, AccessMode: drv.AccessModeRead})
			t0 := time.Now()
			n := 0
			_, err := sess.ExecuteRead(ctx, func(tx drv.ManagedTransaction) (any, error) {
				n = 0
				return nil, each(ctx, tx, q.q, nil, func(r *drv.Record) error { n++; return nil })
			})
			sess.Close(ctx)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("fetch %d %s: %d rows %v", fs, q.name, n, time.Since(t0))
		}
	}
}
