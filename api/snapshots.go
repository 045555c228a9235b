package api

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/socialscore/socialscore/graph"
)

// Defaults of the snapshot cache (Config.SnapshotRefresh,
// Config.SnapshotMaxAge).
const (
	DefaultSnapshotRefresh = 2 * time.Second
	DefaultSnapshotMaxAge  = time.Minute
)

// The research routes (ego networks, exports, shock experiments, network
// metrics, simulations) work on a graph.Snapshot of the consenting network.
// Reading one is O(people + ties) (about 70 ms for 100,000 people in the
// embedded store, seconds over Neo4j), far too slow per request, so the
// server keeps one in a cache:
//
//   - The snapshot is read again when a scoring run completed since it was
//     read (the view's run id changed) or a write went through this server
//     (people, events, ties), but at most once per SnapshotRefresh: within
//     that time a slightly stale network is served, and the response says
//     when it was taken (snapshot_at).
//   - An erasure or a withdrawal of consent through this server makes the
//     next read wait for a new snapshot whatever its age: a person who no
//     longer consents is never shown, not even for a refresh interval.
//   - A snapshot older than SnapshotMaxAge is read again even without a
//     known change, for writes made by other processes to a shared store
//     (Neo4j). Those include erasures, which this server can only pick up
//     within SnapshotMaxAge.
//
// One read runs at a time; concurrent requests wait for it and share the
// result. It runs on the server's context, so a client that goes away does
// not cancel it for the others. Values derived from a snapshot (baseline
// scores of a shock, the network report) are computed once per snapshot
// and kept with it.
type snapCache struct {
	load    func(ctx context.Context) (*graph.Snapshot, error)
	runID   func() string // run id of the current score view, "" if none
	ctx     context.Context
	wg      *sync.WaitGroup
	refresh time.Duration
	maxAge  time.Duration

	writes  atomic.Uint64 // bumped after every write through the API
	privacy atomic.Uint64 // bumped after every erasure or withdrawal of consent

	mu      sync.Mutex
	cur     *snapEntry
	loading *flight
	closed  bool // no goroutine starts after close
}

// snapEntry is one snapshot with what is known about when it was read and
// the values derived from it.
type snapEntry struct {
	snap     *graph.Snapshot
	runID    string    // run id of the view when the read started
	writes   uint64    // write counter when the read started
	privacy  uint64    // privacy counter when the read started
	loadedAt time.Time // when the read started

	mu    sync.Mutex
	memos map[string]*flight
}

// flight is a computation other goroutines may wait for.
type flight struct {
	done  chan struct{}
	val   any
	err   error
	entry *snapEntry // of a snapshot read
}

func newSnapCache(ctx context.Context, wg *sync.WaitGroup, load func(context.Context) (*graph.Snapshot, error),
	runID func() string, refresh, maxAge time.Duration) *snapCache {
	return &snapCache{load: load, runID: runID, ctx: ctx, wg: wg, refresh: refresh, maxAge: maxAge}
}

// errClosed is returned once the server is closing.
var errClosed = &apiError{status: http.StatusServiceUnavailable, typ: typeUnavailable, title: "Service unavailable",
	detail: "the server is shutting down", header: map[string]string{"Retry-After": retryAfterSeconds}}

// close stops new reads and computations from starting; the server then
// waits for those in progress (wg).
func (sc *snapCache) close() {
	sc.mu.Lock()
	sc.closed = true
	sc.mu.Unlock()
}

// goLocked starts fn on the server's wait group; sc.mu is held. It reports
// false once the cache is closed.
func (sc *snapCache) goLocked(fn func()) bool {
	if sc.closed {
		return false
	}
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		fn()
	}()
	return true
}

// wrote records a write through the API; privacy is set for an erasure or a
// withdrawal of consent.
func (sc *snapCache) wrote(privacy bool) {
	sc.writes.Add(1)
	if privacy {
		sc.privacy.Add(1)
	}
}

// fresh reports whether e may be served now.
func (sc *snapCache) fresh(e *snapEntry, now time.Time) bool {
	age := now.Sub(e.loadedAt)
	switch {
	case e.privacy != sc.privacy.Load():
		return false
	case age >= sc.maxAge:
		return false
	case e.writes == sc.writes.Load() && e.runID == sc.runID():
		return true
	}
	return age < sc.refresh
}

// get returns a snapshot that is fresh by the rules above, reading one if
// needed. It returns ctx's error if ctx ends first, or the store's error.
//
// A request never joins a read that started before the last erasure or
// withdrawal of consent it could know of: it waits for that read to end
// and starts another.
func (sc *snapCache) get(ctx context.Context) (*snapEntry, error) {
	want := sc.privacy.Load()
	for {
		sc.mu.Lock()
		if e := sc.cur; e != nil && sc.fresh(e, time.Now()) {
			sc.mu.Unlock()
			return e, nil
		}
		f := sc.loading
		if f == nil {
			e := &snapEntry{runID: sc.runID(), writes: sc.writes.Load(), privacy: sc.privacy.Load(),
				loadedAt: time.Now(), memos: map[string]*flight{}}
			f = &flight{done: make(chan struct{}), entry: e}
			started := sc.goLocked(func() {
				snap, err := sc.load(sc.ctx)
				sc.mu.Lock()
				if err == nil {
					e.snap = snap
					sc.cur = e
				} else {
					f.err = fmt.Errorf("read snapshot: %w", err)
				}
				sc.loading = nil
				sc.mu.Unlock()
				close(f.done)
			})
			if !started {
				sc.mu.Unlock()
				return nil, errClosed
			}
			sc.loading = f
		}
		sc.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		switch {
		case f.err != nil:
			return nil, f.err
		case f.entry.privacy >= want:
			return f.entry, nil
		}
		// The read started before a privacy write this request follows.
	}
}

// memo returns the value of fn for the key, computing it once per snapshot
// on the server's context (ctx only bounds the wait). A failed computation
// is not kept: the next call tries again.
func (sc *snapCache) memo(ctx context.Context, e *snapEntry, key string, fn func(ctx context.Context) (any, error)) (any, error) {
	e.mu.Lock()
	f, ok := e.memos[key]
	if !ok {
		f = &flight{done: make(chan struct{})}
		sc.mu.Lock()
		started := sc.goLocked(func() {
			f.val, f.err = fn(sc.ctx)
			if f.err != nil {
				e.mu.Lock()
				delete(e.memos, key)
				e.mu.Unlock()
			}
			close(f.done)
		})
		sc.mu.Unlock()
		if !started {
			e.mu.Unlock()
			return nil, errClosed
		}
		e.memos[key] = f
	}
	e.mu.Unlock()
	select {
	case <-f.done:
		return f.val, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// peek returns the snapshot last read, however old, or nil: for estimates
// that must not read the store.
func (sc *snapCache) peek() *snapEntry {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.cur
}
