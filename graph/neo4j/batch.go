package neo4j

import (
	"context"
	"fmt"
	"sync"
	"time"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/socialscore/socialscore/graph"
)

// Bulk statements. Rows are passed as parallel lists ($a, $b, $w) rather
// than one map per row, which the server unpacks several times faster.
// Every statement returns what it did so that a row that matched nothing
// (someone deleted a person meanwhile) is noticed, not silently skipped.
const (
	qCreatePeople = `
UNWIND $rows AS row
CREATE (p:Person {id: row.id, consent: row.consent, provided: row.provided, verified: row.verified,
  purchase_total: row.purchase_total, purchase_count: row.purchase_count,
  bills_on_time: row.bills_on_time, bills_late: row.bills_late, bill_days_late: row.bill_days_late,
  credit_on_time: row.credit_on_time, credit_late: row.credit_late, credit_days_late: row.credit_days_late,
  defaults: row.defaults, default_amount: row.default_amount, last_event_at: row.last_event_at,
  created_at: $now, updated_at: $now})
RETURN collect(p.id), collect(id(p))`

	// Ties are created between nodes found by their internal node id
	// (learnt from check or from creating the people, in id(p) order):
	// a node seek instead of a locking seek in the person_id index, which
	// with its lock took a third of the server's time per tie. A node id
	// can be reused once its node is deleted, and a batch written over
	// several transactions looks its nodes up in transactions after the
	// one that learnt the ids, so each row also checks that the node is
	// still the person ($pa, $pb): a node that is no longer the person
	// matches nothing and fails the statement's count. coalesce keeps the
	// planner from turning that check into an index seek. qMatchPair
	// finds row i's two people so; each create statement adds its tie.
	qMatchPair = `
UNWIND range(0, size($a) - 1) AS i
MATCH (a) WHERE id(a) = $a[i] AND a:Person AND coalesce(a.id, -1) = $pa[i]
MATCH (b) WHERE id(b) = $b[i] AND b:Person AND coalesce(b.id, -1) = $pb[i]
`
	qCreateFriend = qMatchPair + `CREATE (a)-[:FRIEND]->(b)
RETURN count(*)`
	// The same for friendships whose weight is not 1.
	qCreateWeightedFriend = qMatchPair + `CREATE (a)-[:FRIEND {weight: $w[i]}]->(b)
RETURN count(*)`
	qCreateRecruit = qMatchPair + `CREATE (a)-[:RECRUITED]->(b)
RETURN count(*)`

	qUpdateFriend = `
UNWIND range(0, size($a) - 1) AS i
MATCH (:Person {id: $a[i]})-[f:FRIEND]-(:Person {id: $b[i]})
SET f.weight = $w[i]
RETURN count(*)`
)

// batchPlan is a batch graph.PlanBatch found valid, in the shapes the
// statements take: people sorted by id, each friendship once (From < To,
// the last weight given), each recruitment once.
type batchPlan struct {
	*graph.BatchPlan
	people   []graph.Person
	friends  []graph.Tie
	recruits []graph.Tie
}

// planBatch validates what can be checked without the database.
func planBatch(b graph.Batch) (*batchPlan, error) {
	gp, err := graph.PlanBatch(b)
	if err != nil {
		return nil, err
	}
	p := &batchPlan{BatchPlan: gp, people: make([]graph.Person, len(gp.Order))}
	for k, j := range gp.Order {
		p.people[k] = b.People[j]
	}
	p.friends = make([]graph.Tie, 0, len(gp.Friends)/2)
	for _, a := range gp.Friends {
		if a.From < a.To {
			p.friends = append(p.friends, graph.Tie{Kind: graph.Friend, From: a.From, To: a.To, Weight: a.Weight})
		}
	}
	p.recruits = make([]graph.Tie, len(gp.Recruits))
	for k, a := range gp.Recruits {
		p.recruits[k] = graph.Tie{Kind: graph.Recruited, From: a.From, To: a.To, Weight: 1}
	}
	return p, nil
}

