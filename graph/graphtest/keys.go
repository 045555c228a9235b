package graphtest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// testKeys: API keys are kept by digest, names and digests are unique,
// revocation is a mark (the key stays listed), and bad keys change
// nothing.
func (o opener) testKeys(t *testing.T) {
	s := o.store(t)
	ks, ok := s.(graph.KeyStore)
	require.True(t, ok, "%T does not implement graph.KeyStore", s)
	ctx := t.Context()

	keys, err := ks.Keys(ctx)
	require.NoError(t, err)
	assert.Empty(t, keys, "a new store holds no keys")

	before := time.Now().Add(-time.Second)
	op := graph.APIKey{Name: "ops", Role: graph.RoleOperator, Hash: graph.HashKey("secret-of-the-operator")}
	sub := graph.APIKey{Name: "alice.7", Role: graph.RoleSubject, Person: 7, Hash: graph.HashKey("secret-of-alice")}
	require.NoError(t, ks.CreateKey(ctx, sub))
	require.NoError(t, ks.CreateKey(ctx, op))

	// Bad keys are refused with the field named, and change nothing.
	for _, tc := range []struct {
		k     graph.APIKey
		field string
		kind  error
	}{
		{graph.APIKey{Name: "", Role: graph.RoleApp, Hash: graph.HashKey("x")}, "name", graph.ErrInvalid},
		{graph.APIKey{Name: "has space", Role: graph.RoleApp, Hash: graph.HashKey("x")}, "name", graph.ErrInvalid},
		{graph.APIKey{Name: "x", Role: "root", Hash: graph.HashKey("x")}, "role", graph.ErrInvalid},
		{graph.APIKey{Name: "x", Role: graph.RoleSubject, Hash: graph.HashKey("x")}, "person", graph.ErrInvalid},
		{graph.APIKey{Name: "x", Role: graph.RoleApp, Person: 3, Hash: graph.HashKey("x")}, "person", graph.ErrInvalid},
		{graph.APIKey{Name: "x", Role: graph.RoleApp}, "hash", graph.ErrInvalid},
		{graph.APIKey{Name: "ops", Role: graph.RoleApp, Hash: graph.HashKey("another")}, "name", graph.ErrConflict},
		{graph.APIKey{Name: "other", Role: graph.RoleApp, Hash: op.Hash}, "key", graph.ErrConflict},
	} {
		err := ks.CreateKey(ctx, tc.k)
		require.ErrorIs(t, err, tc.kind, "%+v", tc.k)
		assertField(t, err, tc.field)
	}

	keys, err = ks.Keys(ctx)
	require.NoError(t, err)
	require.Len(t, keys, 2)
	assert.Equal(t, "alice.7", keys[0].Name, "ordered by name")
	assert.Equal(t, "ops", keys[1].Name)
	for i, want := range []graph.APIKey{sub, op} {
		got := keys[i]
		assert.Equal(t, want.Role, got.Role)
		assert.Equal(t, want.Person, got.Person)
		assert.Equal(t, want.Hash, got.Hash)
		assert.False(t, got.Revoked())
		assert.True(t, got.CreatedAt.After(before), "CreatedAt %v set by the store", got.CreatedAt)
	}

	require.NoError(t, ks.RevokeKey(ctx, "ops"))
	keys, err = ks.Keys(ctx)
	require.NoError(t, err)
	require.Len(t, keys, 2, "a revoked key stays listed")
	assert.True(t, keys[1].Revoked())
	revokedAt := keys[1].RevokedAt
	assert.False(t, keys[0].Revoked())
	require.NoError(t, ks.RevokeKey(ctx, "ops"), "revoking twice is harmless")
	keys, err = ks.Keys(ctx)
	require.NoError(t, err)
	assert.Equal(t, ms(revokedAt), ms(keys[1].RevokedAt), "the first revocation time stays")
	require.ErrorIs(t, ks.RevokeKey(ctx, "nobody"), graph.ErrNotFound)
	// A revoked name is not reused.
	require.ErrorIs(t, ks.CreateKey(ctx, graph.APIKey{Name: "ops", Role: graph.RoleApp, Hash: graph.HashKey("new")}), graph.ErrConflict)
}

// assertField checks that err is a *graph.ValidationError naming field.
func assertField(t *testing.T, err error, field string) {
	t.Helper()
	var ve *graph.ValidationError
	if assert.ErrorAs(t, err, &ve) {
		assert.Equal(t, field, ve.Field)
	}
}
