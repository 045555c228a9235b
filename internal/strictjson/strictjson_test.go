package strictjson_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/strictjson"
)

type item struct {
	Name   string   `json:"name"`
	Amount *float64 `json:"amount"`
	Tags   []string `json:"tags,omitempty"`
}

type doc struct {
	ID    uint64          `json:"id"`
	Items []item          `json:"items"`
	Inner struct{ A int } `json:"inner"`
	Raw   json.RawMessage `json:"raw"`
	Named named           `json:"named"`
}

// named decodes itself and fails on "bad", naming a field relative to
// itself.
type named struct{ s string }

func (n *named) UnmarshalJSON(b []byte) error {
	if string(b) == `"bad"` {
		return &graph.ValidationError{Field: "x", Reason: "is bad"}
	}
	n.s = string(b)
	return nil
}

func TestDecodeAccepts(t *testing.T) {
	var d doc
	require.NoError(t, strictjson.Decode([]byte(` {"id": 7, "items": [{"name": "a", "amount": 1.5}], "inner": {"A": 2},
		"raw": {"anything": [1, {"goes": true}]}, "named": "ok"} `), &d, ""))
	assert.Equal(t, uint64(7), d.ID)
	require.Len(t, d.Items, 1)
	assert.Equal(t, 1.5, *d.Items[0].Amount)
	assert.Equal(t, 2, d.Inner.A)
	assert.JSONEq(t, `{"anything": [1, {"goes": true}]}`, string(d.Raw), "a raw value's keys are its own business")
	assert.Equal(t, `"ok"`, d.Named.s)
}

// Each rejected input is rejected with the field path the package
// documents; the cases are what encoding/json alone accepts or does not
// locate.
func TestDecodeFieldErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body, prefix, field, reason string
	}{
		{"unknown top-level", `{"idd": 1}`, "", "idd", "unknown field"},
		{"unknown nested", `{"items": [{"name": "a"}, {"nam": "b"}]}`, "", "items/1/nam", "unknown field"},
		{"wrong case", `{"ID": 1}`, "", "ID", "unknown field"},
		{"wrong case nested", `{"inner": {"a": 1}}`, "", "inner/a", "unknown field"},
		{"duplicate", `{"id": 1, "id": 2}`, "", "id", "duplicate field"},
		{"string for number", `{"items": [{"amount": "1"}]}`, "", "items/0/amount", "must be a number, not a string"},
		{"negative unsigned", `{"id": -1}`, "", "id", "must be a non-negative integer, not the number -1"},
		{"fraction for integer", `{"inner": {"A": 1.5}}`, "", "inner/A", "must be an integer, not the number 1.5"},
		{"object for array", `{"items": {}}`, "", "items", "must be an array, not an object"},
		{"under a prefix", `{"idd": 1}`, "changes/3", "changes/3/idd", "unknown field"},
		{"self-decoding value", `{"named": "bad"}`, "body", "body/x", "is bad"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d doc
			err := strictjson.Decode([]byte(tc.body), &d, tc.prefix)
			require.ErrorIs(t, err, graph.ErrInvalid)
			var ve *graph.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.field, ve.Field)
			assert.Equal(t, tc.reason, ve.Reason)
			var se *strictjson.SyntaxError
			assert.False(t, errors.As(err, &se), "a rule broken by content is not a syntax error")
		})
	}
}

func TestDecodeSyntaxErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		offset     int64
		trailing   bool
		detail     string
	}{
		{"cut short", `{"id": 1`, 8, false, "unexpected end of JSON input at byte offset 8"},
		{"empty", ``, 0, false, "unexpected end of JSON input at byte offset 0"},
		{"bad character", `{"id": x}`, 8, false, "invalid JSON: invalid character 'x' looking for beginning of value at byte offset 8"},
		// The offset is where reading stopped: after the first token of the
		// trailing data (as the API has always reported it).
		{"trailing value", `{"id": 1} {}`, 11, true, "unexpected data after the JSON value at byte offset 11"},
		{"trailing garbage", `{"id": 1}]`, 9, true, "unexpected data after the JSON value at byte offset 9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d doc
			err := strictjson.Decode([]byte(tc.body), &d, "p")
			require.ErrorIs(t, err, graph.ErrInvalid)
			var se *strictjson.SyntaxError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, "p", se.Field)
			assert.Equal(t, tc.offset, se.Offset)
			assert.Equal(t, tc.trailing, se.Trailing)
			assert.Equal(t, tc.detail, se.Error())
			if tc.trailing {
				assert.Equal(t, "trailing data after the JSON value", se.Reason)
			} else {
				assert.Equal(t, tc.detail, se.Reason)
			}
		})
	}
}

