package seed

import (
	"context"
	"fmt"
	"slices"

	"github.com/socialscore/socialscore/graph"
)

// Network is a population in compact form, for loading at a scale where a
// graph.Batch (a struct per person and per tie) would not fit in memory:
// people are numbered 0..Len()-1 in ascending id order and generated or
// copied on demand in chunks, friendships are CSR arrays of int32 indices
// (each friendship once in each direction, neighbours ascending, every
// weight 1), and each person's recruiter is an index or -1. Stream and
// ImportNetwork make one; graph/embedded's Store.Load and LoadChunks load
// it. It holds, for N people and F friendships, about 8·N + 8·F bytes plus
// 4·N for recruiters and, for an import, 8·N for ids and the people file's
// rows.
type Network struct {
	n       int
	ids     []graph.ID // nil: index i has id i+1
	offsets []int64    // len n+1
	targets []int32    // len 2·friendships
	by      []int32    // recruiter index per person, -1 for none; nil: nobody is recruited
	recruit int        // number of people with a recruiter
	people  func(lo, hi int, dst []graph.Person) []graph.Person
}

// Len returns the number of people.
func (n *Network) Len() int { return n.n }

// ID returns the id of person i.
func (n *Network) ID(i int) graph.ID {
	if n.ids == nil {
		return graph.ID(i + 1)
	}
	return n.ids[i]
}

// Friends returns the indices of person i's friends, ascending. The slice
// is the network's own: do not modify it.
func (n *Network) Friends(i int) []int32 { return n.targets[n.offsets[i]:n.offsets[i+1]] }

// Recruiter returns the index of the person who recruited person i, or -1.
// A recruiter always has a smaller index than their recruit.
func (n *Network) Recruiter(i int) int32 {
	if n.by == nil {
		return -1
	}
	return n.by[i]
}

// People appends people lo..hi-1 (by index) to dst and returns it, with
// zero CreatedAt and UpdatedAt for the store to set. It is fastest over
// ranges that start and end at multiples of PeopleChunk.
func (n *Network) People(lo, hi int, dst []graph.Person) []graph.Person {
	return n.people(lo, hi, dst)
}

// Targets returns every person's friends end to end: Friends(i) is
// Targets()[o:o+len(Friends(i))] in index order. It is the network's own
// array: do not modify it.
func (n *Network) Targets() []int32 { return n.targets }

// Friendships returns the number of undirected friendships.
func (n *Network) Friendships() int { return len(n.targets) / 2 }

// Recruitments returns the number of recruitments.
func (n *Network) Recruitments() int { return n.recruit }

// PeopleChunk is the number of people whose records share one random
// stream of the generator; People is cheapest over ranges aligned to it.
const PeopleChunk = chunkSize

// Stream generates the population cfg describes as a Network: the same
// people, friendships and recruitments as Generate(cfg) returns, without
// building them as a graph.Batch. The network and every person's latent
// health are drawn at once (about 2.5 GB at 10 million people, all freed
// but the result's CSR arrays, 1.3 GB); records and profiles are drawn
// when People asks for them, from the same per-chunk random streams as
// Generate. It returns an error wrapping graph.ErrInvalid if the config
// does not validate.
func Stream(cfg Config) (*Network, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	n := cfg.People
	g, z, by := generateNetwork(cfg)
	g.edges = nil // the CSR below is built from the adjacency lists

	net := &Network{n: n, by: by}
	for _, r := range by {
		if r >= 0 {
			net.recruit++
		}
	}
	if net.recruit == 0 {
		net.by = nil
	}
	net.offsets = make([]int64, n+1)
	for v, a := range g.adj {
		net.offsets[v+1] = net.offsets[v] + int64(len(a))
	}
	net.targets = make([]int32, net.offsets[n])
	parallel((n+chunkSize-1)/chunkSize, func(c int) {
		for v := c * chunkSize; v < min(n, (c+1)*chunkSize); v++ {
			row := net.targets[net.offsets[v]:net.offsets[v+1]]
			copy(row, g.adj[v])
			slices.Sort(row)
		}
	})
	g.adj = nil
	net.people = func(lo, hi int, dst []graph.Person) []graph.Person {
		return generatePeople(cfg, z, lo, hi, dst)
	}
	return net, nil
}

