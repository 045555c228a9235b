package seed

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

func TestImportBatch(t *testing.T) {
	edges := "# friends\n1 2\n2 3\n3 1\n2 1\n4 4\n"
	people := "id,consent,bills_on_time,bills_late,provided\n" +
		"3,false,,,email\n" + // in the edge list, no record cells: neutral
		"9,true,5,1,\n" + // no friendship: added
		"2,,10,0,\n"
	b, stats, err := ImportBatch(strings.NewReader(edges), strings.NewReader(people))
	require.NoError(t, err)
	neutral := graph.NeutralRecord()
	assert.Equal(t, []graph.Person{
		{ID: 1, Consent: true, Record: neutral},
		{ID: 2, Consent: true, Record: graph.Record{BillsOnTime: 10}},
		{ID: 3, Consent: false, Record: neutral, Profile: graph.Profile{Provided: graph.FieldSet(0).With(graph.FieldEmail)}},
		{ID: 9, Consent: true, Record: graph.Record{BillsOnTime: 5, BillsLate: 1}},
	}, b.People)
	assert.Equal(t, []graph.Tie{
		{Kind: graph.Friend, From: 1, To: 2},
		{Kind: graph.Friend, From: 1, To: 3},
		{Kind: graph.Friend, From: 2, To: 3},
	}, b.Ties)
	assert.Equal(t, ImportStats{Lines: 6, Comments: 1, SelfLoops: 1, Duplicates: 1, Friendships: 3,
		People: 4, PeopleRows: 3, WithRecord: 2, OnlyInPeople: 1}, stats)
}

// TestImportBatchOffset: the offset is decided over both files, and both
// are shifted by it.
func TestImportBatchOffset(t *testing.T) {
	tests := []struct {
		name    string
		edges   string
		people  string
		offset  int64
		ids     []graph.ID
		friends [][2]graph.ID
	}{
		{"positive ids kept", "1 2\n", "id\n5\n", 0, []graph.ID{1, 2, 5}, [][2]graph.ID{{1, 2}}},
		{"zero in the edge list", "0 1\n", "id,bills_late\n1,4\n", 1, []graph.ID{1, 2}, [][2]graph.ID{{1, 2}}},
		{"zero only in the people file", "1 2\n", "id\n0\n", 1, []graph.ID{1, 2, 3}, [][2]graph.ID{{2, 3}}},
		{"negative in the people file", "0 3\n", "id\n-2\n", 3, []graph.ID{1, 3, 6}, [][2]graph.ID{{3, 6}}},
		{"people file only", "", "id\n0\n4\n", 1, []graph.ID{1, 5}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, stats, err := ImportBatch(strings.NewReader(tt.edges), strings.NewReader(tt.people))
			require.NoError(t, err)
			assert.Equal(t, tt.offset, stats.Offset)
			var ids []graph.ID
			for _, p := range b.People {
				require.NoError(t, p.Validate())
				ids = append(ids, p.ID)
			}
			assert.Equal(t, tt.ids, ids)
			var friends [][2]graph.ID
			for _, tie := range b.Ties {
				friends = append(friends, [2]graph.ID{tie.From, tie.To})
			}
			assert.Equal(t, tt.friends, friends)
		})
	}
	t.Run("record follows the shifted id", func(t *testing.T) {
		b, _, err := ImportBatch(strings.NewReader("0 1\n"), strings.NewReader("id,bills_late\n1,4\n"))
		require.NoError(t, err)
		assert.Equal(t, graph.NeutralRecord(), b.People[0].Record, "file id 0")
		assert.Equal(t, graph.Record{BillsLate: 4}, b.People[1].Record, "file id 1 is now 2")
	})
}

func TestImportBatchErrors(t *testing.T) {
	_, _, err := ImportBatch(nil, nil)
	assert.Error(t, err)

	_, _, err = ImportBatch(strings.NewReader("1 2\nx y\n"), nil)
	assert.ErrorIs(t, err, graph.ErrInvalid)
	assert.Contains(t, err.Error(), "edge list: line 2")

	_, _, err = ImportBatch(strings.NewReader("1 2\n"), strings.NewReader("id,bills_late\n1,-3\n"))
	assert.ErrorIs(t, err, graph.ErrInvalid)
	assert.Contains(t, err.Error(), "people file: line 2, column 2")
}
