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
	eid := map[int64]string{}
	iid := map[int64]int64{}
	if _, err := s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		return nil, each(ctx, tx, `MATCH (p:Person) RETURN p.id, elementId(p), id(p)`, nil, func(r *drv.Record) error {
			eid[asInt(r.Values[0])] = r.Values[1].(string)
			iid[asInt(r.Values[0])] = asInt(r.Values[2])
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	eparams := func(ts []graph.Tie) map[string]any {
		a := make([]string, len(ts))
		b := make([]string, len(ts))
		w := make([]float64, len(ts))
		for i, t := range ts {
			a[i], b[i], w[i] = eid[int64(t.From)], eid[int64(t.To)], t.Weight
		}
		return map[string]any{"a": a, "b": b, "w": w, "ai": tieParams(ts)["a"], "bi": tieParams(ts)["b"]}
	}
	iparams := func(ts []graph.Tie) map[string]any {
		a := make([]int64, len(ts))
		b := make([]int64, len(ts))
		w := make([]float64, len(ts))
		for i, t := range ts {
			a[i], b[i], w[i] = iid[int64(t.From)], iid[int64(t.To)], t.Weight
		}
		return map[string]any{"a": a, "b": b, "w": w}
	}
	type variant struct {
		name   string
		q      string
		params func(ts []graph.Tie) map[string]any
	}
	_ = func(ts []graph.Tie) map[string]any {
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
	_ = func(ts []graph.Tie) map[string]any {
		rows := make([]map[string]any, len(ts))
		for i, t := range ts {
			rows[i] = map[string]any{"a": int64(t.From), "b": int64(t.To), "w": t.Weight}
		}
		return map[string]any{"rows": rows}
	}
	vs := []variant{
		{"lists", qCreateFriend, tieParams},
		{"elementid", `UNWIND range(0, size($a) - 1) AS i MATCH (a) WHERE elementId(a) = $a[i] MATCH (b) WHERE elementId(b) = $b[i] CREATE (a)-[:FRIEND {weight: $w[i]}]->(b)`, eparams},
		{"eid-label", `UNWIND range(0, size($a) - 1) AS i MATCH (a:Person) WHERE elementId(a) = $a[i] MATCH (b:Person) WHERE elementId(b) = $b[i] CREATE (a)-[:FRIEND {weight: $w[i]}]->(b) RETURN count(*)`, eparams},
		{"eid-check", `UNWIND range(0, size($a) - 1) AS i MATCH (a:Person) WHERE elementId(a) = $a[i] AND a.id = $ai[i] MATCH (b:Person) WHERE elementId(b) = $b[i] AND b.id = $bi[i] CREATE (a)-[:FRIEND {weight: $w[i]}]->(b) RETURN count(*)`, eparams},
		{"id", `UNWIND range(0, size($a) - 1) AS i MATCH (a) WHERE id(a) = $a[i] MATCH (b) WHERE id(b) = $b[i] CREATE (a)-[:FRIEND {weight: $w[i]}]->(b)`, iparams},
		//{"maps", `UNWIND $rows AS r MATCH (a:Person {id: r.a}) MATCH (b:Person {id: r.b}) CREATE (a)-[:FRIEND {weight: r.w}]->(b)`, maps},
		//{"grouped", `UNWIND $groups AS g MATCH (a:Person {id: g.a}) UNWIND range(0, size(g.bs) - 1) AS j MATCH (b:Person {id: g.bs[j]}) CREATE (a)-[:FRIEND {weight: g.ws[j]}]->(b)`, grouped},
		//{"noweight", `UNWIND range(0, size($a) - 1) AS i MATCH (a:Person {id: $a[i]}) MATCH (b:Person {id: $b[i]}) CREATE (a)-[:FRIEND]->(b)`, tieParams},
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
