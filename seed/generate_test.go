package seed

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	gonumgraph "gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/graphs/gen"
	"gonum.org/v1/gonum/graph/simple"
	"gonum.org/v1/gonum/stat"

	"github.com/socialscore/socialscore/graph"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		field string // "" means valid
	}{
		{"defaults", Config{People: 10}, ""},
		{"one person", Config{People: 1}, ""},
		{"all None", Config{People: 10, Triad: None, Homophily: None, RecruitShare: None, ConsentShare: None}, ""},
		{"all ones", Config{People: 10, Triad: 1, Homophily: 1, RecruitShare: 1, ConsentShare: 1}, ""},
		{"fractional degree", Config{People: 10, MeanDegree: 3}, ""},
		{"no people", Config{}, "people"},
		{"negative people", Config{People: -1}, "people"},
		{"too many people", Config{People: MaxPeople + 1}, "people"},
		{"degree below 2", Config{People: 10, MeanDegree: 1.5}, "mean_degree"},
		{"negative degree", Config{People: 10, MeanDegree: -10}, "mean_degree"},
		{"NaN degree", Config{People: 10, MeanDegree: math.NaN()}, "mean_degree"},
		{"degree too large", Config{People: 10, MeanDegree: MaxMeanDegree + 1}, "mean_degree"},
		{"too many friendships", Config{People: MaxPeople, MeanDegree: 40}, "mean_degree"},
		{"triad above 1", Config{People: 10, Triad: 1.1}, "triad"},
		{"triad negative", Config{People: 10, Triad: -0.5}, "triad"},
		{"homophily NaN", Config{People: 10, Homophily: math.NaN()}, "homophily"},
		{"recruit share above 1", Config{People: 10, RecruitShare: 2}, "recruit_share"},
		{"consent share negative", Config{People: 10, ConsentShare: -0.1}, "consent_share"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.field == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, graph.ErrInvalid)
			var ve *graph.ValidationError
			require.True(t, errors.As(err, &ve), "%v", err)
			assert.Equal(t, tt.field, ve.Field)
			_, gerr := Generate(tt.cfg)
			assert.ErrorIs(t, gerr, graph.ErrInvalid, "Generate validates")
		})
	}
}

func TestConfigWithDefaults(t *testing.T) {
	got := Config{People: 5, Seed: 9}.WithDefaults()
	assert.Equal(t, Config{People: 5, Seed: 9, MeanDegree: DefaultMeanDegree, Triad: DefaultTriad,
		Homophily: DefaultHomophily, RecruitShare: DefaultRecruitShare, ConsentShare: DefaultConsentShare,
		Now: DefaultNow}, got)

	now := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	got = Config{People: 5, MeanDegree: 4, Triad: None, Homophily: 0.2, RecruitShare: None, ConsentShare: 0.5, Now: now}.WithDefaults()
	assert.Equal(t, Config{People: 5, MeanDegree: 4, Triad: 0, Homophily: 0.2, RecruitShare: 0, ConsentShare: 0.5, Now: now}, got)
}

// digest is a SHA-256 of every field of the batch in a fixed binary
// layout: two batches with the same digest are byte-identical.
func digest(t *testing.T, b graph.Batch) [32]byte {
	t.Helper()
	h := sha256.New()
	var buf []byte
	put := func(vs ...uint64) {
		for _, v := range vs {
			buf = binary.LittleEndian.AppendUint64(buf, v)
		}
	}
	for _, p := range b.People {
		r := p.Record
		put(uint64(p.ID), boolBits(p.Consent), uint64(p.Profile.Provided), uint64(p.Profile.Verified),
			math.Float64bits(r.PurchaseTotal), uint64(r.PurchaseCount),
			uint64(r.BillsOnTime), uint64(r.BillsLate), uint64(r.BillDaysLate),
			uint64(r.CreditOnTime), uint64(r.CreditLate), uint64(r.CreditDaysLate),
			uint64(r.Defaults), math.Float64bits(r.DefaultAmount))
		for _, at := range []time.Time{r.LastEventAt, p.CreatedAt, p.UpdatedAt} {
			put(uint64(at.Unix()), uint64(at.Nanosecond()))
		}
	}
	for _, tie := range b.Ties {
		put(uint64(tie.Kind), uint64(tie.From), uint64(tie.To), math.Float64bits(tie.Weight))
	}
	_, err := h.Write(buf)
	require.NoError(t, err)
	return [32]byte(h.Sum(nil))
}

