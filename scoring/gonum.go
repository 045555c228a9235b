package scoring

import (
	"slices"

	gograph "gonum.org/v1/gonum/graph"

	"github.com/socialscore/socialscore/graph"
)

// csrGraph presents a CSR graph to gonum's graph interfaces without
// copying it: node IDs are the vertex indices 0..N-1, From(u) iterates
// targets[offsets[u]:offsets[u+1]] in place and To(v) the in-neighbour
// rows. For a graph.Snapshot both are the friendship arrays themselves (each
// friendship is listed in both directions), so the snapshot is an
// undirected graph seen as a symmetric directed one, which is what gonum's
// network.PageRank expects. Edge weights are not exposed (the type is not a
// gonum graph.Weighted), so gonum computes the unweighted PageRank, as LDBC
// Graphalytics defines it. Neighbour lists must be ascending (the snapshot
// guarantees it) for HasEdgeFromTo's binary search.
//
// Centralities runs gonum's betweenness and closeness on it (over an ego
// network's own CSR arrays); the tests run gonum's PageRank on it
// (snapshotGraph, directedCSRGraph) as the reference for the CSR kernel.
type csrGraph struct {
	out, outTargets []int32 // out-neighbours
	in, inTargets   []int32 // in-neighbours
	// boxed, when set (withBoxedNodes), holds every vertex as a
	// gonum.Node interface value, so that handing a node to gonum does not
	// allocate (boxing a csrNode ≥ 256 does).
	boxed []gograph.Node
}

var _ gograph.Directed = csrGraph{}

// snapshotGraph returns the gonum view of the snapshot's friendships. The
// tests and BenchmarkPageRankGonum use it.
func snapshotGraph(s *graph.Snapshot) csrGraph {
	return csrGraph{out: s.Offsets, outTargets: s.Targets, in: s.Offsets, inTargets: s.Targets}
}

// directedCSRGraph returns the gonum view of a directed CSR graph; it
// builds the in-neighbour arrays once. Only the tests use it, to check the
// directed PageRank kernel against gonum.
func directedCSRGraph(offsets, targets []int32) csrGraph {
	for u := 0; u+1 < len(offsets); u++ {
		if !slices.IsSorted(targets[offsets[u]:offsets[u+1]]) {
			panic("scoring: directedCSRGraph: neighbour lists must be ascending")
		}
	}
	in, inTargets := transpose(offsets, targets)
	return csrGraph{out: offsets, outTargets: targets, in: in, inTargets: inTargets}
}

// withBoxedNodes returns g with a table of its nodes as interface values
// (16 bytes a vertex), for algorithms that visit nodes many times.
func (g csrGraph) withBoxedNodes() csrGraph {
	g.boxed = make([]gograph.Node, g.len())
	for i := range g.boxed {
		g.boxed[i] = csrNode(i)
	}
	return g
}

// node returns vertex id as a gonum node.
func (g csrGraph) node(id int64) gograph.Node {
	if g.boxed != nil {
		return g.boxed[id]
	}
	return csrNode(id)
}

func (g csrGraph) len() int64 { return int64(len(g.out) - 1) }

func (g csrGraph) has(id int64) bool { return id >= 0 && id < g.len() }

// Node returns the node with the id, or nil.
func (g csrGraph) Node(id int64) gograph.Node {
	if !g.has(id) {
		return nil
	}
	return g.node(id)
}

// Nodes returns all nodes, ascending.
func (g csrGraph) Nodes() gograph.Nodes {
	if g.len() == 0 {
		return gograph.Empty
	}
	return &nodeRange{n: g.len(), next: -1, g: g}
}

// From returns the out-neighbours of the node.
func (g csrGraph) From(id int64) gograph.Nodes {
	if !g.has(id) || g.out[id] == g.out[id+1] {
		return gograph.Empty
	}
	return &nodeList{ids: g.outTargets[g.out[id]:g.out[id+1]], pos: -1, boxed: g.boxed}
}

// To returns the in-neighbours of the node.
func (g csrGraph) To(id int64) gograph.Nodes {
	if !g.has(id) || g.in[id] == g.in[id+1] {
		return gograph.Empty
	}
	return &nodeList{ids: g.inTargets[g.in[id]:g.in[id+1]], pos: -1, boxed: g.boxed}
}

// HasEdgeFromTo reports whether there is an edge u→v.
func (g csrGraph) HasEdgeFromTo(uid, vid int64) bool {
	if !g.has(uid) || !g.has(vid) {
		return false
	}
	_, ok := slices.BinarySearch(g.outTargets[g.out[uid]:g.out[uid+1]], int32(vid))
	return ok
}

// HasEdgeBetween reports whether there is an edge x→y or y→x.
func (g csrGraph) HasEdgeBetween(xid, yid int64) bool {
	return g.HasEdgeFromTo(xid, yid) || g.HasEdgeFromTo(yid, xid)
}

// Edge returns the edge u→v, or nil.
func (g csrGraph) Edge(uid, vid int64) gograph.Edge {
	if !g.HasEdgeFromTo(uid, vid) {
		return nil
	}
	return csrEdge{from: csrNode(uid), to: csrNode(vid)}
}

// csrNode is a vertex index as a gonum node.
type csrNode int64

func (n csrNode) ID() int64 { return int64(n) }

// csrEdge is an unweighted directed edge.
type csrEdge struct{ from, to csrNode }

func (e csrEdge) From() gograph.Node         { return e.from }
func (e csrEdge) To() gograph.Node           { return e.to }
func (e csrEdge) ReversedEdge() gograph.Edge { return csrEdge{from: e.to, to: e.from} }

// nodeRange iterates the nodes 0..n-1.
type nodeRange struct {
	n, next int64
	g       csrGraph
}

func (it *nodeRange) Next() bool {
	if it.next+1 >= it.n {
		it.next = it.n
		return false
	}
	it.next++
	return true
}
func (it *nodeRange) Len() int           { return int(it.n - min(it.next+1, it.n)) }
func (it *nodeRange) Reset()             { it.next = -1 }
func (it *nodeRange) Node() gograph.Node { return it.node() }
func (it *nodeRange) node() gograph.Node {
	if it.next < 0 || it.next >= it.n {
		return nil
	}
	return it.g.node(it.next)
}

// nodeList iterates a slice of vertex indices in place.
type nodeList struct {
	ids   []int32
	pos   int
	boxed []gograph.Node // the graph's node table, or nil
}

func (it *nodeList) Next() bool {
	if it.pos+1 >= len(it.ids) {
		it.pos = len(it.ids)
		return false
	}
	it.pos++
	return true
}
func (it *nodeList) Len() int { return len(it.ids) - min(it.pos+1, len(it.ids)) }
func (it *nodeList) Reset()   { it.pos = -1 }
func (it *nodeList) Node() gograph.Node {
	if it.pos < 0 || it.pos >= len(it.ids) {
		return nil
	}
	if it.boxed != nil {
		return it.boxed[it.ids[it.pos]]
	}
	return csrNode(it.ids[it.pos])
}
