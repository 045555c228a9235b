// Package seed makes socialscore populations: synthetic ones, with a
// social network and financial records of realistic shape (Generate), and
// imported ones, from a SNAP edge list and an optional CSV of people
// (ImportBatch). Both return a graph.Batch for a graph.BatchWriter. For
// populations too large for a batch, Stream and ImportNetwork return the
// same population as a Network (CSR arrays of int32 indices, people made
// on demand), which graph/embedded's Store.Load or LoadChunks (any
// graph.BatchWriter, in batches of people with their ties to earlier
// people) loads with bounded memory; see "Streaming" below.
//
// # Generative model
//
// Generate is deterministic: every random draw comes from a PCG generator
// (math/rand/v2) seeded with Config.Seed, one stream per phase, so the same
// Config gives a byte-identical batch, and changing, say, ConsentShare
// leaves the network and records unchanged. People are numbered 1..N in
// order of arrival.
//
// Network. Friendships grow by the Holme–Kim model [HK02], preferential
// attachment [BA99] with triad formation. The network starts as a clique of
// ⌈m⌉+1 people, m = MeanDegree/2. Each newcomer v then makes m friendships
// (⌊m⌋ or ⌈m⌉ when m is fractional). The first goes to someone w drawn
// with probability proportional to their degree (PA). Each further one
// is, with probability Triad, a triad formation step: a friend of w, drawn
// uniformly among those not yet linked to v, closing the triangle v–w–u;
// otherwise (or if w has no such friend) it is another PA step, which sets
// a new w. The degree distribution is heavy-tailed, P(k) ∝ k^-3, and
// clustering grows with Triad while staying independent of N. At
// MeanDegree 10 and N = 100,000 the defaults give a maximum degree near
// 1,300 and an average local clustering coefficient near 0.17 (Triad 0.7:
// 0.26, 0.9: 0.38), against 10⁻⁴ for an Erdős–Rényi graph of the same
// density. Every friendship has the default weight (Weight 0, meaning 1).
//
// Homophily. Friends resemble each other in income, education and
// conduct [MSC01]; here they resemble each other in a latent financial
// health z, mean 0 and variance 1. Draw ε and η iid N(0,1), smooth ε over
// the network four times with the lazy averaging operator S = (I + W)/2,
// where W averages over a person's friends, standardise it to s, and set
// z = √h·s + √(1-h)·η, re-standardised, with h = Homophily. So h is the
// share of the variance of health that is shared through the network:
// h = 0 makes health independent of friends. This only produces the
// correlation; it does not model whether it arose by selection or by
// influence. At the default h = 0.7 the correlation between a person's z
// and their friends' mean z is about 0.7, and between a person's on-time
// payment share and their friends' mean share about 0.48.
//
// Records. Each person's record and profile are drawn from z plus
// individual noise (see record.go for the constants):
//
//   - purchases: a Poisson count (median 24), and a total that is the
//     count times a lognormal ticket (median 38), both rising with z;
//   - bills: a Poisson count (median 24) of which a Binomial number are
//     late, with a late probability logistic in z (about 79% of all bill
//     payments on time), each late payment 1 + Poisson days late, fewer
//     days for higher z;
//   - credit: held with probability logistic in z (about 61% of people);
//     instalments as for bills, about 89% on time;
//   - defaults: only among borrowers, with probability logistic in z with
//     a steep slope, so they are rare (about 3.4% of people) and
//     concentrated at low z; one default, or two with probability 0.15,
//     each for a lognormal amount (median 1,500);
//   - LastEventAt: before Config.Now by an exponential time (mean a week,
//     shorter for higher z, at most a year); zero for someone inactive;
//   - profile: each field provided with probability logistic in z (names
//     almost always, national ids least often) and, once provided,
//     verified with probability logistic in z.
//
// Spread bands. The defaults give mostly healthy records: scored under
// sesame, about 60% of people are "excellent" and under 1% "poor".
// Config.SpreadBands draws the records from z' = SpreadHealthMean +
// SpreadHealthSD·z instead, which puts at least a tenth of the people in
// each band under the sesame-like presets; the demo uses it so that its
// picture shows every band. Only records and profiles change.
//
// Recruitment. Each person after the first was recruited by an earlier
// person with probability RecruitShare. The recruiter is usually (85%) one
// of the recruit's friends who joined earlier, drawn with weight one plus
// the recruits they already have; otherwise, half the time, someone drawn
// in proportion to the recruits they already have, and else anyone
// earlier, uniformly. Cumulative advantage gives a heavy-tailed number of
// recruits per recruiter [Sim55]. A recruiter always has a smaller id than
// their recruit, so recruitment forms a forest, and each recruit has one
// recruiter.
//
// Consent. Each person consents with probability ConsentShare (default 1).
//
// Generating 1,000,000 people with 5,000,000 friendships takes about 1.7 s
// on two otherwise idle cores, allocating 520 MB (BenchmarkGenerate); the
// Holme–Kim growth, which is sequential, is most of the time.
//
// # Importing SNAP edge lists
//
// ReadEdgeList reads the edge-list format of the Stanford Network Analysis
// Project (SNAP) [LK14]: one friendship per line as two whitespace-separated
// integer ids, lines starting with '#' or '%' are comments, blank lines are
// skipped. Self-loops and repeated pairs (in either order) are dropped and
// counted; anything else that is not two integers is an error naming the
// line. Ids are kept as in the file with one exception: socialscore ids are
// positive, and some SNAP data sets number people from 0 (ego-Facebook
// [ML12] does). If any id in an import is 0 or negative, every id of that
// import (edge list and people file alike) is shifted by the same offset,
// 1 − (smallest id), so the smallest becomes 1; ImportStats.Offset reports
// it, and the original id of a person is ID − Offset. An import whose ids
// are all positive keeps them unchanged (Offset 0).
//
// ReadPeopleCSV reads an optional file of people (consent, record
// aggregates, profile), and ImportBatch joins the two: everyone in either
// file is a person, consenting with graph.NeutralRecord unless the people
// file says otherwise.
//
// # Streaming
//
// Stream(cfg) draws what Generate(cfg) draws, from the same streams, and
// keeps it compact: the friendships as CSR arrays (offsets int64,
// neighbours int32, both directions, ascending), recruiters as one int32
// per person, the latent health as one float64 per person; a person's
// record and profile are drawn when Network.People asks, per chunk of
// PeopleChunk people from that chunk's own stream, so any range gives the
// people Generate gives (TestStreamEqualsGenerate). Network.Batch returns
// the whole population as a batch again (Generate's people, friendships
// sorted by From then To rather than in the order they formed).
//
// ImportNetwork reads the edge list into int64 pairs, sorts them packed as
// one uint64 each when the ids span less than 2^32 (else as pairs),
// drops duplicates and builds the CSR arrays over the sorted ids (a direct
// table from id to index when the ids are dense, else binary search); the
// people file's rows are kept as read. At 50,000,000 friendships that is
// about 1.2 GB while sorting and 0.5 GB after; ImportBatch is
// ImportNetwork then Network.Batch.
//
// LoadChunks writes a Network to any graph.BatchWriter in batches of
// DefaultLoadChunk people (65,536) with their friendships to people of
// smaller index and their recruitments (recruiters are always older), so
// every batch names only people stored or in it, and the store ends up as
// one ApplyBatch of Network.Batch leaves it (TestLoadChunksNeo4jEqualsApplyBatch).
//
// # References
//
//	[BA99]  A.-L. Barabási and R. Albert, "Emergence of scaling in random
//	        networks", Science 286(5439):509–512, 1999.
//	[HK02]  P. Holme and B. J. Kim, "Growing scale-free networks with
//	        tunable clustering", Physical Review E 65:026107, 2002.
//	[LK14]  J. Leskovec and A. Krevl, "SNAP Datasets: Stanford Large
//	        Network Dataset Collection", https://snap.stanford.edu/data, 2014.
//	[ML12]  J. McAuley and J. Leskovec, "Learning to Discover Social Circles
//	        in Ego Networks", NIPS 2012.
//	[MSC01] M. McPherson, L. Smith-Lovin and J. M. Cook, "Birds of a
//	        Feather: Homophily in Social Networks", Annual Review of
//	        Sociology 27:415–444, 2001.
//	[Sim55] H. A. Simon, "On a class of skew distribution functions",
//	        Biometrika 42(3/4):425–440, 1955.
package seed
