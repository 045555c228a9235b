package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialscore/socialscore/graph"
)

// Who may do what. Every key holds one role (graph.Role); accessTable is
// the one place that says which role may call which operation. authorize
// wraps every /v1 handler with the check of its entry, so a handler runs
// only for a role its entry allows. The OpenAPI document shows the same
// roles as x-roles on each operation, and TestAccessMatrix walks every
// operation of the document with every role against this table: a route
// added to the document without an entry here fails that test, and is
// served to operators only until it is classified.
//
// Object-level rules, on top of the roles:
//   - a subject key touches only its own person (the path parameter named
//     by access.subject); any other id is answered exactly as an unknown
//     person is (404), so a subject cannot learn who exists;
//   - a friendship or recruitment naming a person who has not consented
//     is answered, for every role but operator, exactly as one naming an
//     unknown person (404);
//   - consent is changed only by the subject or an operator, and an
//     operator must give a reason (?reason=...), which is audited;
//   - a simulation is read and cancelled only by the key that started it
//     (and operators; auditors may read): anyone else gets the 404 of an
//     unknown simulation.
//
// Apps declare why they read a score: ?purpose= one of Purposes (FCRA
// §604's permissible purposes in spirit). It is required of apps on score
// reads and of auditors on the low-score listing, optional elsewhere, and
// recorded in the audit log. purpose and reason are removed from the query
// string before the handler sees it.

// Purposes are the purposes a score read may declare.
var Purposes = []string{"credit_decision", "rental_deposit", "account_opening", "fraud_check"}

// roleSet is a set of roles as bits.
type roleSet uint8

// roleBit is the bit of a role, in graph.Roles order (a switch: this is
// on every request's path).
func roleBit(r graph.Role) roleSet {
	switch r {
	case graph.RoleOperator:
		return 1 << 0
	case graph.RoleProvider:
		return 1 << 1
	case graph.RoleApp:
		return 1 << 2
	case graph.RoleResearcher:
		return 1 << 3
	case graph.RoleAnalyst:
		return 1 << 4
	case graph.RoleAuditor:
		return 1 << 5
	case graph.RoleSubject:
		return 1 << 6
	}
	return 0
}

func roles(rs ...graph.Role) roleSet {
	var s roleSet
	for _, r := range rs {
		s |= roleBit(r)
	}
	return s
}

func (s roleSet) has(r graph.Role) bool { return s&roleBit(r) != 0 }

// list returns the roles in the set, in graph.Roles order.
func (s roleSet) list() []graph.Role {
	var out []graph.Role
	for _, r := range graph.Roles() {
		if s.has(r) {
			out = append(out, r)
		}
	}
	return out
}

// access is one operation's entry in the table.
type access struct {
	roles roleSet
	// subject is the path parameter naming the one person a subject key
	// may touch on this route ("" when subjects are not allowed).
	subject string
	// purpose: apps (and auditors on the low-score listing) must declare
	// a purpose.
	purpose roleSet
	// selfAudit: the handler records its reads itself (score reads, one
	// record per person read); otherwise authorize records the access
	// before the handler runs.
	selfAudit bool
	// noAudit: the route touches no personal data (a job's status, polled)
	// and is not recorded.
	noAudit bool
	// noScore: a subject's other person gets errNoScore rather than
	// errNoPerson (the 404 the route gives an unknown person).
	noScore bool
	// check applies the route's object-level rules (after the role).
	check func(s *Server, c *gin.Context, ri *reqInfo) error
}

// Shorthands of the roles in the table.
const (
	rOp  = graph.RoleOperator
	rPro = graph.RoleProvider
	rApp = graph.RoleApp
	rRes = graph.RoleResearcher
	rAna = graph.RoleAnalyst
	rAud = graph.RoleAuditor
	rSub = graph.RoleSubject
)

