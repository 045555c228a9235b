package seed_test

import (
	"fmt"
	"strings"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/seed"
)

func ExampleGenerate() {
	b, err := seed.Generate(seed.Config{People: 1000, Seed: 1})
	if err != nil {
		panic(err)
	}
	kinds := map[graph.TieKind]int{}
	for _, t := range b.Ties {
		kinds[t.Kind]++
	}
	fmt.Println("people:", len(b.People), "first id:", b.People[0].ID, "last id:", b.People[len(b.People)-1].ID)
	fmt.Println("friendships:", kinds[graph.Friend])
	// Output:
	// people: 1000 first id: 1 last id: 1000
	// friendships: 4985
}

func ExampleImportBatch() {
	edges := `# a SNAP edge list numbered from 0
0 1
1 2
2 0
1 0
3 3
`
	people := "id,consent,bills_on_time,bills_late\n2,true,11,1\n7,false,,\n"
	b, stats, err := seed.ImportBatch(strings.NewReader(edges), strings.NewReader(people))
	if err != nil {
		panic(err)
	}
	fmt.Printf("offset %d, %d self-loop, %d duplicate\n", stats.Offset, stats.SelfLoops, stats.Duplicates)
	for _, p := range b.People {
		fmt.Printf("person %d (file id %d): consent %v, bills on time %d\n", p.ID, int64(p.ID)-stats.Offset, p.Consent, p.Record.BillsOnTime)
	}
	for _, t := range b.Ties {
		fmt.Println(t.Kind, t.From, t.To)
	}
	// Output:
	// offset 1, 1 self-loop, 1 duplicate
	// person 1 (file id 0): consent true, bills on time 2
	// person 2 (file id 1): consent true, bills on time 2
	// person 3 (file id 2): consent true, bills on time 11
	// person 8 (file id 7): consent false, bills on time 2
	// friend 1 2
	// friend 1 3
	// friend 2 3
}
