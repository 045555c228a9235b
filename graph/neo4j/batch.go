package neo4j

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
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
	// planner from turning that check into an index seek.
	qCreateFriend = `
UNWIND range(0, size($a) - 1) AS i
MATCH (a) WHERE id(a) = $a[i] AND a:Person AND coalesce(a.id, -1) = $pa[i]
MATCH (b) WHERE id(b) = $b[i] AND b:Person AND coalesce(b.id, -1) = $pb[i]
CREATE (a)-[:FRIEND]->(b)
RETURN count(*)`
	// The same for friendships whose weight is not 1.
	qCreateWeightedFriend = `
UNWIND range(0, size($a) - 1) AS i
MATCH (a) WHERE id(a) = $a[i] AND a:Person AND coalesce(a.id, -1) = $pa[i]
MATCH (b) WHERE id(b) = $b[i] AND b:Person AND coalesce(b.id, -1) = $pb[i]
CREATE (a)-[:FRIEND {weight: $w[i]}]->(b)
RETURN count(*)`
	qCreateRecruit = `
UNWIND range(0, size($a) - 1) AS i
MATCH (a) WHERE id(a) = $a[i] AND a:Person AND coalesce(a.id, -1) = $pa[i]
MATCH (b) WHERE id(b) = $b[i] AND b:Person AND coalesce(b.id, -1) = $pb[i]
CREATE (a)-[:RECRUITED]->(b)
RETURN count(*)`

	qUpdateFriend = `
UNWIND range(0, size($a) - 1) AS i
MATCH (:Person {id: $a[i]})-[f:FRIEND]-(:Person {id: $b[i]})
SET f.weight = $w[i]
RETURN count(*)`

	// Undo statements for a batch split over several transactions.
	// Only people this batch created: they carry its created_at.
	qDeletePeople = `
UNWIND $ids AS id
MATCH (p:Person {id: id}) WHERE p.created_at = $now
DETACH DELETE p`
	qDeleteFriend = `
UNWIND range(0, size($a) - 1) AS i
MATCH (:Person {id: $a[i]})-[f:FRIEND]-(:Person {id: $b[i]})
DELETE f`
	qDeleteRecruit = `
UNWIND range(0, size($a) - 1) AS i
MATCH (:Person {id: $a[i]})-[t:RECRUITED]->(:Person {id: $b[i]})
DELETE t`
)

// batchPlan is a validated batch: people sorted by id, friendships
// normalised, deduplicated (the last weight wins) and sorted, recruitments
// deduplicated and sorted.
type batchPlan struct {
	batch    graph.Batch // as given, for positions in error messages
	people   []graph.Person
	isNew    map[graph.ID]bool
	friends  []graph.Tie
	recruits []graph.Tie
	// outside lists, ascending, the ids that ties name and the batch does
	// not create: they must exist already.
	outside []int64
}

// personAt returns the position of the person with the id in the batch.
func (p *batchPlan) personAt(id graph.ID) int {
	return slices.IndexFunc(p.batch.People, func(q graph.Person) bool { return q.ID == id })
}

// tieAt returns the position of the first tie in the batch that is t
// once normalised.
func (p *batchPlan) tieAt(t graph.Tie) int {
	return slices.IndexFunc(p.batch.Ties, func(u graph.Tie) bool {
		u = u.Normalize()
		return u.Kind == t.Kind && u.From == t.From && u.To == t.To
	})
}

// batchError returns a *graph.ValidationError of the kind.
func batchError(field string, kind error, format string, args ...any) error {
	return &graph.ValidationError{Field: field, Reason: fmt.Sprintf(format, args...), Kind: kind}
}

// prefixed returns err with its field placed under prefix.
func prefixed(prefix string, err error) error {
	var ve *graph.ValidationError
	if errors.As(err, &ve) {
		return &graph.ValidationError{Field: prefix + "/" + ve.Field, Reason: ve.Reason, Kind: ve.Kind}
	}
	return fmt.Errorf("%s: %w", prefix, err)
}

