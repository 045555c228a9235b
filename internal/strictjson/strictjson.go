// Package strictjson is the one strict JSON decoder of socialscore: every
// API request body and every JSON policy or simulation config is read
// with Decode.
//
// Decode reads exactly one JSON value into a Go value and rejects what
// encoding/json lets through or does not locate:
//
//   - an object key that is not exactly (case included) the JSON name of a
//     field of the target struct, or that repeats;
//   - a value of the wrong JSON type, null included: null is refused
//     wherever a type is expected (leave the key out instead), and is
//     left only to values that decode themselves, json.RawMessage and
//     interface values;
//   - anything after the value but white space.
//
// A rule broken by the content is a *graph.ValidationError whose Field is
// the full path of the offending value, "/"-separated and placed under the
// caller's prefix with graph.JoinPath ("events/2/amount", "base/rounds").
// Input that is not one well-formed JSON value is a *SyntaxError. Both
// wrap graph.ErrInvalid, so callers that only need "bad input" test for
// that; an HTTP API tells them apart to answer invalid-input or
// malformed-json.
//
// An integer field takes any JSON number whose value is a whole number in
// its range, as JSON Schema's "integer" does: 126, 126.0 and 1.26e2 are
// all 126 (encoding/json alone refuses the last two).
//
// Values whose type decodes itself (json.Unmarshaler, json.RawMessage)
// check their own content: their keys are not walked here, and an error
// they return as a *graph.ValidationError is placed under the prefix.
//
// The package imports nothing of the API: it is used by the loaders of
// package scoring and scoring/simulate as well as by package api.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/socialscore/socialscore/graph"
)

// SyntaxError is input that is not exactly one well-formed JSON value:
// invalid JSON, a document cut short, or data after the value. It wraps
// graph.ErrInvalid.
type SyntaxError struct {
	// Field is where the value that is not well formed sits: the prefix
	// given to Decode ("" for a whole document).
	Field string
	// Offset is the byte offset in the decoded data where reading stopped:
	// at the error, or after the first token of trailing data.
	Offset int64
	// Reason says what is wrong, for a list of field errors: "invalid
	// JSON: ... at byte offset 7", "trailing data after the JSON value".
	Reason string
	// Trailing is set when the value was well formed but followed by more
	// data.
	Trailing bool
}

// Error is one sentence naming the offset.
func (e *SyntaxError) Error() string {
	if e.Trailing {
		return fmt.Sprintf("unexpected data after the JSON value at byte offset %d", e.Offset)
	}
	return e.Reason
}

// Unwrap returns graph.ErrInvalid.
func (e *SyntaxError) Unwrap() error { return graph.ErrInvalid }

// Decode decodes exactly one JSON value from data into v (a non-nil
// pointer), strictly as the package documentation says. prefix is the
// path of data inside a larger document ("events/3"), "" for a whole one;
// it is prepended to the field of every error.
func Decode(data []byte, v any, prefix string) error {
	data, err := check(data, reflect.TypeOf(v), prefix)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, prefix, data)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &SyntaxError{Field: prefix, Offset: dec.InputOffset(), Reason: "trailing data after the JSON value", Trailing: true}
	}
	return nil
}

