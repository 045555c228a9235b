package scoring

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/seed"
)

// seededSnapshot builds the snapshot of a 10,000-person network made by
// seed.Generate (everyone consenting); weighted gives every friendship a
// random weight in [0.1, 3.1).
func seededSnapshot(t *testing.T, weighted bool) *graph.Snapshot {
	t.Helper()
	batch, err := seed.Generate(seed.Config{People: 10_000, Seed: 10, ConsentShare: 1})
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(10, 11))
	var b graph.SnapshotBuilder
	for _, p := range batch.People {
		p.Consent = true
		b.AddPerson(p)
	}
	for _, tie := range batch.Ties {
		if weighted && tie.Kind == graph.Friend {
			tie.Weight = 0.1 + 3*rng.Float64()
		}
		b.AddTie(tie)
	}
	snap, err := b.Build(time.Time{})
	require.NoError(t, err)
	require.Equal(t, 10_000, snap.Len())
	return snap
}

// referenceNetwork solves s = (1−α)b + αWs independently of Propagate:
// W built here from the tie weights (row sums taken afresh, W_ii = 1 for a
// person whose ties weigh nothing), plain Jacobi iteration (a contraction
// with factor α) until no value changes by more than 1e-15.
func referenceNetwork(snap *graph.Snapshot, b []float64, alpha float64) []float64 {
	n := snap.Len()
	s := append([]float64(nil), b...)
	next := make([]float64, n)
	for it := 0; it < 10_000; it++ {
		var change float64
		for i := 0; i < n; i++ {
			var wsum, acc float64
			for k := snap.Offsets[i]; k < snap.Offsets[i+1]; k++ {
				w := snap.Weight(k)
				wsum += w
				acc += w * s[snap.Targets[k]]
			}
			v := b[i]
			if wsum > 0 {
				v = (1-alpha)*b[i] + alpha*acc/wsum
			}
			change = math.Max(change, math.Abs(v-s[i]))
			next[i] = v
		}
		s, next = next, s
		if change < 1e-15 {
			break
		}
	}
	return s
}

// TestFriendSharesSumToTheNetworkComponent checks, for every person of a
// seeded 10,000-person run (unweighted and weighted, under sesame and
// tencent), that the per-friend shares sum to the network value s − b
// computed independently (referenceNetwork) within 1e-9 on the value
// scale (so within 600·1e-9 points), that the stored split (Share) is the
// sum of the positive and of the negative shares, and that the network
// split's points sum to the network component exactly.
func TestFriendSharesSumToTheNetworkComponent(t *testing.T) {
	for _, weighted := range []bool{false, true} {
		snap := seededSnapshot(t, weighted)
		for _, name := range []string{PolicySesame, PolicyTencent} {
			p, _ := Preset(name)
			results, _, err := ScoreSnapshot(context.Background(), snap, p, Options{})
			require.NoError(t, err)
			b := make([]float64, len(results))
			for i, r := range results {
				b[i] = r.Base
			}
			ref := referenceNetwork(snap, b, p.Alpha)
			var worst float64
			withFriends, raised, lowered := 0, 0, 0
			for i, r := range results {
				shares, err := FriendShares(snap, results, p.Alpha, int32(i))
				require.NoError(t, err)
				require.Len(t, shares, snap.Degree(int32(i)))
				var sum, raise, lower float64
				var nr, nl int32
				for _, sh := range shares {
					sum += sh.Value
					switch {
					case sh.Value > 0:
						raise += sh.Value
						nr++
					case sh.Value < 0:
						lower += sh.Value
						nl++
					}
				}
				d := math.Abs(sum - (ref[i] - b[i]))
				worst = math.Max(worst, d)
				if d > 1e-9 {
					t.Fatalf("%s weighted=%v: shares of %d sum to %v, s − b is %v", name, weighted, r.ID, sum, ref[i]-b[i])
				}
				if r.Share.Raising != nr || r.Share.Lowering != nl || math.Abs(r.Share.Raise-raise) > 1e-12 || math.Abs(r.Share.Lower-lower) > 1e-12 {
					t.Fatalf("%s: stored share of %d is %+v, the list gives raise %v (%d) lower %v (%d)", name, r.ID, r.Share, raise, nr, lower, nl)
				}
				e := Explain(r, p)
				net := e.Components[5]
				require.Equal(t, ComponentNetwork, net.Name)
				if e.Network.Raise.Points+e.Network.Lower.Points != net.Points {
					t.Fatalf("%s: split of %d is %+v, network component %d", name, r.ID, e.Network, net.Points)
				}
				if len(shares) > 0 {
					withFriends++
				}
				if e.Network.Raise.Points > 0 {
					raised++
				}
				if e.Network.Lower.Points < 0 {
					lowered++
				}
			}
			t.Logf("%s weighted=%v: largest |Σ shares − (s − b)| = %.3g; %d with friends, %d raised, %d lowered", name, weighted, worst, withFriends, raised, lowered)
			require.Positive(t, raised)
			require.Positive(t, lowered)
		}
	}
}