// accessTable maps "METHOD /openapi/path" to its entry. Operators may do
// everything, with one exception: the individual low-score listing is for
// auditors only.
var accessTable = map[string]access{
	"PUT /v1/people/{id}":         {roles: roles(rOp, rPro, rSub), subject: "id", check: checkPutPerson},
	"GET /v1/people/{id}":         {roles: roles(rOp, rAud, rSub), subject: "id"},
	"DELETE /v1/people/{id}":      {roles: roles(rOp, rSub), subject: "id"},
	"POST /v1/people/{id}/events": {roles: roles(rOp, rPro)},
	"GET /v1/people/{id}/score":   {roles: roles(rOp, rApp, rAud, rSub), subject: "id", purpose: roles(rApp), selfAudit: true, noScore: true},
	"POST /v1/scores/batch":       {roles: roles(rOp, rApp, rAud), purpose: roles(rApp), selfAudit: true},
	"GET /v1/people/{id}/reads":   {roles: roles(rOp, rAud, rSub), subject: "id"},

	"PUT /v1/friendships/{a}/{b}":                   {roles: roles(rOp, rPro), check: checkConsenting("a", "b")},
	"DELETE /v1/friendships/{a}/{b}":                {roles: roles(rOp, rPro), check: checkNoTie("a", "b", "no friendship between %d and %d")},
	"PUT /v1/recruitments/{recruiter}/{recruit}":    {roles: roles(rOp, rPro), check: checkConsenting("recruiter", "recruit")},
	"DELETE /v1/recruitments/{recruiter}/{recruit}": {roles: roles(rOp, rPro), check: checkNoTie("recruiter", "recruit", "person %d did not recruit %d")},

	"POST /v1/scoring-runs":     {roles: roles(rOp)},
	"GET /v1/scoring-runs/{id}": {roles: roles(rOp, rAna, rAud, rRes), noAudit: true},

	"GET /v1/people/{id}/network": {roles: roles(rOp, rRes, rAud)},
	"GET /v1/exports":             {roles: roles(rOp, rRes, rAud), check: checkExport},
	"POST /v1/experiments/shock":  {roles: roles(rOp, rRes)},
	"GET /v1/network/metrics":     {roles: roles(rOp, rRes, rAna, rAud)},

	"POST /v1/simulations":        {roles: roles(rOp, rAna)},
	"GET /v1/simulations/{id}":    {roles: roles(rOp, rAna, rAud), check: checkSimulationOwner, noAudit: true},
	"DELETE /v1/simulations/{id}": {roles: roles(rOp, rAna), check: checkSimulationOwner},

	"GET /v1/audit":                      {roles: roles(rOp, rAud)},
	"GET /v1/reports/score-distribution": {roles: roles(rOp, rAna, rAud)},
	"GET /v1/reports/low-scores":         {roles: roles(rAud), purpose: roles(rAud)},

	// Routes other issues add (10, 12-16), classified ahead so they are
	// guarded from the moment they are merged; an entry whose route is not
	// in the document yet is harmless. A listing of simulations is not
	// filtered by owner, so it is for operators and auditors only.
	"GET /v1/people/{id}/score/history": {roles: roles(rOp, rAud, rSub), subject: "id"},
	"GET /v1/people/{id}/score/changes": {roles: roles(rOp, rAud, rSub), subject: "id"},
	"GET /v1/people/{id}/score/friends": {roles: roles(rOp, rSub), subject: "id"}, // personal data about the friends: the person and operators only
	"GET /v1/people/{id}/events":        {roles: roles(rOp, rAud, rSub), subject: "id"},
	"GET /v1/disputes/{id}":             {roles: roles(rOp, rAud)},
	"POST /v1/people/{id}/what-if":      {roles: roles(rOp, rSub), subject: "id"},
	"GET /v1/people/{id}/advice":        {roles: roles(rOp, rSub), subject: "id"},
	"POST /v1/people/{id}/disputes":     {roles: roles(rOp, rSub), subject: "id"},
	"GET /v1/people/{id}/disputes":      {roles: roles(rOp, rAud, rSub), subject: "id"},
	"GET /v1/disputes":                  {roles: roles(rOp, rAud)},
	"POST /v1/disputes/{id}/resolution": {roles: roles(rOp)},
	"GET /v1/scoring-runs":              {roles: roles(rOp, rAna, rAud, rRes), noAudit: true},
	"GET /v1/simulations":               {roles: roles(rOp, rAud), noAudit: true},

	"GET /v1/keys":           {roles: roles(rOp)},
	"POST /v1/keys":          {roles: roles(rOp)},
	"DELETE /v1/keys/{name}": {roles: roles(rOp)},
}

