package embedded_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/embedded"
)

// TestGroupCommit: tie writes and deletes made at once share commits
// (Store.batch), and a write that fails in a group (a person who does not
// exist, a friendship that is not there) fails alone: every write that
// returned nil is in the store after it is closed and opened again, every
// failed one changed nothing, and the counts agree with the ties. The
// reference is the list of calls that returned nil.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "g.db")
	s, err := embedded.Open(path)
	require.NoError(t, err)
	const n = 60
	for id := graph.ID(1); id <= n; id++ {
		_, err := s.PutPerson(ctx, graph.Person{ID: id, Consent: true})
		require.NoError(t, err)
	}
	require.NoError(t, s.PutTie(ctx, graph.Tie{Kind: graph.Friend, From: 1, To: 2, Weight: 1}))

	var mu sync.Mutex
	ok := map[[2]graph.ID]bool{{1, 2}: true}
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			switch {
			case i%10 == 3: // a person who does not exist
				err := s.PutTie(ctx, graph.Tie{Kind: graph.Friend, From: graph.ID(i%n + 1), To: 1000 + graph.ID(i), Weight: 1})
				assert.True(t, errors.Is(err, graph.ErrNotFound), "%v", err)
			case i%10 == 7: // a friendship that is not there
				err := s.DeleteTie(ctx, graph.Friend, 1, 1001)
				assert.True(t, errors.Is(err, graph.ErrNotFound), "%v", err)
			default:
				a, b := graph.ID(i%n+1), graph.ID((i*7+3)%n+1)
				if a == b {
					return
				}
				if a > b {
					a, b = b, a
				}
				if err := s.PutTie(ctx, graph.Tie{Kind: graph.Friend, From: a, To: b, Weight: 2}); assert.NoError(t, err) {
					mu.Lock()
					ok[[2]graph.ID{a, b}] = true
					mu.Unlock()
				}
			}
		}(i)
	}
	wg.Wait()
	require.NoError(t, s.DeleteTie(ctx, graph.Friend, 2, 1))
	delete(ok, [2]graph.ID{1, 2})
	require.NoError(t, s.Close())

	s, err = embedded.Open(path)
	require.NoError(t, err)
	defer s.Close()
	c, err := s.Counts(ctx)
	require.NoError(t, err)
	assert.Equal(t, len(ok), c.Friendships)
	got := map[[2]graph.ID]bool{}
	for id := graph.ID(1); id <= n; id++ {
		ties, err := s.Ties(ctx, id)
		require.NoError(t, err)
		for _, tie := range ties {
			got[[2]graph.ID{tie.From, tie.To}] = true
		}
	}
	assert.Equal(t, ok, got)
}
