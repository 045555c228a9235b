package main

import (
	"io"
	"log/slog"
	"net/http"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPprofApart: profiles are served on an address of their own, and
// never the command line.
func TestPprofApart(t *testing.T) {
	m := &Main{PprofAddr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	addr, stop, err := m.servePprof()
	require.NoError(t, err)
	defer stop()
	resp, err := http.Get("http://" + addr + "/debug/pprof/heap")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	// The command line is not served: it may hold secrets (keys given with
	// the deprecated --api-keys), and profiles need no key.
	resp, err = http.Get("http://" + addr + "/debug/pprof/cmdline")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	for _, arg := range os.Args[1:] {
		assert.NotContains(t, string(body), arg)
	}

	_, _, err = (&Main{PprofAddr: "256.0.0.1:0", Logger: m.Logger}).servePprof()
	assert.Error(t, err, "a bad address fails Serve rather than being ignored")
}
