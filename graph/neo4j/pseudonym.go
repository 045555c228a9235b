package neo4j

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/socialscore/socialscore/graph"
)

var _ graph.PseudonymKeyStore = (*Store)(nil)

// The pseudonymisation key of exports is one node,
//
//	(:PseudonymKey {name: 'exports', key, created_at})
//
// key in hex; name is unique (constraint pseudonym_key_name), so the MERGE
// that creates it is atomic and every process sharing the database reads
// the same key.

// PseudonymKey returns the store's pseudonymisation key, creating it on
// the first call, as graph.PseudonymKeyStore specifies.
func (s *Store) PseudonymKey(ctx context.Context) ([]byte, error) {
	fresh := make([]byte, graph.PseudonymKeyLen)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("neo4j: pseudonym key: %w", err)
	}
	var (
		v   any
		err error
	)
	// Two first callers in different transactions: the uniqueness
	// constraint lets one MERGE create the node; the other may fail with a
	// constraint violation, and then finds the node on its next try.
	for range 3 {
		v, err = s.write(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
			rec, err := single(ctx, tx, `
MERGE (k:PseudonymKey {name: 'exports'})
ON CREATE SET k.key = $key, k.created_at = $now
RETURN k.key`, map[string]any{"key": hex.EncodeToString(fresh), "now": timeValue(s.now())})
			if err != nil {
				return nil, err
			}
			return rec.Values[0], nil
		})
		if err == nil || !isConflict(err) {
			break
		}
	}
	if err != nil {
		return nil, s.wrap(ctx, "pseudonym key", err)
	}
	h, _ := v.(string)
	key, err := hex.DecodeString(h)
	if err != nil || len(key) < graph.PseudonymKeyLen {
		return nil, fmt.Errorf("neo4j: pseudonym key: the stored key is not %d bytes of hex", graph.PseudonymKeyLen)
	}
	return key, nil
}
