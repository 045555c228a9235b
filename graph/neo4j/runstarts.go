package neo4j

import (
	"context"
	"time"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/socialscore/socialscore/graph"
)

var _ graph.RunStarts = (*Store)(nil)

// RunStarted returns the start time of each retained, complete run named.
func (s *Store) RunStarted(ctx context.Context, ids []string) (map[string]time.Time, error) {
	v, err := s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		out := map[string]time.Time{}
		err := each(ctx, tx, `MATCH (r:Run) WHERE r.complete = true AND r.id IN $ids RETURN r.id, r.started_at`,
			map[string]any{"ids": ids}, func(r *drv.Record) error {
				out[asString(r.Values[0])] = asTime(r.Values[1])
				return nil
			})
		return out, err
	})
	if err != nil {
		return nil, s.wrap(ctx, "run starts", err)
	}
	return v.(map[string]time.Time), nil
}
