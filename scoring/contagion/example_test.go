package contagion_test

import (
	"context"
	"fmt"
	"time"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
	"github.com/socialscore/socialscore/scoring/contagion"
)

// A default at one end of a path of five friends, under the tencent
// policy (α = 0.5): the defaulter moves at step 1, their friend at step 2,
// and so on, and the change shrinks to about a quarter with every hop.
func ExampleShock() {
	var b graph.SnapshotBuilder
	for id := graph.ID(1); id <= 5; id++ {
		b.AddPerson(graph.Person{ID: id, Consent: true, Record: graph.NeutralRecord()})
		if id > 1 {
			b.AddTie(graph.Tie{Kind: graph.Friend, From: id - 1, To: id})
		}
	}
	snap, _ := b.Build(time.Time{})
	pol, _ := scoring.Preset(scoring.PolicyTencent)
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	def, _ := contagion.ParseEvent("default:5000", now)

	res, err := contagion.Shock(context.Background(), snap, pol, contagion.ShockRequest{
		Changes: []contagion.Change{{ID: 1, Events: []graph.Event{def}}},
		Now:     now,
	})
	if err != nil {
		panic(err)
	}
	for _, st := range res.Steps[:4] {
		fmt.Printf("step %d: %d moved, %.1f points lost\n", st.Step, st.Moved, st.PointsLost)
	}
	for _, r := range res.Total.Reach {
		fmt.Printf("hop %d: %d moved, %.1f points lost\n", r.Hop, r.Moved, r.PointsLost)
	}
	fmt.Printf("total: %d moved, max hop %d\n", res.Total.Moved, res.Total.MaxHop)
	// Output:
	// step 0: 0 moved, 0.0 points lost
	// step 1: 1 moved, 27.0 points lost
	// step 2: 2 moved, 33.7 points lost
	// step 3: 3 moved, 38.8 points lost
	// hop 0: 1 moved, 31.2 points lost
	// hop 1: 1 moved, 8.4 points lost
	// hop 2: 1 moved, 2.2 points lost
	// hop 3: 0 moved, 0.6 points lost
	// hop 4: 0 moved, 0.3 points lost
	// total: 3 moved, max hop 2
}
