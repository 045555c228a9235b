package community

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring/netstat"
)

// Defaults of ReportOptions.
const (
	// DefaultCDLPIterations is the number of label propagation rounds;
	// Graphalytics leaves it a parameter, and on social networks the
	// labels have mostly settled after ten.
	DefaultCDLPIterations = 10
	// DefaultLouvainMaxPeople bounds the snapshot size at which Report
	// still runs Louvain. Louvain takes about 0.02 s of CPU on 10,000
	// people, 0.4 s on 100,000 and 8.4 s on 1,000,000 (5 friendships
	// each, 2-core machine); beyond a million people only CDLP (2.2 s at
	// a million) is reported unless the caller raises the limit.
	DefaultLouvainMaxPeople = 1_000_000
	// DefaultTop is the number of largest communities listed per method.
	DefaultTop = 10
)

// ReportOptions tune Report. The zero value uses the defaults.
type ReportOptions struct {
	CDLPIterations int // 0: DefaultCDLPIterations
	// LouvainMaxPeople: Louvain runs only when the snapshot has at most
	// this many people; 0 means DefaultLouvainMaxPeople, negative never.
	LouvainMaxPeople int
	Seed             uint64 // Louvain's seed
	Top              int    // 0: DefaultTop
	Workers          int    // CDLP parallelism; 0: GOMAXPROCS
}

// NetworkReport describes the friendship network of a snapshot and how
// scores sit on it. Values that are undefined (an assortativity with no
// edges or no variance, the clustering of an empty graph) are null in
// JSON.
type NetworkReport struct {
	People      int `json:"people"`
	Friendships int `json:"friendships"`
	// Scored is the number of people with a score in the results given.
	Scored     int     `json:"scored"`
	MeanDegree float64 `json:"mean_degree"`
	MaxDegree  int     `json:"max_degree"`
	// ScoreAssortativity is Newman's scalar assortativity r of the final
	// scores over friendships (Newman, "Mixing patterns in networks",
	// Phys. Rev. E 67, 026126, 2003): the Pearson correlation of the
	// scores at the two ends of a friendship, among scored people.
	// Positive r is homophily: friends have similar scores.
	ScoreAssortativity *float64 `json:"score_assortativity"`
	// IndividualAssortativity is the same for the individual (pillars
	// only) scores; the gap between the two is what propagation adds.
	IndividualAssortativity *float64 `json:"individual_assortativity"`
	// AverageClustering is the mean local clustering coefficient (Watts &
	// Strogatz 1998; people with fewer than two friends count 0).
	AverageClustering *float64 `json:"average_clustering"`
	// Transitivity is the global clustering coefficient: the share of
	// connected triples (two friends of one person) that are closed
	// (the two are friends too), 3·triangles / triples (netstat.Transitivity,
	// NetworkX's transitivity). Null without any triple.
	Transitivity *float64 `json:"transitivity"`
	// DegreeAssortativity is Newman's assortativity of the numbers of
	// friends over friendships (netstat.DegreeAssortativity, NetworkX's
	// degree_assortativity_coefficient): positive when people with many
	// friends befriend each other. Null without friendships or variance.
	DegreeAssortativity *float64 `json:"degree_assortativity"`
	// DegreeGini is the Gini coefficient of the numbers of friends
	// (netstat.Gini): 0 when everyone has as many friends, towards 1 when
	// a few hold most friendships. Null for an empty network.
	DegreeGini *float64 `json:"degree_gini"`
	// ScoreGini is the Gini coefficient of the final scores of the scored
	// people: how unequal the scores are (on the 350–950 scale it stays
	// small; compare it between runs and policies). Null when nobody is
	// scored.
	ScoreGini  *float64       `json:"score_gini"`
	Components ComponentStats `json:"components"`
	// DegreeHistogram counts people by number of friends in bins
	// [0,0], [1,1], [2,3], [4,7], … [2^k, 2^(k+1)−1]; empty bins are
	// omitted.
	DegreeHistogram []DegreeBin `json:"degree_histogram"`
	// Communities holds the CDLP communities, then the Louvain ones.
	Communities []Communities `json:"communities"`
	Elapsed     Durations     `json:"elapsed_ms"`
}

// ComponentStats summarises the connected components.
type ComponentStats struct {
	Count        int     `json:"count"`
	Largest      int     `json:"largest"`
	LargestShare float64 `json:"largest_share"` // Largest / People
	Isolated     int     `json:"isolated"`      // people without friends
}

// DegreeBin is one bin of the degree histogram: Count people have between
// Min and Max friends (inclusive).
type DegreeBin struct {
	Min   int `json:"min"`
	Max   int `json:"max"`
	Count int `json:"count"`
}

