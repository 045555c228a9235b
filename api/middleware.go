package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialscore/socialscore/graph"
)

// Middleware, outermost first: observe (request id, metrics, access log),
// recover (panic → 500 problem, stack logged, never sent), limitBody
// (http.MaxBytesReader → 413), and on /v1 authenticate (API key → app).

// reqInfo is what the middleware learns about a request. One is attached
// to each request's context; authenticate fills in app.
type reqInfo struct {
	id  string // request id, echoed in X-Request-ID
	app string // app name from the API key; AnonymousApp without keys

	// Set by observe: the server's own id of the request, audited beside
	// id when the client chose id.
	serverID string
	// Set by authenticate and authorize (authz.go).
	role    graph.Role // the key's role; RoleOperator in open mode
	person  graph.ID   // the person of a subject key
	purpose string     // the declared purpose (?purpose=), "" if none
	reason  string     // the operator's reason (?reason=), "" if none

	rateHdr [1]string // the RateLimit header's value (ratelimit.go)
}

type infoKey struct{}

func infoFrom(ctx context.Context) *reqInfo {
	if ri, ok := ctx.Value(infoKey{}).(*reqInfo); ok {
		return ri
	}
	return nil
}

// reqCtx is a request's context: its parent with the reqInfo and the
// X-Request-ID header value attached, in one allocation rather than a
// context.WithValue, a reqInfo and a header slice.
type reqCtx struct {
	context.Context
	info  reqInfo
	idHdr [1]string
}

func (c *reqCtx) Value(key any) any {
	if _, ok := key.(infoKey); ok {
		return &c.info
	}
	return c.Context.Value(key)
}

// RequestIDFromContext returns the request id of a request served by the
// API ("" outside one).
func RequestIDFromContext(ctx context.Context) string {
	if ri := infoFrom(ctx); ri != nil {
		return ri.id
	}
	return ""
}

// AppFromContext returns the name of the app that made the request, as
// authenticated by its API key ("" before authentication or outside /v1).
func AppFromContext(ctx context.Context) string {
	if ri := infoFrom(ctx); ri != nil {
		return ri.app
	}
	return ""
}

// hdrRequestID is the canonical form of X-Request-ID.
const hdrRequestID = "X-Request-Id"

// headerValue returns the first value of a header given by its canonical
// key.
func headerValue(h http.Header, canonicalKey string) string {
	if v := h[canonicalKey]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func requestID(c *gin.Context) string { return RequestIDFromContext(c.Request.Context()) }

// Request ids are a random per-process prefix and a counter: unique, cheap,
// and sortable within a process.
var (
	ridPrefix  = newRIDPrefix()
	ridCounter atomic.Uint64
)

func newRIDPrefix() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b[:]) + "-"
}

func newRequestID() string {
	var buf [32]byte
	b := append(buf[:0], ridPrefix...)
	b = strconv.AppendUint(b, ridCounter.Add(1), 36)
	return string(b)
}

// validRequestID reports whether a client-supplied X-Request-ID may be
// kept: 1..128 characters of [A-Za-z0-9._:-].
func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9',
			ch == '-', ch == '_', ch == '.', ch == ':':
		default:
			return false
		}
	}
	return true
}

// observe assigns the request id, then after the request records metrics
// by route pattern and status and writes the access log line.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	rc := &reqCtx{Context: c.Request.Context()}
	ri := &rc.info
	// Canonical header keys are used directly: this is the hot path and
	// Header.Get/Set would canonicalise them on every request.
	ri.serverID = newRequestID()
	if id := headerValue(c.Request.Header, hdrRequestID); validRequestID(id) {
		ri.id = id
	} else {
		ri.id = ri.serverID
	}
	rc.idHdr[0] = ri.id
	c.Writer.Header()[hdrRequestID] = rc.idHdr[:]
	c.Request = c.Request.WithContext(rc)

	c.Next()

	elapsed := time.Since(start)
	status := c.Writer.Status()
	rm := s.metrics.route(c.Request.Method, c.FullPath())
	rm.observe(status, elapsed)

	level := slog.LevelInfo
	switch {
	case status >= 500 && status != http.StatusServiceUnavailable:
		level = slog.LevelError
	case status == http.StatusServiceUnavailable:
		level = slog.LevelWarn
	case rm.quiet:
		level = slog.LevelDebug // score reads: audited anyway, and the hot path
	case status == http.StatusTooManyRequests:
		level = slog.LevelDebug // counted by the metrics; a flood must not flood the log
	}
	ctx := c.Request.Context()
	if !s.log.Enabled(ctx, level) {
		return
	}
	s.log.LogAttrs(ctx, level, "request",
		slog.String("request_id", ri.id),
		slog.String("app", ri.app),
		slog.String("method", c.Request.Method),
		slog.String("route", rm.route),
		slog.String("path", c.Request.URL.Path),
		slog.Int("status", status),
		slog.Int("bytes", c.Writer.Size()),
		slog.Duration("duration", elapsed),
		slog.String("client", c.ClientIP()),
	)
}