func boolBits(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func TestGenerateDeterministic(t *testing.T) {
	// More people than one chunk, so records come from several streams.
	cfg := Config{People: 2*chunkSize + 123, Seed: 42}
	a, err := Generate(cfg)
	require.NoError(t, err)
	b, err := Generate(cfg)
	require.NoError(t, err)
	assert.Equal(t, digest(t, a), digest(t, b), "same config, same bytes")
	assert.Equal(t, a, b)

	t.Run("independent of GOMAXPROCS", func(t *testing.T) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
		c, err := Generate(cfg)
		require.NoError(t, err)
		assert.Equal(t, digest(t, a), digest(t, c))
	})

	t.Run("different seed", func(t *testing.T) {
		cfg := cfg
		cfg.Seed = 43
		c, err := Generate(cfg)
		require.NoError(t, err)
		assert.NotEqual(t, a.Ties, c.Ties, "network")
		assert.NotEqual(t, records(a), records(c), "records")
	})
}

func records(b graph.Batch) []graph.Record {
	out := make([]graph.Record, len(b.People))
	for i, p := range b.People {
		out[i] = p.Record
	}
	return out
}

func friendships(b graph.Batch) []graph.Tie {
	var out []graph.Tie
	for _, t := range b.Ties {
		if t.Kind == graph.Friend {
			out = append(out, t)
		}
	}
	return out
}

// TestGeneratePhasesIndependent: each phase draws from its own stream, so
// a setting of one phase leaves the others as they were.
func TestGeneratePhasesIndependent(t *testing.T) {
	base := Config{People: 3000, Seed: 7}
	a, err := Generate(base)
	require.NoError(t, err)

	half := base
	half.ConsentShare = 0.5
	b, err := Generate(half)
	require.NoError(t, err)
	assert.Equal(t, a.Ties, b.Ties, "consent share changes no tie")
	assert.Equal(t, records(a), records(b), "consent share changes no record")

	flat := base
	flat.Homophily = None
	c, err := Generate(flat)
	require.NoError(t, err)
	assert.Equal(t, a.Ties, c.Ties, "homophily changes no tie")
	assert.NotEqual(t, records(a), records(c), "homophily changes records")

	none := base
	none.RecruitShare = None
	d, err := Generate(none)
	require.NoError(t, err)
	assert.Equal(t, friendships(a), d.Ties, "no recruitments, same friendships")
	assert.Equal(t, records(a), records(d))
}

func TestGenerateConsent(t *testing.T) {
	tests := []struct {
		share  float64
		lo, hi float64 // bounds on the consenting share
	}{
		{0, 1, 1}, // default: everyone
		{1, 1, 1},
		{0.5, 0.47, 0.53},
		{None, 0, 0},
	}
	for _, tt := range tests {
		b, err := Generate(Config{People: 4000, Seed: 3, ConsentShare: tt.share})
		require.NoError(t, err)
		n := 0
		for _, p := range b.People {
			if p.Consent {
				n++
			}
		}
		share := float64(n) / float64(len(b.People))
		assert.True(t, share >= tt.lo && share <= tt.hi, "ConsentShare %g: %.3f consent", tt.share, share)
	}
}

// TestGenerateSmall: populations no larger than the starting clique are
// complete graphs.
func TestGenerateSmall(t *testing.T) {
	for n := 1; n <= 7; n++ {
		b, err := Generate(Config{People: n, Seed: 1})
		require.NoError(t, err)
		require.Len(t, b.People, n)
		want := n * (n - 1) / 2
		if n == 7 { // clique of 6, then one newcomer with 5 friendships
			want = 15 + 5
		}
		assert.Len(t, friendships(b), want, "n=%d", n)
		checkBatch(t, b)
	}
}

