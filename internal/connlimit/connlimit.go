// Package connlimit caps the connections a server holds open: in total
// and from one client address. Limiter.Listener wraps a net.Listener;
// a connection over either cap is accepted and closed at once (with a
// reset, so neither side keeps it in TIME_WAIT) and the listener goes on
// to the next, so the kernel's backlog keeps moving and a flood of
// connections from one address cannot hold the descriptors other clients
// need.
//
// The defaults follow the process's limit of open files (RLIMIT_NOFILE):
// RaiseNoFile lifts the soft limit to the hard one, and Defaults keeps a
// reserve below it for everything else the process opens (the store, the
// audit log, a Neo4j driver's pool, profiles), so connections alone can
// never run the process out of descriptors. See docs/architecture.md
// ("Rate and connection limits").
package connlimit

import (
	"net"
	"runtime"
	"sync"
	"sync/atomic"
)

// Limits are the caps. Zero fields take Defaults' values.
type Limits struct {
	// Max is how many connections may be open at once.
	Max int
	// PerAddr is how many of them may come from one client IP address.
	PerAddr int
}

// OverloadedShare is the share of Max at which Stats reports overload.
const OverloadedShare = 0.9

// Defaults returns limits for a process allowed nofile open files: a
// reserve of a tenth (at least 256, at most half) is kept for everything
// but connections, and at most MaxDefault connections are allowed (each
// open connection holds a goroutine and its buffers, some 10-20 KiB).
// One address may hold an eighth of them (at least 64).
func Defaults(nofile uint64) Limits {
	n := int(min(nofile, 1<<30))
	reserve := max(n/10, 256)
	reserve = min(reserve, n/2)
	m := min(max(n-reserve, 1), MaxDefault)
	return Limits{Max: m, PerAddr: min(m, max(m/8, 64))}
}

// MaxDefault bounds the default total cap whatever the file limit.
const MaxDefault = 50_000

// Stats is a snapshot of a limiter.
type Stats struct {
	Open       int    // connections open now
	Max        int    // the total cap
	PerAddr    int    // the cap per client address
	Refused    uint64 // connections refused over the total cap since start
	RefusedIP  uint64 // connections refused over the per-address cap since start
	Overloaded bool   // Open is at least OverloadedShare of Max
}

// Limiter counts open connections. It is safe for concurrent use.
type Limiter struct {
	max, perAddr int

	mu     sync.Mutex
	open   int
	byAddr map[string]int

	refused, refusedIP atomic.Uint64
}

// New returns a limiter. Zero fields of l take the values of
// Defaults(nofile) for the process's current limit of open files.
func New(l Limits) *Limiter {
	if l.Max <= 0 || l.PerAddr <= 0 {
		d := Defaults(NoFile())
		if l.Max <= 0 {
			l.Max = d.Max
		}
		if l.PerAddr <= 0 {
			l.PerAddr = min(l.Max, max(l.Max/8, 64))
		}
	}
	return &Limiter{max: l.Max, perAddr: min(l.PerAddr, l.Max), byAddr: map[string]int{}}
}

// Stats returns the current counts.
func (l *Limiter) Stats() Stats {
	l.mu.Lock()
	open := l.open
	l.mu.Unlock()
	return Stats{Open: open, Max: l.max, PerAddr: l.perAddr, Refused: l.refused.Load(), RefusedIP: l.refusedIP.Load(),
		Overloaded: float64(open) >= OverloadedShare*float64(l.max)}
}

// acquire counts a connection from addr in, or reports that a cap is
// reached.
func (l *Limiter) acquire(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open >= l.max {
		l.refused.Add(1)
		return false
	}
	if l.byAddr[addr] >= l.perAddr {
		l.refusedIP.Add(1)
		return false
	}
	l.open++
	l.byAddr[addr]++
	return true
}

func (l *Limiter) release(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if n := l.byAddr[addr] - 1; n > 0 {
		l.byAddr[addr] = n
	} else {
		delete(l.byAddr, addr)
	}
}

// Listener wraps ln: Accept returns only connections within the caps and
// closes the others itself.
func (l *Limiter) Listener(ln net.Listener) net.Listener { return &listener{Listener: ln, l: l} }

type listener struct {
	net.Listener
	l *Limiter
}

func (ln *listener) Accept() (net.Conn, error) {
	for refused := 0; ; {
		c, err := ln.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := hostOf(c.RemoteAddr())
		if !ln.l.acquire(addr) {
			refuse(c)
			// A flood is refused in a tight loop: let the requests of
			// the connections already served run in between.
			if refused++; refused%32 == 0 {
				runtime.Gosched()
			}
			continue
		}
		return &conn{Conn: c, l: ln.l, addr: addr}, nil
	}
}

// refuse closes c at once with a reset.
func refuse(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// hostOf is the IP address of a connection's peer (the whole address for
// other kinds of network).
func hostOf(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return string(ta.IP.To16())
	}
	h, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return h
}

// conn releases its place when closed (once, however often Close is
// called).
type conn struct {
	net.Conn
	l      *Limiter
	addr   string
	closed atomic.Bool
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	if c.closed.CompareAndSwap(false, true) {
		c.l.release(c.addr)
	}
	return err
}
