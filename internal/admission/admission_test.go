package admission_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/internal/admission"
)

// peak records the most slots held at once, as the pool's hook reports.
type peak struct{ max, now atomic.Int64 }

func (p *peak) hook(held int) {
	p.now.Store(int64(held))
	for {
		m := p.max.Load()
		if int64(held) <= m || p.max.CompareAndSwap(m, int64(held)) {
			return
		}
	}
}

func TestPoolNeverHoldsMoreThanItsSlots(t *testing.T) {
	var pk peak
	var inside, maxInside atomic.Int64
	p := admission.New(admission.Config{Slots: 3, PerKey: 2, PerKeyWaiting: 100, MaxWaiting: 1000, Hook: pk.hook})
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			release, err := p.Acquire(context.Background(), fmt.Sprintf("key%d", i%5))
			if !assert.NoError(t, err) {
				return
			}
			n := inside.Add(1)
			for {
				m := maxInside.Load()
				if n <= m || maxInside.CompareAndSwap(m, n) {
					break
				}
			}
			for range 1000 { // some work while holding the slot
				_ = math.Sqrt(float64(n))
			}
			inside.Add(-1)
			release()
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, pk.max.Load(), int64(3), "the hook never saw more than 3 slots held")
	assert.LessOrEqual(t, maxInside.Load(), int64(3), "never more than 3 holders at once")
	assert.Equal(t, int64(0), pk.now.Load(), "every slot was given back")
	assert.Equal(t, admission.Stats{Slots: 3}, p.Stats())
}

func TestDefaultSlotsAreHalfOfGOMAXPROCS(t *testing.T) {
	p := admission.New(admission.Config{})
	assert.GreaterOrEqual(t, p.Slots(), 1)
	assert.LessOrEqual(t, p.Slots(), max(1, runtimeProcs()/2))
	assert.Equal(t, 1, p.PerKey())
	assert.Equal(t, 1, admission.New(admission.Config{Share: 0.01}).Slots(), "at least one slot")
}

func TestPerKeyLimitsAndBusy(t *testing.T) {
	p := admission.New(admission.Config{Slots: 2, PerKey: 1, PerKeyWaiting: 1, MaxWaiting: 10})
	ctx := context.Background()
	relA, err := p.Acquire(ctx, "a")
	require.NoError(t, err)

	// a's second request waits although a slot is free: a holds its one.
	got := make(chan func(), 1)
	go func() {
		r, err := p.Acquire(ctx, "a")
		assert.NoError(t, err)
		got <- r
	}()
	require.Eventually(t, func() bool { return p.Stats().Waiting == 1 }, 5*time.Second, time.Millisecond)
	// a's third is refused at once: one may wait per key.
	_, err = p.Acquire(ctx, "a")
	var busy *admission.BusyError
	require.ErrorAs(t, err, &busy)
	assert.Equal(t, "a", busy.Key)
	assert.Contains(t, busy.Reason, "at most 1")
	assert.Positive(t, busy.RetryAfter)

	// Another key gets the free slot at once.
	relB, err := p.Acquire(ctx, "b")
	require.NoError(t, err)
	assert.Equal(t, 2, p.Stats().Held)

	relA()
	relA() // a second call is harmless
	r := <-got
	assert.Equal(t, admission.Stats{Slots: 2, Held: 2}, p.Stats())
	r()
	relB()
	assert.Equal(t, admission.Stats{Slots: 2}, p.Stats())
}

func TestWaitersAreServedRoundRobinAcrossKeys(t *testing.T) {
	p := admission.New(admission.Config{Slots: 1, PerKey: 1, PerKeyWaiting: 10, MaxWaiting: 100})
	ctx := context.Background()
	hold, err := p.Acquire(ctx, "x")
	require.NoError(t, err)

	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	enqueue := func(key string) {
		wg.Add(1)
		before := p.Stats().Waiting
		go func() {
			defer wg.Done()
			r, err := p.Acquire(ctx, key)
			if !assert.NoError(t, err) {
				return
			}
			mu.Lock()
			order = append(order, key)
			mu.Unlock()
			r()
		}()
		require.Eventually(t, func() bool { return p.Stats().Waiting == before+1 }, 5*time.Second, time.Millisecond)
	}
	for range 3 {
		enqueue("greedy")
	}
	enqueue("other")
	hold()
	wg.Wait()
	assert.Equal(t, []string{"greedy", "other", "greedy", "greedy"}, order,
		"the other key is served after one of greedy's, not after all three")
}

