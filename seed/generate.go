package seed

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/socialscore/socialscore/graph"
)

// chunkSize is the number of people whose records share one random
// stream. It is fixed so the output does not depend on how many
// goroutines generate the chunks.
const chunkSize = 1 << 14

// Generate returns a synthetic population as a batch ready for
// graph.BatchWriter: cfg.People people with ids 1..People, in id order,
// then their friendships (From < To, Weight 0 meaning 1, in the order they
// formed), then their recruitments (recruiter From < recruit To, ordered
// by recruit). CreatedAt and UpdatedAt are left zero for the store to set.
// The same config returns an identical batch; see the package doc for the
// model. It returns an error wrapping graph.ErrInvalid if the config does
// not validate.
func Generate(cfg Config) (graph.Batch, error) {
	if err := cfg.Validate(); err != nil {
		return graph.Batch{}, err
	}
	cfg = cfg.WithDefaults()
	n := cfg.People

	g, z, by := generateNetwork(cfg)
	g.adj = nil // only the edge list is needed from here
	people := generatePeople(cfg, z, 0, n, make([]graph.Person, 0, n))

	recruits := 0
	for _, r := range by {
		if r >= 0 {
			recruits++
		}
	}
	ties := make([]graph.Tie, 0, g.friendships()+recruits)
	for i := 0; i < len(g.edges); i += 2 {
		newer, older := g.edges[i], g.edges[i+1]
		ties = append(ties, graph.Tie{Kind: graph.Friend, From: graph.ID(older) + 1, To: graph.ID(newer) + 1})
	}
	for v, r := range by {
		if r >= 0 {
			ties = append(ties, graph.Tie{Kind: graph.Recruited, From: graph.ID(r) + 1, To: graph.ID(v) + 1})
		}
	}
	return graph.Batch{People: people, Ties: ties}, nil
}

// parallel calls fn(0..tasks-1) on up to GOMAXPROCS goroutines and waits.
// The caller keeps the result independent of scheduling: task i writes
// only its own part of the output and draws from its own random stream.
func parallel(tasks int, fn func(task int)) {
	workers := min(runtime.GOMAXPROCS(0), tasks)
	if workers <= 1 {
		for t := range tasks {
			fn(t)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for t := int(next.Add(1) - 1); t < tasks; t = int(next.Add(1) - 1) {
				fn(t)
			}
		})
	}
	wg.Wait()
}
