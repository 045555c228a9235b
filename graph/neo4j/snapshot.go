package neo4j

import (
	"context"
	"fmt"
	"math"
	"sync"

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
// The people are split into pages of snapshotPage people by id: one
// goroutine finds the pages' bounds by walking the person_id index
// (qSnapshotBound: index entries only), and Config.SnapshotReaders
// goroutines read the pages, each in a session of its own. One page is one
// query (qSnapshotPage) answering in one record: its consenting people
// with their record and profile, and the friendships and recruitments
// that start at them as parallel lists. The other end of each tie is
// returned as its internal node id, mapped to a position through the
// people read: reading the person id property of every tie's far end
// would cost the server about as much again (graph/neo4j/doc.go,
// Measured). The CSR arrays are assembled from the pages (buildSnapshot)
// without a map or an id search per tie.
//
// Consistency. Neo4j reads at read-committed isolation, and the pages are
// read in several transactions, so a write that commits during the read
// may be seen by some pages and not others. Every write transaction of
// this store bumps the generation (generation.go) in the same
// transaction, so the read takes the generation before and after: when
// they are equal no write committed in between and the pages together are
// the network as of that generation. When they differ the read is
// repeated; if writes keep coming, the last attempt reads each tie's far
// end by its person id instead of its node id (safeRead), which is what
// the snapshot read always did before: a mix of states at read-committed
// isolation, but never a tie between two people who were never tied (a
// node id can be reused by a new node once its node is deleted).
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
	// qSnapshotBound returns the id that ends the page after $after: the
	// $skip+1-th person id above it, from the person_id index alone.
	qSnapshotBound = `
MATCH (p:Person) WHERE p.id > $after
WITH p.id AS id ORDER BY id SKIP $skip LIMIT 1
RETURN id`

	// qSnapshotPage returns the consenting people with ids in
	// ($after, $last] and the ties that start at them. properties(p)
	// reads a node's properties once; each p.x would walk its property
	// chain again (a third more server CPU for the page). fb and rb are
	// node ids (or person ids: qSnapshotPageSafe). collect skips nulls, so an
	// absent weight (1) is given as 1.0.
	qSnapshotPage = `
MATCH (p:Person) WHERE p.id > $after AND p.id <= $last
WITH p, properties(p) AS m WHERE m.consent = true
WITH collect(id(p)) AS nodes, collect([` + snapshotFields + `]) AS people, collect(p) AS ps
CALL (ps) {
  UNWIND ps AS a MATCH (a)-[f:FRIEND]->(b)
  RETURN collect(id(a)) AS fa, collect(id(b)) AS fb, collect(coalesce(f.weight, 1.0)) AS fw
}
CALL (ps) {
  UNWIND ps AS a MATCH (a)-[:RECRUITED]->(b)
  RETURN collect(id(a)) AS ra, collect(id(b)) AS rb
}
RETURN nodes, people, fa, fb, fw, ra, rb`

	// snapshotFields is the projection of a person in a snapshot page, in
	// the order decodeSnapshotPerson expects; m is the node's property map.
	snapshotFields = `m.id, m.provided, m.verified,
  m.purchase_total, m.purchase_count,
  m.bills_on_time, m.bills_late, m.bill_days_late,
  m.credit_on_time, m.credit_late, m.credit_days_late,
  m.defaults, m.default_amount, m.last_event_at`
)

// qSnapshotPageSafe is qSnapshotPage with the far end of each tie as its
// person id.
var qSnapshotPageSafe = func() string {
	q := qSnapshotPage
	for _, r := range [][2]string{
		{"collect(id(b)) AS fb", "collect(b.id) AS fb"},
		{"collect(id(b)) AS rb", "collect(b.id) AS rb"},
	} {
		q = replaceOnce(q, r[0], r[1])
	}
	return q
}()

func replaceOnce(s, old, new string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	panic("neo4j: replaceOnce: " + old + " not found")
}

// snapPage is one page of a snapshot read, decoded into typed slices.
type snapPage struct {
	nodes    []int64 // node id of each person, parallel to ids
	ids      []graph.ID
	records  []graph.Record
	profiles []graph.Profile
	fa, fb   []int64   // friendships: node ids (fb: person ids when safe)
	fw       []float64 // weights parallel to fa, nil when every one is 1
	ra, rb   []int64   // recruitments: node ids (rb: person ids when safe)
}

// readSnapshot reads every page and assembles the snapshot.
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

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	type job struct {
		i           int
		after, last int64
	}
	jobs := make(chan job)
	var (
		mu    sync.Mutex
		pages []*snapPage
		wg    sync.WaitGroup
	)
	q := qSnapshotPage
	if safe {
		q = qSnapshotPageSafe
	}
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
					rec, err := single(ctx, tx, q, map[string]any{"after": j.after, "last": j.last})
					if err != nil {
						return nil, err
					}
					return decodeSnapPage(rec)
				})
				if err != nil {
					cancel(err)
					continue // drain jobs
				}
				mu.Lock()
				for len(pages) <= j.i {
					pages = append(pages, nil)
				}
				pages[j.i] = v.(*snapPage)
				mu.Unlock()
			}
		}()
	}
	// Page bounds, in order.
	err = func() error {
		defer close(jobs)
		if s.closed.Load() {
			return errClosed
		}
		sess := s.session(ctx, drv.AccessModeRead)
		defer sess.Close(context.WithoutCancel(ctx))
		after := int64(math.MinInt64)
		for i := 0; ; i++ {
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
			select {
			case jobs <- job{i, after, last}:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
			if last == math.MaxInt64 {
				return nil
			}
			after = last
		}
	}()
	if err != nil {
		cancel(err)
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return buildSnapshot(pages, disputed, safe, takenAt)
}

// decodeSnapPage turns a qSnapshotPage record into a page.
func decodeSnapPage(rec *drv.Record) (*snapPage, error) {
	if len(rec.Values) != 7 {
		return nil, fmt.Errorf("snapshot page has %d columns, want 7", len(rec.Values))
	}
	nodes, people := asList(rec.Values[0]), asList(rec.Values[1])
	fa, fb, fw := asList(rec.Values[2]), asList(rec.Values[3]), asList(rec.Values[4])
	ra, rb := asList(rec.Values[5]), asList(rec.Values[6])
	if len(nodes) != len(people) || len(fb) != len(fa) || len(fw) != len(fa) || len(rb) != len(ra) {
		return nil, fmt.Errorf("snapshot page: lists differ in length")
	}
	p := &snapPage{
		nodes:    ints(nodes),
		ids:      make([]graph.ID, len(people)),
		records:  make([]graph.Record, len(people)),
		profiles: make([]graph.Profile, len(people)),
		fa:       ints(fa), fb: ints(fb),
		ra: ints(ra), rb: ints(rb),
	}
	for i, row := range people {
		if err := decodeSnapshotPerson(asList(row), &p.ids[i], &p.records[i], &p.profiles[i]); err != nil {
			return nil, err
		}
	}
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
	return p, nil
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
