package connlimit

import (
	"bufio"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDefaults: a tenth of the file limit (at least 256, at most half) is
// kept for other files, and one address may hold an eighth (at least 64)
// of the rest.
func TestDefaults(t *testing.T) {
	for _, c := range []struct {
		nofile       uint64
		max, perAddr int
	}{
		{1024, 1024 - 256, 96},
		{20000, 18000, 2250},
		{300, 150, 64},
		{100, 50, 50},
		{1 << 20, MaxDefault, MaxDefault / 8},
		{^uint64(0), MaxDefault, MaxDefault / 8}, // RLIM_INFINITY
	} {
		d := Defaults(c.nofile)
		assert.Equal(t, Limits{Max: c.max, PerAddr: c.perAddr}, d, "nofile %d", c.nofile)
		assert.Less(t, uint64(d.Max), c.nofile, "connections stay below the file limit")
	}
	n, err := RaiseNoFile()
	require.NoError(t, err)
	assert.Equal(t, n, NoFile())
	assert.Positive(t, n)
}

// serve accepts on ln and greets each connection it is given with "ok\n",
// holding it open.
func serve(t *testing.T, ln net.Listener) chan net.Conn {
	held := make(chan net.Conn, 100)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(held)
				return
			}
			_, _ = c.Write([]byte("ok\n"))
			held <- c
		}
	}()
	return held
}

// dialFrom connects from the loopback address from and reports whether the
// server greeted it (accepted) or closed it (refused).
func dialFrom(t *testing.T, addr, from string) (net.Conn, bool) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 10 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil { // reset before the handshake was seen through
		return nil, false
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second)) // a hung test, not a measurement
	line, err := bufio.NewReader(c).ReadString('\n')
	return c, err == nil && line == "ok\n"
}

// TestListenerCaps: over the per-address cap and over the total cap a
// connection is closed on accept; closing one frees its place.
func TestListenerCaps(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	l := New(Limits{Max: 5, PerAddr: 3})
	ln := l.Listener(inner)
	defer ln.Close()
	held := serve(t, ln)
	addr := inner.Addr().String()
	var server []net.Conn

	for i := 0; i < 3; i++ {
		_, ok := dialFrom(t, addr, "127.0.0.2")
		require.True(t, ok, "connection %d from .2", i)
		server = append(server, <-held)
	}
	_, ok := dialFrom(t, addr, "127.0.0.2")
	assert.False(t, ok, "a 4th from one address is refused")
	assert.Equal(t, Stats{Open: 3, Max: 5, PerAddr: 3, RefusedIP: 1}, l.Stats())

	for i := 0; i < 2; i++ {
		_, ok := dialFrom(t, addr, "127.0.0.3")
		require.True(t, ok)
		server = append(server, <-held)
	}
	_, ok = dialFrom(t, addr, "127.0.0.4")
	assert.False(t, ok, "over the total cap")
	assert.Equal(t, Stats{Open: 5, Max: 5, PerAddr: 3, Refused: 1, RefusedIP: 1, Overloaded: true}, l.Stats())

	// The server closes one of .2's (twice: it is counted out once), and
	// .4 gets in.
	require.NoError(t, server[0].Close())
	_ = server[0].Close()
	assert.Equal(t, 4, l.Stats().Open)
	_, ok = dialFrom(t, addr, "127.0.0.4")
	assert.True(t, ok)
	<-held
	assert.Equal(t, Stats{Open: 5, Max: 5, PerAddr: 3, Refused: 1, RefusedIP: 1, Overloaded: true}, l.Stats())
	for _, c := range server[1:] {
		_ = c.Close()
	}
	assert.Equal(t, 1, l.Stats().Open)
}
