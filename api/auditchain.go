package api

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialscore/socialscore/graph"
)

// The audit log's hash chain, in the spirit of RFC 6962's append-only
// logs: record n carries seq n, prev (the hash of record n-1, 64 zeros for
// the first) and hash, the SHA-256 of its own line up to the comma before
// "hash", closed with "}". Changing a record changes its hash (and breaks
// the next record's prev); removing, reordering or inserting a record
// breaks the sequence and the prev links. A log written before the chain
// existed (lines without hash) is kept as it is: the first chained
// record's prev is then the SHA-256 of all the bytes before it, so the
// old lines are covered too.
//
// What a chain cannot show by itself: that records were cut off the end,
// or that someone rewrote the whole chain. VerifyAuditLog reports the
// last record's seq and hash (the head); keeping the head somewhere else
// from time to time (a ticket, another machine) turns those into
// detectable changes too.

// zeroHash is the prev of the first record of a log.
var zeroHash [sha256.Size]byte

// chainFields are the fields of a line VerifyAuditLog reads.
type chainFields struct {
	Seq  uint64 `json:"seq"`
	Prev string `json:"prev"`
	Hash string `json:"hash"`
}

// hashSuffixLen is the length of `,"hash":"<64 hex>"}`.
const hashSuffixLen = len(`,"hash":"`) + 2*sha256.Size + len(`"}`)

// lineHash checks that line (without its newline) ends with the hash
// field and returns the hash it should have and the one it has.
func lineHash(line []byte) (want [sha256.Size]byte, got string, ok bool) {
	if len(line) < hashSuffixLen || !bytes.HasPrefix(line[len(line)-hashSuffixLen:], []byte(`,"hash":"`)) {
		return want, "", false
	}
	body := line[:len(line)-hashSuffixLen]
	h := sha256.New()
	h.Write(body)
	h.Write([]byte{'}'})
	copy(want[:], h.Sum(nil))
	return want, string(line[len(line)-hashSuffixLen+len(`,"hash":"`) : len(line)-2]), true
}

// resume continues the chain of the file: it cuts off a torn last line
// (a write the process did not finish: never acknowledged) and reads the
// last record's seq and hash.
func (a *FileAuditor) resume() error {
	fi, err := a.f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	if size == 0 {
		return nil
	}
	const tail = 64 << 10
	off := max(size-tail, 0)
	buf := make([]byte, size-off)
	if _, err := a.f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	end := bytes.LastIndexByte(buf, '\n') + 1 // complete lines end here
	if end == 0 && off > 0 {
		return fmt.Errorf("the last 64 KiB hold no complete line: not an audit log")
	}
	if int64(end) < int64(len(buf)) {
		if err := a.f.Truncate(off + int64(end)); err != nil {
			return fmt.Errorf("cut off a torn last line: %w", err)
		}
	}
	a.size = off + int64(end)
	lines := bytes.Split(bytes.TrimSuffix(buf[:end], []byte{'\n'}), []byte{'\n'})
	if end == 0 {
		return nil
	}
	last := lines[len(lines)-1]
	var cf chainFields
	if err := json.Unmarshal(last, &cf); err != nil {
		return fmt.Errorf("last record: %w", err)
	}
	if cf.Hash == "" {
		// Written before the chain: anchor the chain on all of it.
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(a.f, 0, a.size)); err != nil {
			return err
		}
		copy(a.last[:], h.Sum(nil))
		return nil
	}
	if _, err := hex.Decode(a.last[:], []byte(cf.Hash)); err != nil || len(cf.Hash) != 2*sha256.Size {
		return fmt.Errorf("last record: bad hash %q", cf.Hash)
	}
	a.seq = cf.Seq
	return nil
}

// Check reports whether records can be written now: the auditor is open,
// its last write and sync worked, and (when opened by path) the file is
// still the one at the path. /readyz is not ready while it fails.
func (a *FileAuditor) Check() error {
	a.mu.Lock()
	closed, syncErr, torn := a.closed, a.syncErr, a.torn
	a.mu.Unlock()
	switch {
	case closed:
		return fmt.Errorf("%w: closed", ErrAuditUnavailable)
	case syncErr != nil:
		return fmt.Errorf("%w: sync: %v", ErrAuditUnavailable, syncErr)
	case torn:
		return fmt.Errorf("%w: the last write failed", ErrAuditUnavailable)
	}
	if a.path != "" {
		open, err1 := a.f.Stat()
		named, err2 := os.Stat(a.path)
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("%w: %v", ErrAuditUnavailable, err)
		}
		if !os.SameFile(open, named) {
			return fmt.Errorf("%w: %s was removed or replaced", ErrAuditUnavailable, a.path)
		}
	}
	return nil
}

// AuditVerification is what VerifyAuditLog found in an intact log.
type AuditVerification struct {
	Records int    // chained records
	Legacy  int    // lines written before the chain existed
	HeadSeq uint64 // the last record's seq and hash
	Head    string
	// TornTail is set when the last line is incomplete: a write cut short
	// by a crash, never acknowledged (the server cuts it off when it
	// opens the log).
	TornTail bool
}

