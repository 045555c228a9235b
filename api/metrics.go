package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus collectors. Request metrics are
// labelled by method, route pattern (e.g. /v1/people/{id}/score, never the
// raw path) and status code; the children for a route and status are
// resolved once and cached, so a request costs two atomic loads and the
// observations, not a label hash.
type metrics struct {
	reg *prometheus.Registry

	requests *prometheus.CounterVec   // method, route, code
	latency  *prometheus.HistogramVec // method, route, code

	runs         *prometheus.CounterVec   // status
	runDuration  *prometheus.HistogramVec // policy, status
	runPhase     *prometheus.GaugeVec     // phase: seconds of the last successful run
	peopleScored prometheus.GaugeFunc     // read from the runner's view when scraped
	audited      prometheus.Counter
	auditErrors  prometheus.Counter
	storeUp      prometheus.GaugeFunc // read from the server's ping state when scraped

	routes    map[routeKey]*routeMetrics
	unmatched *routeMetrics
	handler   http.Handler // serves reg in the text exposition format
}

type routeKey struct{ method, path string }

// routeMetrics caches the children of one route.
type routeMetrics struct {
	m      *metrics
	method string
	route  string // OpenAPI-style pattern, e.g. /v1/people/{id}
	quiet  bool
	codes  [600]atomic.Pointer[codeMetrics]
}

type codeMetrics struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

// newMetrics registers the server's collectors with reg. peopleScored and
// storeUp are read when scraped.
func newMetrics(reg *prometheus.Registry, peopleScored, storeUp func() float64) (*metrics, error) {
	m := &metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "socialscore", Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests served, by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "socialscore", Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time to serve HTTP requests, by method, route pattern and status code.",
			Buckets: []float64{.0001, .00025, .0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route", "code"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "socialscore", Subsystem: "scoring", Name: "runs_total",
			Help: "Scoring runs started through the API, by outcome (succeeded, failed).",
		}, []string{"status"}),
		runDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "socialscore", Subsystem: "scoring", Name: "run_duration_seconds",
			Help:    "Wall time of scoring runs, by policy and outcome.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 12), // 10ms .. ~10min
		}, []string{"policy", "status"}),
		runPhase: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "socialscore", Subsystem: "scoring", Name: "last_run_phase_seconds",
			Help: "Duration of each phase of the last successful scoring run.",
		}, []string{"phase"}),
		peopleScored: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "socialscore", Subsystem: "scoring", Name: "people_scored",
			Help: "People in the current score view.",
		}, peopleScored),
		audited: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "socialscore", Subsystem: "audit", Name: "records_total",
			Help: "Score-read audit records accepted.",
		}),
		auditErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "socialscore", Subsystem: "audit", Name: "errors_total",
			Help: "Score reads refused because their audit record could not be accepted.",
		}),
		storeUp: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "socialscore", Subsystem: "store", Name: "up",
			Help: "1 if the store was reachable at the last check, else 0.",
		}, storeUp),
		routes: map[routeKey]*routeMetrics{},
	}
	var done []prometheus.Collector
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.runs, m.runDuration, m.runPhase,
		m.peopleScored, m.audited, m.auditErrors, m.storeUp} {
		if err := reg.Register(c); err != nil {
			for _, d := range done {
				reg.Unregister(d)
			}
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return nil, fmt.Errorf("api: metrics already registered (one server per registry): %w", err)
			}
			return nil, fmt.Errorf("api: register metrics: %w", err)
		}
		done = append(done, c)
	}
	m.unmatched = &routeMetrics{m: m, route: "unmatched"}
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return m, nil
}

// addRoute prepares the metrics of a route given as a gin pattern.
func (m *metrics) addRoute(method, ginPath string, quiet bool) {
	m.routes[routeKey{method, ginPath}] = &routeMetrics{m: m, method: method, route: openAPIPath(ginPath), quiet: quiet}
}

// route returns the metrics of the matched route ("" for none).
func (m *metrics) route(method, ginPath string) *routeMetrics {
	if rm, ok := m.routes[routeKey{method, ginPath}]; ok {
		return rm
	}
	return m.unmatched
}

// observe counts one request.
func (rm *routeMetrics) observe(status int, d time.Duration) {
	if status < 0 || status >= len(rm.codes) {
		status = 0
	}
	cm := rm.codes[status].Load()
	if cm == nil {
		method := rm.method
		if method == "" {
			method = "other" // unmatched routes: do not let clients mint label values
		}
		code := strconv.Itoa(status)
		cm = &codeMetrics{
			count:   rm.m.requests.WithLabelValues(method, rm.route, code),
			latency: rm.m.latency.WithLabelValues(method, rm.route, code),
		}
		rm.codes[status].Store(cm)
	}
	cm.count.Inc()
	cm.latency.Observe(d.Seconds())
}

// openAPIPath converts a gin pattern (/people/:id) to OpenAPI's (/people/{id}).
func openAPIPath(p string) string {
	b := []byte(nil)
	for i := 0; i < len(p); i++ {
		if p[i] == ':' || p[i] == '*' {
			j := i + 1
			for j < len(p) && p[j] != '/' {
				j++
			}
			b = append(b, '{')
			b = append(b, p[i+1:j]...)
			b = append(b, '}')
			i = j - 1
			continue
		}
		b = append(b, p[i])
	}
	return string(b)
}

// serveMetrics is GET /metrics in the Prometheus text format.
func (s *Server) serveMetrics(c *gin.Context) {
	s.metrics.handler.ServeHTTP(c.Writer, c.Request)
}
