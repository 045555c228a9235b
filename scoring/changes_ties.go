package scoring

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/socialscore/socialscore/graph"
)

// TieChange is one of a person's ties that was added, removed or
// reweighted between two runs (from the store's tie log, graph.TieLog).
type TieChange struct {
	Kind string   `json:"kind"` // friend or recruited
	With graph.ID `json:"with"` // the other person
	// Role is the other person's role in a recruitment: "recruiter" (they
	// recruited the person) or "recruit"; empty for a friendship.
	Role string `json:"role,omitempty"`
	// Weight is the friendship's weight after the change (added,
	// reweighted) or before it (removed); 1 for a recruitment. Previous
	// is the weight before a reweighting.
	Weight   float64  `json:"weight"`
	Previous *float64 `json:"previous,omitempty"`
	// At is when the change was made (the store's clock), Seq its place
	// in the store's tie log. For a tie changed more than once between
	// the runs, the last change.
	At  time.Time `json:"at"`
	Seq uint64    `json:"seq"`
}

// TieChanges are the ties of a person that differ between two runs.
type TieChanges struct {
	// Added were in the later run's ties and not in the earlier's;
	// Removed the other way round; Reweighted in both, with another
	// weight. Oldest change first. A tie added and removed again between
	// the runs is in neither.
	Added, Removed, Reweighted []TieChange
	// Before and After are the person's ties when each run started.
	Before, After []graph.Tie
}

// TiesBetween finds the person's ties that changed between the run that
// started at from and the one that started at to, from the ties now and
// their log since from (graph.TieLog.TieHistory). A tie counts in a run
// if it was there just before the run started, as an event counts if it
// arrived before (graph.RunStarts). Ties created by a batch, and ties
// with a person since erased, are not in the log (graph.TieChange), so
// they are not listed.
func TiesBetween(id graph.ID, h graph.TieHistory, from, to time.Time) TieChanges {
	out := TieChanges{Added: []TieChange{}, Removed: []TieChange{}, Reweighted: []TieChange{}, Before: h.At(from), After: h.At(to)}
	type key struct {
		kind     graph.TieKind
		from, to graph.ID
	}
	keyOf := func(t graph.Tie) key { return key{t.Kind, t.From, t.To} }
	before, after := map[key]graph.Tie{}, map[key]graph.Tie{}
	for _, t := range out.Before {
		before[keyOf(t)] = t
	}
	for _, t := range out.After {
		after[keyOf(t)] = t
	}
	// The last change of each tie between the runs.
	last := map[key]graph.TieChange{}
	for _, c := range h.Log {
		if in(c.At, from, to) {
			last[keyOf(c.Tie)] = c
		}
	}
	item := func(t graph.Tie, c graph.TieChange) TieChange {
		tc := TieChange{Kind: t.Kind.String(), With: t.From, Weight: t.Weight, At: c.At.UTC(), Seq: c.Seq}
		if t.From == id {
			tc.With = t.To
		}
		if t.Kind == graph.Recruited {
			tc.Role = "recruit"
			if t.To == id {
				tc.Role = "recruiter"
			}
		}
		return tc
	}
	for k, t := range after {
		c, ok := last[k]
		if !ok {
			continue // unchanged, or created by a batch
		}
		switch b, was := before[k]; {
		case !was:
			out.Added = append(out.Added, item(t, c))
		case b.Weight != t.Weight:
			tc := item(t, c)
			tc.Previous = &b.Weight
			out.Reweighted = append(out.Reweighted, tc)
		}
	}
	for k, t := range before {
		if _, still := after[k]; still {
			continue
		}
		if c, ok := last[k]; ok {
			out.Removed = append(out.Removed, item(t, c))
		}
	}
	bySeq := func(a, b TieChange) int { return cmp.Compare(a.Seq, b.Seq) }
	slices.SortFunc(out.Added, bySeq)
	slices.SortFunc(out.Removed, bySeq)
	slices.SortFunc(out.Reweighted, bySeq)
	return out
}

// FriendSharesOf computes each friend's share α·W_ij·(s_j − b_i) of
// person id's network value in one run, from the person's friendships
// when the run started (ties; other kinds are ignored) and the run's
// results of the person and of whichever friends it scored (results,
// keyed by id; a friend without a result was not in the run's network).
// It returns ok false when they do not reproduce the run: the number of
// friends differs from the result's Friends, or the shares do not sum to
// Network − Base within tol (a friendship the log does not know of, or a
// friend's results erased since).
func FriendSharesOf(id graph.ID, ties []graph.Tie, results map[graph.ID]graph.Result, alpha, tol float64) (map[graph.ID]float64, bool) {
	res, ok := results[id]
	if !ok {
		return nil, false
	}
	var b graph.SnapshotBuilder
	b.AddPerson(graph.Person{ID: id, Consent: true})
	n := 0
	for _, t := range ties {
		if t.Kind != graph.Friend {
			continue
		}
		f := t.From
		if f == id {
			f = t.To
		}
		if _, ok := results[f]; !ok {
			continue
		}
		n++
		b.AddPerson(graph.Person{ID: f, Consent: true})
		b.AddTie(t)
	}
	if n != int(res.Friends) {
		return nil, false
	}
	snap, err := b.Build(time.Time{})
	if err != nil {
		return nil, false
	}
	rs := make([]graph.Result, snap.Len())
	for k, pid := range snap.IDs {
		rs[k] = results[pid]
	}
	i, _ := snap.Index(id)
	shares, err := FriendShares(snap, rs, alpha, i)
	if err != nil {
		return nil, false
	}
	out := make(map[graph.ID]float64, len(shares))
	var sum float64
	for _, sh := range shares {
		out[sh.ID] = sh.Value
		sum += sh.Value
	}
	if !(math.Abs(sum-(res.Network-res.Base)) <= tol) {
		return nil, false
	}
	return out, true
}

