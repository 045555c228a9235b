package seed

import (
	"math"
	"math/rand/v2"
	"slices"
)

// network is the friendship graph under construction, on indices 0..n-1.
type network struct {
	// adj[v] lists v's friends. The first entries of a newcomer's list are
	// the friends it made on arrival, all older than it.
	adj [][]int32
	// edges holds each friendship once as a pair (newer, older), in the
	// order they were made: edges[2i], edges[2i+1]. A uniform random entry
	// of edges is a person drawn with probability proportional to degree.
	edges []int32
}

// friendships returns the number of undirected friendships.
func (g *network) friendships() int { return len(g.edges) / 2 }

// holmeKim grows a Holme–Kim network of n people in which each newcomer
// makes m = meanDegree/2 friendships (⌊m⌋ or ⌈m⌉, ⌈m⌉ with probability
// m-⌊m⌋). It starts from a clique of ⌈m⌉+1 people (all n if fewer). For
// each newcomer v, the first friendship is by preferential attachment
// (PA): w is drawn with probability proportional to degree. Each further
// friendship is, with probability triad, a triad formation (TF) step
// joining v to a uniformly drawn friend of the last PA choice w not yet
// linked to v; otherwise, or when w has no such friend, another PA step.
// PA draws that hit someone already linked to v are redrawn, so there are
// no duplicate friendships, and degrees seen by PA are those before v
// arrived. This is the model of Holme & Kim (2002); triad = 0 is
// Barabási–Albert.
func holmeKim(n int, meanDegree, triad float64, rng *rand.Rand) *network {
	m := meanDegree / 2
	mLo := int(math.Floor(m))
	frac := m - float64(mLo)
	mHi := int(math.Ceil(m))
	m0 := min(n, mHi+1)

	// Most people end with a degree below 2⌈m⌉; give each a window of that
	// size in one arena so only hubs allocate on their own.
	per := min(2*mHi, n)
	arena := make([]int32, n*per)
	adj := make([][]int32, n)
	for v := range adj {
		adj[v] = arena[v*per : v*per : (v+1)*per]
	}
	want := m0*(m0-1) + 2*(n-m0)*mHi
	g := &network{adj: adj, edges: make([]int32, 0, want)}
	link := func(v, u int32) {
		g.adj[v] = append(g.adj[v], u)
		g.adj[u] = append(g.adj[u], v)
		g.edges = append(g.edges, v, u)
	}
	for v := 1; v < m0; v++ {
		for u := 0; u < v; u++ {
			link(int32(v), int32(u))
		}
	}
	for vi := m0; vi < n; vi++ {
		v := int32(vi)
		k := mLo
		if frac > 0 && rng.Float64() < frac {
			k++
		}
		older := len(g.edges) // PA draws only from the network before v
		w := int32(-1)
		for i := range k {
			if i > 0 && triad > 0 && rng.Float64() < triad {
				if u, ok := triadPick(g.adj[w], g.adj[v], v, rng); ok {
					link(v, u)
					continue
				}
			}
			for {
				u := g.edges[rng.IntN(older)]
				if !slices.Contains(g.adj[v], u) {
					w = u
					link(v, u)
					break
				}
			}
		}
	}
	return g
}

// triadPick draws a friend of w (whose friends are nw) who is neither v
// nor already a friend of v (whose friends are nv, a short list). It tries
// a few uniform draws, then scans from a random start; ok is false if
// every friend of w is taken.
func triadPick(nw, nv []int32, v int32, rng *rand.Rand) (int32, bool) {
	free := func(u int32) bool { return u != v && !slices.Contains(nv, u) }
	l := len(nw)
	if l == 0 {
		return 0, false
	}
	for range 4 {
		if u := nw[rng.IntN(l)]; free(u) {
			return u, true
		}
	}
	s := rng.IntN(l)
	for j := range l {
		if u := nw[(s+j)%l]; free(u) {
			return u, true
		}
	}
	return 0, false
}

// healthRounds is the number of smoothing rounds in latentHealth: enough
// for a person's health to reflect friends of friends of friends.
const healthRounds = 4

