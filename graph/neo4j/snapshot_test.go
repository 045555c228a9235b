package neo4j

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/graphtest"
)

// simpleSnapshot reads the consenting network the plainest way, for
// comparison with Snapshot: every person, every friendship and every
// recruitment in one query each, the open disputes and the events of the
// people concerned through the store's public methods, all handed to
// graph.SnapshotBuilder. It shares no query and no assembly code with
// Snapshot.
func simpleSnapshot(t *testing.T, s *Store) *graph.Snapshot {
	t.Helper()
	ctx := t.Context()
	var b graph.SnapshotBuilder
	open, err := s.OpenDisputes(ctx)
	require.NoError(t, err)
	_, err = s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		b = graph.SnapshotBuilder{}
		err := each(ctx, tx, `MATCH (p:Person) RETURN `+personFields, nil, func(r *drv.Record) error {
			p, err := decodePerson(r.Values)
			if err != nil {
				return err
			}
			if n := open[p.ID]; n > 0 && p.Consent {
				events, err := s.Events(ctx, p.ID)
				if err != nil {
					return err
				}
				b.AddDisputed(graph.DisputedRecord{ID: p.ID, Open: n, Record: p.Record})
				p.Record = graph.DeriveRecord(events, true)
			}
			b.AddPerson(p)
			return nil
		})
		if err != nil {
			return nil, err
		}
		err = each(ctx, tx, `MATCH (a:Person)-[f:FRIEND]->(b:Person) RETURN a.id, b.id, f.weight`, nil, func(r *drv.Record) error {
			w := 1.0
			if r.Values[2] != nil {
				w = asFloat(r.Values[2])
			}
			b.AddTie(graph.Tie{Kind: graph.Friend, From: graph.ID(asInt(r.Values[0])), To: graph.ID(asInt(r.Values[1])), Weight: w})
			return nil
		})
		if err != nil {
			return nil, err
		}
		return nil, each(ctx, tx, `MATCH (a:Person)-[:RECRUITED]->(b:Person) RETURN a.id, b.id`, nil, func(r *drv.Record) error {
			b.AddTie(graph.Tie{Kind: graph.Recruited, From: graph.ID(asInt(r.Values[0])), To: graph.ID(asInt(r.Values[1]))})
			return nil
		})
	})
	require.NoError(t, err)
	snap, err := b.Build(time.Now())
	require.NoError(t, err)
	return snap
}

// randomNetwork fills s with a random network of about n people: a batch
// (nine in ten consenting, a quarter of the friendships weighted), then
// friendships of weights that are not float32 values, erasures (so that
// node ids have holes and are reused by people added after them),
// consent withdrawn, events and open, upheld and rejected disputes.
func randomNetwork(t *testing.T, s *Store, n int, seed uint64) {
	t.Helper()
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(seed, 99))
	batch := genBatch(n, 4*n, seed)
	require.NoError(t, s.ApplyBatch(ctx, batch))
	pick := func() graph.ID { return graph.ID(1 + rng.IntN(n)) }
	for range n / 10 {
		a, b := pick(), pick()
		if a != b {
			w := []float64{0.1, 1.0 / 3, 2.7, 1}[rng.IntN(4)]
			require.NoError(t, s.PutTie(ctx, graph.Tie{Kind: graph.Friend, From: a, To: b, Weight: w}))
		}
	}
	for range n / 20 {
		_ = s.DeletePerson(ctx, pick()) // may be gone already
	}
	var late graph.Batch // new people, on reused node ids
	for i := range n / 20 {
		id := graph.ID(n + 1 + i)
		late.People = append(late.People, graph.Person{ID: id, Consent: i%7 != 0, Record: graph.NeutralRecord()})
		for range 3 {
			late.Ties = append(late.Ties, graph.Tie{Kind: graph.Friend, From: id, To: graph.ID(n + 1 + rng.IntN(i+1))})
		}
	}
	late.Ties = slices.DeleteFunc(late.Ties, func(t graph.Tie) bool { return t.From == t.To })
	slices.SortFunc(late.Ties, func(x, y graph.Tie) int { return int(x.From-y.From)*1000 + int(x.To-y.To) })
	late.Ties = slices.CompactFunc(late.Ties, func(x, y graph.Tie) bool { return x.From == y.From && x.To == y.To })
	require.NoError(t, s.ApplyBatch(ctx, late))
	for range n / 20 {
		id := pick()
		p, err := s.Person(ctx, id)
		if err != nil {
			continue
		}
		p.Consent = false
		_, err = s.PutPerson(ctx, p)
		require.NoError(t, err)
	}
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range n / 10 {
		id := pick()
		_, stored, err := s.AppendEvents(ctx, id, "app", []graph.Event{
			{Type: graph.EventPurchase, Amount: float64(10 + i), At: day},
			{Type: graph.EventDefault, Amount: 500, At: day.AddDate(0, 0, 1)},
		})
		if err != nil {
			continue // erased
		}
		if i%2 == 0 {
			d, err := s.OpenDispute(ctx, id, stored[len(stored)-1].ID, "not mine", "app")
			require.NoError(t, err)
			switch i % 6 {
			case 2:
				_, err = s.ResolveDispute(ctx, d.ID, graph.DisputeUpheld, "ok", "operator")
			case 4:
				_, err = s.ResolveDispute(ctx, d.ID, graph.DisputeRejected, "no", "operator")
			}
			require.NoError(t, err)
		}
	}
}

