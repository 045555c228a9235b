package graph

import (
	"math"
)

// CSR is a graph over the vertices 0..n−1 in compressed sparse row form:
// the out-neighbours of v are Targets[Offsets[v]:Offsets[v+1]], with the
// tie weights parallel to Targets in Weights, or Weights nil when every
// weight is 1. Snapshot.Friends and Snapshot.Recruits are CSRs
// (FriendsCSR, RecruitsCSR); the scoring kernels, community detection and
// the policy lab read the same three arrays.
type CSR struct {
	Offsets []int32
	Targets []int32
	Weights []float32
}

// Validate reports whether the CSR is well formed over n vertices:
// len(Offsets) = n+1, Offsets[0] = 0, non-decreasing, ending at
// len(Targets), every target in [0,n), and Weights nil or one finite
// weight ≥ 0 per target. The error is a *ValidationError (wrapping
// ErrInvalid) whose field is "offsets", "targets" or "weights"; place it
// under the CSR's own name with Under. It is the one check of a CSR: the
// kernels that take one assume it passed and may panic otherwise.
func (c CSR) Validate(n int) error {
	offsets, targets := c.Offsets, c.Targets
	if n < 0 || len(offsets) != n+1 {
		return Invalid("offsets", "has length %d, want %d", len(offsets), n+1)
	}
	if offsets[0] != 0 {
		return Invalid("offsets", "must start at 0")
	}
	for i := 0; i < n; i++ {
		if offsets[i+1] < offsets[i] {
			return Invalid("offsets", "decreases at %d", i)
		}
	}
	if int(offsets[n]) != len(targets) {
		return Invalid("offsets", "ends at %d but there are %d targets", offsets[n], len(targets))
	}
	un := uint32(n)
	for k, t := range targets {
		if uint32(t) >= un {
			return Invalid("targets", "entry %d is %d, outside [0,%d)", k, t, n)
		}
	}
	if c.Weights != nil {
		if len(c.Weights) != len(targets) {
			return Invalid("weights", "has %d entries for %d targets", len(c.Weights), len(targets))
		}
		for k, w := range c.Weights {
			if !(w >= 0) || math.IsInf(float64(w), 0) {
				return Invalid("weights", "entry %d is %v, want a finite weight ≥ 0", k, w)
			}
		}
	}
	return nil
}

// FriendsCSR returns the friendship graph of the snapshot as a CSR
// (sharing the snapshot's arrays).
func (s *Snapshot) FriendsCSR() CSR {
	return CSR{Offsets: s.Offsets, Targets: s.Targets, Weights: s.Weights}
}

// RecruitsCSR returns the recruitments of the snapshot as a CSR (sharing
// the snapshot's arrays; unweighted).
func (s *Snapshot) RecruitsCSR() CSR {
	return CSR{Offsets: s.RecruitOffsets, Targets: s.RecruitTargets}
}

// Position returns the position of id in ids, which are strictly
// ascending (Snapshot.IDs, an IDSet, a scoring run's result ids), and
// whether it is there. Dense ids (id = first + position, the seeded case)
// are found, or found missing, without a search; otherwise it is a binary
// search. It is the one id → position lookup over sorted ids
// (IDSet.Index, Snapshot.Index, scoring's View.Index).
func Position(ids []ID, id ID) (int, bool) {
	n := len(ids)
	if n == 0 {
		return 0, false
	}
	first := ids[0]
	if off := uint64(int64(id) - int64(first)); off < uint64(n) && ids[off] == id {
		return int(off), true
	}
	if int64(ids[n-1])-int64(first) == int64(n-1) {
		return 0, false // dense: the test above was exact
	}
	lo, hi := 0, n // ids[lo−1] < id ≤ ids[hi]
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if ids[h] < id {
			lo = h + 1
		} else {
			hi = h
		}
	}
	if lo < n && ids[lo] == id {
		return lo, true
	}
	return 0, false
}
