package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
	"github.com/socialscore/socialscore/scoring/simulate"
)

// simFlag maps a command-line flag of simulate to the config field it
// sets (simulate.Config's JSON name).
type simFlag struct {
	name, field, usage string
}

var simFlags = []simFlag{
	{"drop-rule", "drop_rule", "who is dropped: threshold, relative or best_response"},
	{"threshold", "threshold", "threshold rule: friends scoring below this may be dropped"},
	{"margin", "margin", "relative rule: friends scoring more than this many points below oneself may be dropped"},
	{"min-gain", "min_gain", "best_response rule: the fewest score points a drop must gain"},
	{"p-high-drops-low", "p_high_drops_low", "probability that a high scorer drops a low friend the rule picks"},
	{"p-low-drops-low", "p_low_drops_low", "probability that a low scorer drops a low friend the rule picks"},
	{"max-drops", "max_drops_per_round", "most friends one person drops per round"},
	{"full-cost", "full_cost", "points friends must cost a person for them to act with the full drop probability (0: any cost)"},
	{"p-form-tie", "p_form_tie", "probability that a person tries to befriend a friend of a friend each round"},
	{"form-bias", "form_bias", "bias of new ties toward higher scorers (0: none)"},
	{"p-effort", "p_effort", "probability that a low scorer invests effort each round"},
	{"effort-size", "effort_size", "on-time bill and credit payments one effort adds"},
	{"low-on", "low_on", "the score that says who is low: individual (own record) or score (the policy's)"},
	{"low-score", "low_score", "low means a score below this (set this or --low-quantile)"},
	{"low-quantile", "low_quantile", "low means the bottom share of scores, e.g. 0.3 (set this or --low-score)"},
}

// sweepFlags collects repeated --sweep field=v1,v2 flags.
type sweepFlags []simulate.Axis

func (s *sweepFlags) String() string {
	parts := make([]string, len(*s))
	for i, a := range *s {
		parts[i] = a.Field + "=" + strings.Join(a.Values, ",")
	}
	return strings.Join(parts, " ")
}

func (s *sweepFlags) Set(v string) error {
	a, err := simulate.ParseAxis(v)
	if err != nil {
		return err
	}
	*s = append(*s, a)
	return nil
}

func cmdSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, common := newFlagSet("simulate", stderr)
	def := simulate.DefaultConfig()
	policyArg := fs.String("policy", scoring.PolicySesame, "policy: a preset name or a JSON/YAML file")
	rounds := fs.Int("rounds", def.Rounds, "rounds to simulate (step 0 is recorded before the first)")
	people := fs.Int("people", def.People, "simulate a seeded network of this many people (not with --store)")
	seedVal := fs.Uint64("seed", def.Seed, "random seed: the same seed gives the same output")
	replicates := fs.Int("replicates", 1, "runs per grid point, with seeds derived from --seed")
	out := fs.String("out", "", "folder to write metrics.csv, summary.json, charts/ and report.html to (required)")
	configFile := fs.String("config", "", "JSON file with a simulation config (fields as in summary.json); flags win over it")
	workers := fs.Int("workers", 0, "runs simulated at once (0: GOMAXPROCS); results do not depend on it")
	charts := fs.String("charts", "svg", "format of the report's charts: svg or png")
	var sweeps sweepFlags
	fs.Var(&sweeps, "sweep", "sweep a config field over values: field=v1,v2,... (repeatable; e.g. alpha=0,0.25,0.5 or policy=baseline,sesame,tencent)")
	model := map[string]*string{}
	for _, f := range simFlags {
		model[f.name] = fs.String(f.name, fieldText(def, f.field), f.usage)
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	if *out == "" {
		return usageError{errors.New("simulate: --out DIR is required")}
	}
	if *charts != "svg" && *charts != "png" {
		return usageError{fmt.Errorf("simulate: --charts: want svg or png, got %q", *charts)}
	}
	if set["store"] && set["people"] {
		return usageError{errors.New("simulate: give either --people (a seeded network) or --store (a stored network), not both")}
	}

	cfg := def
	if *configFile != "" {
		f, err := os.Open(*configFile)
		if err != nil {
			return usageError{fmt.Errorf("simulate: --config: %w", err)}
		}
		cfg, err = simulate.DecodeConfig(f)
		f.Close()
		if err != nil {
			return usageError{fmt.Errorf("simulate: --config %s: %w", *configFile, err)}
		}
	}
	if set["policy"] || *configFile == "" {
		pol, err := scoring.LoadPolicy(*policyArg)
		if err != nil {
			return usageError{fmt.Errorf("simulate: --policy: %w", err)}
		}
		cfg.Policy = simulate.PolicySpec{Policy: pol}
	}
	if set["rounds"] || *configFile == "" {
		cfg.Rounds = *rounds
	}
	if set["seed"] || *configFile == "" {
		cfg.Seed = *seedVal
	}
	if set["people"] || *configFile == "" {
		cfg.People = *people
	}
	if set["store"] {
		cfg.People = 0
	}
	for _, f := range simFlags {
		if !set[f.name] {
			continue
		}
		if err := cfg.Set(f.field, *model[f.name]); err != nil {
			return usageError{fmt.Errorf("simulate: --%s: %w", f.name, err)}
		}
	}
	if err := cfg.Validate(); err != nil {
		return usageError{fmt.Errorf("simulate: %s", flagHint(err))}
	}
	sw := simulate.Sweep{Base: cfg, Axes: sweeps, Replicates: *replicates, PolicyLoader: scoring.LoadPolicy}
	points, skipped, err := sw.Grid()
	if err != nil {
		return usageError{fmt.Errorf("simulate: %w", err)}
	}
	for _, s := range skipped {
		fmt.Fprintf(stdout, "not run: %s: %s\n", s.Label, s.Reason)
	}
	if cfg.People == 0 && !set["store"] {
		return usageError{errors.New("simulate: people is 0: give --people N or --store URL")}
	}

	var net *graph.Snapshot
	if set["store"] {
		if net, err = readSnapshot(ctx, common); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "simulating the stored network: %d people, %d friendships\n", net.Len(), net.Friendships())
	}

	total := 0
	for _, p := range points {
		total += p.Config.Rounds * sw.Replicates
	}
	bar := newBar(stderr, total+1, "simulating")
	res, err := simulate.RunSweep(ctx, sw, net, simulate.SweepOptions{
		Workers:  *workers,
		Progress: func(done, total int) { bar.step(fmt.Sprintf("simulating (%d/%d rounds)", done, total)) },
	})
	if err != nil {
		if errors.Is(err, graph.ErrInvalid) {
			return usageError{err}
		}
		return err
	}
	bar.describe("writing outputs")
	t0 := time.Now()
	sum, err := simulate.WriteAllWith(*out, res, simulate.ReportOptions{PNG: *charts == "png"})
	if err != nil {
		return err
	}
	bar.step("done")
	bar.finish()
	fmt.Fprintf(stdout, "simulated %d run(s) (%d grid point(s) × %d replicate(s)) in %s; outputs written in %s\n",
		len(points)*sw.Replicates, len(points), sw.Replicates, res.Elapsed.Round(time.Millisecond), time.Since(t0).Round(time.Millisecond))
	for _, f := range []string{simulate.FileMetrics, simulate.FileSummary, simulate.FileReport, simulate.DirCharts + "/"} {
		fmt.Fprintf(stdout, "  %s\n", filepath.Join(*out, f))
	}
	printEffects(stdout, sum)
	return nil
}

