package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/embedded"
	"github.com/socialscore/socialscore/scoring"
)

// Test API keys and the apps they belong to.
const (
	lenderKey = "lender-key-0123456789"
	hotelKey  = "hotel-key-abcdefghijk"
)

// Keys of the other roles (lender and hotel hold the operator role: they
// are given through the deprecated APIKeys, whose keys are operators').
// The subject key belongs to person 1.
var roleKeys = map[graph.Role]string{
	graph.RoleOperator:   lenderKey,
	graph.RoleProvider:   "provider-key-0123456789",
	graph.RoleApp:        "app-key-0123456789abcdef",
	graph.RoleResearcher: "researcher-key-0123456789",
	graph.RoleAnalyst:    "analyst-key-0123456789",
	graph.RoleAuditor:    "auditor-key-0123456789",
	graph.RoleSubject:    "subject-key-0123456789",
}

// Second keys of some roles, held by someone else.
const (
	app2Key     = "app2-key-0123456789abcdef"
	analyst2Key = "analyst2-key-0123456789"
	subject2Key = "subject2-key-0123456789" // person 2
)

// testKeys are the Config.Keys of every test server.
func testKeys() map[string]KeyHolder {
	keys := map[string]KeyHolder{
		app2Key:     {Name: "app2", Role: graph.RoleApp},
		analyst2Key: {Name: "analyst2", Role: graph.RoleAnalyst},
		subject2Key: {Name: "subject2", Role: graph.RoleSubject, Person: 2},
	}
	for r, k := range roleKeys {
		if r == graph.RoleOperator {
			continue
		}
		h := KeyHolder{Name: string(r), Role: r}
		if r == graph.RoleSubject {
			h.Person = 1
		}
		keys[k] = h
	}
	return keys
}

// openTestStore opens the store the API tests run against: a real embedded
// store in a temporary directory. To run the same tests against another
// store (Neo4j), replace this function; every test gets a fresh, empty
// store from it.
var openTestStore = func(t testing.TB) graph.Store {
	t.Helper()
	s, err := embedded.Open(filepath.Join(t.TempDir(), "s.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// testEnv is a server under test with what the tests need to inspect it.
type testEnv struct {
	t         testing.TB
	srv       *Server
	h         http.Handler
	store     graph.Store
	runner    *scoring.Runner
	audit     *FileAuditor
	auditPath string
	reg       *prometheus.Registry
	key       string // sent by do unless the request sets its own auth
}

// newTestServer starts a server over store with two API keys (lender,
// hotel), a file auditor in a temporary directory and the sesame policy;
// opts may change the config before New. The server is closed when the
// test ends.
func newTestServer(t testing.TB, store graph.Store, opts ...func(*Config)) *testEnv {
	t.Helper()
	auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
	aud, err := NewFileAuditor(auditPath)
	require.NoError(t, err)
	sesame, ok := scoring.Preset("sesame")
	require.True(t, ok)
	runner := scoring.NewRunner(store, nil)
	reg := prometheus.NewRegistry()
	cfg := Config{
		Store:    store,
		Runner:   runner,
		Policy:   sesame,
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		APIKeys:  map[string]string{lenderKey: "lender", hotelKey: "hotel"},
		Keys:     testKeys(),
		Audit:    aud,
		Registry: reg,
	}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	key := lenderKey
	if cfg.Open {
		key = ""
	}
	return &testEnv{t: t, srv: srv, h: srv.Handler(), store: store, runner: runner, audit: aud,
		auditPath: auditPath, reg: reg, key: key}
}

// request describes one call; headers override the defaults of do.
type request struct {
	method, path, body string
	header             map[string]string
	chunked            bool // send without Content-Length
}

// do serves the request in-process. A body is sent as application/json
// and the env's API key as a bearer token unless header says otherwise.
func (e *testEnv) do(r request) *httptest.ResponseRecorder {
	e.t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req := httptest.NewRequest(r.method, r.path, body)
	if r.chunked {
		req.ContentLength = -1
	}
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if e.key != "" {
		req.Header.Set("Authorization", "Bearer "+e.key)
	}
	for k, v := range r.header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return w
}

func (e *testEnv) get(path string) *httptest.ResponseRecorder {
	return e.do(request{method: http.MethodGet, path: path})
}

// decode unmarshals a JSON response body into v.
func decode(t testing.TB, w *httptest.ResponseRecorder, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), v), "body: %s", w.Body.String())
}

