package api

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPIDoc is the OpenAPI 3.1 document of this API, kept in the repo as
// api/openapi.json; a test checks that it lists exactly the routes served.
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the OpenAPI document served at /openapi.json.
func OpenAPI() []byte { return append([]byte(nil), openAPIDoc...) }

// healthz is GET /healthz: the process is alive.
func (s *Server) healthz(c *gin.Context) {
	writeJSONBytes(c, http.StatusOK, []byte(`{"status":"ok"}`))
}

// ReadyResponse is the body of GET /readyz when ready.
type ReadyResponse struct {
	Status        string `json:"status"`          // "ready"
	ScoresLoaded  bool   `json:"scores_loaded"`   // a score view is being served
	RunID         string `json:"run_id"`          // run of the view, "" if none
	PeopleScored  int    `json:"people_scored"`   // people in the view
	RunInProgress bool   `json:"run_in_progress"` // a scoring run is going
}

// readyz is GET /readyz: ready means the store answers a ping. Whether
// scores are loaded is reported but does not decide readiness: a new,
// empty deployment must be able to take writes before its first run.
func (s *Server) readyz(c *gin.Context) {
	if err := s.ping(c.Request.Context()); err != nil {
		c.Header("Retry-After", retryAfterSeconds)
		writeProblem(c, Problem{Type: typeUnavailable, Title: "Service unavailable",
			Status: http.StatusServiceUnavailable, Detail: "the store cannot be reached",
			Instance: c.Request.URL.Path})
		return
	}
	if ch, ok := s.audit.(interface{ Check() error }); ok {
		if err := ch.Check(); err != nil {
			c.Header("Retry-After", retryAfterSeconds)
			writeProblem(c, Problem{Type: typeUnavailable, Title: "Service unavailable",
				Status: http.StatusServiceUnavailable, Detail: "the audit log cannot be written: " + err.Error(),
				Instance: c.Request.URL.Path})
			return
		}
	}
	out := ReadyResponse{Status: "ready", RunInProgress: s.runner.Running()}
	if v := s.runner.View(); v != nil {
		out.ScoresLoaded, out.RunID, out.PeopleScored = true, v.Run.ID, v.Len()
	}
	writeJSON(c, http.StatusOK, out)
}

// openapi is GET /openapi.json.
func (s *Server) openapi(c *gin.Context) {
	h := c.Writer.Header()
	h["Content-Type"] = jsonContentType
	c.Status(http.StatusOK)
	_, _ = c.Writer.Write(openAPIDoc)
}
