package api

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialscore/socialscore/graph"
)

// Routes of accountable access: audit queries, a person's reads, API key
// management. Reports are in reports.go.

// Limits of the listing routes.
const (
	DefaultListLimit = 100
	MaxListLimit     = 1000
)

func (s *Server) accessRoutes(v1 *gin.RouterGroup) {
	s.handle(v1, http.MethodGet, "/audit", false, s.getAudit)
	s.handle(v1, http.MethodGet, "/people/:id/reads", false, s.getReads)
	s.handle(v1, http.MethodGet, "/reports/score-distribution", false, s.getScoreDistribution)
	s.handle(v1, http.MethodGet, "/reports/low-scores", false, s.getLowScores)
	s.handle(v1, http.MethodGet, "/keys", false, s.getKeys)
	s.handle(v1, http.MethodPost, "/keys", false, s.postKey)
	s.handle(v1, http.MethodDelete, "/keys/:name", false, s.deleteKey)
}

// NewAPIKey returns a new random API key: "ss_" and 256 random bits in
// base64url.
func NewAPIKey() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return "ss_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// AuditReader is implemented by auditors whose records can be read back
// (FileAuditor).
type AuditReader interface {
	// ScanAudit calls fn with each record in order until fn returns false.
	ScanAudit(fn func(*AuditRecord) bool) error
}

// ScanAudit reads the file from the start. A last line still being
// written is skipped.
func (a *FileAuditor) ScanAudit(fn func(*AuditRecord) bool) error {
	if a.path == "" {
		return errors.New("audit: this auditor was not opened by path")
	}
	f, err := os.Open(a.path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var r AuditRecord
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue
		}
		if !fn(&r) {
			return nil
		}
	}
	return sc.Err()
}

// AuditPage is the body of GET /v1/audit and GET /v1/people/{id}/reads.
type AuditPage struct {
	Records []AuditRecord `json:"records"`
	// Next is the after= of the next page; 0 on the last page.
	Next uint64 `json:"next"`
}

// auditQuery reads since, after and limit.
type auditQuery struct {
	since time.Time
	after uint64
	limit int
}

func parseAuditQuery(q url.Values) (auditQuery, error) {
	var aq auditQuery
	var err error
	if q.Has("since") {
		if aq.since, err = time.Parse(time.RFC3339Nano, q.Get("since")); err != nil {
			return aq, invalid("since", "must be an RFC 3339 time, e.g. 2026-01-02T15:04:05Z")
		}
	}
	if q.Has("after") {
		if aq.after, err = strconv.ParseUint(q.Get("after"), 10, 64); err != nil {
			return aq, invalid("after", "must be a non-negative integer (the next of the previous page)")
		}
	}
	aq.limit, err = intParam(q, "limit", DefaultListLimit, 1, MaxListLimit)
	return aq, err
}

// scanPage collects up to limit records that match, after the cursor.
func (s *Server) scanPage(aq auditQuery, match func(*AuditRecord) bool) (AuditPage, error) {
	ar, ok := s.audit.(AuditReader)
	if !ok {
		return AuditPage{}, &apiError{status: http.StatusForbidden, typ: typeForbidden, title: "Forbidden",
			detail: "this server's audit log cannot be read back"}
	}
	page := AuditPage{Records: []AuditRecord{}}
	err := ar.ScanAudit(func(r *AuditRecord) bool {
		if r.Seq <= aq.after || (!aq.since.IsZero() && r.Time.Before(aq.since)) || !match(r) {
			return true
		}
		if len(page.Records) == aq.limit {
			page.Next = page.Records[len(page.Records)-1].Seq
			return false
		}
		page.Records = append(page.Records, *r)
		return true
	})
	return page, err
}

// getAudit is GET /v1/audit?person=&since=&after=&limit=: the audit
// records, oldest first, of one person or of everyone.
func (s *Server) getAudit(c *gin.Context) {
	q, err := queryParams(c, "person", "since", "after", "limit")
	if err != nil {
		s.writeError(c, err)
		return
	}
	aq, err := parseAuditQuery(q)
	if err != nil {
		s.writeError(c, err)
		return
	}
	var person graph.ID
	if q.Has("person") {
		if person, err = graph.ParseID(q.Get("person")); err != nil {
			s.writeError(c, invalid("person", "must be a positive integer id"))
			return
		}
	}
	page, err := s.scanPage(aq, func(r *AuditRecord) bool { return person == 0 || r.Person == person })
	if err != nil {
		s.writeError(c, err)
		return
	}
	writeJSON(c, http.StatusOK, page)
}

// PersonRead is one read of a person's score as the person sees it.
type PersonRead struct {
	Time    time.Time  `json:"time"`
	By      string     `json:"by"` // the name of the key
	Role    graph.Role `json:"role,omitempty"`
	Purpose string     `json:"purpose,omitempty"`
	Route   string     `json:"route"`
	Seq     uint64     `json:"seq"`
}

// ReadsResponse is the body of GET /v1/people/{id}/reads.
type ReadsResponse struct {
	Reads []PersonRead `json:"reads"`
	Next  uint64       `json:"next"`
}

