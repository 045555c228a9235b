package api

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/socialscore/socialscore/graph"
)

// AuditRecord attributes one read of a person's score to the app that
// made it.
type AuditRecord struct {
	Time      time.Time `json:"time"`
	App       string    `json:"app"`
	Person    graph.ID  `json:"person"`
	RequestID string    `json:"request_id"`
	Route     string    `json:"route"` // route pattern, e.g. /v1/people/{id}/score
}

// Auditor records score reads. The server calls Audit before it sends a
// score and refuses the read (503) if Audit fails, so every score that
// leaves the server is attributable.
type Auditor interface {
	// Audit accepts the records. It is called on the request path and must
	// not wait for I/O: an implementation buffers and writes elsewhere. It
	// returns an error if the records cannot be accepted (for example the
	// log cannot be written, or it is closed).
	Audit(recs ...AuditRecord) error
	// Close writes every accepted record out and releases the auditor.
	Close() error
}

// ErrAuditUnavailable is returned by FileAuditor.Audit when records cannot
// be accepted: the auditor is closed, its backlog is full, or writing the
// file is failing.
var ErrAuditUnavailable = errors.New("audit log unavailable")

// FileAuditor appends audit records to a file as JSON lines. Audit only
// appends to an in-memory buffer under a mutex; one goroutine writes the
// buffer to the file every 100 ms, sooner when 4096 records are waiting,
// and on Flush and Close, and syncs the file (fsync) at most once a second
// after writing. While a write or a sync fails, Audit refuses records, so
// the server refuses reads (503) until the file works again; records not
// yet written are kept and retried.
//
// Durability: a read the server answered (its record accepted) is in the
// file, as far as the operating system is concerned, within about 100 ms,
// and on disk within about 1.1 s. If the process dies, the records of the
// last ~100 ms of reads (at most a few thousand) are lost; if the machine
// loses power or the kernel crashes, those of the last ~1.1 s are. Close
// writes and syncs everything.
type FileAuditor struct {
	f *os.File

	mu      sync.Mutex
	pending []AuditRecord
	spare   []AuditRecord
	closed  bool
	failing error // set while writes or syncs fail; Audit refuses until they succeed

	maxPending int
	wakeAt     int
	interval   time.Duration
	syncEvery  time.Duration
	// Owned by the writer goroutine: whether bytes were written since the
	// last successful sync, when that was, and the last outcomes.
	unsynced          bool
	synced            time.Time
	writeErr, syncErr error

	wake  chan struct{}
	flush chan chan error
	quit  chan struct{}
	done  chan struct{}
	buf   []byte // owned by the writer goroutine: bytes not yet written
}

// FileAuditor tuning (see the durability note on FileAuditor).
const (
	auditFlushInterval = 100 * time.Millisecond
	auditSyncInterval  = time.Second
	auditMaxPending    = 1 << 18 // records buffered before Audit refuses
	auditWakeAt        = 4096    // records buffered that trigger an early write
)

var _ Auditor = (*FileAuditor)(nil)

// NewFileAuditor opens (creating or appending to) the JSON-lines file at
// path, readable by its owner only, and starts the writer goroutine.
func NewFileAuditor(path string) (*FileAuditor, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: open %s: %w", path, err)
	}
	a := newFileAuditor(f, auditSyncInterval)
	go a.run()
	return a, nil
}

// newFileAuditor returns an auditor writing to f; its writer is not
// started.
func newFileAuditor(f *os.File, syncEvery time.Duration) *FileAuditor {
	return &FileAuditor{
		f:          f,
		maxPending: auditMaxPending,
		wakeAt:     auditWakeAt,
		interval:   auditFlushInterval,
		syncEvery:  syncEvery,
		synced:     time.Now(),
		wake:       make(chan struct{}, 1),
		flush:      make(chan chan error),
		quit:       make(chan struct{}),
		done:       make(chan struct{}),
	}
}

