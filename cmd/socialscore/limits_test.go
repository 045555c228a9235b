package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/api"
	"github.com/socialscore/socialscore/graph"
)

// waitFor polls cond until it holds (a wait for the server to catch up,
// not a measurement: the deadline only ends a hung test).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// slowConns opens n connections from the loopback address from that send
// the start of a request and never finish it: headers that never end
// (slowloris), or, with a key, complete headers and a body that never
// comes. Refused ones are dropped.
func slowConns(t *testing.T, addr, from string, n int, key string) []net.Conn {
	t.Helper()
	var out []net.Conn
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	for i := 0; i < n; i++ {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			continue // reset on accept: over a cap
		}
		t.Cleanup(func() { _ = c.Close() })
		out = append(out, c)
		if key != "" && i%2 == 0 {
			_, _ = io.WriteString(c, "POST /v1/people/1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+key+
				"\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"events\":[")
		} else {
			_, _ = io.WriteString(c, "GET /v1/people/1/score HTTP/1.1\r\nHost: x\r\nX-Slow: ")
		}
	}
	return out
}

// TestConnectionCaps: a server capped at 50 connections (40 from one
// address) under 200 slow connections from one address still answers a
// read on a new connection from another; under 200 more from five other
// addresses it is full, /readyz says overloaded on a kept-alive
// connection, and a read on that connection still succeeds. The server
// never holds more than its cap.
func TestConnectionCaps(t *testing.T) {
	dir := t.TempDir()
	const providerKey = "provider-key-0123456789"
	m := &Main{
		StoreURL:          "embedded://" + filepath.Join(dir, "s.db"),
		CreateStore:       true,
		Addr:              "127.0.0.1:0",
		Policy:            mustPreset(t, "sesame"),
		APIKeys:           map[string]string{"0123456789abcdef-test": "ops"},
		Keys:              map[string]api.KeyHolder{providerKey: {Name: "provider", Role: graph.RoleProvider}},
		AuditPath:         filepath.Join(dir, "audit.jsonl"),
		MaxConns:          50,
		MaxConnsPerAddr:   40,
		ReadHeaderTimeout: 5 * time.Minute, // the slow connections stay for the test
		ReadBodyTimeout:   5 * time.Minute,
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.NoError(t, m.Open(ctx))
	require.NoError(t, seedStore(ctx, m.Store, 200, 9, io.Discard, io.Discard))
	_, err := scoreStore(ctx, m.Store, m.Runner, m.Policy, io.Discard, io.Discard)
	require.NoError(t, err)
	require.NoError(t, m.Listen())
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx, io.Discard) }()
	addr := strings.TrimPrefix(m.URL(), "http://")

	get := func(c *http.Client, path string) (int, string) {
		req, err := http.NewRequest("GET", m.URL()+path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer 0123456789abcdef-test")
		resp, err := c.Do(req)
		require.NoError(t, err, path)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// One client keeps a connection open from before the flood.
	kept := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}}
	code, _ := get(kept, "/v1/people/7/score")
	require.Equal(t, http.StatusOK, code)

	slow := slowConns(t, addr, "127.0.0.2", 200, providerKey)
	// All but 40 of one address's 200 are refused.
	waitFor(t, "40 slow connections, 160 refused", func() bool {
		st := m.conns.Stats()
		return st.Open == 41 && st.RefusedIP == 160
	})

	// A new client from another address gets in and reads.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	code, body := get(fresh, "/v1/people/8/score")
	assert.Equal(t, http.StatusOK, code, body)
	waitFor(t, "the fresh read's connection closed", func() bool { return m.conns.Stats().Open == 41 })
	code, body = get(fresh, "/readyz")
	assert.Equal(t, http.StatusOK, code, body)
	var ready api.ReadyResponse
	require.NoError(t, json.Unmarshal([]byte(body), &ready))
	require.NotNil(t, ready.Connections)
	assert.Equal(t, 42, *ready.Connections, "40 slow, the kept one and this one")
	assert.Equal(t, 50, ready.MaxConnections)

	// 200 more from five other addresses fill the cap.
	for _, from := range []string{"127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7"} {
		slow = append(slow, slowConns(t, addr, from, 40, "")...)
	}
	waitFor(t, "the cap", func() bool { return m.conns.Stats().Open == 50 })
	code, body = get(kept, "/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code, body)
	assert.Contains(t, body, "overloaded: 50 connections open, the cap is 50")
	code, body = get(kept, "/v1/people/9/score")
	assert.Equal(t, http.StatusOK, code, "a kept-alive connection still reads: %s", body)
	st := m.conns.Stats()
	assert.Equal(t, 50, st.Open)
	assert.Positive(t, st.Refused)

	for _, c := range slow { // else shutdown waits for their requests
		_ = c.Close()
	}
	cancel()
	require.NoError(t, <-done)
	require.NoError(t, m.Close())
}

