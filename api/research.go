package api

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialscore/socialscore/export"
	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/admission"
	"github.com/socialscore/socialscore/scoring"
	"github.com/socialscore/socialscore/scoring/community"
	"github.com/socialscore/socialscore/scoring/contagion"
)

// Researchers' routes: ego networks, shock experiments and network
// metrics. They work on the cached snapshot of the consenting network (see
// snapCache) and the current score view, and never write to the store.

// Route patterns of the research routes, as audit records name them.
const (
	routeNetwork = "/v1/people/{id}/network"
	routeShock   = "/v1/experiments/shock"
	routeExports = "/v1/exports"
)

// Limits of the shock route.
const (
	// DefaultShockListLimit is the number of people listed per step (the
	// largest moves) when a shock request does not say.
	DefaultShockListLimit = 1000
	// MaxShockListLimit bounds list_limit.
	MaxShockListLimit = 100_000
	// DefaultShockPageSize is the number of people listed in one page of
	// a shock's result, over all its lists, when the request does not say
	// (page_size): about 0.7 MB of JSON.
	DefaultShockPageSize = 10_000
	// MaxShockPageSize bounds page_size.
	MaxShockPageSize = 50_000
)

// NetworkResponse is the body of GET /v1/people/{id}/network: the ego
// network (contagion.EgoNetwork, with every person's betweenness and
// closeness in it: EgoNetwork.AddCentralities) with the run its scores come
// from and when the network was read.
type NetworkResponse struct {
	contagion.EgoNetwork
	// RunID and Policy identify the scores; both are "" before the first
	// scoring run (everyone is then unscored).
	RunID  string `json:"run_id"`
	Policy string `json:"policy"`
	// SnapshotAt is when the network was read from the store.
	SnapshotAt time.Time `json:"snapshot_at"`
}

// getNetwork is GET /v1/people/{id}/network?depth=D&limit=N.
func (s *Server) getNetwork(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	q, err := queryParams(c, "depth", "limit")
	if err != nil {
		s.writeError(c, err)
		return
	}
	depth, err := intParam(q, "depth", 1, 1, contagion.MaxEgoDepth)
	if err != nil {
		s.writeError(c, err)
		return
	}
	limit, err := intParam(q, "limit", contagion.DefaultEgoLimit, 1, contagion.MaxEgoLimit)
	if err != nil {
		s.writeError(c, err)
		return
	}
	ctx := c.Request.Context()
	if err := s.checkCost(ctx, admission.Network, "limit", admission.Mul(int64(limit), int64(depth)),
		fmt.Sprintf("limit %d × depth %d", limit, depth)); err != nil {
		s.writeError(c, err)
		return
	}
	e, err := s.snaps.get(ctx)
	if err != nil {
		s.writeError(c, err)
		return
	}
	release, err := s.heavySlot(ctx)
	if err != nil {
		s.writeError(c, err)
		return
	}
	defer release()
	view := s.runner.View()
	var eg contagion.EgoNetwork
	err = s.heavy.Run(func() (err error) { eg, err = s.ego(e, view, id, depth, limit, "id"); return err })
	if err != nil {
		s.writeError(c, err)
		return
	}
	if infoFrom(ctx).role == graph.RoleResearcher {
		release()
		s.researcherNetwork(c, eg) // pseudonymised and generalised
		return
	}
	// Betweenness and closeness of everyone in the ego network's friendship
	// graph (gonum; absent above scoring.MaxCentralityPeople people). Not
	// for researchers: exact centralities are fingerprints (docs/architecture.md, Privacy).
	if len(eg.People) <= scoring.MaxCentralityPeople {
		cost, detail := centralityCost(&eg)
		if err := s.checkCost(ctx, admission.Centrality, "limit", cost, detail); err != nil {
			s.writeError(c, err)
			return
		}
	}
	if err := s.heavy.Run(func() error { _, err := eg.AddCentralities(e.snap); return err }); err != nil {
		s.writeError(c, err)
		return
	}
	release()
	var recs []AuditRecord
	for _, p := range eg.People {
		if p.Scored {
			recs = append(recs, AuditRecord{Person: p.ID})
		}
	}
	if err := s.recordReads(infoFrom(c.Request.Context()), routeNetwork, recs...); err != nil {
		s.writeError(c, err)
		return
	}
	out := NetworkResponse{EgoNetwork: eg, SnapshotAt: e.loadedAt.UTC()}
	if view != nil {
		out.RunID, out.Policy = view.Run.ID, view.Policy.Name
	}
	writeJSON(c, http.StatusOK, out)
}