// decodeError turns an encoding/json error into a *SyntaxError or a
// *graph.ValidationError naming the offending field.
func decodeError(err error, prefix string, data []byte) error {
	malformed := func(off int64, reason string) error {
		return &SyntaxError{Field: prefix, Offset: off, Reason: fmt.Sprintf("%s at byte offset %d", reason, off)}
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var ve *graph.ValidationError
	var own *SyntaxError
	switch {
	case errors.As(err, &se):
		return malformed(se.Offset, "invalid JSON: "+se.Error())
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return malformed(int64(len(data)), "unexpected end of JSON input")
	case errors.As(err, &te):
		field := graph.JoinPath(prefix, strings.ReplaceAll(te.Field, ".", "/"))
		return graph.Invalid(field, "must be %s, not %s", JSONKind(te.Type.Kind()), te.Value)
	case errors.As(err, &own):
		return own
	case errors.As(err, &ve):
		// From a type that decodes itself: its field is relative to it.
		return graph.Under(prefix, ve)
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name, _ = strconv.Unquote(name)
		return graph.Invalid(graph.JoinPath(prefix, strings.ReplaceAll(name, ".", "/")), "unknown field")
	}
	return graph.Invalid(prefix, "%s", strings.TrimPrefix(msg, "json: "))
}

// JSONKind names the JSON type that a Go kind is decoded from, with its
// article: "an integer", "a string", "an object".
func JSONKind(k reflect.Kind) string {
	switch k {
	case reflect.Bool:
		return "a boolean"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	}
	return "a " + k.String()
}

// CheckKeys walks the JSON document alongside the Go type it will be
// decoded into and returns a *graph.ValidationError for the first object
// key that is not exactly (case included) the JSON name of a field, or
// that repeats, and for the first value of the wrong JSON type, named by
// its full path under prefix ("profile/values", "events/2/item").
// encoding/json matches keys case-insensitively, keeps the last of
// duplicate keys and does not say where an unknown field was. Syntax
// errors are not reported here: Decode reports them with their offset.
func CheckKeys(data []byte, t reflect.Type, prefix string) error {
	_, err := check(data, t, prefix)
	return err
}

// check is CheckKeys, and returns data with every whole number written
// with a fraction or an exponent for an integer field (126.0, 1.26e2)
// rewritten as the plain integer, which encoding/json decodes. data
// itself is never modified.
func check(data []byte, t reflect.Type, prefix string) ([]byte, error) {
	w := &walker{dec: json.NewDecoder(bytes.NewReader(data))}
	w.dec.UseNumber()
	var ve *graph.ValidationError
	if err := w.value(t, prefix); errors.As(err, &ve) {
		return nil, ve
	}
	if len(w.ints) == 0 {
		return data, nil
	}
	out := make([]byte, 0, len(data))
	last := int64(0)
	for _, r := range w.ints {
		out = append(out, data[last:r.start]...)
		out = append(out, r.text...)
		last = r.end
	}
	return append(out, data[last:]...), nil
}

// walker walks a document with its decoder, collecting the whole numbers
// to rewrite for integer fields.
type walker struct {
	dec  *json.Decoder
	ints []rewrite
}

// rewrite replaces data[start:end] with text.
type rewrite struct {
	start, end int64
	text       string
}

var (
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// value reads one value from the decoder, checking object keys against t.
func (w *walker) value(t reflect.Type, path string) error {
	dec := w.dec
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && reflect.PointerTo(t).Implements(unmarshalerType) {
		// A type that decodes itself (json.RawMessage, a value that may be
		// a name or an object) checks its own content.
		if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') {
			return skipRest(dec)
		}
		return nil
	}
	if want, got := typeMismatch(tok, t); want != "" {
		return graph.Invalid(path, "must be %s, not %s", want, got)
	}
	if n, ok := tok.(json.Number); ok && t != nil {
		if whole := wholeNumber(n, t.Kind()); whole != "" && whole != n.String() {
			end := dec.InputOffset()
			w.ints = append(w.ints, rewrite{start: end - int64(len(n)), end: end, text: whole})
		}
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar: its range is the decoder's business
	}
	switch {
	case d == '{' && t != nil && t.Kind() == reflect.Struct:
		fields := jsonFields(t)
		seen := make(map[string]bool, len(fields))
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := kt.(string)
			field := graph.JoinPath(path, key)
			ft, known := fields[key]
			if !known {
				return graph.Invalid(field, "unknown field")
			}
			if seen[key] {
				return graph.Invalid(field, "duplicate field")
			}
			seen[key] = true
			if err := w.value(ft, field); err != nil {
				return err
			}
		}
		_, err := dec.Token()
		return err
	case d == '[' && t != nil && t.Kind() == reflect.Slice && t != rawMessageType && t.Elem() != rawMessageType:
		for i := 0; dec.More(); i++ {
			if err := w.value(t.Elem(), graph.JoinPath(path, strconv.Itoa(i))); err != nil {
				return err
			}
		}
		_, err := dec.Token()
		return err
	}
	return skipRest(dec)
}

