package scoring_test

import (
	"context"
	"fmt"
	"time"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

// Score a tiny network under the sesame preset and explain one score.
func ExampleExplain() {
	var b graph.SnapshotBuilder
	everything := graph.FieldSet(1<<graph.NumProfileFields - 1)
	careful := graph.Record{PurchaseTotal: 8000, PurchaseCount: 40, BillsOnTime: 24, CreditOnTime: 12}
	late := graph.Record{PurchaseTotal: 300, PurchaseCount: 3, BillsOnTime: 2, BillsLate: 6, BillDaysLate: 120, Defaults: 1}
	b.AddPerson(graph.Person{ID: 1, Consent: true, Record: careful, Profile: graph.Profile{Provided: everything, Verified: everything}})
	b.AddPerson(graph.Person{ID: 2, Consent: true, Record: late})
	b.AddPerson(graph.Person{ID: 3, Consent: true, Record: late})
	b.AddTie(graph.Tie{Kind: graph.Friend, From: 1, To: 2})
	b.AddTie(graph.Tie{Kind: graph.Friend, From: 1, To: 3})
	snap, err := b.Build(time.Time{})
	if err != nil {
		panic(err)
	}

	policy, _ := scoring.Preset("sesame")
	results, _, err := scoring.ScoreSnapshot(context.Background(), snap, policy, scoring.Options{})
	if err != nil {
		panic(err)
	}
	e := scoring.Explain(results[0], policy)
	fmt.Printf("score %d (individual %d), band %q\n", e.Score, e.Individual, e.Band)
	for _, c := range e.Components {
		fmt.Printf("  %-12s %+4d\n", c.Name, c.Points)
	}
	for _, r := range e.Reasons {
		fmt.Printf("  %s %+4d %s\n", r.Code, r.Points, r.Text)
	}
	fmt.Println("perks:", e.Perks)
	// Output:
	// score 821 (individual 867), band "excellent"
	//   purchase     +111
	//   info          +85
	//   bills        +110
	//   credit       +185
	//   recruitment    +0
	//   network       -45
	//   centrality    +25
	//   NET01  -45 friends' scores lower yours
	//   PUR01  -31 low purchase volume
	//   REC01  -29 few active recruits
	//   CRD03  -14 short credit history
	// perks: [deposit_free_rentals car_rental_no_deposit travel_fast_track premium_credit_line]
}
