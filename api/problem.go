package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/socialscore/socialscore/graph"
)

// problemBase prefixes every problem type URI. The URIs are stable: clients
// may switch on them.
const problemBase = "https://socialscore.dev/problems/"

// Problem types (RFC 9457). Each is a stable URI documented in openapi.json.
const (
	typeInvalidInput     = problemBase + "invalid-input"          // 400: the request breaks a rule; errors name the field
	typeMalformedJSON    = problemBase + "malformed-json"         // 400: the body is not valid JSON
	typeUnauthorized     = problemBase + "unauthorized"           // 401: missing or unknown API key
	typeNotFound         = problemBase + "not-found"              // 404: unknown (or non-consenting) person, tie, score or run
	typeMethodNotAllowed = problemBase + "method-not-allowed"     // 405
	typeConflict         = problemBase + "conflict"               // 409: the write contradicts what is stored
	typeRunInProgress    = problemBase + "run-in-progress"        // 409: a scoring run is already going
	typeTooLarge         = problemBase + "payload-too-large"      // 413
	typeUnsupportedMedia = problemBase + "unsupported-media-type" // 415
	typeForbidden        = problemBase + "forbidden"              // 403: allowed only by the server's configuration
	typeQueueFull        = problemBase + "queue-full"             // 429: the simulation queue is full; retry later
	typeRateLimited      = problemBase + "rate-limited"           // 429: over the key's (or address's) rate limit; see Retry-After
	typeOverloaded       = problemBase + "overloaded"             // 503: too many open connections (/readyz), or the heap near the memory limit (heavy work)
	typeUnavailable      = problemBase + "unavailable"            // 503: store (or audit log) unavailable; retry
	typeInternal         = problemBase + "internal"               // 500
)

// problemContentType is the media type of every error body.
const problemContentType = "application/problem+json"

// retryAfterSeconds is sent as Retry-After with every 503.
const retryAfterSeconds = "5"

// FieldError names one offending field of a request and why it was
// rejected. Field is a JSON-pointer-like path without the leading slash:
// "events/2/amount", "ids/3", "policy", "id"; "" is the whole body.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Problem is an RFC 9457 problem details object with socialscore's
// "errors" extension.
type Problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []FieldError `json:"errors,omitempty"`
}

// apiError is an error that already knows its HTTP rendering. Handlers
// return it (or a domain error) and writeError turns either into a problem.
type apiError struct {
	status int
	typ    string
	title  string
	detail string
	errs   []FieldError
	header map[string]string
	cause  error // logged, never shown
}

func (e *apiError) Error() string {
	if e.detail != "" {
		return e.title + ": " + e.detail
	}
	return e.title
}

func (e *apiError) Unwrap() error { return e.cause }

// invalid returns a 400 invalid-input error naming the field.
func invalid(field, reason string) *apiError {
	return &apiError{
		status: http.StatusBadRequest, typ: typeInvalidInput, title: "Invalid input",
		detail: fieldDetail(field, reason), errs: []FieldError{{Field: field, Reason: reason}},
	}
}

// notFound returns a 404 naming the field.
func notFound(field, reason string) *apiError {
	return &apiError{
		status: http.StatusNotFound, typ: typeNotFound, title: "Not found",
		detail: fieldDetail(field, reason), errs: []FieldError{{Field: field, Reason: reason}},
	}
}

func fieldDetail(field, reason string) string {
	if field == "" {
		return reason
	}
	return field + ": " + reason
}

// errRequestCanceled marks a request whose client went away.
var errRequestCanceled = errors.New("request canceled")

// translate maps any error to its problem. It is the one place where
// domain errors become HTTP statuses:
//
//	*apiError                       as given
//	graph.ErrInvalid, *ValidationError  400 invalid-input (field named when known)
//	graph.ErrNotFound               404 not-found
//	graph.ErrConflict               409 conflict
//	graph.ErrUnavailable            503 unavailable, Retry-After: 5
//	anything else                   500 internal, generic detail
func translate(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var ve *graph.ValidationError
	hasField := errors.As(err, &ve)
	switch {
	case errors.Is(err, graph.ErrUnavailable):
		return &apiError{
			status: http.StatusServiceUnavailable, typ: typeUnavailable, title: "Service unavailable",
			detail: "the store cannot be reached right now; nothing was changed, retry later",
			header: map[string]string{"Retry-After": retryAfterSeconds}, cause: err,
		}
	case errors.Is(err, context.Canceled), errors.Is(err, errRequestCanceled):
		// 499 is nginx's "client closed request"; the client will not see it.
		return &apiError{status: 499, typ: typeUnavailable, title: "Request canceled", cause: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &apiError{
			status: http.StatusServiceUnavailable, typ: typeUnavailable, title: "Service unavailable",
			detail: "the operation timed out; retry later",
			header: map[string]string{"Retry-After": retryAfterSeconds}, cause: err,
		}
	}
	var status int
	var typ, title string
	switch {
	case errors.Is(err, graph.ErrInvalid):
		status, typ, title = http.StatusBadRequest, typeInvalidInput, "Invalid input"
	case errors.Is(err, graph.ErrNotFound):
		status, typ, title = http.StatusNotFound, typeNotFound, "Not found"
	case errors.Is(err, graph.ErrConflict):
		status, typ, title = http.StatusConflict, typeConflict, "Conflict"
	default:
		return &apiError{
			status: http.StatusInternalServerError, typ: typeInternal, title: "Internal server error",
			detail: "an unexpected error occurred; it has been logged", cause: err,
		}
	}
	out := &apiError{status: status, typ: typ, title: title, cause: err}
	if hasField {
		out.detail = fieldDetail(ve.Field, ve.Reason)
		out.errs = []FieldError{{Field: ve.Field, Reason: ve.Reason}}
	} else {
		out.detail = err.Error()
	}
	return out
}

// writeError renders err as application/problem+json and aborts the
// chain. 5xx causes are logged with the request id; their details never
// reach the client.
func (s *Server) writeError(c *gin.Context, err error) {
	p := translate(err)
	if p.status >= 500 && p.status != http.StatusServiceUnavailable {
		s.log.LogAttrs(c.Request.Context(), slog.LevelError, "request failed",
			slog.String("request_id", requestID(c)),
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path),
			slog.Any("error", err))
	}
	if p.status == http.StatusServiceUnavailable && errors.Is(err, graph.ErrUnavailable) {
		s.storeUp.Store(false)
	}
	for k, v := range p.header {
		c.Header(k, v)
	}
	if p.status == 499 {
		c.AbortWithStatus(p.status)
		return
	}
	writeProblem(c, Problem{
		Type: p.typ, Title: p.title, Status: p.status, Detail: p.detail,
		Instance: c.Request.URL.Path, Errors: p.errs,
	})
}

// writeProblem writes the problem and aborts the chain.
func writeProblem(c *gin.Context, p Problem) {
	body, err := json.Marshal(p)
	if err != nil { // cannot happen: Problem holds only strings and ints
		body = []byte(`{"type":"` + typeInternal + `","title":"Internal server error","status":500}`)
		p.Status = http.StatusInternalServerError
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Length", strconv.Itoa(len(body)))
	c.Data(p.Status, problemContentType, body)
	c.Abort()
}
