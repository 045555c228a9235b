package api

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/socialscore/socialscore/graph"
)

// AuditRecord attributes one read of a person's score (Kind "") or one
// access to personal data (Kind "access": a write, a record or network
// read, an export, a listing) to the key that made it. In the file the
// records form a hash chain (see FileAuditor and VerifyAuditLog).
type AuditRecord struct {
	// Seq numbers the records of a log from 1; Prev is the Hash of the
	// record before (64 zeros for the first). Set by FileAuditor.
	Seq  uint64 `json:"seq,omitempty"`
	Prev string `json:"prev,omitempty"`

	Time time.Time `json:"time"`
	// App is the name of the key that made the request.
	App  string     `json:"app"`
	Role graph.Role `json:"role,omitempty"`
	// Person is the person read or touched; 0 for an access naming no one
	// (a whole-network export, a simulation).
	Person graph.ID `json:"person"`
	// RequestID is the server's id of the request; ClientRequestID the
	// X-Request-ID the client sent, if any.
	RequestID       string `json:"request_id"`
	ClientRequestID string `json:"client_request_id,omitempty"`
	Route           string `json:"route"` // route pattern, e.g. /v1/people/{id}/score
	Method          string `json:"method,omitempty"`
	// Kind is "" for a read of the person's score and "access" for any
	// other access.
	Kind    string `json:"kind,omitempty"`
	Purpose string `json:"purpose,omitempty"`
	// Reason is an operator's reason for changing a person's consent.
	Reason string `json:"reason,omitempty"`

	// Hash is the hex SHA-256 of the record's line up to this field (see
	// VerifyAuditLog). Set by FileAuditor.
	Hash string `json:"hash,omitempty"`
}

// AuditAccess is the Kind of a record of an access other than a score
// read.
const AuditAccess = "access"

// Auditor records score reads. The server calls Audit before it sends a
// score and refuses the read (503) if Audit fails, so every score that
// leaves the server is attributable.
type Auditor interface {
	// Audit records the records, or returns an error if it cannot (for
	// example the log cannot be written, or it is closed). It is called
	// on the request path; it may keep a copy of the records, never the
	// slice.
	Audit(recs ...AuditRecord) error
	// Close writes every accepted record out and releases the auditor.
	Close() error
}

// ErrAuditUnavailable is returned by FileAuditor.Audit when records cannot
// be recorded: the auditor is closed, or writing or syncing the file is
// failing.
var ErrAuditUnavailable = errors.New("audit log unavailable")

// FileAuditor appends audit records to a file as JSON lines. Audit writes
// the records of a call with one write(2) before it returns, under a
// mutex so that lines never interleave; a goroutine syncs the file (fsync)
// once a second when something was written. While a write or a sync
// fails, Audit refuses records, so the server refuses reads (503) until
// the file works again.
//
// Durability: a read the server answered is in the file, as far as the
// operating system is concerned, before the answer is sent, so a crash or
// kill of the process loses no record; it is on disk within about a
// second, so a power cut or kernel crash can lose the records of the last
// second of reads. Close syncs everything.
//
// Cost: one small write per read (a batch read writes all its records at
// once), about 2 µs of CPU, serialised by the mutex; at 20,000 reads/s
// the mutex is held about 4% of the time.
//
// Chain: each record carries its sequence number, the hash of the record
// before and its own hash (SHA-256 of its line up to the hash field), so
// that a record changed, removed, reordered or inserted is found by
// VerifyAuditLog (socialscore audit verify). NewFileAuditor continues the
// chain of the file it opens. A write that fails part-way is cut off
// again (the file is truncated to its last complete record) before the
// next record is written; a process killed in the middle of a write
// leaves a torn last line, which NewFileAuditor cuts off when it opens
// the file (it was never acknowledged) and VerifyAuditLog reports as a
// torn tail without failing.
type FileAuditor struct {
	f         *os.File
	path      string // "" when not opened by path
	syncEvery time.Duration

	mu      sync.Mutex
	buf     []byte
	closed  bool
	torn    bool  // a failed write may have left part of a line
	dirty   bool  // written since the last sync began
	syncErr error // the last sync failed; Audit refuses until one succeeds
	size    int64 // bytes of complete records in the file
	seq     uint64
	last    [sha256.Size]byte // hash of record seq (zeros before the first)

	quit chan struct{}
	done chan struct{}
}

// auditSyncInterval is how often the file is synced (see the durability
// note on FileAuditor).
const auditSyncInterval = time.Second

var _ Auditor = (*FileAuditor)(nil)

// NewFileAuditor opens (creating or appending to) the JSON-lines file at
// path, readable by its owner only, and starts the sync goroutine.
func NewFileAuditor(path string) (*FileAuditor, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: open %s: %w", path, err)
	}
	a := newFileAuditor(f, auditSyncInterval)
	a.path = path
	if err := a.resume(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("audit: open %s: %w", path, err)
	}
	go a.run()
	return a, nil
}

