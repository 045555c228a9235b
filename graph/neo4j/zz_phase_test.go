package neo4j

import (
	"context"
	"testing"
	"time"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

func TestZZPhases(t *testing.T) {
	s := openEmpty(t, nil)
	defer s.Close()
	ctx := context.Background()
	batch := genBatch(benchPeople, benchFriends, 1)
	t0 := time.Now()
	p, err := planBatch(batch)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("plan %v", time.Since(t0))
	t0 = time.Now()
	v, err := s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) { return s.check(ctx, tx, p) })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("check %v", time.Since(t0))
	steps := s.steps(p, v.(*checked), s.now())
	times := map[string]time.Duration{}
	rows := map[string]int{}
	for _, st := range steps {
		t0 = time.Now()
		_, err := s.write(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
			return nil, execTx(ctx, tx, st.query, st.params)
		})
		if err != nil {
			t.Fatal(err)
		}
		times[st.query[:30]] += time.Since(t0)
		rows[st.query[:30]] += st.rows
	}
	for k, d := range times {
		t.Logf("%q: %d rows in %v: %.0f rows/s", k, rows[k], d, float64(rows[k])/d.Seconds())
	}
}
