package neo4j

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/socialscore/socialscore/graph"
)

// Bulk statements. Rows are passed as parallel lists ($a, $b, $w) rather
// than one map per row: they pack and unpack several times faster.
const (
	qCreatePeople = `UNWIND $rows AS row CREATE (p:Person) SET p = row`
	qCreateFriend = `
UNWIND range(0, size($a) - 1) AS i
MATCH (a:Person {id: $a[i]})
MATCH (b:Person {id: $b[i]})
CREATE (a)-[:FRIEND {weight: $w[i]}]->(b)`
	qUpdateFriend = `
UNWIND range(0, size($a) - 1) AS i
MATCH (:Person {id: $a[i]})-[f:FRIEND]-(:Person {id: $b[i]})
SET f.weight = $w[i]`
	qCreateRecruit = `
UNWIND range(0, size($a) - 1) AS i
MATCH (a:Person {id: $a[i]})
MATCH (b:Person {id: $b[i]})
CREATE (a)-[:RECRUITED]->(b)`

	// Undo statements for a batch split over several transactions.
	qDeletePeople = `
UNWIND $ids AS id
MATCH (p:Person {id: id})
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
	people   []graph.Person
	isNew    map[graph.ID]bool
	friends  []graph.Tie
	recruits []graph.Tie
	// outside lists, ascending, the ids that ties name and the batch does
	// not create: they must exist already.
	outside []int64
	// index maps a person id or a tie to its position in the batch, for
	// error messages.
	personAt map[graph.ID]int
	tieAt    map[tieKey]int
}

type tieKey struct {
	kind graph.TieKind
	a, b graph.ID
}

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

// planBatch validates what can be checked without the database.
func planBatch(b graph.Batch) (*batchPlan, error) {
	p := &batchPlan{
		isNew:    make(map[graph.ID]bool, len(b.People)),
		personAt: make(map[graph.ID]int, len(b.People)),
		tieAt:    make(map[tieKey]int, len(b.Ties)),
	}
	for i, person := range b.People {
		if err := person.Validate(); err != nil {
			return nil, prefixed(fmt.Sprintf("people/%d", i), err)
		}
		if j, dup := p.personAt[person.ID]; dup {
			return nil, batchError(fmt.Sprintf("people/%d/id", i), graph.ErrConflict, "id %d appears twice in the batch (also people/%d)", person.ID, j)
		}
		p.personAt[person.ID] = i
		p.isNew[person.ID] = true
	}
	p.people = slices.Clone(b.People)
	slices.SortFunc(p.people, func(x, y graph.Person) int { return cmp.Compare(x.ID, y.ID) })

	friends := make(map[tieKey]float64)
	recruiter := make(map[graph.ID]graph.ID)
	outside := make(map[graph.ID]bool)
	for i, t := range b.Ties {
		if err := t.Validate(); err != nil {
			return nil, prefixed(fmt.Sprintf("ties/%d", i), err)
		}
		t = t.Normalize()
		k := tieKey{t.Kind, t.From, t.To}
		p.tieAt[k] = i
		switch t.Kind {
		case graph.Friend:
			if _, seen := friends[k]; !seen {
				p.friends = append(p.friends, t)
			}
			friends[k] = t.Weight
		case graph.Recruited:
			if r, seen := recruiter[t.To]; seen {
				if r != t.From {
					return nil, batchError(fmt.Sprintf("ties/%d", i), graph.ErrConflict,
						"person %d is recruited by both %d and %d in the batch", t.To, r, t.From)
				}
				continue
			}
			recruiter[t.To] = t.From
			p.recruits = append(p.recruits, t)
		}
		for _, id := range [2]graph.ID{t.From, t.To} {
			if !p.isNew[id] {
				outside[id] = true
			}
		}
	}
	for i := range p.friends {
		p.friends[i].Weight = friends[tieKey{graph.Friend, p.friends[i].From, p.friends[i].To}]
	}
	slices.SortFunc(p.friends, func(x, y graph.Tie) int { return cmp.Or(cmp.Compare(x.From, y.From), cmp.Compare(x.To, y.To)) })
	slices.SortFunc(p.recruits, func(x, y graph.Tie) int { return cmp.Or(cmp.Compare(x.From, y.From), cmp.Compare(x.To, y.To)) })
	p.outside = make([]int64, 0, len(outside))
	for id := range outside {
		p.outside = append(p.outside, int64(id))
	}
	slices.Sort(p.outside)
	return p, nil
}

// checked is what checking a plan against the database found.
type checked struct {
	newFriends []graph.Tie // to create
	oldFriends []graph.Tie // exist already: weight to set
	oldWeights []float64   // their weights before the batch, parallel to oldFriends
	newRecruit []graph.Tie // to create (recruitments already stored are skipped)
}

// check validates the plan against the database (inside tx): new ids must
// not exist, other ids must, and a recruit keeps their recruiter.
func (s *Store) check(ctx context.Context, tx drv.ManagedTransaction, p *batchPlan) (*checked, error) {
	ids := make([]int64, 0, len(p.people)+len(p.outside))
	for _, person := range p.people {
		ids = append(ids, int64(person.ID))
	}
	ids = append(ids, p.outside...)
	exists := make(map[graph.ID]bool, len(p.outside))
	var firstConflict graph.ID
	for start := 0; start < len(ids); start += 5 * s.cfg.BatchSize {
		part := ids[start:min(start+5*s.cfg.BatchSize, len(ids))]
		err := each(ctx, tx, `UNWIND $ids AS id MATCH (p:Person {id: id}) RETURN id`, map[string]any{"ids": part},
			func(r *drv.Record) error {
				id := graph.ID(asInt(r.Values[0]))
				exists[id] = true
				if p.isNew[id] && (firstConflict == 0 || p.personAt[id] < p.personAt[firstConflict]) {
					firstConflict = id
				}
				return nil
			})
		if err != nil {
			return nil, err
		}
	}
	if firstConflict != 0 {
		return nil, batchError(fmt.Sprintf("people/%d/id", p.personAt[firstConflict]), graph.ErrConflict, "person %d already exists", firstConflict)
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
			return nil, batchError(fmt.Sprintf("ties/%d", p.tieAt[tieKey{graph.Recruited, t.From, t.To}]), graph.ErrConflict,
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
	at := -1
	for k, i := range p.tieAt {
		if (k.a == id || k.b == id) && (at < 0 || i < at) {
			at = i
		}
	}
	return batchError(fmt.Sprintf("ties/%d", at), graph.ErrNotFound, "person %d does not exist", id)
}

// step is one UNWIND statement of a batch, with how to undo it.
type step struct {
	query  string
	params map[string]any
	rows   int
	undo   func() (string, map[string]any)
}

// steps turns a checked plan into statements of at most BatchSize rows:
// people first, then new friendships, weight updates and recruitments.
func (s *Store) steps(p *batchPlan, c *checked, now time.Time) []step {
	n := s.cfg.BatchSize
	var out []step
	for start := 0; start < len(p.people); start += n {
		part := p.people[start:min(start+n, len(p.people))]
		rows := make([]map[string]any, len(part))
		ids := make([]int64, len(part))
		for i := range part {
			rows[i] = newPersonProps(&part[i], now)
			ids[i] = int64(part[i].ID)
		}
		out = append(out, step{query: qCreatePeople, params: map[string]any{"rows": rows}, rows: len(part),
			undo: func() (string, map[string]any) { return qDeletePeople, map[string]any{"ids": ids} }})
	}
	ties := func(ts []graph.Tie, create, remove string) {
		for start := 0; start < len(ts); start += n {
			params := tieParams(ts[start:min(start+n, len(ts))])
			out = append(out, step{query: create, params: params, rows: len(params["a"].([]int64)),
				undo: func() (string, map[string]any) { return remove, params }})
		}
	}
	ties(c.newFriends, qCreateFriend, qDeleteFriend)
	for start := 0; start < len(c.oldFriends); start += n {
		end := min(start+n, len(c.oldFriends))
		params := tieParams(c.oldFriends[start:end])
		undo := tieParams(c.oldFriends[start:end])
		undo["w"] = c.oldWeights[start:end]
		out = append(out, step{query: qUpdateFriend, params: params, rows: end - start,
			undo: func() (string, map[string]any) { return qUpdateFriend, undo }})
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

// ApplyBatch creates the batch's people and ties all-or-nothing. The whole
// batch is validated before anything is written. A batch of up to TxRows
// people and ties is checked and written in one transaction; a larger one
// is checked in a read transaction, written in transactions of about
// TxRows rows, and on failure the committed part is undone (people and
// ties deleted, weights restored). While a large batch is being written
// other readers can see part of it.
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
			c, err := s.check(ctx, tx, p)
			if err != nil {
				return nil, err
			}
			for _, st := range s.steps(p, c, now) {
				if err := execTx(ctx, tx, st.query, st.params); err != nil {
					return nil, err
				}
			}
			return nil, nil
		})
		return s.wrap(ctx, op, err)
	}

	v, err := s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) { return s.check(ctx, tx, p) })
	if err != nil {
		return s.wrap(ctx, op, err)
	}
	steps := s.steps(p, v.(*checked), now)
	done := 0 // steps committed
	for done < len(steps) {
		// One transaction: steps up to TxRows rows (at least one).
		end, rows := done, 0
		for end < len(steps) && (end == done || rows+steps[end].rows <= s.cfg.TxRows) {
			rows += steps[end].rows
			end++
		}
		_, err := s.write(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
			for _, st := range steps[done:end] {
				if err := execTx(ctx, tx, st.query, st.params); err != nil {
					return nil, err
				}
			}
			return nil, nil
		})
		if err == nil {
			done = end
			if s.afterTx != nil {
				err = s.afterTx(done, len(steps))
			}
		}
		if err != nil {
			if uerr := s.undo(ctx, steps[:done]); uerr != nil {
				err = fmt.Errorf("%w; undoing the %d statements already committed failed, the batch is partly stored: %v", err, done, uerr)
			}
			return s.wrap(ctx, op, err)
		}
	}
	return nil
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
