package embedded

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// residentPeople is the size of the stores below: about 30 MB of file.
const residentPeople = 200_000

// newResidentStore makes a store of residentPeople consenting people and
// a run of results for each, closes it and returns its path and the
// results.
func newResidentStore(t *testing.T) (string, []graph.Result) {
	t.Helper()
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs Linux /proc")
	}
	path := filepath.Join(t.TempDir(), "r.db")
	s, err := Open(path)
	require.NoError(t, err)
	var b graph.Batch
	rs := make([]graph.Result, residentPeople)
	for i := range rs {
		id := graph.ID(i + 1)
		b.People = append(b.People, graph.Person{ID: id, Consent: true})
		rs[i] = graph.Result{ID: id, Score: 350 + i%600, Network: float64(i)}
	}
	require.NoError(t, s.ApplyBatch(context.Background(), b))
	require.NoError(t, s.SaveRun(context.Background(), graph.Run{ID: "r"}, rs))
	require.NoError(t, s.Close())
	return path, rs
}

// Opening a store rebuilds bbolt's freelist by walking every page of the
// file; the file must not stay in the resident set afterwards. Nor may a
// save of several transactions leave there the people's pages it merged
// its results with.
func TestOpenAndSaveLeavePagesNotResident(t *testing.T) {
	path, rs := newResidentStore(t)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	fileKiB := int(fi.Size() / 1024)

	before := rssFileKiB(t)
	s, err := Open(path)
	require.NoError(t, err)
	defer s.Close()
	grew := rssFileKiB(t) - before
	assert.Less(t, grew, fileKiB/4, "resident file pages grew by %d KiB opening a file of %d KiB", grew, fileKiB)

	old := resultsPerTx
	resultsPerTx = residentPeople / 8
	t.Cleanup(func() { resultsPerTx = old })
	before = rssFileKiB(t)
	for i := range rs {
		rs[i].Score++
	}
	require.NoError(t, s.SaveRun(context.Background(), graph.Run{ID: "r2"}, rs))
	grew = rssFileKiB(t) - before
	assert.Less(t, grew, fileKiB/4, "resident file pages grew by %d KiB saving a run in a file of %d KiB", grew, fileKiB)
	_, got, err := s.LatestRun(context.Background())
	require.NoError(t, err)
	assert.Equal(t, rs, got)
}

// EachLatestResult drops the pages it read as it goes: the resident set
// never holds much more than residentDropBytes of them, whatever the
// run's size.
func TestEachLatestResultBoundsResidentPages(t *testing.T) {
	path, rs := newResidentStore(t)
	s, err := Open(path)
	require.NoError(t, err)
	defer s.Close()
	old := residentDropBytes
	residentDropBytes = 2 << 20
	t.Cleanup(func() { residentDropBytes = old })

	before := rssFileKiB(t)
	peak, i := 0, 0
	require.NoError(t, s.EachLatestResult(context.Background(), func(graph.Run, int) error { return nil },
		func(r *graph.Result) error {
			if !assert.Equal(t, rs[i], *r) {
				return assert.AnError
			}
			if i%5000 == 0 {
				peak = max(peak, rssFileKiB(t)-before)
			}
			i++
			return nil
		}))
	assert.Equal(t, len(rs), i)
	total := len(rs) * resultSize / 1024
	assert.Less(t, peak, total/3, "resident file pages peaked %d KiB above the start reading %d KiB of results", peak, total)
}
