package contagion

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	gonum "gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/simple"
	"gonum.org/v1/gonum/graph/traverse"
	"gonum.org/v1/gonum/mat"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// reference is an independent computation of a shock on a small graph:
// dense linear algebra (gonum/mat) for the fixed points and the steps, and
// gonum's breadth-first search for hop distances. It shares with the code
// under test only the domain formulas (pillars, Record.Apply) and the
// baseline's PageRank percentiles.
type reference struct {
	hop        []int       // -1: not connected to a source
	rawBefore  []float64   // clamped unrounded score, baseline
	rawSteps   [][]float64 // step k = 0..K
	rawFinal   []float64
	sBefore    []float64 // fixed point with b
	sAfter     []float64 // fixed point with b′
	newRecords []graph.Record
}

func referenceShock(t *testing.T, s *graph.Snapshot, pol scoring.Policy, base []graph.Result, changes []Change, steps int) reference {
	t.Helper()
	n := s.Len()
	var ref reference

	// Records after the changes, and b, b′ from the pillar formulas.
	ref.newRecords = slices.Clone(s.Records)
	changed := map[int]bool{}
	for _, ch := range changes {
		k, ok := s.Index(ch.ID)
		require.True(t, ok)
		changed[int(k)] = true
		if ch.Record != nil {
			ref.newRecords[k] = *ch.Record
		}
		require.NoError(t, ref.newRecords[k].Apply(ch.Events, testNow))
	}
	mod := *s
	mod.Records = ref.newRecords
	b := make([]float64, n)
	b2 := make([]float64, n)
	for i := range n {
		b[i] = pol.Weights.Combine(scoring.ComputePillars(s, int32(i)))
		b2[i] = pol.Weights.Combine(scoring.ComputePillars(&mod, int32(i)))
	}

	// Dense row-stochastic W; a person without friends has W_uu = 1.
	w := mat.NewDense(n, n, nil)
	isolated := make([]bool, n)
	for u := range n {
		var sum float64
		for k := s.Offsets[u]; k < s.Offsets[u+1]; k++ {
			sum += s.Weight(k)
		}
		if sum == 0 {
			isolated[u] = true
			w.Set(u, u, 1)
			continue
		}
		for k := s.Offsets[u]; k < s.Offsets[u+1]; k++ {
			w.Set(u, int(s.Targets[k]), w.At(u, int(s.Targets[k]))+s.Weight(k)/sum)
		}
	}
	a := mat.NewDense(n, n, nil)
	a.Scale(-pol.Alpha, w)
	for i := range n {
		a.Set(i, i, a.At(i, i)+1)
	}
	solve := func(bv []float64) []float64 {
		rhs := mat.NewVecDense(n, nil)
		for i := range n {
			rhs.SetVec(i, (1-pol.Alpha)*bv[i])
		}
		var x mat.VecDense
		require.NoError(t, x.SolveVec(a, rhs))
		return slices.Clone(x.RawVector().Data)
	}
	ref.sBefore, ref.sAfter = solve(b), solve(b2)

	// Penalties, counted directly.
	pen := func(recs []graph.Record) []float64 {
		out := make([]float64, n)
		for u := range n {
			k := 0.0
			for _, v := range s.Friends(int32(u)) {
				if recs[v].Defaults > 0 {
					k++
				}
			}
			out[u] = math.Min(pol.FriendDefaultCap, pol.FriendDefaultPenalty*k)
		}
		return out
	}
	penB, penA := pen(s.Records), pen(ref.newRecords)
	raw := func(sv, penalty []float64) []float64 {
		out := make([]float64, n)
		for u := range n {
			x := 350 + 600*((1-pol.Centrality)*sv[u]+pol.Centrality*base[u].Percentile/100) - penalty[u]
			out[u] = math.Max(350, math.Min(950, x))
		}
		return out
	}
	ref.rawBefore = raw(ref.sBefore, penB)
	ref.rawFinal = raw(ref.sAfter, penA)

	// Steps: s⁽⁰⁾ = s, s⁽ᵏ⁺¹⁾ = (1−α)b′ + αWs⁽ᵏ⁾, people without friends at b′.
	cur := mat.NewVecDense(n, slices.Clone(ref.sBefore))
	ref.rawSteps = append(ref.rawSteps, raw(cur.RawVector().Data, penA))
	for range steps {
		var ws mat.VecDense
		ws.MulVec(w, cur)
		next := make([]float64, n)
		for u := range n {
			if isolated[u] {
				next[u] = b2[u]
			} else {
				next[u] = (1-pol.Alpha)*b2[u] + pol.Alpha*ws.AtVec(u)
			}
		}
		cur = mat.NewVecDense(n, next)
		ref.rawSteps = append(ref.rawSteps, raw(next, penA))
	}

	// Hops: BFS on a gonum graph from every source, keeping the minimum.
	g := simple.NewUndirectedGraph()
	for u := range n {
		g.AddNode(simple.Node(u))
	}
	for u := range n {
		for _, v := range s.Friends(int32(u)) {
			if int(v) > u {
				g.SetEdge(simple.Edge{F: simple.Node(u), T: simple.Node(v)})
			}
		}
	}
	ref.hop = make([]int, n)
	for i := range ref.hop {
		ref.hop[i] = -1
	}
	for src := range n {
		if !changed[src] && b2[src] == b[src] {
			continue
		}
		var bf traverse.BreadthFirst
		bf.Walk(g, simple.Node(src), func(nd gonum.Node, d int) bool {
			if h := ref.hop[nd.ID()]; h < 0 || d < h {
				ref.hop[nd.ID()] = d
			}
			return false
		})
	}
	return ref
}

