package api

import (
	"math"
	"sync"
	"sync/atomic"

	"github.com/socialscore/socialscore/scoring"
)

// explCache keeps the explanation of every person of the current view
// once it has been computed, so that a score read does not explain the
// score again (scoring.Explain is most of what a read costs besides
// HTTP). An explanation depends only on the person's result and the
// view's policy, so it is valid for as long as the view is current; a new
// view (a completed run, or a Load) gets a new, empty cache.
//
// It is kept small rather than as encoded bodies: a packed explanation
// (packedExpl) is about 90 bytes and holds no pointers, where a body is
// about 1 KB, so the cache costs some 9 MB per 100,000 people and adds
// nothing for the garbage collector to scan. The body is encoded on every
// read, which takes well under a microsecond.
//
// The cache never decides who is visible: every read first goes through
// Runner.LookupIndex, which hides people erased or withdrawn since the
// view was taken, and only then looks here. A forgotten person's packed
// explanation stays until the view is replaced, as their result does in
// the view itself.
type explCache struct {
	off bool
	cur atomic.Pointer[viewExpl]
}

// viewExpl is the cache of one view, indexed by position in the view
// (scoring.View.Index).
type viewExpl struct {
	view  *scoring.View
	state []atomic.Uint32 // slotEmpty, slotFilling or slotReady
	ex    []packedExpl
	words words
}

const (
	slotEmpty uint32 = iota
	slotFilling
	slotReady
)

// Limits of a packed explanation; an explanation beyond them is not
// cached (Explain runs on every read of that person).
const (
	maxPackedComponents = 8
	maxPackedPerks      = 8
)

// packedExpl is an explanation without its score (which the result
// holds): strings as indices into the view's words, points as int16.
type packedExpl struct {
	band                   uint8
	nComp, nReason, nPerk  uint8
	compName               [maxPackedComponents]uint8
	reasonCode, reasonText [maxReasons]uint8
	perk                   [maxPackedPerks]uint8
	compPoints             [maxPackedComponents]int16
	reasonPoints           [maxReasons]int16

	// Added with points_missing, max and the network split.
	compHasMax                 uint8 // bit i: component i has a maximum
	hasNetwork                 bool
	compMax                    [maxPackedComponents]int16
	reasonMissing              [maxReasons]int16
	raisePoints, lowerPoints   int16
	raiseFriends, lowerFriends int32
}

// explBuf is where an unpacked explanation's slices point; a read keeps
// one on its stack.
type explBuf struct {
	comps   [maxPackedComponents]scoring.Component
	reasons [maxReasons]scoring.Reason
	perks   [maxPackedPerks]string
	network scoring.NetworkSplit
}

// maxValues[v] is v: an unpacked component's Max points here rather than
// into the read's explBuf, which would make the buffer escape to the heap
// (a pointer into it stored in it). Maxima are at most scoring.Span.
var maxValues = func() (a [scoring.Span + 1]int) {
	for i := range a {
		a[i] = i
	}
	return a
}()

// forView returns the cache of view v, replacing the cache of an older
// view. It returns nil when caching is off or v is not the current view
// any more (a read that raced with a run: it is explained without
// caching).
func (c *explCache) forView(v *scoring.View) *viewExpl {
	if c.off {
		return nil
	}
	cur := c.cur.Load()
	if cur != nil && cur.view == v {
		return cur
	}
	n := v.Len()
	if n == 0 {
		return nil
	}
	ve := &viewExpl{view: v, state: make([]atomic.Uint32, n), ex: make([]packedExpl, n)}
	if c.cur.CompareAndSwap(cur, ve) {
		return ve
	}
	if cur = c.cur.Load(); cur != nil && cur.view == v {
		return cur // another read installed it first
	}
	return nil
}