// planBatch validates what can be checked without the database. It sorts
// instead of using maps keyed by tie: a batch of 500,000 ties is planned
// in a fraction of a second.
func planBatch(b graph.Batch) (*batchPlan, error) {
	p := &batchPlan{batch: b, isNew: make(map[graph.ID]bool, len(b.People))}
	for i := range b.People {
		if err := b.People[i].Validate(); err != nil {
			return nil, prefixed(fmt.Sprintf("people/%d", i), err)
		}
	}
	p.people = slices.Clone(b.People)
	slices.SortStableFunc(p.people, func(x, y graph.Person) int { return cmp.Compare(x.ID, y.ID) })
	for i := range p.people {
		id := p.people[i].ID
		if i > 0 && p.people[i-1].ID == id {
			first := p.personAt(id)
			second := first + 1 + slices.IndexFunc(b.People[first+1:], func(q graph.Person) bool { return q.ID == id })
			return nil, batchError(fmt.Sprintf("people/%d/id", second), graph.ErrConflict,
				"id %d appears twice in the batch (also people/%d)", id, first)
		}
		p.isNew[id] = true
	}

	// Ties, normalised, with their positions.
	type at struct {
		graph.Tie
		i int
	}
	var friends, recruits []at
	for i, t := range b.Ties {
		if err := t.Validate(); err != nil {
			return nil, prefixed(fmt.Sprintf("ties/%d", i), err)
		}
		t = t.Normalize()
		if t.Kind == graph.Friend {
			friends = append(friends, at{t, i})
		} else {
			recruits = append(recruits, at{t, i})
		}
	}
	byPair := func(x, y at) int {
		return cmp.Or(cmp.Compare(x.From, y.From), cmp.Compare(x.To, y.To), cmp.Compare(x.i, y.i))
	}
	// A friendship given several times: the last weight wins.
	slices.SortFunc(friends, byPair)
	p.friends = make([]graph.Tie, 0, len(friends))
	for k, f := range friends {
		if k+1 < len(friends) && friends[k+1].From == f.From && friends[k+1].To == f.To {
			continue
		}
		p.friends = append(p.friends, f.Tie)
	}
	// A recruit named twice must have the same recruiter both times.
	slices.SortFunc(recruits, func(x, y at) int { return cmp.Or(cmp.Compare(x.To, y.To), cmp.Compare(x.i, y.i)) })
	conflict := -1
	var msg string
	for k := 1; k < len(recruits); k++ {
		r, prev := recruits[k], recruits[k-1]
		if r.To == prev.To && r.From != prev.From && (conflict < 0 || r.i < conflict) {
			first := recruits[k-1]
			for j := k - 1; j > 0 && recruits[j-1].To == r.To; j-- {
				first = recruits[j-1]
			}
			conflict = r.i
			msg = fmt.Sprintf("person %d is recruited by both %d and %d in the batch", r.To, first.From, r.From)
		}
	}
	if conflict >= 0 {
		return nil, batchError(fmt.Sprintf("ties/%d/from", conflict), graph.ErrConflict, "%s", msg)
	}
	slices.SortFunc(recruits, byPair)
	p.recruits = make([]graph.Tie, 0, len(recruits))
	for k, r := range recruits {
		if k > 0 && recruits[k-1].From == r.From && recruits[k-1].To == r.To {
			continue
		}
		p.recruits = append(p.recruits, r.Tie)
	}

	for _, ts := range [][]graph.Tie{p.friends, p.recruits} {
		for _, t := range ts {
			if !p.isNew[t.From] {
				p.outside = append(p.outside, int64(t.From))
			}
			if !p.isNew[t.To] {
				p.outside = append(p.outside, int64(t.To))
			}
		}
	}
	slices.Sort(p.outside)
	p.outside = slices.Compact(p.outside)
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

// check validates the plan against the database (inside tx): new ids must
// not exist, other ids must, and a recruit keeps their recruiter. The
// node ids of the people who exist are added to nodes.
func (s *Store) check(ctx context.Context, tx drv.ManagedTransaction, p *batchPlan, nodes *nodeIDs) (*checked, error) {
	ids := make([]int64, 0, len(p.people)+len(p.outside))
	for _, person := range p.people {
		ids = append(ids, int64(person.ID))
	}
	ids = append(ids, p.outside...)
	exists := make(map[graph.ID]bool, len(p.outside))
	conflicts := false
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
			id := graph.ID(asInt(found[i]))
			exists[id] = true
			if p.isNew[id] {
				conflicts = true
			}
		}
	}
	if conflicts { // report the first in batch order
		for i, q := range p.batch.People {
			if exists[q.ID] {
				return nil, batchError(fmt.Sprintf("people/%d/id", i), graph.ErrConflict, "person %d already exists", q.ID)
			}
		}
	}
	for _, id := range p.outside {
		if !exists[graph.ID(id)] {
			return nil, s.missing(p, graph.ID(id))
		}
	}

	c := &checked{}
	// Recruits who existed before the batch may have a recruiter already.
	var oldRecruits []int64
	for _, t := range p.recruits {
		if !p.isNew[t.To] {
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
	for _, t := range p.recruits {
		r, ok := stored[t.To]
		switch {
		case !ok:
			c.newRecruit = append(c.newRecruit, t)
		case r != t.From:
			return nil, batchError(fmt.Sprintf("ties/%d/from", p.tieAt(t)), graph.ErrConflict,
				"person %d was already recruited by %d", t.To, r)
		}
	}

	// Friendships between two people who existed before may exist.
	var a, b []int64
	for _, t := range p.friends {
		if !p.isNew[t.From] && !p.isNew[t.To] {
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

// missing returns the ErrNotFound error for the first tie naming id.
func (s *Store) missing(p *batchPlan, id graph.ID) error {
	at := slices.IndexFunc(p.batch.Ties, func(t graph.Tie) bool { return t.From == id || t.To == id })
	end := "from"
	if at >= 0 && p.batch.Ties[at].From != id {
		end = "to"
	}
	return batchError(fmt.Sprintf("ties/%d/%s", at, end), graph.ErrNotFound, "person %d does not exist", id)
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
		_, err := s.write(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
			nodes := newNodeIDs(len(p.people) + len(p.outside))
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

	nodes := newNodeIDs(len(p.people) + len(p.outside))
	v, err := s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		nodes.reset() // a retried transaction starts again
		return s.check(ctx, tx, p, nodes)
	})
	if err != nil {
		return s.wrap(ctx, op, err)
	}
	return s.writeSplit(ctx, op, s.steps(p, v.(*checked), now, nodes, min(s.cfg.BatchSize, s.cfg.SplitTxRows)))
}

// txSteps is one transaction of a split batch: steps[from:to].
type txSteps struct{ from, to int }

// writeSplit writes the steps of a checked batch in transactions of up to
// SplitTxRows rows, Writers at a time: first those that create people,
// then (once every person exists, so that their node ids are known) those
// of ties. On failure it waits for the transactions under way and undoes
// every committed one.
func (s *Store) writeSplit(ctx context.Context, op string, steps []step) error {
	var txs [2][]txSteps // people, then ties
	for start := 0; start < len(steps); {
		phase := 1
		if steps[start].creates {
			phase = 0
		}
		end, rows := start, 0
		for end < len(steps) && steps[end].creates == steps[start].creates &&
			(end == start || rows+steps[end].rows <= s.cfg.SplitTxRows) {
			rows += steps[end].rows
			end++
		}
		txs[phase] = append(txs[phase], txSteps{start, end})
		start = end
	}

	var (
		mu      sync.Mutex
		failed  error
		done    int                  // steps committed
		written = map[txSteps]bool{} // committed, or maybe (outcome unknown)
	)
	for _, phase := range txs {
		var wg sync.WaitGroup
		slots := make(chan struct{}, s.cfg.Writers)
		for _, t := range phase {
			slots <- struct{}{}
			mu.Lock()
			stop := failed != nil
			mu.Unlock()
			if stop {
				<-slots
				break
			}
			wg.Add(1)
			go func() {
				defer func() { <-slots; wg.Done() }()
				_, err := s.write(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
					for i := t.from; i < t.to; i++ {
						if err := steps[i].run(ctx, tx); err != nil {
							return nil, err
						}
					}
					return nil, nil
				})
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					written[t] = true
					done += t.to - t.from
					if s.afterTx != nil && failed == nil {
						err = s.afterTx(done, len(steps))
					}
				} else if maybeCommitted(err) {
					// Undoing what was not written changes nothing.
					written[t] = true
				}
				if err != nil && failed == nil {
					failed = err
				}
			}()
		}
		wg.Wait()
		if failed != nil {
			break
		}
	}
	if failed == nil {
		return nil
	}
	var undo []step
	for _, phase := range txs {
		for _, t := range phase {
			if written[t] {
				undo = append(undo, steps[t.from:t.to]...)
			}
		}
	}
	if uerr := s.undo(ctx, undo); uerr != nil {
		failed = fmt.Errorf("%w; undoing the %d statements already committed failed, the batch is partly stored: %v", failed, done, uerr)
	}
	return s.wrap(ctx, op, failed)
}

// maybeCommitted tells whether a transaction that failed with err may
// have committed all the same: its connection was lost or its context
// ended while it was committing.
func maybeCommitted(err error) bool {
	var connErr *drv.ConnectivityError
	return errors.As(err, &connErr) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// undo reverts committed steps, newest first. It runs even if ctx was
// cancelled, bounded by its own timeout.
func (s *Store) undo(ctx context.Context, done []step) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	defer cancel()
	for i := len(done) - 1; i >= 0; i-- {
		q, params := done[i].undo()
		if _, err := s.write(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
			return nil, execTx(ctx, tx, q, params)
		}); err != nil {
			return err
		}
	}
	return nil
}