// checkBatch checks the invariants every generated batch keeps: ids 1..N in
// order, valid people and ties, friendships From < To without duplicates,
// at most one recruiter per recruit, older than the recruit.
func checkBatch(t *testing.T, b graph.Batch) {
	t.Helper()
	for i, p := range b.People {
		if !assert.Equal(t, graph.ID(i+1), p.ID, "ids are 1..N in order") {
			return
		}
		if !assert.NoError(t, p.Validate(), "person %d", p.ID) || !assert.NoError(t, p.Record.Validate()) {
			return
		}
	}
	n := graph.ID(len(b.People))
	seen := map[[2]graph.ID]bool{}
	recruiter := map[graph.ID]graph.ID{}
	for _, tie := range b.Ties {
		if !assert.NoError(t, tie.Validate(), "%+v", tie) {
			return
		}
		require.True(t, tie.From >= 1 && tie.From <= n && tie.To >= 1 && tie.To <= n, "tie %+v names someone absent", tie)
		switch tie.Kind {
		case graph.Friend:
			require.Less(t, tie.From, tie.To, "friendship %+v not normalised", tie)
			require.Equal(t, 0.0, tie.Weight)
			key := [2]graph.ID{tie.From, tie.To}
			require.False(t, seen[key], "duplicate friendship %v", key)
			seen[key] = true
		case graph.Recruited:
			_, dup := recruiter[tie.To]
			require.False(t, dup, "%d has two recruiters", tie.To)
			require.Less(t, tie.From, tie.To, "recruiter %d not older than %d", tie.From, tie.To)
			recruiter[tie.To] = tie.From
		}
	}
}

// population is a generated batch with its friendship graph in adjacency
// lists (0-based, sorted), built from the batch's ties alone.
type population struct {
	b   graph.Batch
	adj [][]int32
}

func generatePopulation(t *testing.T, cfg Config) population {
	t.Helper()
	b, err := Generate(cfg)
	require.NoError(t, err)
	adj := make([][]int32, len(b.People))
	for _, tie := range friendships(b) {
		u, v := int32(tie.From-1), int32(tie.To-1)
		adj[u] = append(adj[u], v)
		adj[v] = append(adj[v], u)
	}
	for _, a := range adj {
		slices.Sort(a)
	}
	return population{b, adj}
}

// onTimeShare is a person's share of bill and credit payments on time,
// with a Beta(1,1) prior so people without payments sit at 1/2.
func onTimeShare(r graph.Record) float64 {
	on := r.BillsOnTime + r.CreditOnTime
	return float64(on+1) / float64(on+r.BillsLate+r.CreditLate+2)
}

// friendCorrelation is the Pearson correlation, over people with friends,
// between x and the mean of x over their friends.
func (p population) friendCorrelation(x []float64) float64 {
	var own, friends []float64
	for u, nb := range p.adj {
		if len(nb) == 0 {
			continue
		}
		var s float64
		for _, v := range nb {
			s += x[v]
		}
		own = append(own, x[u])
		friends = append(friends, s/float64(len(nb)))
	}
	return stat.Correlation(own, friends, nil)
}

func (p population) homophily() float64 {
	x := make([]float64, len(p.b.People))
	for i, q := range p.b.People {
		x[i] = onTimeShare(q.Record)
	}
	return p.friendCorrelation(x)
}

// averageClustering is the mean local clustering coefficient (Watts &
// Strogatz 1998; nodes of degree < 2 count as 0, as in NetworkX's
// average_clustering) of a gonum graph, counting the edges among each
// node's neighbours with gonum's own HasEdgeBetween.
func averageClustering(g gonumgraph.Undirected) float64 {
	nodes := gonumgraph.NodesOf(g.Nodes())
	var sum float64
	for _, u := range nodes {
		nb := gonumgraph.NodesOf(g.From(u.ID()))
		k := len(nb)
		if k < 2 {
			continue
		}
		links := 0
		for i := range nb {
			for j := i + 1; j < k; j++ {
				if g.HasEdgeBetween(nb[i].ID(), nb[j].ID()) {
					links++
				}
			}
		}
		sum += 2 * float64(links) / float64(k*(k-1))
	}
	return sum / float64(len(nodes))
}

// gonumGraph copies the batch's friendships into a gonum simple graph.
func gonumGraph(b graph.Batch) *simple.UndirectedGraph {
	g := simple.NewUndirectedGraph()
	for _, p := range b.People {
		g.AddNode(simple.Node(p.ID))
	}
	for _, t := range friendships(b) {
		g.SetEdge(simple.Edge{F: simple.Node(t.From), T: simple.Node(t.To)})
	}
	return g
}

