package live

import (
	"math"
	"slices"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

// state is the live network and the solutions kept in residual form. The
// live Engine owns one written in place; a what-if works on an overlay of
// it (state.overlay) whose writes stay in maps.
type state struct {
	pol      scoring.Policy
	alpha, d float64 // contagion α and PageRank damping
	epsS     float64 // propagation: push while |r_u| > epsS
	epsP     float64 // PageRank: push while |ry_u| > epsP·max(1, deg u)

	present   layered[bool]
	rec       layered[graph.Record]
	prof      layered[graph.Profile]
	recruiter layered[int32] // position of one's recruiter, −1 if none
	friends   *adjacency
	recruits  *adjacency // rows hold everyone ever recruited; only present ones count

	b, s, rs  layered[float64] // individual value, network value, residual of s
	inv       layered[float64] // InvStrength of each row
	y, ry     layered[float64] // unnormalised PageRank and its residual
	key       layered[uint64]  // PercentileKey(y) of present people
	inQueue   layered[bool]
	rank      rankIndex
	n         int     // people present
	sumY      float64 // Σ y over present people
	gather    []float64
	queue     []int32
	touchedPR []int32
	pushes    int64 // people taken off the queue (statistics)
	pushesS   int64 // propagation pushes
	pushesY   int64 // PageRank pushes
}

// overlay returns a state over st whose writes never reach st.
func (st *state) overlay() *state {
	o := *st
	o.present = st.present.overlay()
	o.rec = st.rec.overlay()
	o.prof = st.prof.overlay()
	o.recruiter = st.recruiter.overlay()
	o.friends = st.friends.overlay()
	o.recruits = st.recruits.overlay()
	o.b, o.s, o.rs = st.b.overlay(), st.s.overlay(), st.rs.overlay()
	o.inv = st.inv.overlay()
	o.y, o.ry = st.y.overlay(), st.ry.overlay()
	o.key = st.key.overlay()
	o.inQueue = st.inQueue.overlay()
	o.rank = &rankOverlay{base: st.rank}
	o.gather, o.queue, o.touchedPR = nil, nil, nil
	return &o
}

// oneRow returns row r as a one-row CSR whose targets are 0..k−1, and x
// the values of s at r's targets: PropagationRow over it with u = 0 is
// the propagation row of the person (scoring computes it; see
// scoring.PropagationRow).
func (st *state) oneRow(r row, x *layered[float64]) (graph.CSR, []float64) {
	k := len(r.t)
	var gathered []float64
	if x != nil { // writers only: gather is the state's scratch
		st.gather = st.gather[:0]
		for _, t := range r.t {
			st.gather = append(st.gather, x.get(t))
		}
		gathered = st.gather
	}
	return graph.CSR{Offsets: []int32{0, int32(k)}, Targets: seq(k), Weights: r.w}, gathered
}

// iotaBuf is 0,1,2,...: the targets of one-row CSRs (read only).
var iotaBuf = func() []int32 {
	s := make([]int32, 1<<16)
	for i := range s {
		s[i] = int32(i)
	}
	return s
}()

// seq returns 0..k−1 (shared; never written).
func seq(k int) []int32 {
	if k <= len(iotaBuf) {
		return iotaBuf[:k:k]
	}
	s := make([]int32, k)
	for i := range s {
		s[i] = int32(i)
	}
	return s
}

// invOf is scoring.InvStrength of row r.
func (st *state) invOf(r row) float64 {
	c, _ := st.oneRow(r, nil)
	return scoring.InvStrength(&c, 0)
}

// propRow is scoring.PropagationRow of person u with the current s.
func (st *state) propRow(u int32) float64 {
	c, x := st.oneRow(st.friends.get(u), &st.s)
	return scoring.PropagationRow(&c, []float64{st.inv.get(u)}, []float64{st.b.get(u)}, x, st.alpha, 0)
}

// pillars returns the pillars of person u (scoring.PillarsOf, recruits
// counted by scoring.ActiveRecruits among the present ones).
func (st *state) pillars(u int32) graph.Pillars {
	r := st.recruits.get(u)
	c := graph.CSR{Offsets: []int32{0, int32(len(r.t))}, Targets: r.t}
	active := scoring.ActiveRecruits(&c, 0, func(j int32) bool { return st.present.get(j) && st.rec.get(j).Active() })
	return scoring.PillarsOf(st.rec.get(u), st.prof.get(u), active)
}

// refreshB recomputes b_u from the record and the residual of s_u, and
// queues u for a push.
func (st *state) refreshB(u int32) {
	st.b.set(u, st.pol.Weights.Combine(st.pillars(u)))
	st.resetResidualS(u)
}

func (st *state) resetResidualS(u int32) {
	st.rs.set(u, st.propRow(u)-st.s.get(u))
	st.enqueue(u)
}

func (st *state) enqueue(u int32) {
	if !st.inQueue.get(u) {
		st.inQueue.set(u, true)
		st.queue = append(st.queue, u)
	}
}

func (st *state) prThreshold(deg int) float64 {
	return st.epsP * float64(max(deg, 1))
}

// settle pushes the residuals of s and y of the queued people (and of
// whoever they pass residual to) until every |r_u| ≤ epsS and every
// |ry_u| ≤ epsP·max(1, deg u): Gauss–Southwell / forward push (Andersen,
// Chung & Lang 2006), as Ohsaka et al. (KDD 2015) and Zhang, Lofgren &
// Goel (KDD 2016) track PageRank on evolving graphs. Then the percentile
// keys of the people whose y moved are updated.
func (st *state) settle() {
	for head := 0; head < len(st.queue); head++ { // FIFO: sweeps, not depth first
		u := st.queue[head]
		st.inQueue.set(u, false)
		st.pushes++
		if !st.present.get(u) {
			continue
		}
		fr := st.friends.get(u)
		deg := len(fr.t)
		// Propagation: s_u += r_u; each friend w gets α·W_wu·r_u.
		if r := st.rs.get(u); math.Abs(r) > st.epsS {
			st.pushesS++
			st.s.set(u, st.s.get(u)+r)
			st.rs.set(u, 0)
			if st.inv.get(u) != 0 {
				for k, w := range fr.t {
					nr := st.rs.get(w) + st.alpha*float64(fr.weight(k))*st.inv.get(w)*r
					st.rs.set(w, nr)
					if math.Abs(nr) > st.epsS {
						st.enqueue(w)
					}
				}
			}
		}
		// PageRank: y_u += ry_u; each friend w gets d·ry_u/deg u.
		if r := st.ry.get(u); math.Abs(r) > st.prThreshold(deg) || (deg == 0 && r != 0) {
			if deg == 0 {
				// No friends: y_u = 1−d exactly, as the full run gives all
				// isolated people one value (their ties stay ties).
				r = (1 - st.d) - st.y.get(u)
				st.y.set(u, 1-st.d)
			} else {
				st.y.set(u, st.y.get(u)+r)
			}
			st.pushesY++
			st.sumY += r
			st.ry.set(u, 0)
			st.touchedPR = append(st.touchedPR, u)
			if deg > 0 {
				inc := st.d * r / float64(deg)
				for _, w := range fr.t {
					nr := st.ry.get(w) + inc
					st.ry.set(w, nr)
					if math.Abs(nr) > st.prThreshold(len(st.friends.get(w).t)) {
						st.enqueue(w)
					}
				}
			}
		}
	}
	st.queue = st.queue[:0]
	for _, u := range st.touchedPR {
		st.rekey(u)
	}
	st.touchedPR = st.touchedPR[:0]
}

// rekey moves u's percentile key to that of its current y.
func (st *state) rekey(u int32) {
	if !st.present.get(u) {
		return
	}
	k := scoring.PercentileKey(st.y.get(u))
	if old := st.key.get(u); old != k {
		st.rank.remove(old)
		st.rank.insert(k)
		st.key.set(u, k)
	}
}

// setTie adds the friendship u–v with weight w, changes its weight, or
// (remove) removes it, and updates W, the residuals at the rows it
// changes, then settles. It reports whether anything changed.
func (st *state) setTie(u, v int32, w float32, remove bool) bool {
	ru, rv := st.friends.get(u), st.friends.get(v)
	had := ru.find(v) >= 0
	if remove && !had {
		return false
	}
	var nu, nv row
	if remove {
		nu, nv = ru.withoutArc(v), rv.withoutArc(u)
	} else {
		nu, _ = ru.withArc(v, w)
		nv, _ = rv.withArc(u, w)
	}
	if had && !remove {
		if k := ru.find(v); ru.weight(k) == w {
			return false
		}
	}
	// PageRank: only the degrees and arcs matter (weights are ignored).
	if !had || remove {
		st.prArcChange(u, v, ru, len(nu.t), remove)
		st.prArcChange(v, u, rv, len(nv.t), remove)
	}
	st.friends.set(u, nu)
	st.friends.set(v, nv)
	// Propagation: rows u and v of W changed; recompute their residuals.
	st.inv.set(u, st.invOf(nu))
	st.inv.set(v, st.invOf(nv))
	st.resetResidualS(u)
	st.resetResidualS(v)
	st.settle()
	return true
}

// prArcChange updates the PageRank residuals for u's degree going from
// len(old.t) to newDeg with the arc u→v added or removed:
// ry_x = (1−d) + d·Σ_{z~x} y_z/deg z − y_x, so every old friend x ≠ v of u
// gets d·y_u·(1/newDeg − 1/oldDeg), and v gains d·y_u/newDeg (added) or
// loses d·y_u/oldDeg (removed).
func (st *state) prArcChange(u, v int32, old row, newDeg int, remove bool) {
	inv := func(k int) float64 {
		if k == 0 {
			return 0
		}
		return 1 / float64(k)
	}
	yu := st.y.get(u)
	oldDeg := len(old.t)
	if delta := st.d * yu * (inv(newDeg) - inv(oldDeg)); delta != 0 {
		for _, x := range old.t {
			if x == v {
				continue
			}
			st.ry.set(x, st.ry.get(x)+delta)
			st.enqueue(x)
		}
	}
	if remove {
		st.ry.set(v, st.ry.get(v)-st.d*yu*inv(oldDeg))
	} else {
		st.ry.set(v, st.ry.get(v)+st.d*yu*inv(newDeg))
	}
	st.enqueue(v)
	st.enqueue(u)
}

// setRecord replaces u's record and profile and repairs b of u and of u's
// recruiter (whose recruitment pillar counts u while u is active).
func (st *state) setRecord(u int32, rec graph.Record, prof graph.Profile) {
	wasActive := st.rec.get(u).Active()
	st.rec.set(u, rec)
	st.prof.set(u, prof)
	st.refreshB(u)
	if r := st.recruiter.get(u); r >= 0 && wasActive != rec.Active() && st.present.get(r) {
		st.refreshB(r)
	}
	st.settle()
}

// setRecruit records (or, remove, drops) that a recruited b, and
// repairs a's b (the recruitment pillar counts b while b is present and
// active) with a push from a. A recruit has one recruiter: a recruitment
// of b by someone else replaces the old one (the stores refuse a second
// recruiter, so the view only sees this after the old one was removed).
func (st *state) setRecruit(a, b int32, remove bool) {
	old := st.recruiter.get(b)
	if remove {
		if old != a {
			return
		}
		st.recruiter.set(b, -1)
	} else {
		if old == a && st.recruits.get(a).find(b) >= 0 {
			return
		}
		if old >= 0 && old != a {
			st.setRecruit(old, b, true)
		}
		st.recruiter.set(b, a)
	}
	r := st.recruits.get(a)
	if remove {
		st.recruits.set(a, r.withoutArc(b))
	} else if r.find(b) < 0 {
		st.recruits.set(a, row{t: append(slices.Clone(r.t), b)})
	}
	if st.present.get(a) {
		st.refreshB(a)
		st.settle()
	}
}

// percentile returns u's mid-rank PageRank percentile among the people
// present (scoring.MidRankPercentile over the order-statistic structure).
func (st *state) percentile(u int32) float64 {
	k := st.key.get(u)
	less := st.rank.less(k)
	return scoring.MidRankPercentile(less, st.rank.lessEq(k)-less, st.n)
}

// penalty returns u's friend-default penalty (scoring.Policy.Defaulted
// and FriendPenalty over u's friends). Defaulted is asked one friend at a
// time, so a read copies no records (a friend with thousands of friends
// would otherwise copy thousands per score read).
func (st *state) penalty(fr row) float64 {
	var one [1]graph.Record
	var flag [1]bool
	if st.pol.Defaulted(one[:0], flag[:0]) == nil {
		return 0 // the policy has no friend-default penalty
	}
	defaulted := make([]bool, len(fr.t))
	for k, j := range fr.t {
		one[0] = st.rec.get(j)
		defaulted[k] = st.pol.Defaulted(one[:], flag[:])[0]
	}
	return st.pol.FriendPenalty(seq(len(fr.t)), defaulted)
}

// finalValue is scoring.FinalValue of u, unrounded.
func (st *state) finalValue(u int32) float64 {
	return scoring.FinalValue(st.s.get(u), st.percentile(u), st.penalty(st.friends.get(u)), st.pol.Centrality)
}

// result returns u's result as a full run would store it, from the live
// solutions; FriendMean is over the friends' live scores.
func (st *state) result(u int32, id graph.ID) graph.Result {
	fr := st.friends.get(u)
	pct := st.percentile(u)
	b := st.b.get(u)
	res := graph.Result{
		ID:         id,
		Pillars:    st.pillars(u),
		Base:       b,
		Individual: scoring.IndividualScore(b),
		Network:    st.s.get(u),
		PageRank:   st.y.get(u) / st.sumY,
		Percentile: pct,
		Score:      scoring.RoundScore(scoring.FinalValue(st.s.get(u), pct, st.penalty(fr), st.pol.Centrality)),
		Friends:    int32(len(fr.t)),
	}
	scores := make([]int32, len(fr.t))
	for k, j := range fr.t {
		scores[k] = int32(scoring.RoundScore(st.finalValue(j)))
	}
	c, _ := st.oneRow(fr, nil)
	res.FriendMean = scoring.FriendMean(c.Targets, scores)
	return res
}