// ego returns the ego network of id with the scores of view, hiding the
// scores that the runner hides (people erased or withdrawn since the view
// was computed who consented again). A centre not in the snapshot (no such
// person, or not consenting) is a 404 naming field.
func (s *Server) ego(e *snapEntry, view *scoring.View, id graph.ID, depth, limit int, field string) (contagion.EgoNetwork, error) {
	eg, err := contagion.Ego(e.snap, contagion.ViewScores(view), id, depth, limit)
	if err != nil {
		var ve *graph.ValidationError
		if errors.Is(err, graph.ErrNotFound) && !errors.As(err, &ve) {
			return eg, errNoPerson(field, id)
		}
		return eg, err
	}
	for i := range eg.People {
		p := &eg.People[i]
		if !p.Scored {
			continue
		}
		if _, _, ok := s.runner.Lookup(p.ID); !ok {
			*p = contagion.EgoPerson{ID: p.ID, Hop: p.Hop, Friends: p.Friends}
		}
	}
	return eg, nil
}

// shockRequest is the body of POST /v1/experiments/shock. Changes are
// decoded one by one so that errors name their index.
type shockRequest struct {
	Changes   *[]json.RawMessage `json:"changes"`    // required: 1..contagion.MaxChanges
	Policy    *string            `json:"policy"`     // default: the policy of the current scores
	MaxSteps  *int               `json:"max_steps"`  // 0..contagion.MaxMaxSteps; 0 or absent: default
	ListLimit *int               `json:"list_limit"` // 1..MaxShockListLimit
	PageSize  *int               `json:"page_size"`  // 1..MaxShockPageSize; absent: DefaultShockPageSize
	Cursor    *string            `json:"cursor"`     // next_cursor of the previous page; absent: the first
}

// shockChange is one change: a person and the events added to their
// record. An event is either a shorthand string (contagion.ParseEvent:
// "default", "default:2500", "missed_bill:60", ...) or an event object as
// POST /v1/people/{id}/events takes it.
type shockChange struct {
	ID     json.RawMessage    `json:"id"`
	Events *[]json.RawMessage `json:"events"`
}

// ShockResponse is the body of POST /v1/experiments/shock: the outcome of
// the experiment (contagion.ShockResult), when the network was read, and
// which of the people listed this page holds.
type ShockResponse struct {
	contagion.ShockResult
	SnapshotAt time.Time  `json:"snapshot_at"`
	Page       *ShockPage `json:"page"`
}

