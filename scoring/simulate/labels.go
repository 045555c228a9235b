package simulate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

// What a grid point is, in words, and which points a sweep leaves out.
//
// An axis over a policy field ("alpha") overrides what the policy of the
// point says. For most presets that is the point of the sweep — sesame at
// α = 0.5 is a question worth asking — so the point runs, and its
// Description says what was overridden: "sesame, α = 0.5 (preset: 0.15)".
// The baseline preset is different: it IS the policy without a network
// effect (α = 0, centrality 0, no friend-default penalty), so "baseline at
// α = 0.25" is not baseline at all. Such a point is never run under the
// name baseline:
//
//   - where a policy axis crosses baseline with other policies, the point
//     is left out of the grid (Skipped, with the reason; the report lists
//     it), so the README's grid "alpha=0,0.25,… × policy=baseline,sesame,…"
//     runs baseline once, at α = 0, and every other policy at every α;
//   - where every point is baseline (the base policy, or a policy axis of
//     baseline alone), or where baseline has no point left, the sweep is
//     rejected with an error that names the axis value and says why.

// Skipped is a grid point a sweep leaves out, and why.
type Skipped struct {
	Label  string `json:"label"`
	Reason string `json:"reason"`
}

// networkEffect says whether the policy scores anyone on their friends:
// contagion, centrality or a friend-default penalty.
func networkEffect(p scoring.Policy) bool {
	return p.Alpha > 0 || p.Centrality > 0 || p.FriendDefaultPenalty > 0
}

// baselineReason is why a point that gives baseline a network effect is
// not baseline.
func baselineReason(p scoring.Policy) string {
	var what []string
	if p.Alpha > 0 {
		what = append(what, "α = "+fmtNum(p.Alpha))
	}
	if p.Centrality > 0 {
		what = append(what, "centrality = "+fmtNum(p.Centrality))
	}
	if p.FriendDefaultPenalty > 0 {
		what = append(what, "friend_default_penalty = "+fmtNum(p.FriendDefaultPenalty))
	}
	return fmt.Sprintf("baseline is the policy without a network effect (α = 0, centrality 0, no friend-default penalty); "+
		"with %s it would be another policy under baseline's name", strings.Join(what, ", "))
}

// isPreset reports whether p is exactly the built-in policy of its name.
func isPreset(p scoring.Policy) bool {
	q, ok := scoring.Preset(p.Name)
	return ok && reflect.DeepEqual(p, q)
}

// axisSymbol is how the report names a swept field.
func axisSymbol(path []string) string {
	if len(path) == 2 && path[0] == "policy" && path[1] == "alpha" {
		return "α"
	}
	if path[0] == "policy" && len(path) > 1 {
		return strings.Join(path[1:], ".")
	}
	return strings.Join(path, ".")
}

// describe names a grid point in words: its policy, then every swept
// value in axis order ("sesame, α = 0.5 (preset: 0.15), drop_rule =
// threshold"), a policy field's value followed by what the policy it
// overrides says where that differs. pre is the point's policy before the
// policy fields were set.
func describe(paths [][]string, vals []string, pre scoring.Policy, cfg Config) string {
	parts := []string{cfg.Policy.Name}
	for i, path := range paths {
		if len(path) == 1 && path[0] == "policy" {
			continue
		}
		s := axisSymbol(path) + " = " + vals[i]
		if path[0] == "policy" {
			was, now := policyText(pre, path[1:]), policyText(cfg.Policy.Policy, path[1:])
			if was != now {
				whose := "preset"
				if !isPreset(pre) {
					whose = "policy"
				}
				s += fmt.Sprintf(" (%s: %s)", whose, was)
			}
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// policyText is the value of the policy field at path, as text.
func policyText(p scoring.Policy, path []string) string {
	data, err := json.Marshal(p)
	if err != nil {
		return "?"
	}
	var tree any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return "?"
	}
	for _, k := range path {
		m, ok := tree.(map[string]any)
		if !ok {
			return "?"
		}
		tree = m[k]
	}
	switch v := tree.(type) {
	case nil:
		return "0" // omitted when empty (friend_default_*)
	case json.Number:
		if f, err := v.Float64(); err == nil {
			return fmtNum(f)
		}
		return v.String()
	case string:
		return v
	}
	return fmt.Sprint(tree)
}

// fmtNum writes a number in its shortest exact form.
func fmtNum(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// checkBaseline applies the rule above to the grid: it returns the points
// to run and those left out, or an error if a point that would give
// baseline a network effect cannot be left out. policyAxis is the index of
// the "policy" axis, or -1.
func checkBaseline(s Sweep, points []Point, pre []scoring.Policy, policyAxis int) ([]Point, []Skipped, error) {
	var keep []Point
	var skipped []Skipped
	crossed := policyAxis >= 0 && len(s.Axes[policyAxis].Values) > 1
	for i, p := range points {
		// Only what the axes change counts: a policy of the caller's that
		// is named baseline is the caller's to name.
		if pre[i].Name != scoring.PolicyBaseline || networkEffect(pre[i]) || !networkEffect(p.Config.Policy.Policy) {
			keep = append(keep, p)
			continue
		}
		reason := baselineReason(p.Config.Policy.Policy)
		if !crossed {
			return nil, nil, graph.Invalid(badAxis(s), "sweep point %s: %s; sweep the other policies over it, or leave baseline out", p.Label, reason)
		}
		skipped = append(skipped, Skipped{Label: p.Label, Reason: reason})
	}
	if policyAxis >= 0 {
		for j, v := range s.Axes[policyAxis].Values {
			kept := slices.ContainsFunc(keep, func(k Point) bool { return k.Values[policyAxis] == v })
			if firstPre(points, pre, policyAxis, v) == scoring.PolicyBaseline && !kept {
				return nil, nil, graph.Invalid(fmt.Sprintf("axes/%d/values/%d", policyAxis, j),
					"policy %s has no point without a network effect: baseline is α = 0, centrality 0 and no friend-default penalty, "+
						"and every value of the other axes changes that; add those values (alpha=0) or leave baseline out", v)
			}
		}
	}
	return keep, skipped, nil
}

// firstPre is the name of the policy a policy-axis value loads.
func firstPre(points []Point, pre []scoring.Policy, policyAxis int, v string) string {
	for i, p := range points {
		if p.Values[policyAxis] == v {
			return pre[i].Name
		}
	}
	return ""
}

// badAxis names the first axis over a policy field, for an error about
// baseline.
func badAxis(s Sweep) string {
	for i, a := range s.Axes {
		if path, err := resolveField(a.Field); err == nil && len(path) > 1 && path[0] == "policy" {
			return fmt.Sprintf("axes/%d", i)
		}
	}
	return "axes"
}
