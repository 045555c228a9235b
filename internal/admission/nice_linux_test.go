package admission_test

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/socialscore/socialscore/internal/admission"
)

// TestRunLowersTheThreadsPriority: Linux's getpriority(2) system call
// returns 20 − nice, so heavy work at nice 10 sees 10 less than the test's
// own thread (nice 0 unless the test runs niced).
func TestRunLowersTheThreadsPriority(t *testing.T) {
	outside, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	require.NoError(t, err)
	var inside int
	p := admission.New(admission.Config{Slots: 1, Nice: 10})
	require.NoError(t, p.Run(func() error {
		var err error
		inside, err = syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
		return err
	}))
	if outside > 10 { // the test itself runs below nice 10
		assert.Equal(t, 10, inside, "nice 10")
	} else {
		assert.Equal(t, outside, inside, "already at or below nice 10: unchanged")
	}
	var normal int
	require.NoError(t, admission.New(admission.Config{Slots: 1, Nice: -1}).Run(func() error {
		var err error
		normal, err = syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
		return err
	}))
	assert.Equal(t, outside, normal, "Nice < 0: normal priority")
}

// TestRunIdleUsesSchedIdle: with Idle, heavy work runs in Linux's
// SCHED_IDLE class (sched_getattr(2) on its thread), and a thread outside
// Run keeps its own class.
func TestRunIdleUsesSchedIdle(t *testing.T) {
	outside, err := unix.SchedGetAttr(0, 0)
	require.NoError(t, err)
	var inside *unix.SchedAttr
	require.NoError(t, admission.New(admission.Config{Slots: 1, Idle: true}).Run(func() error {
		var err error
		inside, err = unix.SchedGetAttr(0, 0)
		return err
	}))
	assert.Equal(t, uint32(unix.SCHED_IDLE), inside.Policy)
	assert.NotEqual(t, uint32(unix.SCHED_IDLE), outside.Policy, "the test's own thread")
	var plain *unix.SchedAttr
	require.NoError(t, admission.New(admission.Config{Slots: 1}).Run(func() error {
		var err error
		plain, err = unix.SchedGetAttr(0, 0)
		return err
	}))
	assert.Equal(t, outside.Policy, plain.Policy, "without Idle: the class is unchanged")
}

// TestRunIdleIsPromotedWhenStarved: heavy work in SCHED_IDLE on a machine
// whose every core is taken by a busy process of normal priority gets
// almost no CPU (the kernel's SCHED_IDLE weight is 3 against 1,024 for
// nice 0). The pool's watch sees it wait far longer than it runs and moves
// it back to the normal class at its niceness, so it finishes.
func TestRunIdleIsPromotedWhenStarved(t *testing.T) {
	if !admission.CanPromote(admission.DefaultNice) {
		t.Skip("this process may not raise a thread out of SCHED_IDLE (needs CAP_SYS_NICE or RLIMIT_NICE >= 10)")
	}
	for range runtime.NumCPU() {
		hog := exec.Command("sh", "-c", "while :; do :; done")
		require.NoError(t, hog.Start())
		t.Cleanup(func() { _ = hog.Process.Kill(); _ = hog.Wait() })
	}
	p := admission.New(admission.Config{Slots: 1, Idle: true, StarvedAfter: 200 * time.Millisecond})
	var policies []uint32
	require.NoError(t, p.Run(func() error {
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			a, err := unix.SchedGetAttr(0, 0)
			if err != nil {
				return err
			}
			if len(policies) == 0 || policies[len(policies)-1] != a.Policy {
				policies = append(policies, a.Policy)
			}
			if a.Policy != unix.SCHED_IDLE {
				nice, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
				require.NoError(t, err)
				assert.Equal(t, 20-admission.DefaultNice, nice, "back at the pool's niceness, not at normal priority")
				return nil
			}
		}
		return nil
	}))
	assert.Equal(t, []uint32{unix.SCHED_IDLE, unix.SCHED_NORMAL}, policies, "started idle, then promoted")
	assert.Equal(t, int64(1), p.Stats().Promoted)
}

// TestCanPromote: this process can put a thread in SCHED_IDLE and read
// its schedstat; whether it may promote depends on its privileges, which
// CanPromote must report as sched_setattr(2) does.
func TestCanPromote(t *testing.T) {
	var limit unix.Rlimit
	require.NoError(t, unix.Getrlimit(unix.RLIMIT_NICE, &limit))
	if os.Geteuid() == 0 || limit.Cur >= 20-admission.DefaultNice {
		assert.True(t, admission.CanPromote(admission.DefaultNice), "root or RLIMIT_NICE >= 10")
	}
	assert.True(t, admission.CanPromote(admission.DefaultNice) == admission.CanPromote(admission.DefaultNice), "stable")
}

// TestRunIdleManyTimes: every Run in SCHED_IDLE with its watch returns
// what its work returned, many at once and one after another, and a panic
// in the work reaches the caller (a hand-off between the watch and the
// heavy thread once let the caller wait forever).
func TestRunIdleManyTimes(t *testing.T) {
	p := admission.New(admission.Config{Slots: 4, Idle: true})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 100 {
				want := g*1000 + i
				var got int
				assert.NoError(t, p.Run(func() error { got = want; return nil }))
				assert.Equal(t, want, got)
			}
		})
	}
	wg.Wait()
	assert.PanicsWithValue(t, "boom", func() { _ = p.Run(func() error { panic("boom") }) })
	wantErr := errors.New("failed")
	assert.Equal(t, wantErr, p.Run(func() error { return wantErr }))
}