// ShockPage says which rows of a shock's lists a response holds. The lists
// of the steps, in step order, then the total's, form one sequence of
// RowsTotal rows; a page holds rows Offset .. Offset+Rows−1 of it, in their
// lists (the other lists are empty). Everything else in the response —
// counts, sums, reach, changes — covers everyone on every page.
// NextCursor, absent on the last page, asks for the next one: send the
// same request with "cursor" set to it. Concatenating every page's lists,
// list by list, gives the whole result.
type ShockPage struct {
	Offset     int    `json:"offset"`
	Rows       int    `json:"rows"`
	RowsTotal  int    `json:"rows_total"`
	Size       int    `json:"size"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// researcherShockResponse is a researcher's shock: pseudonymised and
// generalised (export.ShockExport) with its page.
type researcherShockResponse struct {
	export.ShockExport
	Page *ShockPage `json:"page"`
}

// parseShock decodes and checks the request.
func (s *Server) parseShock(req *shockRequest, now time.Time) (contagion.ShockRequest, error) {
	var out contagion.ShockRequest
	if req.Changes == nil {
		return out, invalid("changes", "is required")
	}
	if n := len(*req.Changes); n == 0 || n > contagion.MaxChanges {
		return out, invalid("changes", fmt.Sprintf("must hold 1 to %d changes, not %d", contagion.MaxChanges, n))
	}
	seen := map[graph.ID]int{}
	for i, raw := range *req.Changes {
		prefix := "changes/" + strconv.Itoa(i)
		var ch shockChange
		if err := decodeStrict(raw, &ch, prefix); err != nil {
			return out, err
		}
		if len(ch.ID) == 0 || string(ch.ID) == "null" {
			return out, invalid(prefix+"/id", "is required")
		}
		id, err := parseJSONID(ch.ID)
		if err != nil {
			return out, invalid(prefix+"/id", "must be a positive integer id")
		}
		if j, dup := seen[id]; dup {
			return out, invalid(prefix+"/id", fmt.Sprintf("person %d is already changed by changes/%d (one change per person)", id, j))
		}
		seen[id] = i
		events, err := parseShockEvents(ch.Events, prefix+"/events", now)
		if err != nil {
			return out, err
		}
		out.Changes = append(out.Changes, contagion.Change{ID: id, Events: events})
	}
	if req.MaxSteps != nil {
		if *req.MaxSteps < 0 || *req.MaxSteps > contagion.MaxMaxSteps {
			return out, invalid("max_steps", fmt.Sprintf("must be from 0 (default, %d) to %d", contagion.DefaultMaxSteps, contagion.MaxMaxSteps))
		}
		out.MaxSteps = *req.MaxSteps
	}
	out.ListLimit = DefaultShockListLimit
	if req.ListLimit != nil {
		if *req.ListLimit < 1 || *req.ListLimit > MaxShockListLimit {
			return out, invalid("list_limit", fmt.Sprintf("must be from 1 to %d", MaxShockListLimit))
		}
		out.ListLimit = *req.ListLimit
	}
	out.RowLimit = DefaultShockPageSize
	if req.PageSize != nil {
		if *req.PageSize < 1 || *req.PageSize > MaxShockPageSize {
			return out, invalid("page_size", fmt.Sprintf("must be from 1 to %d", MaxShockPageSize))
		}
		out.RowLimit = *req.PageSize
	}
	out.Now = now
	return out, nil
}

// ShorthandPattern is the form of an event shorthand in a shock request,
// as the OpenAPI document states it (ShockChange.events): the kinds of
// contagion.ParseEvent in lower case, an AMOUNT a plain decimal number
// from 0 to 1e9 and DAYS a whole number from 0 to 1e9. ParseEvent alone
// is more lenient (spaces, upper case, exponents), as suits the command
// line; the API takes only what its document says.
const ShorthandPattern = `^(default(:AMOUNT)?|purchase:AMOUNT|(missed_bill|late_bill|late_credit|missed_credit)(:DAYS)?|paid_bill|paid_credit)$`

const (
	shorthandAmount = `((0|[1-9][0-9]{0,8})(\.[0-9]{1,9})?|1000000000(\.0{1,9})?)`
	shorthandDays   = `(0|[1-9][0-9]{0,8}|1000000000)`
)

// shorthandPattern is ShorthandPattern compiled, AMOUNT and DAYS spelled out.
var shorthandPattern = regexp.MustCompile(strings.NewReplacer("AMOUNT", shorthandAmount, "DAYS", shorthandDays).Replace(ShorthandPattern))

// parseShockEvents decodes the events of one change: shorthand strings or
// event objects, 1..MaxEvents of them.
func parseShockEvents(raw *[]json.RawMessage, field string, now time.Time) ([]graph.Event, error) {
	if raw == nil {
		return nil, invalid(field, "is required")
	}
	if n := len(*raw); n == 0 || n > MaxEvents {
		return nil, invalid(field, fmt.Sprintf("must hold 1 to %d events, not %d", MaxEvents, n))
	}
	out := make([]graph.Event, len(*raw))
	for i, m := range *raw {
		prefix := field + "/" + strconv.Itoa(i)
		if len(m) > 0 && m[0] == '"' {
			var spec string
			if err := json.Unmarshal(m, &spec); err != nil {
				return nil, invalid(prefix, "must be a string or an event object")
			}
			e, err := contagion.ParseEvent(spec, now)
			if err != nil {
				var ve *graph.ValidationError
				reason := err.Error()
				if errors.As(err, &ve) {
					reason = ve.Reason
				}
				return nil, invalid(prefix, fmt.Sprintf("%s (shorthands: %s)", reason, strings.Join(contagion.EventKinds(), ", ")))
			}
			if !shorthandPattern.MatchString(spec) {
				return nil, invalid(prefix, fmt.Sprintf("%q is not written as the API takes a shorthand: lower case, no spaces, plain decimal numbers (pattern %s)",
					spec, ShorthandPattern))
			}
			out[i] = e
			continue
		}
		if len(m) == 0 || m[0] != '{' {
			return nil, invalid(prefix, "must be a shorthand string (e.g. \"default\") or an event object")
		}
		e, err := decodeEvent(m, prefix, now)
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

// postShock is POST /v1/experiments/shock: a shock experiment on the
// cached snapshot. It changes records on a copy only: nothing is stored.
// Its cost (people reachable × steps) is checked against the role's
// budget, it runs holding a heavy slot, and its lists come in pages
// (ShockPage): each page is computed afresh and keeps only its own rows.
func (s *Server) postShock(c *gin.Context) {
	ctx := c.Request.Context()
	var req shockRequest
	if _, err := s.bindJSON(c, &req, false); err != nil {
		s.writeError(c, err)
		return
	}
	sreq, err := s.parseShock(&req, s.clock())
	if err != nil {
		s.writeError(c, err)
		return
	}
	pol := s.cfg.Policy
	view := s.runner.View()
	if view != nil {
		pol = view.Policy
	}
	if req.Policy != nil {
		var ok bool
		if pol, ok = s.policy(*req.Policy); !ok {
			s.writeError(c, invalid("policy", fmt.Sprintf("unknown policy %q (known: %s)",
				*req.Policy, strings.Join(s.policyNames(), ", "))))
			return
		}
	}
	e, err := s.snaps.get(ctx)
	if err != nil {
		s.writeError(c, err)
		return
	}
	fp, err := s.shockFingerprint(ctx, *req.Changes, &sreq, pol, e, view)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if req.Cursor != nil {
		if sreq.RowOffset, err = s.parseCursor(*req.Cursor, fp); err != nil {
			s.writeError(c, err)
			return
		}
	}
	field := "changes"
	if req.MaxSteps != nil {
		field = "max_steps"
	}
	cost, detail, err := s.shockCost(ctx, e, sreq)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if err := s.checkCost(ctx, admission.Shock, field, cost, detail); err != nil {
		s.writeError(c, err)
		return
	}
	release, err := s.heavySlot(ctx)
	if err != nil {
		s.writeError(c, err)
		return
	}
	var body []byte
	err = s.heavy.Run(func() (err error) { body, err = s.shockBody(ctx, e, pol, sreq, fp); return err })
	release() // the body is encoded in the slot; a slow reader does not hold it
	if err != nil {
		s.writeError(c, err)
		return
	}
	writeJSONBytes(c, http.StatusOK, body)
}

// shockBody runs the experiment, records the reads and encodes the answer:
// the heavy part of a shock request, done holding a heavy slot.
func (s *Server) shockBody(ctx context.Context, e *snapEntry, pol scoring.Policy, sreq contagion.ShockRequest, fp []byte) ([]byte, error) {
	res, err := s.runShock(ctx, e, pol, sreq)
	if err != nil {
		return nil, err
	}
	page := &ShockPage{Offset: sreq.RowOffset, Rows: min(max(res.Rows-sreq.RowOffset, 0), sreq.RowLimit),
		RowsTotal: res.Rows, Size: sreq.RowLimit}
	if next := sreq.RowOffset + sreq.RowLimit; next < res.Rows {
		page.NextCursor = s.cursor(next, fp)
	}
	var out any
	if infoFrom(ctx).role == graph.RoleResearcher {
		// Pseudonymised, no scores: nothing read.
		if out, err = researcherShock(res, page, s.pageKey(fp)); err != nil {
			return nil, err
		}
	} else {
		if err := s.recordReads(infoFrom(ctx), routeShock, shockAudit(res)...); err != nil {
			return nil, err
		}
		out = ShockResponse{ShockResult: res, SnapshotAt: e.loadedAt.UTC(), Page: page}
	}
	body, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode shock: %w", err)
	}
	return body, nil
}

// runShock is the experiment itself, on one goroutine (a heavy slot is
// held).
func (s *Server) runShock(ctx context.Context, e *snapEntry, pol scoring.Policy, sreq contagion.ShockRequest) (contagion.ShockResult, error) {
	base, err := s.baseline(ctx, e, pol)
	if err != nil {
		return contagion.ShockResult{}, err
	}
	sreq.Baseline = base
	sreq.Workers = 1
	return contagion.Shock(ctx, e.snap, pol, sreq)
}

// shockFingerprint identifies a shock's result across its pages: the
// request (without its paging), the policy, the network and scores it
// runs on and who asks (role and key), keyed with the server's secret.
// A cursor carries it, and a researcher's pseudonyms are made with a key
// derived from it (pageKey), so they are the same on every page of one
// result and differ between results.
func (s *Server) shockFingerprint(ctx context.Context, changes []json.RawMessage, r *contagion.ShockRequest, pol scoring.Policy, e *snapEntry, view *scoring.View) ([]byte, error) {
	runID := ""
	if view != nil {
		runID = view.Run.ID
	}
	// The changes as sent (compacted): events given as shorthands are
	// dated from the time of each request.
	var raw bytes.Buffer
	for _, ch := range changes {
		if err := json.Compact(&raw, ch); err != nil {
			return nil, invalid("changes", err.Error())
		}
		raw.WriteByte('\n')
	}
	key, role := heavyKey(ctx)
	doc, err := json.Marshal(struct {
		Changes   string
		Policy    scoring.Policy
		MaxSteps  int
		ListLimit int
		Snapshot  time.Time
		Run       string
		Key, Role string
	}{raw.String(), pol, r.MaxSteps, r.ListLimit, e.loadedAt, runID, key, role})
	if err != nil {
		return nil, fmt.Errorf("shock fingerprint: %w", err)
	}
	m := hmac.New(sha256.New, s.pages)
	m.Write([]byte("shock\x00"))
	m.Write(doc)
	return m.Sum(nil), nil
}

// pageKey is the pseudonymisation key of a researcher's shock result.
func (s *Server) pageKey(fp []byte) []byte {
	m := hmac.New(sha256.New, s.pages)
	m.Write([]byte("pseudonyms\x00"))
	m.Write(fp)
	return m.Sum(nil)
}

// cursorTag is how many bytes of the fingerprint a cursor carries.
const cursorTag = 16

// cursor encodes the offset of the next page with the result's
// fingerprint.
func (s *Server) cursor(offset int, fp []byte) string {
	b := binary.BigEndian.AppendUint64(nil, uint64(offset))
	return base64.RawURLEncoding.EncodeToString(append(b, fp[:cursorTag]...))
}

// parseCursor returns the offset a cursor asks for, or a 400 naming
// "cursor" if it is not one of this result's.
func (s *Server) parseCursor(c string, fp []byte) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) != 8+cursorTag {
		return 0, invalid("cursor", "is not a cursor of this server: send next_cursor of the previous page as it came")
	}
	if !hmac.Equal(b[8:], fp[:cursorTag]) {
		return 0, invalid("cursor", "belongs to another request, or the network or scores changed since the first page: ask again without a cursor")
	}
	off := binary.BigEndian.Uint64(b[:8])
	if off > math.MaxInt32 {
		return 0, invalid("cursor", "is out of range")
	}
	return int(off), nil
}

// shockAudit lists everyone whose score a shock result shows, once.
func shockAudit(res contagion.ShockResult) []AuditRecord {
	seen := map[graph.ID]bool{}
	var recs []AuditRecord
	add := func(id graph.ID) {
		if !seen[id] {
			seen[id] = true
			recs = append(recs, AuditRecord{Person: id})
		}
	}
	for _, ch := range res.Changes {
		add(ch.ID)
	}
	for _, st := range res.Steps {
		for _, d := range st.Deltas {
			add(d.ID)
		}
	}
	for _, d := range res.Total.Deltas {
		add(d.ID)
	}
	return recs
}

// baseline returns the snapshot scored under the policy, computed once per
// snapshot and policy (the same name may stand for different policies:
// the view's policy is the one stored with its run).
func (s *Server) baseline(ctx context.Context, e *snapEntry, pol scoring.Policy) ([]graph.Result, error) {
	spec, err := json.Marshal(pol)
	if err != nil {
		return nil, fmt.Errorf("encode policy: %w", err)
	}
	sum := sha256.Sum256(spec)
	v, err := s.snaps.memo(ctx, e, "baseline/"+hex.EncodeToString(sum[:]), func(ctx context.Context) (any, error) {
		res, _, err := scoring.ScoreSnapshot(ctx, e.snap, pol, scoring.Options{Workers: 1}) // in a heavy slot
		return res, err
	})
	if err != nil {
		return nil, err
	}
	return v.([]graph.Result), nil
}

// MetricsResponse is the body of GET /v1/network/metrics: the network
// report of package community over the cached snapshot and the current
// scores.
type MetricsResponse struct {
	community.NetworkReport
	// RunID is the run whose scores the report lays over the network (""
	// before the first run: everyone is unscored).
	RunID      string    `json:"run_id"`
	SnapshotAt time.Time `json:"snapshot_at"`
}

// getNetworkMetrics is GET /v1/network/metrics. The report is computed
// once per snapshot and score view; it holds only aggregates (no person is
// named), so it is not audited.
func (s *Server) getNetworkMetrics(c *gin.Context) {
	ctx := c.Request.Context()
	if _, err := queryParams(c); err != nil {
		s.writeError(c, err)
		return
	}
	e, err := s.snaps.get(ctx)
	if err != nil {
		s.writeError(c, err)
		return
	}
	view := s.runner.View()
	var results []graph.Result
	runID := ""
	if view != nil {
		results, runID = view.Results(), view.Run.ID
	}
	v, err := s.snaps.memo(ctx, e, "report/"+runID, func(ctx context.Context) (any, error) {
		return community.Report(ctx, e.snap, results, community.ReportOptions{})
	})
	if err != nil {
		s.writeError(c, err)
		return
	}
	writeJSON(c, http.StatusOK, MetricsResponse{NetworkReport: v.(community.NetworkReport), RunID: runID,
		SnapshotAt: e.loadedAt.UTC()})
}
