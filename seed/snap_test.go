package seed

import (
	"cmp"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/datasets"
)

func openFacebook(t *testing.T) *os.File {
	t.Helper()
	f, err := os.Open(datasets.Path(t, datasets.FacebookFolder, "facebook_combined.txt"))
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

// triangles counts the triangles of a friendship list by intersecting
// sorted neighbour lists, each triangle once.
func triangles(ties []graph.Tie) int {
	adj := map[graph.ID][]graph.ID{}
	for _, t := range ties {
		adj[t.From] = append(adj[t.From], t.To) // higher neighbours only
	}
	for _, nb := range adj {
		slices.Sort(nb)
	}
	n := 0
	for _, t := range ties {
		a, b := adj[t.From], adj[t.To]
		for i, j := 0, 0; i < len(a) && j < len(b); {
			switch {
			case a[i] == b[j]:
				n++
				i++
				j++
			case a[i] < b[j]:
				i++
			default:
				j++
			}
		}
	}
	return n
}

func TestReadEdgeListFacebook(t *testing.T) {
	people, ties, stats, err := ReadEdgeList(openFacebook(t))
	require.NoError(t, err)
	// expected: snap-ego-facebook/SOURCE.md (SNAP's published statistics):
	// 4,039 nodes with ids 0..4038, 88,234 edges, no self-loops or
	// duplicates, 1,612,010 triangles.
	assert.Len(t, people, 4039)
	assert.Len(t, ties, 88234)
	assert.Equal(t, ImportStats{Lines: 88234, Friendships: 88234, Offset: 1, People: 4039}, stats)
	assert.Equal(t, graph.ID(1), people[0], "file id 0 becomes 1")
	assert.Equal(t, graph.ID(4039), people[len(people)-1])
	assert.Equal(t, graph.Tie{Kind: graph.Friend, From: 1, To: 2}, ties[0], "first line `0 1`")
	for _, tie := range ties {
		require.NoError(t, tie.Validate())
		require.Less(t, tie.From, tie.To)
	}
	assert.True(t, slices.IsSortedFunc(ties, func(a, b graph.Tie) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
	}))
	assert.Equal(t, 1_612_010, triangles(ties))
}

func TestImportBatchFacebook(t *testing.T) {
	b, stats, err := ImportBatch(openFacebook(t), nil)
	require.NoError(t, err)
	assert.Len(t, b.People, 4039)
	assert.Len(t, b.Ties, 88234)
	assert.Equal(t, int64(1), stats.Offset)
	assert.Equal(t, 4039, stats.People)
	for i, p := range b.People {
		require.Equal(t, graph.ID(i+1), p.ID)
		require.True(t, p.Consent)
		require.Equal(t, graph.NeutralRecord(), p.Record)
		require.NoError(t, p.Validate())
	}
}

func TestReadEdgeList(t *testing.T) {
	friend := func(a, b graph.ID) graph.Tie { return graph.Tie{Kind: graph.Friend, From: a, To: b} }
	tests := []struct {
		name   string
		in     string
		people []graph.ID
		ties   []graph.Tie
		stats  ImportStats
	}{
		{
			name:   "empty",
			in:     "",
			people: []graph.ID{},
			ties:   []graph.Tie{},
		},
		{
			name:   "comments and blank lines",
			in:     "# Directed graph\n% matrix market style\n\n  # indented\n1 2\n   \n\t\n2 3\n",
			people: []graph.ID{1, 2, 3},
			ties:   []graph.Tie{friend(1, 2), friend(2, 3)},
			stats:  ImportStats{Lines: 8, Comments: 3, Blank: 3, Friendships: 2, People: 3},
		},
		{
			name:   "tabs, CRLF, no final newline, sparse ids kept",
			in:     "10\t20\r\n  30   10 \r\n20 30",
			people: []graph.ID{10, 20, 30},
			ties:   []graph.Tie{friend(10, 20), friend(10, 30), friend(20, 30)},
			stats:  ImportStats{Lines: 3, Friendships: 3, People: 3},
		},
		{
			name:   "self-loops and duplicates dropped",
			in:     "1 2\n2 1\n3 3\n1 2\n2 3\n3 2\n4 4\n",
			people: []graph.ID{1, 2, 3},
			ties:   []graph.Tie{friend(1, 2), friend(2, 3)},
			stats:  ImportStats{Lines: 7, SelfLoops: 2, Duplicates: 3, Friendships: 2, People: 3},
		},
		{
			name:   "someone only in a self-loop is not a person",
			in:     "5 5\n1 2\n",
			people: []graph.ID{1, 2},
			ties:   []graph.Tie{friend(1, 2)},
			stats:  ImportStats{Lines: 2, SelfLoops: 1, Friendships: 1, People: 2},
		},
		{
			name:   "zero-based ids shifted by one",
			in:     "0 1\n0 2\n",
			people: []graph.ID{1, 2, 3},
			ties:   []graph.Tie{friend(1, 2), friend(1, 3)},
			stats:  ImportStats{Lines: 2, Friendships: 2, Offset: 1, People: 3},
		},
		{
			name:   "negative ids shifted so the smallest is 1",
			in:     "-5 7\n",
			people: []graph.ID{1, 13},
			ties:   []graph.Tie{friend(1, 13)},
			stats:  ImportStats{Lines: 1, Friendships: 1, Offset: 6, People: 2},
		},
		{
			name:   "large ids",
			in:     "9223372036854775806 9223372036854775807\n",
			people: []graph.ID{9223372036854775806, 9223372036854775807},
			ties:   []graph.Tie{friend(9223372036854775806, 9223372036854775807)},
			stats:  ImportStats{Lines: 1, Friendships: 1, People: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			people, ties, stats, err := ReadEdgeList(strings.NewReader(tt.in))
			require.NoError(t, err)
			assert.Equal(t, tt.people, people)
			assert.Equal(t, tt.ties, ties)
			assert.Equal(t, tt.stats, stats)
		})
	}
}

func TestReadEdgeListErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // in the error message
	}{
		{"one id", "1 2\n3\n", "line 2: want two ids"},
		{"three ids", "# c\n1 2 3\n", "line 2: want two ids"},
		{"weighted", "1 2 0.5\n", "line 1: want two ids"},
		{"letters", "1 2\n\na b\n", `line 3: "a" is not an integer id`},
		{"decimal id", "1 2.0\n", `line 1: "2.0" is not an integer id`},
		{"comma separated", "1,2\n", "line 1: want two ids"},
		{"trailing comment", "1 2 # friends\n", "line 1: want two ids"},
		{"out of range", "1 99999999999999999999\n", `line 1: id "99999999999999999999" is out of range`},
		{"cannot shift", "-9223372036854775808 1\n", "cannot be shifted"},
		{"line too long", "1 " + strings.Repeat("2", maxLine+10) + "\n", "line 1: longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := ReadEdgeList(strings.NewReader(tt.in))
			require.Error(t, err)
			assert.ErrorIs(t, err, graph.ErrInvalid)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, os.ErrDeadlineExceeded }

func TestReadEdgeListReadError(t *testing.T) {
	_, _, _, err := ReadEdgeList(failingReader{})
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	assert.NotErrorIs(t, err, graph.ErrInvalid)
}