// checkAgainst compares one list of deltas, and its counts, with the
// reference raw scores.
func checkAgainst(t *testing.T, s *graph.Snapshot, base []graph.Result, ref reference, raw []float64, deltas []Delta, moved int, byHop []int, lost, gained float64, what string) {
	t.Helper()
	want := map[graph.ID]Delta{}
	wantByHop := map[int]int{}
	var wantLost, wantGained float64
	for u := range s.Len() {
		d := raw[u] - ref.rawBefore[u]
		if d < 0 {
			wantLost -= d
		} else {
			wantGained += d
		}
		if math.Abs(d) >= MinMove {
			require.GreaterOrEqual(t, ref.hop[u], 0, "%s: %d moved but is not connected to a source", what, s.IDs[u])
			want[s.IDs[u]] = Delta{ID: s.IDs[u], Hop: ref.hop[u], Before: base[u].Score, Delta: d}
			wantByHop[ref.hop[u]]++
		} else if ref.hop[u] < 0 {
			assert.InDelta(t, 0, d, 1e-6, "%s: unconnected %d", what, s.IDs[u])
		}
	}
	assert.Equal(t, len(want), moved, "%s: moved", what)
	require.Len(t, deltas, len(want), "%s: deltas", what)
	for _, d := range deltas {
		w, ok := want[d.ID]
		require.True(t, ok, "%s: %d listed but did not move", what, d.ID)
		assert.Equal(t, w.Hop, d.Hop, "%s: hop of %d", what, d.ID)
		assert.Equal(t, w.Before, d.Before)
		assert.InDelta(t, w.Delta, d.Delta, 1e-6, "%s: delta of %d", what, d.ID)
		assert.InDelta(t, float64(d.Before)+d.Delta, float64(d.After), 1.5, "%s: after of %d", what, d.ID)
	}
	for h, c := range byHop {
		assert.Equal(t, wantByHop[h], c, "%s: moved at hop %d", what, h)
	}
	assert.InDelta(t, wantLost, lost, 1e-6*float64(s.Len())+1e-6, "%s: points lost", what)
	assert.InDelta(t, wantGained, gained, 1e-6*float64(s.Len())+1e-6, "%s: points gained", what)
	// Sorted: largest move first.
	assert.True(t, slices.IsSortedFunc(deltas, func(a, b Delta) int {
		if math.Abs(a.Delta) != math.Abs(b.Delta) {
			if math.Abs(a.Delta) > math.Abs(b.Delta) {
				return -1
			}
			return 1
		}
		return int(a.ID - b.ID)
	}), "%s: sorted", what)
}

