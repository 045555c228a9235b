package neo4j

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/neo4jtest"
	"github.com/socialscore/socialscore/seed"
)

// bulkNow is the clock of both stores compared by TestBulkLoad, so that
// created_at and updated_at are the same in both.
var bulkNow = time.Date(2026, 11, 30, 9, 15, 42, 123456789, time.UTC)

// oddSum is 0.1 + 0.2 in float64 arithmetic, 0.30000000000000004 (a
// constant expression would be exact: 0.3).
var oddSum = func() float64 { a := 0.1; return a + 0.2 }()

// bulkNetwork is a seeded network of 5,000 people (friendships of weight
// 1, recruitments) plus three people with values that test the CSV
// encoding: weights other than 1, amounts that are not short decimals, a
// time with nanoseconds.
func bulkNetwork(t *testing.T) graph.Batch {
	t.Helper()
	b, err := seed.Generate(seed.Config{People: 5000, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	odd := graph.Record{
		PurchaseTotal: oddSum, PurchaseCount: 3, BillsOnTime: 2, BillsLate: 1, BillDaysLate: 17,
		CreditOnTime: 5, CreditLate: 2, CreditDaysLate: 40, Defaults: 1, DefaultAmount: 1234.5678901234567,
		LastEventAt: time.Date(2025, 2, 3, 4, 5, 6, 7, time.UTC),
	}
	b.People = append(b.People,
		graph.Person{ID: 5001, Consent: true, Record: odd, Profile: graph.Profile{Provided: 0b1011, Verified: 0b0001}},
		graph.Person{ID: 5002, Consent: false, Record: graph.NeutralRecord()},
		graph.Person{ID: 9_000_000_000, Consent: true},
	)
	b.Ties = append(b.Ties,
		graph.Tie{Kind: graph.Friend, From: 5002, To: 5001, Weight: oddSum},
		graph.Tie{Kind: graph.Friend, From: 1, To: 5001, Weight: 2.5},
		graph.Tie{Kind: graph.Friend, From: 9_000_000_000, To: 7, Weight: 1e-7},
		graph.Tie{Kind: graph.Recruited, From: 5001, To: 9_000_000_000},
	)
	return b
}

// fillBatch adds a batch to a bulk writer, people first.
func fillBatch(b graph.Batch) func(*BulkWriter) error {
	return func(w *BulkWriter) error {
		for _, p := range b.People {
			if err := w.AddPerson(p); err != nil {
				return err
			}
		}
		for _, t := range b.Ties {
			if err := w.AddTie(t); err != nil {
				return err
			}
		}
		return nil
	}
}

// bulkServer starts a server of the test's own in a temporary directory:
// a bulk load stops and restarts the server, which the shared one must
// not be. It is stopped and removed when the test ends.
func bulkServer(t *testing.T) neo4jtest.Server {
	t.Helper()
	tmp, err := os.MkdirTemp("", "socialscore-bulktest-")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := neo4jtest.Start(filepath.Join(tmp, "server"))
	if err != nil {
		os.RemoveAll(tmp)
		t.Fatalf("start a server for the bulk load: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Error(err)
		}
		os.RemoveAll(tmp)
	})
	return srv
}

// serverMemory returns the -Xmx option of the server neo4j.sh runs in dir
// (from its command line; Linux only) and its page cache size (from its
// configuration).
func serverMemory(t *testing.T, dir string) (heap, pagecache string) {
	t.Helper()
	pid, err := os.ReadFile(filepath.Join(dir, "neo4j.pid"))
	if err != nil {
		t.Fatal(err)
	}
	cmdline, err := os.ReadFile("/proc/" + strings.TrimSpace(string(pid)) + "/cmdline")
	if err != nil && runtime.GOOS == "linux" {
		t.Fatal(err)
	}
	for _, a := range strings.Split(string(cmdline), "\x00") {
		if strings.HasPrefix(a, "-Xmx") {
			heap = a
		}
	}
	conf, err := os.ReadFile(filepath.Join(dir, "conf", "neo4j.conf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(conf), "\n") {
		if v, ok := strings.CutPrefix(l, "server.memory.pagecache.size="); ok {
			pagecache = v
		}
	}
	return heap, pagecache
}

// adminOf returns the command that imports into srv: neo4j.sh import.
func adminOf(t *testing.T, srv neo4jtest.Server) []string {
	t.Helper()
	script, err := neo4jtest.Script()
	if err != nil {
		t.Fatal(err)
	}
	return []string{"bash", script, "import", "--dir", srv.Dir, "--"}
}

// TestBulkLoad loads the same network through the importer into a server
// of its own and through ApplyBatch into the shared one, and compares the
// two databases: every node's labels and properties (with their Cypher
// types and time zones), every relationship, the schema, the snapshots,
// every person and their ties read through the store. Then the same later
// writes go through the UNWIND path of both, which must agree again; and
// a second bulk load is refused because the database is no longer empty.
func TestBulkLoad(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	clock := func() time.Time { return bulkNow }
	b := bulkNetwork(t)

	ref := openEmpty(t, func(c *Config) { c.Clock = clock })
	defer ref.Close()
	if err := ref.ApplyBatch(ctx, b); err != nil {
		t.Fatalf("apply batch: %v", err)
	}

	// The server runs with a heap and page cache other than neo4j.sh's
	// defaults, which the import must restart it with although the
	// environment no longer names them.
	t.Setenv("NEO4J_HEAP", "768m")
	t.Setenv("NEO4J_PAGECACHE", "160m")
	srv := bulkServer(t)
	os.Unsetenv("NEO4J_HEAP") // t.Setenv restores both at the end
	os.Unsetenv("NEO4J_PAGECACHE")
	var log strings.Builder
	cfg := BulkConfig{
		Config: Config{URI: srv.URI, User: srv.User, Password: srv.Password, Clock: clock},
		Admin:  adminOf(t, srv),
		Log:    &log,
	}
	bulk, st, err := BulkLoad(ctx, cfg, fillBatch(b))
	if err != nil {
		t.Fatalf("bulk load: %v\n%s", err, log.String())
	}
	defer bulk.Close()
	t.Logf("bulk load: %+v (write %s, admin %s, open %s, total %s)", st.Files, st.Write, st.Admin, st.Open, st.Total)
	if st.Files.People != len(b.People) || st.Files.Friendships+st.Files.Recruitments != len(b.Ties) || st.Files.Weighted != 3 {
		t.Errorf("files %+v: want %d people, %d ties of which 3 weighted", st.Files, len(b.People), len(b.Ties))
	}
	if !slices.ContainsFunc(st.AdminOutput, func(l string) bool { return strings.HasPrefix(l, "NEO4J_IMPORT_SECONDS=") }) {
		t.Errorf("admin output lacks NEO4J_IMPORT_SECONDS: %q", st.AdminOutput)
	}

	heap, pagecache := serverMemory(t, srv.Dir)
	if (heap != "-Xmx768m" && runtime.GOOS == "linux") || pagecache != "160m" {
		t.Errorf("after the import the server runs with %s and page cache %s, want -Xmx768m and 160m as before", heap, pagecache)
	}

	sameStores(t, ctx, ref, bulk, 1)

	// Later writes take the UNWIND path (and the single-tie path) on both.
	later := graph.Batch{
		People: []graph.Person{{ID: 6000, Consent: true, Record: graph.NeutralRecord()}, {ID: 6001, Consent: true}},
		Ties: []graph.Tie{
			{Kind: graph.Friend, From: 6000, To: 1},
			{Kind: graph.Friend, From: 6001, To: 5001, Weight: 3},
			{Kind: graph.Recruited, From: 6000, To: 6001},
		},
	}
	for _, s := range []*Store{ref, bulk} {
		if err := s.ApplyBatch(ctx, later); err != nil {
			t.Fatalf("later batch: %v", err)
		}
		if err := s.PutTie(ctx, graph.Tie{Kind: graph.Friend, From: 2, To: 6001, Weight: 0.5}); err != nil {
			t.Fatalf("later tie: %v", err)
		}
		// A person the import created is found by the person_id index.
		if err := s.ApplyBatch(ctx, graph.Batch{People: []graph.Person{{ID: 3, Consent: true}}}); !errors.Is(err, graph.ErrConflict) {
			t.Fatalf("re-creating imported person 3: %v, want a conflict", err)
		}
	}
	if c, err := bulk.Counts(ctx); err != nil || c.People != len(b.People)+2 {
		t.Fatalf("counts after later writes: %+v, %v", c, err)
	}
	sameStores(t, ctx, ref, bulk, 50)

	// A second bulk load into the now non-empty database is refused
	// before fill or the admin command runs.
	marker := filepath.Join(t.TempDir(), "admin-ran")
	cfg.Admin = []string{"sh", "-c", "echo ran > " + marker}
	filled := false
	_, _, err = BulkLoad(ctx, cfg, func(*BulkWriter) error { filled = true; return nil })
	if !errors.Is(err, ErrNotEmpty) || !errors.Is(err, graph.ErrConflict) {
		t.Fatalf("bulk load into a loaded database: %v, want ErrNotEmpty", err)
	}
	if !strings.Contains(err.Error(), ":Person") || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("error %q does not say what the database holds", err)
	}
	if _, serr := os.Stat(marker); filled || serr == nil {
		t.Errorf("refused load still filled (%v) or ran the admin command (%v)", filled, serr)
	}
	t.Logf("refused: %v", err)
}

// sameStores compares two databases holding the same network; the
// getters are compared for every every-th person (and the last).
func sameStores(t *testing.T, ctx context.Context, a, b *Store, every int) {
	t.Helper()
	queries := []string{
		// every person, with labels and all properties
		`MATCH (n:Person) RETURN labels(n) AS l, properties(n) AS p ORDER BY n.id`,
		// each property's Cypher type
		`MATCH (n:Person) UNWIND keys(n) AS k RETURN labels(n) AS l, k, valueType(n[k]) AS t, count(*) AS c ORDER BY l[0], k, t`,
		// the other nodes (written by later writes) and their properties' types; the snapshot
		// generation's shards (:SnapshotGen) are left out: they are the store's bookkeeping,
		// made when a store opens and again when found missing, so whether the reference
		// database holds them depends on when the shared server was last wiped
		// (snapcache_test.go tests them)
		`MATCH (n) WHERE NOT n:Person AND NOT n:SnapshotGen UNWIND labels(n) AS l WITH n, l UNWIND keys(n) AS k
		 RETURN l, k, valueType(n[k]) AS t, count(DISTINCT n) AS c ORDER BY l, k, t`,
		// how datetimes are zoned
		`MATCH (p:Person) UNWIND ['created_at', 'updated_at', 'last_event_at'] AS k WITH k, p[k] AS v WHERE v IS NOT NULL
		 RETURN k, v.timezone AS z, count(*) AS c ORDER BY k, z`,
		// every relationship, its direction and properties
		`MATCH (x)-[r]->(y) RETURN x.id AS x, type(r) AS t, y.id AS y, properties(r) AS p ORDER BY x, t, y`,
	}
	for _, q := range queries {
		ra, err := rows(ctx, a, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		rb, err := rows(ctx, b, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if len(ra) == 0 && !strings.Contains(q, "NOT n:Person") {
			t.Fatalf("%s: no rows", q)
		}
		if !reflect.DeepEqual(ra, rb) {
			for i := range min(len(ra), len(rb)) {
				if !reflect.DeepEqual(ra[i], rb[i]) {
					t.Fatalf("%s: row %d differs:\nApplyBatch: %v\nbulk load:  %v", q, i, ra[i], rb[i])
				}
			}
			t.Fatalf("%s: %d rows through ApplyBatch, %d after the bulk load", q, len(ra), len(rb))
		}
	}

	// The schema: the bulk-loaded database has every index and constraint
	// Open creates, each as in the other database. (The shared server's
	// schema may hold more: the schema outlives a wipe, and other tests'
	// stores may have made theirs.)
	for _, q := range []string{
		`SHOW INDEXES YIELD name, type, labelsOrTypes, properties, owningConstraint WHERE type <> 'LOOKUP'
		 RETURN name, type, labelsOrTypes, properties, owningConstraint ORDER BY name`,
		`SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties RETURN * ORDER BY name`,
	} {
		ra, err := rows(ctx, a, q)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := rows(ctx, b, q)
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, r := range rb {
			names[asString(r[0])] = true
			if !slices.ContainsFunc(ra, func(x []any) bool { return reflect.DeepEqual(x, r) }) {
				t.Fatalf("%s: %v after the bulk load, not so in the other database", q, r)
			}
		}
		for _, stmt := range schema {
			f := strings.Fields(stmt) // CREATE CONSTRAINT|INDEX name ...
			if kind := f[1]; (kind == "CONSTRAINT") == strings.Contains(q, "CONSTRAINTS") && !names[f[2]] {
				t.Fatalf("the bulk-loaded database lacks %s %s", kind, f[2])
			}
		}
	}

	ca, err := a.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := b.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ca != cb {
		t.Fatalf("counts: ApplyBatch %+v, bulk load %+v", ca, cb)
	}
	sa, err := a.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := b.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sa.Len() == 0 || sa.Friendships() == 0 || !reflect.DeepEqual(sa, sb) {
		t.Fatalf("snapshots differ (or are empty): %d people, %d friendships through ApplyBatch; %d, %d after the bulk load",
			sa.Len(), sa.Friendships(), sb.Len(), sb.Friendships())
	}
	// Every person (consenting or not) and their ties through the getters.
	ids, err := rows(ctx, a, `MATCH (p:Person) RETURN p.id ORDER BY p.id`)
	if err != nil {
		t.Fatal(err)
	}
	for k, r := range ids {
		if k%every != 0 && k != len(ids)-1 {
			continue
		}
		id := graph.ID(asInt(r[0]))
		pa, err := a.Person(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		pb, err := b.Person(ctx, id)
		if err != nil {
			t.Fatalf("person %d after the bulk load: %v", id, err)
		}
		if !reflect.DeepEqual(pa, pb) {
			t.Fatalf("person %d: ApplyBatch %+v, bulk load %+v", id, pa, pb)
		}
		ta, err := a.Ties(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		tb, err := b.Ties(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ta, tb) {
			t.Fatalf("ties of %d: ApplyBatch %v, bulk load %v", id, ta, tb)
		}
	}
}

// rows runs a read query and returns its records' values.
func rows(ctx context.Context, s *Store, q string) ([][]any, error) {
	sess := s.session(ctx, drv.AccessModeRead)
	defer sess.Close(ctx)
	res, err := sess.Run(ctx, q, nil)
	if err != nil {
		return nil, err
	}
	var out [][]any
	for res.Next(ctx) {
		out = append(out, res.Record().Values)
	}
	return out, res.Err()
}

// TestBulkWriterRefuses: what the importer would load wrongly, or not
// check, is refused while the files are written, naming the entry.
func TestBulkWriterRefuses(t *testing.T) {
	p := func(id graph.ID) graph.Person { return graph.Person{ID: id, Consent: true} }
	f := func(a, b graph.ID) graph.Tie { return graph.Tie{Kind: graph.Friend, From: a, To: b} }
	r := func(a, b graph.ID) graph.Tie { return graph.Tie{Kind: graph.Recruited, From: a, To: b} }
	cases := []struct {
		name   string
		people []graph.Person
		ties   []graph.Tie
		field  string
		kind   error
		reason string
	}{
		{"unsorted people", []graph.Person{p(2), p(1)}, nil, "people/1/id", graph.ErrInvalid, "ascending"},
		{"repeated person", []graph.Person{p(1), p(1)}, nil, "people/1/id", graph.ErrConflict, "twice"},
		{"invalid person", []graph.Person{p(1), {ID: 2, Record: graph.Record{BillsLate: -1}}}, nil, "people/1/record/bills_late", graph.ErrInvalid, ""},
		{"unknown end", []graph.Person{p(1), p(2)}, []graph.Tie{f(1, 2), f(2, 3)}, "ties/1/to", graph.ErrNotFound, "person 3 does not exist"},
		{"unknown start", []graph.Person{p(1), p(2)}, []graph.Tie{r(9, 2)}, "ties/0/from", graph.ErrNotFound, "person 9"},
		{"self-loop", []graph.Person{p(1)}, []graph.Tie{f(1, 1)}, "ties/0/id", graph.ErrInvalid, "themselves"},
		{"bad weight", []graph.Person{p(1), p(2)}, []graph.Tie{{Kind: graph.Friend, From: 1, To: 2, Weight: -2}}, "ties/0/weight", graph.ErrInvalid, ""},
		{"recruited twice", []graph.Person{p(1), p(2), p(3)}, []graph.Tie{r(1, 3), r(2, 3)}, "ties/1/to", graph.ErrConflict, "recruited twice"},
		{"repeated friendship", []graph.Person{p(1), p(2), p(3)}, []graph.Tie{f(1, 2), f(2, 3), f(2, 1)}, "ties", graph.ErrConflict, "1-2 is given twice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, err := NewBulkWriter(t.TempDir(), bulkNow)
			if err != nil {
				t.Fatal(err)
			}
			err = fillBatch(graph.Batch{People: c.people, Ties: c.ties})(w)
			if err == nil {
				_, err = w.Close()
			}
			var ve *graph.ValidationError
			if !errors.As(err, &ve) || ve.Field != c.field || !errors.Is(err, c.kind) || !strings.Contains(ve.Reason, c.reason) {
				t.Fatalf("got %v, want %s (%v) %q", err, c.field, c.kind, c.reason)
			}
		})
	}
	t.Run("person after tie", func(t *testing.T) {
		w, err := NewBulkWriter(t.TempDir(), bulkNow)
		if err != nil {
			t.Fatal(err)
		}
		if err := fillBatch(graph.Batch{People: []graph.Person{p(1), p(2)}, Ties: []graph.Tie{f(1, 2)}})(w); err != nil {
			t.Fatal(err)
		}
		if err := w.AddPerson(p(3)); !errors.Is(err, graph.ErrInvalid) || !strings.Contains(err.Error(), "before the first tie") {
			t.Fatalf("person after a tie: %v", err)
		}
	})
}

// TestBulkWriterFiles checks the files against the importer's CSV header
// format and values written by hand (Neo4j Operations Manual, "Import":
// id:ID(group), typed property columns, an empty field is no property).
func TestBulkWriterFiles(t *testing.T) {
	dir := t.TempDir()
	w, err := NewBulkWriter(dir, time.Date(2026, 1, 2, 3, 4, 5, 500_000_000, time.FixedZone("X", 3600)))
	if err != nil {
		t.Fatal(err)
	}
	b := graph.Batch{
		People: []graph.Person{
			{ID: 3, Consent: true, Profile: graph.Profile{Provided: 5, Verified: 1},
				Record: graph.Record{PurchaseTotal: oddSum, PurchaseCount: 2, DefaultAmount: 1e21,
					LastEventAt: time.Date(2025, 6, 7, 8, 9, 10, 11, time.UTC)}},
			{ID: 10},
		},
		Ties: []graph.Tie{{Kind: graph.Friend, From: 10, To: 3}},
	}
	if err := fillBatch(b)(w); err != nil {
		t.Fatal(err)
	}
	if err := w.AddTie(graph.Tie{Kind: graph.Recruited, From: 10, To: 3}); err != nil {
		t.Fatal(err)
	}
	files, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		BulkPeopleFile: bulkPeopleHeader +
			"3,true,5,1,0.30000000000000004,2,0,0,0,0,0,0,0,1e+21,2025-06-07T08:09:10.000000011[UTC],2026-01-02T02:04:05.5[UTC],2026-01-02T02:04:05.5[UTC]\n" +
			"10,false,0,0,0,0,0,0,0,0,0,0,0,0,,2026-01-02T02:04:05.5[UTC],2026-01-02T02:04:05.5[UTC]\n",
		BulkFriendsFile:  ":START_ID(Person),:END_ID(Person)\n3,10\n",
		BulkWeightedFile: ":START_ID(Person),:END_ID(Person),weight:double\n",
		BulkRecruitsFile: ":START_ID(Person),:END_ID(Person)\n10,3\n",
	}
	for name, text := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != text {
			t.Errorf("%s:\n%s\nwant:\n%s", name, got, text)
		}
	}
	if files.People != 2 || files.Friendships != 1 || files.Recruitments != 1 || files.Weighted != 0 {
		t.Errorf("files %+v", files)
	}
	args := strings.Join(files.ImportArgs(""), " ")
	for _, s := range []string{"neo4j --overwrite-destination=true", "--id-type=integer", "--bad-tolerance=0",
		"--nodes=Person=" + filepath.Join(dir, BulkPeopleFile), "--relationships=FRIEND=" + filepath.Join(dir, BulkFriendsFile),
		"--relationships=RECRUITED=" + filepath.Join(dir, BulkRecruitsFile)} {
		if !strings.Contains(args, s) {
			t.Errorf("import args %q lack %q", args, s)
		}
	}
	if strings.Contains(args, BulkWeightedFile) {
		t.Errorf("import args %q name the empty weighted file", args)
	}
}

// TestBulkLoadBadAdmin: without a usable admin command nothing is
// checked, written or run.
func TestBulkLoadBadAdmin(t *testing.T) {
	ctx := context.Background()
	for _, admin := range [][]string{nil, {""}, {"/nonexistent/neo4j-admin"}, {"socialscore-no-such-admin-tool"}} {
		called := false
		_, _, err := BulkLoad(ctx, BulkConfig{Config: Config{URI: "bolt://127.0.0.1:1"}, Admin: admin},
			func(*BulkWriter) error { called = true; return nil })
		var ve *graph.ValidationError
		if !errors.As(err, &ve) || ve.Field != "admin" || called {
			t.Fatalf("admin %q: %v (fill called: %v), want an error naming admin", admin, err, called)
		}
		t.Logf("admin %q: %v", admin, err)
	}
}
