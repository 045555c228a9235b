package simulate

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/seed"
)

// The network edits of a round: ties dropped and formed on the model's
// adjacency lists, and the CSR the scoring kernels read rebuilt from them.

// pair is a tie: undirected with u < v (mkPair), or directed (u drops v).
type pair struct{ u, v int32 }

func mkPair(a, b int32) pair {
	if a > b {
		a, b = b, a
	}
	return pair{a, b}
}

func comparePairs(a, b pair) int {
	if c := cmp.Compare(a.u, b.u); c != 0 {
		return c
	}
	return cmp.Compare(a.v, b.v)
}

// weight returns the weight of the k-th friend of u.
func (m *Model) weight(u int32, k int) float64 {
	if m.wts == nil {
		return 1
	}
	return float64(m.wts[u][k])
}

func (m *Model) removeTie(u, v int32) {
	m.removeHalf(u, v)
	m.removeHalf(v, u)
	m.touched[u], m.touched[v] = true, true
}

func (m *Model) removeHalf(u, v int32) {
	k, found := slices.BinarySearch(m.adj[u], v)
	if !found {
		panic(fmt.Sprintf("simulate: removing tie %d-%d that does not exist", u, v))
	}
	m.adj[u] = slices.Delete(m.adj[u], k, k+1)
	if m.wts != nil {
		m.wts[u] = slices.Delete(m.wts[u], k, k+1)
	}
}

func (m *Model) addTie(u, v int32) {
	m.addHalf(u, v)
	m.addHalf(v, u)
	m.touched[u], m.touched[v] = true, true
}

func (m *Model) addHalf(u, v int32) {
	k, found := slices.BinarySearch(m.adj[u], v)
	if found {
		panic(fmt.Sprintf("simulate: adding tie %d-%d that exists", u, v))
	}
	m.adj[u] = slices.Insert(m.adj[u], k, v)
	if m.wts != nil {
		m.wts[u] = slices.Insert(m.wts[u], k, 1)
	}
}

// rebuildCSR lays the current friendships out as a CSR, as
// graph.SnapshotOf lays out a snapshot.
func (m *Model) rebuildCSR() {
	if cap(m.offsets) < m.n+1 {
		m.offsets = make([]int32, m.n+1)
	}
	m.offsets = m.offsets[:m.n+1]
	total := 0
	for i, row := range m.adj {
		m.offsets[i] = int32(total)
		total += len(row)
	}
	m.offsets[m.n] = int32(total)
	if cap(m.targets) < total {
		m.targets = make([]int32, total, total+total/8)
	}
	m.targets = m.targets[:total]
	for i, row := range m.adj {
		copy(m.targets[m.offsets[i]:], row)
	}
	if m.wts != nil {
		if cap(m.weights) < total {
			m.weights = make([]float32, total, total+total/8)
		}
		m.weights = m.weights[:total]
		for i, row := range m.wts {
			copy(m.weights[m.offsets[i]:], row)
		}
	} else {
		m.weights = nil
	}
}

// friends returns the current friendships as a CSR (the model's arrays,
// valid until the next rebuildCSR).
func (m *Model) friends() graph.CSR {
	return graph.CSR{Offsets: m.offsets, Targets: m.targets, Weights: m.weights}
}

// Snapshot returns the current network and records as a new snapshot (no
// memory shared with the model), in the form a store would return: the
// same ids, recruitments and profiles as the start, the current
// friendships and records.
func (m *Model) Snapshot() *graph.Snapshot {
	s := &graph.Snapshot{
		IDs:            slices.Clone(m.ids),
		Offsets:        slices.Clone(m.offsets),
		Targets:        slices.Clone(m.targets),
		RecruitOffsets: slices.Clone(m.recOff),
		RecruitTargets: slices.Clone(m.recTgt),
		Records:        slices.Clone(m.records),
		Profiles:       slices.Clone(m.profiles),
		TakenAt:        seed.DefaultNow,
	}
	if m.weights != nil {
		s.Weights = slices.Clone(m.weights)
	}
	return s
}
