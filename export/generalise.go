package export

import (
	"cmp"
	"slices"
	"strconv"
)

// Generalisation for researchers. A pseudonym alone does not make an
// export anonymous: every exact attribute a node carries (a score, a
// PageRank value, a pillar) is a quasi-identifier that joins the node back
// to the person in any other copy of the data, and an exact PageRank is
// unique to almost every node. Generalise keeps only coarse attributes
// (whether the person is scored, their score band, their hop from the
// centre) and then makes the export k-anonymous over them (Sweeney, 2002):
// every combination of those attributes that the export shows is shared
// by at least k nodes. A node whose combination is rarer loses attributes
// (first its hop, then its band: shown as "*") until it falls into a
// class of at least k, or into the class of fully suppressed nodes, which
// is itself grown to k by suppressing the next rarest nodes.
//
// What this does not protect against: the links. The structure of a
// network alone re-identifies people (Narayanan & Shmatikov, 2009, "De-
// anonymizing Social Networks"): a researcher who knows part of the graph
// can match it. That is why exports are role-restricted and audited, not
// published.

// DefaultK is the k of the k-anonymity researchers' exports are given.
const DefaultK = 5

// Suppressed is the value of a generalised attribute that was suppressed.
const Suppressed = "*"

// Generalise removes the exact attributes of every node and makes the
// remaining ones k-anonymous; it also drops the centre's pseudonym from an
// ego network's metadata (whoever asked knows the centre's real id) and any
// attached experiment. It reports how many nodes had attributes
// suppressed.
func Generalise(g *Graph, k int) int {
	g.Meta.Center = ""
	g.Meta.Experiment = nil
	g.Steps = nil
	g.Meta.Generalised = &GeneralisedMeta{K: k}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		n.Score, n.Individual, n.PageRank, n.Percentile, n.Pillars = 0, 0, 0, 0, nil
		n.Shocked, n.ShockHop, n.Delta, n.Steps = false, nil, nil, nil
		if n.Scored && n.Band == "" {
			n.Band = Suppressed
		}
		if n.Hop != nil {
			h := strconv.Itoa(*n.Hop)
			n.HopClass = h
			n.Hop = nil
		}
	}
	suppressed := 0
	// Step 1: drop the hop of nodes in small classes; step 2: their band.
	for _, drop := range []func(*Node) bool{
		func(n *Node) bool {
			if n.HopClass == "" || n.HopClass == Suppressed {
				return false
			}
			n.HopClass = Suppressed
			return true
		},
		func(n *Node) bool {
			if !n.Scored || n.Band == Suppressed {
				return false
			}
			n.Band = Suppressed
			return true
		},
	} {
		classes := classify(g.Nodes)
		for _, idx := range classes {
			if len(idx) >= k {
				continue
			}
			for _, i := range idx {
				if drop(&g.Nodes[i]) {
					suppressed++
				}
			}
		}
	}
	// Step 3: every class left under k is merged into the fully
	// suppressed class, and that class is grown to k from the smallest
	// remaining classes.
	for {
		classes := classify(g.Nodes)
		keys := make([]string, 0, len(classes))
		for key := range classes {
			keys = append(keys, key)
		}
		slices.SortFunc(keys, func(a, b string) int {
			if c := cmp.Compare(len(classes[a]), len(classes[b])); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		small := ""
		for _, key := range keys {
			if len(classes[key]) < k && !fullySuppressed(&g.Nodes[classes[key][0]]) {
				small = key
				break
			}
		}
		if small == "" {
			// Too few unscored people: whether they are scored is
			// suppressed too (scored true with band "*"), once there is a
			// suppressed class of scored people to merge them into.
			if un, ok := classes[classKey(&Node{Band: "", HopClass: hopOf(g, false)})]; ok && len(un) < k {
				if _, ok := classes[classKey(&Node{Scored: true, Band: Suppressed, HopClass: hopOf(g, true)})]; ok {
					for _, i := range un {
						g.Nodes[i].Scored, g.Nodes[i].Band = true, Suppressed
						suppressed++
					}
					continue
				}
				// No such class yet: fully suppress the smallest scored
				// class to make one.
				for _, key := range keys {
					if n := &g.Nodes[classes[key][0]]; n.Scored && !fullySuppressed(n) {
						small = key
						break
					}
				}
			}
		}
		if small == "" {
			// Only the fully suppressed class (per scored value) may
			// still be small: grow it from the smallest other class.
			grew := false
			for _, key := range keys {
				first := &g.Nodes[classes[key][0]]
				if len(classes[key]) >= k || !fullySuppressed(first) {
					continue
				}
				for _, other := range keys {
					o := &g.Nodes[classes[other][0]]
					if other == key || fullySuppressed(o) || o.Scored != first.Scored {
						continue
					}
					for _, i := range classes[other] {
						suppressAll(&g.Nodes[i])
						suppressed++
					}
					grew = true
					break
				}
				if grew {
					break
				}
			}
			if !grew {
				return suppressed
			}
			continue
		}
		for _, i := range classes[small] {
			suppressAll(&g.Nodes[i])
			suppressed++
		}
	}
}

// GeneralisedMeta says that an export was generalised, and to which k.
type GeneralisedMeta struct {
	K int `json:"k"`
}

// hopOf is the hop class of a fully suppressed node of the graph: "*" in
// an ego network, "" elsewhere.
func hopOf(g *Graph, _ bool) string {
	for i := range g.Nodes {
		if g.Nodes[i].HopClass != "" {
			return Suppressed
		}
	}
	return ""
}

// classify groups node indexes by their generalised attributes.
func classify(nodes []Node) map[string][]int {
	out := map[string][]int{}
	for i := range nodes {
		out[classKey(&nodes[i])] = append(out[classKey(&nodes[i])], i)
	}
	return out
}

func classKey(n *Node) string {
	return strconv.FormatBool(n.Scored) + "|" + n.Band + "|" + n.HopClass
}

func fullySuppressed(n *Node) bool {
	return (n.HopClass == "" || n.HopClass == Suppressed) && (!n.Scored || n.Band == Suppressed)
}

func suppressAll(n *Node) {
	if n.HopClass != "" {
		n.HopClass = Suppressed
	}
	if n.Scored {
		n.Band = Suppressed
	}
}

// MinClass returns the size of the smallest class of nodes sharing their
// exported attributes (scored, band, hop class): the k the export
// achieves. It is 0 for an empty graph.
func MinClass(g *Graph) int {
	m := 0
	for _, idx := range classify(g.Nodes) {
		if m == 0 || len(idx) < m {
			m = len(idx)
		}
	}
	return m
}

// GeneraliseShock removes everyone's scores from a shock result, keeping
// the changes the experiment caused (deltas, hops, totals): before and
// after are 0 (withheld) and Generalised is set.
func GeneraliseShock(s *ShockExport) {
	s.Generalised = true
	for i := range s.Changes {
		c := &s.Changes[i]
		c.IndividualBefore, c.IndividualAfter, c.ScoreBefore, c.ScoreAfter = 0, 0, 0, 0
	}
	for i := range s.Steps {
		for j := range s.Steps[i].Deltas {
			s.Steps[i].Deltas[j].Before, s.Steps[i].Deltas[j].After = 0, 0
		}
	}
	for j := range s.Total.Deltas {
		s.Total.Deltas[j].Before, s.Total.Deltas[j].After = 0, 0
	}
}
