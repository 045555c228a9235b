package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// Strict JSON decoding. Every body is decoded with DisallowUnknownFields,
// must hold exactly one JSON value, and must be sent as application/json
// (or a +json type). Required fields are pointers in the request types and
// are checked by the handlers after decoding, so a missing field is told
// apart from a zero value.

// errTooLarge is returned for bodies over the limit.
func errTooLarge(limit int64) *apiError {
	return &apiError{
		status: http.StatusRequestEntityTooLarge, typ: typeTooLarge, title: "Payload too large",
		detail: fmt.Sprintf("the request body exceeds %d bytes", limit),
		errs:   []FieldError{{Field: "", Reason: fmt.Sprintf("body larger than %d bytes", limit)}},
	}
}

func errUnsupportedMedia(got string) *apiError {
	reason := "the body must be application/json"
	if got != "" {
		reason += ", not " + strconv.Quote(got)
	}
	return &apiError{
		status: http.StatusUnsupportedMediaType, typ: typeUnsupportedMedia, title: "Unsupported media type",
		detail: reason, errs: []FieldError{{Field: "", Reason: reason}},
		header: map[string]string{"Accept-Post": "application/json"},
	}
}

// isJSONMedia reports whether a Content-Type header names JSON.
func isJSONMedia(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// hasBody reports whether the request carries a body.
func hasBody(r *http.Request) bool {
	return r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0
}

// readBody reads the whole body (already limited by the body-limit
// middleware). It returns nil for an absent body, 415 for a body that is
// not JSON, and 413 for one that is too large.
func (s *Server) readBody(c *gin.Context) ([]byte, error) {
	r := c.Request
	if !hasBody(r) {
		return nil, nil
	}
	if !isJSONMedia(r.Header.Get("Content-Type")) {
		return nil, errUnsupportedMedia(r.Header.Get("Content-Type"))
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errTooLarge(mbe.Limit)
		}
		return nil, fmt.Errorf("%w: read body: %v", errRequestCanceled, err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	return data, nil
}

// bindJSON reads the body into v strictly. A missing body is an error
// unless optional is set, in which case v is left untouched and false is
// returned.
func (s *Server) bindJSON(c *gin.Context, v any, optional bool) (bool, error) {
	data, err := s.readBody(c)
	if err != nil {
		return false, err
	}
	if data == nil {
		if optional {
			return false, nil
		}
		if hasBody(c.Request) {
			return false, invalid("", "the request body is empty; a JSON object is required")
		}
		// No body at all: if a non-JSON type was declared, say so.
		if ct := c.Request.Header.Get("Content-Type"); ct != "" && !isJSONMedia(ct) {
			return false, errUnsupportedMedia(ct)
		}
		return false, invalid("", "a JSON request body is required")
	}
	return true, decodeStrict(data, v, "")
}

// decodeStrict decodes exactly one JSON value from data into v, rejecting
// unknown fields and trailing data. prefix is prepended to field paths
// ("events/3").
func decodeStrict(data []byte, v any, prefix string) error {
	if err := checkKeys(data, reflect.TypeOf(v), prefix); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, prefix, data)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		off := dec.InputOffset()
		return &apiError{
			status: http.StatusBadRequest, typ: typeMalformedJSON, title: "Malformed JSON",
			detail: fmt.Sprintf("unexpected data after the JSON value at byte offset %d", off),
			errs:   []FieldError{{Field: prefix, Reason: "trailing data after the JSON value"}},
		}
	}
	return nil
}