// typeMismatch reports what t needs and what tok is when tok cannot be
// decoded into t (both "" when it can). null fits only a value that
// decodes itself, a json.RawMessage or an interface (the caller checks the
// first); anywhere else the key is to be left out.
func typeMismatch(tok json.Token, t reflect.Type) (want, got string) {
	if t == nil || t == rawMessageType || t.Kind() == reflect.Interface {
		return "", ""
	}
	k := t.Kind()
	switch v := tok.(type) {
	case nil:
		got = "null"

	case bool:
		if k == reflect.Bool {
			return "", ""
		}
		got = "a boolean"
	case string:
		if k == reflect.String {
			return "", ""
		}
		got = "a string"
	case json.Number:
		switch k {
		case reflect.Float32, reflect.Float64:
			return "", ""
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			if wholeNumber(v, k) != "" {
				return "", ""
			}
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			if wholeNumber(v, k) != "" {
				return "", ""
			}
			return "a non-negative integer", "the number " + v.String()
		}
		got = "the number " + v.String()
	case json.Delim:
		switch {
		case v == '{' && (k == reflect.Struct || k == reflect.Map):
			return "", ""
		case v == '[' && (k == reflect.Slice || k == reflect.Array):
			return "", ""
		case v == '{':
			got = "an object"
		default:
			got = "an array"
		}
	default:
		return "", ""
	}
	return JSONKind(k), got
}

// WholeInt64 reads a JSON number literal that is a whole number within
// int64, written plainly or not (126, 126.0, 1.26e2), as Decode reads one
// into an integer field; ok is false for anything else. It serves values
// that decode themselves (ids kept as json.RawMessage).
func WholeInt64(literal string) (v int64, ok bool) {
	if !json.Valid([]byte(literal)) {
		return 0, false
	}
	whole := wholeNumber(json.Number(literal), reflect.Int64)
	if whole == "" {
		return 0, false
	}
	v, err := strconv.ParseInt(whole, 10, 64)
	return v, err == nil
}

// wholeNumber returns n as a plain integer ("126" for 126.0 or 1.26e2)
// when k is an integer kind and n is a whole number that fits 64 bits of
// that signedness, else "". The field's own range is the decoder's
// business, as for any integer.
func wholeNumber(n json.Number, k reflect.Kind) string {
	signed := false
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		signed = true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
	default:
		return ""
	}
	s := n.String()
	if signed {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			return s
		}
	} else if _, err := strconv.ParseUint(s, 10, 64); err == nil {
		return s
	}
	// Only a short literal whose value is within 64 bits goes on to exact
	// arithmetic, so no exponent makes big.Rat work hard.
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || len(s) > 64 || math.Abs(f) > 1<<64 || f != math.Trunc(f) {
		return ""
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || !r.IsInt() {
		return ""
	}
	i := r.Num()
	if (signed && !i.IsInt64()) || (!signed && (i.Sign() < 0 || !i.IsUint64())) {
		return ""
	}
	return i.String()
}

// skipRest consumes the rest of an object or array whose opening
// delimiter was just read.
func skipRest(dec *json.Decoder) error {
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
	return nil
}

// jsonFieldCache maps a struct type to its fields by JSON name.
var jsonFieldCache sync.Map // reflect.Type -> map[string]reflect.Type

func jsonFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := jsonFieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		m[name] = f.Type
	}
	jsonFieldCache.Store(t, m)
	return m
}