// assertProblem checks an application/problem+json response: status, type
// suffix, and (if field is not "-") that errors[0] names field with a
// reason containing reason.
func assertProblem(t testing.TB, w *httptest.ResponseRecorder, status int, typ, field, reason string) Problem {
	t.Helper()
	require.Equal(t, status, w.Code, "body: %s", w.Body.String())
	assert.Equal(t, problemContentType, w.Header().Get("Content-Type"))
	var p Problem
	decode(t, w, &p)
	assert.Equal(t, status, p.Status)
	assert.Equal(t, problemBase+typ, p.Type)
	assert.NotEmpty(t, p.Title)
	assert.NotEmpty(t, p.Instance)
	if field != "-" {
		if assert.NotEmpty(t, p.Errors, "problem without errors: %s", w.Body.String()) {
			assert.Equal(t, field, p.Errors[0].Field, "body: %s", w.Body.String())
			assert.Contains(t, p.Errors[0].Reason, reason, "body: %s", w.Body.String())
		}
	}
	return p
}

// storeState is everything the tests compare to prove that a rejected
// request changed nothing.
type storeState struct {
	Counts  graph.Counts
	People  map[graph.ID]*graph.Person // nil: absent
	Ties    map[graph.ID][]graph.Tie
	RunID   string
	Visible map[graph.ID]bool // score visible through the runner
}

// state reads the store's state for the ids.
func (e *testEnv) state(ids ...graph.ID) storeState {
	e.t.Helper()
	ctx := context.Background()
	c, err := e.store.Counts(ctx)
	require.NoError(e.t, err)
	st := storeState{Counts: c, People: map[graph.ID]*graph.Person{}, Ties: map[graph.ID][]graph.Tie{},
		Visible: map[graph.ID]bool{}}
	for _, id := range ids {
		p, err := e.store.Person(ctx, id)
		if err == nil {
			st.People[id] = &p
			ties, err := e.store.Ties(ctx, id)
			require.NoError(e.t, err)
			st.Ties[id] = ties
		} else {
			require.ErrorIs(e.t, err, graph.ErrNotFound)
			st.People[id] = nil
		}
		_, _, st.Visible[id] = e.runner.Lookup(id)
	}
	run, _, err := e.store.LatestRun(ctx)
	if err == nil {
		st.RunID = run.ID
	}
	return st
}

// fixtureIDs are the people of seed plus ids the tests use as unknown.
var fixtureIDs = []graph.ID{1, 2, 3, 4, 5, 6, 7, 99, 999}

// seed stores a small network through the API: people 1-5 consent, 6 does
// not; friendships 1-2, 2-3, 3-4, 1-3, 4-6; 1 recruited 5; everyone has
// some record (person 4 a default). It returns the ids that consent.
func (e *testEnv) seed() []graph.ID {
	e.t.Helper()
	put := func(id, body string) {
		w := e.do(request{method: http.MethodPut, path: "/v1/people/" + id, body: body})
		require.Equal(e.t, http.StatusCreated, w.Code, w.Body.String())
	}
	put("1", `{"consent":true,"profile":{"provided":["name","phone","email","address"],"verified":["phone","email"]}}`)
	put("2", `{"consent":true,"profile":{"provided":["name","phone"],"verified":["phone"]}}`)
	put("3", `{"consent":true,"profile":{"provided":["name"]}}`)
	put("4", `{"consent":true}`)
	put("5", `{"consent":true,"profile":{"provided":["name","employer","education","national_id"],"verified":["national_id"]}}`)
	put("6", `{"consent":false,"profile":{"provided":["name"]}}`)
	events := map[string]string{
		"1": `{"events":[{"type":"purchase","amount":1200,"at":"2024-01-10T10:00:00Z"},{"type":"bill_payment","amount":80,"due":"2024-02-01","paid":"2024-01-30"},{"type":"credit_payment","amount":300,"due":"2024-02-15","paid":"2024-02-14T09:00:00Z"}]}`,
		"2": `{"events":[{"type":"purchase","amount":90.5,"at":"2024-01-11T10:00:00Z"},{"type":"bill_payment","amount":80,"due":"2024-02-01","paid":"2024-02-20"}]}`,
		"3": `{"events":[{"type":"purchase","amount":400,"at":"2024-01-12T10:00:00Z"},{"type":"credit_payment","amount":300,"due":"2024-02-15","paid":"2024-02-14"}]}`,
		"4": `{"events":[{"type":"default","amount":5000,"at":"2024-03-01T00:00:00Z"},{"type":"credit_payment","amount":300,"due":"2024-02-15","paid":"2024-03-30"}]}`,
		"5": `{"events":[{"type":"purchase","amount":50,"at":"2024-01-13T10:00:00Z"}]}`,
	}
	for id, body := range events {
		w := e.do(request{method: http.MethodPost, path: "/v1/people/" + id + "/events", body: body})
		require.Equal(e.t, http.StatusOK, w.Code, w.Body.String())
	}
	for _, p := range [][2]string{{"1", "2"}, {"2", "3"}, {"3", "4"}, {"1", "3"}, {"4", "6"}} {
		w := e.do(request{method: http.MethodPut, path: "/v1/friendships/" + p[0] + "/" + p[1]})
		require.Equal(e.t, http.StatusCreated, w.Code, w.Body.String())
	}
	w := e.do(request{method: http.MethodPut, path: "/v1/recruitments/1/5"})
	require.Equal(e.t, http.StatusCreated, w.Code, w.Body.String())
	return []graph.ID{1, 2, 3, 4, 5}
}