// unclassified is what a /v1 route without an entry gets: operators only.
var unclassified = access{roles: roles(rOp)}

// accessFor returns the entry of a route given as gin registers it.
func accessFor(method, ginPath string) (access, bool) {
	a, ok := accessTable[method+" "+openAPIPath(ginPath)]
	return a, ok
}

// authorize wraps the handler of a /v1 route with its access check and
// the audit record of the access.
func (s *Server) authorize(method, ginPath string, h gin.HandlerFunc) gin.HandlerFunc {
	a, ok := accessFor(method, ginPath)
	if !ok {
		s.log.Error("api: route has no entry in the access table: served to operators only; classify it in api/authz.go",
			"route", method+" "+openAPIPath(ginPath))
		a = unclassified
	}
	route := openAPIPath(ginPath)
	return func(c *gin.Context) {
		ri := infoFrom(c.Request.Context())
		if !a.roles.has(ri.role) {
			s.writeError(c, errRole(ri.role, a.roles))
			return
		}
		var subjectID graph.ID
		if ri.role == graph.RoleSubject {
			id, err := pathID(c, a.subject)
			if err != nil {
				s.writeError(c, err)
				return
			}
			if id != ri.person {
				// Exactly what an unknown person gets.
				if a.noScore {
					s.writeError(c, errNoScore(a.subject, id))
				} else {
					s.writeError(c, errNoPerson(a.subject, id))
				}
				return
			}
			subjectID = id
		}
		if err := takeAuthzParams(c, ri); err != nil {
			s.writeError(c, err)
			return
		}
		if ri.purpose == "" && a.purpose.has(ri.role) {
			s.writeError(c, invalid("purpose", "the "+string(ri.role)+" role must declare why it reads: ?purpose= one of "+strings.Join(Purposes, ", ")))
			return
		}
		if a.check != nil {
			if err := a.check(s, c, ri); err != nil {
				s.writeError(c, err)
				return
			}
		}
		if !a.selfAudit && !a.noAudit {
			if err := s.recordAccess(c, ri, method, route, subjectID); err != nil {
				s.writeError(c, err)
				return
			}
		}
		h(c)
		if method == http.MethodPost && route == "/v1/simulations" && c.Writer.Status() == http.StatusAccepted {
			if loc := c.Writer.Header().Get("Location"); loc != "" {
				s.authz.own(strings.TrimPrefix(loc, "/v1/simulations/"), ri.app)
			}
		}
	}
}

// errRole is the 403 of a role the route does not allow.
func errRole(r graph.Role, allowed roleSet) *apiError {
	return &apiError{status: http.StatusForbidden, typ: typeForbidden, title: "Forbidden",
		detail: fmt.Sprintf("a key with role %q may not call this route (allowed: %v)", r, allowed.list()),
		errs:   []FieldError{{Field: "Authorization", Reason: "role " + string(r) + " is not allowed here"}}}
}

// takeAuthzParams reads purpose and reason from the query string into ri
// and removes them, so handlers that refuse unknown parameters do not see
// them. The query is scanned by hand: on a score read this is the hot
// path, and a read with only ?purpose= allocates nothing.
func takeAuthzParams(c *gin.Context, ri *reqInfo) error {
	raw := c.Request.URL.RawQuery
	if raw == "" || (!strings.Contains(raw, "purpose=") && !strings.Contains(raw, "reason=")) {
		return nil
	}
	var kept []string
	seen := map[string]bool{}
	for part := range strings.SplitSeq(raw, "&") {
		name, val, _ := strings.Cut(part, "=")
		if name != "purpose" && name != "reason" {
			if part != "" {
				kept = append(kept, part)
			}
			continue
		}
		if seen[name] {
			return invalid(name, "given more than once")
		}
		seen[name] = true
		v, err := url.QueryUnescape(val)
		if err != nil {
			return invalid(name, "malformed value")
		}
		switch name {
		case "purpose":
			if !validPurpose(v) {
				return invalid("purpose", fmt.Sprintf("unknown purpose %q (want one of %s)", v, strings.Join(Purposes, ", ")))
			}
			ri.purpose = v
		case "reason":
			if v == "" || len(v) > 500 {
				return invalid("reason", "must be 1 to 500 characters")
			}
			ri.reason = v
		}
	}
	c.Request.URL.RawQuery = strings.Join(kept, "&")
	return nil
}

