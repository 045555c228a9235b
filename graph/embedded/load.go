package embedded

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/socialscore/socialscore/graph"
)

// LoadSource is a network to bulk load (seed.Network is one): people
// numbered 0..Len()-1 in strictly ascending id order, friendships as
// adjacency lists of indices, every weight 1.
type LoadSource interface {
	// Len returns the number of people.
	Len() int
	// ID returns the id of person i; ids ascend strictly with i.
	ID(i int) graph.ID
	// People appends people lo..hi-1 to dst, in index order; their ids
	// are those ID gives.
	People(lo, hi int, dst []graph.Person) []graph.Person
	// Friends returns the indices of person i's friends, ascending, each
	// friendship appearing in both people's lists.
	Friends(i int) []int32
	// Recruiter returns the index of person i's recruiter, or -1.
	Recruiter(i int) int32
}

// LoadStats reports what Load wrote and how long each part took.
type LoadStats struct {
	People, Consenting, Friendships, Recruitments int
	// Transactions is the number of write transactions committed.
	Transactions int
	// PeopleTime, FriendsTime and RecruitsTime are the time spent writing
	// (and committing) each part.
	PeopleTime, FriendsTime, RecruitsTime time.Duration
}

// Transaction sizes of Load. A bbolt write transaction keeps every key and
// value it puts in memory until it commits (a friend key costs a 64-byte
// inode and a 16-byte copy of the key, about 100 bytes with the growth of
// the node's slice), and each commit writes and fsyncs the dirty pages
// plus the branch pages above them. BenchmarkLoad (200,000 seeded people,
// 2-core VM): 590 ns of CPU per friend key with 2^18 keys a transaction,
// 520 ns with 2^22 (about 400 MB of heap); larger ones gain nothing and
// cost memory.
var (
	loadPeoplePerTx  = 1 << 19
	loadFriendsPerTx = 1 << 22
)

// keyLoading in the meta bucket marks a store whose bulk load has begun and
// not finished: its value is the time the load began (Unix nanoseconds).
var keyLoading = []byte("loading")

// errInterruptedLoad is what Open returns for a store whose load never
// finished.
var errInterruptedLoad = errors.New("the store holds an interrupted load (a seed or import that did not finish); delete it and load again")

// checkLoaded returns an error if the meta bucket marks an unfinished load.
func checkLoaded(meta *bolt.Bucket) error {
	if v := meta.Get(keyLoading); v != nil {
		return fmt.Errorf("%w (began %s)", errInterruptedLoad, time.Unix(0, int64(u64(v))).UTC().Format(time.RFC3339))
	}
	return nil
}

// Load writes the network into the store, which must hold no person and
// no tie (scoring runs kept from before stay, as with ApplyBatch), in
// bounded transactions: people (in id order), then friendships (both
// directions, keys a|b in sorted order, so every page is appended to and
// filled completely), then recruitments and the recruiter index, then the
// counters. Beyond the source's own arrays, memory stays that of one
// transaction (a few hundred MB at most) whatever the network's size. The
// store ends up holding, key for key and value for value, what one
// ApplyBatch of the same people and ties would leave (but for the
// generation, which starts at random in every file), with every CreatedAt
// and UpdatedAt the time Load began (the store's clock).
//
// The first transaction marks the store as loading and the last clears the
// mark; Open refuses a store that keeps it (a load killed half way), since
// such a store lacks part of its network and its counters. A failed or
// cancelled Load leaves the mark; delete the file and load again.
//
// People are checked (graph.Person.Validate) as they are written; a bad
// one fails the load with an error naming it. It returns an error wrapping
// graph.ErrConflict if the store is not empty: use ApplyBatch there.
func (s *Store) Load(ctx context.Context, src LoadSource) (LoadStats, error) {
	st, err := s.load(ctx, src, nil)
	if err != nil {
		return st, fmt.Errorf("embedded: load: %w", err)
	}
	return st, nil
}

