// Package contagion gives researchers two views of how a score moves
// through the friendship network: ego networks (who is around a person,
// with their scores) and shock experiments (change some people's records,
// for example a default, and follow the score change of everyone else,
// step by step and at convergence, by hop distance).
//
// Both work on a graph.Snapshot and return plain structs with JSON tags, so
// that an HTTP handler can call them directly and encode the result. They
// never write to a store, nor to the snapshot: a shock keeps the changed
// records aside.
//
// # Propagation step by step
//
// Scores propagate as in package scoring: the network value s is the fixed
// point of s = (1−α)b + αWs, with b the individual value and W the
// row-normalised friendship matrix (docs/architecture.md, "Propagation"). A shock
// changes b to b′ for the people whose record changed (and, through the
// recruitment pillar, possibly their recruiters) and then follows the
// Jacobi iteration from the old fixed point:
//
//	s⁽⁰⁾ = s,   s⁽ᵏ⁺¹⁾ = (1−α)b′ + αWs⁽ᵏ⁾
//
// so that step k shows the change after it has travelled k−1 friendships:
// the shocked person moves at step 1, their friends at step 2, and so on.
// A person without friends keeps s = b′ from step 1. The iteration is a
// contraction with factor α and converges to the new fixed point s′, the
// same s′ a full scoring run on the changed records would compute.
//
// It is run on the change ds⁽ᵏ⁾ = s⁽ᵏ⁾ − s, which by linearity follows
// ds⁽ᵏ⁺¹⁾ = (1−α)(b′ − b) + αW·ds⁽ᵏ⁾ from ds⁽⁰⁾ = 0: it is exactly zero
// beyond k−1 hops of the people whose b changed, so early steps touch only
// the neighbourhood of the shock and nobody farther away moves by rounding
// noise.
//
// # The phases of a shock
//
// Shock (shock.go) runs in phases, each a function of its own: prepare
// checks the request (checkRequest), applies the changed records aside
// (applyChanges), scores the baseline with scoring.ScoreSnapshot unless
// the request gives one (baseline), computes the new individual values
// (newBases) and the friend-default penalties before and after the
// change (penaltiesAfter), and orders the people reachable from a shocked
// one by hop distance (hopLevels); then the steps above are iterated over
// that region only, with scoring.PropagationRows (shock.propagate);
// last, the total at convergence and the changed people are measured.
// Scores are combined with scoring.FinalValue, so a shock's step 0 scores
// everyone as a scoring run does.
package contagion