// TestShockAgainstReference checks every step and the total of shocks on
// random small graphs (weighted or not, with isolated people, several
// components and recruitments) under every preset against the independent
// dense computation, and the total against a full scoring run on the
// changed records.
func TestShockAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 7))
	for trial := range 12 {
		for _, pol := range scoring.Presets() {
			n := 20 + rng.IntN(60)
			s := randomSnapshot(t, rng, n, n*(1+rng.IntN(4)), trial%2 == 1)
			// 1–3 people change: a default, a late bill, or a record that
			// makes them inactive (which their recruiter's pillar feels).
			var changes []Change
			used := map[int]bool{}
			for range 1 + rng.IntN(3) {
				i := rng.IntN(n)
				if used[i] {
					continue
				}
				used[i] = true
				ch := Change{ID: s.IDs[i]}
				switch rng.IntN(4) {
				case 0:
					ev, err := ParseEvent("default:2500", testNow)
					require.NoError(t, err)
					ch.Events = []graph.Event{ev}
				case 1:
					ev, err := ParseEvent("missed_bill:90", testNow)
					require.NoError(t, err)
					ev2, err := ParseEvent("late_credit", testNow)
					require.NoError(t, err)
					ch.Events = []graph.Event{ev, ev2}
				case 2:
					ch.Record = &graph.Record{} // inactive, no history
				case 3:
					ev, err := ParseEvent("purchase:40000", testNow)
					require.NoError(t, err)
					ch.Record = &graph.Record{Defaults: 2, DefaultAmount: 10}
					ch.Events = []graph.Event{ev}
				}
				changes = append(changes, ch)
			}
			ctx := context.Background()
			base, _, err := scoring.ScoreSnapshot(ctx, s, pol, scoring.Options{})
			require.NoError(t, err)
			before := slices.Clone(s.Records)

			const steps = 6
			res, err := Shock(ctx, s, pol, ShockRequest{Changes: changes, MaxSteps: steps, Now: testNow})
			require.NoError(t, err)
			assert.Equal(t, before, s.Records, "the snapshot's records are not changed")
			require.True(t, res.Converged)

			ref := referenceShock(t, s, pol, base, changes, steps)
			// Fixed points: the baseline run agrees with the dense solve.
			for u := range n {
				require.InDelta(t, ref.sBefore[u], base[u].Network, 1e-8)
			}
			name := pol.Name
			require.LessOrEqual(t, len(res.Steps), steps+1)
			for k, st := range res.Steps {
				assert.Equal(t, k, st.Step)
				checkAgainst(t, s, base, ref, ref.rawSteps[k], st.Deltas, st.Moved, st.MovedByHop, st.PointsLost, st.PointsGained, name+" step "+strconv.Itoa(st.Step))
			}
			tot := res.Total
			byHop := make([]int, len(tot.Reach))
			people := map[int]int{}
			for u := range n {
				if ref.hop[u] >= 0 {
					people[ref.hop[u]]++
				}
			}
			for h, r := range tot.Reach {
				assert.Equal(t, h, r.Hop)
				assert.Equal(t, people[h], r.People, "%s: people at hop %d", name, h)
				byHop[h] = r.Moved
			}
			assert.Len(t, tot.Reach, len(people))
			checkAgainst(t, s, base, ref, ref.rawFinal, tot.Deltas, tot.Moved, byHop, tot.PointsLost, tot.PointsGained, name+" total")
			assert.InDelta(t, tot.PointsGained-tot.PointsLost, tot.NetPoints, 1e-9)
			wantMax := -1
			for _, d := range tot.Deltas {
				wantMax = max(wantMax, d.Hop)
			}
			assert.Equal(t, wantMax, tot.MaxHop)

			// The total is what a full scoring run on the changed records gives.
			mod := *s
			mod.Records = ref.newRecords
			after, _, err := scoring.ScoreSnapshot(ctx, &mod, pol, scoring.Options{})
			require.NoError(t, err)
			moved := map[graph.ID]Delta{}
			for _, d := range tot.Deltas {
				moved[d.ID] = d
			}
			for u := range n {
				if d, ok := moved[s.IDs[u]]; ok {
					assert.InDelta(t, after[u].Score, d.After, 1, "%s: %d after", name, s.IDs[u])
				} else {
					assert.InDelta(t, base[u].Score, after[u].Score, 2, "%s: %d did not move ≥1", name, s.IDs[u])
				}
			}
			for i, c := range res.Changes {
				k, _ := s.Index(c.ID)
				assert.Equal(t, changes[i].ID, c.ID)
				assert.Equal(t, base[k].Individual, c.IndividualBefore)
				assert.Equal(t, after[k].Individual, c.IndividualAfter)
				assert.InDelta(t, after[k].Score, c.ScoreAfter, 1)
			}
		}
	}
}

