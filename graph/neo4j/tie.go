package neo4j

import (
	"context"
	"fmt"
	"slices"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/socialscore/socialscore/graph"
)

// PutTie creates the tie, or updates the weight of an existing friendship.
func (s *Store) PutTie(ctx context.Context, t graph.Tie) error {
	op := fmt.Sprintf("put tie %d-%d", t.From, t.To)
	if err := t.Validate(); err != nil {
		return fmt.Errorf("neo4j: %s: %w", op, err)
	}
	t = t.Normalize()
	params := map[string]any{"a": int64(t.From), "b": int64(t.To), "w": t.Weight}
	_, err := s.writeGen(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		rec, err := single(ctx, tx, `
OPTIONAL MATCH (a:Person {id: $a})
OPTIONAL MATCH (b:Person {id: $b})
RETURN a IS NOT NULL, b IS NOT NULL`, params)
		if err != nil {
			return nil, err
		}
		if !asBool(rec.Values[0]) {
			return nil, fmt.Errorf("person %d: %w", t.From, graph.ErrNotFound)
		}
		if !asBool(rec.Values[1]) {
			return nil, fmt.Errorf("person %d: %w", t.To, graph.ErrNotFound)
		}
		if t.Kind == graph.Friend {
			return nil, s.putFriend(ctx, tx, t, params)
		}
		return nil, s.putRecruit(ctx, tx, t, params)
	})
	return s.wrap(ctx, op, err)
}

// putFriend updates or creates the friendship between $a < $b. Both people
// are write-locked first (in id order), so two concurrent puts of one pair
// cannot both create it. The change, if any, is logged (tielog.go).
func (s *Store) putFriend(ctx context.Context, tx drv.ManagedTransaction, t graph.Tie, params map[string]any) error {
	rec, err := single(ctx, tx, `
MATCH (a:Person {id: $a}), (b:Person {id: $b})
SET a._lock = true, b._lock = true
REMOVE a._lock, b._lock
WITH a, b
OPTIONAL MATCH (a)-[f:FRIEND]-(b)
WITH f, f.weight AS old
SET f.weight = $w
RETURN f IS NOT NULL, old`, params)
	if err != nil {
		return err
	}
	if asBool(rec.Values[0]) {
		if old := weightOf(rec.Values[1]); old != t.Weight {
			return s.logTie(ctx, tx, graph.TieReweighted, t, old)
		}
		return nil
	}
	if err := s.logTie(ctx, tx, graph.TieAdded, t, 0); err != nil {
		return err
	}
	return execTx(ctx, tx, `
MATCH (a:Person {id: $a}), (b:Person {id: $b})
CREATE (a)-[:FRIEND {weight: $w}]->(b)`, params)
}

// putRecruit creates $a recruited $b unless it exists; the recruit is
// write-locked first so that two recruiters cannot both claim them.
func (s *Store) putRecruit(ctx context.Context, tx drv.ManagedTransaction, t graph.Tie, params map[string]any) error {
	rec, err := single(ctx, tx, `
MATCH (b:Person {id: $b})
SET b._lock = true
REMOVE b._lock
WITH b
OPTIONAL MATCH (r:Person)-[:RECRUITED]->(b)
RETURN collect(r.id)`, params)
	if err != nil {
		return err
	}
	for _, r := range asList(rec.Values[0]) {
		if graph.ID(asInt(r)) == t.From {
			return nil // already stored
		}
		return fmt.Errorf("person %d was already recruited by %d: %w", t.To, asInt(r), graph.ErrConflict)
	}
	if err := s.logTie(ctx, tx, graph.TieAdded, graph.Tie{Kind: graph.Recruited, From: t.From, To: t.To, Weight: 1}, 0); err != nil {
		return err
	}
	return execTx(ctx, tx, `
MATCH (a:Person {id: $a}), (b:Person {id: $b})
CREATE (a)-[:RECRUITED]->(b)`, params)
}

