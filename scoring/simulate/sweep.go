package simulate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/strictjson"
	"github.com/socialscore/socialscore/scoring"
)

// MaxReplicates bounds Sweep.Replicates.
const MaxReplicates = 1000

// RunOptions tune Run; they never change its results.
type RunOptions struct {
	// Workers bounds the goroutines the model uses; 0 means GOMAXPROCS.
	Workers int
	// Progress, if set, is called after each round with the round done.
	Progress func(round int)
}

// Run simulates one config: step 0 is collected before the first round,
// then each of cfg.Rounds rounds is played and collected. net is the
// network when cfg.People is 0 (see NewModel). It returns the collector and
// the names of the policy's perks (tier k is perks[k-1]). The same config
// and network give the same collector, value for value.
func Run(ctx context.Context, cfg Config, net *graph.Snapshot, o RunOptions) (*Collector, []string, error) {
	m, err := NewModel(ctx, cfg, net, Options{Workers: o.Workers})
	if err != nil {
		return nil, nil, err
	}
	c := &Collector{}
	c.Collect(m)
	for range cfg.Rounds {
		if _, err := m.Step(ctx); err != nil {
			return nil, nil, err
		}
		c.Collect(m)
		if o.Progress != nil {
			o.Progress(m.Round())
		}
	}
	return c, m.PerkNames(), nil
}

