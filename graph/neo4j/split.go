package neo4j

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// This file writes a checked batch too large for one transaction: in
// transactions of about SplitTxRows rows, Writers at a time, undoing every
// committed one if any fails. batch.go plans and checks the batch and
// turns it into steps.

const (
	// Undo statements for a batch split over several transactions.
	// Only people this batch created: they carry its created_at.
	qDeletePeople = `
UNWIND $ids AS id
MATCH (p:Person {id: id}) WHERE p.created_at = $now
DETACH DELETE p`
	qDeleteFriend = `
UNWIND range(0, size($a) - 1) AS i
MATCH (:Person {id: $a[i]})-[f:FRIEND]-(:Person {id: $b[i]})
DELETE f`
	qDeleteRecruit = `
UNWIND range(0, size($a) - 1) AS i
MATCH (:Person {id: $a[i]})-[t:RECRUITED]->(:Person {id: $b[i]})
DELETE t`
)

// txSteps is one transaction of a split batch: steps[from:to].
type txSteps struct{ from, to int }

// writeSplit writes the steps of a checked batch in transactions of up to
// SplitTxRows rows, Writers at a time: first those that create people,
// then (once every person exists, so that their node ids are known) those
// of ties. On failure it waits for the transactions under way and undoes
// every committed one.
func (s *Store) writeSplit(ctx context.Context, op string, steps []step) error {
	var txs [2][]txSteps // people, then ties
	for start := 0; start < len(steps); {
		phase := 1
		if steps[start].creates {
			phase = 0
		}
		end, rows := start, 0
		for end < len(steps) && steps[end].creates == steps[start].creates &&
			(end == start || rows+steps[end].rows <= s.cfg.SplitTxRows) {
			rows += steps[end].rows
			end++
		}
		txs[phase] = append(txs[phase], txSteps{start, end})
		start = end
	}

	var (
		mu      sync.Mutex
		failed  error
		done    int                  // steps committed
		written = map[txSteps]bool{} // committed, or maybe (outcome unknown)
	)
	for _, phase := range txs {
		var wg sync.WaitGroup
		slots := make(chan struct{}, s.cfg.Writers)
		for _, t := range phase {
			slots <- struct{}{}
			mu.Lock()
			stop := failed != nil
			mu.Unlock()
			if stop {
				<-slots
				break
			}
			wg.Add(1)
			go func() {
				defer func() { <-slots; wg.Done() }()
				_, err := s.writeGen(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
					for i := t.from; i < t.to; i++ {
						if err := steps[i].run(ctx, tx); err != nil {
							return nil, err
						}
					}
					return nil, nil
				})
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					written[t] = true
					done += t.to - t.from
					if s.afterTx != nil && failed == nil {
						err = s.afterTx(done, len(steps))
					}
				} else if maybeCommitted(err) {
					// Undoing what was not written changes nothing.
					written[t] = true
				}
				if err != nil && failed == nil {
					failed = err
				}
			}()
		}
		wg.Wait()
		if failed != nil {
			break
		}
	}
	if failed == nil {
		return nil
	}
	var undo []step
	for _, phase := range txs {
		for _, t := range phase {
			if written[t] {
				undo = append(undo, steps[t.from:t.to]...)
			}
		}
	}
	if uerr := s.undo(ctx, undo); uerr != nil {
		failed = fmt.Errorf("%w; undoing the %d statements already committed failed, the batch is partly stored: %v", failed, done, uerr)
	}
	return s.wrap(ctx, op, failed)
}

// maybeCommitted tells whether a transaction that failed with err may
// have committed all the same: its connection was lost or its context
// ended while it was committing.
func maybeCommitted(err error) bool {
	var connErr *drv.ConnectivityError
	return errors.As(err, &connErr) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// undo reverts committed steps, newest first. It runs even if ctx was
// cancelled, bounded by its own timeout.
func (s *Store) undo(ctx context.Context, done []step) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	defer cancel()
	for i := len(done) - 1; i >= 0; i-- {
		q, params := done[i].undo()
		if _, err := s.writeGen(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
			return nil, execTx(ctx, tx, q, params)
		}); err != nil {
			return err
		}
	}
	return nil
}
