package main

import (
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPprofApart: profiles are served on an address of their own.
func TestPprofApart(t *testing.T) {
	m := &Main{PprofAddr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	addr, stop, err := m.servePprof()
	require.NoError(t, err)
	defer stop()
	resp, err := http.Get("http://" + addr + "/debug/pprof/cmdline")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	_, _, err = (&Main{PprofAddr: "256.0.0.1:0", Logger: m.Logger}).servePprof()
	assert.Error(t, err, "a bad address fails Serve rather than being ignored")
}
