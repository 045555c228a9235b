package main

import (
	"context"
	"crypto/rand"
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

	"github.com/socialscore/socialscore/export"
	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
	"github.com/socialscore/socialscore/scoring/contagion"
)

// exportKeyEnv names the environment variable holding the pseudonymisation
// key of exports when --key-file is not given.
const exportKeyEnv = "SOCIALSCORE_EXPORT_KEY"

// privacy holds the flags that decide which ids an output carries.
type privacy struct {
	realIDs bool
	keyFile string
}

func privacyFlags(fs *flag.FlagSet) *privacy {
	p := &privacy{}
	fs.BoolVar(&p.realIDs, "real-ids", false, "write real person ids instead of pseudonyms (the output is then personal data)")
	fs.StringVar(&p.keyFile, "key-file", "", "file holding the secret key that pseudonymises ids (default: env "+exportKeyEnv+", else the store's own key, made once and kept in the store)")
	return p
}

// undirected is the --undirected-recruitments flag.
type undirected struct{ on bool }

func undirectedFlag(fs *flag.FlagSet) *undirected {
	u := &undirected{}
	fs.BoolVar(&u.on, "undirected-recruitments", true, "write recruitments as undirected edges in GEXF/GraphML (kind stays \"recruited\", the recruiter is the source), so NetworkX and igraph read the file; =false writes them directed beside undirected friendships (a mixed graph, for Gephi, yEd, Cytoscape; NetworkX refuses it)")
	return u
}

func (u *undirected) options() []export.WriteOption {
	if !u.on {
		return []export.WriteOption{export.DirectedRecruitments()}
	}
	return nil
}

// pseudonymizer returns the id mapping the flags ask for: real ids, or the
// key from --key-file or the environment. Without either the key is left
// empty, for the store's own key (withStoreKey; a server takes it from the
// store itself), so that a person has one pseudonym across exports,
// formats and restarts.
func (p *privacy) pseudonymizer(stderr io.Writer) (export.Pseudonymizer, error) {
	if p.realIDs {
		fmt.Fprintln(stderr, "note: writing real ids (--real-ids): treat the output as personal data")
		return export.Pseudonymizer{RealIDs: true}, nil
	}
	var key []byte
	switch {
	case p.keyFile != "":
		data, err := os.ReadFile(p.keyFile)
		if err != nil {
			return export.Pseudonymizer{}, usageError{fmt.Errorf("--key-file: %w", err)}
		}
		key = []byte(strings.TrimSpace(string(data)))
	case os.Getenv(exportKeyEnv) != "":
		key = []byte(os.Getenv(exportKeyEnv))
	default:
		return export.Pseudonymizer{}, nil // the store's key: withStoreKey
	}
	ps := export.Pseudonymizer{Key: key}
	if err := ps.Validate(); err != nil {
		return export.Pseudonymizer{}, usageError{err}
	}
	return ps, nil
}

// withStoreKey fills in the store's pseudonymisation key
// (graph.PseudonymKeyStore, made on first use and kept in the store) when
// ps has neither a key nor real ids; a store without one gets a one-off
// random key, with a note on stderr.
func withStoreKey(ctx context.Context, store graph.Store, ps export.Pseudonymizer, stderr io.Writer) (export.Pseudonymizer, error) {
	if ps.RealIDs || len(ps.Key) > 0 {
		return ps, nil
	}
	if ks, ok := store.(graph.PseudonymKeyStore); ok {
		key, err := ks.PseudonymKey(ctx)
		if err != nil {
			return ps, err
		}
		ps.Key = key
		return ps, nil
	}
	ps.Key = make([]byte, 32)
	if _, err := rand.Read(ps.Key); err != nil {
		return ps, err
	}
	fmt.Fprintf(stderr, "note: ids pseudonymised with a one-off key; set --key-file or %s to link exports\n", exportKeyEnv)
	return ps, nil
}

// loadScores returns the scores to annotate the snapshot with: under
// policyArg scored on the fly if it is set, else the store's latest run,
// else scored on the fly under the default policy. Nothing is saved.
func loadScores(ctx context.Context, store graph.Store, snap *graph.Snapshot, policyArg string, stderr io.Writer) (contagion.Scores, error) {
	if policyArg == "" {
		r := scoring.NewRunner(store, nil)
		if err := r.Load(ctx); err != nil {
			return contagion.Scores{}, err
		}
		if v := r.View(); v != nil {
			fmt.Fprintf(stderr, "scores of run %s (policy %q)\n", v.Run.ID, v.Policy.Name)
			return contagion.ViewScores(v), nil
		}
		policyArg = envOr("SOCIALSCORE_POLICY", "sesame")
		fmt.Fprintf(stderr, "no scoring run in the store: scoring under %q now (not saved)\n", policyArg)
	}
	pol, err := scoring.LoadPolicy(policyArg)
	if err != nil {
		return contagion.Scores{}, usageError{err}
	}
	results, _, err := scoring.ScoreSnapshot(ctx, snap, pol, scoring.Options{})
	if err != nil {
		return contagion.Scores{}, err
	}
	return contagion.Scores{Results: results, Policy: &pol}, nil
}

