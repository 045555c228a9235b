package graphtest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// RunRetention checks that a store keeps the number of runs it is
// configured to keep: open must return a new, empty store that keeps the
// newest keep runs (0: the store's default, which the caller passes as
// defaultKeep), and it is closed by the suite. Saving one run more than
// that deletes the oldest with its results; a person's history reaches
// back over the kept runs only, newest first, each entry with its run's
// policy and the whole result.
func RunRetention(t *testing.T, defaultKeep int, open func(t *testing.T, keep int) graph.Store) {
	require.Equal(t, 24, defaultKeep, "the default retention is 24 runs (issue 10)")
	for _, keep := range []int{0, 3} {
		want := keep
		if keep == 0 {
			want = defaultKeep
		}
		s := opener(func(t *testing.T) graph.Store { return open(t, keep) }).store(t)
		ctx := t.Context()
		requireStored(t, s, people(true, 1, 2)...)
		var runs []graph.Run
		for n := 1; n <= want+2; n++ {
			run := newRun(n)
			ids := []graph.ID{1}
			if n%2 == 0 {
				ids = append(ids, 2) // 2 is scored in every other run
			}
			require.NoError(t, s.SaveRun(ctx, run, newResults(n, ids...)))
			runs = append([]graph.Run{run}, runs...) // newest first
		}
		kept := runs[:want]
		rs, ok := s.(graph.RunStarts)
		require.True(t, ok, "the store keeps run start times (graph.RunStarts)")
		starts, err := rs.RunStarted(ctx, []string{runs[0].ID, runs[len(runs)-1].ID})
		require.NoError(t, err)
		require.Len(t, starts, 1, "a run dropped by retention has no start time")
		require.Contains(t, starts, runs[0].ID)
		assertHistory(t, s, 1, 0, historyOf(1, kept...))
		assertHistory(t, s, 1, want+5, historyOf(1, kept...))
		assertHistory(t, s, 1, 2, historyOf(1, kept[:2]...))
		var of2 []graph.Run
		for _, r := range kept {
			if runNumber(r)%2 == 0 {
				of2 = append(of2, r)
			}
		}
		assertHistory(t, s, 2, 0, historyOf(2, of2...))
		// The latest run is the newest kept one.
		assertLatest(t, s, kept[0], newResults(runNumber(kept[0]), func() []graph.ID {
			if runNumber(kept[0])%2 == 0 {
				return []graph.ID{1, 2}
			}
			return []graph.ID{1}
		}()...))
	}
}
