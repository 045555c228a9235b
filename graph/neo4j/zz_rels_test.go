package neo4j

import (
	"context"
	"testing"
	"time"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/socialscore/socialscore/graph"
)

func TestZZRels(t *testing.T) {
	s := openEmpty(t, nil)
	defer s.Close()
	ctx := context.Background()
	batch := genBatch(20000, 100000, 1)
	p, _ := planBatch(batch)
	// people
	for _, st := range s.steps(p, &checked{}, s.now()) {
		if _, err := s.write(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
			return nil, execTx(ctx, tx, st.query, st.params)
		}); err != nil {
			t.Fatal(err)
		}
	}
	friends := p.friends
	type variant struct {
		name   string
		q      string
		params func(ts []graph.Tie) map[string]any
	}
	grouped := func(ts []graph.Tie) map[string]any {
		var groups []map[string]any
		for i := 0; i < len(ts); {
			j := i
			var bs []int64
			var ws []float64
			for j < len(ts) && ts[j].From == ts[i].From {
				bs = append(bs, int64(ts[j].To))
				ws = append(ws, ts[j].Weight)
				j++
			}
			groups = append(groups, map[string]any{"a": int64(ts[i].From), "bs": bs, "ws": ws})
			i = j
		}
		return map[string]any{"groups": groups}
	}
	maps := func(ts []graph.Tie) map[string]any {
		rows := make([]map[string]any, len(ts))
		for i, t := range ts {
			rows[i] = map[string]any{"a": int64(t.From), "b": int64(t.To), "w": t.Weight}
		}
		return map[string]any{"rows": rows}
	}
	vs := []variant{
		{"lists", qCreateFriend, tieParams},
		{"maps", `UNWIND $rows AS r MATCH (a:Person {id: r.a}) MATCH (b:Person {id: r.b}) CREATE (a)-[:FRIEND {weight: r.w}]->(b)`, maps},
		{"grouped", `UNWIND $groups AS g MATCH (a:Person {id: g.a}) UNWIND range(0, size(g.bs) - 1) AS j MATCH (b:Person {id: g.bs[j]}) CREATE (a)-[:FRIEND {weight: g.ws[j]}]->(b)`, grouped},
		{"noweight", `UNWIND range(0, size($a) - 1) AS i MATCH (a:Person {id: $a[i]}) MATCH (b:Person {id: $b[i]}) CREATE (a)-[:FRIEND]->(b)`, tieParams},
	}
	for round := 0; round < 2; round++ {
		for _, v := range vs {
			if err := execWrite(ctx, s, `MATCH ()-[f:FRIEND]->() CALL (f) { DELETE f } IN TRANSACTIONS OF 50000 ROWS`); err != nil {
				t.Fatal(err)
			}
			t0 := time.Now()
			c0 := serverCPU()
			for lo := 0; lo < len(friends); lo += 10000 {
				hi := min(lo+10000, len(friends))
				_, err := s.write(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
					return nil, execTx(ctx, tx, v.q, v.params(friends[lo:hi]))
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			d := time.Since(t0)
			c := serverCPU() - c0
			t.Logf("%-10s wall %v %.0f/s; server cpu %v: %.0f per cpu-s", v.name, d.Round(time.Millisecond), float64(len(friends))/d.Seconds(), c, float64(len(friends))/c.Seconds())
		}
	}
}

func execWrite(ctx context.Context, s *Store, q string) error {
	sess := s.session(ctx, drv.AccessModeWrite)
	defer sess.Close(ctx)
	return runConsume(ctx, sess, q, nil)
}