// decodeError turns an encoding/json error into a problem naming the
// offending field or offset.
func decodeError(err error, prefix string, data []byte) error {
	join := func(f string) string {
		f = strings.ReplaceAll(f, ".", "/")
		switch {
		case prefix == "":
			return f
		case f == "":
			return prefix
		}
		return prefix + "/" + f
	}
	malformed := func(off int64, reason string) error {
		return &apiError{
			status: http.StatusBadRequest, typ: typeMalformedJSON, title: "Malformed JSON",
			detail: fmt.Sprintf("%s at byte offset %d", reason, off),
			errs:   []FieldError{{Field: prefix, Reason: fmt.Sprintf("%s at byte offset %d", reason, off)}},
		}
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return malformed(se.Offset, "invalid JSON: "+se.Error())
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return malformed(int64(len(data)), "unexpected end of JSON input")
	case errors.As(err, &te):
		field := join(te.Field)
		return invalid(field, fmt.Sprintf("must be %s, not %s", jsonKind(te.Type.Kind().String()), te.Value))
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name, _ = strconv.Unquote(name)
		return invalid(join(name), "unknown field")
	}
	return invalid(prefix, strings.TrimPrefix(msg, "json: "))
}

// jsonKind names a Go kind as a JSON type.
func jsonKind(k string) string {
	switch k {
	case "bool":
		return "a boolean"
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "float32", "float64":
		return "a number"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	}
	return "a " + k
}

// parseWireTime parses a timestamp on the wire: RFC 3339
// ("2024-05-01T12:00:00Z") or a calendar date ("2024-05-01", taken as
// midnight UTC). field names it in the error.
func parseWireTime(field, s string) (time.Time, error) {
	if v, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return v, nil
	}
	if v, err := time.Parse(time.DateOnly, s); err == nil {
		return v, nil
	}
	return time.Time{}, invalid(field, fmt.Sprintf("%q is not an RFC 3339 timestamp or a YYYY-MM-DD date", s))
}

// checkKeys walks the JSON document alongside the Go type it will be
// decoded into and rejects the first object key that is not exactly (case
// included) the JSON name of a field, or that repeats. encoding/json
// matches keys case-insensitively, keeps the last of duplicate keys and
// does not say where an unknown field was; this names it by its full path
// ("profile/values", "events/2/item"). Syntax errors are left to the
// decoder, which reports them with their offset.
func checkKeys(data []byte, t reflect.Type, prefix string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var ae *apiError
	if err := walkValue(dec, t, prefix); errors.As(err, &ae) {
		return ae
	}
	return nil
}

var (
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

func joinPath(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "/" + name
}

// walkValue reads one value from dec, checking object keys against t.
func walkValue(dec *json.Decoder, t reflect.Type, path string) error {
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
		return invalid(path, "must be "+want+", not "+got)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar: its type is the decoder's business
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
			field := joinPath(path, key)
			ft, known := fields[key]
			if !known {
				return invalid(field, "unknown field")
			}
			if seen[key] {
				return invalid(field, "duplicate field")
			}
			seen[key] = true
			if err := walkValue(dec, ft, field); err != nil {
				return err
			}
		}
		_, err := dec.Token()
		return err
	case d == '[' && t != nil && t.Kind() == reflect.Slice && t != rawMessageType && t.Elem() != rawMessageType:
		for i := 0; dec.More(); i++ {
			if err := walkValue(dec, t.Elem(), joinPath(path, strconv.Itoa(i))); err != nil {
				return err
			}
		}
		_, err := dec.Token()
		return err
	}
	return skipRest(dec)
}

// typeMismatch reports what t needs and what tok is when tok cannot be
// decoded into t (both "" when it can). null fits anything.
func typeMismatch(tok json.Token, t reflect.Type) (want, got string) {
	if tok == nil || t == nil || t == rawMessageType || t.Kind() == reflect.Interface {
		return "", ""
	}
	k := t.Kind()
	switch v := tok.(type) {
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
			if _, err := v.Int64(); err == nil {
				return "", ""
			}
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			if _, err := strconv.ParseUint(v.String(), 10, 64); err == nil {
				return "", ""
			}
			got = "the number " + v.String()
			return "a non-negative integer", got
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
	return jsonKind(k.String()), got
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