func validPurpose(p string) bool {
	for _, x := range Purposes {
		if p == x {
			return true
		}
	}
	return false
}

// checkPutPerson: a provider registers people but changes no one's
// consent; an operator changing consent gives a reason. A subject may
// change their own (authorize has checked it is theirs).
func checkPutPerson(s *Server, c *gin.Context, ri *reqInfo) error {
	if ri.role == graph.RoleSubject {
		return nil
	}
	id, err := pathID(c, "id")
	if err != nil {
		return nil // the handler names the bad id
	}
	consent, ok := peekConsent(c, s.cfg.MaxBodyBytes)
	if !ok {
		return nil // the handler reports the bad body
	}
	cur, err := s.store.Person(c.Request.Context(), id)
	if errors.Is(err, graph.ErrNotFound) {
		return nil // registering a new person
	}
	if err != nil {
		return err
	}
	if cur.Consent == consent {
		return nil
	}
	switch {
	case ri.role == graph.RoleOperator && ri.reason == "":
		return invalid("reason", "an operator changing a person's consent must give a reason (?reason=...); it is audited")
	case ri.role != graph.RoleOperator:
		return &apiError{status: http.StatusForbidden, typ: typeForbidden, title: "Forbidden",
			detail: "consent: a person's consent is changed only by the person or by an operator",
			errs:   []FieldError{{Field: "consent", Reason: "only the person or an operator may change it"}}}
	}
	return nil
}

// peekConsent reads the consent of a PUT /v1/people/{id} body without
// consuming it. ok is false when the body is not JSON holding a boolean
// consent (the handler then refuses it with the usual problem).
func peekConsent(c *gin.Context, limit int64) (consent, ok bool) {
	r := c.Request
	if r.Body == nil || r.Body == http.NoBody || !strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "application/json") {
		return false, false
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(data), r.Body))
	if err != nil {
		return false, false
	}
	var b struct {
		Consent *bool `json:"consent"`
	}
	if json.Unmarshal(data, &b) != nil || b.Consent == nil {
		return false, false
	}
	return *b.Consent, true
}

// checkConsenting: a tie naming a person who has not consented is, for
// everyone but an operator, the 404 of an unknown person.
func checkConsenting(first, second string) func(*Server, *gin.Context, *reqInfo) error {
	return func(s *Server, c *gin.Context, ri *reqInfo) error {
		if ri.role == graph.RoleOperator {
			return nil
		}
		for _, name := range []string{first, second} {
			id, err := pathID(c, name)
			if err != nil {
				return nil // the handler names it
			}
			p, err := s.store.Person(c.Request.Context(), id)
			if err == nil && !p.Consent {
				return errNoPerson(name, id)
			}
			if err != nil && !errors.Is(err, graph.ErrNotFound) {
				return err
			}
		}
		return nil
	}
}

// checkNoTie: removing a tie to a person who has not consented is, for
// everyone but an operator, the 404 of a tie that does not exist (the
// handler's words, missing formatted with the two ids).
func checkNoTie(first, second, missing string) func(*Server, *gin.Context, *reqInfo) error {
	hidden := checkConsenting(first, second)
	return func(s *Server, c *gin.Context, ri *reqInfo) error {
		err := hidden(s, c, ri)
		var ae *apiError
		if !errors.As(err, &ae) || ae.status != http.StatusNotFound {
			return err
		}
		a, _ := pathID(c, first)
		b, _ := pathID(c, second)
		return notFound("", fmt.Sprintf(missing, a, b))
	}
}

