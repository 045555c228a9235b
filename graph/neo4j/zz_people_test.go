package neo4j

import (
	"context"
	"testing"
	"time"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

func TestZZPeople(t *testing.T) {
	s := openEmpty(t, nil)
	defer s.Close()
	ctx := context.Background()
	batch := genBatch(50000, 0, 1)
	now := s.now()
	rows := make([]map[string]any, len(batch.People))
	small := make([]map[string]any, len(batch.People))
	ids := make([]int64, len(batch.People))
	for i := range batch.People {
		rows[i] = newPersonProps(&batch.People[i], now)
		small[i] = map[string]any{"id": int64(batch.People[i].ID)}
		ids[i] = int64(batch.People[i].ID)
	}
	notime := make([]map[string]any, len(rows))
	inttime := make([]map[string]any, len(rows))
	offtime := make([]map[string]any, len(rows))
	fixed := time.FixedZone("Offset", 0)
	for i, r := range rows {
		m := map[string]any{}
		m2 := map[string]any{}
		m3 := map[string]any{}
		for k, v := range r {
			if tv, ok := v.(time.Time); ok {
				m2[k] = tv.UnixMilli()
				m3[k] = tv.In(fixed)
				continue
			}
			m[k] = v
			m2[k] = v
			m3[k] = v
		}
		notime[i], inttime[i], offtime[i] = m, m2, m3
	}
	cols := map[string][]any{}
	for _, r := range rows {
		for _, k := range []string{"id", "consent", "provided", "verified", "purchase_total", "purchase_count", "bills_on_time", "bills_late", "bill_days_late", "credit_on_time", "credit_late", "credit_days_late", "defaults", "default_amount", "last_event_at", "created_at", "updated_at"} {
			cols[k] = append(cols[k], r[k])
		}
	}
	colsFor := func(lo, hi int) map[string]any {
		m := map[string]any{}
		for k, v := range cols {
			m[k] = v[lo:hi]
		}
		return m
	}
	variants := []struct {
		name string
		q    string
		p    func(lo, hi int) map[string]any
	}{
		{"set=", `UNWIND $rows AS row CREATE (p:Person) SET p = row`, func(lo, hi int) map[string]any { return map[string]any{"rows": rows[lo:hi]} }},
		{"idonly-map", `UNWIND $rows AS row CREATE (p:Person {id: row.id})`, func(lo, hi int) map[string]any { return map[string]any{"rows": small[lo:hi]} }},
		{"idonly-list", `UNWIND $ids AS id CREATE (p:Person {id: id})`, func(lo, hi int) map[string]any { return map[string]any{"ids": ids[lo:hi]} }},
		{"create-props", `UNWIND $rows AS row CREATE (p:Person {id: row.id, consent: row.consent, provided: row.provided, verified: row.verified, purchase_total: row.purchase_total, purchase_count: row.purchase_count, bills_on_time: row.bills_on_time, bills_late: row.bills_late, bill_days_late: row.bill_days_late, credit_on_time: row.credit_on_time, credit_late: row.credit_late, credit_days_late: row.credit_days_late, defaults: row.defaults, default_amount: row.default_amount, last_event_at: row.last_event_at, created_at: row.created_at, updated_at: row.updated_at})`, func(lo, hi int) map[string]any { return map[string]any{"rows": rows[lo:hi]} }},
		{"set+=", `UNWIND $rows AS row CREATE (p:Person) SET p += row`, func(lo, hi int) map[string]any { return map[string]any{"rows": rows[lo:hi]} }},
		{"lists", `UNWIND range(0, size($id) - 1) AS i CREATE (p:Person {id: $id[i], consent: $consent[i], provided: $provided[i], verified: $verified[i], purchase_total: $purchase_total[i], purchase_count: $purchase_count[i], bills_on_time: $bills_on_time[i], bills_late: $bills_late[i], bill_days_late: $bill_days_late[i], credit_on_time: $credit_on_time[i], credit_late: $credit_late[i], credit_days_late: $credit_days_late[i], defaults: $defaults[i], default_amount: $default_amount[i], last_event_at: $last_event_at[i], created_at: $created_at[i], updated_at: $updated_at[i]})`, colsFor},
		{"lists-now", `UNWIND range(0, size($id) - 1) AS i CREATE (p:Person {id: $id[i], consent: $consent[i], provided: $provided[i], verified: $verified[i], purchase_total: $purchase_total[i], purchase_count: $purchase_count[i], bills_on_time: $bills_on_time[i], bills_late: $bills_late[i], bill_days_late: $bill_days_late[i], credit_on_time: $credit_on_time[i], credit_late: $credit_late[i], credit_days_late: $credit_days_late[i], defaults: $defaults[i], default_amount: $default_amount[i], last_event_at: $last_event_at[i], created_at: $now, updated_at: $now})`, func(lo, hi int) map[string]any { m := colsFor(lo, hi); m["now"] = now; return m }},
		{"notime", `UNWIND $rows AS row CREATE (p:Person) SET p = row`, func(lo, hi int) map[string]any { return map[string]any{"rows": notime[lo:hi]} }},
		{"inttime", `UNWIND $rows AS row CREATE (p:Person) SET p = row`, func(lo, hi int) map[string]any { return map[string]any{"rows": inttime[lo:hi]} }},
		{"offtime", `UNWIND $rows AS row CREATE (p:Person) SET p = row`, func(lo, hi int) map[string]any { return map[string]any{"rows": offtime[lo:hi]} }},
		{"nolabel-set", `UNWIND $rows AS row CREATE (p:Temp) SET p = row`, func(lo, hi int) map[string]any { return map[string]any{"rows": rows[lo:hi]} }},
		{"set= again", `UNWIND $rows AS row CREATE (p:Person) SET p = row`, func(lo, hi int) map[string]any { return map[string]any{"rows": rows[lo:hi]} }},
	}
	for _, v := range variants {
		if err := wipe(ctx, s); err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		c0 := serverCPU()
		for lo := 0; lo < len(rows); lo += 10000 {
			hi := min(lo+10000, len(rows))
			_, err := s.write(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
				return nil, execTx(ctx, tx, v.q, v.p(lo, hi))
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		d := time.Since(t0)
		c := serverCPU() - c0
		t.Logf("%-14s wall %v %.0f/s; server cpu %v: %.0f per cpu-s", v.name, d.Round(time.Millisecond), float64(len(rows))/d.Seconds(), c, float64(len(rows))/c.Seconds())
	}
}
