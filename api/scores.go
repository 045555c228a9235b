package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/strictjson"
	"github.com/socialscore/socialscore/scoring"
)

// Route patterns of the score reads, as recorded in audit records.
const (
	routeScore      = "/v1/people/{id}/score"
	routeScoreBatch = "/v1/scores/batch"
)

// MaxBatchIDs bounds the ids of one POST /v1/scores/batch.
const MaxBatchIDs = 1000

// ScoreResponse is the score of one person as sent by GET
// /v1/people/{id}/score and in POST /v1/scores/batch. The server encodes it
// with a hand-written encoder (scoreEncoder); this type documents the
// shape and is what tests compare that encoder against.
type ScoreResponse struct {
	ID         graph.ID            `json:"id"`
	Score      int                 `json:"score"`
	Individual int                 `json:"individual"`
	Policy     string              `json:"policy"`
	RunID      string              `json:"run_id"`
	ComputedAt time.Time           `json:"computed_at"` // when the run finished
	Band       string              `json:"band"`
	Components []scoring.Component `json:"components"` // 350 + Σ points = score (±1)
	Reasons    []scoring.Reason    `json:"reasons"`    // at most four, most adverse first
	Centrality Centrality          `json:"centrality"`
	Perks      []string            `json:"perks"`
	Friends    Friends             `json:"friends"`
	// Network divides the network component between the friends who
	// raise it and those who lower it (raise.points + lower.points = the
	// network component's points); null for a score stored before
	// friends' shares were kept.
	Network *scoring.NetworkSplit `json:"network"`
	// DisputesOpen is how many of the person's disputes are open now.
	DisputesOpen int `json:"disputes_open"`
	// Stale is true while the store is unreachable: the score is the last
	// one computed and may be out of date.
	Stale bool `json:"stale"`
}

// Centrality is a person's PageRank and its percentile among the scored.
type Centrality struct {
	PageRank   float64 `json:"pagerank"`
	Percentile float64 `json:"percentile"`
}

// Friends summarises a person's consenting friends; MeanScore is null when
// there are none.
type Friends struct {
	Count     int32    `json:"count"`
	MeanScore *float64 `json:"mean_score"`
}

// maxReasons is the most reasons a score carries.
const maxReasons = 4

// newScoreResponse builds the response value (used by tests and as the
// specification of scoreEncoder).
func newScoreResponse(r graph.Result, v *scoring.View, e scoring.Explanation, stale bool) ScoreResponse {
	out := ScoreResponse{
		ID: r.ID, Score: r.Score, Individual: r.Individual, Policy: v.Run.Policy, RunID: v.Run.ID,
		ComputedAt: v.Run.FinishedAt.UTC(), Band: e.Band, Components: e.Components, Reasons: e.Reasons,
		Centrality: Centrality{PageRank: r.PageRank, Percentile: r.Percentile},
		Perks:      e.Perks, Friends: Friends{Count: r.Friends}, Stale: stale,
		Network: e.Network,
	}
	if len(out.Reasons) > maxReasons {
		out.Reasons = out.Reasons[:maxReasons]
	}
	if out.Components == nil {
		out.Components = []scoring.Component{}
	}
	if out.Reasons == nil {
		out.Reasons = []scoring.Reason{}
	}
	if out.Perks == nil {
		out.Perks = []string{}
	}
	if r.Friends > 0 {
		m := r.FriendMean
		out.Friends.MeanScore = &m
	}
	return out
}

// scoreEncoder appends score objects as JSON without reflection. The
// parts that are the same for every person of a view (policy, run id,
// computed_at) are encoded once per view.
type scoreEncoder struct {
	cur      atomic.Pointer[viewParts]
	disputes *openDisputes // nil: none open
}

type viewParts struct {
	view *scoring.View
	// `,"policy":"..","run_id":"..","computed_at":".."`
	mid []byte
}

func (se *scoreEncoder) parts(v *scoring.View) *viewParts {
	if p := se.cur.Load(); p != nil && p.view == v {
		return p
	}
	b := []byte(`,"policy":`)
	b = appendJSONString(b, v.Run.Policy)
	b = append(b, `,"run_id":`...)
	b = appendJSONString(b, v.Run.ID)
	b = append(b, `,"computed_at":"`...)
	b = v.Run.FinishedAt.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	p := &viewParts{view: v, mid: b}
	se.cur.Store(p)
	return p
}