// generateNetwork draws the friendship network, the latent health and the
// recruitments of cfg (with defaults applied), each from its own stream.
func generateNetwork(cfg Config) (*network, []float64, []int32) {
	g := holmeKim(cfg.People, cfg.MeanDegree, cfg.Triad, newRand(cfg.Seed, streamNetwork))
	z := latentHealth(g, cfg.Homophily, newRand(cfg.Seed, streamHealth))
	if cfg.SpreadBands {
		for i := range z {
			z[i] = SpreadHealthMean + SpreadHealthSD*z[i]
		}
	}
	by := recruit(g, cfg.RecruitShare, newRand(cfg.Seed, streamRecruit))
	return g, z, by
}

// generatePeople appends people lo..hi-1 of the population to dst. Each
// chunk of chunkSize people draws from its own stream, so a range that
// starts inside a chunk draws (and drops) the chunk's earlier people first.
func generatePeople(cfg Config, z []float64, lo, hi int, dst []graph.Person) []graph.Person {
	if lo >= hi {
		return dst
	}
	base := len(dst)
	dst = slices.Grow(dst, hi-lo)[:base+hi-lo]
	out := dst[base:]
	first, last := lo/chunkSize, (hi-1)/chunkSize
	parallel(last-first+1, func(t int) {
		c := first + t
		rng := newRand(cfg.Seed, streamPeople+uint64(c))
		for i := c * chunkSize; i < min(hi, (c+1)*chunkSize); i++ {
			consent := rng.Float64() < cfg.ConsentShare // always drawn, so ConsentShare changes nothing else
			rec, prof := person(z[i], cfg.Now, rng)
			if i < lo {
				continue
			}
			out[i-lo] = graph.Person{ID: graph.ID(i + 1), Consent: consent, Record: rec, Profile: prof}
		}
	})
	return dst
}

// Batch returns the whole network as one graph.Batch: people in id order,
// then friendships (From < To, sorted by From then To), then recruitments
// ordered by recruit. For small networks and stores that are not empty.
func (n *Network) Batch() graph.Batch {
	b := graph.Batch{People: n.People(0, n.n, make([]graph.Person, 0, n.n)), Ties: make([]graph.Tie, 0, n.Friendships()+n.recruit)}
	for i := range n.n {
		for _, j := range n.Friends(i) {
			if int(j) > i {
				b.Ties = append(b.Ties, graph.Tie{Kind: graph.Friend, From: n.ID(i), To: n.ID(int(j))})
			}
		}
	}
	for i := range n.n {
		if r := n.Recruiter(i); r >= 0 {
			b.Ties = append(b.Ties, graph.Tie{Kind: graph.Recruited, From: n.ID(int(r)), To: n.ID(i)})
		}
	}
	return b
}

// DefaultLoadChunk is the number of people LoadChunks writes per batch.
const DefaultLoadChunk = 4 * PeopleChunk

// LoadChunks writes the network to w in batches of about chunk people
// (DefaultLoadChunk if chunk < 1) with their ties to earlier people: each
// batch holds people lo..hi-1, every friendship between one of them and
// someone of a smaller index, and their recruitments (recruiters are
// earlier). Every batch names only people stored or in it, so each is a
// valid graph.BatchWriter batch, and memory stays that of one batch. The
// store holds what one ApplyBatch of n.Batch() would leave; a failure
// leaves the batches before it stored. progress, if not nil, is called
// after each batch with the people written so far.
func LoadChunks(ctx context.Context, w graph.BatchWriter, n *Network, chunk int, progress func(done int)) error {
	if chunk < 1 {
		chunk = DefaultLoadChunk
	}
	var b graph.Batch
	for lo := 0; lo < n.n; lo += chunk {
		hi := min(n.n, lo+chunk)
		b.People = n.People(lo, hi, b.People[:0])
		b.Ties = b.Ties[:0]
		for i := lo; i < hi; i++ {
			for _, j := range n.Friends(i) {
				if int(j) >= i {
					break
				}
				b.Ties = append(b.Ties, graph.Tie{Kind: graph.Friend, From: n.ID(int(j)), To: n.ID(i)})
			}
		}
		for i := lo; i < hi; i++ {
			if r := n.Recruiter(i); r >= 0 {
				b.Ties = append(b.Ties, graph.Tie{Kind: graph.Recruited, From: n.ID(int(r)), To: n.ID(i)})
			}
		}
		if err := w.ApplyBatch(ctx, b); err != nil {
			return fmt.Errorf("seed: load people %d..%d of %d: %w", lo+1, hi, n.n, err)
		}
		if progress != nil {
			progress(hi)
		}
	}
	return nil
}
