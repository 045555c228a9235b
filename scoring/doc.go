// Package scoring computes socialscore's scores: the five pillars of a
// person's own record, network propagation s = (1-α)b + αWs, PageRank
// centrality (LDBC Graphalytics definition), the policy's combination into
// a 350–950 score, perks and friend gates, and explanations.
//
// A run (ScoreSnapshot) goes through five phases over a graph.Snapshot:
//
//	pillars      PillarsOf / ComputePillars, b = Σ w_k·pillar_k
//	propagation  Propagate: s = (1−α)b + αWs, Jacobi on the CSR arrays
//	pagerank     PageRank: pull-based CSR kernel, d = 0.85, dangling mass spread uniformly
//	percentiles  Percentiles: mid-rank percentile of PageRank, one radix sort
//	finalize     Score = clamp(round(350 + 600·((1−c)s + c·pct/100) − penalty)), friends' means
//
// ScoreArrays runs the same phases and keeps their outcome as arrays
// (Scored: 36 bytes a person); Scored.Result recomputes the rest of a
// person's graph.Result from the snapshot, equal to ScoreSnapshot's. A
// Runner streams results so to a store that takes them one at a time
// (StreamSaver), and keeps no read view when NoView is set (the score
// command).
//
// The formulas of the model are written once, as functions over arrays
// in person order (model.go), which ScoreSnapshot, the shock experiments
// of scoring/contagion and the policy lab of scoring/simulate all call:
// PillarsIn (pillars with the active recruits), InvStrength,
// PropagationRow and PropagationRows (rows of the propagation; PropagateCSR and
// RefinePropagation solve it over a graph.CSR, checking a context),
// PageRank and Percentiles, FinalValue, RoundScore and ClampScore (the
// combination) and Policy.FriendPenalty (the friend-default penalty).
//
// Explain turns a graph.Result back into points per component (summing to
// the score), at most four reasons with stable codes, the band and the
// perks.
//
// Policies are data (JSON or YAML, strictly decoded: LoadPolicy,
// ParsePolicy); the presets of docs/architecture.md, section "Policies",
// are built in (Presets, Preset).
//
// Centralities gives the betweenness and closeness of the people of an ego
// network (the researcher's network view), equal to NetworkX's
// betweenness_centrality and closeness_centrality with their defaults.
//
// # gonum, and where it runs
//
// gonum computes the ego-network centralities: Centralities runs
// network.Betweenness (Brandes) and network.Closeness (over
// path.DijkstraAllPaths) on the ego network's friendship arrays. gonum
// reads them in place through an unexported adapter (gonum.go) that
// implements its graph interfaces on CSR arrays, without copying into
// map-based graphs; gonum types never leave this package. Its answers are
// tested against NetworkX's on the karate club and an ego-Facebook ego
// network (testdata/).
//
// The whole-network computations, PageRank and propagation, run on this
// package's CSR kernels, which are tested against gonum: PageRank against
// network.PageRank and network.PageRankSparse through the same adapter,
// propagation against dense LU solves with gonum/mat; and against the LDBC
// Graphalytics validation outputs and the karate club references in
// testdata/. The reason is measured: BenchmarkPageRankCSR and
// BenchmarkPageRankGonum, in one run (-benchmem) on the synthetic network
// of 100k people (≈500k friendships) that BenchmarkScoreSnapshot scores:
//
//	                                 time a call   memory   allocations   max relative error
//	CSR kernel, 1 worker             0.36–0.51 s   4.8 MB   124           3.5e-9
//	gonum PageRankSparse, tol 1e-9   10–12 s       84 MB    1.66 million  2.7e-5
//	gonum PageRankSparse, tol 1e-12  11–12 s       84 MB    1.66 million  2.7e-8
//
// (a shared 2-core machine under load: times vary by run, the ratio stays
// 15–25×; an earlier run gave 0.15 s against 2.5 s). gonum holds every node
// as an interface value and every rank in a map, starts from a random
// vector without acceleration, and is single-threaded; the kernel streams
// the CSR arrays (Chebyshev-accelerated, 37 iterations) and can split
// them between workers. Whole-network runs are repeated for 100k–1M
// people, so they stay on the kernels. An ego network is small
// (MaxCentralityPeople), where gonum's clarity is worth its cost
// (BenchmarkCentralities).
//
// Sources: Page & Brin, "The anatomy of a large-scale hypertextual Web
// search engine" (1998); the LDBC Graphalytics specification, section
// "PageRank"; Friedkin & Johnsen, "Social influence and opinions" (1990);
// Wei, Yildirim, Van den Bulte & Dellarocas, "Credit Scoring with Social
// Network Data", Marketing Science 35(2) (2016).
package scoring
