package api

import (
	_ "embed"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/socialscore/socialscore/internal/admission"
	"github.com/socialscore/socialscore/internal/connlimit"
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
	// Connections and MaxConnections: open connections and their cap,
	// when the server caps them (Config.Connections).
	Connections    *int `json:"connections,omitempty"`
	MaxConnections int  `json:"max_connections,omitempty"`
}

// readyz is GET /readyz: ready means the store answers a ping and the
// server is not overloaded (open connections below
// connlimit.OverloadedShare of the cap), so a load balancer sends new
// clients elsewhere before the cap refuses them. Whether scores are loaded
// is reported but does not decide readiness: a new, empty deployment must
// be able to take writes before its first run.
func (s *Server) readyz(c *gin.Context) {
	var conns *connlimit.Stats
	if s.cfg.Connections != nil {
		st := s.cfg.Connections.Stats()
		conns = &st
		if st.Overloaded {
			c.Header("Retry-After", retryAfterSeconds)
			writeProblem(c, Problem{Type: typeOverloaded, Title: "Service unavailable",
				Status: http.StatusServiceUnavailable, Instance: c.Request.URL.Path,
				Detail: fmt.Sprintf("overloaded: %d connections open, the cap is %d (ready again below %d)",
					st.Open, st.Max, int(connlimit.OverloadedShare*float64(st.Max)))})
			return
		}
	}
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
	if conns != nil {
		out.Connections, out.MaxConnections = &conns.Open, conns.Max
	}
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

// registerConnMetrics exposes the connection limiter's counts.
func registerConnMetrics(reg *prometheus.Registry, l *connlimit.Limiter) error {
	open := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "socialscore", Subsystem: "http", Name: "open_connections",
		Help: "Connections open to the API now.",
	}, func() float64 { return float64(l.Stats().Open) })
	maxc := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "socialscore", Subsystem: "http", Name: "max_connections",
		Help: "The cap on open connections to the API.",
	}, func() float64 { return float64(l.Stats().Max) })
	refused := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Namespace: "socialscore", Subsystem: "http", Name: "refused_connections_total",
		Help: "Connections closed on accept because the total cap or the per-address cap was reached.",
	}, func() float64 { st := l.Stats(); return float64(st.Refused + st.RefusedIP) })
	for _, c := range []prometheus.Collector{open, maxc, refused} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// registerHeavyMetrics exposes the heavy-work pool (api/admission.go).
func registerHeavyMetrics(reg *prometheus.Registry, p *admission.Pool) error {
	gauge := func(name, help string, f func(admission.Stats) int64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "socialscore", Subsystem: "heavy", Name: name, Help: help},
			func() float64 { return float64(f(p.Stats())) })
	}
	promoted := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Namespace: "socialscore", Subsystem: "heavy", Name: "promoted_threads_total",
		Help: "Heavy-work threads moved back from SCHED_IDLE to nice 10 because other processes left them no core.",
	}, func() float64 { return float64(p.Stats().Promoted) })
	for _, c := range []prometheus.Collector{
		gauge("slots", "Heavy operations that may run at once.", func(s admission.Stats) int64 { return int64(s.Slots) }),
		gauge("running", "Heavy operations running now.", func(s admission.Stats) int64 { return int64(s.Held) }),
		gauge("waiting", "Heavy operations waiting for a slot.", func(s admission.Stats) int64 { return int64(s.Waiting) }),
		promoted,
	} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
