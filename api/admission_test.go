package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/admission"
	"github.com/socialscore/socialscore/internal/jobs"
	"github.com/socialscore/socialscore/scoring"
	"github.com/socialscore/socialscore/scoring/contagion"
)

// Heavy work (issue 13): cost budgets, the pool, per-key limits, the
// memory gate and the shock's pages.

// postAs posts body to path with the key.
func (e *testEnv) postAs(key, path, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.do(request{method: http.MethodPost, path: path, body: body,
		header: map[string]string{"Authorization": "Bearer " + key}})
}

// TestOversizedSimulationIsRefused is issue 13's example: 1,000,000 people
// × 10,000 rounds × 10,000 runs (10 grid points × 1,000 replicates) was
// accepted and took both cores and 3.5 GB. It is refused before anything
// is queued, naming the limit and the estimate, for analysts and
// operators alike.
func TestOversizedSimulationIsRefused(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	body := `{"base":{"people":1000000,"rounds":10000},"replicates":1000,
		"axes":[{"field":"alpha","values":["0","0.1","0.2","0.3","0.4","0.5","0.6","0.7","0.8","0.9"]}]}`
	for role, limit := range map[graph.Role]string{graph.RoleAnalyst: "1,000,000,000", graph.RoleOperator: "10,000,000,000"} {
		w := e.postAs(roleKeys[role], "/v1/simulations", body)
		p := assertProblem(t, w, http.StatusBadRequest, "too-costly", "base/people",
			"100,000,000,000,000 person-rounds (1000000 people × 10000 rounds × 10000 runs)")
		assert.Contains(t, p.Errors[0].Reason, "over the "+string(role)+" role's limit of "+limit)
		assert.Contains(t, p.Detail, "limit of "+limit)
	}
	assert.Empty(t, e.srv.jobs.List(kindSimulation, 0), "nothing was queued")

	// The README's sweep passes: 5,000 people × 10 rounds × 2 runs.
	w := e.postAs(roleKeys[graph.RoleAnalyst], "/v1/simulations",
		`{"base":{"policy":"tencent","rounds":10,"people":5000},"axes":[{"field":"alpha","values":["0","0.5"]}]}`)
	require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
	e.do(request{method: http.MethodDelete, path: w.Header().Get("Location"),
		header: map[string]string{"Authorization": "Bearer " + roleKeys[graph.RoleAnalyst]}})
}

// TestSimulationCostOfTheStoredNetwork: people 0 counts the stored
// network's consenting people (5 in the fixture).
func TestSimulationCostOfTheStoredNetwork(t *testing.T) {
	e := newTestServer(t, openTestStore(t), func(c *Config) {
		c.HeavyBudgets = admission.Budgets{admission.AnyRole: {admission.Simulation: 99}}
	})
	e.seed()
	w := e.postAs(roleKeys[graph.RoleAnalyst], "/v1/simulations", `{"base":{"rounds":20},"replicates":1}`)
	assertProblem(t, w, http.StatusBadRequest, "too-costly", "base/people", "100 person-rounds (5 people × 20 rounds × 1 runs)")
	w = e.postAs(roleKeys[graph.RoleAnalyst], "/v1/simulations", `{"base":{"rounds":19},"replicates":1}`)
	require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
	e.waitSimulation(w.Header().Get("Location"))
}

