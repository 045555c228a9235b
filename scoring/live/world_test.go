package live

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
	"github.com/socialscore/socialscore/seed"
)

// world is the data a store would hold, kept by the tests beside the
// engine: the reference a full run (scoring.ScoreSnapshot on a snapshot
// built by graph.SnapshotBuilder) scores after the same changes.
type world struct {
	people   map[graph.ID]*graph.Person
	ties     map[[2]graph.ID]float64
	recruits []graph.Tie
	ids      []graph.ID // everyone, for drawing at random
	tieList  [][2]graph.ID
	tieIdx   map[[2]graph.ID]int
}

func pair(a, b graph.ID) [2]graph.ID {
	if a > b {
		a, b = b, a
	}
	return [2]graph.ID{a, b}
}

func newWorld(b graph.Batch) *world {
	w := &world{people: map[graph.ID]*graph.Person{}, ties: map[[2]graph.ID]float64{}}
	for i := range b.People {
		p := b.People[i]
		w.people[p.ID] = &p
		w.ids = append(w.ids, p.ID)
	}
	for _, t := range b.Ties {
		switch t.Kind {
		case graph.Friend:
			wt := t.Weight
			if wt == 0 {
				wt = 1
			}
			w.ties[pair(t.From, t.To)] = wt
		case graph.Recruited:
			w.recruits = append(w.recruits, t)
		}
	}
	slices.Sort(w.ids)
	return w
}

func (w *world) snapshot(t testing.TB) *graph.Snapshot {
	t.Helper()
	var sb graph.SnapshotBuilder
	for _, id := range w.ids {
		sb.AddPerson(*w.people[id])
	}
	for k, wt := range w.ties {
		sb.AddTie(graph.Tie{Kind: graph.Friend, From: k[0], To: k[1], Weight: wt})
	}
	for _, r := range w.recruits {
		sb.AddTie(r)
	}
	s, err := sb.Build(time.Time{})
	require.NoError(t, err)
	return s
}

func fullRun(t testing.TB, s *graph.Snapshot, p scoring.Policy) []graph.Result {
	t.Helper()
	res, _, err := scoring.ScoreSnapshot(context.Background(), s, p, scoring.Options{})
	require.NoError(t, err)
	return res
}

// seeded returns a seeded population of n people (seed.Generate; everyone
// consents) and its world.
func seeded(t testing.TB, n int, seedNo uint64) *world {
	t.Helper()
	b, err := seed.Generate(seed.Config{People: n, Seed: seedNo, ConsentShare: 1})
	require.NoError(t, err)
	return newWorld(b)
}

// consenting returns the ids of the people in the network.
func (w *world) consenting() []graph.ID {
	var out []graph.ID
	for _, id := range w.ids {
		if w.people[id].Consent {
			out = append(out, id)
		}
	}
	return out
}

// randomTieChange draws a tie change between consenting people: half the
// time it removes a random friendship, else it adds one (or re-weights
// one that exists), a quarter of them with a weight other than 1.
func (w *world) randomTieChange(rng *rand.Rand, in []graph.ID) Change {
	if rng.IntN(2) == 0 {
		for range 100 {
			k := w.randomTie(rng)
			if w.people[k[0]].Consent && w.people[k[1]].Consent {
				w.delTie(k)
				return Change{Kind: TieRemoved, A: k[0], B: k[1]}
			}
		}
	}
	a := in[rng.IntN(len(in))]
	for {
		b := in[rng.IntN(len(in))]
		if b == a {
			continue
		}
		wt := 1.0
		if rng.IntN(4) == 0 {
			wt = 0.5 + 2*rng.Float64()
		}
		w.setTie(pair(a, b), wt)
		return Change{Kind: TieSet, A: a, B: b, Weight: wt}
	}
}