// createOutput opens the file to write ("-": stdout); close commits it.
// A failed write leaves no partial file behind.
func createOutput(path string, stdout io.Writer) (w io.Writer, close func(ok bool) error, err error) {
	if path == "-" {
		return stdout, func(bool) error { return nil }, nil
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, nil, err
		}
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, nil, err
	}
	return f, func(ok bool) error {
		if !ok {
			f.Close()
			os.Remove(f.Name())
			return nil
		}
		if err := f.Close(); err != nil {
			os.Remove(f.Name())
			return err
		}
		return os.Rename(f.Name(), path)
	}, nil
}

// writeFile writes one output with fn.
func writeFile(path string, stdout io.Writer, fn func(w io.Writer) error) error {
	w, done, err := createOutput(path, stdout)
	if err != nil {
		return err
	}
	if err := fn(w); err != nil {
		done(false)
		return err
	}
	return done(true)
}

// cmdExport writes the whole network, an ego network or a sample as JSON,
// GEXF or GraphML.
func cmdExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, common := newFlagSet("export", stderr)
	formatArg := fs.String("format", "", "json, gexf or graphml (default: from the extension of --out, else json)")
	out := fs.String("out", "", "file to write, '-' for standard output (required)")
	ego := fs.String("ego", "", "export the ego network of this person id")
	depth := fs.Int("depth", 2, "ego network depth, 1.."+strconv.Itoa(contagion.MaxEgoDepth))
	limit := fs.Int("limit", contagion.MaxEgoLimit, "most people in an ego network (documented truncation beyond)")
	sample := fs.Int("sample", 0, "export a sample of this many people")
	seedVal := fs.Uint64("seed", 1, "random seed of --sample")
	method := fs.String("sample-method", "snowball", "snowball (breadth-first from random people) or uniform")
	policyArg := fs.String("policy", "", "score under this policy now (default: the store's latest run, else $SOCIALSCORE_POLICY or sesame)")
	undirected := undirectedFlag(fs)
	priv := privacyFlags(fs)
	progress := progressFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageError{errors.New("export: --out FILE is required ('-' for standard output)")}
	}
	var format export.Format
	var err error
	switch {
	case *formatArg != "":
		format, err = export.ParseFormat(*formatArg)
	case *out != "-":
		if format, err = export.ParseFormat(strings.TrimPrefix(filepath.Ext(*out), ".")); err != nil {
			format, err = export.FormatJSON, nil
		}
	default:
		format = export.FormatJSON
	}
	if err != nil {
		return usageError{err}
	}
	if *ego != "" && *sample != 0 {
		return usageError{errors.New("export: --ego and --sample exclude each other")}
	}
	var center graph.ID
	if *ego != "" {
		if center, err = graph.ParseID(*ego); err != nil {
			return usageError{fmt.Errorf("--ego: %w", err)}
		}
	}
	if *sample < 0 || (*method != "snowball" && *method != "uniform") {
		return usageError{errors.New("export: --sample must be positive and --sample-method snowball or uniform")}
	}
	ps, err := priv.pseudonymizer(stderr)
	if err != nil {
		return err
	}

	bar := newWriteProgress(stderr, *progress, "reading the store")
	defer bar.stop()
	store, snap, err := openSnapshot(ctx, common, "export")
	if err != nil {
		return err
	}
	defer store.Close()
	if ps, err = withStoreKey(ctx, store, ps, stderr); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	bar.phase("reading the scores")
	sc, err := loadScores(ctx, store, snap, *policyArg, stderr)
	if err != nil {
		return err
	}

	bar.phase("building the graph")
	var g *export.Graph
	switch {
	case *ego != "":
		eg, err := contagion.Ego(snap, sc, center, *depth, *limit)
		if errors.Is(err, graph.ErrInvalid) {
			return usageError{err}
		}
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if eg.Truncated {
			fmt.Fprintf(stderr, "note: %d people within %d hops, kept %d (whole hops, then highest PageRank)\n", eg.Reached, eg.Depth, eg.Kept)
		}
		g, err = export.FromEgo(eg, ps)
		if err != nil {
			return err
		}
		if sc.Policy != nil {
			g.Meta.Policy = sc.Policy.Name
		}
	case *sample > 0 && *method == "uniform":
		g, err = export.SampleUniform(snap, sc, *sample, *seedVal, ps)
	case *sample > 0:
		g, err = export.Sample(snap, sc, *sample, *seedVal, ps)
	default:
		g, err = export.FromSnapshot(snap, sc, ps)
	}
	if err != nil {
		return err
	}
	bar.phase("writing " + *out)
	if err := writeFile(*out, stdout, func(w io.Writer) error { return export.Write(bar.wrap(w), format, g, undirected.options()...) }); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	bar.finish()
	if *out != "-" {
		ids := "pseudonymised ids"
		if ps.RealIDs {
			ids = "real ids"
		}
		fmt.Fprintf(stdout, "wrote %s: %s %s, %d people, %d ties (%s)\n", *out, format, g.Meta.Kind, len(g.Nodes), len(g.Links), ids)
	}
	return nil
}

