// Package simulate is socialscore's policy lab: an agent-based simulation
// of what people do when their friends can lower their score, and what
// that does to the network and to the people with low scores.
//
// It follows Wei, Yildirim, Van den Bulte & Dellarocas, "Credit Scoring
// with Social Network Data", Marketing Science 35(2), 2016 [WYVD16]:
// when a lender scores people on their friends, people have a reason to
// drop friends who pull their score down — high scorers drop low scorers,
// and low scorers drop even lower ones — which makes the network more
// homophilous and can cut low scorers off. The model is run in rounds and
// is reproducible: the same Config (seed included) gives byte-identical
// output.
//
// # The model
//
// A Model holds a private copy of a network (a seeded population from
// package seed, or a store's graph.Snapshot, which is never modified), the
// people's financial records, and their scores under a scoring.Policy,
// computed exactly as scoring.ScoreSnapshot computes them. Step 0 is the
// network as given. Each round (Model.Step):
//
//  1. Everyone sees their current score and their friends'. Who is "low"
//     is decided at the start of the round on the individual score (one's
//     own record only, the pillars; Config.LowOn can choose the policy's
//     score instead): a score below a cut, Config.LowScore or (the
//     default) the step-0 score that has the bottom Config.LowQuantile of
//     the people below it. Everyone else is "high".
//
//  2. Drops. People drop friends whose scores pull theirs down. A
//     person's stake is what their friends cost them overall — the points
//     they would score with no friends minus the points they score, by
//     the one-step estimate (see "The best-response approximation") — as a share of Config.FullCost, capped
//     at 1; nobody whose friends cost them nothing drops anyone. Each
//     person with a stake, in index order, considers their low friends who
//     pull their score down (removing them alone would raise it) and whom
//     the drop rule picks, in order of preference, and drops each with
//     probability stake·PHighDropsLow if they are high themselves,
//     stake·PLowDropsLow if low, at most MaxDropsPerRound per round. High
//     friends are never dropped: in [WYVD16]'s two-type world only ties to
//     low types are cut. The rule threshold picks friends scoring below
//     Threshold, lowest first; relative picks friends scoring more than
//     Margin below oneself, lowest first; best_response picks the friend
//     whose removal raises one's own score most, if it raises it by at
//     least MinGain points and by something, then the best given that
//     removal, and so on (a friend spared by a failed draw is not
//     considered again that round).
//
//     Under the baseline policy (no network effect) friends cost nobody
//     anything, so no rule drops anyone. The stake makes people act more
//     readily the more their friends cost them, which is what a person
//     reads in their score's explanation (the network reason's points).
//
//     Decisions are made on the scores and ties at the start of the round
//     and applied together; a tie dropped by both ends counts once.
//
//  3. New ties. Each person with friends, with probability PFormTie, walks
//     four times to a random friend of a random friend, keeps the walks that
//     end at someone who is not already a friend (nor oneself, nor a tie
//     dropped this round), and picks one with weight
//     exp(FormBias·(score−350)/600), favouring higher scorers. The person
//     asked refuses, with their own drop probability times their stake
//     with the newcomer among their friends, if the newcomer is low, would
//     pull their score down and their rule would pick them. Triadic closure keeps the network from only
//     shrinking; people without friends have nobody to be introduced by.
//
//  4. Effort. Each low scorer, with probability PEffort, improves their
//     record by EffortSize on-time bill payments and as many on-time credit
//     instalments.
//
//  5. Re-scoring under the policy: pillars and base values b from the
//     records (scoring.PillarsOf, recruits counted if active), the network
//     values s of s = (1−α)·b + α·W·s (scoring.Propagate's fixed point),
//     PageRank percentiles (scoring.PageRank, scoring.Percentiles) if the
//     policy weighs centrality, the friend-default penalty, and the final
//     score, rounded and clamped to 350–950.
//
// # Incremental re-scoring
//
// A round changes the ties of some people and the records of others. The
// propagation is re-solved from the previous solution (see propagator):
// when few rows changed, by residual pushing, where work starts at the rows
// that changed and spreads only as far as the change matters; when many
// did, by Jacobi sweeps warm-started from the previous values. Either way
// every row's residual ends below 1e-11, so the values agree with a fresh
// scoring.Propagate to within 1e-9
// (tests check both this and that the final scores equal
// scoring.ScoreSnapshot's for the same network). PageRank is global
// (a tie anywhere changes everyone's rank a little) and is recomputed each
// round when the policy weighs centrality.
//
// # The best-response approximation
//
// The exact effect of u dropping v on u's own network value is global: s is
// the fixed point of the whole network. best_response uses the local
// one-step estimate instead, with the friends' values held fixed:
//
//	ŝ_u(R) = (1−α)·b_u + α·Σ_{v∉R} w_uv·s_v / Σ_{v∉R} w_uv       (b_u if no friend is left)
//	gain(v | R) = 600·(1−c)·(ŝ_u(R∪{v}) − ŝ_u(R)) + Δpenalty
//
// where R is the set already dropped this round, c the policy's centrality
// weight and Δpenalty the change of the friend-default penalty (exact, as
// it is local). The exact change of s_u when only row u of W changes is
// this one-step change times G_uu = [(I − αW')⁻¹]_uu ≥ 1, the expected
// number of returns to u of a random walk that continues with probability
// α. On a seeded network of 10,000 people (ten friends on average) G_uu
// averages 1.006, 1.026 and 1.064 at α = 0.25, 0.5 and 0.75 (at most 1.11),
// so the estimate understates the gain by a few percent. The PageRank
// percentile is held fixed (dropping a friend lowers it a little, so for a
// policy that weighs centrality the estimate is slightly optimistic).
//
// # What the model predicts
//
// Tests over replicates (behaviour_test.go) show [WYVD16]'s predictions
// on seeded networks under best response, the default rule: with no
// network effect nobody drops a friend; as contagion α grows from 0 to
// 0.25, 0.5 and 0.75, more ties are dropped and score assortativity rises
// more, and with any contagion the low starting deciles lose degree and
// perk eligibility relative to the high ones (under sesame their loss of
// perks grows with α at every step).
//
// Two modelling choices make dropping grow with α. The gain from one drop
// is α times the difference between friends' values, and propagation
// shrinks those differences roughly like (1−α), so a rule driven by that
// gain alone would drop most at intermediate contagion; the stake grows
// with α (a high scorer's friends cost them about α·(b_u − mean of
// friends' values) points), so people act more readily as contagion grows.
// And "low" is judged on the individual score, because low network
// scores cluster more the stronger the contagion, leaving high scorers
// with fewer low friends to drop. With LowOn = score, or the threshold and
// relative rules (whose Threshold and Margin are in points, while
// contagion compresses scores), dropping can fall again at strong
// contagion: a finding about those settings, not about the incentive.
//
// # Metrics, runs and sweeps
//
// A Collector records named metrics (Model.Metrics) at step 0 and after
// every round: ties dropped and formed, effort, friendships, isolated
// people, components, the largest component's share, the mean, Gini
// coefficient and assortativity of the scores, the low share, and per
// starting-score decile the mean score, mean degree, mean number of perk
// tiers and the share eligible for each perk tier (package
// scoring/netstat computes the network statistics). Run runs one Config;
// a Sweep runs a grid over any Config fields (policy fields included, e.g.
// "alpha") with replicates, on a pool of workers, each replicate with its
// own seed (ReplicateSeed); Summarize reduces replicates to a mean and a
// 95% Student-t interval per metric and round, and to the headline effects
// of each grid point (Effect: ties dropped over all rounds, the rise of
// score assortativity, the change of the mean friends and perk tiers of
// the lowest 30% of starting scores, the last round's Gini coefficient of
// the scores); WriteAll writes metrics.csv, summary.json, the figures
// (SVG, or PNG with ReportOptions; gonum.org/v1/plot) and a self-contained
// report.html: the summary table of headline effects first, then small
// multiples (one panel per policy, one Okabe–Ito colour per value of the
// other axes), then every metric as tables in an appendix. CheckJob and
// RunJob check and run a sweep submitted through an API, whose job manager
// runs it in the background.
//
// # What a grid point is
//
// An axis over a policy field overrides what the point's policy says, and
// the point's Description says so: "sesame, α = 0.5 (preset: 0.15)". The
// baseline preset is the exception: it is the policy without a network
// effect (α = 0, centrality 0, no friend-default penalty), so a point that
// would give it one is not baseline. Where a policy axis crosses baseline
// with other policies, such points are left out of the grid (Sweep.Grid
// returns them as Skipped, with the reason, and the report lists them):
// the grid alpha=0,0.25,0.5,0.75 × policy=baseline,sesame,tencent runs
// baseline once, at α = 0, and drops no tie there. Where every point is
// baseline, or baseline has no point left, the sweep is an error naming
// the axis value.
//
// # Randomness
//
// Every random draw comes from one PCG stream (math/rand/v2) per run,
// seeded with the run's seed, consumed in a fixed order: drops, then new
// ties, then effort, each over people in index order. The seeded network
// comes from seed.Generate with the same seed. Parallel work (base values,
// residuals, PageRank, final scores, the runs of a sweep) computes each
// value independently of how work is split, so results do not depend on
// the number of goroutines.
//
// # Where the code is
//
// model.go holds the Model, its construction (NewModel, SeededNetwork,
// built with graph.SnapshotOf) and a round (Model.Step); behaviour.go
// what people do in a round: who is low, the stake, the drop rules with
// the best-response estimate, new ties and effort; network.go the edits
// of the private network (adding and removing ties, the CSR rebuilt after
// a round); rescore.go the re-scoring, where every formula is package
// scoring's (scoring.PillarsIn, scoring.PageRank, scoring.Percentiles,
// scoring.FinalValue, the policy's friend-default penalty); propagate.go
// the incremental propagation, this package's own way to solve
// scoring's propagation again after a round, row by row with
// scoring.PropagationRow or by scoring.RefinePropagation's sweeps.
// metrics.go collects the metrics; sweep.go runs configs and sweeps,
// whose fields setfield.go sets by their JSON names through reflection;
// summary.go and output.go reduce and write the results; jobs.go checks
// and runs a sweep for the API's job manager.
//
// # References
//
//	[WYVD16] Y. Wei, P. Yildirim, C. Van den Bulte and C. Dellarocas,
//	         "Credit Scoring with Social Network Data", Marketing Science
//	         35(2), 2016.
//	[FJ90]   N. E. Friedkin and E. C. Johnsen, "Social influence and
//	         opinions", J. Mathematical Sociology 15(3–4):193–206, 1990.
//	[ACL06]  R. Andersen, F. Chung and K. Lang, "Local graph partitioning
//	         using PageRank vectors", FOCS 2006 (residual pushing).
//	[New03]  M. E. J. Newman, "Mixing patterns in networks", Physical
//	         Review E 67:026126, 2003 (assortativity).
package simulate
