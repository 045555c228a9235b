package embedded

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"

	"github.com/socialscore/socialscore/graph"
)

var _ graph.PseudonymKeyStore = (*Store)(nil)

// metaPseudonymKey is the key of the meta bucket that holds the store's
// pseudonymisation key (see the package documentation's key layout).
var metaPseudonymKey = []byte("pseudonym_key")

// PseudonymKey returns the store's pseudonymisation key, creating it on
// the first call, as graph.PseudonymKeyStore specifies. Once created it
// is read without taking the writer lock.
func (s *Store) PseudonymKey(ctx context.Context) ([]byte, error) {
	var key []byte
	err := s.view(ctx, func(t *tx) error {
		if b := t.Bucket(bucketMeta); b != nil {
			key = bytes.Clone(b.Get(metaPseudonymKey))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embedded: pseudonym key: %w", err)
	}
	if len(key) > 0 {
		return key, nil
	}
	fresh := make([]byte, graph.PseudonymKeyLen)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("embedded: pseudonym key: %w", err)
	}
	// Write transactions are serialised: the first to get here stores its
	// key, the others find it.
	err = s.updateQuiet(ctx, func(t *tx) error {
		b, err := t.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if old := b.Get(metaPseudonymKey); len(old) > 0 {
			key = bytes.Clone(old)
			return nil
		}
		key = fresh
		return b.Put(metaPseudonymKey, fresh)
	})
	if err != nil {
		return nil, fmt.Errorf("embedded: pseudonym key: %w", err)
	}
	return key, nil
}
