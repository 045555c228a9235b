package scoring

import (
	"context"
	"fmt"
	"time"

	"github.com/socialscore/socialscore/graph"
)

// phases of a scoring run, in order (Options.Progress).
const numPhases = 5

// ScoreSnapshot scores every person of the snapshot under the policy and
// returns one result per person, in snapshot order (ascending id), with
// the time each phase took. The phases:
//
//  1. pillars: graph.Pillars per person (PillarsOf; recruits count if
//     active) and b = Σ_k w_k·pillar_k; Individual = round(350 + 600·b).
//
//  2. propagation: s = (1−α)b + αWs (Propagate), or o.Engine's.
//
//  3. pagerank: PageRank of the friendship graph, d = 0.85, dangling mass
//     spread uniformly, to an L1 change below DefaultPageRankTol
//     (PageRank with Undirected set).
//
//  4. percentiles: pct = Percentiles(PageRank), among everyone scored.
//
//  5. finalize:
//
//     Score = clamp(round(350 + 600·((1−c)·s + c·pct/100) − penalty), 350, 950)
//
//     with c the policy's Centrality and penalty =
//     min(FriendDefaultCap, FriendDefaultPenalty·#{friends with a default})
//     (FinalValue, RoundScore, Policy.FriendPenalty);
//     then Friends = number of friends and FriendMean = the mean final
//     Score of one's friends (unweighted; 0 without friends), Share =
//     the friends' split of s − b (NetworkShareOf) and Facts = what the
//     record shows (graph.FactsOf).
//
// ctx is checked between phases and between iterations; on cancellation
// the error wraps ctx.Err(). The policy must be valid (Policy.Validate) and
// the snapshot well formed (CSR arrays in range, one record and profile per
// person); otherwise the error wraps graph.ErrInvalid. The friendship CSR is
// taken to be symmetric, as graph.SnapshotBuilder makes it. Results do not
// depend on o.Workers.
func ScoreSnapshot(ctx context.Context, s *graph.Snapshot, p Policy, o Options) ([]graph.Result, Stats, error) {
	sc, st, err := ScoreArrays(ctx, s, p, o)
	if err != nil {
		return nil, st, err
	}
	t := time.Now()
	results := sc.Results(o.Workers)
	d := time.Since(t)
	st.Finalize += d
	st.Total += d
	return results, st, nil
}

// Scored is the outcome of a scoring run in arrays: per person b, s,
// PageRank, percentile, the final score and the friends' mean score and
// shares of s − b (76 bytes a person), beside the snapshot it was computed
// on. Every other field of a person's graph.Result (pillars, individual
// score, facts, friends) is a function of the snapshot and these arrays,
// and Result computes it when asked with the same functions ScoreSnapshot
// used, so Result(i) equals ScoreSnapshot's i-th result bit for bit. A run
// that streams its results to the store (Runner.Run with a StreamSaver)
// keeps only this, not 184 bytes of graph.Result a person.
type Scored struct {
	snap     *graph.Snapshot // with the records the policy scores (RecordsUnder)
	recruits graph.CSR
	offsets  []int32
	// Per person, in snapshot order.
	B, S, PageRank, Percentile []float64
	Scores                     []int32
	// The friends' mean score and their shares of s − b, per person.
	friendMean []float64
	shares     []graph.NetworkShare
}

// Len returns the number of people scored.
func (sc *Scored) Len() int { return len(sc.B) }

// ID returns the id of the person at position i.
func (sc *Scored) ID(i int) graph.ID { return sc.snap.IDs[i] }

// Result returns the whole result of the person at position i.
func (sc *Scored) Result(i int) graph.Result {
	s := sc.snap
	pl := PillarsIn(&sc.recruits, s.Records, s.Profiles, int32(i))
	friends := s.Targets[sc.offsets[i]:sc.offsets[i+1]]
	return graph.Result{
		ID: s.IDs[i], Score: int(sc.Scores[i]), Individual: IndividualScore(sc.B[i]),
		Pillars: pl, Base: sc.B[i], Network: sc.S[i], PageRank: sc.PageRank[i], Percentile: sc.Percentile[i],
		Friends:    int32(len(friends)),
		FriendMean: sc.friendMean[i],
		Facts:      graph.FactsOf(s.Records[i]),
		Share:      sc.shares[i],
	}
}