// recover turns a panic into a 500 problem. The stack goes to the log,
// never to the client.
func (s *Server) recover(c *gin.Context) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v)
		}
		s.log.LogAttrs(c.Request.Context(), slog.LevelError, "panic serving request",
			slog.String("request_id", requestID(c)),
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path),
			slog.String("panic", fmt.Sprint(v)),
			slog.String("stack", string(debug.Stack())))
		if c.Writer.Written() {
			c.Abort()
			return
		}
		writeProblem(c, Problem{Type: typeInternal, Title: "Internal server error",
			Status: http.StatusInternalServerError, Detail: "an unexpected error occurred; it has been logged",
			Instance: c.Request.URL.Path})
	}()
	c.Next()
}

// limitBody bounds the request body: a declared length over the limit is
// refused at once, and any body is wrapped in http.MaxBytesReader so a
// longer one fails while being read (both 413).
func (s *Server) limitBody(c *gin.Context) {
	r := c.Request
	if r.ContentLength > s.cfg.MaxBodyBytes {
		closeIfBodyUnread(c)
		s.writeError(c, errTooLarge(s.cfg.MaxBodyBytes))
		return
	}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = http.MaxBytesReader(c.Writer, r.Body, s.cfg.MaxBodyBytes)
	}
	c.Next()
}

// authenticate attributes the request to an app. With API keys configured
// it requires a valid one (401 otherwise); without, the app is
// AnonymousApp.
func (s *Server) authenticate(c *gin.Context) {
	ri := infoFrom(c.Request.Context())
	kr := s.keys.Load()
	if kr.open {
		ri.app, ri.role = AnonymousApp, graph.RoleOperator
		if s.allowAddress(c, true) {
			c.Next()
		}
		return
	}
	key, reason := apiKey(c.Request)
	if reason == "" {
		if p := kr.lookup(key); p != nil {
			ri.app, ri.role, ri.person = p.name, p.role, p.person
			if s.allowKey(c, p.name, p.role) {
				c.Next()
			}
			return
		}
		reason = "unknown API key"
	}
	// Without a valid key: charged to the client address, so guessing
	// keys is slow; the body is not read.
	if !s.allowAddress(c, false) {
		return
	}
	closeIfBodyUnread(c)
	c.Header("WWW-Authenticate", `Bearer realm="socialscore"`)
	writeProblem(c, Problem{Type: typeUnauthorized, Title: "Unauthorized", Status: http.StatusUnauthorized,
		Detail: reason + ": send Authorization: Bearer <key> or X-API-Key: <key>", Instance: c.Request.URL.Path,
		Errors: []FieldError{{Field: "Authorization", Reason: reason}}})
}

// apiKey extracts the key from Authorization: Bearer <key> or X-API-Key.
// reason is non-empty when there is none.
func apiKey(r *http.Request) (key, reason string) {
	if h := headerValue(r.Header, "Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return "", "unsupported authorization scheme (want Bearer)"
		}
		tok = strings.TrimSpace(tok)
		if tok == "" {
			return "", "missing API key"
		}
		return tok, ""
	}
	if k := headerValue(r.Header, "X-Api-Key"); k != "" {
		return k, ""
	}
	return "", "missing API key"
}
