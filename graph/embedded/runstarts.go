package embedded

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/socialscore/socialscore/graph"
)

var _ graph.RunStarts = (*Store)(nil)

// RunStarted returns the start time of each retained run named.
func (s *Store) RunStarted(ctx context.Context, ids []string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	err := s.view(ctx, func(t *tx) error {
		c := t.runs.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			run, err := decodeRun(v, false)
			if err != nil {
				return err
			}
			if slices.Contains(ids, run.ID) {
				out[run.ID] = run.StartedAt
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embedded: run starts: %w", err)
	}
	return out, nil
}
