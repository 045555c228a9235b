package admission

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Op is a kind of heavy operation.
type Op string

// The heavy operations and what their cost counts (Unit).
const (
	// Shock: people connected to the shocked ones × (steps reported + 1).
	Shock Op = "shock"
	// Simulation: person-rounds, Σ over the sweep's runs of people ×
	// rounds (people 0: the stored network's).
	Simulation Op = "simulation"
	// Export: people and friendships written (an upper bound: the whole
	// network's, a sample's size, or an ego network's limit).
	Export Op = "export"
	// Network: people × hops of a network view (limit × depth).
	Network Op = "network"
	// Centrality: people × friendships of the ego network whose
	// betweenness and closeness are computed (Brandes: O(V·E)).
	Centrality Op = "centrality"
	// ScoringRun: people scored (as of the last run or snapshot).
	ScoringRun Op = "scoring_run"
)

// Ops lists every operation, in a fixed order.
func Ops() []Op { return []Op{Shock, Simulation, Export, Network, Centrality, ScoringRun} }

// Unit names what an operation's cost counts.
func (o Op) Unit() string {
	switch o {
	case Shock:
		return "person-steps"
	case Simulation:
		return "person-rounds"
	case Export:
		return "people and friendships"
	case Network:
		return "person-hops"
	case Centrality:
		return "people × friendships"
	case ScoringRun:
		return "people"
	}
	return "units"
}

// AnyRole is the role whose budgets apply to roles without their own.
const AnyRole = "*"

// Budgets are the largest costs each role may start, per operation:
// Budgets[role][op]. A role without an entry for op has AnyRole's; an
// operation without any entry is unbounded.
type Budgets map[string]map[Op]int64

// DefaultBudgets returns the documented defaults (README, Heavy work):
//
//	op           unit                  operator         others
//	shock        person-steps          25,000,000       5,000,000
//	simulation   person-rounds         10,000,000,000   1,000,000,000
//	export       people + friendships  20,000,000       5,000,000
//	network      person-hops (limit × depth)  30,000    30,000
//	centrality   people × friendships  5,000,000        5,000,000
//	scoring_run  people                10,000,000       10,000,000
//
// A shock on 100,000 people at the default 10 steps costs 1.1 million;
// the simulation of 1,000,000 people × 10,000 rounds × 10,000 runs costs
// 10¹⁴ and is refused for everyone.
func DefaultBudgets() Budgets {
	return Budgets{
		"operator": {Shock: 25_000_000, Simulation: 10_000_000_000, Export: 20_000_000},
		AnyRole: {Shock: 5_000_000, Simulation: 1_000_000_000, Export: 5_000_000, Network: 30_000,
			Centrality: 5_000_000, ScoringRun: 10_000_000},
	}
}

// Limit returns role's budget for op and whether there is one.
func (b Budgets) Limit(role string, op Op) (int64, bool) {
	if l, ok := b[role][op]; ok {
		return l, true
	}
	l, ok := b[AnyRole][op]
	return l, ok
}

// CostError is the refusal of an operation whose estimated cost is over
// the role's budget. Field names the request field that drives the cost
// most (for the API's problem details).
type CostError struct {
	Op       Op
	Role     string
	Field    string
	Estimate int64
	Limit    int64
	// Detail says how the estimate was made, e.g.
	// "1000000 people × 10000 rounds × 10000 runs".
	Detail string
}

func (e *CostError) Error() string {
	return "admission: " + e.Reason()
}

// Reason is the refusal in words, naming the limit and the estimate.
func (e *CostError) Reason() string {
	s := fmt.Sprintf("the estimated cost of this %s is %s %s", strings.ReplaceAll(string(e.Op), "_", " "),
		group(e.Estimate), e.Op.Unit())
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s + fmt.Sprintf(", over the %s role's limit of %s", e.Role, group(e.Limit))
}

// Check returns a *CostError when estimate is over role's budget for op.
func (b Budgets) Check(role string, op Op, field string, estimate int64, detail string) error {
	limit, ok := b.Limit(role, op)
	if !ok || estimate <= limit {
		return nil
	}
	return &CostError{Op: op, Role: role, Field: field, Estimate: estimate, Limit: limit, Detail: detail}
}

// Set parses one budget setting, "op=N" (every role) or "role:op=N", and
// applies it. N is a non-negative integer; 1e9 style is accepted.
func (b Budgets) Set(s string) error {
	lhs, val, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("budget %q: want op=N or role:op=N", s)
	}
	role, opName := AnyRole, lhs
	if r, o, ok := strings.Cut(lhs, ":"); ok {
		role, opName = r, o
	}
	op := Op(strings.TrimSpace(opName))
	if !slices.Contains(Ops(), op) {
		names := make([]string, 0, len(Ops()))
		for _, o := range Ops() {
			names = append(names, string(o))
		}
		return fmt.Errorf("budget %q: unknown operation %q (known: %s)", s, op, strings.Join(names, ", "))
	}
	n, err := parseCount(strings.TrimSpace(val))
	if err != nil {
		return fmt.Errorf("budget %q: %w", s, err)
	}
	role = strings.TrimSpace(role)
	if b[role] == nil {
		b[role] = map[Op]int64{}
	}
	b[role][op] = n
	if role == AnyRole {
		// "op=N" means every role: drop the roles' own entries for op.
		for r, m := range b {
			if r != AnyRole {
				delete(m, op)
			}
		}
	}
	return nil
}

// parseCount parses a non-negative integer, also written as 5e6.
func parseCount(s string) (int64, error) {
	if n, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64); err == nil && n >= 0 {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f != float64(int64(f)) || f > 9e18 {
		return 0, fmt.Errorf("%q is not a non-negative integer", s)
	}
	return int64(f), nil
}

// group writes n with thousands separators: 1,000,000.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Mul multiplies non-negative factors, saturating at the largest int64
// (a cost estimate of 10¹⁴ × 10⁶ must not wrap around to look cheap).
func Mul(factors ...int64) int64 {
	out := int64(1)
	for _, f := range factors {
		if f <= 0 {
			return 0
		}
		if out > math.MaxInt64/f {
			return math.MaxInt64
		}
		out *= f
	}
	return out
}

// Add adds non-negative terms, saturating.
func Add(terms ...int64) int64 {
	var out int64
	for _, t := range terms {
		if out > math.MaxInt64-t {
			return math.MaxInt64
		}
		out += t
	}
	return out
}