// cmdExperiment runs research experiments; the one there is: shock.
func cmdExperiment(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: socialscore experiment shock --ids ID[,ID...] --event KIND[:ARG] [--event ...] [flags]")
		return usageError{errors.New("experiment: no experiment given (want shock)")}
	}
	if isHelpArg(args[0]) {
		return helpRequest{topic: "experiment"}
	}
	switch args[0] {
	case "shock":
		return cmdShock(ctx, args[1:], stdout, stderr)
	}
	return usageError{fmt.Errorf("experiment: unknown experiment %q (want shock)", args[0])}
}

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// cmdShock runs a shock experiment against the store's network without
// changing it, prints a summary and optionally writes the result as JSON
// and the affected people as a dynamic GEXF.
func cmdShock(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, common := newFlagSet("experiment shock", stderr)
	idsArg := fs.String("ids", "", "comma-separated ids of the people whose records change (required)")
	var events listFlag
	fs.Var(&events, "event", "event given to each of them, repeatable: "+strings.Join(contagion.EventKinds(), ", "))
	policyArg := fs.String("policy", envOr("SOCIALSCORE_POLICY", "sesame"), "policy: a preset name or a JSON/YAML file (env SOCIALSCORE_POLICY)")
	steps := fs.Int("steps", contagion.DefaultMaxSteps, "propagation steps reported one by one (the total is at convergence)")
	out := fs.String("out", "", "write the result as JSON to this file ('-': standard output)")
	gexf := fs.String("gexf", "", "write the people who moved (and the shocked) as a dynamic GEXF to this file")
	top := fs.Int("top", 10, "largest moves to print")
	undirected := undirectedFlag(fs)
	priv := privacyFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *idsArg == "" || len(events) == 0 {
		return usageError{errors.New("experiment shock: --ids and at least one --event are required")}
	}
	var ids []graph.ID
	for _, s := range strings.Split(*idsArg, ",") {
		id, err := graph.ParseID(strings.TrimSpace(s))
		if err != nil {
			return usageError{fmt.Errorf("--ids: %w", err)}
		}
		ids = append(ids, id)
	}
	now := time.Now()
	var evs []graph.Event
	for _, e := range events {
		ev, err := contagion.ParseEvent(e, now)
		if err != nil {
			return usageError{fmt.Errorf("--event: %w", err)}
		}
		evs = append(evs, ev)
	}
	pol, err := scoring.LoadPolicy(*policyArg)
	if err != nil {
		return usageError{err}
	}
	if *steps < 1 || *steps > contagion.MaxMaxSteps {
		return usageError{fmt.Errorf("--steps: must be between 1 and %d", contagion.MaxMaxSteps)}
	}
	ps, err := priv.pseudonymizer(stderr)
	if err != nil {
		return err
	}

	// Nothing is written: the experiment runs on a snapshot.
	store, snap, err := openSnapshot(ctx, common, "experiment shock")
	if err != nil {
		return err
	}
	defer store.Close()
	if ps, err = withStoreKey(ctx, store, ps, stderr); err != nil {
		return fmt.Errorf("experiment shock: %w", err)
	}
	base, _, err := scoring.ScoreSnapshot(ctx, snap, pol, scoring.Options{})
	if err != nil {
		return err
	}
	req := contagion.ShockRequest{Baseline: base, Now: now, MaxSteps: *steps}
	for _, id := range ids {
		req.Changes = append(req.Changes, contagion.Change{ID: id, Events: evs})
	}
	res, err := contagion.Shock(ctx, snap, pol, req)
	var ve *graph.ValidationError
	if errors.As(err, &ve) {
		return usageError{fmt.Errorf("experiment shock: %w", err)}
	}
	if err != nil {
		return fmt.Errorf("experiment shock: %w", err)
	}
	printShock(stdout, res, events, ps, *top)

	if *out != "" {
		doc, err := export.Shock(res, ps)
		if err != nil {
			return err
		}
		err = writeFile(*out, stdout, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(doc)
		})
		if err != nil {
			return fmt.Errorf("experiment shock: %w", err)
		}
		if *out != "-" {
			fmt.Fprintf(stdout, "wrote %s\n", *out)
		}
	}
	if *gexf != "" {
		members := append([]graph.ID(nil), ids...)
		for _, d := range res.Total.Deltas {
			members = append(members, d.ID)
		}
		for _, st := range res.Steps {
			for _, d := range st.Deltas {
				members = append(members, d.ID)
			}
		}
		g, err := export.Subgraph(snap, contagion.Scores{Results: base, Policy: &pol}, members, ps)
		if err != nil {
			return err
		}
		if err := g.AttachShock(res, ps); err != nil {
			return err
		}
		if err := writeFile(*gexf, stdout, func(w io.Writer) error { return export.WriteGEXF(w, g, undirected.options()...) }); err != nil {
			return fmt.Errorf("experiment shock: %w", err)
		}
		fmt.Fprintf(stdout, "wrote %s: %d people, %d ties, steps 0..%d\n", *gexf, len(g.Nodes), len(g.Links), g.Steps[len(g.Steps)-1])
	}
	return nil
}

