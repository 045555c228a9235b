package api

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
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

// TestFileAuditorFlushesOnItsOwn checks that records reach the file
// without Flush or Close (the writer goroutine's periodic flush).
func TestFileAuditorFlushesOnItsOwn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	a, err := NewFileAuditor(path)
	require.NoError(t, err)
	defer a.Close()
	require.NoError(t, a.Audit(AuditRecord{Time: time.Now(), App: "x", Person: 42, RequestID: "r", Route: routeScore}))
	assert.Eventually(t, func() bool {
		data, err := os.ReadFile(path)
		return err == nil && len(data) > 0
	}, 10*time.Second, 10*time.Millisecond)
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

func TestFileAuditorBacklogFull(t *testing.T) {
	a, err := NewFileAuditor(filepath.Join(t.TempDir(), "audit.jsonl"))
	require.NoError(t, err)
	defer a.Close()
	a.mu.Lock()
	a.maxPending = 2
	a.mu.Unlock()
	// The writer may drain between calls; fill past the limit in one call.
	err = a.Audit(make([]AuditRecord, 3)...)
	assert.ErrorIs(t, err, ErrAuditUnavailable)
}

// BenchmarkFileAuditorAudit measures the request-path cost of recording a
// read: an append under a mutex, never file I/O. "serial" flushes every
// 4096 records outside the timer so it measures accepted records only;
// "parallel" runs faster than the writer can drain (far beyond any request
// rate) and reports how many records the full backlog refused.
func BenchmarkFileAuditorAudit(b *testing.B) {
	rec := AuditRecord{Time: time.Now(), App: "lender", Person: 123456, RequestID: "0123456789ab-1f", Route: routeScore}
	b.Run("serial", func(b *testing.B) {
		a, err := NewFileAuditor(filepath.Join(b.TempDir(), "audit.jsonl"))
		require.NoError(b, err)
		defer a.Close()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if i%4096 == 4095 {
				b.StopTimer()
				require.NoError(b, a.Flush())
				b.StartTimer()
			}
			if err := a.Audit(rec); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		a, err := NewFileAuditor(filepath.Join(b.TempDir(), "audit.jsonl"))
		require.NoError(b, err)
		defer a.Close()
		var refused atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := a.Audit(rec); errors.Is(err, ErrAuditUnavailable) {
					refused.Add(1)
				} else if err != nil {
					b.Fatal(err)
				}
			}
		})
		b.ReportMetric(float64(refused.Load())/float64(b.N), "refused/op")
	})
}

// BenchmarkFileAuditorWrite measures the writer goroutine's side: encoding
// and writing records to the file.
func BenchmarkFileAuditorWrite(b *testing.B) {
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
		require.NoError(b, a.Flush())
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
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
