package graph

import (
	"context"
	"slices"
	"time"
)

// TieOp is what a logged tie change did.
type TieOp string

// The operations of the tie log.
const (
	TieAdded      TieOp = "added"      // the tie was created
	TieRemoved    TieOp = "removed"    // the tie was deleted
	TieReweighted TieOp = "reweighted" // an existing friendship's weight changed
)

// TieChange is one entry of the tie log: a friendship or recruitment
// added or removed, or a friendship's weight changed, through
// TieStore.PutTie or DeleteTie. Each is written in the transaction that
// changes the tie, so every acknowledged change is logged.
//
// What is not logged: the ties a batch creates (BatchWriter: seeding and
// importing a network, not changes to it), putting a tie that is already
// there with the same weight (nothing changes), and the ties removed when
// a person is erased. Erasure removes every entry that names the erased
// person, in the same transaction (the log must not keep their ties), so
// their friends' logs no longer show those friendships at all.
type TieChange struct {
	// Seq is unique in the store and increases in the order changes were
	// made (the entries of one person's log ascend by it).
	Seq uint64
	At  time.Time // the store's clock when the change was made
	Op  TieOp
	// Tie is the tie, normalised (Tie.Normalize). Weight is the weight
	// after the change (added, reweighted) or before it (removed); a
	// recruitment's is 1.
	Tie Tie
	// Previous is the weight before a reweighting (0 otherwise).
	Previous float64
}

// TieHistory is a person's ties now and the log of their changes since a
// time, read in one transaction, so that the ties at any time since can
// be recovered (TieHistory.At).
type TieHistory struct {
	Ties []Tie       // as TieStore.Ties returns them
	Log  []TieChange // changes at or after the time asked for, Seq ascending
}

// TieLog is implemented by both stores: the log of tie changes.
type TieLog interface {
	// TieHistory returns the person's ties and the logged changes of
	// their ties made at or after since (every logged change for a zero
	// since), oldest first. It returns ErrNotFound if there is no such
	// person.
	TieHistory(ctx context.Context, id ID, since time.Time) (TieHistory, error)
}

// At returns the person's ties as they were just before t (t at or after
// the since the history was read with): the ties now, with every logged
// change at or after t undone, newest first. A change made at t exactly
// is not in the ties at t, as an event arriving at a run's start does not
// count in that run (graph.RunStarts). The result is ordered as
// TieStore.Ties orders ties.
func (h TieHistory) At(t time.Time) []Tie {
	type key struct {
		kind     TieKind
		from, to ID
	}
	set := map[key]float64{}
	for _, tie := range h.Ties {
		set[key{tie.Kind, tie.From, tie.To}] = tie.Weight
	}
	for i := len(h.Log) - 1; i >= 0; i-- {
		c := h.Log[i]
		if c.At.Before(t) {
			continue
		}
		k := key{c.Tie.Kind, c.Tie.From, c.Tie.To}
		switch c.Op {
		case TieAdded:
			delete(set, k)
		case TieRemoved:
			set[k] = c.Tie.Weight
		case TieReweighted:
			set[k] = c.Previous
		}
	}
	out := make([]Tie, 0, len(set))
	for k, w := range set {
		out = append(out, Tie{Kind: k.kind, From: k.from, To: k.to, Weight: w})
	}
	slices.SortFunc(out, CompareTies)
	return out
}

// CompareTies orders ties by kind, then From, then To.
func CompareTies(x, y Tie) int {
	switch {
	case x.Kind != y.Kind:
		return int(x.Kind) - int(y.Kind)
	case x.From < y.From:
		return -1
	case x.From > y.From:
		return 1
	case x.To < y.To:
		return -1
	case x.To > y.To:
		return 1
	}
	return 0
}
