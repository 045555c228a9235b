package neo4j

import (
	"context"
	"fmt"
	"time"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/socialscore/socialscore/graph"
)

var _ graph.TieLog = (*Store)(nil)

// The tie log: one node per change, found by its people,
//
//	(:TieChange {seq, at, op, kind, from, to, weight, previous})
//
// with the tie normalised (graph.Tie.Normalize: from < to for a
// friendship, from the recruiter for a recruitment), kind "friend" or
// "recruited", op "added", "removed" or "reweighted", and seq reserved
// from the :Sequence node 'tie' in the transaction that changes the tie
// (so changes serialise on it and seq increases in their order). A
// person's log is the nodes with from or to their id (indexes
// tie_change_from and tie_change_to); DeletePerson deletes those nodes
// with the person.
var tieLogSchema = []string{
	`CREATE INDEX tie_change_from IF NOT EXISTS FOR (c:TieChange) ON (c.from)`,
	`CREATE INDEX tie_change_to IF NOT EXISTS FOR (c:TieChange) ON (c.to)`,
}

func init() { schema = append(schema, tieLogSchema...) }

// logTie records a change of the tie (normalised) in the transaction that
// makes it.
func (s *Store) logTie(ctx context.Context, tx drv.ManagedTransaction, op graph.TieOp, tie graph.Tie, previous float64) error {
	seq, err := nextIDs(ctx, tx, "tie", 1)
	if err != nil {
		return err
	}
	return execTx(ctx, tx, `
CREATE (:TieChange {seq: $seq, at: $at, op: $op, kind: $kind, from: $from, to: $to, weight: $w, previous: $prev})`,
		map[string]any{"seq": seq, "at": s.now(), "op": string(op), "kind": tie.Kind.String(),
			"from": int64(tie.From), "to": int64(tie.To), "w": tie.Weight, "prev": previous})
}

// eraseTieLog deletes every log entry that names the person.
func eraseTieLog(ctx context.Context, tx drv.ManagedTransaction, id graph.ID) error {
	for _, q := range []string{
		`MATCH (c:TieChange {from: $id}) DELETE c`,
		`MATCH (c:TieChange {to: $id}) DELETE c`,
	} {
		if err := execTx(ctx, tx, q, map[string]any{"id": int64(id)}); err != nil {
			return err
		}
	}
	return nil
}

// TieHistory returns the person's ties and their logged changes at or
// after since, in one read transaction.
func (s *Store) TieHistory(ctx context.Context, id graph.ID, since time.Time) (graph.TieHistory, error) {
	v, err := s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		ties, err := readTies(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		params := map[string]any{"id": int64(id), "since": since.UTC()}
		res, err := tx.Run(ctx, `
CALL {
  MATCH (c:TieChange {from: $id}) RETURN c
  UNION
  MATCH (c:TieChange {to: $id}) RETURN c
}
WITH c WHERE c.at >= $since
RETURN c.seq, c.at, c.op, c.kind, c.from, c.to, c.weight, c.previous
ORDER BY c.seq`, params)
		if err != nil {
			return nil, err
		}
		h := graph.TieHistory{Ties: ties, Log: []graph.TieChange{}}
		for res.Next(ctx) {
			r := res.Record().Values
			var kind graph.TieKind
			switch asString(r[3]) {
			case graph.Friend.String():
				kind = graph.Friend
			case graph.Recruited.String():
				kind = graph.Recruited
			default:
				return nil, fmt.Errorf("tie change %d: unknown kind %v", asInt(r[0]), r[3])
			}
			h.Log = append(h.Log, graph.TieChange{Seq: uint64(asInt(r[0])), At: asTime(r[1]), Op: graph.TieOp(asString(r[2])),
				Tie:      graph.Tie{Kind: kind, From: graph.ID(asInt(r[4])), To: graph.ID(asInt(r[5])), Weight: asFloat(r[6])},
				Previous: asFloat(r[7])})
		}
		return h, res.Err()
	})
	if err != nil {
		return graph.TieHistory{}, s.wrap(ctx, fmt.Sprintf("tie history of %d", id), err)
	}
	return v.(graph.TieHistory), nil
}
