package neo4j

import (
	"context"
	"encoding/hex"
	"fmt"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/socialscore/socialscore/graph"
)

var _ graph.KeyStore = (*Store)(nil)

// API keys are (:APIKey {name, role, person, hash, created_at, revoked_at})
// nodes; hash is the hex SHA-256 digest of the secret, which is never
// stored. name and hash are unique (constraints in schema).

// CreateKey stores a new key, as graph.KeyStore specifies.
func (s *Store) CreateKey(ctx context.Context, k graph.APIKey) error {
	if err := k.Validate(); err != nil {
		return fmt.Errorf("neo4j: create key: %w", err)
	}
	hash := hex.EncodeToString(k.Hash[:])
	_, err := s.write(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		rec, err := single(ctx, tx, `
OPTIONAL MATCH (n:APIKey {name: $name})
OPTIONAL MATCH (h:APIKey {hash: $hash})
RETURN n IS NOT NULL AS byName, h IS NOT NULL AS byHash`, map[string]any{"name": k.Name, "hash": hash})
		if err != nil {
			return nil, err
		}
		if byName, _ := rec.Values[0].(bool); byName {
			return nil, graph.ErrKeyName(k.Name)
		}
		if byHash, _ := rec.Values[1].(bool); byHash {
			return nil, &graph.ValidationError{Field: "key", Reason: "this key is already stored under another name", Kind: graph.ErrConflict}
		}
		return nil, execTx(ctx, tx, `CREATE (:APIKey {name: $name, role: $role, person: $person, hash: $hash, created_at: $now})`,
			map[string]any{"name": k.Name, "role": string(k.Role), "person": int64(k.Person), "hash": hash, "now": timeValue(s.now())})
	})
	return s.wrap(ctx, fmt.Sprintf("create key %q", k.Name), err)
}

// Keys returns every key, ordered by name.
func (s *Store) Keys(ctx context.Context) ([]graph.APIKey, error) {
	v, err := s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		var out []graph.APIKey
		err := each(ctx, tx, `MATCH (k:APIKey) RETURN k.name, k.role, k.person, k.hash, k.created_at, k.revoked_at ORDER BY k.name`, nil,
			func(r *drv.Record) error {
				name, _ := r.Values[0].(string)
				role, _ := r.Values[1].(string)
				person, _ := r.Values[2].(int64)
				k := graph.APIKey{Name: name, Role: graph.Role(role), Person: graph.ID(person),
					CreatedAt: asTime(r.Values[4]), RevokedAt: asTime(r.Values[5])}
				h, _ := r.Values[3].(string)
				if err := k.Hash.UnmarshalText([]byte(h)); err != nil {
					return fmt.Errorf("key %q: %w", name, err)
				}
				out = append(out, k)
				return nil
			})
		return out, err
	})
	if err != nil {
		return nil, s.wrap(ctx, "keys", err)
	}
	keys, _ := v.([]graph.APIKey)
	return keys, nil
}

// RevokeKey marks the key revoked.
func (s *Store) RevokeKey(ctx context.Context, name string) error {
	_, err := s.write(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		rec, err := optional(ctx, tx, `
MATCH (k:APIKey {name: $name})
SET k.revoked_at = coalesce(k.revoked_at, $now)
RETURN k.name`, map[string]any{"name": name, "now": timeValue(s.now())})
		if err != nil {
			return nil, err
		}
		if rec == nil {
			return nil, fmt.Errorf("no key named %q: %w", name, graph.ErrNotFound)
		}
		return nil, nil
	})
	return s.wrap(ctx, fmt.Sprintf("revoke key %q", name), err)
}
