package scoring

import (
	"fmt"
	"math"

	"github.com/socialscore/socialscore/graph"
)

// Friends' share of the network component (docs/architecture.md,
// Propagation). At the fixed point s = (1−α)b + αWs, with W row-normalised,
//
//	s_i − b_i = α·Σ_j W_ij·(s_j − b_i)
//
// (subtract b_i from both sides of s_i = (1−α)b_i + α·Σ_j W_ij s_j and use
// Σ_j W_ij = 1), so the network component 600·(1−c)·(s_i − b_i) splits
// exactly over friends: friend j contributes 600·(1−c)·α·W_ij·(s_j − b_i).
// The propagation stops within α/(1−α)·PropagationTol of the fixed point,
// so the shares sum to s_i − b_i within about 1e-10 on the value scale.
// A person without friends, or whose ties all weigh 0, has W_ii = 1 and
// s_i = b_i: no share at all.

// friendTerm is friend j's share α·W_ij·(s_j − b_i) of person i's network
// value, with W_ij = w_ij·inv and inv = 1/Σ_x w_ix. It is the one place
// the formula is written.
func friendTerm(alpha, w, inv, sj, bi float64) float64 {
	return alpha * w * inv * (sj - bi)
}

// networkShare is NetworkShareOf on CSR arrays, with b and s by position.
// It sums w_ij·(s_j − b_i) by sign and multiplies by α/Σ_x w_ix once:
// friendTerm factored, so that a run (which calls it for everyone) pays
// one pass over the ties and no more.
func networkShare(offsets, targets []int32, weights []float32, b, s []float64, alpha float64, i int32) graph.NetworkShare {
	inv := InvStrength(&graph.CSR{Offsets: offsets, Weights: weights}, i)
	var sums shareSums
	if inv == 0 || alpha == 0 {
		return sums.share(alpha, inv) // no share: the terms need not be read
	}
	a, e := offsets[i], offsets[i+1]
	bi := b[i]
	if weights == nil {
		for _, j := range targets[a:e] {
			sums.add(s[j] - bi)
		}
	} else {
		for k := a; k < e; k++ {
			sums.add(float64(weights[k]) * (s[targets[k]] - bi))
		}
	}
	return sums.share(alpha, inv)
}

// shareSums gathers one person's friends' terms w_ij·(s_j − b_i) by sign,
// in the order of the person's friends (networkShare, and the scoring
// run's friendsPass summing by bins, where the terms come in that order).
type shareSums struct {
	pos, neg float64
	np, nn   int32
}

// add counts the term d of one friend.
func (a *shareSums) add(d float64) {
	if d > 0 {
		a.pos += d
		a.np++
	} else if d < 0 {
		a.neg += d
		a.nn++
	}
}

// share is the person's graph.NetworkShare from the terms added, given α
// and inv = 1/Σ_x w_ix: no share at all when either is 0 (no friends, or
// no contagion).
func (a *shareSums) share(alpha, inv float64) graph.NetworkShare {
	if inv == 0 || alpha == 0 {
		return graph.NetworkShare{Known: true}
	}
	return graph.NetworkShare{Known: true,
		Raise: friendTerm(alpha, a.pos, inv, 1, 0), Lower: friendTerm(alpha, a.neg, inv, 1, 0),
		Raising: a.np, Lowering: a.nn}
}

// NetworkShareOf returns how the friends of person i (a snapshot position)
// split s_i − b_i, given every person's b and s by position (the run's
// Base and Network values) and the contagion α: the sum of the positive
// shares α·W_ij·(s_j − b_i) and how many friends gave one, and the same
// for the negative shares. ScoreSnapshot stores it in every result
// (graph.Result.Share).
func NetworkShareOf(snap *graph.Snapshot, b, s []float64, alpha float64, i int32) graph.NetworkShare {
	return networkShare(snap.Offsets, snap.Targets, snap.Weights, b, s, alpha, i)
}

// FriendShare is one friend's share of a person's network value.
type FriendShare struct {
	ID    graph.ID
	Value float64 // α·W_ij·(s_j − b_i), on the scale of b and s
}

// FriendShares lists each friend's share α·W_ij·(s_j − b_i) of person i's
// network value, in the snapshot's order of i's friends, where
// results[k] is the result of the snapshot's person k (the run that
// scored this snapshot) and alpha the run's contagion. Their sum is
// results[i].Network − results[i].Base up to the propagation's tolerance,
// and Explain turns a value into points (PointsOfShare). A person without
// friends gets an empty list.
func FriendShares(snap *graph.Snapshot, results []graph.Result, alpha float64, i int32) ([]FriendShare, error) {
	if len(results) != snap.Len() {
		return nil, graph.Invalid("results", "has %d results for %d people", len(results), snap.Len())
	}
	if i < 0 || int(i) >= snap.Len() {
		return nil, graph.Invalid("i", "position %d out of range", i)
	}
	out := []FriendShare{}
	inv := InvStrength(&graph.CSR{Offsets: snap.Offsets, Weights: snap.Weights}, i)
	if inv == 0 {
		return out, nil
	}
	bi := results[i].Base
	for k := snap.Offsets[i]; k < snap.Offsets[i+1]; k++ {
		j := snap.Targets[k]
		if results[j].ID != snap.IDs[j] {
			return nil, fmt.Errorf("scoring: friend shares: result %d is of person %d, not %d: %w", j, results[j].ID, snap.IDs[j], graph.ErrInvalid)
		}
		out = append(out, FriendShare{ID: snap.IDs[j], Value: friendTerm(alpha, snap.Weight(k), inv, results[j].Network, bi)})
	}
	return out, nil
}

// PointsOfShare converts a share of the network value (FriendShare.Value,
// graph.NetworkShare's Raise or Lower) into points of the score under the
// policy: 600·(1−c) times it, unrounded.
func PointsOfShare(v float64, p Policy) float64 { return Span * (1 - p.Centrality) * v }

// splitPoints divides the network component's integer points between the
// friends who raise it and those who lower it: the exact points of raise
// and lower rounded by the largest-remainder method so that they sum to
// total (when the exact values are close enough to total for that).
func splitPoints(raise, lower float64, total int) (int, int) {
	p := largestRemainder([]float64{raise, lower}, total)
	if p[0] < 0 || p[1] > 0 {
		// Only if the shares are far from the component (a result that
		// does not fit the policy): round each on its own.
		return max(0, int(math.Round(raise))), min(0, int(math.Round(lower)))
	}
	return p[0], p[1]
}

// Values of Policy.FriendShares.
const (
	FriendSharesAggregate = "aggregate"
	FriendSharesListed    = "listed"
)

// ListsFriendShares reports whether the policy offers each friend's share
// of the network component, not only the aggregate.
func (p Policy) ListsFriendShares() bool { return p.FriendShares == FriendSharesListed }

func validFriendShares(v string) error {
	switch v {
	case "", FriendSharesAggregate, FriendSharesListed:
		return nil
	}
	return graph.Invalid("friend_shares", "must be %q or %q, not %q", FriendSharesAggregate, FriendSharesListed, v)
}