// Audit buffers the records; it never waits for the file.
func (a *FileAuditor) Audit(recs ...AuditRecord) error {
	a.mu.Lock()
	switch {
	case a.closed:
		a.mu.Unlock()
		return fmt.Errorf("%w: closed", ErrAuditUnavailable)
	case a.failing != nil:
		err := a.failing
		a.mu.Unlock()
		return fmt.Errorf("%w: %v", ErrAuditUnavailable, err)
	case len(a.pending)+len(recs) > a.maxPending:
		a.mu.Unlock()
		return fmt.Errorf("%w: backlog full", ErrAuditUnavailable)
	}
	a.pending = append(a.pending, recs...)
	n := len(a.pending)
	a.mu.Unlock()
	if n >= a.wakeAt && n-len(recs) < a.wakeAt {
		select {
		case a.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// Flush writes every record accepted so far to the file.
func (a *FileAuditor) Flush() error {
	ch := make(chan error, 1)
	select {
	case a.flush <- ch:
		return <-ch
	case <-a.done:
		return fmt.Errorf("%w: closed", ErrAuditUnavailable)
	}
}

// Close writes every accepted record, syncs and closes the file. Audit
// fails afterwards. It is safe to call more than once.
func (a *FileAuditor) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		<-a.done
		return nil
	}
	a.closed = true
	a.mu.Unlock()
	close(a.quit)
	<-a.done
	err := a.write()
	if serr := a.f.Sync(); err == nil {
		err = serr
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("audit: close: %w", err)
	}
	return nil
}

// run is the writer goroutine.
func (a *FileAuditor) run() {
	defer close(a.done)
	t := time.NewTicker(a.interval)
	defer t.Stop()
	for {
		select {
		case <-a.quit:
			return // Close writes what is left
		case ch := <-a.flush:
			ch <- a.write()
			continue
		case <-t.C:
		case <-a.wake:
		}
		// A failure is kept in a.failing and retried next tick.
		if a.write() == nil && a.unsynced && time.Since(a.synced) >= a.syncEvery {
			a.sync()
		}
	}
}

// sync syncs the file; a failure refuses records until a sync succeeds.
// Only the writer goroutine calls it.
func (a *FileAuditor) sync() {
	a.syncErr = a.f.Sync()
	if a.syncErr == nil {
		a.unsynced, a.synced = false, time.Now()
	}
	a.setFailing()
}

// setFailing publishes the writer's health to Audit.
func (a *FileAuditor) setFailing() {
	err := a.writeErr
	if err == nil {
		err = a.syncErr
	}
	a.mu.Lock()
	a.failing = err
	a.mu.Unlock()
}

// write encodes the pending records and writes them with any bytes a
// previous failed write left. Only the writer goroutine (or Close, after
// it stopped) calls it.
func (a *FileAuditor) write() error {
	a.mu.Lock()
	recs := a.pending
	a.pending = a.spare[:0]
	a.mu.Unlock()

	for i := range recs {
		a.buf = appendAuditRecord(a.buf, &recs[i])
		recs[i] = AuditRecord{} // drop string references
	}
	a.spare = recs[:0]
	if len(a.buf) == 0 {
		return nil
	}
	n, err := a.f.Write(a.buf)
	a.buf = a.buf[:copy(a.buf, a.buf[n:])]
	a.unsynced = a.unsynced || n > 0
	a.writeErr = err
	a.setFailing()
	if err != nil {
		return fmt.Errorf("audit: write: %w", err)
	}
	if cap(a.buf) > 1<<20 {
		a.buf = nil // do not keep a burst's buffer forever
	}
	return nil
}

// appendAuditRecord appends one JSON line.
func appendAuditRecord(b []byte, r *AuditRecord) []byte {
	b = append(b, `{"time":"`...)
	b = r.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","app":`...)
	b = appendJSONString(b, r.App)
	b = append(b, `,"person":`...)
	b = strconv.AppendInt(b, int64(r.Person), 10)
	b = append(b, `,"request_id":`...)
	b = appendJSONString(b, r.RequestID)
	b = append(b, `,"route":`...)
	b = appendJSONString(b, r.Route)
	return append(b, "}\n"...)
}