func TestShockBaselineGiven(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	s := randomSnapshot(t, rng, 50, 150, false)
	pol, _ := scoring.Preset(scoring.PolicyTencent)
	ctx := context.Background()
	base, _, err := scoring.ScoreSnapshot(ctx, s, pol, scoring.Options{})
	require.NoError(t, err)
	ev, _ := ParseEvent("default", testNow)
	req := ShockRequest{Changes: []Change{{ID: s.IDs[3], Events: []graph.Event{ev}}}, Now: testNow}
	a, err := Shock(ctx, s, pol, req)
	require.NoError(t, err)
	req.Baseline = base
	b, err := Shock(ctx, s, pol, req)
	require.NoError(t, err)
	a.ElapsedMS, b.ElapsedMS = 0, 0
	assert.Equal(t, a, b)

	req.Baseline = base[1:]
	_, err = Shock(ctx, s, pol, req)
	assert.ErrorIs(t, err, graph.ErrInvalid)
}

func TestShockListLimit(t *testing.T) {
	s := karateSnapshot(t)
	pol, _ := scoring.Preset(scoring.PolicyTencent)
	ev, _ := ParseEvent("default:5000", testNow)
	req := ShockRequest{Changes: []Change{{ID: 1, Events: []graph.Event{ev}}}, Now: testNow}
	full, err := Shock(context.Background(), s, pol, req)
	require.NoError(t, err)
	require.Greater(t, full.Total.Moved, 3)
	req.ListLimit = 3
	cut, err := Shock(context.Background(), s, pol, req)
	require.NoError(t, err)
	assert.Equal(t, full.Total.Moved, cut.Total.Moved)
	assert.True(t, cut.Total.Truncated)
	assert.Equal(t, full.Total.Deltas[:3], cut.Total.Deltas)
	assert.False(t, full.Total.Truncated)
}

func TestShockErrors(t *testing.T) {
	s := karateSnapshot(t)
	pol, _ := scoring.Preset(scoring.PolicyTencent)
	ctx := context.Background()
	ev, _ := ParseEvent("default", testNow)
	future := graph.Event{Type: graph.EventDefault, Amount: 1, At: testNow.Add(time.Hour)}
	cases := []struct {
		name  string
		req   ShockRequest
		field string
		kind  error
	}{
		{"no changes", ShockRequest{}, "changes", graph.ErrInvalid},
		{"unknown person", ShockRequest{Changes: []Change{{ID: 1, Events: []graph.Event{ev}}, {ID: 99, Events: []graph.Event{ev}}}}, "changes/1/id", graph.ErrNotFound},
		{"twice", ShockRequest{Changes: []Change{{ID: 1, Events: []graph.Event{ev}}, {ID: 1, Events: []graph.Event{ev}}}}, "changes/1/id", graph.ErrInvalid},
		{"nothing to do", ShockRequest{Changes: []Change{{ID: 1}}}, "changes/0", graph.ErrInvalid},
		{"future event", ShockRequest{Changes: []Change{{ID: 2, Events: []graph.Event{ev, future}}}}, "changes/0/events/1/at", graph.ErrInvalid},
		{"bad record", ShockRequest{Changes: []Change{{ID: 2, Record: &graph.Record{Defaults: -1}}}}, "changes/0/record/defaults", graph.ErrInvalid},
		{"steps", ShockRequest{Changes: []Change{{ID: 1, Events: []graph.Event{ev}}}, MaxSteps: MaxMaxSteps + 1}, "max_steps", graph.ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.req.Now = testNow
			_, err := Shock(ctx, s, pol, c.req)
			require.Error(t, err)
			assert.ErrorIs(t, err, c.kind)
			var ve *graph.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, c.field, ve.Field)
		})
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err := Shock(cctx, s, pol, ShockRequest{Changes: []Change{{ID: 1, Events: []graph.Event{ev}}}, Now: testNow})
	assert.ErrorIs(t, err, context.Canceled)
	bad := pol
	bad.Alpha = 1
	_, err = Shock(ctx, s, bad, ShockRequest{Changes: []Change{{ID: 1, Events: []graph.Event{ev}}}, Now: testNow})
	assert.ErrorIs(t, err, graph.ErrInvalid)
}