// newFileAuditor returns an auditor writing to f, syncing every syncEvery;
// its sync goroutine is not started.
func newFileAuditor(f *os.File, syncEvery time.Duration) *FileAuditor {
	return &FileAuditor{
		f:         f,
		syncEvery: syncEvery,
		quit:      make(chan struct{}),
		done:      make(chan struct{}),
	}
}

// Audit writes the records to the file (to the operating system; see
// the durability note) and returns once they are there.
func (a *FileAuditor) Audit(recs ...AuditRecord) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.unavailable(); err != nil {
		return err
	}
	if a.torn {
		// Cut off whatever a failed write left, so the file ends with a
		// complete record.
		if err := a.f.Truncate(a.size); err != nil {
			return fmt.Errorf("%w: cut off a failed write: %v", ErrAuditUnavailable, err)
		}
		a.torn = false
	}
	a.buf = a.buf[:0]
	seq, last := a.seq, a.last
	for i := range recs {
		seq++
		a.buf, last = appendChained(a.buf, &recs[i], seq, &last)
	}
	n, err := a.f.Write(a.buf)
	a.dirty = a.dirty || n > 0
	if cap(a.buf) > 256<<10 {
		a.buf = nil // do not keep a batch's buffer forever
	}
	if err != nil {
		a.torn = n > 0 || a.torn
		return fmt.Errorf("%w: write: %v", ErrAuditUnavailable, err)
	}
	a.size += int64(n)
	a.seq, a.last = seq, last
	return nil
}

// Flush is kept for callers that want every accepted record in the file:
// Audit has already written them, so it only reports whether the log is
// working.
func (a *FileAuditor) Flush() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.unavailable()
}

// unavailable reports, with a.mu held, why the log takes no records: it
// is closed or its last sync failed; nil when it is working.
func (a *FileAuditor) unavailable() error {
	switch {
	case a.closed:
		return fmt.Errorf("%w: closed", ErrAuditUnavailable)
	case a.syncErr != nil:
		return fmt.Errorf("%w: sync: %v", ErrAuditUnavailable, a.syncErr)
	}
	return nil
}

// Close syncs and closes the file. Audit fails afterwards. It is safe to
// call more than once.
func (a *FileAuditor) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	a.mu.Unlock()
	close(a.quit)
	<-a.done
	err := a.f.Sync()
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("audit: close: %w", err)
	}
	return nil
}

// run is the sync goroutine: every syncEvery (at least 10 ms), if
// anything was written, it syncs the file.
func (a *FileAuditor) run() {
	defer close(a.done)
	t := time.NewTicker(max(a.syncEvery, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-a.quit:
			return // Close syncs
		case <-t.C:
		}
		a.mu.Lock()
		dirty, failing := a.dirty, a.syncErr != nil
		a.dirty = false
		a.mu.Unlock()
		if !dirty && !failing {
			continue
		}
		err := a.f.Sync() // concurrent writes are fine; they are synced next time
		a.mu.Lock()
		a.syncErr = err
		if err != nil {
			a.dirty = true
		}
		a.mu.Unlock()
	}
}

// appendChained appends r as one JSON line numbered seq after the record
// whose hash is prev, and returns the line's hash. The line is the
// record's fields in a fixed order ending with "hash"; the hash is the
// SHA-256 of the line up to the comma before "hash", closed with "}".
func appendChained(b []byte, r *AuditRecord, seq uint64, prev *[sha256.Size]byte) ([]byte, [sha256.Size]byte) {
	start := len(b)
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"prev":"`...)
	b = hex.AppendEncode(b, prev[:])
	b = append(b, `","time":"`...)
	b = r.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","app":`...)
	b = appendJSONString(b, r.App)
	if r.Role != "" {
		b = append(b, `,"role":`...)
		b = appendJSONString(b, string(r.Role))
	}
	b = append(b, `,"person":`...)
	b = strconv.AppendInt(b, int64(r.Person), 10)
	b = append(b, `,"request_id":`...)
	b = appendJSONString(b, r.RequestID)
	if r.ClientRequestID != "" {
		b = append(b, `,"client_request_id":`...)
		b = appendJSONString(b, r.ClientRequestID)
	}
	b = append(b, `,"route":`...)
	b = appendJSONString(b, r.Route)
	for _, f := range [...]struct{ name, v string }{{`,"method":`, r.Method}, {`,"kind":`, r.Kind},
		{`,"purpose":`, r.Purpose}, {`,"reason":`, r.Reason}} {
		if f.v != "" {
			b = append(b, f.name...)
			b = appendJSONString(b, f.v)
		}
	}
	b = append(b, '}')
	sum := sha256.Sum256(b[start:])
	b = b[:len(b)-1]
	b = append(b, `,"hash":"`...)
	b = hex.AppendEncode(b, sum[:])
	return append(b, "\"}\n"...), sum
}
