package export

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring/contagion"
)

// FromEgo returns the graph of an ego network (contagion.Ego): its people
// with their hop from the centre, and its ties.
func FromEgo(eg contagion.EgoNetwork, ps Pseudonymizer) (*Graph, error) {
	g, err := newGraph("ego", ps)
	if err != nil {
		return nil, err
	}
	g.Meta.Center = ps.ID(eg.Center)
	g.Meta.Depth = eg.Depth
	g.Meta.Truncated = eg.Truncated
	seen := make(map[string]graph.ID, len(eg.People))
	for _, p := range eg.People {
		hop := p.Hop
		n := Node{ID: ps.ID(p.ID), Scored: p.Scored, Score: p.Score, Individual: p.Individual, Band: p.Band,
			PageRank: p.PageRank, Percentile: p.Percentile, Hop: &hop}
		if p.Pillars != nil {
			pl := *p.Pillars
			n.Pillars = &pl
		}
		if err := g.addNode(p.ID, n, seen); err != nil {
			return nil, err
		}
	}
	for _, t := range eg.Ties {
		if _, ok := g.index[t.From]; !ok {
			return nil, fmt.Errorf("export: ego tie %d-%d names someone not in the network", t.From, t.To)
		}
		if _, ok := g.index[t.To]; !ok {
			return nil, fmt.Errorf("export: ego tie %d-%d names someone not in the network", t.From, t.To)
		}
		w := t.Weight
		if t.Kind == contagion.KindRecruited {
			w = 1
		}
		g.Links = append(g.Links, Link{Source: ps.ID(t.From), Target: ps.ID(t.To), Kind: t.Kind, Weight: w})
	}
	return g, nil
}

// Subgraph returns the graph of the given people of the snapshot (in
// snapshot order, whatever the order given; ids not in the snapshot are
// skipped) and every tie among them, annotated with the scores.
func Subgraph(snap *graph.Snapshot, sc contagion.Scores, ids []graph.ID, ps Pseudonymizer) (*Graph, error) {
	var members []int32
	for _, id := range ids {
		if k, ok := snap.Index(id); ok {
			members = append(members, k)
		}
	}
	return induced(snap, sc, members, "subgraph", ps)
}

// FromSnapshot returns the whole snapshot as a graph.
func FromSnapshot(snap *graph.Snapshot, sc contagion.Scores, ps Pseudonymizer) (*Graph, error) {
	members := make([]int32, snap.Len())
	for i := range members {
		members[i] = int32(i)
	}
	return induced(snap, sc, members, "snapshot", ps)
}

// Sample returns a snowball sample of n people of the snapshot (all of
// them if there are fewer) and the ties among them: starting from a
// person drawn uniformly at random, people are added in breadth-first
// order over friendships until n are taken; when a component is
// exhausted, the next start is drawn uniformly among those not yet taken.
// Neighbours are visited in id order, so the sample depends only on the
// snapshot, n and seed. A snowball sample keeps local structure (friends
// of the sampled are sampled, communities stay visible in a drawing) but
// over-represents well-connected people; SampleUniform does not.
func Sample(snap *graph.Snapshot, sc contagion.Scores, n int, seed uint64, ps Pseudonymizer) (*Graph, error) {
	return sample(snap, sc, n, seed, ps, "snowball", 0x736e6f77, func(rng *rand.Rand, total, n int) []int32 { // "snow"
		taken := make([]bool, total)
		var members, queue []int32
		// Starts are drawn from a shuffled order, skipping people taken.
		order := rng.Perm(total)
		next := 0
		for len(members) < n {
			if len(queue) == 0 {
				for taken[order[next]] {
					next++
				}
				s := int32(order[next])
				taken[s] = true
				members = append(members, s)
				queue = append(queue, s)
				continue
			}
			v := queue[0]
			queue = queue[1:]
			for _, u := range snap.Friends(v) {
				if len(members) == n {
					break
				}
				if !taken[u] {
					taken[u] = true
					members = append(members, u)
					queue = append(queue, u)
				}
			}
		}
		return members
	})
}

// SampleUniform returns n people drawn uniformly at random without
// replacement (all if there are fewer) and the ties among them. Every
// person is equally likely to be in it, so its score distribution is
// unbiased, but its ties are sparse: each friendship survives with
// probability about (n/N)².
func SampleUniform(snap *graph.Snapshot, sc contagion.Scores, n int, seed uint64, ps Pseudonymizer) (*Graph, error) {
	return sample(snap, sc, n, seed, ps, "uniform", 0x756e6966, func(rng *rand.Rand, total, n int) []int32 { // "unif"
		perm := rng.Perm(total)[:n]
		members := make([]int32, n)
		for i, p := range perm {
			members[i] = int32(p)
		}
		return members
	})
}

// sample checks the size n asked for (at least 1; all people if there
// are fewer), draws the members with the given method from a PCG stream
// of seed, and returns the graph of the members and the ties among them
// with its SampleMeta.
func sample(snap *graph.Snapshot, sc contagion.Scores, n int, seed uint64, ps Pseudonymizer, method string, stream uint64, draw func(rng *rand.Rand, total, n int) []int32) (*Graph, error) {
	if n < 1 {
		return nil, graph.Invalid("sample", "must be at least 1, got %d", n)
	}
	total := snap.Len()
	n = min(n, total)
	members := draw(rand.New(rand.NewPCG(seed, stream)), total, n)
	slices.Sort(members)
	g, err := induced(snap, sc, members, "sample", ps)
	if err != nil {
		return nil, err
	}
	g.Meta.Sample = &SampleMeta{Method: method, Size: n, Seed: seed, Population: total}
	return g, nil
}

