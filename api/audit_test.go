package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

func TestFileAuditorConcurrentWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	a, err := NewFileAuditor(path)
	require.NoError(t, err)
	const writers, each = 8, 500
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				assert.NoError(t, a.Audit(AuditRecord{Time: time.Now(), App: fmt.Sprintf("app%d", w),
					Person: graph.ID(w*each + i + 1), RequestID: "r", Route: routeScore}))
			}
		}()
	}
	wg.Wait()
	require.NoError(t, a.Close())
	recs := readAudit(t, path)
	require.Len(t, recs, writers*each)
	seen := map[graph.ID]bool{}
	for _, r := range recs {
		seen[r.Person] = true
	}
	assert.Len(t, seen, writers*each, "every record written once")

	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the audit log is private")

	assert.ErrorIs(t, a.Audit(AuditRecord{}), ErrAuditUnavailable, "closed")
	assert.NoError(t, a.Close(), "a second Close is harmless")
}

// TestFileAuditorWritesBeforeReturning checks that a record is in the
// file when Audit returns, without Flush or Close: an answered read's
// record survives the process being killed right after.
func TestFileAuditorWritesBeforeReturning(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	a, err := NewFileAuditor(path)
	require.NoError(t, err)
	defer a.Close()
	for i := 1; i <= 3; i++ {
		require.NoError(t, a.Audit(AuditRecord{Time: time.Now(), App: "x", Person: graph.ID(i), RequestID: "r", Route: routeScore}))
		recs := readAudit(t, path)
		require.Len(t, recs, i)
		assert.Equal(t, graph.ID(i), recs[i-1].Person)
	}
}

func TestFileAuditorAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	for i := 1; i <= 2; i++ {
		a, err := NewFileAuditor(path)
		require.NoError(t, err)
		require.NoError(t, a.Audit(AuditRecord{Time: time.Now(), App: "x", Person: graph.ID(i)}))
		require.NoError(t, a.Close())
	}
	recs := readAudit(t, path)
	require.Len(t, recs, 2)
	assert.Equal(t, graph.ID(1), recs[0].Person)
	assert.Equal(t, graph.ID(2), recs[1].Person)
}

// BenchmarkFileAuditorAudit measures the request-path cost of recording a
// read: encoding one line and writing it to the file under the mutex,
// from one goroutine and from many.
func BenchmarkFileAuditorAudit(b *testing.B) {
	rec := AuditRecord{Time: time.Now(), App: "lender", Person: 123456, RequestID: "0123456789ab-1f", Route: routeScore}
	b.Run("serial", func(b *testing.B) {
		a, err := NewFileAuditor(filepath.Join(b.TempDir(), "audit.jsonl"))
		require.NoError(b, err)
		defer a.Close()
		b.ReportAllocs()
		for b.Loop() {
			if err := a.Audit(rec); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		a, err := NewFileAuditor(filepath.Join(b.TempDir(), "audit.jsonl"))
		require.NoError(b, err)
		defer a.Close()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := a.Audit(rec); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkFileAuditorBatch measures recording a batch read of 1,000
// scores: one write of 1,000 lines.
func BenchmarkFileAuditorBatch(b *testing.B) {
	a, err := NewFileAuditor(filepath.Join(b.TempDir(), "audit.jsonl"))
	require.NoError(b, err)
	defer a.Close()
	recs := make([]AuditRecord, 1000)
	for i := range recs {
		recs[i] = AuditRecord{Time: time.Now(), App: "lender", Person: graph.ID(i + 1), RequestID: "0123456789ab-1f", Route: routeScore}
	}
	b.ReportAllocs()
	for b.Loop() {
		require.NoError(b, a.Audit(recs...))
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}

// TestFileAuditorRefusesWhileWritesFail: a record that cannot be written
// is refused, and the auditor works again once the file does; a line a
// failed write may have left is cut off before the next record, keeping the chain intact.
func TestFileAuditorRefusesWhileWritesFail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	require.NoError(t, err)
	ro, err := os.Open(path) // a read-only descriptor: every write fails
	require.NoError(t, err)
	a := newFileAuditor(ro, time.Hour)
	go a.run()
	rec := AuditRecord{Time: time.Now(), App: "x", Person: 1, RequestID: "r", Route: routeScore}
	assert.ErrorIs(t, a.Audit(rec), ErrAuditUnavailable)
	_, err = f.WriteString(`{"seq":1,"prev":"00`) // what a failed write may leave
	require.NoError(t, err)
	a.mu.Lock()
	a.f = f // the file works again
	a.torn = true
	a.mu.Unlock()
	require.NoError(t, a.Audit(rec))
	require.NoError(t, a.Close())
	require.NoError(t, ro.Close())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, byte('{'), data[0], "a torn line is cut off first")
	assert.Len(t, readAudit(t, path), 1)
	v, err := VerifyAuditLog(bytes.NewReader(data))
	require.NoError(t, err)
	assert.Equal(t, 1, v.Records)
}

// TestFileAuditorRefusesWhileSyncFails: records that reach the operating
// system but cannot be synced are not acknowledged as durable: once a
// sync fails, Audit refuses (and so the server refuses reads).
func TestFileAuditorRefusesWhileSyncFails(t *testing.T) {
	r, w, err := os.Pipe() // writes succeed, fsync of a pipe fails
	require.NoError(t, err)
	go func() { _, _ = io.Copy(io.Discard, r) }()
	a := newFileAuditor(w, 0)
	go a.run()
	defer func() {
		_ = a.Close() // its sync fails too
		_ = r.Close()
	}()
	rec := AuditRecord{Time: time.Now(), App: "x", Person: 1, RequestID: "r", Route: routeScore}
	require.NoError(t, a.Audit(rec))
	assert.Eventually(t, func() bool {
		return errors.Is(a.Audit(rec), ErrAuditUnavailable)
	}, 10*time.Second, 10*time.Millisecond)
}
