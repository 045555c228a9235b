// Package community finds communities in socialscore's friendship network
// and reports network metrics of a scored snapshot.
//
//   - CDLP is community detection by label propagation exactly as the LDBC
//     Graphalytics benchmark defines it (synchronous, most frequent label,
//     smallest label on ties), checked against every CDLP validation graph
//     Graphalytics publishes. It is linear per iteration and runs at any
//     size.
//   - Louvain is the multi-level modularity optimisation of Blondel,
//     Guillaume, Lambiotte & Lefebvre (J. Stat. Mech. P10008, 2008) on CSR
//     arrays, deterministic given a seed, with its modularity checked
//     against gonum's community.Q and its quality against gonum's
//     community.Modularize on small graphs.
//   - Report gathers, for a snapshot and its scores, score assortativity,
//     clustering, components and the degree distribution (computed by
//     package netstat) and the communities found by both methods with the
//     size and mean score of the largest ones.
//
// Everything here works on the int32 CSR arrays of graph.Snapshot; gonum
// is used only in tests, as the independent reference.
package community