// ReplicateSeed returns the seed of replicate r of a config whose seed is
// base: base itself for replicate 0 (so a sweep's first replicate is the
// plain run), else a SplitMix64 mix of base and r, so replicates get
// unrelated streams (and, for seeded networks, different populations from
// the same model).
func ReplicateSeed(base uint64, r int) uint64 {
	if r == 0 {
		return base
	}
	// SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom
	// number generators", OOPSLA 2014).
	z := base + uint64(r)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Axis is one dimension of a sweep: a config field and the values it
// takes. Field is a Config JSON field ("p_form_tie"), "policy" (values are
// preset names, or files where the sweep has a PolicyLoader), or a policy
// field as "policy.<field>" ("policy.alpha", "policy.weights.credit"); a
// top-level policy field may be given bare ("alpha" for "policy.alpha").
// Values are written as on a command line ("0.25", "best_response"); in
// JSON they may also be numbers.
type Axis struct {
	Field  string   `json:"field"`
	Values []string `json:"values"`
}

// UnmarshalJSON accepts values as strings, numbers or booleans.
func (a *Axis) UnmarshalJSON(data []byte) error {
	var raw struct {
		Field  string            `json:"field"`
		Values []json.RawMessage `json:"values"`
	}
	if err := strictjson.Decode(data, &raw, ""); err != nil {
		return graph.Invalid("axes", "want {\"field\": NAME, \"values\": [...]}: %v", err)
	}
	a.Field = raw.Field
	a.Values = make([]string, len(raw.Values))
	for i, v := range raw.Values {
		var s string
		if err := json.Unmarshal(v, &s); err == nil {
			a.Values[i] = s
			continue
		}
		t := strings.TrimSpace(string(v))
		if t == "" || t[0] == '{' || t[0] == '[' || t == "null" {
			return graph.Invalid("axes/"+raw.Field, "value %d must be a string, number or boolean", i)
		}
		a.Values[i] = t
	}
	return nil
}

// ParseAxis parses "field=v1,v2,..." (the --sweep flag).
func ParseAxis(s string) (Axis, error) {
	f, vals, ok := strings.Cut(s, "=")
	f = strings.TrimSpace(f)
	if !ok || f == "" || strings.TrimSpace(vals) == "" {
		return Axis{}, graph.Invalid("sweep", "want field=v1,v2,..., got %q", s)
	}
	a := Axis{Field: f}
	for _, v := range strings.Split(vals, ",") {
		a.Values = append(a.Values, strings.TrimSpace(v))
	}
	return a, nil
}

// Sweep is a grid of configs: Base with every combination of the axes'
// values, each run Replicates times with seeds ReplicateSeed(seed, r). A
// single run is a sweep without axes and one replicate.
type Sweep struct {
	Base       Config `json:"base"`
	Axes       []Axis `json:"axes,omitempty"`
	Replicates int    `json:"replicates"`
	// PolicyLoader resolves the values of a "policy" axis; nil accepts
	// preset names only (scoring.Preset). A command line passes
	// scoring.LoadPolicy to allow files too; an API never should.
	PolicyLoader func(nameOrFile string) (scoring.Policy, error) `json:"-"`
}

// DecodeSweep decodes a sweep request strictly: {"base": {config fields},
// "axes": [{"field": ..., "values": [...]}], "replicates": R}. Omitted
// config fields keep DefaultConfig's values and an omitted replicates is
// 1; unknown fields and trailing data are errors. The sweep is validated.
// Errors wrap graph.ErrInvalid and name the field.
func DecodeSweep(r io.Reader) (Sweep, error) {
	s := Sweep{Base: DefaultConfig(), Replicates: 1}
	if err := decodeStrict(r, &s); err != nil {
		return Sweep{}, err
	}
	if err := s.Validate(); err != nil {
		return Sweep{}, err
	}
	return s, nil
}

// Validate checks the sweep: replicates in [1, MaxReplicates], known and
// distinct axis fields with distinct non-empty values, at most MaxRuns runs,
// and every grid point a valid config. Errors wrap graph.ErrInvalid; a
// bad grid point's error names the point and the field.
func (s Sweep) Validate() error {
	_, err := s.Points()
	return err
}

// Point is one grid point of a sweep.
type Point struct {
	// Label names the point in outputs: "field=value" per axis, joined by
	// commas in axis order ("alpha=0.25,policy=sesame"); "base" without
	// axes.
	Label string
	// Values are the axis values of the point, in axis order.
	Values []string
	Config Config
	// Description names the point in words: the policy, then each swept
	// value, with what it overrides ("sesame, α = 0.5 (preset: 0.15)";
	// see labels.go).
	Description string
}

// Points returns the grid in row-major order (the last axis varies
// fastest), every point validated. Points that would give the baseline
// policy a network effect are left out where a policy axis crosses
// baseline with other policies, and are an error otherwise (see Skipped).
func (s Sweep) Points() ([]Point, error) {
	p, _, err := s.Grid()
	return p, err
}

// Grid returns Points and the points left out, with why (see Skipped).
func (s Sweep) Grid() ([]Point, []Skipped, error) {
	if s.Replicates < 1 || s.Replicates > MaxReplicates {
		return nil, nil, graph.Invalid("replicates", "must be in [1,%d], got %d", MaxReplicates, s.Replicates)
	}
	if err := s.Base.Validate(); err != nil {
		var ve *graph.ValidationError
		if errors.As(err, &ve) {
			return nil, nil, &graph.ValidationError{Field: "base/" + ve.Field, Reason: ve.Reason, Kind: ve.Kind}
		}
		return nil, nil, err
	}
	total := 1
	seen := map[string]bool{}
	paths := make([][]string, len(s.Axes))
	for i, a := range s.Axes {
		f := fmt.Sprintf("axes/%d", i)
		path, err := resolveField(a.Field)
		if err != nil {
			return nil, nil, &graph.ValidationError{Field: f + "/field", Reason: err.Error()}
		}
		key := strings.Join(path, ".")
		if seen[key] {
			return nil, nil, graph.Invalid(f+"/field", "field %q is swept twice", a.Field)
		}
		seen[key] = true
		paths[i] = path
		if len(a.Values) == 0 {
			return nil, nil, graph.Invalid(f+"/values", "field %q has no values", a.Field)
		}
		for j, v := range a.Values {
			if v == "" {
				return nil, nil, graph.Invalid(fmt.Sprintf("%s/values/%d", f, j), "is empty")
			}
			if slices.Index(a.Values, v) != j {
				return nil, nil, graph.Invalid(fmt.Sprintf("%s/values/%d", f, j), "value %q repeats", v)
			}
		}
		total *= len(a.Values)
		if total*s.Replicates > MaxRuns {
			return nil, nil, graph.Invalid("axes", "the sweep has more than %d runs (grid points × replicates)", MaxRuns)
		}
	}
	// Apply "policy" before the policy's own fields, whatever the axis
	// order, so "policy=tencent" with "alpha=0.2" means tencent at 0.2.
	order := make([]int, len(s.Axes))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		pa, pb := len(paths[a]) == 1 && paths[a][0] == "policy", len(paths[b]) == 1 && paths[b][0] == "policy"
		switch {
		case pa && !pb:
			return -1
		case pb && !pa:
			return 1
		}
		return 0
	})
	points := make([]Point, 0, total)
	pres := make([]scoring.Policy, 0, total)
	policyAxis := -1
	for i, path := range paths {
		if len(path) == 1 && path[0] == "policy" {
			policyAxis = i
		}
	}
	idx := make([]int, len(s.Axes))
	for range total {
		cfg := s.Base
		pre := cfg.Policy.Policy
		vals := make([]string, len(s.Axes))
		labels := make([]string, len(s.Axes))
		for i, a := range s.Axes {
			vals[i] = a.Values[idx[i]]
			labels[i] = a.Field + "=" + vals[i]
		}
		label := strings.Join(labels, ",")
		if len(s.Axes) == 0 {
			label = "base"
		}
		for _, i := range order {
			if err := s.setField(&cfg, paths[i], vals[i]); err != nil {
				return nil, nil, fmt.Errorf("sweep point %s: %w", label, err)
			}
			if i == policyAxis {
				pre = cfg.Policy.Policy
			}
		}
		if err := cfg.Validate(); err != nil {
			return nil, nil, fmt.Errorf("sweep point %s: %w", label, err)
		}
		points = append(points, Point{Label: label, Values: vals, Config: cfg, Description: describe(paths, vals, pre, cfg)})
		pres = append(pres, pre)
		for i := len(idx) - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < len(s.Axes[i].Values) {
				break
			}
			idx[i] = 0
		}
	}
	return checkBaseline(s, points, pres, policyAxis)
}

// SweepOptions tune RunSweep; they never change its results.
type SweepOptions struct {
	// Workers is the number of runs simulated at once; 0 means GOMAXPROCS.
	Workers int
	// Progress, if set, is called after every round of every run with the
	// rounds done so far and the total, serially.
	Progress func(done, total int)
}

