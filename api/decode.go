package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialscore/socialscore/internal/strictjson"
)

// Strict JSON decoding. Every body is decoded with strictjson.Decode,
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

// decodeStrict decodes exactly one JSON value from data into v with
// strictjson.Decode (exact-case keys, no duplicates, no unknown fields, no
// trailing data). prefix is prepended to field paths ("events/3"). Input
// that is not one JSON value is a 400 malformed-json naming the offset;
// any other error is the *graph.ValidationError naming the field, which
// writeError answers as 400 invalid-input.
func decodeStrict(data []byte, v any, prefix string) error {
	return malformedJSON(strictjson.Decode(data, v, prefix))
}

// malformedJSON turns a *strictjson.SyntaxError into its problem and
// passes any other error through.
func malformedJSON(err error) error {
	var se *strictjson.SyntaxError
	if !errors.As(err, &se) {
		return err
	}
	return &apiError{
		status: http.StatusBadRequest, typ: typeMalformedJSON, title: "Malformed JSON",
		detail: se.Error(), errs: []FieldError{{Field: se.Field, Reason: se.Reason}},
	}
}

// parseWireTime parses a timestamp on the wire: RFC 3339
// ("2024-05-01T12:00:00Z") or a calendar date ("2024-05-01", taken as
// midnight UTC), written with a year from MinWireYear on (the OpenAPI
// document's pattern). field names it in the error.
func parseWireTime(field, s string) (time.Time, error) {
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if v, err = time.Parse(time.DateOnly, s); err != nil {
			return time.Time{}, invalid(field, fmt.Sprintf("%q is not an RFC 3339 timestamp or a YYYY-MM-DD date", s))
		}
	}
	// Both forms start with the four digits of the year. Year 1 at
	// midnight is Go's zero time, which the record model reads as "no
	// date": no date before MinWireYear is taken, as the document says.
	if s[:4] < MinWireYear {
		return time.Time{}, invalid(field, fmt.Sprintf("%q: the year must be %s or later", s, MinWireYear))
	}
	return v, nil
}

// MinWireYear is the earliest year of a date on the wire, as the OpenAPI
// document's date pattern states it.
const MinWireYear = "1900"