func TestCancelledWaiterLeaves(t *testing.T) {
	p := admission.New(admission.Config{Slots: 1, PerKeyWaiting: 2})
	hold, err := p.Acquire(context.Background(), "a")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := p.Acquire(ctx, "b")
		done <- err
	}()
	require.Eventually(t, func() bool { return p.Stats().Waiting == 1 }, 5*time.Second, time.Millisecond)
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
	assert.Equal(t, admission.Stats{Slots: 1, Held: 1}, p.Stats())
	hold()
	r, err := p.Acquire(context.Background(), "b")
	require.NoError(t, err, "the cancelled waiter left nothing behind")
	r()
}

func TestAcquireQueuedIgnoresTheWaitingLimits(t *testing.T) {
	p := admission.New(admission.Config{Slots: 1, PerKeyWaiting: -1, MaxWaiting: 1})
	hold, err := p.Acquire(context.Background(), "a")
	require.NoError(t, err)
	_, err = p.Acquire(context.Background(), "a")
	var busy *admission.BusyError
	require.ErrorAs(t, err, &busy, "no waiting allowed for a bounded acquire")
	done := make(chan struct{})
	go func() {
		r, err := p.AcquireQueued(context.Background(), "a")
		assert.NoError(t, err)
		r()
		close(done)
	}()
	require.Eventually(t, func() bool { return p.Stats().Waiting == 1 }, 5*time.Second, time.Millisecond)
	hold()
	<-done
}

func TestMemoryRefusal(t *testing.T) {
	var heap atomic.Uint64
	p := admission.New(admission.Config{Slots: 1, MemoryLimit: 1000, MemoryFraction: 0.8, HeapBytes: heap.Load})
	heap.Store(799)
	r, err := p.Acquire(context.Background(), "a")
	require.NoError(t, err)
	r()
	heap.Store(800)
	_, err = p.Acquire(context.Background(), "a")
	var me *admission.MemoryError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, uint64(800), me.Heap)
	assert.Equal(t, uint64(1000), me.Limit)
	assert.Equal(t, admission.Stats{Slots: 1}, p.Stats(), "nothing held after a refusal")
	_, err = p.AcquireQueued(context.Background(), "a")
	assert.True(t, errors.As(err, &me), "queued work is refused too")

	unlimited := admission.New(admission.Config{Slots: 1, HeapBytes: func() uint64 { return math.MaxUint64 }})
	if unlimited.MemoryLimit() == 0 {
		assert.NoError(t, unlimited.CheckMemory(), "no limit, no refusal")
	}
}

func TestConfigValidate(t *testing.T) {
	assert.NoError(t, admission.Config{}.Validate())
	assert.Error(t, admission.Config{Share: 1.5}.Validate())
	assert.Error(t, admission.Config{Slots: -1}.Validate())
	assert.Error(t, admission.Config{MemoryFraction: 2}.Validate())
	assert.Error(t, admission.Config{MemoryLimit: -1}.Validate())
}

func TestRunReturnsAndPanicsThrough(t *testing.T) {
	p := admission.New(admission.Config{Slots: 1})
	want := errors.New("boom")
	assert.ErrorIs(t, p.Run(func() error { return want }), want)
	ran := false
	require.NoError(t, p.Run(func() error { ran = true; return nil }))
	assert.True(t, ran)
	assert.PanicsWithValue(t, "oops", func() { _ = p.Run(func() error { panic("oops") }) })
	assert.Error(t, admission.Config{Nice: 20}.Validate())
}
