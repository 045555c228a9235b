package seed

import (
	"cmp"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// TestStreamEqualsGenerate: the streamed population is Generate's, person
// by person and tie by tie (Generate lists friendships in the order they
// formed, the network by person; compared sorted), and people drawn over
// ranges that do not start at a chunk boundary are the same people.
func TestStreamEqualsGenerate(t *testing.T) {
	for _, cfg := range []Config{
		{People: 3*chunkSize + 123, Seed: 7, ConsentShare: 0.7, SpreadBands: true},
		{People: 500, Seed: 2, RecruitShare: None, Triad: None},
	} {
		b, err := Generate(cfg)
		require.NoError(t, err)
		net, err := Stream(cfg)
		require.NoError(t, err)
		s := net.Batch()
		require.Equal(t, b.People, s.People)
		sortTies := func(ts []graph.Tie) {
			slices.SortFunc(ts, func(a, b graph.Tie) int {
				return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
			})
		}
		sortTies(b.Ties)
		sortTies(s.Ties)
		require.Equal(t, b.Ties, s.Ties)
		require.Equal(t, len(b.Ties), net.Friendships()+net.Recruitments())

		// An unaligned range.
		lo, hi := min(cfg.People-1, chunkSize-5), min(cfg.People, 2*chunkSize+9)
		require.Equal(t, b.People[lo:hi], net.People(lo, hi, nil))
	}
}
