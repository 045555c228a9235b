package neo4j

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/db"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"bolt", Config{URI: "bolt://localhost:7687"}, true},
		{"neo4j+s", Config{URI: "neo4j+s://db.example.com"}, true},
		{"empty", Config{}, false},
		{"no host", Config{URI: "bolt://"}, false},
		{"http", Config{URI: "http://localhost:7474"}, false},
		{"negative batch", Config{URI: "bolt://h:1", BatchSize: -1}, false},
		{"negative writers", Config{URI: "bolt://h:1", Writers: -1}, false},
		{"negative timeout", Config{URI: "bolt://h:1", RetryTime: -time.Second}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, graph.ErrInvalid)
			}
		})
	}
	c := Config{URI: "bolt://h:1"}.withDefaults()
	assert.Equal(t, DefaultDatabase, c.Database)
	assert.Equal(t, DefaultBatchSize, c.BatchSize)
	assert.Equal(t, DefaultKeepRuns, c.KeepRuns)
	assert.Equal(t, DefaultSplitTxRows, c.SplitTxRows)
	assert.Equal(t, DefaultWriters, c.Writers)
	assert.NotNil(t, c.Clock)
	c = Config{URI: "bolt://h:1", BatchSize: 100, TxRows: 300, SplitTxRows: 1000}.withDefaults()
	assert.Equal(t, 300, c.SplitTxRows, "a split transaction is no larger than TxRows")
}

func TestErrorMapping(t *testing.T) {
	live, cancel := context.WithCancel(context.Background())
	defer cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	s := &Store{}
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want error // nil: none of the graph kinds
	}{
		{"connectivity", live, &drv.ConnectivityError{Inner: io.EOF}, graph.ErrUnavailable},
		{"retries exhausted", live, &drv.TransactionExecutionLimit{Cause: "timeout"}, graph.ErrUnavailable},
		{"connection refused", live, &net.OpError{Op: "dial", Err: errors.New("connection refused")}, graph.ErrUnavailable},
		{"transient", live, &db.Neo4jError{Code: "Neo.TransientError.General.DatabaseUnavailable"}, graph.ErrUnavailable},
		{"deadline while connecting", expired, fmt.Errorf("acquire: %w", context.DeadlineExceeded), graph.ErrUnavailable},
		{"constraint", live, &db.Neo4jError{Code: "Neo.ClientError.Schema.ConstraintValidationFailed"}, graph.ErrConflict},
		{"domain kind kept", live, fmt.Errorf("person 3: %w", graph.ErrNotFound), graph.ErrNotFound},
		{"syntax error", live, &db.Neo4jError{Code: "Neo.ClientError.Statement.SyntaxError"}, nil},
		{"cancelled by caller", live, context.Canceled, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.wrap(tt.ctx, "put tie 3-4", tt.err)
			assert.ErrorContains(t, err, "neo4j: put tie 3-4: ")
			assert.ErrorIs(t, err, tt.err, "the cause stays visible")
			for _, kind := range []error{graph.ErrUnavailable, graph.ErrConflict, graph.ErrNotFound, graph.ErrInvalid} {
				assert.Equal(t, kind == tt.want, errors.Is(err, kind), "errors.Is(%v)", kind)
			}
		})
	}
	assert.NoError(t, s.wrap(live, "x", nil))
}

// TestOpenUnreachable: nothing listens on the port.
func TestOpenUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, err = Open(ctx, Config{URI: "bolt://" + addr, ConnectTimeout: time.Second, RetryTime: time.Second})
	assert.ErrorIs(t, err, graph.ErrUnavailable)
	assert.ErrorContains(t, err, "neo4j: open")

	_, err = Open(ctx, Config{URI: "http://" + addr})
	assert.ErrorIs(t, err, graph.ErrInvalid)
}

func TestOpenWrongPassword(t *testing.T) {
	cfg := testConfig(t)
	if cfg.Password == "" {
		t.Log("server has no authentication: nothing to check")
		return
	}
	cfg.Password += "-wrong"
	s, err := Open(t.Context(), cfg)
	if err == nil {
		s.Close()
	}
	require.Error(t, err)
	assert.NotErrorIs(t, err, graph.ErrUnavailable, "a rejected password is not an outage")
}

// proxy forwards TCP connections to target until it is cut; a cut proxy
// closes every open connection and refuses new ones, as a server that
// went away would.
type proxy struct {
	target string
	l      net.Listener

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *proxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxy{target: target, l: l, conns: map[net.Conn]bool{}}
	go p.serve()
	t.Cleanup(func() { l.Close(); p.cut() })
	return p
}

func (p *proxy) addr() string { return p.l.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		if !down {
			p.conns[c] = true
		}
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		go p.forward(c)
	}
}

func (p *proxy) forward(c net.Conn) {
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[up] = true
	p.mu.Unlock()
	go func() { io.Copy(up, c); up.Close() }()
	io.Copy(c, up)
	c.Close()
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

func (p *proxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

// TestServerGoesAwayAndComesBack: while the server cannot be reached every
// call fails with ErrUnavailable within the retry budget; afterwards the
// same Store works again.
func TestServerGoesAwayAndComesBack(t *testing.T) {
	cfg := testConfig(t)
	target := hostPort(t, cfg.URI)
	s0 := openEmpty(t, nil) // wipe
	require.NoError(t, s0.Close())

	p := newProxy(t, target)
	cfg.URI = "bolt://" + p.addr()
	cfg.RetryTime = 2 * time.Second
	cfg.ConnectTimeout = time.Second
	ctx := t.Context()
	s, err := Open(ctx, cfg)
	require.NoError(t, err)
	defer s.Close()
	_, err = s.PutPerson(ctx, graph.Person{ID: 1, Consent: true})
	require.NoError(t, err)

	p.cut()
	start := time.Now()
	timed := func(what string, err error) {
		t.Helper()
		assert.ErrorIs(t, err, graph.ErrUnavailable, what)
		t.Logf("%s while the server is away: %v after %v", what, err, time.Since(start).Round(time.Millisecond))
		start = time.Now()
	}
	timed("ping", s.Ping(ctx))
	_, err = s.Person(ctx, 1)
	timed("read", err)
	_, err = s.PutPerson(ctx, graph.Person{ID: 2, Consent: true})
	timed("write", err)
	_, err = s.Snapshot(ctx)
	timed("snapshot", err)
	short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	_, err = s.Counts(short)
	cancel()
	timed("counts with a deadline", err)

	p.restore()
	start = time.Now()
	require.Eventually(t, func() bool { return s.Ping(ctx) == nil }, 30*time.Second, 100*time.Millisecond, "ping after the server is back")
	t.Logf("ping answered %v after the server came back", time.Since(start).Round(time.Millisecond))
	got, err := s.Person(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, graph.ID(1), got.ID)
	created, err := s.PutPerson(ctx, graph.Person{ID: 2, Consent: true})
	require.NoError(t, err)
	assert.True(t, created, "the write during the outage did not happen")
	c, err := s.Counts(ctx)
	require.NoError(t, err)
	assert.Equal(t, graph.Counts{People: 2, Consenting: 2}, c)
}

func hostPort(t *testing.T, uri string) string {
	t.Helper()
	u, err := url.Parse(uri)
	require.NoError(t, err)
	port := u.Port()
	if port == "" {
		port = "7687"
	}
	return net.JoinHostPort(u.Hostname(), port)
}