// A key error found by the walk is reported before a syntax error later
// in the document, as the API always did.
func TestDecodeKeyErrorFirst(t *testing.T) {
	var d doc
	err := strictjson.Decode([]byte(`{"idd": 1, "id": x}`), &d, "")
	var ve *graph.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "idd", ve.Field)
}

// null is refused wherever a typed value is expected (the OpenAPI
// document allows null nowhere in a request body), and left to raw values
// and values that decode themselves.
func TestDecodeRefusesNull(t *testing.T) {
	for _, tc := range []struct{ body, field string }{
		{`{"id": null}`, "id"},
		{`{"items": null}`, "items"},
		{`{"items": [null]}`, "items/0"},
		{`{"items": [{"name": null}]}`, "items/0/name"},
		{`{"items": [{"amount": null}]}`, "items/0/amount"}, // a pointer too: leave the key out
		{`{"inner": null}`, "inner"},
		{`null`, ""},
	} {
		var d doc
		err := strictjson.Decode([]byte(tc.body), &d, "")
		var ve *graph.ValidationError
		require.ErrorAs(t, err, &ve, tc.body)
		assert.Equal(t, tc.field, ve.Field, tc.body)
		assert.Contains(t, ve.Reason, "not null", tc.body)
	}
	var d doc
	require.NoError(t, strictjson.Decode([]byte(`{"raw": null, "named": null}`), &d, ""))
	assert.Equal(t, "null", string(d.Raw), "a raw value keeps its null")
	var anything struct {
		V any `json:"v"`
	}
	require.NoError(t, strictjson.Decode([]byte(`{"v": null}`), &anything, ""))
}

// An integer field takes every JSON number whose value is a whole number
// (JSON Schema 2020-12, section 6.1.1 of the validation vocabulary: "1.0"
// is an integer), and nothing else.
func TestDecodeWholeNumbers(t *testing.T) {
	type ints struct {
		I  int64   `json:"i"`
		U  uint64  `json:"u"`
		Is []int64 `json:"is"`
		S  string  `json:"s"`
	}
	var v ints
	require.NoError(t, strictjson.Decode([]byte(`{"s": "1.0", "i": -126.0, "u": 1.26e2, "is": [1, 2.000, 3e0, 40E-1, -0.0]}`), &v, ""))
	assert.Equal(t, ints{I: -126, U: 126, Is: []int64{1, 2, 3, 4, 0}, S: "1.0"}, v)
	require.NoError(t, strictjson.Decode([]byte(`{"i": 9223372036854775807.0, "u": 18446744073709551615.0}`), &v, ""))
	assert.Equal(t, int64(9223372036854775807), v.I)
	assert.Equal(t, uint64(18446744073709551615), v.U)

	for _, tc := range []struct{ body, field string }{
		{`{"i": 1.5}`, "i"},
		{`{"i": 1.0000000000000000001}`, "i"},         // a float64 rounds it to 1; it is not whole
		{`{"i": 9223372036854775808.0}`, "i"},         // past int64
		{`{"u": -1.0}`, "u"},                          // negative for an unsigned field
		{`{"i": 1e400}`, "i"},                         // beyond any float
		{`{"is": [1, 2.5]}`, "is/1"},                  // placed in an array
		{`{"i": 1e-99999999999999999999999999}`, "i"}, // no big arithmetic on a tiny value
	} {
		var v ints
		err := strictjson.Decode([]byte(tc.body), &v, "")
		var ve *graph.ValidationError
		require.ErrorAs(t, err, &ve, tc.body)
		assert.Equal(t, tc.field, ve.Field, tc.body)
	}
}