// centralityContrast shocks the highest- and the lowest-PageRank person of
// the snapshot with the same default and returns both results.
func centralityContrast(t *testing.T, s *graph.Snapshot, pol scoring.Policy) (hi, lo ShockResult, hiID, loID graph.ID) {
	t.Helper()
	ctx := context.Background()
	base, _, err := scoring.ScoreSnapshot(ctx, s, pol, scoring.Options{})
	require.NoError(t, err)
	hiK, loK := 0, 0
	for i, r := range base {
		if r.PageRank > base[hiK].PageRank || (r.PageRank == base[hiK].PageRank && r.ID < base[hiK].ID) {
			hiK = i
		}
		if r.PageRank < base[loK].PageRank || (r.PageRank == base[loK].PageRank && r.ID < base[loK].ID) {
			loK = i
		}
	}
	ev, err := ParseEvent("default:5000", testNow)
	require.NoError(t, err)
	run := func(k int) ShockResult {
		res, err := Shock(ctx, s, pol, ShockRequest{Baseline: base, Now: testNow, Changes: []Change{{ID: base[k].ID, Events: []graph.Event{ev}}}})
		require.NoError(t, err)
		return res
	}
	return run(hiK), run(loK), base[hiK].ID, base[loK].ID
}

// TestShockCentralityKarate: on Zachary's karate club under the tencent
// policy (α = 0.5), a default of the highest-PageRank member (34) moves
// more people, and farther, than one of the lowest-PageRank member.
func TestShockCentralityKarate(t *testing.T) {
	s := karateSnapshot(t)
	pol, _ := scoring.Preset(scoring.PolicyTencent)
	hi, lo, hiID, loID := centralityContrast(t, s, pol)
	t.Logf("karate: high PageRank %d moved %d (max hop %d, %.1f points lost); low PageRank %d moved %d (max hop %d, %.1f points lost)",
		hiID, hi.Total.Moved, hi.Total.MaxHop, hi.Total.PointsLost, loID, lo.Total.Moved, lo.Total.MaxHop, lo.Total.PointsLost)
	assert.Equal(t, graph.ID(34), hiID) // expected: karate_pagerank_reference.csv, mtx id 34 has the largest PageRank
	assert.Greater(t, hi.Total.Moved, lo.Total.Moved)
	assert.GreaterOrEqual(t, hi.Total.MaxHop, lo.Total.MaxHop)
	assert.Greater(t, hi.Total.PointsLost, lo.Total.PointsLost)
}

// TestShockCentralityFacebook: the same on SNAP ego-Facebook (4,039
// people, 88,234 friendships).
func TestShockCentralityFacebook(t *testing.T) {
	s := facebookSnapshot(t)
	pol, _ := scoring.Preset(scoring.PolicyTencent)
	hi, lo, hiID, loID := centralityContrast(t, s, pol)
	t.Logf("ego-Facebook: high PageRank %d moved %d (max hop %d, %.1f points lost); low PageRank %d moved %d (max hop %d, %.1f points lost)",
		hiID, hi.Total.Moved, hi.Total.MaxHop, hi.Total.PointsLost, loID, lo.Total.Moved, lo.Total.MaxHop, lo.Total.PointsLost)
	assert.Greater(t, hi.Total.Moved, lo.Total.Moved)
	assert.GreaterOrEqual(t, hi.Total.MaxHop, lo.Total.MaxHop)
	// Reach is listed for every hop of the (connected) graph.
	people := 0
	for _, r := range hi.Total.Reach {
		people += r.People
	}
	assert.Equal(t, s.Len(), people)
}

