// Package live keeps the scores of a full scoring run up to date change
// by change: a tie added or removed, an event folded into a record, a
// record or profile replaced, a person added or taken out of the network
// (erased, consent withdrawn or given). It answers what-ifs on an overlay
// of that state and gives advice on one's own record (docs/architecture.md,
// "Live scores").
//
// # State
//
// New takes the snapshot a run scored, its results and the policy. Every
// number a read returns comes from the functions of package scoring:
// pillars (PillarsOf, ActiveRecruits), b (Weights.Combine), the
// propagation row (PropagationRow, InvStrength), the percentile
// (PercentileKey, MidRankPercentile), the friend-default penalty
// (Policy.Defaulted, FriendPenalty), the score (FinalValue, RoundScore,
// IndividualScore), the friends' mean (FriendMean) and the explanation
// (Explain). The solutions are kept with their residuals:
//
//   - propagation: s and r = (1−α)b + αWs − s (r_u = PropagationRow(u) − s_u);
//   - PageRank: y, the PageRank before normalisation, with
//     ry = (1−d)·1 + d·AᵀD⁻¹y − y over people with friends (isolated
//     people have y = 1−d exactly). With the teleport and the dangling
//     mass both spread uniformly, PageRank = y/Σy (Langville & Meyer,
//     "Google's PageRank and Beyond", 2006, §8.4), so a change touches y
//     locally and the ranks, which scaling does not change, are read
//     from y;
//   - percentiles: the PercentileKey of every y in an order-statistic
//     structure (sorted blocks), so a moved y moves one key and only the
//     ranks it crosses change; a read counts the keys below and equal.
//
// A person's final score, friends' mean and explanation are computed when
// read, from the current s, percentile and friends; nothing derived is
// cached, so nobody's score can be left stale by a change elsewhere.
//
// # Changes and pushes
//
// A change updates the rows it touches (copy-on-write over the snapshot's
// CSR arrays: memory grows with the rows changed, not with the network),
// recomputes the residuals of the rows whose equation changed (a tie: the
// two people's propagation rows and the PageRank residuals of both
// people and their friends; a record: b of the person and of their
// recruiter), then pushes (Gauss–Southwell / forward push: Andersen, Chung
// & Lang, FOCS 2006; on evolving graphs Ohsaka et al., KDD 2015, and
// Zhang, Lofgren & Goel, KDD 2016): a person u with a residual over the
// bound takes it into its value and passes α·W_wu·r_u (propagation) or
// d·ry_u/deg u (PageRank) to each friend w, in FIFO order, until no
// residual is over its bound.
//
// # Bounds
//
// Propagation. (I − αW)(s* − s) = r with W row-stochastic, so
// ‖s* − s‖∞ ≤ ‖r‖∞/(1−α). s moves the unrounded score by
// Span·(1−c)·Δs (scoring.FinalValue), so pushing until every
// |r_u| ≤ PropagationTolFor(p) = DefaultSPoints·(1−α)/(Span·(1−c))
// leaves every score within DefaultSPoints = 0.02 points of what the
// exact s gives (r_u = 3.0e-5 under sesame). The bound holds after any
// number of changes: it is read off the residuals, which no change leaves
// over it. A rounded score moves by 1 only where its unrounded value is
// within 0.02 of a rounding edge, so this error alone makes the mean
// |Δscore| at most about 0.02. (The bound was 1e-7 at first, 300 times
// tighter than the points need: most of a change's pushes went to
// digits no score shows.)
//
// PageRank. (I − dP^T)(y* − y) = ry with P = D⁻¹A, so
// y* − y = Σ_k d^k (P^T)^k ry. On an undirected graph the walk is
// reversible, deg(u)·P^k(u,v) = deg(v)·P^k(v,u), hence
// |((P^T)^k ry)_v| ≤ deg(v)·max_u |ry_u|/deg(u). Pushing until every
// |ry_u| ≤ PageRankTol·max(1, deg u) (default 5e-5) gives
//
//	|y*_v − y_v| ≤ PageRankTol·max(1, deg v)/(1−d)
//
// (3.3e-4·deg v at d = 0.85; y averages about 1 per person). Below
// 10,000 people the bound is PageRankTol·(n/10,000)²: a rank crossing
// moves a percentile by 100/n points, so small networks need exact ranks
// (and the exact ties of people in symmetric positions, which a full run
// gives them) and are cheap to push that far. The
// percentile moves only by the people whose order against v flips, each
// by 100/n points, and only people within those errors of v can flip;
// the score moves by 600·c/100 per percentile point. That count is n
// times the density of y near y_v times the error, so the percentile
// error does not grow with n; it depends on how densely PageRank values
// lie, so the score bound is measured, not derived: against a full run
// after 10,000 random tie changes and 10,000 random events, on 10,000
// people (tests) and 1,000,000 (BenchmarkLive), every score is within 1
// point, the percentile within 0.3 points (0.09 score points under
// sesame) and the mean absolute difference about 0.01 points. A score 1
// point off is one whose unrounded value sits within the errors above of
// a rounding edge.
//
// What-if answers carry the same bounds (the overlay is pushed to the
// same residual bounds over the live state, which is within them): the
// unrounded score within 0.02 + 600·c·Δpct/100 of a full run on the
// changed data, well inside the 0.5 points a what-if is held to
// (TestWhatIf checks it against a full run).
//
// # What-if and advice
//
// WhatIf applies hypothetical changes to an overlay (state.overlay): the
// values and rows the pushes touch are copied into maps, the live arrays
// are only read, and the overlay is dropped afterwards. Advice tries
// actions on one's own record through WhatIf and ranks them by the
// points gained; it never touches ties (scoring.Policy.AdviseOnTies is
// false by default, and no tie advice exists).
package live
