package neo4j

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/socialscore/socialscore/graph"
)

// snapshotPage is how many people (consenting or not) one page of a
// snapshot read covers.
const snapshotPage = 5000

// FreshSnapshot reads the consenting people, and the friendships and
// recruitments among them, from the database (never from the snapshot
// image; see Snapshot), as a consistent view.
//
// The read is split into pages read by Config.SnapshotReaders goroutines,
// each in a session of its own, one query a page answering in one record
// of parallel lists (one record per person or per tie would cost the
// client several times as much). First the people, by node id: the ids 0
// to the highest node id of a person in ranges of snapshotPage
// (qSnapshotPeople), each a seek of node ids answering with the consenting
// people's records and profiles. Their node ids, in the order of their
// person ids, give each person's position. Then the ties:
//
//   - friendships by relationship id: the ids 0 to the highest of a
//     friendship in ranges ten times as long (qSnapshotFriends), each a
//     seek of relationship ids giving both ends' node ids;
//   - recruitments, far fewer, in one query over the RECRUITED type's
//     index, grouped into records of one range each (qSnapshotRecruits).
//
// Each reader maps the ties it read to positions as it goes, leaving out a
// tie with an end that is not a consenting person, so that what is left
// once the pages are in is building the CSR arrays. The highest ids come
// from the token indexes scanned in descending order (qSnapshotLast: one
// entry each). Seeking relationships by id costs Neo4j about half the CPU
// of expanding them from their people, which is what the read did before
// (graph/neo4j/doc.go, Measured).
//
// Consistency. Neo4j reads at read-committed isolation, and the pages are
// read in several transactions, so a write that commits during the read
// may be seen by some pages and not others (or take an id above the
// highest read first). Every write transaction of this store bumps the
// generation (generation.go) in the same transaction, so the read takes
// the generation before and after: when they are equal no write committed
// in between and the pages together are the network as of that
// generation. When they differ the read is repeated; if writes keep
// coming, the last attempt pages people by person id and reads each tie
// from its first person, its far end by person id (safeRead), which is
// what the snapshot read did before issue 15: a mix of states at
// read-committed isolation, but never a tie between two people who were
// never tied (a node id can be reused by a new node once its node is
// deleted).
func (s *Store) FreshSnapshot(ctx context.Context) (*graph.Snapshot, error) {
	snap, _, _, err := s.freshSnapshot(ctx, nil)
	return snap, err
}

// snapshotAttempts is how many times a read is made before its last
// attempt reads by person id (see FreshSnapshot).
const snapshotAttempts = 3

// freshSnapshot reads the network as FreshSnapshot says. before, when
// not nil, is the generation the caller read first. It returns the
// generation the snapshot reflects and whether it provably does (no write
// committed during the read).
func (s *Store) freshSnapshot(ctx context.Context, before *generation) (*graph.Snapshot, generation, bool, error) {
	for attempt := 1; ; attempt++ {
		g1 := generation{}
		if before != nil && attempt == 1 {
			g1 = *before
		} else {
			var err error
			if g1, err = s.generation(ctx); err != nil {
				return nil, generation{}, false, s.wrap(ctx, "snapshot", err)
			}
		}
		safe := !g1.known() || attempt == snapshotAttempts
		snap, err := s.readSnapshot(ctx, safe)
		if err != nil {
			return nil, generation{}, false, s.wrap(ctx, "snapshot", err)
		}
		if !g1.known() {
			return snap, g1, false, nil // no generation to check against (see generation)
		}
		if s.afterSnapshotRead != nil {
			s.afterSnapshotRead()
		}
		g2, err := s.readGeneration(ctx)
		if err != nil {
			return nil, generation{}, false, s.wrap(ctx, "snapshot", err)
		}
		if g2 == g1 {
			return snap, g1, true, nil
		}
		if attempt == snapshotAttempts {
			return snap, g2, false, nil
		}
	}
}

