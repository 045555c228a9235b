package neo4j

import (
	"context"
	"sync"
	"testing"
	"time"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/socialscore/socialscore/graph"
)

func TestZZPar(t *testing.T) {
	s := openEmpty(t, nil)
	defer s.Close()
	ctx := context.Background()
	batch := genBatch(50000, 250000, 1)
	p, _ := planBatch(batch)
	steps := s.steps(p, &checked{}, s.now())
	run := func(workers int, sts []step) {
		ch := make(chan step)
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for st := range ch {
					if _, err := s.write(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
						return nil, execTx(ctx, tx, st.query, st.params)
					}); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		for _, st := range sts {
			ch <- st
		}
		close(ch)
		wg.Wait()
	}
	for _, workers := range []int{1, 2, 1, 2} {
		if err := wipe(ctx, s); err != nil {
			t.Fatal(err)
		}
		t0, c0 := time.Now(), serverCPU()
		run(workers, steps)
		d, c := time.Since(t0), serverCPU()-c0
		t.Logf("people workers %d: wall %v %.0f/s cpu %v", workers, d.Round(time.Millisecond), float64(len(p.people))/d.Seconds(), c)
		// rels: 4 groups by id%4, blocks scheduled in rounds of 2 disjoint blocks
		g := func(id graph.ID) int { return int(id % 4) }
		blocks := map[[2]int][]graph.Tie{}
		for _, f := range p.friends {
			a, b := g(f.From), g(f.To)
			if a > b {
				a, b = b, a
			}
			blocks[[2]int{a, b}] = append(blocks[[2]int{a, b}], f)
		}
		rounds := [][][2]int{{{0, 0}, {1, 1}}, {{2, 2}, {3, 3}}, {{0, 1}, {2, 3}}, {{0, 2}, {1, 3}}, {{0, 3}, {1, 2}}}
		t0, c0 = time.Now(), serverCPU()
		if workers == 1 {
			for lo := 0; lo < len(p.friends); lo += 10000 {
				run(1, []step{{query: qCreateFriend, params: tieParams(p.friends[lo:min(lo+10000, len(p.friends))])}})
			}
		} else {
			for _, r := range rounds {
				var wg sync.WaitGroup
				for _, blk := range r {
					wg.Add(1)
					go func(ts []graph.Tie) {
						defer wg.Done()
						for lo := 0; lo < len(ts); lo += 10000 {
							run(1, []step{{query: qCreateFriend, params: tieParams(ts[lo:min(lo+10000, len(ts))])}})
						}
					}(blocks[blk])
				}
				wg.Wait()
			}
		}
		d, c = time.Since(t0), serverCPU()-c0
		t.Logf("rels workers %d: wall %v %.0f/s cpu %v", workers, d.Round(time.Millisecond), float64(len(p.friends))/d.Seconds(), c)
	}
}