// checkExport: real ids are for operators (and auditors) only.
func checkExport(s *Server, c *gin.Context, ri *reqInfo) error {
	if ri.role == graph.RoleResearcher && c.Query("real_ids") == "true" {
		return &apiError{status: http.StatusForbidden, typ: typeForbidden, title: "Forbidden",
			detail: "real_ids: researchers get pseudonymised exports; real ids need an operator",
			errs:   []FieldError{{Field: "real_ids", Reason: "not allowed for role researcher"}}}
	}
	return nil
}

// checkSimulationOwner: only the key that started a simulation (and
// operators and auditors) see it.
func checkSimulationOwner(s *Server, c *gin.Context, ri *reqInfo) error {
	if ri.role == graph.RoleOperator || ri.role == graph.RoleAuditor {
		return nil
	}
	id := c.Param("id")
	if s.authz.owner(id) != ri.app {
		return errNoSimulation(id)
	}
	return nil
}

// authzState is the server's authorisation state besides the keyring:
// who started which simulation.
type authzState struct {
	mu   sync.Mutex
	sims map[string]string // simulation id -> key name
	fifo []string
}

// maxOwners bounds the simulations remembered (far more than the jobs
// the simulation queue keeps).
const maxOwners = 10000

func (a *authzState) own(id, name string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sims == nil {
		a.sims = map[string]string{}
	}
	if len(a.fifo) >= maxOwners {
		delete(a.sims, a.fifo[0])
		a.fifo = a.fifo[1:]
	}
	a.sims[id] = name
	a.fifo = append(a.fifo, id)
}

func (a *authzState) owner(id string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sims[id]
}

// KeyHolder is who holds a key given in Config.Keys.
type KeyHolder struct {
	Name   string
	Role   graph.Role
	Person graph.ID // subject keys only
}

// principal is an authenticated key's holder.
type principal struct {
	name   string
	role   graph.Role
	person graph.ID
}

// keyring maps SHA-256 digests of API keys to their holders, so a lookup
// takes the same time whatever prefix of a key an attacker guesses. It is
// replaced as a whole (atomic pointer) when the keys in the store change,
// so a lookup takes no lock.
type keyring struct {
	open bool // Config.Open: no keys, everyone is AnonymousApp (operator)
	keys map[graph.KeyHash]*principal
}

func (k *keyring) lookup(key string) *principal { return k.keys[graph.HashKey(key)] }

// buildKeyring merges the configured keys with the valid keys of the
// store.
func buildKeyring(cfg *Config, stored []graph.APIKey) *keyring {
	k := &keyring{open: cfg.Open, keys: map[graph.KeyHash]*principal{}}
	for key, app := range cfg.APIKeys {
		k.keys[graph.HashKey(key)] = &principal{name: app, role: graph.RoleOperator}
	}
	for key, h := range cfg.Keys {
		k.keys[graph.HashKey(key)] = &principal{name: h.Name, role: h.Role, person: h.Person}
	}
	for _, sk := range stored {
		if sk.Revoked() || sk.Validate() != nil {
			continue
		}
		k.keys[sk.Hash] = &principal{name: sk.Name, role: sk.Role, person: sk.Person}
	}
	return k
}

// refreshKeys reads the store's keys and replaces the keyring. On an
// error the old keyring stays.
func (s *Server) refreshKeys(ctx context.Context) error {
	if s.cfg.KeyStore == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	stored, err := s.cfg.KeyStore.Keys(ctx)
	if err != nil {
		return err
	}
	s.keys.Store(buildKeyring(&s.cfg, stored))
	return nil
}

// keyLoop re-reads the store's keys every KeyRefresh, so a key created or
// revoked by another process (socialscore keys) takes effect within it.
func (s *Server) keyLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.KeyRefresh)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		if err := s.refreshKeys(s.ctx); err != nil && s.ctx.Err() == nil {
			s.log.Warn("api: cannot re-read API keys; the last ones read stay in force", "error", err)
		}
	}
}

// readStoredKeys reads the keys of ks (none if nil).
func readStoredKeys(ks graph.KeyStore) ([]graph.APIKey, error) {
	if ks == nil {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	keys, err := ks.Keys(ctx)
	if err != nil {
		return nil, fmt.Errorf("api: read API keys: %w", err)
	}
	return keys, nil
}