// randomTie returns a friendship drawn uniformly.
func (w *world) randomTie(rng *rand.Rand) [2]graph.ID {
	if w.tieList == nil {
		w.tieIdx = map[[2]graph.ID]int{}
		for k := range w.ties {
			w.tieIdx[k] = len(w.tieList)
			w.tieList = append(w.tieList, k)
		}
		slices.SortFunc(w.tieList, func(x, y [2]graph.ID) int {
			if x[0] != y[0] {
				return int(x[0] - y[0])
			}
			return int(x[1] - y[1])
		})
		for i, k := range w.tieList {
			w.tieIdx[k] = i
		}
	}
	return w.tieList[rng.IntN(len(w.tieList))]
}

func (w *world) setTie(k [2]graph.ID, wt float64) {
	if _, ok := w.ties[k]; !ok && w.tieList != nil {
		w.tieIdx[k] = len(w.tieList)
		w.tieList = append(w.tieList, k)
	}
	w.ties[k] = wt
}

func (w *world) delTie(k [2]graph.ID) {
	delete(w.ties, k)
	if w.tieList == nil {
		return
	}
	i := w.tieIdx[k]
	last := w.tieList[len(w.tieList)-1]
	w.tieList[i] = last
	w.tieIdx[last] = i
	w.tieList = w.tieList[:len(w.tieList)-1]
	delete(w.tieIdx, k)
}

var testNow = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// randomEvent draws one event of any type for a consenting person and
// folds it into the world's record.
func (w *world) randomEvent(t testing.TB, rng *rand.Rand, in []graph.ID) Change {
	a := in[rng.IntN(len(in))]
	at := testNow.Add(-time.Duration(rng.IntN(300)) * 24 * time.Hour)
	var e graph.Event
	switch rng.IntN(10) {
	case 0, 1, 2:
		e = graph.Event{Type: graph.EventPurchase, Amount: 10 + 200*rng.Float64(), At: at}
	case 3, 4, 5:
		e = graph.Event{Type: graph.EventBillPayment, Amount: 80, Due: at, Paid: at.Add(time.Duration(rng.IntN(3)*rng.IntN(40)) * 24 * time.Hour)}
	case 6, 7, 8:
		e = graph.Event{Type: graph.EventCreditPayment, Amount: 120, Due: at, Paid: at.Add(time.Duration(rng.IntN(2)*rng.IntN(60)) * 24 * time.Hour)}
	default:
		e = graph.Event{Type: graph.EventDefault, Amount: 1500, At: at}
	}
	if e.Paid.After(testNow) {
		e.Paid = testNow
	}
	evs := []graph.Event{e}
	require.NoError(t, w.people[a].Record.Apply(evs, testNow))
	return Change{Kind: Events, A: a, Events: evs, Now: testNow}
}

// diffStats compares live results with a full run's, both by ascending id.
type diffStats struct {
	n                        int
	maxScore, sumScore       float64
	maxS, maxPRRel, maxPct   float64
	maxFriendMean            float64
	friendsDiffer, indDiffer int
}

func compare(t testing.TB, live, full []graph.Result) diffStats {
	t.Helper()
	require.Equal(t, len(full), len(live), "people in the network")
	var d diffStats
	d.n = len(full)
	for i := range full {
		f, l := full[i], live[i]
		require.Equal(t, f.ID, l.ID)
		ds := math.Abs(float64(f.Score - l.Score))
		d.maxScore = max(d.maxScore, ds)
		d.sumScore += ds
		d.maxS = max(d.maxS, math.Abs(f.Network-l.Network))
		d.maxPRRel = max(d.maxPRRel, math.Abs(f.PageRank-l.PageRank)/f.PageRank)
		d.maxPct = max(d.maxPct, math.Abs(f.Percentile-l.Percentile))
		d.maxFriendMean = max(d.maxFriendMean, math.Abs(f.FriendMean-l.FriendMean))
		if f.Friends != l.Friends {
			d.friendsDiffer++
		}
		if f.Individual != l.Individual || f.Pillars != l.Pillars {
			d.indDiffer++
		}
	}
	return d
}

func (d diffStats) mean() float64 { return d.sumScore / float64(max(d.n, 1)) }

func newRng() *rand.Rand { return rand.New(rand.NewPCG(21, 22)) }
