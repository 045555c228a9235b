package simulate_test

import (
	"context"
	"fmt"

	"github.com/socialscore/socialscore/scoring"
	"github.com/socialscore/socialscore/scoring/simulate"
)

// Three rounds of friend-dropping under tencent's strong contagion, on a
// seeded network of 2,000 people.
func ExampleRun() {
	cfg := simulate.DefaultConfig()
	pol, _ := scoring.Preset(scoring.PolicyTencent)
	cfg.Policy = simulate.PolicySpec{Policy: pol}
	cfg.People = 2000
	cfg.Rounds = 3
	c, perks, err := simulate.Run(context.Background(), cfg, nil, simulate.RunOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("perk tier 1:", perks[0])
	dropped, formed := c.Series(simulate.MetricTiesDropped), c.Series(simulate.MetricTiesFormed)
	friendships := c.Series(simulate.MetricFriendships)
	for round := range c.Rows {
		fmt.Printf("round %d: dropped %v, formed %v, friendships %v\n", round,
			dropped[round], formed[round], friendships[round])
	}
	// Output:
	// perk tier 1: deposit_free_rentals
	// round 0: dropped 0, formed 0, friendships 9985
	// round 1: dropped 227, formed 100, friendships 9858
	// round 2: dropped 187, formed 101, friendships 9772
	// round 3: dropped 145, formed 82, friendships 9709
}
