package main

import (
	"flag"
	"io"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/internal/admission"
)

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"1GiB": 1 << 30, "1500MiB": 1500 << 20, "2000000000": 2_000_000_000, "1.5 GiB": 3 << 29, "off": 0, "64KiB": 64 << 10} {
		got, err := parseBytes(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "-1GiB", "1GB", "lots", "0"} {
		_, err := parseBytes(in)
		assert.Error(t, err, in)
	}
}

func TestHeavyFlags(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	t.Setenv("SOCIALSCORE_MEMORY_LIMIT", "")
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	h := heavyFlagsOf(fs)
	require.NoError(t, fs.Parse([]string{"--heavy-share", "0.25", "--heavy-budget", "researcher:shock=1e6", "--heavy-budget", "simulation=5"}))
	c, limit, err := h.config()
	require.NoError(t, err)
	assert.Equal(t, 0.25, c.Share)
	assert.Equal(t, int64(1<<30), limit, "1 GiB by default")
	assert.Equal(t, limit, c.MemoryLimit)
	l, _ := h.budgets.Limit("researcher", admission.Shock)
	assert.Equal(t, int64(1_000_000), l)
	l, _ = h.budgets.Limit("operator", admission.Simulation)
	assert.Equal(t, int64(5), l)
	assert.Error(t, fs.Parse([]string{"--heavy-budget", "nosuch=1"}))

	fs = flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	h = heavyFlagsOf(fs)
	require.NoError(t, fs.Parse([]string{"--heavy-share", "2", "--memory-limit", "off"}))
	_, _, err = h.config()
	assert.Error(t, err, "a share above 1")
	h.share = 0.5
	_, limit, err = h.config()
	require.NoError(t, err)
	assert.Zero(t, limit)
	assert.Equal(t, admission.CanPromote(admission.DefaultNice), c.Idle,
		"auto by default: idle where a starved thread can be moved back")

	fs = flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	h = heavyFlagsOf(fs)
	require.NoError(t, fs.Parse([]string{"--heavy-priority", "idle"}))
	c, _, err = h.config()
	require.NoError(t, err)
	assert.True(t, c.Idle)
	h.prio = "realtime"
	_, _, err = h.config()
	require.ErrorContains(t, err, "--heavy-priority: want auto, nice or idle")
	h.prio = "nice"
	c, _, err = h.config()
	require.NoError(t, err)
	assert.False(t, c.Idle)
}

// TestStoreMemoryLimitCountsTheLiveHeap: the default limit of a loaded
// server is the base above the live heap, as the runtime's own count of
// allocated bytes after a collection says.
func TestStoreMemoryLimitCountsTheLiveHeap(t *testing.T) {
	const base = 1 << 30
	held := make([]byte, 256<<20)
	for i := 0; i < len(held); i += 4096 {
		held[i] = 1
	}
	got := storeMemoryLimit(base)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	runtime.KeepAlive(held)
	assert.GreaterOrEqual(t, got, int64(base+len(held)))
	assert.InDelta(t, float64(base)+float64(ms.HeapAlloc), float64(got), 32<<20)
}