// friendsPass returns every person's friends' mean score (FriendMean) and
// their shares of s − b (networkShare), by the CSR's rows split as bounds,
// or through g's bins when g is not nil; the values are the same either
// way, the terms of a row coming in its order.
func friendsPass(offsets, targets []int32, weights []float32, scores []int32, b, s []float64, alpha float64, bounds []int, g *rowGather) ([]float64, []graph.NetworkShare) {
	n := len(b)
	mean := make([]float64, n)
	shares := make([]graph.NetworkShare, n)
	if g == nil {
		runRanges(bounds, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				mean[i] = FriendMean(targets[offsets[i]:offsets[i+1]], scores)
				shares[i] = networkShare(offsets, targets, weights, b, s, alpha, int32(i))
			}
		})
		return mean, shares
	}
	// The scores as float64: their sums are integers below 2^53, exact,
	// so mean[v] is FriendMean's int64 sum over the degree.
	x := make([]float64, n)
	for i, sc := range scores {
		x[i] = float64(sc)
	}
	g.scatter(x)
	g.sums(func(lo, hi int, acc []float64) {
		for v := lo; v < hi; v++ {
			mean[v] = meanScore(acc[v-lo], int(offsets[v+1]-offsets[v]))
		}
	})
	g.scatter(s)
	g.bins(func(lo, hi int, pos []uint16, vals []float64) {
		sums := make([]shareSums, hi-lo)
		for k, p := range pos {
			sums[p].add(vals[k] - b[lo+int(p)])
		}
		for v := lo; v < hi; v++ {
			shares[v] = sums[v-lo].share(alpha, InvStrength(&graph.CSR{Offsets: offsets}, int32(v)))
		}
	})
	return mean, shares
}

// Results returns every result, in snapshot order, computed by workers
// goroutines (0: GOMAXPROCS).
func (sc *Scored) Results(workers int) []graph.Result {
	n := sc.Len()
	results := make([]graph.Result, n)
	runRanges(partition(sc.offsets, workerCount(workers, n)), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			results[i] = sc.Result(i)
		}
	})
	return results
}

