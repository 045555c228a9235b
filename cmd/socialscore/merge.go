package main

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/socialscore/socialscore/graph"
)

// mergeStats says what import --merge left out because the store holds it.
type mergeStats struct {
	KeptPeople int // people of the import stored already: kept as they are
	KeptTies   int // ties of the import stored already: kept (with their weight)
}

// mergeBatch returns the part of an import's batch that is new to the
// store: the people it does not hold, and the ties it does not hold (a
// friendship in either order, a recruitment as given). Stored people are
// left out, so their records and profiles stay as they are; ties between
// stored people are kept in when new.
//
// What the store holds is read from one snapshot (its consenting people
// and the ties among them). Only when the store also holds people who do
// not consent, whom a snapshot leaves out, is each person of the batch
// missing from the snapshot looked up, and the ties of stored
// non-consenting people read one by one.
func mergeBatch(ctx context.Context, store graph.Store, b graph.Batch) (graph.Batch, mergeStats, error) {
	var st mergeStats
	snap, err := store.Snapshot(ctx)
	if err != nil {
		return graph.Batch{}, st, err
	}
	counts, err := store.Counts(ctx)
	if err != nil {
		return graph.Batch{}, st, err
	}
	hidden := counts.People > snap.Len() // stored people the snapshot leaves out

	// stored: whether a person of the batch or a tie's end is stored, and
	// whether in the snapshot.
	type where struct{ stored, inSnap bool }
	known := map[graph.ID]where{}
	locate := func(id graph.ID) (where, error) {
		if w, ok := known[id]; ok {
			return w, nil
		}
		var w where
		if _, ok := snap.Index(id); ok {
			w = where{stored: true, inSnap: true}
		} else if hidden {
			_, err := store.Person(ctx, id)
			switch {
			case err == nil:
				w.stored = true
			case !errors.Is(err, graph.ErrNotFound):
				return w, err
			}
		}
		known[id] = w
		return w, nil
	}

	out := graph.Batch{People: make([]graph.Person, 0, len(b.People)), Ties: make([]graph.Tie, 0, len(b.Ties))}
	for _, p := range b.People {
		w, err := locate(p.ID)
		if err != nil {
			return graph.Batch{}, st, err
		}
		if w.stored {
			st.KeptPeople++
			continue
		}
		out.People = append(out.People, p)
	}

	// Ties of stored people outside the snapshot, read when needed.
	outside := map[graph.ID][]graph.Tie{}
	storedTie := func(t graph.Tie, from, to where) (bool, error) {
		if from.inSnap && to.inSnap {
			i, _ := snap.Index(t.From)
			j, _ := snap.Index(t.To)
			if t.Kind == graph.Recruited {
				return slices.Contains(snap.Recruits(i), j), nil
			}
			return slices.Contains(snap.Friends(i), j), nil
		}
		id := t.From
		if from.inSnap {
			id = t.To
		}
		ties, ok := outside[id]
		if !ok {
			var err error
			if ties, err = store.Ties(ctx, id); err != nil {
				return false, err
			}
			outside[id] = ties
		}
		n := t.Normalize()
		for _, s := range ties {
			s = s.Normalize()
			if s.Kind == n.Kind && s.From == n.From && s.To == n.To {
				return true, nil
			}
		}
		return false, nil
	}
	for _, t := range b.Ties {
		from, err := locate(t.From)
		if err != nil {
			return graph.Batch{}, st, err
		}
		to, err := locate(t.To)
		if err != nil {
			return graph.Batch{}, st, err
		}
		if from.stored && to.stored {
			dup, err := storedTie(t, from, to)
			if err != nil {
				return graph.Batch{}, st, fmt.Errorf("ties of %d and %d: %w", t.From, t.To, err)
			}
			if dup {
				st.KeptTies++
				continue
			}
		}
		out.Ties = append(out.Ties, t)
	}
	return out, st, nil
}