// LoadSnapshot is Load that also returns the snapshot LoadedSnapshot(src,
// takenAt) would build after it, made along the way: the people's records
// and profiles are kept as they are written (a seeded population is drawn
// once, not twice), and the friend lists are copied on another goroutine
// while the single bbolt writer writes the friend keys. The snapshot lives
// beside one transaction (for ten million people about 1.1 GB of records
// next to the transaction's 400 MB).
func (s *Store) LoadSnapshot(ctx context.Context, src LoadSource, takenAt time.Time) (LoadStats, *graph.Snapshot, error) {
	b, err := newSnapBuilder(src.Len(), takenAt)
	if err != nil {
		return LoadStats{}, nil, err
	}
	st, err := s.load(ctx, src, b)
	if err != nil {
		return st, nil, fmt.Errorf("embedded: load: %w", err)
	}
	return st, b.snap, nil
}

func (s *Store) load(ctx context.Context, src LoadSource, snap *snapBuilder) (st LoadStats, err error) {
	n := src.Len()
	now := s.clock()
	commit := func(fn func(*tx) error) error {
		st.Transactions++
		return s.update(ctx, fn)
	}
	// Mark, after checking the store is empty.
	err = commit(func(t *tx) error {
		for _, b := range []*bolt.Bucket{t.people, t.friends, t.recruits, t.recruiter} {
			if k, _ := b.Cursor().First(); k != nil {
				return fmt.Errorf("store is not empty (load into an empty store, or use ApplyBatch): %w", graph.ErrConflict)
			}
		}
		if t.meta.Get(keyLoading) != nil {
			return errInterruptedLoad
		}
		return t.meta.Put(keyLoading, u64bytes(uint64(now.UnixNano())))
	})
	if err != nil {
		return st, err
	}

	// People.
	t0 := time.Now()
	// The next transaction's people are made (drawn, for a seeded
	// population) while this one is written and committed.
	type chunk struct {
		lo, hi int
		people []graph.Person
	}
	chunks := make(chan chunk, 1)
	stop := make(chan struct{})
	var producer sync.WaitGroup
	defer producer.Wait() // the source is not used after Load returns
	defer close(stop)
	perTx := loadPeoplePerTx
	producer.Go(func() {
		defer close(chunks)
		for lo := 0; lo < n; lo += perTx {
			hi := min(n, lo+perTx)
			people := src.People(lo, hi, nil)
			if snap != nil {
				snap.addPeople(lo, people)
			}
			select {
			case chunks <- chunk{lo, hi, people}:
			case <-stop:
				return
			}
		}
	})
	var prev graph.ID
	for c := range chunks {
		lo, hi, batch := c.lo, c.hi, c.people
		if len(batch) != hi-lo {
			return st, fmt.Errorf("source gave %d people for %d..%d", len(batch), lo, hi)
		}
		for k := range batch {
			p := &batch[k]
			if err := p.Validate(); err != nil {
				return st, graph.Under(fmt.Sprintf("people/%d", lo+k), err)
			}
			if p.ID <= prev || p.ID != src.ID(lo+k) {
				return st, graph.Invalid(fmt.Sprintf("people/%d/id", lo+k), "id %d is not the source's id %d in ascending order", p.ID, src.ID(lo+k))
			}
			prev = p.ID
		}
		err := commit(func(t *tx) error {
			t.people.FillPercent = 1
			slab := make([]byte, 0, len(batch)*64)
			for k := range batch {
				if err := t.checkCtx(k); err != nil {
					return err
				}
				q := &batch[k]
				np := graph.Person{ID: q.ID, Consent: q.Consent, Profile: q.Profile, Record: q.Record, CreatedAt: now, UpdatedAt: now}
				if cap(slab)-len(slab) < personMax {
					slab = make([]byte, 0, 1<<20)
				}
				start := len(slab)
				slab = appendPerson(slab, &np)
				// bbolt keeps the value until commit; the slab is never
				// written again below start+len.
				if err := t.people.Put(idKey(q.ID), slab[start:len(slab):len(slab)]); err != nil {
					return err
				}
				if q.Consent {
					st.Consenting++
				}
			}
			return nil
		})
		if err != nil {
			return st, err
		}
		st.People = hi
	}
	st.PeopleTime = time.Since(t0)

	// The snapshot's friend and recruit lists are built from the source's
	// arrays on another goroutine while the friend keys are written.
	if snap != nil {
		done := make(chan error, 1)
		go func() { done <- snap.finish(src) }()
		defer func() {
			if serr := <-done; err == nil && serr != nil {
				err = serr
			}
		}()
	}

	// Friendships, both directions: iterating people by index and each
	// one's friends ascending lists the keys a|b in sorted order. The keys
	// are checked and encoded on another goroutine (looking ids up is
	// mostly cache misses for an import) into slabs, a few ahead of the
	// writer, which only puts them.
	t0 = time.Now()
	slabs, stopKeys, keysDone := encodeFriendKeys(src)
	defer func() { close(stopKeys); <-keysDone }()
	// With the snapshot held, smaller transactions keep the heap near
	// what it was when the snapshot was built after the load: the
	// snapshot's records (about 1.1 GB at ten million people) take the
	// place of three quarters of a transaction's keys.
	friendsPerTx := loadFriendsPerTx
	if snap != nil {
		friendsPerTx = max(1, friendsPerTx/4)
	}
	var cur *keySlab      // the slab being put, from cur.off on
	next := func() bool { // cur has keys to put, or there are none left
		for cur == nil || (cur.err == nil && cur.off == len(cur.keys)) {
			if cur != nil {
				slabPool.Put(cur)
			}
			var ok bool
			if cur, ok = <-slabs; !ok {
				cur = nil
				return false
			}
		}
		return true
	}
	keys := 0
	for next() {
		err := commit(func(t *tx) error {
			t.friends.FillPercent = 1
			put := 0
			defer func() { keys += put }()
			for put < friendsPerTx && next() {
				if cur.err != nil {
					return cur.err
				}
				if err := t.ctx.Err(); err != nil {
					return err
				}
				end := min(len(cur.keys), cur.off+16*(friendsPerTx-put))
				for o := cur.off; o < end; o += 16 {
					if err := t.friends.Put(cur.keys[o:o+16], nil); err != nil { // Put copies the key
						return err
					}
				}
				put += (end - cur.off) / 16
				cur.off = end
			}
			return nil
		})
		if err != nil {
			return st, err
		}
	}
	if keys%2 != 0 {
		return st, fmt.Errorf("source lists %d friend entries, an odd number: a friendship appears in one list only: %w", keys, graph.ErrInvalid)
	}
	st.Friendships = keys / 2
	st.FriendsTime = time.Since(t0)

	// Recruitments: recruits keys recruiter|recruit in that order, then the
	// recruiter index by recruit. The recruits of each recruiter come from
	// a counting sort over the recruiter indices (4 bytes per person).
	t0 = time.Now()
	start := make([]int32, n+1)
	for v := range n {
		if r := src.Recruiter(v); r >= 0 {
			if int(r) >= n || int(r) == v {
				return st, graph.Invalid(fmt.Sprintf("recruiter/%d", v), "recruiter index %d is out of range or the person's own", r)
			}
			start[r+1]++
			st.Recruitments++
		}
	}
	if st.Recruitments > 0 {
		for r := range n {
			start[r+1] += start[r]
		}
		recruits := make([]int32, st.Recruitments)
		for v := range n { // v ascending: each recruiter's recruits ascend
			if r := src.Recruiter(v); r >= 0 {
				recruits[start[r]] = int32(v)
				start[r]++
			}
		}
		// start[r] is now the end of r's run, the start of r+1's.
		perTx := loadFriendsPerTx // recruitment keys are as small as friend keys
		for lo := 0; lo < len(recruits); lo += perTx {
			hi := min(len(recruits), lo+perTx)
			err := commit(func(t *tx) error {
				t.recruits.FillPercent = 1
				r := 0
				for e := lo; e < hi; e++ {
					for start[r] <= int32(e) {
						r++
					}
					if err := t.recruits.Put(pairKey(src.ID(r), src.ID(int(recruits[e]))), nil); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return st, err
			}
		}
		recruits = nil
		for lo := 0; lo < n; lo += perTx {
			hi := min(n, lo+perTx)
			err := commit(func(t *tx) error {
				t.recruiter.FillPercent = 1
				for v := lo; v < hi; v++ {
					if r := src.Recruiter(v); r >= 0 {
						if err := t.recruiter.Put(idKey(src.ID(v)), idKey(src.ID(int(r)))); err != nil {
							return err
						}
					}
				}
				return nil
			})
			if err != nil {
				return st, err
			}
		}
	}
	st.RecruitsTime = time.Since(t0)

	// Counters, and the load is done.
	err = commit(func(t *tx) error {
		t.delta.people = int64(st.People)
		t.delta.consenting = int64(st.Consenting)
		t.delta.friendships = int64(st.Friendships)
		t.delta.recruitments = int64(st.Recruitments)
		return t.meta.Delete(keyLoading)
	})
	return st, err
}

// LoadedSnapshot returns the snapshot Store.Snapshot reads from a store
// that Load has just filled with src, built from src's arrays without
// reading the store: the consenting people and the ties among them.
// takenAt is its time. When everyone consents and src has a method
// Targets() []int32 returning all its friend lists end to end (as
// seed.Network does), the snapshot's Targets is that slice, shared. The
// persisted snapshot image is made from it, so the first scoring run after
// a load need not decode the store. Store.LoadSnapshot builds the same
// snapshot while it loads, without asking src for its people twice.
func LoadedSnapshot(src LoadSource, takenAt time.Time) (*graph.Snapshot, error) {
	n := src.Len()
	b, err := newSnapBuilder(n, takenAt)
	if err != nil {
		return nil, err
	}
	var batch []graph.Person
	for lo := 0; lo < n; lo += loadPeoplePerTx {
		hi := min(n, lo+loadPeoplePerTx)
		batch = src.People(lo, hi, batch[:0])
		b.addPeople(lo, batch)
	}
	if err := b.finish(src); err != nil {
		return nil, err
	}
	return b.snap, nil
}

// snapBuilder builds a loaded snapshot: addPeople with every person in
// index order, then finish with the source.
type snapBuilder struct {
	n    int
	at   []int32 // at[i] is person i's index in the snapshot, -1 if they do not consent
	next int     // the index of the next person addPeople expects
	snap *graph.Snapshot
}

func newSnapBuilder(n int, takenAt time.Time) (*snapBuilder, error) {
	if n > 1<<31-2 {
		return nil, fmt.Errorf("embedded: loaded snapshot: %d people do not fit int32 indices", n)
	}
	// Sized for everyone: growing by append would hold the old and the
	// new array at once (2 GB of records at 10 million people).
	return &snapBuilder{n: n, at: make([]int32, n), snap: &graph.Snapshot{TakenAt: takenAt,
		IDs: make([]graph.ID, 0, n), Records: make([]graph.Record, 0, n), Profiles: make([]graph.Profile, 0, n)}}, nil
}

// addPeople adds people lo..lo+len(batch)-1. People given out of order or
// beyond the source's are left out, and finish then fails.
func (b *snapBuilder) addPeople(lo int, batch []graph.Person) {
	if lo != b.next || lo+len(batch) > b.n {
		b.next = -1
		return
	}
	s := b.snap
	for k := range batch {
		p := &batch[k]
		if !p.Consent {
			b.at[lo+k] = -1
			continue
		}
		b.at[lo+k] = int32(len(s.IDs))
		s.IDs = append(s.IDs, p.ID)
		s.Records = append(s.Records, p.Record)
		s.Profiles = append(s.Profiles, p.Profile)
	}
	b.next += len(batch)
}

// finish builds the friend and recruit lists of the people added, from
// src's arrays, which it checks as far as it reads them.
func (b *snapBuilder) finish(src LoadSource) error {
	n, at, s := b.n, b.at, b.snap
	if b.next != n || src.Len() != n {
		return fmt.Errorf("embedded: loaded snapshot: the source's people were not all given in order")
	}
	bad := func(i int) error {
		return fmt.Errorf("embedded: loaded snapshot: person %d has a friend or recruiter index out of range: %w", i, graph.ErrInvalid)
	}
	m := len(s.IDs)
	s.Offsets = make([]int32, m+1)
	total := 0
	for i := range n {
		if at[i] < 0 {
			continue
		}
		for _, j := range src.Friends(i) {
			if j < 0 || int(j) >= n {
				return bad(i)
			}
			if at[j] >= 0 {
				total++
			}
		}
		if total > 1<<31-1 {
			return fmt.Errorf("embedded: loaded snapshot: more than 2^31 friend entries")
		}
		s.Offsets[at[i]+1] = int32(total)
	}
	if all, ok := src.(interface{ Targets() []int32 }); ok && m == n && len(all.Targets()) == total {
		// Everyone consents, so indices are the same: the snapshot's
		// friend lists are the source's (both are read-only), which spares
		// a copy (400 MB at 50 million friendships).
		s.Targets = all.Targets()
	} else {
		s.Targets = make([]int32, 0, total)
		for i := range n {
			if at[i] < 0 {
				continue
			}
			for _, j := range src.Friends(i) {
				if at[j] >= 0 {
					s.Targets = append(s.Targets, at[j])
				}
			}
		}
	}
	s.RecruitOffsets = make([]int32, m+1)
	for v := range n {
		r := src.Recruiter(v)
		if int(r) >= n || r < -1 {
			return bad(v)
		}
		if r >= 0 && at[v] >= 0 && at[r] >= 0 {
			s.RecruitOffsets[at[r]+1]++
		}
	}
	for i := range m {
		s.RecruitOffsets[i+1] += s.RecruitOffsets[i]
	}
	s.RecruitTargets = make([]int32, s.RecruitOffsets[m])
	fill := make([]int32, m)
	copy(fill, s.RecruitOffsets[:m])
	for v := range n {
		if r := src.Recruiter(v); r >= 0 && at[v] >= 0 && at[r] >= 0 {
			s.RecruitTargets[fill[at[r]]] = at[v]
			fill[at[r]]++
		}
	}
	b.at = nil
	return nil
}

// keySlab is a run of friend keys (16 bytes each, a|b) encoded ahead of
// the writer; keys[off:] are still to be put. err ends the keys.
type keySlab struct {
	keys []byte
	off  int
	err  error
}

// slabKeys is the number of keys in a slab: 1 MB, small enough to stay
// in cache between the encoder and the writer.
const slabKeys = 1 << 16

var slabPool = sync.Pool{New: func() any { return &keySlab{keys: make([]byte, 0, 16*slabKeys)} }}

// encodeFriendKeys checks src's friend lists and encodes their keys, in
// order, into slabs sent on the returned channel (a bounded queue: four
// slabs ahead of the writer), which is closed after the last; a slab with
// an error ends them. Closing stop ends it early; done is closed when it
// has returned.
func encodeFriendKeys(src LoadSource) (slabs <-chan *keySlab, stop, done chan struct{}) {
	out := make(chan *keySlab, 4)
	stop, done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		defer close(out)
		n := src.Len()
		sl := slabPool.Get().(*keySlab)
		sl.keys, sl.off, sl.err = sl.keys[:0], 0, nil
		send := func() bool {
			select {
			case out <- sl:
			case <-stop:
				return false
			}
			sl = slabPool.Get().(*keySlab)
			sl.keys, sl.off, sl.err = sl.keys[:0], 0, nil
			return true
		}
		for i := range n {
			a := uint64(src.ID(i))
			fr := src.Friends(i)
			for k, j32 := range fr {
				j := int(j32)
				if j < 0 || j >= n || j == i || (k > 0 && fr[k-1] >= j32) {
					sl.err = graph.Invalid(fmt.Sprintf("friends/%d/%d", i, k), "friend index %d is out of range, the person's own or not ascending", j)
					send()
					return
				}
				sl.keys = binary.BigEndian.AppendUint64(sl.keys, a)
				sl.keys = binary.BigEndian.AppendUint64(sl.keys, uint64(src.ID(j)))
				if len(sl.keys) == cap(sl.keys) && !send() {
					return
				}
			}
		}
		if len(sl.keys) > 0 {
			send()
		}
	}()
	return out, stop, done
}