// flagHint names the flag that sets the config field an error is about,
// e.g. "--p-form-tie (p_form_tie): is a probability ...".
func flagHint(err error) string {
	var ve *graph.ValidationError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	name := strings.ReplaceAll(ve.Field, "_", "-")
	for _, f := range simFlags {
		if f.field == ve.Field {
			name = f.name
		}
	}
	switch {
	case strings.HasPrefix(ve.Field, "policy/"):
		return fmt.Sprintf("--policy (%s): %s", ve.Field, ve.Reason)
	case strings.Contains(ve.Field, "/"):
		return err.Error()
	}
	return fmt.Sprintf("--%s (%s): %s", name, ve.Field, ve.Reason)
}

// fieldText returns a config field's value as command-line text (flag
// defaults in the help).
func fieldText(c simulate.Config, field string) string {
	// The config's JSON encoding is the one place that names its fields.
	b, err := json.Marshal(c)
	if err != nil {
		return ""
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return ""
	}
	return strings.Trim(string(m[field]), `"`)
}

// readSnapshot reads the consenting network from the store named by
// --store and closes the store. It only reads: a store that does not
// exist is an error (openStore) rather than a new empty one.
func readSnapshot(ctx context.Context, common *commonFlags) (*graph.Snapshot, error) {
	store, err := openStore(ctx, common.store, common.neo4j)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	snap, err := store.Snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("simulate: read snapshot: %w", err)
	}
	return snap, nil
}

// printEffects prints the report's summary table: per grid point, the
// headline effects' means (the intervals are in the report).
func printEffects(w io.Writer, sum *simulate.Summary) {
	if len(sum.Runs) == 0 || len(sum.Runs[0].Effects) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "grid point\tdropped\tassortativity rise\tfriends, lowest 30%%\tperk tiers, lowest 30%%\tGini\tn\t\n")
	for _, r := range sum.Runs {
		fmt.Fprintf(tw, "%s\t", r.Description)
		for _, e := range r.Effects {
			fmt.Fprintf(tw, "%s\t", strconv.FormatFloat(float64(e.Mean), 'f', effectDigits(e.Name), 64))
		}
		fmt.Fprintf(tw, "%d\t\n", len(r.Seeds))
	}
	fmt.Fprintln(w, "\nmeans over the runs of each grid point (changes: last round minus round 0; 95% intervals in the report):")
	tw.Flush()
}

func effectDigits(name string) int {
	switch name {
	case simulate.EffectTiesDropped:
		return 0
	case simulate.EffectLowDegree:
		return 2
	}
	return 3
}
