package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/socialscore/socialscore/scoring/community"
)

// cmdMetrics prints the network metrics of the store's consenting network
// with the scores of its latest run (or of --policy, scored now and not
// saved): the report of GET /v1/network/metrics (community.Report), as a
// screen of text or, with --json, as the same JSON.
func cmdMetrics(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, common := newFlagSet("metrics", stderr)
	policyArg := fs.String("policy", "", "score under this policy now (default: the store's latest run, else $SOCIALSCORE_POLICY or sesame)")
	asJSON := fs.Bool("json", false, "print the report as JSON (the body of GET /v1/network/metrics without run_id and snapshot_at)")
	louvainMax := fs.Int("louvain-max", community.DefaultLouvainMaxPeople, "run Louvain only up to this many people (0: never)")
	seedVal := fs.Uint64("seed", 0, "Louvain's random seed")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *louvainMax < 0 {
		return usageError{fmt.Errorf("metrics: --louvain-max must be 0 or more")}
	}
	store, snap, err := openSnapshot(ctx, common, "metrics")
	if err != nil {
		return err
	}
	defer store.Close()
	sc, err := loadScores(ctx, store, snap, *policyArg, stderr)
	if err != nil {
		return err
	}
	opts := community.ReportOptions{LouvainMaxPeople: *louvainMax, Seed: *seedVal}
	if *louvainMax == 0 {
		opts.LouvainMaxPeople = -1
	}
	rep, err := community.Report(ctx, snap, sc.Results, opts)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	policy := ""
	if sc.Policy != nil {
		policy = fmt.Sprintf(", policy %q", sc.Policy.Name)
	}
	printMetrics(stdout, rep, policy)
	return nil
}

// printMetrics writes the report as one screen of text.
func printMetrics(w io.Writer, r community.NetworkReport, policy string) {
	num := func(x *float64, format string) string {
		if x == nil {
			return "undefined"
		}
		return fmt.Sprintf(format, *x)
	}
	fmt.Fprintf(w, "network: %d people, %d friendships, %d scored%s\n", r.People, r.Friendships, r.Scored, policy)
	fmt.Fprintf(w, "friends per person: mean %.2f, max %d; Gini %s; degree assortativity %s\n",
		r.MeanDegree, r.MaxDegree, num(r.DegreeGini, "%.3f"), num(r.DegreeAssortativity, "%+.3f"))
	fmt.Fprintf(w, "clustering: transitivity %s (share of closed triples), average local %s\n",
		num(r.Transitivity, "%.3f"), num(r.AverageClustering, "%.3f"))
	share := 0.0
	if r.People > 0 {
		share = 100 * r.Components.LargestShare
	}
	fmt.Fprintf(w, "components: %d (largest %d people, %.1f%%), %d without friends\n",
		r.Components.Count, r.Components.Largest, share, r.Components.Isolated)
	fmt.Fprintf(w, "scores: assortativity %s (individual %s), Gini %s\n",
		num(r.ScoreAssortativity, "%+.3f"), num(r.IndividualAssortativity, "%+.3f"), num(r.ScoreGini, "%.3f"))
	fmt.Fprintln(w, "communities:")
	for _, c := range r.Communities {
		if c.Skipped != "" {
			fmt.Fprintf(w, "  %-8s skipped: %s\n", c.Method, c.Skipped)
			continue
		}
		line := fmt.Sprintf("  %-8s %d communities (%d of one person), modularity %.3f", c.Method, c.Count, c.Singletons, c.Modularity)
		if len(c.Top) > 0 {
			sizes := make([]string, 0, min(5, len(c.Top)))
			for _, t := range c.Top[:min(5, len(c.Top))] {
				sizes = append(sizes, fmt.Sprint(t.Size))
			}
			line += ", largest " + strings.Join(sizes, ", ")
		}
		fmt.Fprintln(w, line)
		if c.SingleCommunity {
			fmt.Fprintf(w, "           note: %s\n", c.Note)
		}
	}
}