// Communities is the outcome of one community detection method.
type Communities struct {
	Method string `json:"method"` // "cdlp" or "louvain"
	// Skipped says why the method did not run (e.g. the graph is over the
	// size limit); the other fields are then zero.
	Skipped    string  `json:"skipped,omitempty"`
	Count      int     `json:"count"`
	Modularity float64 `json:"modularity"` // Q of the partition (γ = 1)
	Iterations int     `json:"iterations,omitempty"`
	Levels     int     `json:"levels,omitempty"`
	Seed       uint64  `json:"seed,omitempty"`
	// Singletons is the number of communities of one person.
	Singletons int `json:"singletons"`
	// SingleCommunity is true when the method put everyone with a friend
	// into one community (exactly one community of two or more people):
	// the partition says nothing about the network's groups. Label
	// propagation (CDLP) does this on small, dense graphs such as the
	// karate club, where one label floods everything. Note then says so
	// in words.
	SingleCommunity bool   `json:"single_community"`
	Note            string `json:"note,omitempty"`
	// Top lists the largest communities, largest first.
	Top []Community `json:"top"`
}

// Community is one community of a partition. Communities are identified
// by their rank by size (1 = largest; ties by lowest member), never by a
// person's id.
type Community struct {
	Rank  int     `json:"rank"`
	Size  int     `json:"size"`
	Share float64 `json:"share"` // Size / People
	// Scored members, and the mean final and individual score over them
	// (null when none is scored).
	Scored         int      `json:"scored"`
	MeanScore      *float64 `json:"mean_score"`
	MeanIndividual *float64 `json:"mean_individual"`
}

// Durations are the milliseconds each part of Report took.
type Durations struct {
	Metrics float64 `json:"metrics"`
	CDLP    float64 `json:"cdlp"`
	Louvain float64 `json:"louvain"`
}

// Report computes the network metrics of the snapshot's friendship graph
// and the communities by CDLP and, up to o.LouvainMaxPeople people,
// Louvain. results are scores to lay over the network, matched to the
// snapshot's people by id (in any order; people without a result count as
// unscored, results of people not in the snapshot are ignored), as
// returned by scoring.ScoreSnapshot or scoring.View.Results. CDLP starts
// from each person's id as label and ignores weights; Louvain uses the
// friendship weights. ctx is checked between the phases and inside CDLP
// and Louvain.
//
// Components, clustering, degrees and assortativity come from package
// netstat.
func Report(ctx context.Context, snap *graph.Snapshot, results []graph.Result, o ReportOptions) (NetworkReport, error) {
	if snap == nil {
		return NetworkReport{}, graph.Invalid("snapshot", "is nil")
	}
	n := snap.Len()
	offsets := snap.Offsets
	if n == 0 {
		offsets = []int32{0}
	}
	if err := (graph.CSR{Offsets: offsets, Targets: snap.Targets}).Validate(n); err != nil {
		return NetworkReport{}, fmt.Errorf("community: report: %w", err)
	}
	if o.CDLPIterations <= 0 {
		o.CDLPIterations = DefaultCDLPIterations
	}
	if o.LouvainMaxPeople == 0 {
		o.LouvainMaxPeople = DefaultLouvainMaxPeople
	}
	if o.Top <= 0 {
		o.Top = DefaultTop
	}
	rep := NetworkReport{People: n, Friendships: len(snap.Targets) / 2}

	t0 := time.Now()
	res := graph.Align(snap.IDs, results)
	score := make([]float64, n)
	indiv := make([]float64, n)
	scored := make([]bool, n)
	for i, k := range res {
		if k >= 0 {
			scored[i] = true
			score[i] = float64(results[k].Score)
			indiv[i] = float64(results[k].Individual)
			rep.Scored++
		}
	}
	if n > 0 {
		rep.MeanDegree = float64(len(snap.Targets)) / float64(n)
	}
	hist := netstat.DegreeHistogram(offsets)
	rep.MaxDegree = max(len(hist)-1, 0)
	rep.DegreeHistogram = logBins(hist)
	_, count, largest := netstat.Components(offsets, snap.Targets)
	rep.Components = ComponentStats{Count: count, Largest: largest, Isolated: netstat.Isolated(offsets)}
	if n > 0 {
		rep.Components.LargestShare = float64(largest) / float64(n)
	}
	if err := ctx.Err(); err != nil {
		return NetworkReport{}, fmt.Errorf("community: report: %w", err)
	}
	rep.AverageClustering = finite(netstat.AverageClustering(offsets, snap.Targets))
	so, st := offsets, snap.Targets
	if rep.Scored < n {
		so, st = induced(offsets, snap.Targets, scored)
	}
	rep.ScoreAssortativity = finite(netstat.Assortativity(so, st, score))
	rep.IndividualAssortativity = finite(netstat.Assortativity(so, st, indiv))
	rep.Transitivity = finite(netstat.Transitivity(offsets, snap.Targets))
	rep.DegreeAssortativity = finite(netstat.DegreeAssortativity(offsets, snap.Targets))
	if n > 0 {
		deg := make([]float64, n)
		for v := range deg {
			deg[v] = float64(offsets[v+1] - offsets[v])
		}
		rep.DegreeGini = finite(netstat.Gini(deg))
	}
	if rep.Scored > 0 {
		scores := make([]float64, 0, rep.Scored)
		for v, ok := range scored {
			if ok {
				scores = append(scores, score[v])
			}
		}
		rep.ScoreGini = finite(netstat.Gini(scores))
	}
	rep.Elapsed.Metrics = ms(time.Since(t0))

	// CDLP, labels starting from the ids.
	t1 := time.Now()
	ids := make([]int64, n)
	for i, id := range snap.IDs {
		ids[i] = int64(id)
	}
	labels, err := CDLPContext(ctx, offsets, snap.Targets, ids, o.CDLPIterations, o.Workers)
	if err != nil {
		return NetworkReport{}, err
	}
	cd := summarise("cdlp", denseLabels(labels), n, scored, score, indiv, o.Top)
	cd.Iterations = o.CDLPIterations
	cd.Modularity = Modularity(offsets, snap.Targets, nil, labels, 1)
	rep.Communities = append(rep.Communities, cd)
	rep.Elapsed.CDLP = ms(time.Since(t1))

	// Louvain, if affordable.
	t2 := time.Now()
	if o.LouvainMaxPeople < 0 || n > o.LouvainMaxPeople {
		rep.Communities = append(rep.Communities, Communities{Method: "louvain",
			Skipped: fmt.Sprintf("%d people is over the Louvain limit of %d", n, max(o.LouvainMaxPeople, 0)), Top: []Community{}})
	} else {
		p, err := Louvain(ctx, offsets, snap.Targets, snap.Weights, LouvainOptions{Seed: o.Seed})
		if err != nil {
			return NetworkReport{}, err
		}
		lv := summarise("louvain", p.Labels, n, scored, score, indiv, o.Top)
		lv.Modularity = p.Modularity
		lv.Levels = p.Levels
		lv.Seed = o.Seed
		rep.Communities = append(rep.Communities, lv)
	}
	rep.Elapsed.Louvain = ms(time.Since(t2))
	return rep, nil
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())/10) / 100 }

