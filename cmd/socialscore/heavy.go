package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/socialscore/socialscore/internal/admission"
)

// Flags of heavy work (issue 13; api/admission.go): the share of the cores
// it may use, the budgets per role and the soft memory limit.
type heavyFlags struct {
	share   float64
	budgets admission.Budgets
	memory  string
	prio    string
}

// defaultMemoryLimit is --memory-limit when neither it nor GOMEMLIMIT is
// given; serve then adds the live heap of the loaded scores to it
// (storeMemoryLimit), so that a large store works with the defaults.
const defaultMemoryLimit = "1GiB"

func heavyFlagsOf(fs *flag.FlagSet) *heavyFlags {
	h := &heavyFlags{budgets: admission.DefaultBudgets()}
	fs.Float64Var(&h.share, "heavy-share", admission.DefaultShare, "share of GOMAXPROCS that heavy work (shocks, simulations, exports, network views, scoring runs) may use at once, in (0, 1]; at least one core")
	fs.Func("heavy-budget", "largest cost of a heavy operation, op=N (every role) or role:op=N; repeatable. ops: shock, simulation, export, network, centrality, scoring_run (defaults: README, Heavy work)",
		h.budgets.Set)
	fs.StringVar(&h.prio, "heavy-priority", "auto", "scheduling of heavy work's threads: nice (niced to 10), idle (also Linux's SCHED_IDLE, so reads take the core at once; a thread starved for 300 ms goes back to nice 10), or auto (idle where the process may move a thread back, else nice)")
	fs.StringVar(&h.memory, "memory-limit", envOr("SOCIALSCORE_MEMORY_LIMIT", ""), "soft memory limit of the process (GOMEMLIMIT), e.g. 1GiB or 1500MiB, or off; heavy work is refused near it (default: GOMEMLIMIT if set, else "+defaultMemoryLimit+" above the heap of the loaded scores; env SOCIALSCORE_MEMORY_LIMIT)")
	return h
}

// config returns the heavy pool's config and the memory limit to set (0:
// none).
func (h *heavyFlags) config() (admission.Config, int64, error) {
	c := admission.Config{Share: h.share}
	switch h.prio {
	case "nice":
	case "idle":
		c.Idle = true
	case "auto":
		// SCHED_IDLE alone can starve heavy work on a busy machine; it is
		// the default only where a starved thread can be moved back.
		c.Idle = admission.CanPromote(admission.DefaultNice)
	default:
		return c, 0, usageError{fmt.Errorf("--heavy-priority: want auto, nice or idle, got %q", h.prio)}
	}
	if err := c.Validate(); err != nil {
		return c, 0, usageError{fmt.Errorf("--heavy-share: %w", err)}
	}
	spec := h.memory
	if spec == "" {
		if os.Getenv("GOMEMLIMIT") != "" {
			limit := debug.SetMemoryLimit(-1) // as the runtime read it
			c.MemoryLimit = limit
			return c, limit, nil
		}
		spec = defaultMemoryLimit
	}
	limit, err := parseBytes(spec)
	if err != nil {
		return c, 0, usageError{fmt.Errorf("--memory-limit: %w", err)}
	}
	c.MemoryLimit = limit
	return c, limit, nil
}

// parseBytes reads a size: a number of bytes with an optional unit (B,
// KiB, MiB, GiB, TiB), or "off" for none (0).
func parseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "off") {
		return 0, nil
	}
	mult := 1.0
	for _, u := range []struct {
		suffix string
		m      float64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.m
			break
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) || f*mult > math.MaxInt64/2 {
		return 0, errors.New("want a positive size such as 1GiB, 1500MiB or 2000000000, or off")
	}
	return int64(f * mult), nil
}