// append appends the score object of r from view v.
func (se *scoreEncoder) append(b []byte, r graph.Result, v *scoring.View, e *scoring.Explanation, stale bool) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(r.ID), 10)
	b = append(b, `,"score":`...)
	b = strconv.AppendInt(b, int64(r.Score), 10)
	b = append(b, `,"individual":`...)
	b = strconv.AppendInt(b, int64(r.Individual), 10)
	b = append(b, se.parts(v).mid...)
	b = append(b, `,"band":`...)
	b = appendJSONString(b, e.Band)
	b = append(b, `,"components":[`...)
	for i, c := range e.Components {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = appendJSONString(b, c.Name)
		b = append(b, `,"points":`...)
		b = strconv.AppendInt(b, int64(c.Points), 10)
		if c.Max != nil {
			b = append(b, `,"max":`...)
			b = strconv.AppendInt(b, int64(*c.Max), 10)
		}
		b = append(b, '}')
	}
	b = append(b, `],"reasons":[`...)
	for i, rs := range e.Reasons {
		if i == maxReasons {
			break
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"code":`...)
		b = appendJSONString(b, rs.Code)
		b = append(b, `,"text":`...)
		b = appendJSONString(b, rs.Text)
		b = append(b, `,"points":`...)
		b = strconv.AppendInt(b, int64(rs.Points), 10)
		b = append(b, `,"points_missing":`...)
		b = strconv.AppendInt(b, int64(rs.PointsMissing), 10)
		b = append(b, '}')
	}
	b = append(b, `],"centrality":{"pagerank":`...)
	b = appendJSONFloat(b, r.PageRank)
	b = append(b, `,"percentile":`...)
	b = appendJSONFloat(b, r.Percentile)
	b = append(b, `},"perks":[`...)
	for i, p := range e.Perks {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, p)
	}
	b = append(b, `],"friends":{"count":`...)
	b = strconv.AppendInt(b, int64(r.Friends), 10)
	b = append(b, `,"mean_score":`...)
	if r.Friends > 0 {
		b = appendJSONFloat(b, r.FriendMean)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `},"network":`...)
	if n := e.Network; n != nil {
		b = append(b, `{"raise":{"friends":`...)
		b = strconv.AppendInt(b, int64(n.Raise.Friends), 10)
		b = append(b, `,"points":`...)
		b = strconv.AppendInt(b, int64(n.Raise.Points), 10)
		b = append(b, `},"lower":{"friends":`...)
		b = strconv.AppendInt(b, int64(n.Lower.Friends), 10)
		b = append(b, `,"points":`...)
		b = strconv.AppendInt(b, int64(n.Lower.Points), 10)
		b = append(b, `}}`...)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"disputes_open":`...)
	b = strconv.AppendInt(b, int64(se.disputes.open(r.ID)), 10)
	if stale {
		b = append(b, `,"stale":true}`...)
	} else {
		b = append(b, `,"stale":false}`...)
	}
	return b
}

// bufPool recycles response buffers of the score reads.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// errNoScore is the 404 of a score read. It does not say why there is no
// score: unknown, not consenting, erased and not yet scored look the same.
func errNoScore(field string, id graph.ID) *apiError {
	return notFound(field, fmt.Sprintf("no score for person %d (unknown, not consenting, or not scored yet)", id))
}

// getScore is GET /v1/people/{id}/score. It reads only the in-memory view:
// no store access on this path. Every read explains the score afresh
// (scoring.ExplainInto, into a buffer on the stack: no allocation, well
// under a microsecond), so a person's first read costs what any other
// does and the server keeps nothing per person beyond the view;
// visibility is decided by the runner on every read.
func (s *Server) getScore(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	if s.getLiveScore(c, id) { // api/live.go
		return
	}
	res, view, ok := s.runner.Lookup(id)
	if !ok {
		s.writeError(c, errNoScore("id", id))
		return
	}
	ri := infoFrom(c.Request.Context())
	if err := s.recordReads(ri, routeScore, AuditRecord{Person: id}); err != nil {
		s.writeError(c, err)
		return
	}
	var eb scoring.ExplainBuf
	e := scoring.ExplainInto(res, view.Policy, &eb)
	bp := bufPool.Get().(*[]byte)
	b := s.scores.append((*bp)[:0], res, view, &e, !s.storeUp.Load())
	writeJSONBytes(c, http.StatusOK, b)
	*bp = b
	bufPool.Put(bp)
}

// recordReads fills in and submits audit records of score reads. A read
// that cannot be recorded is refused (503).
func (s *Server) recordReads(ri *reqInfo, route string, recs ...AuditRecord) error {
	now := s.clock()
	for i := range recs {
		stampAudit(ri, &recs[i], now, route)
	}
	if err := s.submitAudit(recs); err != nil {
		s.metrics.auditErrors.Inc()
		s.log.Error("api: audit record refused; score read denied", "request_id", ri.id, "error", err)
		return &apiError{
			status: http.StatusServiceUnavailable, typ: typeUnavailable, title: "Service unavailable",
			detail: "the read cannot be recorded in the audit log right now; retry later",
			header: map[string]string{"Retry-After": retryAfterSeconds}, cause: err,
		}
	}
	s.metrics.audited.Add(float64(len(recs)))
	return nil
}

