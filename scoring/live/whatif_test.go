package live

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

// TestWhatIf: the answer is within 0.5 points of a full run on the
// changed data (the reference), its explanation is scoring.Explain of
// that result, and the live view is unchanged afterwards.
func TestWhatIf(t *testing.T) {
	for _, policy := range []string{scoring.PolicySesame, scoring.PolicyLenddo, scoring.PolicyTencent} {
		t.Run(policy, func(t *testing.T) {
			w, e, p := engineFor(t, 3_000, policy)
			before := e.Results()
			const id = 77
			rec := w.people[id].Record
			prof := graph.Profile{Provided: 0x7f, Verified: 0x7f}
			evs := []graph.Event{
				{Type: graph.EventBillPayment, Amount: 50, Due: testNow.Add(-48 * time.Hour), Paid: testNow},
				{Type: graph.EventCreditPayment, Amount: 50, Due: testNow, Paid: testNow},
				{Type: graph.EventPurchase, Amount: 500, At: testNow},
				{Type: graph.EventDefault, Amount: 300, At: testNow},
			}
			k := w.randomTie(newRng())
			changes := []Change{
				{Kind: Events, A: id, Events: evs, Now: testNow},
				{Kind: RecordSet, A: id, Profile: &prof},
				{Kind: TieSet, A: id, B: 2999, Weight: 2},
				{Kind: TieSet, A: 12, B: id},
				{Kind: TieRemoved, A: k[0], B: k[1]},
				{Kind: Events, A: 12, Now: testNow, Events: []graph.Event{{Type: graph.EventDefault, Amount: 1, At: testNow}}},
			}
			ans, err := e.WhatIf(id, changes)
			require.NoError(t, err)

			// The reference: the same changes in the world, a full run.
			require.NoError(t, rec.Apply(evs, testNow))
			w.people[id].Record = rec
			w.people[id].Profile = prof
			w.setTie(pair(id, 2999), 2)
			w.setTie(pair(12, id), 1)
			w.delTie(k)
			require.NoError(t, w.people[12].Record.Apply(changes[5].Events, testNow))
			s := w.snapshot(t)
			full := fullRun(t, s, p)
			i, _ := s.Index(id)
			ref := full[i]
			t.Logf("%s: now %d, what-if %d (Δ %d), full run %d", policy, ans.Now.Result.Score, ans.Then.Result.Score, ans.Delta, ref.Score)
			// Rounded scores of values within the bounds differ by at most
			// 1 at a rounding edge; the unrounded value is within 0.5.
			assert.InDelta(t, scoring.FinalValue(ref.Network, ref.Percentile, 0, p.Centrality),
				scoring.FinalValue(ans.Then.Result.Network, ans.Then.Result.Percentile, 0, p.Centrality), 0.5)
			assert.LessOrEqual(t, abs(ans.Then.Result.Score-ref.Score), 1)
			assert.Equal(t, ref.Friends, ans.Then.Result.Friends)
			assert.Equal(t, ref.Pillars, ans.Then.Result.Pillars)
			assert.Equal(t, scoring.Explain(ans.Then.Result, p), ans.Then.Explanation)
			assert.Equal(t, ans.Then.Result.Score-ans.Now.Result.Score, ans.Delta)
			now, _ := e.Result(id)
			assert.Equal(t, now, ans.Now.Result)

			// Nothing stored: the live view is exactly as before.
			assert.Equal(t, before, e.Results())
			_, n := e.AsOf()
			assert.Zero(t, n)
		})
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// TestWhatIfRefusesBadChanges names the change at fault.
func TestWhatIfRefusesBadChanges(t *testing.T) {
	_, e, _ := engineFor(t, 300, scoring.PolicySesame)
	_, err := e.WhatIf(5, []Change{{Kind: TieSet, A: 5, B: 6}, {Kind: PersonRemoved, A: 6}})
	var ve *graph.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "changes/1/kind", ve.Field)
	_, err = e.WhatIf(99999, nil)
	require.ErrorIs(t, err, graph.ErrNotFound)
}

// TestAdvice: every action's points are what WhatIf gives for its
// changes, actions are ranked by points, there are at most four, and
// under the default policy (advise_on_ties false) none touches a tie.
func TestAdvice(t *testing.T) {
	for _, policy := range []string{scoring.PolicySesame, scoring.PolicyLenddo} {
		w, e, p := engineFor(t, 2_000, policy)
		require.False(t, p.AdviseOnTies)
		seen := 0
		for _, id := range []graph.ID{1, 10, 100, 250, 1000, 1999} {
			acts, err := e.Advice(id, testNow)
			require.NoError(t, err)
			require.LessOrEqual(t, len(acts), MaxAdvice)
			for i, a := range acts {
				ans, err := e.WhatIf(id, a.Changes)
				require.NoError(t, err)
				assert.Equal(t, ans.Delta, a.Points, "%s for %d", a.Code, id)
				assert.Greater(t, a.Gain, 0.0)
				if i > 0 {
					assert.GreaterOrEqual(t, acts[i-1].Points, a.Points)
				}
				for _, c := range a.Changes {
					assert.NotContains(t, []Kind{TieSet, TieRemoved}, c.Kind)
					assert.Equal(t, id, c.A, "advice is on one's own record")
				}
				assert.NotContains(t, strings.ToLower(a.Text), "friend")
				seen++
			}
			_ = w
		}
		assert.Positive(t, seen, "some advice was given")
	}
}
