package embedded

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/socialscore/socialscore/graph"
)

var _ graph.KeyStore = (*Store)(nil)

// bucketKeys holds API keys: name → storedKey as JSON. It is created by
// the first CreateKey, so a file written before keys existed is read as
// it is (no keys) and needs no migration.
var bucketKeys = []byte("apikeys")

// storedKey is an API key on disk. Only the digest of the secret is kept.
type storedKey struct {
	Role      graph.Role    `json:"role"`
	Person    graph.ID      `json:"person,omitempty"`
	Hash      graph.KeyHash `json:"hash"`
	CreatedAt time.Time     `json:"created_at"`
	RevokedAt time.Time     `json:"revoked_at,omitzero"`
}

// CreateKey stores a new key, as graph.KeyStore specifies.
func (s *Store) CreateKey(ctx context.Context, k graph.APIKey) error {
	if err := k.Validate(); err != nil {
		return fmt.Errorf("embedded: create key: %w", err)
	}
	err := s.updateQuiet(ctx, func(t *tx) error {
		b, err := t.CreateBucketIfNotExists(bucketKeys)
		if err != nil {
			return err
		}
		if b.Get([]byte(k.Name)) != nil {
			return graph.ErrKeyName(k.Name)
		}
		dup := b.ForEach(func(_, v []byte) error {
			var sk storedKey
			if err := json.Unmarshal(v, &sk); err != nil {
				return err
			}
			if sk.Hash == k.Hash {
				return &graph.ValidationError{Field: "key", Reason: "this key is already stored under another name", Kind: graph.ErrConflict}
			}
			return nil
		})
		if dup != nil {
			return dup
		}
		v, err := json.Marshal(storedKey{Role: k.Role, Person: k.Person, Hash: k.Hash, CreatedAt: s.clock()})
		if err != nil {
			return err
		}
		return b.Put([]byte(k.Name), v)
	})
	if err != nil {
		return fmt.Errorf("embedded: create key %q: %w", k.Name, err)
	}
	return nil
}

// Keys returns every key, ordered by name.
func (s *Store) Keys(ctx context.Context) ([]graph.APIKey, error) {
	var out []graph.APIKey
	err := s.view(ctx, func(t *tx) error {
		b := t.Bucket(bucketKeys)
		if b == nil {
			return nil
		}
		return b.ForEach(func(name, v []byte) error {
			var sk storedKey
			if err := json.Unmarshal(v, &sk); err != nil {
				return fmt.Errorf("key %q: %w", name, err)
			}
			out = append(out, graph.APIKey{Name: string(name), Role: sk.Role, Person: sk.Person, Hash: sk.Hash,
				CreatedAt: sk.CreatedAt, RevokedAt: sk.RevokedAt})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("embedded: keys: %w", err)
	}
	return out, nil
}

// RevokeKey marks the key revoked.
func (s *Store) RevokeKey(ctx context.Context, name string) error {
	err := s.updateQuiet(ctx, func(t *tx) error {
		b := t.Bucket(bucketKeys)
		var v []byte
		if b != nil {
			v = b.Get([]byte(name))
		}
		if v == nil {
			return fmt.Errorf("no key named %q: %w", name, graph.ErrNotFound)
		}
		var sk storedKey
		if err := json.Unmarshal(v, &sk); err != nil {
			return err
		}
		if !sk.RevokedAt.IsZero() {
			return nil
		}
		sk.RevokedAt = s.clock()
		nv, err := json.Marshal(sk)
		if err != nil {
			return err
		}
		return b.Put([]byte(name), nv)
	})
	if err != nil {
		return fmt.Errorf("embedded: revoke key %q: %w", name, err)
	}
	return nil
}