// checked is what checking a plan against the database found.
type checked struct {
	newFriends []graph.Tie // to create
	oldFriends []graph.Tie // exist already: weight to set
	oldWeights []float64   // their weights before the batch, parallel to oldFriends
	newRecruit []graph.Tie // to create (recruitments already stored are skipped)
}

// nodeIDs maps person ids to the internal ids of their nodes. The
// transactions of a split batch that create people fill it concurrently.
type nodeIDs struct {
	mu sync.Mutex
	m  map[graph.ID]int64
}

func newNodeIDs(n int) *nodeIDs { return &nodeIDs{m: make(map[graph.ID]int64, n)} }

func (n *nodeIDs) reset() {
	n.mu.Lock()
	defer n.mu.Unlock()
	clear(n.m)
}

// add records the node ids of people (parallel lists from a record).
func (n *nodeIDs) add(people, nodes []any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for i := range min(len(people), len(nodes)) {
		n.m[graph.ID(asInt(people[i]))] = asInt(nodes[i])
	}
}

// check validates the plan against the database (inside tx) with
// graph.BatchPlan.CheckStored: new ids must not exist, other ids must,
// and a recruit keeps their recruiter. The node ids of the people who
// exist are added to nodes.
func (s *Store) check(ctx context.Context, tx drv.ManagedTransaction, p *batchPlan, nodes *nodeIDs) (*checked, error) {
	ids := make([]int64, 0, len(p.IDs)+len(p.Outside))
	for _, id := range p.IDs {
		ids = append(ids, int64(id))
	}
	for _, id := range p.Outside {
		ids = append(ids, int64(id))
	}
	exists := make(map[graph.ID]bool, len(p.Outside))
	for start := 0; start < len(ids); start += 5 * s.cfg.BatchSize {
		part := ids[start:min(start+5*s.cfg.BatchSize, len(ids))]
		rec, err := single(ctx, tx, `
UNWIND $ids AS x
MATCH (p:Person {id: x})
RETURN collect(x), collect(id(p))`, map[string]any{"ids": part})
		if err != nil {
			return nil, err
		}
		found := asList(rec.Values[0])
		nodes.add(found, asList(rec.Values[1]))
		for i := range found {
			exists[graph.ID(asInt(found[i]))] = true
		}
	}
	// Recruits who existed before the batch may have a recruiter already.
	var oldRecruits []int64
	for _, t := range p.recruits {
		if !p.IDs.Has(t.To) && exists[t.To] {
			oldRecruits = append(oldRecruits, int64(t.To))
		}
	}
	stored := map[graph.ID]graph.ID{}
	if len(oldRecruits) > 0 {
		err := each(ctx, tx, `
UNWIND $ids AS id
MATCH (r:Person)-[:RECRUITED]->(:Person {id: id})
RETURN id, r.id`, map[string]any{"ids": oldRecruits}, func(r *drv.Record) error {
			stored[graph.ID(asInt(r.Values[0]))] = graph.ID(asInt(r.Values[1]))
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	err := p.CheckStored(ctx, graph.Stored{
		Person: func(id graph.ID) bool { return exists[id] },
		Recruiter: func(id graph.ID) (graph.ID, bool) {
			r, ok := stored[id]
			return r, ok
		},
	})
	if err != nil {
		return nil, err
	}

	c := &checked{}
	for _, t := range p.recruits {
		if _, ok := stored[t.To]; !ok {
			c.newRecruit = append(c.newRecruit, t)
		}
	}

	// Friendships between two people who existed before may exist.
	var a, b []int64
	for _, t := range p.friends {
		if !p.IDs.Has(t.From) && !p.IDs.Has(t.To) {
			a, b = append(a, int64(t.From)), append(b, int64(t.To))
		}
	}
	old := map[[2]graph.ID]float64{}
	for start := 0; start < len(a); start += 5 * s.cfg.BatchSize {
		end := min(start+5*s.cfg.BatchSize, len(a))
		err := each(ctx, tx, `
UNWIND range(0, size($a) - 1) AS i
MATCH (:Person {id: $a[i]})-[f:FRIEND]-(:Person {id: $b[i]})
RETURN $a[i], $b[i], f.weight`, map[string]any{"a": a[start:end], "b": b[start:end]}, func(r *drv.Record) error {
			old[[2]graph.ID{graph.ID(asInt(r.Values[0])), graph.ID(asInt(r.Values[1]))}] = weightOf(r.Values[2])
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	for _, t := range p.friends {
		if w, ok := old[[2]graph.ID{t.From, t.To}]; ok {
			c.oldFriends = append(c.oldFriends, t)
			c.oldWeights = append(c.oldWeights, w)
		} else {
			c.newFriends = append(c.newFriends, t)
		}
	}
	return c, nil
}

// step is one UNWIND statement of a batch, with how to undo it.
type step struct {
	query   string
	creates bool                  // creates people
	params  func() map[string]any // built when the step runs
	rows    int
	// result checks the statement's one record.
	result func(rec *drv.Record) error
	undo   func() (string, map[string]any)
}

// run executes the step in tx.
func (st *step) run(ctx context.Context, tx drv.ManagedTransaction) error {
	rec, err := single(ctx, tx, st.query, st.params())
	if err != nil {
		return err
	}
	return st.result(rec)
}

// errVanished reports a row that matched nothing: a person the batch
// names was deleted while the batch was written.
var errVanished = fmt.Errorf("a person the batch names was deleted while it was written: %w", graph.ErrConflict)

// countIs returns a result check requiring the count to be n.
func countIs(n int) func(*drv.Record) error {
	return func(rec *drv.Record) error {
		if got := asInt(rec.Values[0]); got != int64(n) {
			return fmt.Errorf("%d of %d rows written: %w", got, n, errVanished)
		}
		return nil
	}
}

// steps turns a checked plan into statements of at most n rows:
// people first, then new friendships (those of weight 1, then the
// others), weight updates and recruitments. New people's node ids are
// added to nodes as they are created; ties are created between nodes
// found by node id, so their steps build their parameters when they run.
func (s *Store) steps(p *batchPlan, c *checked, now time.Time, nodes *nodeIDs, n int) []step {
	var out []step
	for start := 0; start < len(p.people); start += n {
		part := p.people[start:min(start+n, len(p.people))]
		rows := make([]map[string]any, len(part))
		ids := make([]int64, len(part))
		for i := range part {
			rows[i] = newPersonProps(&part[i], time.Time{}) // times: $now
			ids[i] = int64(part[i].ID)
		}
		params := map[string]any{"rows": rows, "now": now}
		out = append(out, step{
			query:   qCreatePeople,
			creates: true,
			params:  func() map[string]any { return params },
			rows:    len(part),
			result: func(rec *drv.Record) error {
				created, node := asList(rec.Values[0]), asList(rec.Values[1])
				if len(created) != len(part) || len(node) != len(part) {
					return fmt.Errorf("created %d of %d people", len(created), len(part))
				}
				nodes.add(created, node)
				return nil
			},
			undo: func() (string, map[string]any) { return qDeletePeople, map[string]any{"ids": ids, "now": now} },
		})
	}
	ties := func(ts []graph.Tie, create, remove string) {
		for start := 0; start < len(ts); start += n {
			part := ts[start:min(start+n, len(ts))]
			out = append(out, step{
				query:  create,
				params: func() map[string]any { return nodeParams(part, nodes) },
				rows:   len(part),
				result: countIs(len(part)),
				undo:   func() (string, map[string]any) { return remove, tieParams(part) },
			})
		}
	}
	// A friendship of weight 1 is created without a property.
	var unit, weighted []graph.Tie
	for _, t := range c.newFriends {
		if t.Weight == 1 {
			unit = append(unit, t)
		} else {
			weighted = append(weighted, t)
		}
	}
	ties(unit, qCreateFriend, qDeleteFriend)
	ties(weighted, qCreateWeightedFriend, qDeleteFriend)
	for start := 0; start < len(c.oldFriends); start += n {
		end := min(start+n, len(c.oldFriends))
		params := tieParams(c.oldFriends[start:end])
		undo := tieParams(c.oldFriends[start:end])
		undo["w"] = c.oldWeights[start:end]
		out = append(out, step{
			query:  qUpdateFriend,
			params: func() map[string]any { return params },
			rows:   end - start,
			result: countIs(end - start),
			undo:   func() (string, map[string]any) { return qUpdateFriend, undo },
		})
	}
	ties(c.newRecruit, qCreateRecruit, qDeleteRecruit)
	return out
}

func tieParams(ts []graph.Tie) map[string]any {
	a := make([]int64, len(ts))
	b := make([]int64, len(ts))
	w := make([]float64, len(ts))
	for i, t := range ts {
		a[i], b[i], w[i] = int64(t.From), int64(t.To), t.Weight
	}
	return map[string]any{"a": a, "b": b, "w": w}
}

// nodeParams returns the parameters of a statement creating ties between
// nodes found by node id: $a and $b the node ids, $pa and $pb the person
// ids they must still have, $w the weights.
func nodeParams(ts []graph.Tie, nodes *nodeIDs) map[string]any {
	nodes.mu.Lock()
	defer nodes.mu.Unlock()
	a := make([]int64, len(ts))
	b := make([]int64, len(ts))
	pa := make([]int64, len(ts))
	pb := make([]int64, len(ts))
	w := make([]float64, len(ts))
	for i, t := range ts {
		na, oka := nodes.m[t.From]
		nb, okb := nodes.m[t.To]
		if !oka {
			na = -1 // matches no node: the statement's count fails
		}
		if !okb {
			nb = -1
		}
		a[i], b[i], pa[i], pb[i], w[i] = na, nb, int64(t.From), int64(t.To), t.Weight
	}
	return map[string]any{"a": a, "b": b, "pa": pa, "pb": pb, "w": w}
}

// ApplyBatch creates the batch's people and ties all-or-nothing. The whole
// batch is validated before anything is written. A batch of up to TxRows
// people and ties is checked and written in one transaction; a larger one
// is checked in a read transaction, written in transactions of about
// SplitTxRows rows, Writers at a time, and on failure the committed part
// is undone (people and ties deleted, weights restored). While a large
// batch is being written other readers can see part of it.
func (s *Store) ApplyBatch(ctx context.Context, b graph.Batch) error {
	if len(b.People) == 0 && len(b.Ties) == 0 {
		return nil
	}
	op := fmt.Sprintf("apply batch of %d people and %d ties", len(b.People), len(b.Ties))
	p, err := planBatch(b)
	if err != nil {
		return fmt.Errorf("neo4j: %s: %w", op, err)
	}
	now := s.now()
	if len(p.people)+len(p.friends)+len(p.recruits) <= s.cfg.TxRows {
		_, err := s.writeGen(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
			nodes := newNodeIDs(len(p.people) + len(p.Outside))
			c, err := s.check(ctx, tx, p, nodes)
			if err != nil {
				return nil, err
			}
			for _, st := range s.steps(p, c, now, nodes, s.cfg.BatchSize) {
				if err := st.run(ctx, tx); err != nil {
					return nil, err
				}
			}
			return nil, nil
		})
		return s.wrap(ctx, op, err)
	}

	nodes := newNodeIDs(len(p.people) + len(p.Outside))
	v, err := s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		nodes.reset() // a retried transaction starts again
		return s.check(ctx, tx, p, nodes)
	})
	if err != nil {
		return s.wrap(ctx, op, err)
	}
	return s.writeSplit(ctx, op, s.steps(p, v.(*checked), now, nodes, min(s.cfg.BatchSize, s.cfg.SplitTxRows)))
}