// TestSlowBodyCut: a body that does not arrive within --read-body-timeout
// is cut off and its connection closed; a refusal before the body (no key)
// closes the connection at once, without waiting for the body however
// long the deadline.
func TestSlowBodyCut(t *testing.T) {
	const providerKey = "provider-key-0123456789"
	for _, c := range []struct {
		name     string
		bodyTime time.Duration
		auth     string
	}{
		{"deadline", time.Second, "Authorization: Bearer " + providerKey},           // read by the handler until the deadline
		{"refused", 10 * time.Minute, "Authorization: Bearer not-a-key-0123456789"}, // 401 before the body
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			m := &Main{
				StoreURL:          "embedded://" + filepath.Join(dir, "s.db"),
				CreateStore:       true,
				Addr:              "127.0.0.1:0",
				Policy:            mustPreset(t, "sesame"),
				Keys:              map[string]api.KeyHolder{providerKey: {Name: "provider", Role: graph.RoleProvider}},
				AuditPath:         filepath.Join(dir, "audit.jsonl"),
				ReadHeaderTimeout: time.Second,
				ReadBodyTimeout:   c.bodyTime,
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			require.NoError(t, m.Open(ctx))
			require.NoError(t, m.Listen())
			done := make(chan error, 1)
			go func() { done <- m.Serve(ctx, io.Discard) }()
			conn, err := net.Dial("tcp", strings.TrimPrefix(m.URL(), "http://"))
			require.NoError(t, err)
			_, err = io.WriteString(conn, "POST /v1/people/1/events HTTP/1.1\r\nHost: x\r\n"+c.auth+
				"\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"events\":[")
			require.NoError(t, err)
			// The server ends the connection by itself; the test's deadline
			// (a minute) only ends a hung test.
			_ = conn.SetReadDeadline(time.Now().Add(time.Minute))
			_, err = io.ReadAll(conn)
			assert.NoError(t, err, "closed by the server (EOF), not by the test's deadline")
			_ = conn.Close()
			waitFor(t, "connections released", func() bool { return m.conns.Stats().Open == 0 })
			cancel()
			require.NoError(t, <-done)
			require.NoError(t, m.Close())
		})
	}
}

// TestLimitFlags: the limit flags of serve reach Main; bad values are
// usage errors; --rate-limits off turns the limits off.
func TestLimitFlags(t *testing.T) {
	mainOf := func(args ...string) (*Main, error) {
		fs, common := newFlagSet("serve", io.Discard)
		cfg := serveFlags(fs)
		require.NoError(t, parse(fs, append([]string{"--store", "embedded://" + filepath.Join(t.TempDir(), "s.db")}, args...)))
		return cfg.newMain(common, io.Discard)
	}
	m, err := mainOf("--max-conns", "300", "--max-conns-per-ip", "20", "--read-header-timeout", "2s",
		"--read-body-timeout", "3s", "--idle-timeout", "4s", "--rate-limits", "app=100,key:bench=off")
	require.NoError(t, err)
	assert.Equal(t, 300, m.MaxConns)
	assert.Equal(t, 20, m.MaxConnsPerAddr)
	assert.Equal(t, []time.Duration{2 * time.Second, 3 * time.Second, 4 * time.Second},
		[]time.Duration{m.ReadHeaderTimeout, m.ReadBodyTimeout, m.IdleTimeout})
	assert.Equal(t, api.RateLimit{Rate: 100, Burst: 200}, m.RateLimits.Role(graph.RoleApp))
	assert.True(t, m.RateLimits.Keys["bench"].Unlimited())
	assert.False(t, m.RateLimits.Off)

	m, err = mainOf("--rate-limits", "off")
	require.NoError(t, err)
	assert.True(t, m.RateLimits.Off)

	for _, bad := range [][]string{{"--rate-limits", "king=5"}, {"--rate-limits", "app=-1"}, {"--max-conns", "-1"}, {"--idle-timeout", "-1s"}} {
		_, err := mainOf(bad...)
		var ue usageError
		assert.ErrorAs(t, err, &ue, "%v", bad)
	}
}

// TestScoreGC checks that a one-shot scoring run collects at
// scoreGCPercent while it runs and restores the previous GOGC afterwards,
// and that a GOGC in the environment is left alone.
func TestScoreGC(t *testing.T) {
	t.Setenv("GOGC", "")
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	restore := scoreGC()
	assert.Equal(t, scoreGCPercent, debug.SetGCPercent(scoreGCPercent), "while scoring")
	restore()
	assert.Equal(t, 100, debug.SetGCPercent(100), "restored")

	t.Setenv("GOGC", "300")
	debug.SetGCPercent(300)
	scoreGC()()
	assert.Equal(t, 300, debug.SetGCPercent(100), "GOGC set: left alone")
}