// score runs a scoring run under the preset directly on the runner.
func (e *testEnv) score(policy string) scoring.Report {
	e.t.Helper()
	p, ok := scoring.Preset(policy)
	require.True(e.t, ok)
	rep, err := e.runner.Run(context.Background(), p, scoring.Options{})
	require.NoError(e.t, err)
	return rep
}

// auditRecords flushes the auditor and reads the JSON lines back.
func (e *testEnv) auditRecords() []AuditRecord {
	e.t.Helper()
	require.NoError(e.t, e.audit.Flush())
	return readAudit(e.t, e.auditPath)
}

// readAudit returns the score-read records of the log (Kind ""); see
// readAuditAll for every record.
func readAudit(t testing.TB, path string) []AuditRecord {
	t.Helper()
	var out []AuditRecord
	for _, r := range readAuditAll(t, path) {
		if r.Kind == "" {
			out = append(out, r)
		}
	}
	return out
}

// unchained returns r without its chain fields (seq, prev, hash).
func unchained(r AuditRecord) AuditRecord {
	r.Seq, r.Prev, r.Hash = 0, "", ""
	return r
}

// readAuditAll reads every record of the log.
func readAuditAll(t testing.TB, path string) []AuditRecord {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []AuditRecord
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue // the end of a line torn by a failed write
		}
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		var r AuditRecord
		require.NoError(t, dec.Decode(&r), "line %q", sc.Text())
		out = append(out, r)
	}
	require.NoError(t, sc.Err())
	return out
}

// gatedStore wraps a store: Snapshot waits for the gate (or the context),
// and Ping fails while down is set. It lets tests hold a scoring run in
// progress and make the store look unreachable.
type gatedStore struct {
	graph.Store
	gate    chan struct{}
	once    sync.Once
	entered chan struct{}
	down    atomic.Bool
}

func newGatedStore(s graph.Store) *gatedStore {
	return &gatedStore{Store: s, gate: make(chan struct{}), entered: make(chan struct{}, 16)}
}

func (g *gatedStore) open() { g.once.Do(func() { close(g.gate) }) }

func (g *gatedStore) Snapshot(ctx context.Context) (*graph.Snapshot, error) {
	g.entered <- struct{}{}
	select {
	case <-g.gate:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return g.Store.Snapshot(ctx)
}

func (g *gatedStore) Ping(ctx context.Context) error {
	if g.down.Load() {
		return graph.ErrUnavailable
	}
	return g.Store.Ping(ctx)
}

// waitJob polls a scoring-run job until it is no longer running.
func (e *testEnv) waitJob(loc string) JobResponse {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		w := e.get(loc)
		require.Equal(e.t, http.StatusOK, w.Code, w.Body.String())
		var j JobResponse
		decode(e.t, w, &j)
		if j.Status != JobRunning {
			return j
		}
		require.True(e.t, time.Now().Before(deadline), "job %s still running", loc)
		time.Sleep(5 * time.Millisecond)
	}
}