// TestFriendSharesByHand: a path 1 – 2 – 3 with weights 1 and 3 under
// α = 0.5; b = (0.2, 0.5, 0.8). Solving s = (1−α)b + αWs by hand:
// s1 = 0.1 + 0.5·s2, s3 = 0.4 + 0.5·s2, s2 = 0.25 + 0.5·(¼s1 + ¾s3)
// = 0.25 + 0.125·(0.1 + 0.5·s2) + 0.375·(0.4 + 0.5·s2), so
// s2·(1 − 0.25) = 0.25 + 0.0125 + 0.15 = 0.4125, s2 = 0.55, s1 = 0.375,
// s3 = 0.675. Person 2's shares: friend 1: 0.5·¼·(0.375 − 0.5) =
// −0.015625; friend 3: 0.5·¾·(0.675 − 0.5) = 0.065625; sum 0.05 = s2 − b2.
func TestFriendSharesByHand(t *testing.T) {
	var bld graph.SnapshotBuilder
	for id := graph.ID(1); id <= 3; id++ {
		bld.AddPerson(graph.Person{ID: id, Consent: true})
	}
	bld.AddTie(graph.Tie{Kind: graph.Friend, From: 1, To: 2, Weight: 1})
	bld.AddTie(graph.Tie{Kind: graph.Friend, From: 2, To: 3, Weight: 3})
	snap, err := bld.Build(time.Time{})
	require.NoError(t, err)
	results := []graph.Result{
		{ID: 1, Base: 0.2, Network: 0.375},
		{ID: 2, Base: 0.5, Network: 0.55},
		{ID: 3, Base: 0.8, Network: 0.675},
	}
	shares, err := FriendShares(snap, results, 0.5, 1)
	require.NoError(t, err)
	require.Len(t, shares, 2)
	require.Equal(t, graph.ID(1), shares[0].ID)
	require.InDelta(t, -0.015625, shares[0].Value, 1e-15)
	require.Equal(t, graph.ID(3), shares[1].ID)
	require.InDelta(t, 0.065625, shares[1].Value, 1e-15)
	b := []float64{0.2, 0.5, 0.8}
	s := []float64{0.375, 0.55, 0.675}
	require.Equal(t, graph.NetworkShare{Known: true, Raise: shares[1].Value, Lower: shares[0].Value, Raising: 1, Lowering: 1},
		NetworkShareOf(snap, b, s, 0.5, 1))
	// The run computes the same s.
	sv, _, err := Propagate(context.Background(), snap, b, 0.5, 1)
	require.NoError(t, err)
	require.InDeltaSlice(t, s, sv, 1e-10)

	_, err = FriendShares(snap, results[:2], 0.5, 1)
	require.ErrorIs(t, err, graph.ErrInvalid)
	_, err = FriendShares(snap, results, 0.5, 3)
	require.ErrorIs(t, err, graph.ErrInvalid)
}

// TestPolicyFriendShares: friend_shares is "aggregate" (also when empty)
// or "listed"; anything else is invalid, naming the field.
func TestPolicyFriendShares(t *testing.T) {
	p, _ := Preset(PolicySesame)
	require.False(t, p.ListsFriendShares(), "the presets offer the aggregate only")
	for _, v := range []string{"", FriendSharesAggregate, FriendSharesListed} {
		p.FriendShares = v
		require.NoError(t, p.Validate(), v)
		require.Equal(t, v == FriendSharesListed, p.ListsFriendShares())
	}
	p.FriendShares = "per-friend"
	err := p.Validate()
	require.ErrorIs(t, err, graph.ErrInvalid)
	var ve *graph.ValidationError
	require.ErrorAs(t, err, &ve)
	require.Equal(t, "friend_shares", ve.Field)

	// Strictly decoded from a policy file like every other field.
	got, err := ParsePolicy([]byte(`{"name":"x","weights":{"purchase":0.2,"info":0.2,"bills":0.2,"credit":0.2,"recruitment":0.2},"alpha":0.1,"centrality":0,"perks":[],"bands":[{"name":"all","min":350}],"friend_shares":"listed"}`), "json")
	require.NoError(t, err)
	require.True(t, got.ListsFriendShares())
}