// TestShockJSON pins the JSON shape the API exposes.
func TestShockJSON(t *testing.T) {
	s := karateSnapshot(t)
	pol, _ := scoring.Preset(scoring.PolicyTencent)
	ev, _ := ParseEvent("default", testNow)
	res, err := Shock(context.Background(), s, pol, ShockRequest{Changes: []Change{{ID: 12, Events: []graph.Event{ev}}}, MaxSteps: 2, Now: testNow})
	require.NoError(t, err)
	data, err := json.Marshal(res)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	for _, k := range []string{"policy", "alpha", "people", "min_move", "changes", "steps", "total", "iterations", "converged", "elapsed_ms"} {
		assert.Contains(t, m, k)
	}
	total := m["total"].(map[string]any)
	for _, k := range []string{"moved", "points_lost", "points_gained", "net_points", "max_hop", "reach", "deltas"} {
		assert.Contains(t, total, k)
	}
	steps := m["steps"].([]any)
	require.Len(t, steps, 3)
	step1 := steps[1].(map[string]any)
	for _, k := range []string{"step", "moved", "moved_by_hop", "points_lost", "points_gained", "deltas"} {
		assert.Contains(t, step1, k)
	}
	d := step1["deltas"].([]any)[0].(map[string]any)
	assert.Equal(t, float64(12), d["id"])
	for _, k := range []string{"id", "hop", "before", "after", "delta"} {
		assert.Contains(t, d, k)
	}
	// Step 0 moves nobody under tencent (no friend-default penalty).
	assert.Equal(t, float64(0), steps[0].(map[string]any)["moved"])
}

// TestShockRowWindow pages the listed rows with every page size from 1 to
// past the end and checks that the pages, concatenated list by list, are
// the lists of the unpaged result, and that everything else is equal.
func TestShockRowWindow(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	s := randomSnapshot(t, rng, 200, 700, false)
	pol, _ := scoring.Preset(scoring.PolicyTencent)
	ctx := context.Background()
	ev, _ := ParseEvent("default:5000", testNow)
	req := ShockRequest{Changes: []Change{{ID: s.IDs[0], Events: []graph.Event{ev}}, {ID: s.IDs[7], Events: []graph.Event{ev}}},
		Now: testNow, ListLimit: 40, MaxSteps: 6}
	full, err := Shock(ctx, s, pol, req)
	require.NoError(t, err)
	want := 0
	for _, st := range full.Steps {
		want += len(st.Deltas)
	}
	want += len(full.Total.Deltas)
	require.Equal(t, want, full.Rows)
	require.Greater(t, full.Rows, 50, "enough rows to page")

	for _, size := range []int{1, 7, 40, full.Rows - 1, full.Rows, full.Rows + 5} {
		got := make([][]Delta, len(full.Steps)+1)
		for off := 0; off < full.Rows; off += size {
			r := req
			r.RowOffset, r.RowLimit = off, size
			page, err := Shock(ctx, s, pol, r)
			require.NoError(t, err)
			rows := 0
			for i, st := range page.Steps {
				got[i] = append(got[i], st.Deltas...)
				rows += len(st.Deltas)
				page.Steps[i].Deltas = full.Steps[i].Deltas
			}
			got[len(full.Steps)] = append(got[len(full.Steps)], page.Total.Deltas...)
			rows += len(page.Total.Deltas)
			assert.Equal(t, min(size, full.Rows-off), rows, "page at %d of size %d", off, size)
			page.Total.Deltas = full.Total.Deltas
			page.ElapsedMS = full.ElapsedMS
			assert.Equal(t, full, page, "apart from the lists, a page is the whole result")
		}
		for i, st := range full.Steps {
			assert.Equal(t, len(st.Deltas), len(got[i]), "size %d step %d", size, i)
			if len(st.Deltas) > 0 {
				assert.Equal(t, st.Deltas, got[i], "size %d step %d", size, i)
			}
		}
		assert.Equal(t, full.Total.Deltas, got[len(full.Steps)], "size %d total", size)
	}
	r := req
	r.RowOffset = -1
	_, err = Shock(ctx, s, pol, r)
	assert.ErrorIs(t, err, graph.ErrInvalid)
}
