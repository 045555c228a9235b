package admission_test

import (
	"syscall"
	"testing"

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
