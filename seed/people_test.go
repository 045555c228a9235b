package seed

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

func TestReadPeopleCSV(t *testing.T) {
	in := "\ufeffID, consent ,purchase_total,purchase_count,bills_on_time,bills_late,bill_days_late,credit_on_time,credit_late,credit_days_late,defaults,default_amount,provided,verified\n" +
		"1,true,1234.5,10,20,2,9,12,1,3,0,0,name;phone;email,phone\n" +
		"2,no,,,,,,,,,,,,\n" +
		"0,,0,0,0,0,0,0,0,0,1,250.75,,\n" +
		"7,1,,,,3,,,,,,, Name ; national_id ;,\n"
	people, err := ReadPeopleCSV(strings.NewReader(in))
	require.NoError(t, err)
	profile := func(names ...graph.ProfileField) graph.FieldSet {
		var s graph.FieldSet
		for _, f := range names {
			s = s.With(f)
		}
		return s
	}
	want := []graph.Person{
		{
			ID: 1, Consent: true,
			Record: graph.Record{PurchaseTotal: 1234.5, PurchaseCount: 10, BillsOnTime: 20, BillsLate: 2, BillDaysLate: 9,
				CreditOnTime: 12, CreditLate: 1, CreditDaysLate: 3},
			Profile: graph.Profile{
				Provided: profile(graph.FieldName, graph.FieldPhone, graph.FieldEmail),
				Verified: profile(graph.FieldPhone),
			},
		},
		// every record cell empty: the neutral record
		{ID: 2, Consent: false, Record: graph.NeutralRecord()},
		// id 0 is kept as in the file; ImportBatch shifts it
		{ID: 0, Consent: true, Record: graph.Record{Defaults: 1, DefaultAmount: 250.75}},
		// one record cell given: the others are 0
		{ID: 7, Consent: true, Record: graph.Record{BillsLate: 3},
			Profile: graph.Profile{Provided: profile(graph.FieldName, graph.FieldNationalID)}},
	}
	assert.Equal(t, want, people)
}

func TestReadPeopleCSVOnlyIDs(t *testing.T) {
	people, err := ReadPeopleCSV(strings.NewReader("id\n5\n3\n"))
	require.NoError(t, err)
	assert.Equal(t, []graph.Person{
		{ID: 5, Consent: true, Record: graph.NeutralRecord()},
		{ID: 3, Consent: true, Record: graph.NeutralRecord()},
	}, people)

	people, err = ReadPeopleCSV(strings.NewReader("id,consent\n"))
	require.NoError(t, err)
	assert.Empty(t, people)
}

func TestReadPeopleCSVErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", "no header row"},
		{"no id column", "consent\ntrue\n", "line 1: no id column"},
		{"unknown column", "id,score\n1,2\n", `line 1, column 2: unknown column "score"`},
		{"repeated column", "id,bills_late,Bills_Late\n1,2,3\n", `line 1, column 3: column "bills_late" repeated`},
		{"bad id", "id\n1\nx\n", `line 3, column 1 (id): "x" is not an integer id`},
		{"empty id", "id,consent\n,true\n", `line 2, column 1 (id): "" is not an integer id`},
		{"bad amount", "id,purchase_count,purchase_total\n1,2,3\n2,2,12,5\n", "line 3"},
		{"not a number", "id,purchase_count,purchase_total\n1,2,abc\n", `line 2, column 3 (purchase_total): "abc" is not a non-negative number`},
		{"negative amount", "id,default_amount\n1,-5\n", `line 2, column 2 (default_amount): "-5" is not a non-negative number`},
		{"infinite amount", "id,purchase_total\n1,Inf\n", `column 2 (purchase_total): "Inf" is not a non-negative number`},
		{"NaN amount", "id,purchase_total\n1,NaN\n", `column 2 (purchase_total): "NaN"`},
		{"fractional count", "id,bills_on_time\n1,2.5\n", `line 2, column 2 (bills_on_time): "2.5" is not a non-negative integer`},
		{"negative count", "id,defaults\n1,-1\n", `line 2, column 2 (defaults): "-1" is not a non-negative integer`},
		{"bad consent", "id,consent\n1,maybe\n", `line 2, column 2 (consent): "maybe" is not true or false`},
		{"unknown field", "id,provided\n1,name;shoe_size\n", `line 2, column 2 (provided): unknown profile field "shoe_size"`},
		{"verified not provided", "id,provided,verified\n1,name,phone\n", "line 2: profile/verified"},
		{"duplicate id", "id\n4\n5\n4\n", "line 4: id 4 already given on line 2"},
		{"wrong number of fields", "id,consent\n1,true,extra\n", "record on line 2: wrong number of fields"},
		{"bad quoting", "id,consent\n1,\"tr\"ue\n", "line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadPeopleCSV(strings.NewReader(tt.in))
			require.Error(t, err)
			assert.ErrorIs(t, err, graph.ErrInvalid)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestPeopleColumns(t *testing.T) {
	cols := PeopleColumns()
	assert.Equal(t, "id", cols[0])
	cols[0] = "changed"
	assert.Equal(t, "id", PeopleColumns()[0], "returns a copy")
	// Every column is accepted in a header.
	_, err := ReadPeopleCSV(strings.NewReader(strings.Join(PeopleColumns(), ",") + "\n"))
	assert.NoError(t, err)
}