// ScoreArrays is ScoreSnapshot without building the results: it returns
// them as a Scored, whose Result(i) is ScoreSnapshot's i-th result. It
// allocates 76 bytes a person that outlive it (b, s, PageRank, percentile,
// score) besides the iterations' own arrays; the snapshot must not change
// while the Scored is in use.
func ScoreArrays(ctx context.Context, s *graph.Snapshot, p Policy, o Options) (*Scored, Stats, error) {
	t0 := time.Now()
	var st Stats
	if s == nil {
		return nil, st, graph.Invalid("snapshot", "is nil")
	}
	if err := p.Validate(); err != nil {
		return nil, st, fmt.Errorf("scoring: policy %q: %w", p.Name, err)
	}
	if err := checkSnapshot(s); err != nil {
		return nil, st, fmt.Errorf("scoring: %w", err)
	}
	s = RecordsUnder(s, p)
	n := s.Len()
	offsets := s.Offsets
	if n == 0 {
		offsets = []int32{0}
	}
	workers := workerCount(o.Workers, n)
	bounds := partition(offsets, workers)
	done := 0
	endPhase := func(name string, d *time.Duration, start time.Time) error {
		*d = time.Since(start)
		done++
		if o.Progress != nil {
			o.Progress(name, done, numPhases)
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("scoring: after %s: %w", name, err)
		}
		return nil
	}
	if err := ctx.Err(); err != nil {
		return nil, st, fmt.Errorf("scoring: %w", err)
	}

	// 1. Pillars and the individual value b. The pillars themselves are
	// not kept: Scored.Result computes them again.
	t := time.Now()
	b := make([]float64, n)
	recruits := s.RecruitsCSR()
	runRanges(bounds, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			b[i] = p.Weights.Combine(PillarsIn(&recruits, s.Records, s.Profiles, int32(i)))
		}
	})
	if err := endPhase("pillars", &st.Pillars, t); err != nil {
		return nil, st, err
	}

	var sv, pr []float64
	var g *rowGather
	if o.Engine != nil {
		// 2 and 3 on another engine, with the same definitions.
		t = time.Now()
		pillars := make([]graph.Pillars, n)
		for i := range pillars {
			pillars[i] = PillarsIn(&recruits, s.Records, s.Profiles, int32(i))
		}
		out, err := o.Engine.Graph(ctx, GraphInput{IDs: s.IDs, Pillars: pillars, B: b,
			Friends: graph.CSR{Offsets: offsets, Targets: s.Targets, Weights: s.Weights}, Alpha: p.Alpha})
		pillars = nil
		if err == nil && (len(out.S) != n || len(out.PageRank) != n) {
			err = fmt.Errorf("returned %d values of s and %d PageRanks for %d people", len(out.S), len(out.PageRank), n)
		}
		if err != nil {
			return nil, st, fmt.Errorf("scoring: engine %s: %w", o.Engine.Name(), err)
		}
		sv, pr = out.S, out.PageRank
		st.PropagationIterations, st.PageRankIterations = out.PropagationIterations, out.PageRankIterations
		if err := endPhase("propagation", &st.Propagation, t); err != nil {
			return nil, st, err
		}
		if err := endPhase("pagerank", &st.PageRank, time.Now()); err != nil {
			return nil, st, err
		}
	} else {
		// 2. Propagation. On a large network both kernels, and the
		// friends' pass of the final scores, sum rows by bins, through
		// one rowGather (1 GB at 50 million friendships).
		t = time.Now()
		g = newRowGather(offsets, s.Targets, s.Weights, bounds)
		var iters int
		var err error
		sv, iters, err = propagate(ctx, offsets, s.Targets, s.Weights, b, p.Alpha, o.Workers, g)
		st.PropagationIterations = iters
		if err != nil {
			return nil, st, fmt.Errorf("scoring: %w", err)
		}
		if err := endPhase("propagation", &st.Propagation, t); err != nil {
			return nil, st, err
		}

		// 3. PageRank.
		t = time.Now()
		pr, iters, err = pageRank(ctx, offsets, s.Targets, PageRankOptions{Undirected: true, Workers: o.Workers}, g)
		st.PageRankIterations = iters
		if err != nil {
			return nil, st, fmt.Errorf("scoring: %w", err)
		}
		if err := endPhase("pagerank", &st.PageRank, t); err != nil {
			return nil, st, err
		}
	}

	// 4. Percentiles.
	t = time.Now()
	pct := Percentiles(pr)
	if err := endPhase("percentiles", &st.Percentiles, t); err != nil {
		return nil, st, err
	}

	// 5. Final scores, then the friends' means (of the final scores) and
	// shares; Scored.Result computes the rest of a result.
	t = time.Now()
	defaulted := p.Defaulted(s.Records, nil)
	c := p.Centrality
	scores := make([]int32, n)
	runRanges(bounds, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			friends := s.Targets[offsets[i]:offsets[i+1]]
			scores[i] = int32(RoundScore(FinalValue(sv[i], pct[i], p.FriendPenalty(friends, defaulted), c)))
		}
	})
	mean, shares := friendsPass(offsets, s.Targets, s.Weights, scores, b, sv, p.Alpha, bounds, g)
	if err := endPhase("finalize", &st.Finalize, t); err != nil {
		return nil, st, err
	}
	st.Total = time.Since(t0)
	return &Scored{snap: s, recruits: recruits, offsets: offsets,
		B: b, S: sv, PageRank: pr, Percentile: pct, Scores: scores,
		friendMean: mean, shares: shares}, st, nil
}

// checkSnapshot verifies the shape of the snapshot's arrays, so that a
// malformed one returns an error instead of panicking mid-run.
func checkSnapshot(s *graph.Snapshot) error {
	n := s.Len()
	if len(s.Records) != n || len(s.Profiles) != n {
		return graph.Invalid("snapshot", "has %d people but %d records and %d profiles", n, len(s.Records), len(s.Profiles))
	}
	if n == 0 && len(s.Offsets) == 0 {
		return nil
	}
	if err := graph.Under("snapshot/friends", s.FriendsCSR().Validate(n)); err != nil {
		return err
	}
	if len(s.RecruitOffsets) == 0 && len(s.RecruitTargets) == 0 {
		return nil // no recruitments
	}
	return graph.Under("snapshot/recruits", s.RecruitsCSR().Validate(n))
}
