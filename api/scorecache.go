package api

import (
	"strconv"
	"sync/atomic"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

// DefaultScoreCacheEntries is the default Config.ScoreCacheEntries: enough
// for every person of a 131,072-person view, at most about 90 MB.
const DefaultScoreCacheEntries = 1 << 17

// scoreCache keeps the encoded JSON body of GET /v1/people/{id}/score per
// person of the current view, filled in on first read. A body depends only
// on the person's result and the view's run and policy, so it is valid for
// as long as the view is current; a new view (a completed run, or a Load)
// gets a new, empty cache. Stale bodies ("stale":true) are never cached.
//
// The cache never decides who is visible: every read first goes through
// Runner.LookupIndex, which hides people erased or withdrawn since the view
// was taken, and only then looks here. Forgetting a person also drops their
// entry (drop), so their score is not kept in memory longer than the view
// itself keeps their result.
//
// Entries sit in a slice indexed by the person's position in the view
// (scoring.View.Index) modulo its length, which is the view's size capped
// at the configured number of entries: with a view no larger than the cap
// every person has a slot of their own; beyond it, people whose positions
// collide evict each other, which bounds memory at the cost of encoding
// again.
type scoreCache struct {
	max int // most slots; 0 disables caching
	cur atomic.Pointer[viewBodies]
}

// viewBodies are the cached bodies of one view.
type viewBodies struct {
	view  *scoring.View
	slots []atomic.Pointer[scoreBody]
}

// scoreBody is one cached, encoded score with its Content-Length header
// value. Both are shared by every response that sends it and never
// modified.
type scoreBody struct {
	idx  int // position in the view
	body []byte
	clen [1]string
}

// bodies returns the cache of view v, replacing the cache of an older view.
// It returns nil when caching is off or v is not the current view any more
// (a read that raced with a run: it is encoded without caching).
func (sc *scoreCache) bodies(v *scoring.View) *viewBodies {
	if sc.max <= 0 {
		return nil
	}
	cur := sc.cur.Load()
	if cur != nil && cur.view == v {
		return cur
	}
	n := min(v.Len(), sc.max)
	if n == 0 {
		return nil
	}
	vb := &viewBodies{view: v, slots: make([]atomic.Pointer[scoreBody], n)}
	if sc.cur.CompareAndSwap(cur, vb) {
		return vb
	}
	if cur = sc.cur.Load(); cur != nil && cur.view == v {
		return cur // another read installed it first
	}
	return nil
}

// get returns the cached body of the person at position idx, or nil.
func (vb *viewBodies) get(idx int) *scoreBody {
	if b := vb.slots[idx%len(vb.slots)].Load(); b != nil && b.idx == idx {
		return b
	}
	return nil
}

// put caches body for the person at position idx and returns the entry.
// body must not be modified afterwards.
func (vb *viewBodies) put(idx int, body []byte) *scoreBody {
	b := &scoreBody{idx: idx, body: body}
	b.clen[0] = strconv.Itoa(len(body))
	vb.slots[idx%len(vb.slots)].Store(b)
	return b
}

// drop removes the cached body of id from the current view's cache.
func (sc *scoreCache) drop(id graph.ID) {
	vb := sc.cur.Load()
	if vb == nil {
		return
	}
	idx, ok := vb.view.Index(id)
	if !ok {
		return
	}
	slot := &vb.slots[idx%len(vb.slots)]
	if b := slot.Load(); b != nil && b.idx == idx {
		slot.CompareAndSwap(b, nil)
	}
}
