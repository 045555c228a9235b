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
// Explain turns a graph.Result back into points per component (summing to
// the score), at most four reasons with stable codes, the band and the
// perks.
//
// Policies are data (JSON or YAML, strictly decoded: LoadPolicy,
// ParsePolicy); the presets of DESIGN.md are built in (Presets, Preset).
//
// gonum does graph work through interfaces implemented directly on the
// snapshot's CSR arrays (an unexported adapter, no copying into map-based
// graphs); the CSR kernels used at scale are tested against gonum on small
// graphs, against dense linear solves, and against the LDBC Graphalytics
// validation outputs and the karate club references in testdata/.
// gonum types never leave this package.
//
// Sources: Page & Brin, "The anatomy of a large-scale hypertextual Web
// search engine" (1998); the LDBC Graphalytics specification, section
// "PageRank"; Friedkin & Johnsen, "Social influence and opinions" (1990);
// Wei, Yildirim, Van den Bulte & Dellarocas, "Credit Scoring with Social
// Network Data", Marketing Science 35(2) (2016).
package scoring