// printShock prints the summary of a shock: the changed people, the steps,
// reach by hop at convergence, the totals and the largest moves.
func printShock(w io.Writer, res contagion.ShockResult, events []string, ps export.Pseudonymizer, top int) {
	people := "people"
	if len(res.Changes) == 1 {
		people = "person"
	}
	fmt.Fprintf(w, "shock under %q (α = %.2f) on %d people: %s for %d %s\n", res.Policy, res.Alpha, res.People, strings.Join(events, " + "), len(res.Changes), people)
	// The people changed are the ones named on the command line: they are
	// shown by their id, with the pseudonym that the files written carry.
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "person\tindividual before\tafter\tscore before\tafter\t"
	if !ps.RealIDs {
		head += "pseudonym\t"
	}
	fmt.Fprintln(tw, head)
	for _, c := range res.Changes {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t", c.ID, c.IndividualBefore, c.IndividualAfter, c.ScoreBefore, c.ScoreAfter)
		if !ps.RealIDs {
			fmt.Fprintf(tw, "%s\t", ps.ID(c.ID))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nsteps (people moved by ≥ %g point against the baseline):\n", res.MinMove)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "step\tmoved\tpoints lost\tpoints gained\tmoved by hop\t")
	for _, st := range res.Steps {
		fmt.Fprintf(tw, "%d\t%d\t%.1f\t%.1f\t%v\t\n", st.Step, st.Moved, st.PointsLost, st.PointsGained, st.MovedByHop)
	}
	tw.Flush()
	state := "converged"
	if !res.Converged {
		state = "did not converge"
	}
	fmt.Fprintf(w, "%s after %d steps\n\nreach at convergence:\n", state, res.Iterations)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "hop\tpeople\tmoved\tpoints lost\tpoints gained\t")
	for _, r := range res.Total.Reach {
		if r.Moved == 0 && r.PointsLost < 0.05 && r.PointsGained < 0.05 {
			continue
		}
		fmt.Fprintf(tw, "%d\t%d\t%d\t%.1f\t%.1f\t\n", r.Hop, r.People, r.Moved, r.PointsLost, r.PointsGained)
	}
	tw.Flush()
	t := res.Total
	fmt.Fprintf(w, "total: %d people moved ≥ %g point, %.1f points lost, %.1f gained, max hop %d (%.0f ms)\n",
		t.Moved, res.MinMove, t.PointsLost, t.PointsGained, t.MaxHop, res.ElapsedMS)
	if top > 0 && len(t.Deltas) > 0 {
		fmt.Fprintln(w, "\nlargest moves:")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "person\thop\tbefore\tafter\tdelta\t")
		named := map[graph.ID]bool{}
		for _, c := range res.Changes {
			named[c.ID] = true
		}
		for _, d := range t.Deltas[:min(top, len(t.Deltas))] {
			who := ps.ID(d.ID)
			if named[d.ID] {
				who = d.ID.String() // named on the command line
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%+.1f\t\n", who, d.Hop, d.Before, d.After, d.Delta)
		}
		tw.Flush()
	}
}

// openSnapshot opens the store the flags name and reads its snapshot; the
// caller closes the store.
func openSnapshot(ctx context.Context, common *commonFlags, what string) (graph.Store, *graph.Snapshot, error) {
	store, err := openStore(ctx, common.store, common.neo4j)
	if err != nil {
		return nil, nil, err
	}
	snap, err := store.Snapshot(ctx)
	if err != nil {
		store.Close()
		return nil, nil, fmt.Errorf("%s: snapshot: %w", what, err)
	}
	return store, snap, nil
}
