package export_test

import (
	"os"
	"time"

	"github.com/socialscore/socialscore/export"
	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring/contagion"
)

// Two friends, one of whom recruited the other, written as JSON with
// pseudonymised ids (no scores given, so both are unscored).
func ExampleWriteJSON() {
	var b graph.SnapshotBuilder
	b.AddPerson(graph.Person{ID: 1, Consent: true})
	b.AddPerson(graph.Person{ID: 2, Consent: true})
	b.AddTie(graph.Tie{Kind: graph.Friend, From: 1, To: 2})
	b.AddTie(graph.Tie{Kind: graph.Recruited, From: 1, To: 2})
	snap, _ := b.Build(time.Time{})

	ps := export.Pseudonymizer{Key: []byte("an example key, keep it secret")}
	g, err := export.FromSnapshot(snap, contagion.Scores{}, ps)
	if err != nil {
		panic(err)
	}
	if err := export.WriteJSON(os.Stdout, g); err != nil {
		panic(err)
	}
	// Output:
	// {"directed":false,"multigraph":true,"meta":{"kind":"snapshot","pseudonymised":true},"nodes":[
	// {"id":"ed780e0b491cfbc0","scored":false},
	// {"id":"40eda734069608d7","scored":false}
	// ],"links":[
	// {"source":"ed780e0b491cfbc0","target":"40eda734069608d7","kind":"friend","weight":1},
	// {"source":"ed780e0b491cfbc0","target":"40eda734069608d7","kind":"recruited","weight":1}
	// ]}
}
