package simulate

import (
	"context"
	"fmt"
	"slices"

	"github.com/socialscore/socialscore/graph"
)

// MaxJobPeople bounds the seeded network of a sweep run as a job for an
// API (CheckJob), so that one request cannot exhaust the server's memory.
const MaxJobPeople = 1_000_000

// NetworkLoader returns the network that a job's points without a seeded
// network (Config.People = 0) simulate, typically a store's snapshot. The
// simulation copies it and never modifies it.
type NetworkLoader func(ctx context.Context) (*graph.Snapshot, error)

// CheckJob validates a sweep submitted through an API, to be run in the
// background with RunJob. Policies in such a request are preset names or
// policy objects: files are never read, so the sweep comes back without
// its PolicyLoader. Seeded networks hold at most MaxJobPeople, and a point
// that simulates the stored network (people 0) needs one (haveNetwork).
// Errors wrap graph.ErrInvalid and name the field.
//
// The background job itself (queue, workers, cancellation) is the API's
// business: package internal/jobs.
func CheckJob(s Sweep, haveNetwork bool) (Sweep, error) {
	s.PolicyLoader = nil
	points, err := s.Points()
	if err != nil {
		return Sweep{}, err
	}
	for _, p := range points {
		if p.Config.People > MaxJobPeople {
			return Sweep{}, graph.Invalid("people", "must be at most %d for a simulation job, got %d", MaxJobPeople, p.Config.People)
		}
		if p.Config.People == 0 && !haveNetwork {
			return Sweep{}, graph.Invalid("people", "is required: this server has no stored network to simulate")
		}
	}
	return s, nil
}

// RunJob runs a sweep checked by CheckJob: it loads the network with load
// if a point simulates it, runs the sweep on workers goroutines (0 means
// GOMAXPROCS), reports progress as the rounds done over the rounds to
// simulate, and returns the summary. A cancelled ctx stops it at the next
// round with an error wrapping ctx's error.
func RunJob(ctx context.Context, s Sweep, load NetworkLoader, workers int, progress func(done, total int)) (*Summary, error) {
	points, err := s.Points()
	if err != nil {
		return nil, err
	}
	var net *graph.Snapshot
	if slices.ContainsFunc(points, func(p Point) bool { return p.Config.People == 0 }) {
		if load == nil {
			return nil, graph.Invalid("people", "is required: there is no stored network to simulate")
		}
		if net, err = load(ctx); err != nil {
			return nil, fmt.Errorf("load network: %w", err)
		}
	}
	res, err := RunSweep(ctx, s, net, SweepOptions{Workers: workers, Progress: progress})
	if err != nil {
		return nil, err
	}
	return Summarize(res), nil
}