// TieDrivers is what the ties that changed between two runs did to the
// person's score, for the drivers of ChangesWithTies.
type TieDrivers struct {
	// SharesKnown is set when both runs' friends' shares were reproduced
	// (FriendSharesOf); only then are the points below given.
	SharesKnown bool
	// NewFriends are the friends added between the runs whom the later
	// run scored, NewPoints the sum of their shares of the later run's
	// network component (600·(1−c)·α·W_ij·(s_j − b_i), unrounded);
	// LostFriends and LostPoints the same for the friends removed, in
	// the earlier run. KeptPoints is the change of the other friends'
	// shares (later − earlier): NewPoints − LostPoints + KeptPoints is
	// the network component's exact move.
	NewFriends, LostFriends           int
	NewPoints, LostPoints, KeptPoints float64
	// NewRecruits and LostRecruits count the recruits added and removed
	// between the runs (known whenever the ties are).
	NewRecruits, LostRecruits int
	TiesKnown                 bool
}

// TieDriversOf splits the network component's move between two runs over
// the friends added, removed and kept (sharesBefore and sharesAfter from
// FriendSharesOf of each run, nil when not reproduced), under each run's
// policy.
func TieDriversOf(id graph.ID, tc TieChanges, sharesBefore, sharesAfter map[graph.ID]float64, pb, pa Policy) TieDrivers {
	d := TieDrivers{TiesKnown: true}
	for _, t := range tc.Added {
		if t.Kind == graph.Recruited.String() && t.Role == "recruit" {
			d.NewRecruits++
		}
	}
	for _, t := range tc.Removed {
		if t.Kind == graph.Recruited.String() && t.Role == "recruit" {
			d.LostRecruits++
		}
	}
	if sharesBefore == nil || sharesAfter == nil {
		return d
	}
	d.SharesKnown = true
	added, removed := map[graph.ID]bool{}, map[graph.ID]bool{}
	for _, t := range tc.Added {
		if t.Kind == graph.Friend.String() {
			added[t.With] = true
		}
	}
	for _, t := range tc.Removed {
		if t.Kind == graph.Friend.String() {
			removed[t.With] = true
		}
	}
	for j, v := range sharesAfter {
		p := PointsOfShare(v, pa)
		if added[j] {
			d.NewFriends++
			d.NewPoints += p
		} else {
			d.KeptPoints += p
		}
	}
	for j, v := range sharesBefore {
		p := PointsOfShare(v, pb)
		if removed[j] {
			d.LostFriends++
			d.LostPoints += p
		} else {
			d.KeptPoints -= p
		}
	}
	return d
}

// tieDriver is a candidate sentence with the points it names.
type tieDriver struct {
	points   int
	sentence string
}

// networkTieDrivers are the sentences for the network component when the
// friends' shares of both runs are known and friends came or went: one
// for the new friends, one for the lost ones and one for the friends
// kept, each given only when its points round to at least 1.
func networkTieDrivers(d TieDrivers) []tieDriver {
	if !d.SharesKnown || d.NewFriends+d.LostFriends == 0 {
		return nil
	}
	var out []tieDriver
	if n := int(math.Round(d.NewPoints)); d.NewFriends > 0 && n != 0 {
		out = append(out, tieDriver{abs(n), fmt.Sprintf("%s %s your network points by %d",
			count(int64(d.NewFriends), "a new friend", "new friends"), raisedOrLowered(n), abs(n))})
	}
	if n := int(math.Round(d.LostPoints)); d.LostFriends > 0 && n != 0 {
		// Losing friends who added points lowers the component.
		out = append(out, tieDriver{abs(n), fmt.Sprintf("losing %s %s your network points by %d",
			count(int64(d.LostFriends), "a friend", "friends"), raisedOrLowered(-n), abs(n))})
	}
	if n := int(math.Round(d.KeptPoints)); n != 0 {
		more := "more"
		if n < 0 {
			more = "less"
		}
		out = append(out, tieDriver{abs(n), fmt.Sprintf("the friends you kept now add %s %s to your network points", plural(abs(n), "point"), more)})
	}
	return out
}

func raisedOrLowered(n int) string {
	if n < 0 {
		return "lowered"
	}
	return "raised"
}