// SweepResult holds every run of a sweep.
type SweepResult struct {
	Sweep  Sweep
	Points []Point
	// Runs[p][r] is the collector of replicate r of point p; Seeds[p][r]
	// its seed.
	Runs  [][]*Collector
	Seeds [][]uint64
	// Skipped are the grid points left out (see Sweep.Grid).
	Skipped []Skipped
	// Perks[p] names the perk tiers of point p's policy.
	Perks   [][]string
	Elapsed time.Duration
}

// RunSweep runs every grid point of the sweep Replicates times on a pool of
// workers, replicate r of every point with seed ReplicateSeed(seed, r).
// Points with People > 0 simulate seeded networks (generated once per
// people and seed and shared read-only); the others simulate net, which is
// never modified. Results do not depend on the number of workers or on
// scheduling. The first error cancels the remaining runs.
func RunSweep(ctx context.Context, s Sweep, net *graph.Snapshot, o SweepOptions) (*SweepResult, error) {
	t0 := time.Now()
	points, skipped, err := s.Grid()
	if err != nil {
		return nil, err
	}
	for _, p := range points {
		if p.Config.People == 0 && net == nil {
			return nil, graph.Invalid("people", "point %s: is required when no network is given", p.Label)
		}
	}
	res := &SweepResult{Sweep: s, Points: points, Skipped: skipped, Runs: make([][]*Collector, len(points)),
		Seeds: make([][]uint64, len(points)), Perks: make([][]string, len(points))}
	type job struct{ p, r int }
	var jobs []job
	totalRounds := 0
	nets := newNetCache()
	for p, pt := range points {
		res.Runs[p] = make([]*Collector, s.Replicates)
		res.Seeds[p] = make([]uint64, s.Replicates)
		for r := 0; r < s.Replicates; r++ {
			jobs = append(jobs, job{p, r})
			totalRounds += pt.Config.Rounds
			res.Seeds[p][r] = ReplicateSeed(pt.Config.Seed, r)
			if pt.Config.People > 0 {
				nets.want(pt.Config.People, res.Seeds[p][r])
			}
		}
	}
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(jobs))
	inner := max(1, runtime.GOMAXPROCS(0)/workers)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		done     int
		firstErr error
	)
	progress := func() {
		mu.Lock()
		defer mu.Unlock()
		done++
		if o.Progress != nil {
			o.Progress(done, totalRounds)
		}
	}
	next := make(chan job)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range next {
				cfg := res.Points[j.p].Config
				cfg.Seed = res.Seeds[j.p][j.r]
				var snap *graph.Snapshot
				if cfg.People > 0 {
					var err error
					snap, err = nets.get(cfg.People, cfg.Seed)
					if err != nil {
						fail(&mu, &firstErr, cancel, err)
						continue
					}
				} else {
					snap = net
				}
				// The model copies the network; seeded networks are
				// passed as the network itself, so People is cleared.
				runCfg := cfg
				runCfg.People = 0
				c, perks, err := Run(ctx, runCfg, snap, RunOptions{Workers: inner, Progress: func(int) { progress() }})
				if cfg.People > 0 {
					nets.release(cfg.People, cfg.Seed)
				}
				if err != nil {
					fail(&mu, &firstErr, cancel, fmt.Errorf("simulate: run %s replicate %d: %w", res.Points[j.p].Label, j.r, err))
					continue
				}
				res.Runs[j.p][j.r] = c
				if j.r == 0 { // the same for every replicate of a point
					res.Perks[j.p] = perks
				}
			}
		})
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		next <- j
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res.Elapsed = time.Since(t0)
	return res, nil
}

func fail(mu *sync.Mutex, first *error, cancel context.CancelFunc, err error) {
	mu.Lock()
	if *first == nil && !errors.Is(err, context.Canceled) {
		*first = err
	}
	mu.Unlock()
	cancel()
}

// netCache generates each seeded network once and frees it when its last
// run is done.
type netCache struct {
	mu sync.Mutex
	m  map[netKey]*netEntry
}

type netKey struct {
	people int
	seed   uint64
}

type netEntry struct {
	once sync.Once
	snap *graph.Snapshot
	err  error
	refs int
}

func newNetCache() *netCache { return &netCache{m: map[netKey]*netEntry{}} }

func (c *netCache) want(people int, seed uint64) {
	k := netKey{people, seed}
	e := c.m[k]
	if e == nil {
		e = &netEntry{}
		c.m[k] = e
	}
	e.refs++
}

func (c *netCache) get(people int, seed uint64) (*graph.Snapshot, error) {
	c.mu.Lock()
	e := c.m[netKey{people, seed}]
	c.mu.Unlock()
	e.once.Do(func() { e.snap, e.err = SeededNetwork(people, seed) })
	return e.snap, e.err
}

func (c *netCache) release(people int, seed uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := netKey{people, seed}
	if e := c.m[k]; e != nil {
		e.refs--
		if e.refs == 0 {
			delete(c.m, k)
		}
	}
}