// get returns the explanation of the person at position idx, with its
// slices in buf, and whether it was cached.
func (ve *viewExpl) get(idx int, buf *explBuf) (scoring.Explanation, bool) {
	if ve.state[idx].Load() != slotReady {
		return scoring.Explanation{}, false
	}
	p := &ve.ex[idx]
	w := ve.words.list()
	for i := range int(p.nComp) {
		buf.comps[i] = scoring.Component{Name: w[p.compName[i]], Points: int(p.compPoints[i])}
		if p.compHasMax&(1<<i) != 0 {
			buf.comps[i].Max = &maxValues[p.compMax[i]]
		}
	}
	for i := range int(p.nReason) {
		buf.reasons[i] = scoring.Reason{Code: w[p.reasonCode[i]], Text: w[p.reasonText[i]], Points: int(p.reasonPoints[i]),
			PointsMissing: int(p.reasonMissing[i])}
	}
	for i := range int(p.nPerk) {
		buf.perks[i] = w[p.perk[i]]
	}
	e := scoring.Explanation{Band: w[p.band], Components: buf.comps[:p.nComp],
		Reasons: buf.reasons[:p.nReason], Perks: buf.perks[:p.nPerk]}
	if p.hasNetwork {
		buf.network = scoring.NetworkSplit{
			Raise: scoring.FriendsPoints{Friends: int(p.raiseFriends), Points: int(p.raisePoints)},
			Lower: scoring.FriendsPoints{Friends: int(p.lowerFriends), Points: int(p.lowerPoints)},
		}
		e.Network = &buf.network
	}
	return e, true
}

// put caches the explanation of the person at position idx, unless it does
// not fit a packedExpl or another read is filling the slot.
func (ve *viewExpl) put(idx int, e *scoring.Explanation) {
	var p packedExpl
	if !ve.pack(&p, e) || !ve.state[idx].CompareAndSwap(slotEmpty, slotFilling) {
		return
	}
	ve.ex[idx] = p
	ve.state[idx].Store(slotReady)
}

// pack fills p from e; false if e does not fit.
func (ve *viewExpl) pack(p *packedExpl, e *scoring.Explanation) bool {
	reasons := e.Reasons[:min(len(e.Reasons), maxReasons)] // the encoder sends at most maxReasons
	if len(e.Components) > maxPackedComponents || len(e.Perks) > maxPackedPerks {
		return false
	}
	ok := true
	word := func(s string) uint8 {
		i, fits := ve.words.id(s)
		ok = ok && fits
		return i
	}
	points := func(n int) int16 {
		if n < math.MinInt16 || n > math.MaxInt16 {
			ok = false
		}
		return int16(n)
	}
	p.band = word(e.Band)
	p.nComp, p.nReason, p.nPerk = uint8(len(e.Components)), uint8(len(reasons)), uint8(len(e.Perks))
	for i, c := range e.Components {
		p.compName[i], p.compPoints[i] = word(c.Name), points(c.Points)
		if c.Max != nil {
			if *c.Max < 0 || *c.Max >= len(maxValues) {
				return false
			}
			p.compHasMax |= 1 << i
			p.compMax[i] = int16(*c.Max)
		}
	}
	for i, r := range reasons {
		p.reasonCode[i], p.reasonText[i], p.reasonPoints[i] = word(r.Code), word(r.Text), points(r.Points)
		p.reasonMissing[i] = points(r.PointsMissing)
	}
	if n := e.Network; n != nil {
		p.hasNetwork = true
		p.raisePoints, p.lowerPoints = points(n.Raise.Points), points(n.Lower.Points)
		count := func(k int) int32 {
			if k < 0 || k > math.MaxInt32 {
				ok = false
			}
			return int32(k)
		}
		p.raiseFriends, p.lowerFriends = count(n.Raise.Friends), count(n.Lower.Friends)
	}
	for i, k := range e.Perks {
		p.perk[i] = word(k)
	}
	return ok
}

// words interns the strings of a view's explanations (band, component,
// reason and perk names: a few dozen). Reads are lock-free; adding one
// copies the list.
type words struct {
	mu    sync.Mutex
	index map[string]uint8
	all   atomic.Pointer[[]string]
}

// list returns every word interned so far, by id. A packed explanation
// published after its words were interned finds them all here.
func (w *words) list() []string {
	if l := w.all.Load(); l != nil {
		return *l
	}
	return nil
}

// id interns s; false when the list is full.
func (w *words) id(s string) (uint8, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if i, ok := w.index[s]; ok {
		return i, true
	}
	old := w.list()
	if len(old) > math.MaxUint8 {
		return 0, false
	}
	if w.index == nil {
		w.index = map[string]uint8{}
	}
	l := append(old[:len(old):len(old)], s)
	w.index[s] = uint8(len(old))
	w.all.Store(&l)
	return uint8(len(old)), true
}
