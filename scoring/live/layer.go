package live

import "slices"

// layered is a per-person array that either is written in place (the
// live state: over is nil) or reads through to another array and keeps
// its own writes in a map (a what-if overlay: copy-on-write of the
// touched entries, the array below untouched).
type layered[T any] struct {
	base *[]T
	over map[int32]T
}

func (l *layered[T]) get(i int32) T {
	if l.over != nil {
		if v, ok := l.over[i]; ok {
			return v
		}
	}
	return (*l.base)[i]
}

func (l *layered[T]) set(i int32, v T) {
	if l.over != nil {
		l.over[i] = v
		return
	}
	(*l.base)[i] = v
}

// overlay returns a layer over l whose writes stay in the layer.
func (l *layered[T]) overlay() layered[T] {
	return layered[T]{base: l.base, over: map[int32]T{}}
}

// row is one person's friends (positions) with the tie weights, or
// weights nil when every weight is 1.
type row struct {
	t []int32
	w []float32
}

func (r row) weight(k int) float32 {
	if r.w == nil {
		return 1
	}
	return r.w[k]
}

func (r row) find(v int32) int {
	return slices.Index(r.t, v)
}

// adjacency is a mutable adjacency over a CSR: rows changed since the
// CSR was taken live in a map (copied on first change), the others are
// read from the CSR's arrays. An overlay (what-if) has a parent and keeps
// its own changed rows; the parent is never written.
type adjacency struct {
	offsets []int32
	targets []int32
	weights []float32
	changed []bool // live state: rows that are in over
	over    map[int32]row
	parent  *adjacency
}

func (a *adjacency) get(u int32) row {
	if a.parent != nil {
		if r, ok := a.over[u]; ok {
			return r
		}
		return a.parent.get(u)
	}
	if int(u) < len(a.changed) && !a.changed[u] && int(u)+1 < len(a.offsets) {
		lo, hi := a.offsets[u], a.offsets[u+1]
		r := row{t: a.targets[lo:hi]}
		if a.weights != nil {
			r.w = a.weights[lo:hi]
		}
		return r
	}
	return a.over[u]
}

func (a *adjacency) set(u int32, r row) {
	if a.parent == nil && int(u) < len(a.changed) {
		a.changed[u] = true
	}
	a.over[u] = r
}

func (a *adjacency) overlay() *adjacency {
	return &adjacency{parent: a, over: map[int32]row{}}
}

// withArc returns a copy of r with v at weight w (added, or its weight
// replaced), and whether v was new.
func (r row) withArc(v int32, w float32) (row, bool) {
	k := r.find(v)
	t := slices.Clone(r.t)
	var ws []float32
	if r.w != nil || w != 1 {
		ws = make([]float32, len(r.t), len(r.t)+1)
		for i := range r.t {
			ws[i] = r.weight(i)
		}
	}
	if k >= 0 {
		if ws != nil {
			ws[k] = w
		}
		return row{t: t, w: ws}, false
	}
	t = append(t, v)
	if ws != nil {
		ws = append(ws, w)
	}
	return row{t: t, w: ws}, true
}

// withoutArc returns a copy of r without v (r itself if v is absent).
func (r row) withoutArc(v int32) row {
	k := r.find(v)
	if k < 0 {
		return r
	}
	out := row{t: slices.Delete(slices.Clone(r.t), k, k+1)}
	if r.w != nil {
		out.w = slices.Delete(slices.Clone(r.w), k, k+1)
	}
	return out
}