// AuditChainError names the first record that breaks the chain.
type AuditChainError struct {
	Line   int    // 1-based line of the file
	Seq    uint64 // the record's seq, 0 if unreadable
	Reason string
}

func (e *AuditChainError) Error() string {
	if e.Seq > 0 {
		return fmt.Sprintf("audit log: line %d (record seq %d): %s", e.Line, e.Seq, e.Reason)
	}
	return fmt.Sprintf("audit log: line %d: %s", e.Line, e.Reason)
}

// VerifyAuditLog reads a log written by FileAuditor and checks its hash
// chain. It returns an *AuditChainError naming the first bad record when
// a record was changed, removed, reordered or inserted.
func VerifyAuditLog(r io.Reader) (AuditVerification, error) {
	var v AuditVerification
	br := bufio.NewReaderSize(r, 1<<16)
	legacy := sha256.New()
	prev := zeroHash
	var lastSeq uint64
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		if len(line) == 0 && errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return v, err
		}
		complete := len(line) > 0 && line[len(line)-1] == '\n'
		body := bytes.TrimSuffix(line, []byte{'\n'})
		var cf chainFields
		if jerr := json.Unmarshal(body, &cf); jerr != nil {
			if !complete {
				v.TornTail = true
				break
			}
			return v, &AuditChainError{Line: lineNo, Reason: "not a record: " + jerr.Error()}
		}
		if !complete {
			// A whole record without its newline: the write was cut short
			// by one byte. It was never acknowledged either.
			v.TornTail = true
			break
		}
		if cf.Hash == "" {
			if v.Records > 0 {
				return v, &AuditChainError{Line: lineNo, Reason: "a record without a hash after the chain began: inserted"}
			}
			v.Legacy++
			legacy.Write(line)
			continue
		}
		if v.Records == 0 && v.Legacy > 0 {
			copy(prev[:], legacy.Sum(nil))
		}
		want, got, ok := lineHash(body)
		switch {
		case !ok:
			return v, &AuditChainError{Line: lineNo, Seq: cf.Seq, Reason: "the hash is not the record's last field"}
		case hex.EncodeToString(want[:]) != got:
			return v, &AuditChainError{Line: lineNo, Seq: cf.Seq, Reason: "its hash does not match its content: the record was changed"}
		case cf.Seq != lastSeq+1:
			return v, &AuditChainError{Line: lineNo, Seq: cf.Seq, Reason: fmt.Sprintf("seq %d follows seq %d: records were removed, reordered or inserted", cf.Seq, lastSeq)}
		case cf.Prev != hex.EncodeToString(prev[:]):
			return v, &AuditChainError{Line: lineNo, Seq: cf.Seq, Reason: "prev is not the hash of the record before: records were removed, reordered or inserted"}
		}
		prev, lastSeq = want, cf.Seq
		v.Records++
		v.HeadSeq, v.Head = cf.Seq, got
	}
	return v, nil
}

// stampAudit fills in who made the request.
func stampAudit(ri *reqInfo, r *AuditRecord, now time.Time, route string) {
	r.Time, r.App, r.Role, r.Route, r.Purpose = now, ri.app, ri.role, route, ri.purpose
	r.RequestID = ri.serverID
	if ri.id != ri.serverID {
		r.ClientRequestID = ri.id
	}
	if r.RequestID == "" { // a request that did not pass observe (tests)
		r.RequestID = ri.id
	}
}

// pathPeople are the path parameters that name people.
var pathPeople = []string{"id", "a", "b", "recruiter", "recruit"}

// recordAccess records an access before its handler runs: one record per
// person the path names (one naming no one when it names none). An access
// that cannot be recorded is refused (503) and nothing is done.
func (s *Server) recordAccess(c *gin.Context, ri *reqInfo, method, route string, subject graph.ID) error {
	var recs [2]AuditRecord
	n := 0
	for _, name := range pathPeople {
		if n == len(recs) {
			break
		}
		if v := c.Param(name); v != "" {
			if id, err := graph.ParseID(v); err == nil && (name == "id" && isPersonRoute(route) || name != "id") {
				recs[n].Person = id
				n++
			}
		}
	}
	if n == 0 {
		n = 1
	}
	now := s.clock()
	for i := range recs[:n] {
		stampAudit(ri, &recs[i], now, route)
		recs[i].Kind, recs[i].Method, recs[i].Reason = AuditAccess, method, ri.reason
	}
	// (The audit metrics count score reads only, as they always have.)
	if err := s.submitAudit(recs[:n]); err != nil {
		s.log.Error("api: audit record refused; request denied", "request_id", ri.id, "error", err)
		return errAuditDown(err)
	}
	return nil
}

// isPersonRoute reports whether the route's {id} is a person's id (not a
// run's or a simulation's).
func isPersonRoute(route string) bool {
	return len(route) > len("/v1/people/") && route[:len("/v1/people/")] == "/v1/people/"
}

// errAuditDown is the 503 of a request whose audit record was refused.
func errAuditDown(err error) *apiError {
	return &apiError{
		status: http.StatusServiceUnavailable, typ: typeUnavailable, title: "Service unavailable",
		detail: "the request cannot be recorded in the audit log right now; retry later",
		header: map[string]string{"Retry-After": retryAfterSeconds}, cause: err,
	}
}