// submitAudit hands records to the auditor. The FileAuditor is called
// directly, and other auditors get a copy, so that the records of a
// single read can stay on the caller's stack: passed through the
// interface they would escape, and one more allocation per read.
func (s *Server) submitAudit(recs []AuditRecord) error {
	if fa, ok := s.audit.(*FileAuditor); ok {
		return fa.Audit(recs...)
	}
	return s.audit.Audit(slices.Clone(recs)...)
}

// batchRequest is the body of POST /v1/scores/batch. Ids are decoded one
// by one so an error names its index.
type batchRequest struct {
	IDs *[]json.RawMessage `json:"ids"`
}

// batchScores is POST /v1/scores/batch: every score or none.
func (s *Server) batchScores(c *gin.Context) {
	var req batchRequest
	if _, err := s.bindJSON(c, &req, false); err != nil {
		s.writeError(c, err)
		return
	}
	ids, err := parseBatchIDs(req.IDs)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if s.batchLiveScores(c, ids) { // api/live.go
		return
	}
	results, view, err := s.lookupAll(ids)
	if err != nil {
		s.writeError(c, err)
		return
	}
	recs := make([]AuditRecord, len(ids))
	for i, id := range ids {
		recs[i].Person = id
	}
	if err := s.recordReads(infoFrom(c.Request.Context()), routeScoreBatch, recs...); err != nil {
		s.writeError(c, err)
		return
	}
	stale := !s.storeUp.Load()
	b := make([]byte, 0, 64+len(results)*1024)
	b = append(b, `{"scores":[`...)
	var eb scoring.ExplainBuf
	for i, r := range results {
		if i > 0 {
			b = append(b, ',')
		}
		e := scoring.ExplainInto(r, view.Policy, &eb)
		b = s.scores.append(b, r, view, &e, stale)
	}
	b = append(b, "]}"...)
	writeJSONBytes(c, http.StatusOK, b)
}

// parseBatchIDs checks the ids of a batch: 1..MaxBatchIDs positive
// integers without duplicates.
func parseBatchIDs(raw *[]json.RawMessage) ([]graph.ID, error) {
	if raw == nil {
		return nil, invalid("ids", "is required")
	}
	if n := len(*raw); n == 0 || n > MaxBatchIDs {
		return nil, invalid("ids", fmt.Sprintf("must hold 1 to %d ids, not %d", MaxBatchIDs, n))
	}
	ids := make([]graph.ID, len(*raw))
	seen := make(map[graph.ID]int, len(*raw))
	for i, m := range *raw {
		field := "ids/" + strconv.Itoa(i)
		id, err := parseJSONID(m)
		if err != nil {
			return nil, invalid(field, "must be a positive integer id")
		}
		if j, dup := seen[id]; dup {
			return nil, invalid(field, fmt.Sprintf("duplicate of ids/%d (%d)", j, id))
		}
		seen[id] = i
		ids[i] = id
	}
	return ids, nil
}

// parseJSONID parses a JSON number that is a positive integer.
func parseJSONID(m json.RawMessage) (graph.ID, error) {
	if len(m) == 0 || m[0] < '0' || m[0] > '9' {
		return 0, fmt.Errorf("not a positive integer")
	}
	// A whole number written with a fraction or an exponent (126.0) is an
	// integer in JSON Schema, and so in the OpenAPI document.
	v, ok := strictjson.WholeInt64(string(m))
	if !ok || v <= 0 {
		return 0, fmt.Errorf("%s is not a positive integer id", m)
	}
	return graph.ID(v), nil
}

// lookupAll finds every id's result in one view. A run
// that completes during the lookups makes it start over, so a batch never
// mixes runs.
func (s *Server) lookupAll(ids []graph.ID) ([]graph.Result, *scoring.View, error) {
	for attempt := 0; ; attempt++ {
		results := make([]graph.Result, len(ids))
		var view *scoring.View
		mixed := false
		for i, id := range ids {
			r, v, ok := s.runner.Lookup(id)
			if !ok {
				return nil, nil, errNoScore("ids/"+strconv.Itoa(i), id)
			}
			if view == nil {
				view = v
			} else if v != view {
				mixed = true
				break
			}
			results[i] = r
		}
		if !mixed || attempt == 2 {
			if mixed {
				return nil, nil, &apiError{status: http.StatusServiceUnavailable, typ: typeUnavailable,
					title: "Service unavailable", detail: "scores changed while the batch was read; retry",
					header: map[string]string{"Retry-After": "1"}}
			}
			return results, view, nil
		}
	}
}