// TestSnapshotMatchesSimpleRead: the paged, parallel read (by node id, and
// by person id as its last attempt under writes does) equals the plain
// read, and the read before issue 15, on random networks, with pages of a few people and of the default
// size, with one reader and several.
func TestSnapshotMatchesSimpleRead(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			s := openEmpty(t, nil)
			defer s.Close()
			randomNetwork(t, s, 300, seed)
			want := simpleSnapshot(t, s)
			require.NotEmpty(t, want.Disputed, "the network has open disputes")
			require.NotNil(t, want.ExactWeights, "the network has weights that are not float32")
			require.NotZero(t, len(want.RecruitTargets), "the network has recruitments")
			require.Less(t, want.Len(), 300+15, "some people do not consent")
			for _, c := range []struct {
				page, readers int
			}{{7, 3}, {snapshotPage, 1}, {64, 4}} {
				s.snapshotPage, s.cfg.SnapshotReaders = c.page, c.readers
				for _, safe := range []bool{false, true} {
					got, err := s.readSnapshot(t.Context(), safe)
					require.NoError(t, err)
					graphtest.RequireSameSnapshot(t, want, got, "page %d, readers %d, by person id %t", c.page, c.readers, safe)
				}
			}
			got, err := s.FreshSnapshot(t.Context())
			require.NoError(t, err)
			graphtest.RequireSameSnapshot(t, want, got)
			old, err := s.oldSnapshot(t.Context())
			require.NoError(t, err)
			graphtest.RequireSameSnapshot(t, old, got, "the read before issue 15 and the new one")
		})
	}
}