func finite(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

// induced returns the CSR restricted to edges between kept vertices (the
// vertices keep their numbers; dropped ones lose all their edges).
func induced(offsets, targets []int32, keep []bool) ([]int32, []int32) {
	n := len(offsets) - 1
	off := make([]int32, n+1)
	tgt := make([]int32, 0, len(targets))
	for v := 0; v < n; v++ {
		if keep[v] {
			for _, u := range targets[offsets[v]:offsets[v+1]] {
				if keep[u] {
					tgt = append(tgt, u)
				}
			}
		}
		off[v+1] = int32(len(tgt))
	}
	return off, tgt
}

// logBins groups a degree histogram into bins [0], [1], [2,3], [4,7], ….
func logBins(h []int) []DegreeBin {
	out := []DegreeBin{}
	for lo := 0; lo < len(h); {
		hi := max(2*lo-1, lo)
		b := DegreeBin{Min: lo, Max: hi}
		for k := lo; k <= hi && k < len(h); k++ {
			b.Count += h[k]
		}
		if b.Count > 0 {
			out = append(out, b)
		}
		lo = hi + 1
	}
	return out
}

// denseLabels renumbers arbitrary labels 0..k-1 in order of first vertex.
func denseLabels(labels []int64) []int32 {
	out := make([]int32, len(labels))
	ids := make(map[int64]int32)
	for i, l := range labels {
		c, ok := ids[l]
		if !ok {
			c = int32(len(ids))
			ids[l] = c
		}
		out[i] = c
	}
	return out
}

// summarise counts the communities of a partition (labels 0..k-1 in
// order of first vertex) and describes the top largest.
func summarise(method string, labels []int32, n int, scored []bool, score, indiv []float64, top int) Communities {
	k := 0
	for _, c := range labels {
		k = max(k, int(c)+1)
	}
	size := make([]int, k)
	nScored := make([]int, k)
	sumS := make([]float64, k)
	sumI := make([]float64, k)
	for v, c := range labels {
		size[c]++
		if scored[v] {
			nScored[c]++
			sumS[c] += score[v]
			sumI[c] += indiv[v]
		}
	}
	out := Communities{Method: method, Count: k, Top: []Community{}}
	order := make([]int, k)
	for c := range order {
		order[c] = c
		if size[c] == 1 {
			out.Singletons++
		}
	}
	// Largest first; labels are in order of lowest member, so ties keep it.
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(size[b], size[a]) })
	if k-out.Singletons == 1 {
		out.SingleCommunity = true
		out.Note = fmt.Sprintf("%s put everyone with a friend into one community", method)
		if method == "cdlp" {
			out.Note += " (label propagation floods small, dense networks with one label); see the Louvain communities"
		}
	}
	for r, c := range order[:min(top, k)] {
		cm := Community{Rank: r + 1, Size: size[c], Share: float64(size[c]) / float64(n), Scored: nScored[c]}
		if nScored[c] > 0 {
			ms, mi := sumS[c]/float64(nScored[c]), sumI[c]/float64(nScored[c])
			cm.MeanScore, cm.MeanIndividual = &ms, &mi
		}
		out.Top = append(out.Top, cm)
	}
	return out
}