const (
	// qSnapshotLast returns the highest node id of a person and the
	// highest relationship id of a friendship, or -1: each is the first
	// entry of its token index scanned in descending order (no sort).
	qSnapshotLast = `
CALL () { OPTIONAL MATCH (p:Person) WITH p ORDER BY id(p) DESC LIMIT 1 RETURN coalesce(id(p), -1) AS lastNode }
CALL () { OPTIONAL MATCH ()-[f:FRIEND]->() WITH f ORDER BY id(f) DESC LIMIT 1 RETURN coalesce(id(f), -1) AS lastFriend }
RETURN lastNode, lastFriend`

	// qSnapshotPeople returns the consenting people among the nodes with
	// ids in [$lo, $hi]. properties(p) reads a node's properties once;
	// each p.x would walk its property chain again (a third more server
	// CPU for the page).
	qSnapshotPeople = `
MATCH (p:Person) WHERE id(p) IN range($lo, $hi)
WITH p, properties(p) AS m WHERE m.consent = true
RETURN collect(id(p)) AS nodes, collect([` + snapshotFields + `]) AS people`

	// qSnapshotFriends returns the friendships with relationship ids in
	// [$lo, $hi] as their ends' node ids, and how many have a weight;
	// qSnapshotFriendsWeighted the same with every weight (an absent one
	// is 1), read instead for a range that has weights: a third list of a
	// range's length costs the server as much again as counting.
	qSnapshotFriends = `
MATCH (a)-[f:FRIEND]->(b) WHERE id(f) IN range($lo, $hi)
RETURN collect(id(a)) AS fa, collect(id(b)) AS fb, count(f.weight) AS weighted`
	qSnapshotFriendsWeighted = `
MATCH (a)-[f:FRIEND]->(b) WHERE id(f) IN range($lo, $hi)
RETURN collect(id(a)) AS fa, collect(id(b)) AS fb, collect(coalesce(f.weight, 1.0)) AS fw`

	// qSnapshotRecruits returns every recruitment as its ends' node ids,
	// one record per range of $per relationship ids, from the RECRUITED
	// type's index: seeking every relationship id for them would cost as
	// much as reading the friendships again.
	qSnapshotRecruits = `
MATCH (a)-[r:RECRUITED]->(b)
WITH id(r) / $per AS k, id(a) AS a, id(b) AS b
RETURN k, collect(a) AS ra, collect(b) AS rb`

	// qSnapshotBound returns the id that ends the page after $after: the
	// $skip+1-th person id above it, from the person_id index alone (the
	// safe read's pages).
	qSnapshotBound = `
MATCH (p:Person) WHERE p.id > $after
WITH p.id AS id ORDER BY id SKIP $skip LIMIT 1
RETURN id`

	// qSnapshotPageSafe returns the consenting people with ids in
	// ($after, $last] and the ties that start at them, the far end of each
	// by its person id. collect skips nulls, so an absent weight (1) is
	// given as 1.0.
	qSnapshotPageSafe = `
MATCH (p:Person) WHERE p.id > $after AND p.id <= $last
WITH p, properties(p) AS m WHERE m.consent = true
WITH collect(id(p)) AS nodes, collect([` + snapshotFields + `]) AS people, collect(p) AS ps
CALL (ps) {
  UNWIND ps AS a MATCH (a)-[f:FRIEND]->(b)
  RETURN collect(id(a)) AS fa, collect(b.id) AS fb, collect(coalesce(f.weight, 1.0)) AS fw
}
CALL (ps) {
  UNWIND ps AS a MATCH (a)-[:RECRUITED]->(b)
  RETURN collect(id(a)) AS ra, collect(b.id) AS rb
}
RETURN nodes, people, fa, fb, fw, ra, rb`

	// snapshotFields is the projection of a person in a snapshot page, in
	// the order decodeSnapshotPerson expects; m is the node's property map.
	snapshotFields = `m.id, m.provided, m.verified,
  m.purchase_total, m.purchase_count,
  m.bills_on_time, m.bills_late, m.bill_days_late,
  m.credit_on_time, m.credit_late, m.credit_days_late,
  m.defaults, m.default_amount, m.last_event_at`

	// friendPages is how many times longer a range of friendships' ids is
	// than a range of people's node ids.
	friendPages = 10
)