func TestGenerateStructure(t *testing.T) {
	const n = 20_000
	pop := generatePopulation(t, Config{People: n, Seed: 2026})
	b := pop.b
	checkBatch(t, b)

	t.Run("size", func(t *testing.T) {
		// 5 friendships per newcomer, minus the 15 the clique of 6 lacks.
		assert.Len(t, friendships(b), 5*n-15)
	})

	t.Run("degree heavy-tailed", func(t *testing.T) {
		maxDeg, isolated := 0, 0
		for _, nb := range pop.adj {
			maxDeg = max(maxDeg, len(nb))
			if len(nb) == 0 {
				isolated++
			}
		}
		mean := 2 * float64(len(friendships(b))) / n
		assert.InDelta(t, 10, mean, 0.01)
		assert.Zero(t, isolated)
		// Preferential attachment: the largest hub grows like √N (≈700
		// here); a Poisson degree with mean 10 would stay below 30.
		assert.Greater(t, float64(maxDeg), 10*mean, "max degree %d", maxDeg)
	})

	t.Run("clustering", func(t *testing.T) {
		g := gonumGraph(b)
		require.Equal(t, n, g.Nodes().Len())
		require.Equal(t, len(friendships(b)), g.Edges().Len(), "gonum sees every friendship once")
		c := averageClustering(g)

		er := simple.NewUndirectedGraph()
		require.NoError(t, gen.Gnm(er, n, len(friendships(b)), rand.NewPCG(1, 2)))
		cER := averageClustering(er)
		t.Logf("average clustering: Holme–Kim %.4f, Erdős–Rényi G(n,m) %.5f", c, cER)
		// expected: ER clustering ≈ p = 2m/n² = 5·10⁻⁴; Holme–Kim with
		// triad 0.5 and m = 5 about 0.17.
		assert.InDelta(t, 2*float64(len(friendships(b)))/(n*n), cER, 5e-4)
		assert.Greater(t, c, 0.1)
		assert.Greater(t, c, 50*cER)
	})

	t.Run("homophily", func(t *testing.T) {
		r := pop.homophily()
		t.Logf("corr(on-time share, friends' mean) = %.3f", r)
		assert.Greater(t, r, 0.3)
	})

	t.Run("aggregates", func(t *testing.T) {
		var onTime, bills, defaulted, withCredit int64
		for _, p := range b.People {
			r := p.Record
			onTime += r.BillsOnTime
			bills += r.BillsOnTime + r.BillsLate
			if r.Defaults > 0 {
				defaulted++
				assert.Positive(t, r.CreditOnTime+r.CreditLate, "a defaulter is a borrower")
				assert.Positive(t, r.DefaultAmount)
			}
			if r.CreditOnTime+r.CreditLate > 0 {
				withCredit++
			}
			assert.GreaterOrEqual(t, r.BillDaysLate, r.BillsLate, "a late bill is at least a day late")
			assert.GreaterOrEqual(t, r.CreditDaysLate, r.CreditLate)
			assert.Equal(t, r.PurchaseCount > 0, r.PurchaseTotal > 0)
			if r.Active() || r.Defaults > 0 {
				assert.False(t, r.LastEventAt.After(DefaultNow), "last event after Now")
				assert.True(t, r.LastEventAt.After(DefaultNow.AddDate(-1, 0, -1)), "last event over a year back")
			} else {
				assert.True(t, r.LastEventAt.IsZero())
			}
		}
		onTimeShare := float64(onTime) / float64(bills)
		defaultShare := float64(defaulted) / n
		t.Logf("bills on time %.3f, defaulted %.4f, with credit %.3f", onTimeShare, defaultShare, float64(withCredit)/n)
		assert.True(t, onTimeShare >= 0.70 && onTimeShare <= 0.95, "on-time share of bills %.3f", onTimeShare)
		assert.True(t, defaultShare >= 0.01 && defaultShare <= 0.10, "share of people with a default %.4f", defaultShare)
	})

	t.Run("defaults concentrated among late payers", func(t *testing.T) {
		// Split people by their on-time share, a proxy for z; defaults
		// should be several times as common in the worst quarter as in
		// the best.
		type row struct {
			share float64
			def   bool
		}
		rows := make([]row, n)
		for i, p := range b.People {
			rows[i] = row{onTimeShare(p.Record), p.Record.Defaults > 0}
		}
		slices.SortFunc(rows, func(a, b row) int { return cmp.Compare(a.share, b.share) })
		rate := func(rs []row) float64 {
			d := 0
			for _, r := range rs {
				if r.def {
					d++
				}
			}
			return float64(d) / float64(len(rs))
		}
		worst, best := rate(rows[:n/4]), rate(rows[3*n/4:])
		t.Logf("default rate: worst quarter %.3f, best quarter %.3f", worst, best)
		assert.Greater(t, worst, 4*best)
	})

	t.Run("profiles follow health", func(t *testing.T) {
		x := make([]float64, n)
		y := make([]float64, n)
		for i, p := range b.People {
			x[i] = onTimeShare(p.Record)
			y[i] = float64(p.Profile.Provided.Len() + p.Profile.Verified.Len())
		}
		assert.Greater(t, stat.Correlation(x, y, nil), 0.2)
	})

	t.Run("recruitment", func(t *testing.T) {
		count := map[graph.ID]int{}
		recruits, amongFriends := 0, 0
		for _, tie := range b.Ties {
			if tie.Kind != graph.Recruited {
				continue
			}
			recruits++
			count[tie.From]++
			if _, ok := slices.BinarySearch(pop.adj[tie.To-1], int32(tie.From-1)); ok {
				amongFriends++
			}
		}
		share := float64(recruits) / n
		assert.InDelta(t, DefaultRecruitShare, share, 0.02)
		assert.Greater(t, float64(amongFriends)/float64(recruits), 0.8, "recruiters are mostly friends")
		maxR := 0
		for _, c := range count {
			maxR = max(maxR, c)
		}
		mean := float64(recruits) / float64(len(count))
		t.Logf("%d recruits, %d recruiters, mean %.2f, max %d", recruits, len(count), mean, maxR)
		assert.Greater(t, float64(maxR), 10*mean, "heavy-tailed recruits per recruiter")
	})
}

