package admission_test

import (
	"math"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/internal/admission"
)

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

func TestIssueSimulationIsRefused(t *testing.T) {
	// Issue 13: 1,000,000 people × 10,000 rounds × 10,000 runs.
	cost := admission.Mul(1_000_000, 10_000, 10_000)
	assert.Equal(t, int64(100_000_000_000_000), cost)
	b := admission.DefaultBudgets()
	for _, role := range []string{"operator", "analyst"} {
		err := b.Check(role, admission.Simulation, "base/people", cost, "1000000 people × 10000 rounds × 10000 runs")
		var ce *admission.CostError
		require.ErrorAs(t, err, &ce, role)
		assert.Equal(t, "base/people", ce.Field)
		assert.Contains(t, ce.Reason(), "100,000,000,000,000 person-rounds")
		assert.Contains(t, ce.Reason(), "limit of ")
	}
	// The README's sweep: 5,000 people × 10 rounds × 2 points.
	assert.NoError(t, b.Check("analyst", admission.Simulation, "base/people", admission.Mul(5000, 10, 2), ""))
}

func TestBudgetsPerRoleAndSet(t *testing.T) {
	b := admission.DefaultBudgets()
	op, _ := b.Limit("operator", admission.Shock)
	other, _ := b.Limit("researcher", admission.Shock)
	assert.Greater(t, op, other, "operators have a larger shock budget")
	n, _ := b.Limit("operator", admission.Centrality)
	m, _ := b.Limit(admission.AnyRole, admission.Centrality)
	assert.Equal(t, m, n, "a role without its own entry has the default's")

	require.NoError(t, b.Set("researcher:shock=10"))
	l, _ := b.Limit("researcher", admission.Shock)
	assert.Equal(t, int64(10), l)
	require.NoError(t, b.Set("shock=2e3"))
	for _, r := range []string{"operator", "researcher", "analyst"} {
		l, _ := b.Limit(r, admission.Shock)
		assert.Equal(t, int64(2000), l, "op=N sets every role: %s", r)
	}
	assert.Error(t, b.Set("nosuch=1"))
	assert.Error(t, b.Set("shock"))
	assert.Error(t, b.Set("shock=-1"))
	assert.Error(t, b.Set("shock=1.5"))
	assert.Nil(t, b.Check("researcher", admission.Shock, "max_steps", 2000, ""), "equal to the limit is allowed")
	assert.Error(t, b.Check("researcher", admission.Shock, "max_steps", 2001, ""))
	assert.Nil(t, admission.Budgets{}.Check("x", admission.Shock, "", math.MaxInt64, ""), "no budget, no limit")
}

func TestMulAddSaturate(t *testing.T) {
	assert.Equal(t, int64(math.MaxInt64), admission.Mul(1<<40, 1<<40))
	assert.Equal(t, int64(0), admission.Mul(5, 0))
	assert.Equal(t, int64(math.MaxInt64), admission.Add(math.MaxInt64-1, 5))
	assert.Equal(t, int64(7), admission.Add(3, 4))
}