// TestShockOverBudgetIsRefused: a shock's estimate is the people connected
// to the shocked one × (steps + 1). The number of people connected is
// checked against the reach the experiment itself reports (its own
// breadth-first search, scoring/contagion).
func TestShockOverBudgetIsRefused(t *testing.T) {
	e := newTestServer(t, openTestStore(t), func(c *Config) {
		c.HeavyBudgets = admission.DefaultBudgets()
		require.NoError(t, c.HeavyBudgets.Set("researcher:shock=20"))
	})
	e.seed()
	e.score("tencent")
	body := `{"changes":[{"id":3,"events":["default"]}],"max_steps":5}`
	w := e.do(request{method: http.MethodPost, path: "/v1/experiments/shock", body: body})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var res ShockResponse
	decode(t, w, &res)
	connected := 0
	for _, h := range res.Total.Reach {
		connected += h.People
	}
	require.Equal(t, 4, connected, "1, 2, 3 and 4 are connected by friendships")

	before := e.state(fixtureIDs...)
	w = e.postAs(roleKeys[graph.RoleResearcher], "/v1/experiments/shock", body)
	assertProblem(t, w, http.StatusBadRequest, "too-costly", "max_steps",
		fmt.Sprintf("%d person-steps (%d people reachable × 6 steps), over the researcher role's limit of 20", connected*6, connected))
	assert.Equal(t, before, e.state(fixtureIDs...))

	// Fewer steps fit: 4 × 4 = 16.
	w = e.postAs(roleKeys[graph.RoleResearcher], "/v1/experiments/shock", `{"changes":[{"id":3,"events":["default"]}],"max_steps":3}`)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
}

// TestNetworkAndExportBudgets: a network view costs limit × depth; an
// export the people and friendships it writes.
func TestNetworkAndExportBudgets(t *testing.T) {
	e := newTestServer(t, openTestStore(t), func(c *Config) {
		c.HeavyBudgets = admission.Budgets{admission.AnyRole: {admission.Network: 100, admission.Export: 8, admission.Centrality: 1000}}
	})
	e.seed()
	e.score("sesame")
	assertProblem(t, e.get("/v1/people/1/network?depth=2&limit=51"), http.StatusBadRequest, "too-costly", "limit",
		"102 person-hops (limit 51 × depth 2)")
	require.Equal(t, http.StatusOK, e.get("/v1/people/1/network?depth=2&limit=50").Code)
	// The whole network: 5 people and their 4 friendships.
	assertProblem(t, e.get("/v1/exports"), http.StatusBadRequest, "too-costly", "sample", "9 people and friendships")
	require.Equal(t, http.StatusOK, e.get("/v1/exports?sample=3").Code)

	e2 := newTestServer(t, openTestStore(t), func(c *Config) {
		c.HeavyBudgets = admission.Budgets{admission.AnyRole: {admission.Centrality: 3}}
	})
	e2.seed()
	e2.score("sesame")
	// 1's network at 1 hop: 1, friends 2 and 3, recruit 5; friendships
	// 1-2, 1-3, 2-3 (a recruitment is no friendship).
	assertProblem(t, e2.get("/v1/people/1/network?depth=1"), http.StatusBadRequest, "too-costly", "limit",
		"12 people × friendships (4 people × 3 friendships)")
}

// TestHeavyPerKeyConcurrency: a key holding its one slot waits for
// another; beyond its waiting room it gets 429 with Retry-After; another
// key is not held up.
func TestHeavyPerKeyConcurrency(t *testing.T) {
	e := newTestServer(t, openTestStore(t), func(c *Config) {
		c.Heavy = admission.Config{Slots: 2, PerKey: 1, PerKeyWaiting: 1}
	})
	e.seed()
	e.score("tencent")
	shock := `{"changes":[{"id":3,"events":["default"]}]}`
	researcher := roleKeys[graph.RoleResearcher]

	// The researcher's key holds its slot (as a long shock would).
	hold, err := e.srv.heavy.Acquire(context.Background(), "researcher")
	require.NoError(t, err)
	waited := make(chan int, 1)
	go func() { waited <- e.postAs(researcher, "/v1/experiments/shock", shock).Code }()
	require.Eventually(t, func() bool { return e.srv.heavy.Stats().Waiting == 1 }, 10*time.Second, time.Millisecond)

	w := e.postAs(researcher, "/v1/experiments/shock", shock)
	assertProblem(t, w, http.StatusTooManyRequests, "heavy-busy", "-", "")
	assert.Equal(t, "2", w.Header().Get("Retry-After"))
	assert.Contains(t, w.Body.String(), "at most 1")
	w = e.do(request{method: http.MethodGet, path: "/v1/people/1/network", header: map[string]string{"Authorization": "Bearer " + researcher}})
	assert.Equal(t, http.StatusTooManyRequests, w.Code, "a network view counts against the same key")

	// Another key runs at once on the free slot.
	w = e.do(request{method: http.MethodPost, path: "/v1/experiments/shock", body: shock})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())

	hold()
	assert.Equal(t, http.StatusOK, <-waited, "the waiting request ran once the slot was free")
	assert.Equal(t, admission.Stats{Slots: 2}, e.srv.heavy.Stats())
}