// induced builds the graph of the members (snapshot indices, ascending)
// and the ties among them: friendships once (lower id first), then
// recruitments.
func induced(snap *graph.Snapshot, sc contagion.Scores, members []int32, kind string, ps Pseudonymizer) (*Graph, error) {
	g, err := newGraph(kind, ps)
	if err != nil {
		return nil, err
	}
	if sc.Policy != nil {
		g.Meta.Policy = sc.Policy.Name
	}
	members = slices.Compact(slices.Sorted(slices.Values(members)))
	res := graph.Align(snap.IDs, sc.Results)
	in := make(map[int32]bool, len(members))
	for _, v := range members {
		in[v] = true
	}
	seen := make(map[string]graph.ID, len(members))
	ids := make(map[int32]string, len(members))
	for _, v := range members {
		id := snap.IDs[v]
		n := Node{ID: ps.ID(id)}
		ids[v] = n.ID
		if k := res[v]; k >= 0 {
			r := sc.Results[k]
			pl := contagion.PillarsOf(r.Pillars)
			n.Scored, n.Score, n.Individual = true, r.Score, r.Individual
			n.PageRank, n.Percentile, n.Pillars = r.PageRank, r.Percentile, &pl
			if sc.Policy != nil {
				n.Band = sc.Policy.BandOf(r.Score)
			}
		}
		if err := g.addNode(id, n, seen); err != nil {
			return nil, err
		}
	}
	for _, v := range members {
		for k := snap.Offsets[v]; k < snap.Offsets[v+1]; k++ {
			if u := snap.Targets[k]; u > v && in[u] {
				g.Links = append(g.Links, Link{Source: ids[v], Target: ids[u], Kind: contagion.KindFriend, Weight: snap.ExactWeight(k)})
			}
		}
	}
	if len(snap.RecruitOffsets) == snap.Len()+1 {
		for _, v := range members {
			for _, u := range snap.Recruits(v) {
				if in[u] {
					g.Links = append(g.Links, Link{Source: ids[v], Target: ids[u], Kind: contagion.KindRecruited, Weight: 1})
				}
			}
		}
	}
	return g, nil
}

// AttachShock adds a shock experiment's steps to the graph: Steps becomes
// 0..K and K+1 for the converged state, and every scored node gets its
// score at each step (the baseline unless the person is listed as moved
// at that step), its hop from the nearest source, its total change, and
// whether it was shocked. People of the experiment who are not in the
// graph are left out; nodes not reached by the shock keep their score at
// every step. The result must list everyone who moved: one computed with
// a ListLimit that cut a list is refused (graph.ErrInvalid). A graph takes
// one experiment; a second call replaces the first.
func (g *Graph) AttachShock(res contagion.ShockResult, ps Pseudonymizer) error {
	if res.Total.Truncated {
		return graph.Invalid("experiment", "the shock result's lists were truncated; run it without a list limit to export it")
	}
	for _, st := range res.Steps {
		if st.Truncated {
			return graph.Invalid("experiment", "the shock result's step %d list was truncated; run it without a list limit to export it", st.Step)
		}
	}
	final := len(res.Steps)
	g.Steps = make([]int, 0, final+1)
	for _, st := range res.Steps {
		g.Steps = append(g.Steps, st.Step)
	}
	g.Steps = append(g.Steps, final)

	meta := &ExperimentMeta{Policy: res.Policy, Alpha: res.Alpha, Shocked: []string{}, FinalStep: final, Iterations: res.Iterations,
		Moved: res.Total.Moved, PointsLost: res.Total.PointsLost, MaxHop: res.Total.MaxHop}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		n.Steps, n.Shocked, n.ShockHop, n.Delta = nil, false, nil, nil
		if n.Scored {
			n.Steps = make([]StepScore, len(g.Steps))
			for k, s := range g.Steps {
				n.Steps[k] = StepScore{Step: s, Score: n.Score}
			}
		}
	}
	set := func(k int, ds []contagion.Delta) {
		for _, d := range ds {
			if i, ok := g.index[d.ID]; ok && g.Nodes[i].Scored {
				g.Nodes[i].Steps[k].Score = d.After
			}
		}
	}
	for k, st := range res.Steps {
		set(k, st.Deltas)
	}
	set(final, res.Total.Deltas)
	for _, d := range res.Total.Deltas {
		if i, ok := g.index[d.ID]; ok {
			hop, delta := d.Hop, d.Delta
			g.Nodes[i].ShockHop, g.Nodes[i].Delta = &hop, &delta
		}
	}
	for _, c := range res.Changes {
		meta.Shocked = append(meta.Shocked, ps.ID(c.ID))
		if i, ok := g.index[c.ID]; ok {
			n := &g.Nodes[i]
			n.Shocked = true
			if n.ShockHop == nil {
				zero, d := 0, float64(c.ScoreAfter-c.ScoreBefore)
				n.ShockHop, n.Delta = &zero, &d
			}
		}
	}
	g.Meta.Experiment = meta
	return nil
}
