package api

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// writeLog writes n records through a FileAuditor and returns the file's
// lines (with their newlines).
func writeLog(t *testing.T, n int) (string, [][]byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	a, err := NewFileAuditor(path)
	require.NoError(t, err)
	for i := 1; i <= n; i++ {
		require.NoError(t, a.Audit(AuditRecord{Time: time.Date(2026, 1, 2, 3, 4, 5, i, time.UTC), App: fmt.Sprintf("app%d", i%3),
			Role: graph.RoleApp, Person: graph.ID(i), RequestID: "r" + strconv.Itoa(i), Route: routeScore, Purpose: "fraud_check"}))
	}
	require.NoError(t, a.Close())
	return path, splitLines(t, path)
}

func splitLines(t *testing.T, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return bytes.SplitAfter(data, []byte{'\n'})[:bytes.Count(data, []byte{'\n'})]
}

func verify(lines [][]byte) (AuditVerification, error) {
	return VerifyAuditLog(bytes.NewReader(bytes.Join(lines, nil)))
}

// chainError asserts err is an *AuditChainError at the line.
func chainError(t *testing.T, err error, line int, reason string) {
	t.Helper()
	var ce *AuditChainError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, line, ce.Line, "%v", err)
	assert.Contains(t, ce.Reason, reason)
}

func TestAuditChainIntact(t *testing.T) {
	_, lines := writeLog(t, 10)
	v, err := verify(lines)
	require.NoError(t, err)
	assert.Equal(t, 10, v.Records)
	assert.Equal(t, uint64(10), v.HeadSeq)
	assert.False(t, v.TornTail)

	// The chain, computed independently of lineHash: record 1's prev is 64
	// zeros; each hash is SHA-256 of the line without its hash field, the
	// object closed with "}"; each prev is the hash before.
	prev := strings.Repeat("0", 64)
	for i, l := range lines {
		var m map[string]any
		require.NoError(t, json.Unmarshal(l, &m))
		assert.EqualValues(t, i+1, m["seq"])
		assert.Equal(t, prev, m["prev"])
		body := string(l[:strings.LastIndex(string(l), `,"hash":`)]) + "}"
		sum := sha256.Sum256([]byte(body))
		assert.Equal(t, hex.EncodeToString(sum[:]), m["hash"])
		prev = m["hash"].(string)
	}
	assert.Equal(t, prev, v.Head)
}

func TestAuditChainFindsTampering(t *testing.T) {
	_, lines := writeLog(t, 8)
	clone := func() [][]byte {
		out := make([][]byte, len(lines))
		for i, l := range lines {
			out[i] = bytes.Clone(l)
		}
		return out
	}

	t.Run("changed", func(t *testing.T) {
		l := clone()
		l[3] = bytes.Replace(l[3], []byte(`"person":4`), []byte(`"person":5`), 1)
		_, err := verify(l)
		chainError(t, err, 4, "changed")
	})
	t.Run("changed and rehashed", func(t *testing.T) {
		// The forger recomputes the record's own hash: the next record's
		// prev no longer matches.
		l := clone()
		body := bytes.Replace(l[3][:len(l[3])-hashSuffixLen-1], []byte(`"app":"app1"`), []byte(`"app":"appX"`), 1)
		sum := sha256.Sum256(append(bytes.Clone(body), '}'))
		l[3] = append(body, []byte(`,"hash":"`+hex.EncodeToString(sum[:])+"\"}\n")...)
		_, err := verify(l)
		chainError(t, err, 5, "prev is not the hash")
	})
	t.Run("removed", func(t *testing.T) {
		l := clone()
		l = append(l[:2], l[3:]...) // record 3 deleted
		_, err := verify(l)
		chainError(t, err, 3, "seq 4 follows seq 2")
	})
	t.Run("reordered", func(t *testing.T) {
		l := clone()
		l[4], l[5] = l[5], l[4]
		_, err := verify(l)
		chainError(t, err, 5, "seq 6 follows seq 4")
	})
	t.Run("inserted", func(t *testing.T) {
		l := clone()
		extra := bytes.Clone(l[1]) // a copy of record 2 slipped in after it
		l = append(l[:2], append([][]byte{extra}, l[2:]...)...)
		_, err := verify(l)
		chainError(t, err, 3, "seq 2 follows seq 2")
	})
	t.Run("inserted without chain fields", func(t *testing.T) {
		l := clone()
		l = append(l[:4], append([][]byte{[]byte(`{"time":"2026-01-02T03:04:05Z","app":"x","person":9,"request_id":"r","route":"/v1/people/{id}/score"}` + "\n")}, l[4:]...)...)
		_, err := verify(l)
		chainError(t, err, 5, "inserted")
	})
	t.Run("garbage line", func(t *testing.T) {
		l := clone()
		l[2] = []byte("not json\n")
		_, err := verify(l)
		chainError(t, err, 3, "not a record")
	})
}