// TestHeavyPoolNeverRunsMoreThanItsShare fires shocks, network views and
// exports from several keys at once and counts the slots held with the
// pool's hook: never more than the pool has, which by default is half of
// GOMAXPROCS (at least one).
func TestHeavyPoolNeverRunsMoreThanItsShare(t *testing.T) {
	var held, peak, taken atomic.Int64
	hook := func(n int) {
		held.Store(int64(n))
		if int64(n) > peak.Load() {
			peak.Store(int64(n))
		}
		taken.Add(1)
	}
	e := newTestServer(t, openTestStore(t), func(c *Config) {
		c.Heavy = admission.Config{Hook: hook}
		c.SnapshotRefresh = time.Nanosecond
	})
	e.seed()
	e.score("tencent")
	slots := e.srv.heavy.Slots()
	assert.Equal(t, max(1, runtime.GOMAXPROCS(0)/2), slots, "half of GOMAXPROCS by default")

	keys := []string{lenderKey, hotelKey, roleKeys[graph.RoleResearcher]}
	var wg sync.WaitGroup
	for g := range 9 {
		wg.Go(func() {
			key := keys[g%len(keys)]
			for i := range 6 {
				var w *httptest.ResponseRecorder
				switch (g + i) % 3 {
				case 0:
					w = e.postAs(key, "/v1/experiments/shock", `{"changes":[{"id":2,"events":["default"]}]}`)
				case 1:
					w = e.do(request{method: http.MethodGet, path: "/v1/people/1/network?depth=2", header: map[string]string{"Authorization": "Bearer " + key}})
				default:
					w = e.do(request{method: http.MethodGet, path: "/v1/exports?sample=4", header: map[string]string{"Authorization": "Bearer " + key}})
				}
				assert.Equal(t, http.StatusOK, w.Code, w.Body.String())
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int64(9*6*2), taken.Load(), "every request took and gave back one slot")
	assert.LessOrEqual(t, peak.Load(), int64(slots), "never more than the pool's slots at once")
	assert.Positive(t, peak.Load())
	assert.Equal(t, int64(0), held.Load())
}

// TestHeavyWorkRefusedNearTheMemoryLimit: with the live heap at the
// limit's fraction, shocks and simulations answer 503 with Retry-After and
// change nothing.
func TestHeavyWorkRefusedNearTheMemoryLimit(t *testing.T) {
	var heap atomic.Uint64
	e := newTestServer(t, openTestStore(t), func(c *Config) {
		c.Heavy = admission.Config{MemoryLimit: 1 << 30, HeapBytes: heap.Load}
	})
	e.seed()
	e.score("tencent")
	heap.Store(900 << 20) // above 80% of 1 GiB
	w := e.do(request{method: http.MethodPost, path: "/v1/experiments/shock", body: `{"changes":[{"id":3,"events":["default"]}]}`})
	p := assertProblem(t, w, http.StatusServiceUnavailable, "overloaded", "-", "")
	assert.Contains(t, p.Detail, "900 MiB of 1024 MiB")
	assert.Equal(t, "2", w.Header().Get("Retry-After"))
	w = e.postAs(roleKeys[graph.RoleAnalyst], "/v1/simulations", `{"base":{"rounds":2}}`)
	assertProblem(t, w, http.StatusServiceUnavailable, "overloaded", "-", "")
	assert.Empty(t, e.srv.jobs.List(kindSimulation, 0))
	w = e.do(request{method: http.MethodPost, path: "/v1/scoring-runs", body: `{}`})
	assertProblem(t, w, http.StatusServiceUnavailable, "overloaded", "-", "")
	// Reads are not heavy work.
	require.Equal(t, http.StatusOK, e.get("/v1/people/1/score").Code)

	heap.Store(100 << 20)
	w = e.do(request{method: http.MethodPost, path: "/v1/experiments/shock", body: `{"changes":[{"id":3,"events":["default"]}]}`})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
}

// TestSimulationQueueSharePerKey: one key cannot take every place of the
// simulation queue.
func TestSimulationQueueSharePerKey(t *testing.T) {
	gs := newGatedStore(openTestStore(t))
	e := newTestServer(t, gs, func(c *Config) {
		c.SimulationQueue = 3
		c.SimulationQueuePerKey = 2
	})
	e.seed()
	analyst := roleKeys[graph.RoleAnalyst]
	a := e.postAs(analyst, "/v1/simulations", `{"base":{"rounds":2}}`)
	require.Equal(t, http.StatusAccepted, a.Code, a.Body.String())
	e.waitState(a.Header().Get("Location"), string(jobs.Running))
	for range 2 {
		w := e.postAs(analyst, "/v1/simulations", `{"base":{"rounds":2}}`)
		require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
	}
	w := e.postAs(analyst, "/v1/simulations", `{"base":{"rounds":2}}`)
	assertProblem(t, w, http.StatusTooManyRequests, "queue-full", "-", "")
	assert.Contains(t, w.Body.String(), "this key already has 2 simulations waiting")
	assert.Equal(t, retryAfterQueueFull, w.Header().Get("Retry-After"))
	w = e.postAs(analyst2Key, "/v1/simulations", `{"base":{"rounds":2}}`)
	require.Equal(t, http.StatusAccepted, w.Code, "another key still gets the last place: %s", w.Body.String())
	gs.open()
}

// shockPages asks for every page of a shock and returns them.
func shockPages[T any](t *testing.T, e *testEnv, key, body string, size int) []T {
	t.Helper()
	var pages []T
	cursor := ""
	for range 1000 {
		b := body[:len(body)-1] + `,"page_size":` + strconv.Itoa(size)
		if cursor != "" {
			b += `,"cursor":"` + cursor + `"`
		}
		w := e.postAs(key, "/v1/experiments/shock", b+"}")
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		var p T
		decode(t, w, &p)
		var pg struct {
			Page ShockPage `json:"page"`
		}
		decode(t, w, &pg)
		pages = append(pages, p)
		if pg.Page.NextCursor == "" {
			return pages
		}
		cursor = pg.Page.NextCursor
	}
	t.Fatal("too many pages")
	return nil
}

// TestShockPagesReassemble: the pages of a shock, concatenated list by
// list, are the lists of the unpaged experiment (contagion.Shock called
// directly on the store's snapshot, scoring its own baseline), and every
// page carries the same summary.
func TestShockPagesReassemble(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	e.score("tencent")
	body := `{"changes":[{"id":3,"events":[{"type":"default","amount":5000,"at":"2024-06-01T00:00:00Z"}]},` +
		`{"id":5,"events":[{"type":"default","amount":900,"at":"2024-06-01T00:00:00Z"}]}],"max_steps":8}`

	snap, err := e.store.Snapshot(context.Background())
	require.NoError(t, err)
	pol, _ := scoring.Preset("tencent")
	at := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	want, err := contagion.Shock(context.Background(), snap, pol, contagion.ShockRequest{
		Changes: []contagion.Change{
			{ID: 3, Events: []graph.Event{{Type: graph.EventDefault, Amount: 5000, At: at}}},
			{ID: 5, Events: []graph.Event{{Type: graph.EventDefault, Amount: 900, At: at}}},
		},
		MaxSteps: 8, ListLimit: DefaultShockListLimit})
	require.NoError(t, err)
	require.Greater(t, want.Rows, 5, "enough rows to page")

	for _, size := range []int{1, 2, 5, want.Rows, DefaultShockPageSize} {
		pages := shockPages[ShockResponse](t, e, lenderKey, body, size)
		assert.Len(t, pages, (want.Rows+size-1)/size, "page size %d", size)
		got := make([][]contagion.Delta, len(want.Steps)+1)
		offset := 0
		for i, p := range pages {
			assert.Equal(t, offset, p.Page.Offset)
			assert.Equal(t, want.Rows, p.Page.RowsTotal)
			assert.Equal(t, i < len(pages)-1, p.Page.NextCursor != "")
			offset += p.Page.Rows
			require.Len(t, p.Steps, len(want.Steps))
			for k, st := range p.Steps {
				got[k] = append(got[k], st.Deltas...)
				assert.Equal(t, want.Steps[k].Moved, st.Moved)
				assert.Equal(t, want.Steps[k].MovedByHop, st.MovedByHop)
				assert.InDelta(t, want.Steps[k].PointsLost, st.PointsLost, 1e-9)
			}
			got[len(want.Steps)] = append(got[len(want.Steps)], p.Total.Deltas...)
			assert.Equal(t, want.Total.Reach, p.Total.Reach)
			assert.Equal(t, want.Changes, p.Changes)
			assert.Equal(t, want.Iterations, p.Iterations)
		}
		assert.Equal(t, want.Rows, offset)
		for k := range want.Steps {
			assert.Equal(t, len(want.Steps[k].Deltas), len(got[k]), "size %d step %d", size, k)
			for j := range want.Steps[k].Deltas {
				assert.Equal(t, want.Steps[k].Deltas[j].ID, got[k][j].ID)
				assert.Equal(t, want.Steps[k].Deltas[j].After, got[k][j].After)
				assert.InDelta(t, want.Steps[k].Deltas[j].Delta, got[k][j].Delta, 1e-9)
			}
		}
		assert.Len(t, got[len(want.Steps)], len(want.Total.Deltas))
		for j, d := range want.Total.Deltas {
			assert.Equal(t, d.ID, got[len(want.Steps)][j].ID)
			assert.InDelta(t, d.Delta, got[len(want.Steps)][j].Delta, 1e-9)
		}
	}

	// A researcher's pages share one set of pseudonyms.
	rpages := shockPages[researcherShockResponse](t, e, roleKeys[graph.RoleResearcher], body, 2)
	require.Greater(t, len(rpages), 1)
	for _, p := range rpages[1:] {
		assert.Equal(t, rpages[0].Changes, p.Changes, "the shocked people's pseudonyms are the same on every page")
	}

	// A cursor of another request is refused.
	first := shockPages[ShockResponse](t, e, lenderKey, body, want.Rows)
	require.Len(t, first, 1)
	w := e.do(request{method: http.MethodPost, path: "/v1/experiments/shock", body: body})
	var p1 ShockResponse
	decode(t, w, &p1)
	assert.Empty(t, p1.Page.NextCursor, "the default page holds this small result")
	w = e.do(request{method: http.MethodPost, path: "/v1/experiments/shock", body: body[:len(body)-1] + `,"page_size":1}`})
	var p2 ShockResponse
	decode(t, w, &p2)
	require.NotEmpty(t, p2.Page.NextCursor)
	other := `{"changes":[{"id":2,"events":["default"]}],"cursor":"` + p2.Page.NextCursor + `"}`
	assertProblem(t, e.do(request{method: http.MethodPost, path: "/v1/experiments/shock", body: other}),
		http.StatusBadRequest, "invalid-input", "cursor", "belongs to another request")
	assertProblem(t, e.do(request{method: http.MethodPost, path: "/v1/experiments/shock", body: `{"changes":[{"id":2,"events":["default"]}],"cursor":"!!"}`}),
		http.StatusBadRequest, "invalid-input", "cursor", "is not a cursor")
	assertProblem(t, e.do(request{method: http.MethodPost, path: "/v1/experiments/shock", body: `{"changes":[{"id":2,"events":["default"]}],"page_size":0}`}),
		http.StatusBadRequest, "invalid-input", "page_size", "must be from 1")
}