// snapPage is one page of a snapshot read, decoded into typed slices.
type snapPage struct {
	nodes    []int64 // node id of each person, parallel to ids
	ids      []graph.ID
	records  []graph.Record
	profiles []graph.Profile
	fa, fb   []int64   // friendships: node ids (fb: person ids when safe)
	fw       []float64 // weights parallel to fa (then fu), nil when every one is 1
	ra, rb   []int64   // recruitments: node ids (rb: person ids when safe)
	// The ties as positions once mapped (toPositions), which clears fa,
	// fb, ra and rb.
	fu, fv, ru, rv []int32
}

// snapJob reads one part of a snapshot in tx: one page, or (the
// recruitments) several.
type snapJob func(ctx context.Context, tx drv.ManagedTransaction) ([]*snapPage, error)

// readSnapshot reads every page and assembles the snapshot; safe pages by
// person id (see FreshSnapshot).
func (s *Store) readSnapshot(ctx context.Context, safe bool) (*graph.Snapshot, error) {
	s.freshReads.Add(1)
	takenAt := s.now()
	dv, err := s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		return snapshotDisputes(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	disputed := dv.(map[graph.ID]disputedPerson)
	if safe {
		pages, err := s.readPages(ctx, s.safePages)
		if err != nil {
			return nil, err
		}
		return buildSnapshot(pages, disputed, true, takenAt)
	}

	v, err := s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		rec, err := single(ctx, tx, qSnapshotLast, nil)
		if err != nil {
			return nil, err
		}
		return [2]int64{asInt(rec.Values[0]), asInt(rec.Values[1])}, nil
	})
	if err != nil {
		return nil, err
	}
	last := v.([2]int64)
	people, friends := int64(s.snapshotPage), int64(s.snapshotPage)*friendPages
	pages, err := s.readPages(ctx, func(ctx context.Context, send func(snapJob) error) error {
		for lo := int64(0); lo <= last[0]; lo += people {
			if err := send(func(ctx context.Context, tx drv.ManagedTransaction) ([]*snapPage, error) {
				return readPeople(ctx, tx, lo, lo+people-1)
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	snap, nodes, err := assemblePeople(pages, disputed, takenAt)
	if err != nil {
		return nil, err
	}
	near := newNodeIndex(nodes)
	var weighted atomic.Bool // a range had weights: read the later ones with theirs
	ties, err := s.readPages(ctx, func(ctx context.Context, send func(snapJob) error) error {
		if err := send(func(ctx context.Context, tx drv.ManagedTransaction) ([]*snapPage, error) {
			return readRecruits(ctx, tx, friends, near)
		}); err != nil {
			return err
		}
		for lo := int64(0); lo <= last[1]; lo += friends {
			if err := send(func(ctx context.Context, tx drv.ManagedTransaction) ([]*snapPage, error) {
				return readFriends(ctx, tx, lo, lo+friends-1, &weighted, near)
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	buildTies(snap, ties)
	return snap, nil
}

// readPages runs the jobs that produce sends, Config.SnapshotReaders at a
// time, each reader in a session of its own, and returns their pages in
// the order the jobs were sent. The first error cancels the rest.
func (s *Store) readPages(ctx context.Context, produce func(context.Context, func(snapJob) error) error) ([]*snapPage, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	type job struct {
		i    int
		read snapJob
	}
	jobs := make(chan job)
	var (
		mu    sync.Mutex
		parts [][]*snapPage // by job
		done  []bool        // by job: read (a job may read no page)
		wg    sync.WaitGroup
	)
	for range s.cfg.SnapshotReaders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s.closed.Load() {
				cancel(errClosed)
				return
			}
			sess := s.session(ctx, drv.AccessModeRead)
			defer sess.Close(context.WithoutCancel(ctx))
			for j := range jobs {
				v, err := sess.ExecuteRead(ctx, func(tx drv.ManagedTransaction) (any, error) {
					return j.read(ctx, tx)
				})
				if err != nil {
					cancel(err)
					continue // drain jobs
				}
				mu.Lock()
				for len(parts) <= j.i {
					parts, done = append(parts, nil), append(done, false)
				}
				parts[j.i], done[j.i] = v.([]*snapPage), true
				mu.Unlock()
			}
		}()
	}
	n := 0
	send := func(read snapJob) error {
		select {
		case jobs <- job{n, read}:
			n++
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	err := func() error {
		defer close(jobs)
		if s.closed.Load() {
			return errClosed
		}
		return produce(ctx, send)
	}()
	if err != nil {
		cancel(err)
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	var pages []*snapPage
	for i := range n {
		if i >= len(done) || !done[i] {
			return nil, fmt.Errorf("snapshot: part %d missing", i)
		}
		pages = append(pages, parts[i]...)
	}
	return pages, nil
}

// safePages sends the jobs of a read by person id: one walk of the
// person_id index finds each page's bounds, and each page reads its
// consenting people and the ties that start at them (qSnapshotPageSafe).
func (s *Store) safePages(ctx context.Context, send func(snapJob) error) error {
	sess := s.session(ctx, drv.AccessModeRead)
	defer sess.Close(context.WithoutCancel(ctx))
	after := int64(math.MinInt64)
	for {
		v, err := sess.ExecuteRead(ctx, func(tx drv.ManagedTransaction) (any, error) {
			return optional(ctx, tx, qSnapshotBound, map[string]any{"after": after, "skip": int64(s.snapshotPage - 1)})
		})
		if err != nil {
			return err
		}
		last := int64(math.MaxInt64)
		if rec := v.(*drv.Record); rec != nil {
			last = asInt(rec.Values[0])
		}
		lo := after
		if err := send(func(ctx context.Context, tx drv.ManagedTransaction) ([]*snapPage, error) {
			rec, err := single(ctx, tx, qSnapshotPageSafe, map[string]any{"after": lo, "last": last})
			if err != nil {
				return nil, err
			}
			p, err := decodeSnapPage(rec)
			return []*snapPage{p}, err
		}); err != nil {
			return err
		}
		if last == math.MaxInt64 {
			return nil
		}
		after = last
	}
}

// readPeople reads the consenting people among the node ids lo..hi.
func readPeople(ctx context.Context, tx drv.ManagedTransaction, lo, hi int64) ([]*snapPage, error) {
	rec, err := single(ctx, tx, qSnapshotPeople, map[string]any{"lo": lo, "hi": hi})
	if err != nil {
		return nil, err
	}
	p := &snapPage{}
	if err := p.decodePeople(rec.Values[0], rec.Values[1]); err != nil {
		return nil, err
	}
	return []*snapPage{p}, nil
}

// readFriends reads the friendships among the relationship ids lo..hi,
// with their weights when the range has any (or weighted is set: an
// earlier range had some, as a network with weights has them throughout),
// and maps them to positions through near.
func readFriends(ctx context.Context, tx drv.ManagedTransaction, lo, hi int64, weighted *atomic.Bool, near *nodeIndex) ([]*snapPage, error) {
	params := map[string]any{"lo": lo, "hi": hi}
	p := &snapPage{}
	if !weighted.Load() {
		rec, err := single(ctx, tx, qSnapshotFriends, params)
		if err != nil {
			return nil, err
		}
		if asInt(rec.Values[2]) == 0 {
			fa, fb := asList(rec.Values[0]), asList(rec.Values[1])
			if len(fa) != len(fb) {
				return nil, fmt.Errorf("snapshot friendships: lists differ in length")
			}
			p.fa, p.fb = ints(fa), ints(fb)
			p.toPositions(near.pos, near.pos)
			return []*snapPage{p}, nil
		}
		weighted.Store(true)
	}
	rec, err := single(ctx, tx, qSnapshotFriendsWeighted, params)
	if err != nil {
		return nil, err
	}
	if err := p.decodeFriends(rec.Values[0], rec.Values[1], rec.Values[2]); err != nil {
		return nil, err
	}
	p.toPositions(near.pos, near.pos)
	return []*snapPage{p}, nil
}

// readRecruits reads every recruitment, in pages of the relationship id
// ranges of length per, mapped to positions through near.
func readRecruits(ctx context.Context, tx drv.ManagedTransaction, per int64, near *nodeIndex) ([]*snapPage, error) {
	var pages []*snapPage
	err := each(ctx, tx, qSnapshotRecruits, map[string]any{"per": per}, func(rec *drv.Record) error {
		ra, rb := asList(rec.Values[1]), asList(rec.Values[2])
		if len(ra) != len(rb) {
			return fmt.Errorf("snapshot recruitments: lists differ in length")
		}
		p := &snapPage{ra: ints(ra), rb: ints(rb)}
		p.toPositions(near.pos, near.pos)
		pages = append(pages, p)
		return nil
	})
	return pages, err
}

// decodeSnapPage turns a qSnapshotPageSafe record into a page.
func decodeSnapPage(rec *drv.Record) (*snapPage, error) {
	if len(rec.Values) != 7 {
		return nil, fmt.Errorf("snapshot page has %d columns, want 7", len(rec.Values))
	}
	p := &snapPage{}
	if err := p.decodePeople(rec.Values[0], rec.Values[1]); err != nil {
		return nil, err
	}
	if err := p.decodeFriends(rec.Values[2], rec.Values[3], rec.Values[4]); err != nil {
		return nil, err
	}
	ra, rb := asList(rec.Values[5]), asList(rec.Values[6])
	if len(rb) != len(ra) {
		return nil, fmt.Errorf("snapshot page: lists differ in length")
	}
	p.ra, p.rb = ints(ra), ints(rb)
	return p, nil
}

// decodePeople sets the page's people from parallel lists of node ids
// and snapshotFields rows.
func (p *snapPage) decodePeople(nodesV, peopleV any) error {
	nodes, people := asList(nodesV), asList(peopleV)
	if len(nodes) != len(people) {
		return fmt.Errorf("snapshot people: lists differ in length")
	}
	p.nodes = ints(nodes)
	p.ids = make([]graph.ID, len(people))
	p.records = make([]graph.Record, len(people))
	p.profiles = make([]graph.Profile, len(people))
	for i, row := range people {
		if err := decodeSnapshotPerson(asList(row), &p.ids[i], &p.records[i], &p.profiles[i]); err != nil {
			return err
		}
	}
	return nil
}

// decodeFriends sets the page's friendships from parallel lists of their
// ends and weights; fw stays nil when every weight is 1.
func (p *snapPage) decodeFriends(faV, fbV, fwV any) error {
	fa, fb, fw := asList(faV), asList(fbV), asList(fwV)
	if len(fb) != len(fa) || len(fw) != len(fa) {
		return fmt.Errorf("snapshot friendships: lists differ in length")
	}
	p.fa, p.fb = ints(fa), ints(fb)
	for i, w := range fw {
		if x := weightOf(w); x != 1 {
			if p.fw == nil {
				p.fw = make([]float64, len(fw))
				for k := range p.fw {
					p.fw[k] = 1
				}
			}
			p.fw[i] = x
		}
	}
	return nil
}

// decodeSnapshotPerson decodes a snapshotFields row as decodePerson does
// the same properties.
func decodeSnapshotPerson(v []any, id *graph.ID, r *graph.Record, pr *graph.Profile) error {
	if len(v) != 14 {
		return fmt.Errorf("snapshot person row has %d values, want 14", len(v))
	}
	*id = graph.ID(asInt(v[0]))
	if *id <= 0 {
		return fmt.Errorf("person row has id %v", v[0])
	}
	*pr = graph.Profile{Provided: graph.FieldSet(asInt(v[1])), Verified: graph.FieldSet(asInt(v[2]))}
	*r = graph.Record{
		PurchaseTotal:  asFloat(v[3]),
		PurchaseCount:  asInt(v[4]),
		BillsOnTime:    asInt(v[5]),
		BillsLate:      asInt(v[6]),
		BillDaysLate:   asInt(v[7]),
		CreditOnTime:   asInt(v[8]),
		CreditLate:     asInt(v[9]),
		CreditDaysLate: asInt(v[10]),
		Defaults:       asInt(v[11]),
		DefaultAmount:  asFloat(v[12]),
		LastEventAt:    asTime(v[13]),
	}
	return nil
}

func ints(l []any) []int64 {
	out := make([]int64, len(l))
	for i, v := range l {
		out[i] = asInt(v)
	}
	return out
}
