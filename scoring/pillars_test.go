package scoring

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

func fieldSetOf(fs ...graph.ProfileField) graph.FieldSet {
	var s graph.FieldSet
	for _, f := range fs {
		s = s.With(f)
	}
	return s
}

// TestPillarsOf checks the documented formulas on hand-made records. The
// expected values were computed separately with Python's math module from
// the formulas in PillarsOf's doc comment (the expression is in each
// comment).
func TestPillarsOf(t *testing.T) {
	allFields := graph.FieldSet(1<<graph.NumProfileFields - 1)
	for _, c := range []struct {
		name    string
		record  graph.Record
		profile graph.Profile
		recruit int
		want    graph.Pillars
	}{
		{
			name: "empty",
			// bills, credit: (0+1)/(0+0+2) = 0.5
			want: graph.Pillars{Purchase: 0, Info: 0, Bills: 0.5, Credit: 0.5, Recruitment: 0},
		},
		{
			name:    "neutral record",
			record:  graph.NeutralRecord(),
			profile: graph.Profile{Provided: fieldSetOf(graph.FieldName, graph.FieldPhone, graph.FieldEmail), Verified: fieldSetOf(graph.FieldPhone)},
			recruit: 3,
			want: graph.Pillars{
				Purchase:    0.539967076166351,  // log1p(500)/log1p(1e5)
				Info:        0.2857142857142857, // (3+1)/14
				Bills:       0.75,               // (2+1)/(2+0+2)
				Credit:      0.6666666666666666, // (1+1)/(1+0+2)
				Recruitment: 0.6321205588285577, // 1-exp(-3/3)
			},
		},
		{
			name: "late payments and a default",
			record: graph.Record{
				PurchaseTotal: 2e6, PurchaseCount: 90,
				BillsOnTime: 10, BillsLate: 2, BillDaysLate: 45,
				CreditOnTime: 5, CreditLate: 1, CreditDaysLate: 90, Defaults: 1,
			},
			profile: graph.Profile{Provided: allFields, Verified: allFields},
			recruit: 9,
			want: graph.Pillars{
				Purchase:    1,                  // saturated: 2e6 > PurchaseCap
				Info:        1,                  // (7+7)/14
				Bills:       0.7096774193548387, // 11/(10+2+2+45/30)
				Credit:      0.2727272727272727, // 6/(5+1+2+90/30) · 2^-1
				Recruitment: 0.950212931632136,  // 1-exp(-9/3)
			},
		},
		{
			name:    "two defaults, no payments",
			record:  graph.Record{PurchaseTotal: 12345.6, Defaults: 2},
			profile: graph.Profile{Provided: allFields},
			recruit: 1,
			want: graph.Pillars{
				Purchase:    0.8183087648858519, // log1p(12345.6)/log1p(1e5)
				Info:        0.5,                // (7+0)/14
				Bills:       0.5,
				Credit:      0.125,               // 0.5 · 2^-2
				Recruitment: 0.28346868942621073, // 1-exp(-1/3)
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := PillarsOf(c.record, c.profile, c.recruit)
			assert.InDelta(t, c.want.Purchase, got.Purchase, 1e-12, "purchase")
			assert.InDelta(t, c.want.Info, got.Info, 1e-12, "info")
			assert.InDelta(t, c.want.Bills, got.Bills, 1e-12, "bills")
			assert.InDelta(t, c.want.Credit, got.Credit, 1e-12, "credit")
			assert.InDelta(t, c.want.Recruitment, got.Recruitment, 1e-12, "recruitment")
		})
	}
}

