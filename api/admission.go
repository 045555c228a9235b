package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/admission"
	"github.com/socialscore/socialscore/scoring/contagion"
)

// Heavy work (issue 13; docs/architecture.md, Heavy work): shocks,
// simulations, exports, network views with their centralities and scoring
// runs estimate their cost before they start and are refused above the
// role's budget (400, type too-costly, naming the field, the limit and the
// estimate); they then run holding a slot of one pool (internal/admission)
// that has at most a share of GOMAXPROCS. Synchronous requests wait for a
// slot with their own context, at most DefaultPerKeyWaiting of one key at
// a time (beyond: 429, type heavy-busy, with Retry-After); background
// jobs wait in internal/jobs' queue, of which one key may hold
// SimulationQueuePerKey places. Near the memory limit heavy work is
// refused (503, type overloaded, with Retry-After).

// Problem types of heavy work.
const (
	typeTooCostly = problemBase + "too-costly" // 400: the estimated cost is over the role's budget
	typeHeavyBusy = problemBase + "heavy-busy" // 429: this key runs and waits for as much heavy work as it may
)

// DefaultSimulationQueuePerKey is Config.SimulationQueuePerKey when 0.
const DefaultSimulationQueuePerKey = 2

// heavyKey names the key a request's heavy work is counted against.
func heavyKey(ctx context.Context) (key, role string) {
	if ri := infoFrom(ctx); ri != nil {
		return ri.app, string(ri.role)
	}
	return AnonymousApp, string(graph.RoleOperator)
}

// checkCost refuses an operation whose estimated cost is over the
// budget of the request's role.
func (s *Server) checkCost(ctx context.Context, op admission.Op, field string, estimate int64, detail string) error {
	_, role := heavyKey(ctx)
	return heavyError(s.budgets.Check(role, op, field, estimate, detail))
}

// heavySlot waits, with the request's context, for a slot of the heavy
// pool and returns the function that gives it back.
func (s *Server) heavySlot(ctx context.Context) (func(), error) {
	key, _ := heavyKey(ctx)
	release, err := s.heavy.Acquire(ctx, key)
	if err != nil {
		return nil, heavyError(err)
	}
	return release, nil
}

// checkMemory refuses heavy work near the memory limit (for background
// jobs, before they are queued).
func (s *Server) checkMemory() error { return heavyError(s.heavy.CheckMemory()) }

// heavyError turns admission's refusals into problems; other errors pass.
func heavyError(err error) error {
	var (
		ce *admission.CostError
		be *admission.BusyError
		me *admission.MemoryError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce):
		return &apiError{status: http.StatusBadRequest, typ: typeTooCostly, title: "Too costly",
			detail: fieldDetail(ce.Field, ce.Reason()), errs: []FieldError{{Field: ce.Field, Reason: ce.Reason()}}, cause: err}
	case errors.As(err, &be):
		return &apiError{status: http.StatusTooManyRequests, typ: typeHeavyBusy, title: "Too many heavy requests",
			detail: be.Reason + "; retry later", header: map[string]string{"Retry-After": seconds(be.RetryAfter.Seconds())}, cause: err}
	case errors.As(err, &me):
		return &apiError{status: http.StatusServiceUnavailable, typ: typeOverloaded, title: "Overloaded",
			detail: fmt.Sprintf("the server is near its memory limit (live heap %d MiB of %d MiB) and refuses heavy work for now; retry later",
				me.Heap>>20, me.Limit>>20),
			header: map[string]string{"Retry-After": seconds(me.RetryAfter.Seconds())}, cause: err}
	}
	return err
}

// seconds writes a Retry-After value: whole seconds, at least 1.
func seconds(f float64) string { return strconv.Itoa(max(1, int(f+0.999))) }

// components labels everyone with their connected component (friendships)
// and gives the components' sizes: one breadth-first search of the
// snapshot, memoised per snapshot, so a shock's estimate costs as many
// look-ups as it has changes.
type components struct {
	label []int32
	size  []int
}