// TestBuildSnapshotMatchesBuilder: buildSnapshot, given pages of people
// and ties by node id, equals graph.SnapshotBuilder given the same people
// and ties by person id: node ids dense and sparse (the map), people out
// of order within a page, ties to people absent or not consenting,
// self-ties, pairs given twice (both ways) and weights of every kind.
func TestBuildSnapshotMatchesBuilder(t *testing.T) {
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 7))
		n := rng.IntN(60)
		nodeOf := map[graph.ID]int64{}
		spread := int64(1)
		if seed%2 == 1 {
			spread = 1 << 40 // sparse node ids: the map
		}
		var ids []graph.ID
		for id := graph.ID(1); len(ids) < n; id += graph.ID(1 + rng.IntN(3)) {
			ids = append(ids, id)
			nodeOf[id] = int64(len(ids))*3*spread + int64(rng.IntN(3))
		}
		var b graph.SnapshotBuilder
		disputed := map[graph.ID]disputedPerson{}
		var pages []*snapPage
		page := &snapPage{}
		weightOfPair := map[[2]graph.ID]float64{}
		for i, id := range ids {
			if i%(1+int(seed%5)) == 0 && len(page.ids) > 0 {
				pages = append(pages, page)
				page = &snapPage{}
			}
			consent := rng.IntN(8) != 0
			rec := graph.Record{PurchaseCount: int64(rng.IntN(9)), BillsOnTime: int64(i)}
			prof := graph.Profile{Provided: graph.FieldSet(rng.IntN(128))}
			// The builder is given the record without disputed events and
			// the full one apart, as the old snapshot read did.
			built := rec
			if rng.IntN(10) == 0 {
				without := rec
				without.Defaults++
				disputed[id] = disputedPerson{open: 1 + rng.IntN(2), without: without}
				b.AddDisputed(graph.DisputedRecord{ID: id, Open: disputed[id].open, Record: rec})
				built = without
			}
			b.AddPerson(graph.Person{ID: id, Consent: consent, Record: built, Profile: prof})
			if consent {
				page.ids = append(page.ids, id)
				page.nodes = append(page.nodes, nodeOf[id])
				page.records = append(page.records, rec)
				page.profiles = append(page.profiles, prof)
			}
			if len(ids) < 2 {
				continue
			}
			for range rng.IntN(6) {
				other := ids[rng.IntN(len(ids))]
				if rng.IntN(12) == 0 {
					other = id // self-tie
				}
				key := [2]graph.ID{min(id, other), max(id, other)}
				w, seen := weightOfPair[key]
				if !seen {
					w = []float64{1, 1, 1, 0.5, 0.1, 2.25}[rng.IntN(6)]
					if seed%3 == 0 {
						w = 1
					}
					weightOfPair[key] = w
				}
				b.AddTie(graph.Tie{Kind: graph.Friend, From: id, To: other, Weight: w})
				page.fa = append(page.fa, nodeOf[id])
				page.fb = append(page.fb, nodeOf[other])
				page.fw = append(page.fw, w)
			}
			if rng.IntN(3) == 0 {
				other := ids[rng.IntN(len(ids))]
				b.AddTie(graph.Tie{Kind: graph.Recruited, From: id, To: other})
				page.ra = append(page.ra, nodeOf[id])
				page.rb = append(page.rb, nodeOf[other])
			}
		}
		pages = append(pages, page)
		for _, p := range pages {
			// Ties whose near end did not consent are in no page (the
			// query starts from consenting people): drop them here too.
			keepF := p.fa[:0:0]
			var keepB []int64
			var keepW []float64
			for k, a := range p.fa {
				if slices.Contains(p.nodes, a) {
					keepF, keepB, keepW = append(keepF, a), append(keepB, p.fb[k]), append(keepW, p.fw[k])
				}
			}
			p.fa, p.fb, p.fw = keepF, keepB, keepW
			keepRA, keepRB := []int64{}, []int64{}
			for k, a := range p.ra {
				if slices.Contains(p.nodes, a) {
					keepRA, keepRB = append(keepRA, a), append(keepRB, p.rb[k])
				}
			}
			p.ra, p.rb = keepRA, keepRB
			// Shuffle the people of the page (with their node ids).
			rng.Shuffle(len(p.ids), func(i, j int) {
				p.ids[i], p.ids[j] = p.ids[j], p.ids[i]
				p.nodes[i], p.nodes[j] = p.nodes[j], p.nodes[i]
				p.records[i], p.records[j] = p.records[j], p.records[i]
				p.profiles[i], p.profiles[j] = p.profiles[j], p.profiles[i]
			})
		}
		want, err := b.Build(time.Time{})
		require.NoError(t, err)
		got, err := buildSnapshot(pages, disputed, false, time.Time{})
		require.NoError(t, err)
		graphtest.RequireSameSnapshot(t, want, got, "seed %d", seed)
	}
}

// TestSnapshotLastIDs: the highest node id of a person and relationship
// id of a friendship, which bound the read by ids, are those a full scan
// finds (max over every node and relationship of the kind), after
// erasures that leave holes and writes that reuse them, and -1 with none.
func TestSnapshotLastIDs(t *testing.T) {
	s := openEmpty(t, nil)
	defer s.Close()
	last := func() [2]int64 {
		v, err := s.read(t.Context(), func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
			rec, err := single(ctx, tx, qSnapshotLast, nil)
			if err != nil {
				return nil, err
			}
			return [2]int64{asInt(rec.Values[0]), asInt(rec.Values[1])}, nil
		})
		require.NoError(t, err)
		return v.([2]int64)
	}
	scan := func() [2]int64 {
		return [2]int64{
			single1(t, s, `MATCH (p:Person) RETURN coalesce(max(id(p)), -1)`),
			single1(t, s, `MATCH ()-[f:FRIEND]->() RETURN coalesce(max(id(f)), -1)`),
		}
	}
	require.Equal(t, [2]int64{-1, -1}, last(), "an empty store")
	randomNetwork(t, s, 200, 3)
	want := scan()
	require.Greater(t, want[0], int64(0))
	require.Greater(t, want[1], int64(0))
	require.Equal(t, want, last())
	// The highest person and friendship gone: the bound moves down.
	top := graph.ID(single1(t, s, `MATCH (p:Person) WITH p ORDER BY id(p) DESC LIMIT 1 RETURN p.id`))
	require.NoError(t, s.DeletePerson(t.Context(), top))
	require.Equal(t, scan(), last())
	require.Less(t, last()[0], want[0])
}
