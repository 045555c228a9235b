package graphtest

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// testPseudonymKey: the store creates its pseudonymisation key once and
// returns the same key ever after, also to concurrent first callers; two
// stores have different keys; the key is not a person and changes no
// count.
func (o opener) testPseudonymKey(t *testing.T) {
	s := o.store(t)
	ks, ok := s.(graph.PseudonymKeyStore)
	require.True(t, ok, "%T does not implement graph.PseudonymKeyStore", s)
	ctx := t.Context()

	// Eight concurrent first calls agree.
	keys := make([][]byte, 8)
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys[i], errs[i] = ks.PseudonymKey(ctx)
		}()
	}
	wg.Wait()
	for i := range keys {
		require.NoError(t, errs[i])
		require.Len(t, keys[i], graph.PseudonymKeyLen)
		assert.Equal(t, keys[0], keys[i], "call %d returned another key", i)
	}
	again, err := ks.PseudonymKey(ctx)
	require.NoError(t, err)
	assert.Equal(t, keys[0], again, "a later call returns the same key")
	assert.NotEqual(t, make([]byte, graph.PseudonymKeyLen), keys[0], "the key is random, not zero")

	c, err := s.Counts(ctx)
	require.NoError(t, err)
	assert.Equal(t, graph.Counts{}, c, "the key is not a person or a tie")

	other := o.store(t)
	otherKey, err := other.(graph.PseudonymKeyStore).PseudonymKey(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, keys[0], otherKey, "another store has its own key")
}