// TestPillarsMonotone checks the directions the pillars must move in.
func TestPillarsMonotone(t *testing.T) {
	base := graph.Record{PurchaseTotal: 1000, PurchaseCount: 3, BillsOnTime: 5, CreditOnTime: 5}
	p0 := PillarsOf(base, graph.Profile{}, 0)

	more := base
	more.PurchaseTotal = 5000
	assert.Greater(t, PillarsOf(more, graph.Profile{}, 0).Purchase, p0.Purchase)

	late := base
	late.BillsLate, late.BillDaysLate = 1, 1
	lateLong := late
	lateLong.BillDaysLate = 90
	assert.Less(t, PillarsOf(late, graph.Profile{}, 0).Bills, p0.Bills)
	assert.Less(t, PillarsOf(lateLong, graph.Profile{}, 0).Bills, PillarsOf(late, graph.Profile{}, 0).Bills)

	onTime := base
	onTime.BillsOnTime = 50
	assert.Greater(t, PillarsOf(onTime, graph.Profile{}, 0).Bills, p0.Bills)

	def := base
	def.Defaults = 1
	// One default halves credit: it weighs more than one late payment.
	assert.InDelta(t, p0.Credit/2, PillarsOf(def, graph.Profile{}, 0).Credit, 1e-15)
	lateCredit := base
	lateCredit.CreditLate, lateCredit.CreditDaysLate = 1, 30
	assert.Less(t, PillarsOf(def, graph.Profile{}, 0).Credit, PillarsOf(lateCredit, graph.Profile{}, 0).Credit)

	provided := graph.Profile{Provided: fieldSetOf(graph.FieldName, graph.FieldEmail)}
	verified := graph.Profile{Provided: provided.Provided, Verified: fieldSetOf(graph.FieldEmail)}
	assert.Greater(t, PillarsOf(base, verified, 0).Info, PillarsOf(base, provided, 0).Info)

	// Diminishing returns: each extra recruit adds less.
	prev, gain := 0.0, 1.0
	for k := 1; k <= 10; k++ {
		r := PillarsOf(base, graph.Profile{}, k).Recruitment
		assert.Less(t, r-prev, gain)
		gain, prev = r-prev, r
	}
}

// TestPillarsInRange: every pillar is in [0,1] for random valid records.
func TestPillarsInRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 10000; i++ {
		r := randomRecord(rng)
		if rng.IntN(10) == 0 {
			r.PurchaseTotal = 1e12 * rng.Float64()
		}
		p := PillarsOf(r, randomProfile(rng), rng.IntN(50))
		for _, v := range []float64{p.Purchase, p.Info, p.Bills, p.Credit, p.Recruitment} {
			require.True(t, v >= 0 && v <= 1, "pillar %v out of [0,1] for %+v", v, r)
		}
	}
}

// TestComputePillarsCountsActiveRecruits: only recruits with an active
// record count.
func TestComputePillarsCountsActiveRecruits(t *testing.T) {
	var b graph.SnapshotBuilder
	b.AddPerson(graph.Person{ID: 1, Consent: true})
	b.AddPerson(graph.Person{ID: 2, Consent: true, Record: graph.Record{PurchaseCount: 1, PurchaseTotal: 5}})
	b.AddPerson(graph.Person{ID: 3, Consent: true}) // inactive
	b.AddPerson(graph.Person{ID: 4, Consent: true, Record: graph.Record{BillsOnTime: 1}})
	for _, to := range []graph.ID{2, 3, 4} {
		b.AddTie(graph.Tie{Kind: graph.Recruited, From: 1, To: to})
	}
	s, err := b.Build(time.Time{})
	require.NoError(t, err)
	got := ComputePillars(s, 0)
	// expected: 2 active recruits → 1-exp(-2/3) = 0.486582880967...
	assert.InDelta(t, 0.4865828809674080, got.Recruitment, 1e-12)
	assert.Zero(t, ComputePillars(s, 1).Recruitment)
}

func TestWeightsCombine(t *testing.T) {
	w := Weights{Purchase: 0.1, Info: 0.2, Bills: 0.3, Credit: 0.4}
	p := graph.Pillars{Purchase: 1, Info: 0.5, Bills: 0.25, Credit: 0.125, Recruitment: 1}
	// expected: 0.1 + 0.1 + 0.075 + 0.05 + 0 = 0.325
	assert.InDelta(t, 0.325, w.Combine(p), 1e-15)
	assert.InDelta(t, 1.0, w.Sum(), 1e-15)
}