// getReads is GET /v1/people/{id}/reads?since=&after=&limit=: who read
// the person's score, when and for what purpose (FCRA §604: the consumer
// can see who asked).
func (s *Server) getReads(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	q, err := queryParams(c, "since", "after", "limit")
	if err != nil {
		s.writeError(c, err)
		return
	}
	aq, err := parseAuditQuery(q)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if _, err := s.consenting(c, id); err != nil {
		s.writeError(c, err)
		return
	}
	page, err := s.scanPage(aq, func(r *AuditRecord) bool { return r.Person == id && r.Kind == "" })
	if err != nil {
		s.writeError(c, err)
		return
	}
	out := ReadsResponse{Reads: make([]PersonRead, len(page.Records)), Next: page.Next}
	for i, r := range page.Records {
		out.Reads[i] = PersonRead{Time: r.Time, By: r.App, Role: r.Role, Purpose: r.Purpose, Route: r.Route, Seq: r.Seq}
	}
	writeJSON(c, http.StatusOK, out)
}

// KeyResponse describes an API key (never its secret, except Key in the
// answer to POST /v1/keys, the only time it is shown).
type KeyResponse struct {
	Name      string     `json:"name"`
	Role      graph.Role `json:"role"`
	Person    graph.ID   `json:"person,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	Key       string     `json:"key,omitempty"`
}

func keyResponse(k graph.APIKey) KeyResponse {
	out := KeyResponse{Name: k.Name, Role: k.Role, Person: k.Person, CreatedAt: k.CreatedAt}
	if k.Revoked() {
		t := k.RevokedAt
		out.RevokedAt = &t
	}
	return out
}

func (s *Server) keyStore() (graph.KeyStore, error) {
	if s.cfg.KeyStore == nil {
		return nil, &apiError{status: http.StatusForbidden, typ: typeForbidden, title: "Forbidden",
			detail: "this server keeps no keys in its store (they are given in its configuration)"}
	}
	return s.cfg.KeyStore, nil
}

// getKeys is GET /v1/keys: the keys in the store, revoked ones included.
func (s *Server) getKeys(c *gin.Context) {
	ks, err := s.keyStore()
	if err != nil {
		s.writeError(c, err)
		return
	}
	keys, err := ks.Keys(c.Request.Context())
	if err != nil {
		s.writeError(c, err)
		return
	}
	out := make([]KeyResponse, len(keys))
	for i, k := range keys {
		out[i] = keyResponse(k)
	}
	writeJSON(c, http.StatusOK, map[string]any{"keys": out})
}

// keyRequest is the body of POST /v1/keys.
type keyRequest struct {
	Name   *string  `json:"name"`
	Role   *string  `json:"role"`
	Person graph.ID `json:"person"`
}

// postKey is POST /v1/keys: a new key; its secret is in the answer and
// nowhere else (the store keeps its digest).
func (s *Server) postKey(c *gin.Context) {
	ks, err := s.keyStore()
	if err != nil {
		s.writeError(c, err)
		return
	}
	var req keyRequest
	if _, err := s.bindJSON(c, &req, false); err != nil {
		s.writeError(c, err)
		return
	}
	if req.Name == nil {
		s.writeError(c, invalid("name", "is required"))
		return
	}
	if req.Role == nil {
		s.writeError(c, invalid("role", "is required"))
		return
	}
	secret := NewAPIKey()
	k := graph.APIKey{Name: *req.Name, Role: graph.Role(*req.Role), Person: req.Person, Hash: graph.HashKey(secret)}
	if err := ks.CreateKey(c.Request.Context(), k); err != nil {
		s.writeError(c, err)
		return
	}
	if err := s.refreshKeys(c.Request.Context()); err != nil {
		s.log.Warn("api: key created but the keyring was not re-read; it takes effect at the next refresh", "error", err)
	}
	keys, err := ks.Keys(c.Request.Context())
	if err != nil {
		s.writeError(c, err)
		return
	}
	i := slices.IndexFunc(keys, func(x graph.APIKey) bool { return x.Name == k.Name })
	if i < 0 {
		s.writeError(c, fmt.Errorf("key %q not found after it was created", k.Name))
		return
	}
	out := keyResponse(keys[i])
	out.Key = secret
	c.Header("Location", "/v1/keys/"+k.Name)
	writeJSON(c, http.StatusCreated, out)
}

// deleteKey is DELETE /v1/keys/{name}: the key is revoked at once (204).
func (s *Server) deleteKey(c *gin.Context) {
	ks, err := s.keyStore()
	if err != nil {
		s.writeError(c, err)
		return
	}
	name := c.Param("name")
	if err := ks.RevokeKey(c.Request.Context(), name); err != nil {
		if errors.Is(err, graph.ErrNotFound) {
			err = notFound("name", fmt.Sprintf("no key named %q", name))
		}
		s.writeError(c, err)
		return
	}
	if err := s.refreshKeys(c.Request.Context()); err != nil {
		s.writeError(c, fmt.Errorf("key revoked in the store, but the server could not re-read its keys: %w", err))
		return
	}
	c.Status(http.StatusNoContent)
}
