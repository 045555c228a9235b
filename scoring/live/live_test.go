package live

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/scoring"
)

// TestAccuracyAfterChanges applies 10,000 random tie changes and 10,000
// random events to the live view of a seeded network of 10,000 people and
// compares every live result with a full run (scoring.ScoreSnapshot) on
// the same changed data, the reference: the bound (every score
// within 1 point, mean absolute difference ≤ 0.05) and the documented
// bounds on s and PageRank.
func TestAccuracyAfterChanges(t *testing.T) {
	n, changes := 10_000, 10_000
	if testing.Short() {
		n, changes = 2_000, 2_000
	}
	for _, name := range []string{scoring.PolicySesame, scoring.PolicyLenddo} {
		t.Run(name, func(t *testing.T) {
			p, _ := scoring.Preset(name)
			w := seeded(t, n, 7)
			s := w.snapshot(t)
			e, err := New(s, fullRun(t, s, p), p)
			require.NoError(t, err)
			rng := rand.New(rand.NewPCG(11, 12))
			in := w.consenting()
			for i := range 2 * changes {
				var c Change
				if i%2 == 0 {
					c = w.randomTieChange(rng, in)
				} else {
					c = w.randomEvent(t, rng, in)
				}
				require.NoError(t, e.Apply(c), "change %d", i)
			}
			full := fullRun(t, w.snapshot(t), p)
			d := compare(t, e.Results(), full)
			t.Logf("%s: n=%d max|Δscore|=%v mean|Δscore|=%.5f max|Δs|=%.2e max rel ΔPR=%.2e max|Δpct|=%.4f max|ΔFriendMean|=%.3f",
				name, d.n, d.maxScore, d.mean(), d.maxS, d.maxPRRel, d.maxPct, d.maxFriendMean)
			assert.LessOrEqual(t, d.maxScore, 1.0)
			assert.LessOrEqual(t, d.mean(), 0.05)
			assert.Zero(t, d.friendsDiffer, "friend counts")
			assert.Zero(t, d.indDiffer, "pillars and individual scores")
			// s: live error ≤ tol/(1−α), the full run's ≤ α/(1−α)·1e-10.
			assert.LessOrEqual(t, d.maxS, (PropagationTolFor(p)+scoring.PropagationTol)/(1-p.Alpha))
			run, k := e.AsOf()
			assert.Equal(t, "", run)
			assert.Equal(t, int64(2*changes), k)
		})
	}
}