func componentsOf(snap *graph.Snapshot) *components {
	n := snap.Len()
	c := &components{label: make([]int32, n)}
	for i := range c.label {
		c.label[i] = -1
	}
	var queue []int32
	for v := range int32(n) {
		if c.label[v] >= 0 {
			continue
		}
		k := int32(len(c.size))
		c.label[v] = k
		queue = append(queue[:0], v)
		for h := 0; h < len(queue); h++ {
			for _, u := range snap.Friends(queue[h]) {
				if c.label[u] < 0 {
					c.label[u] = k
					queue = append(queue, u)
				}
			}
		}
		c.size = append(c.size, len(queue))
	}
	return c
}

// reachable counts the people connected to the given ones by friendships
// (themselves included): the people a shock from them can move.
func (c *components) reachable(snap *graph.Snapshot, ids []graph.ID) int {
	seen := map[int32]bool{}
	r := 0
	for _, id := range ids {
		if v, ok := snap.Index(id); ok && !seen[c.label[v]] {
			seen[c.label[v]] = true
			r += c.size[c.label[v]]
		}
	}
	return r
}

// shockCost is the estimate of a shock: the people it can move × the
// steps reported and the total.
func (s *Server) shockCost(ctx context.Context, e *snapEntry, req contagion.ShockRequest) (int64, string, error) {
	v, err := s.snaps.memo(ctx, e, "components", func(context.Context) (any, error) { return componentsOf(e.snap), nil })
	if err != nil {
		return 0, "", err
	}
	ids := make([]graph.ID, len(req.Changes))
	for i, ch := range req.Changes {
		ids[i] = ch.ID
	}
	steps := req.MaxSteps
	if steps == 0 {
		steps = contagion.DefaultMaxSteps
	}
	r := v.(*components).reachable(e.snap, ids)
	return admission.Mul(int64(r), int64(steps+1)), fmt.Sprintf("%d people reachable × %d steps", r, steps+1), nil
}

// exportCost is the estimate of an export: the people written and the
// friendships among them, at the network's mean degree.
func exportCost(snap *graph.Snapshot, kind string, size, limit int) (int64, string, string) {
	n, m := int64(snap.Len()), int64(snap.Friendships())
	people, field := n, "sample"
	switch kind {
	case "ego":
		people, field = min(int64(limit), n), "limit"
	case "sample":
		people = min(int64(size), n)
	}
	ties := m
	if n > 0 && people < n {
		ties = people * m / n
	}
	return admission.Add(people, ties), field, fmt.Sprintf("%d people and about %d friendships", people, ties)
}

// admitExport checks the cost of an export and takes a heavy slot for
// building it (given back before the body is written, so that a slow
// reader does not hold it).
func (s *Server) admitExport(ctx context.Context, e *snapEntry, kind string, size, limit int) (func(), error) {
	cost, field, detail := exportCost(e.snap, kind, size, limit)
	if err := s.checkCost(ctx, admission.Export, field, cost, detail); err != nil {
		return nil, err
	}
	return s.heavySlot(ctx)
}

// centralityCost is the estimate of an ego network's centralities: people
// × friendships among them.
func centralityCost(eg *contagion.EgoNetwork) (int64, string) {
	f := 0
	for _, t := range eg.Ties {
		if t.Kind == contagion.KindFriend {
			f++
		}
	}
	return admission.Mul(int64(len(eg.People)), int64(max(f, 1))), fmt.Sprintf("%d people × %d friendships", len(eg.People), f)
}

// storedPeople is the number of consenting people for cost estimates: the
// cached snapshot's if one was read (however old), else the last run's,
// else the store's count (which does not read the network). An
// unreachable store counts 0: the work then fails on its own, as before
// there were estimates.
func (s *Server) storedPeople(ctx context.Context) int {
	if e := s.snaps.peek(); e != nil {
		return e.snap.Len()
	}
	if v := s.runner.View(); v != nil {
		return v.Run.People
	}
	c, err := s.store.Counts(ctx)
	if err != nil {
		return 0
	}
	return c.Consenting
}