// TestAuditTornTail: a last line cut short is reported and passes; the
// auditor cuts it off when it opens the file and continues the chain.
func TestAuditTornTail(t *testing.T) {
	path, lines := writeLog(t, 5)
	data := bytes.Join(lines, nil)
	for _, cut := range []int{1, 10, len(lines[4]) - 1} { // within the last line
		torn := data[:len(data)-cut]
		v, err := VerifyAuditLog(bytes.NewReader(torn))
		require.NoError(t, err, "cut %d", cut)
		assert.True(t, v.TornTail, "cut %d", cut)
		assert.Equal(t, 4, v.Records, "cut %d", cut)
	}
	require.NoError(t, os.WriteFile(path, data[:len(data)-7], 0o600))
	a, err := NewFileAuditor(path)
	require.NoError(t, err)
	require.NoError(t, a.Audit(AuditRecord{Time: time.Now(), App: "x", Person: 42, RequestID: "r", Route: routeScore}))
	require.NoError(t, a.Close())
	v, err := VerifyAuditLog(bytes.NewReader(mustRead(t, path)))
	require.NoError(t, err)
	assert.False(t, v.TornTail)
	assert.Equal(t, 5, v.Records, "records 1-4 and the new one, numbered 5")
	assert.Equal(t, uint64(5), v.HeadSeq)
}

// TestAuditChainAcrossReopen: a reopened log continues its chain.
func TestAuditChainAcrossReopen(t *testing.T) {
	path, _ := writeLog(t, 3)
	for i := range 2 {
		a, err := NewFileAuditor(path)
		require.NoError(t, err)
		require.NoError(t, a.Audit(AuditRecord{Time: time.Now(), App: "x", Person: graph.ID(10 + i), RequestID: "r", Route: routeScore}))
		require.NoError(t, a.Close())
	}
	v, err := VerifyAuditLog(bytes.NewReader(mustRead(t, path)))
	require.NoError(t, err)
	assert.Equal(t, 5, v.Records)
}

// TestAuditChainAfterLegacyLog: a log written before the chain keeps its
// lines; the chain starts after them, anchored on their bytes, so a change
// to an old line is found too.
func TestAuditChainAfterLegacyLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	legacy := `{"time":"2025-01-01T00:00:00Z","app":"lender","person":1,"request_id":"a","route":"/v1/people/{id}/score"}` + "\n" +
		`{"time":"2025-01-01T00:00:01Z","app":"lender","person":2,"request_id":"b","route":"/v1/people/{id}/score"}` + "\n"
	require.NoError(t, os.WriteFile(path, []byte(legacy), 0o600))
	a, err := NewFileAuditor(path)
	require.NoError(t, err)
	require.NoError(t, a.Audit(AuditRecord{Time: time.Now(), App: "x", Person: 3, RequestID: "r", Route: routeScore}))
	require.NoError(t, a.Close())
	data := mustRead(t, path)
	v, err := VerifyAuditLog(bytes.NewReader(data))
	require.NoError(t, err)
	assert.Equal(t, 2, v.Legacy)
	assert.Equal(t, 1, v.Records)
	assert.Len(t, readAudit(t, path), 3, "old records still read")

	changed := bytes.Replace(data, []byte(`"person":2`), []byte(`"person":7`), 1)
	_, err = VerifyAuditLog(bytes.NewReader(changed))
	chainError(t, err, 3, "prev is not the hash")
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}

const auditCrashEnv = "SOCIALSCORE_AUDIT_CRASH_PATH"

// TestAuditCrashWriter is the process TestAuditKill kills: it appends
// batches of records to the log and prints "acked N" after each.
func TestAuditCrashWriter(t *testing.T) {
	path := os.Getenv(auditCrashEnv)
	if path == "" {
		return // run only as TestAuditKill's child
	}
	a, err := NewFileAuditor(path)
	if err != nil {
		fmt.Println("error", err)
		return
	}
	recs := make([]AuditRecord, 50)
	for n := 1; ; n++ {
		for i := range recs {
			recs[i] = AuditRecord{Time: time.Now(), App: "crash", Role: graph.RoleApp, Person: graph.ID(n*100 + i), RequestID: "r" + strconv.Itoa(n), Route: routeScoreBatch}
		}
		if err := a.Audit(recs...); err != nil {
			fmt.Println("error", err)
			return
		}
		fmt.Println("acked", n)
	}
}

// TestAuditKill kills a writing process with SIGKILL, three times over the
// same log: after each kill the log verifies (a torn tail at most), holds
// every acknowledged record, and the next process continues the chain.
func TestAuditKill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	total := 0
	for cycle := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestAuditCrashWriter$", "-test.count=1")
		cmd.Env = append(os.Environ(), auditCrashEnv+"="+path)
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		acked := 0
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "error") {
				t.Fatalf("writer: %s", line)
			}
			if strings.HasPrefix(line, "acked ") {
				acked++
				if acked == 20+cycle*7 {
					require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
				}
			}
		}
		err = cmd.Wait()
		var exitErr *exec.ExitError
		require.ErrorAs(t, err, &exitErr)
		ws, ok := exitErr.Sys().(syscall.WaitStatus)
		require.True(t, ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL, "killed by SIGKILL: %v", err)

		v, err := VerifyAuditLog(bytes.NewReader(mustRead(t, path)))
		require.NoError(t, err, "cycle %d", cycle)
		assert.GreaterOrEqual(t, v.Records, total+acked*50, "cycle %d: every acknowledged record is there", cycle)
		total = v.Records
	}
}
