package neo4j

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/socialscore/socialscore/internal/neo4jtest"
	"github.com/socialscore/socialscore/seed"
)

// BenchmarkBulkLoad measures the bulk first load of the network `socialscore
// seed` generates for NEO4J_BENCH_PEOPLE people (default 100,000; about
// 5.3 relationships a person), end to end (CSV files, the importer with the
// server's stop and start, the schema) and the importer alone. It restarts
// its server, so it never uses the shared one: NEO4J_BULK_DIR names the
// runtime dir of a server deploy/neo4j/neo4j.sh runs for it, else it starts
// one in a temporary dir. Before each load the database is emptied (an
// import of no one, outside the timer).
//
//	NEO4J_BENCH_PEOPLE=1000000 go test ./graph/neo4j/ -run '^$' -bench BulkLoad -benchtime 1x
//
// Reported: rels/s end to end; import-rels/s by the importer's JVM's wall
// clock (NEO4J_IMPORT_SECONDS) and import-cpu-s its user + system time;
// csv-s, admin-s (stop, import, start) and schema-s the parts, and of
// admin-s stop-s and start-s (neo4j.sh's NEO4J_STOP_SECONDS and
// NEO4J_START_SECONDS). NEO4J_BENCH_LOG=1 shows the importer's output.
func BenchmarkBulkLoad(b *testing.B) {
	ctx := context.Background()
	srv := benchBulkServer(b)
	script, err := neo4jtest.Script()
	if err != nil {
		b.Fatal(err)
	}
	cfg := BulkConfig{
		Config: Config{URI: srv.URI, User: srv.User, Password: srv.Password},
		Admin:  []string{"bash", script, "import", "--dir", srv.Dir, "--"},
	}
	if os.Getenv("NEO4J_BENCH_LOG") == "1" {
		cfg.Log = os.Stderr
	}
	net, err := seed.Generate(seed.Config{People: benchPeople, Seed: 7})
	if err != nil {
		b.Fatal(err)
	}
	rels := float64(len(net.Ties))
	var total, imp, cpu, csv, admin, schema, stop, start float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		emptyBulkServer(b, cfg)
		b.StartTimer()
		s, st, err := BulkLoad(ctx, cfg, fillBatch(net))
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s.Close()
		total += st.Total.Seconds()
		csv += st.Write.Seconds()
		admin += st.Admin.Seconds()
		schema += st.Open.Seconds()
		imp += adminFigure(st, "NEO4J_IMPORT_SECONDS")
		cpu += adminFigure(st, "NEO4J_IMPORT_CPU_SECONDS")
		stop += adminFigure(st, "NEO4J_STOP_SECONDS")
		start += adminFigure(st, "NEO4J_START_SECONDS")
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(rels*n/total, "rels/s")
	if imp > 0 {
		b.ReportMetric(rels*n/imp, "import-rels/s")
	}
	b.ReportMetric(cpu/n, "import-cpu-s")
	b.ReportMetric(csv/n, "csv-s")
	b.ReportMetric(admin/n, "admin-s")
	b.ReportMetric(schema/n, "schema-s")
	b.ReportMetric(stop/n, "stop-s")
	b.ReportMetric(start/n, "start-s")
}

// adminFigure returns a KEY=seconds line of the admin command's output, or 0.
func adminFigure(st BulkStats, key string) float64 {
	for _, l := range st.AdminOutput {
		if v, ok := strings.CutPrefix(l, key+"="); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// benchBulkServer returns the server NEO4J_BULK_DIR names or one started
// for the benchmark (stopped at its end).
func benchBulkServer(b *testing.B) neo4jtest.Server {
	if dir := os.Getenv("NEO4J_BULK_DIR"); dir != "" {
		uri, err := os.ReadFile(filepath.Join(dir, "bolt_uri"))
		if err != nil {
			b.Fatalf("NEO4J_BULK_DIR: %v", err)
		}
		pw, _ := os.ReadFile(filepath.Join(dir, "password"))
		return neo4jtest.Server{URI: strings.TrimSpace(string(uri)), User: "neo4j", Password: strings.TrimSpace(string(pw)), Dir: dir}
	}
	tmp, err := os.MkdirTemp("", "socialscore-bulkbench-")
	if err != nil {
		b.Fatal(err)
	}
	srv, err := neo4jtest.Start(filepath.Join(tmp, "server"))
	if err != nil {
		os.RemoveAll(tmp)
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = srv.Stop()
		os.RemoveAll(tmp)
	})
	return srv
}

// emptyBulkServer empties the database, if it holds anything, by importing
// no one.
func emptyBulkServer(b *testing.B, cfg BulkConfig) {
	c := cfg.Config.withDefaults()
	if err := checkEmpty(context.Background(), c); err == nil {
		return
	}
	dir := b.TempDir()
	people := filepath.Join(dir, BulkPeopleFile)
	if err := os.WriteFile(people, []byte(bulkPeopleHeader), 0o644); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	args := append(append([]string{}, cfg.Admin[1:]...), c.Database, "--overwrite-destination=true", "--nodes=Person="+people)
	if out, err := exec.CommandContext(ctx, cfg.Admin[0], args...).CombinedOutput(); err != nil {
		b.Fatalf("empty the database: %v\n%s", err, out)
	}
	if err := checkEmpty(context.Background(), c); err != nil {
		b.Fatal(err)
	}
}