// latentHealth draws each person's latent financial health z, mean 0 and
// variance 1, correlated between friends. It draws ε and η iid N(0,1),
// smooths ε over the network healthRounds times with the lazy averaging
// operator S = (I + W)/2 (W averages over friends; a friendless person
// keeps their own value), standardises the result to s, and returns
//
//	z = √h·s + √(1-h)·η, re-standardised,
//
// so h is the share of the variance of health shared through the network
// and the correlation between two people's z is h times that of their s.
// With h = 0, z is independent noise.
func latentHealth(g *network, h float64, rng *rand.Rand) []float64 {
	n := len(g.adj)
	s := make([]float64, n)
	eta := make([]float64, n)
	for i := range s {
		s[i] = rng.NormFloat64()
		eta[i] = rng.NormFloat64()
	}
	if h > 0 {
		next := make([]float64, n)
		for range healthRounds {
			cur := s
			parallel((n+chunkSize-1)/chunkSize, func(c int) {
				for u := c * chunkSize; u < min(n, (c+1)*chunkSize); u++ {
					nb := g.adj[u]
					if len(nb) == 0 {
						next[u] = cur[u]
						continue
					}
					var sum float64
					for _, v := range nb {
						sum += cur[v]
					}
					next[u] = 0.5*cur[u] + 0.5*sum/float64(len(nb))
				}
			})
			s, next = next, s
		}
		standardise(s)
	}
	a, b := math.Sqrt(h), math.Sqrt(1-h)
	for i := range s {
		s[i] = a*s[i] + b*eta[i]
	}
	standardise(s)
	return s
}

// standardise shifts and scales x to mean 0 and variance 1 (population
// moments); a constant x becomes all zeros.
func standardise(x []float64) {
	var mean, sq float64
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		sq += (v - mean) * (v - mean)
	}
	sd := math.Sqrt(sq / float64(len(x)))
	if sd == 0 {
		sd = 1
	}
	for i := range x {
		x[i] = (x[i] - mean) / sd
	}
}

// Recruitment parameters.
const (
	// recruitAmongFriends is the probability that a recruit's recruiter is
	// drawn among the recruit's older friends (when there are any).
	recruitAmongFriends = 0.85
	// recruitPreferential is the probability that a recruiter from outside
	// the circle of friends is drawn in proportion to the recruits they
	// already have (Simon's rich-get-richer step) rather than uniformly.
	recruitPreferential = 0.5
)

// recruit picks who recruited whom. Each person v > 0 was recruited with
// probability share. Their recruiter is, with probability
// recruitAmongFriends, one of v's older friends drawn with weight
// 1 + (recruits so far); otherwise, with probability recruitPreferential,
// an earlier recruiter drawn in proportion to their recruits so far, or
// else a uniformly drawn older person. The result maps each index to its
// recruiter's index, or -1. Recruiters are always older (smaller index),
// so there are no cycles, and the cumulative advantage makes the number of
// recruits per recruiter heavy-tailed (Simon 1955).
func recruit(g *network, share float64, rng *rand.Rand) []int32 {
	n := len(g.adj)
	by := make([]int32, n)
	for i := range by {
		by[i] = -1
	}
	if share <= 0 {
		return by
	}
	count := make([]int32, n)
	var slots []int32 // one entry per recruitment, naming the recruiter
	var cands []int32
	for vi := 1; vi < n; vi++ {
		if rng.Float64() >= share {
			continue
		}
		v := int32(vi)
		cands = cands[:0]
		var total float64
		for _, u := range g.adj[v] {
			if u < v {
				cands = append(cands, u)
				total += 1 + float64(count[u])
			}
		}
		var r int32
		switch {
		case len(cands) > 0 && rng.Float64() < recruitAmongFriends:
			x := rng.Float64() * total
			r = cands[len(cands)-1]
			for _, u := range cands {
				x -= 1 + float64(count[u])
				if x < 0 {
					r = u
					break
				}
			}
		case len(slots) > 0 && rng.Float64() < recruitPreferential:
			r = slots[rng.IntN(len(slots))]
		default:
			r = int32(rng.IntN(vi))
		}
		by[v] = r
		count[r]++
		slots = append(slots, r)
	}
	return by
}