// TestGenerateSettings checks that each knob moves what it should.
func TestGenerateSettings(t *testing.T) {
	const n = 10_000
	clustering := func(t *testing.T, cfg Config) float64 {
		b, err := Generate(cfg)
		require.NoError(t, err)
		return averageClustering(gonumGraph(b))
	}
	t.Run("triad", func(t *testing.T) {
		ba := clustering(t, Config{People: n, Seed: 5, Triad: None})
		hk := clustering(t, Config{People: n, Seed: 5})
		high := clustering(t, Config{People: n, Seed: 5, Triad: 0.9})
		t.Logf("clustering: triad 0 %.4f, 0.5 %.4f, 0.9 %.4f", ba, hk, high)
		assert.Greater(t, hk, 3*ba)
		assert.Greater(t, high, hk+0.1)
	})
	t.Run("homophily", func(t *testing.T) {
		none := generatePopulation(t, Config{People: n, Seed: 5, Homophily: None}).homophily()
		weak := generatePopulation(t, Config{People: n, Seed: 5, Homophily: 0.3}).homophily()
		strong := generatePopulation(t, Config{People: n, Seed: 5, Homophily: 1}).homophily()
		t.Logf("corr(on-time share, friends' mean): homophily 0 %.3f, 0.3 %.3f, 1 %.3f", none, weak, strong)
		assert.Less(t, math.Abs(none), 0.05, "no homophily, no correlation")
		assert.Greater(t, weak, none+0.1)
		assert.Greater(t, strong, weak+0.1)
	})
	t.Run("mean degree", func(t *testing.T) {
		b, err := Generate(Config{People: n, Seed: 5, MeanDegree: 7})
		require.NoError(t, err)
		checkBatch(t, b)
		mean := 2 * float64(len(friendships(b))) / n
		assert.InDelta(t, 7, mean, 0.1)
	})
	t.Run("now", func(t *testing.T) {
		now := time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)
		b, err := Generate(Config{People: 500, Seed: 5, Now: now})
		require.NoError(t, err)
		latest := time.Time{}
		for _, p := range b.People {
			if p.Record.LastEventAt.After(latest) {
				latest = p.Record.LastEventAt
			}
		}
		assert.False(t, latest.After(now))
		assert.True(t, latest.After(now.AddDate(0, 0, -2)), "latest event %v", latest)
	})
}