// DeleteTie removes the tie of the kind between a and b.
func (s *Store) DeleteTie(ctx context.Context, kind graph.TieKind, a, b graph.ID) error {
	op := fmt.Sprintf("delete %s tie %d-%d", kind, a, b)
	var q string
	switch kind {
	case graph.Friend:
		q = `MATCH (:Person {id: $a})-[t:FRIEND]-(:Person {id: $b}) WITH t, coalesce(t.weight, 1.0) AS w DELETE t RETURN count(t), collect(w)`
	case graph.Recruited:
		q = `MATCH (:Person {id: $a})-[t:RECRUITED]->(:Person {id: $b}) DELETE t RETURN count(t), collect(1)`
	default:
		return fmt.Errorf("neo4j: %s: %w", op, graph.Invalid("kind", "unknown tie kind %d", kind))
	}
	_, err := s.writeGen(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		rec, err := single(ctx, tx, q, map[string]any{"a": int64(a), "b": int64(b)})
		if err != nil {
			return nil, err
		}
		if asInt(rec.Values[0]) == 0 {
			return nil, graph.ErrNotFound
		}
		removed := graph.Tie{Kind: kind, From: a, To: b, Weight: 1}
		if ws := asList(rec.Values[1]); kind == graph.Friend && len(ws) > 0 {
			removed.Weight = weightOf(ws[0])
		}
		if kind == graph.Friend {
			removed = removed.Normalize()
		}
		return nil, s.logTie(ctx, tx, graph.TieRemoved, removed, 0)
	})
	return s.wrap(ctx, op, err)
}

// Ties returns every tie the person is part of, friendships normalised,
// ordered by kind, then From, then To.
func (s *Store) Ties(ctx context.Context, id graph.ID) ([]graph.Tie, error) {
	v, err := s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		return readTies(ctx, tx, id)
	})
	if err != nil {
		return nil, s.wrap(ctx, fmt.Sprintf("ties of %d", id), err)
	}
	return v.([]graph.Tie), nil
}

// readTies reads the person's ties as Ties returns them, or
// graph.ErrNotFound.
func readTies(ctx context.Context, tx drv.ManagedTransaction, id graph.ID) ([]graph.Tie, error) {
	const q = `
MATCH (p:Person {id: $id})
RETURN [(p)-[f:FRIEND]-(o:Person) | [o.id, f.weight]] AS friends,
       [(p)-[:RECRUITED]->(o:Person) | o.id] AS recruits,
       [(o:Person)-[:RECRUITED]->(p) | o.id] AS recruiters`
	rec, err := optional(ctx, tx, q, map[string]any{"id": int64(id)})
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, graph.ErrNotFound
	}
	ties := []graph.Tie{}
	for _, f := range asList(rec.Values[0]) {
		pair := asList(f)
		ties = append(ties, graph.Tie{Kind: graph.Friend, From: id, To: graph.ID(asInt(pair[0])), Weight: weightOf(pair[1])}.Normalize())
	}
	for _, o := range asList(rec.Values[1]) {
		ties = append(ties, graph.Tie{Kind: graph.Recruited, From: id, To: graph.ID(asInt(o))}.Normalize())
	}
	for _, o := range asList(rec.Values[2]) {
		ties = append(ties, graph.Tie{Kind: graph.Recruited, From: graph.ID(asInt(o)), To: id}.Normalize())
	}
	slices.SortFunc(ties, compareTies)
	return ties, nil
}

// weightOf reads a stored friendship weight; a missing one is 1.
func weightOf(v any) float64 {
	if w := asFloat(v); w > 0 {
		return w
	}
	return 1
}

func compareTies(x, y graph.Tie) int {
	switch {
	case x.Kind != y.Kind:
		return int(x.Kind) - int(y.Kind)
	case x.From != y.From:
		return cmpID(x.From, y.From)
	}
	return cmpID(x.To, y.To)
}

func cmpID(a, b graph.ID) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
