package seed

import (
	"math"
	"math/rand/v2"
)

// Stream numbers: each phase of the generator draws from its own PCG
// stream, PCG(cfg.Seed, stream), so changing one setting (say ConsentShare)
// leaves what the other phases generate unchanged.
const (
	streamNetwork uint64 = 0x6e6574776f726b00 + iota // "network"
	streamHealth
	streamRecruit
	streamPeople // + chunk index: people are generated in fixed-size chunks
)

// newRand returns a generator on the given stream of the seed.
func newRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream))
}

// logistic is 1/(1+e^-x).
func logistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// poisson draws from Poisson(lambda). Below 30 it inverts the CDF
// (one uniform); above, it uses the normal approximation
// round(λ + √λ·N(0,1)), clamped at 0, whose error is immaterial for
// synthetic counts.
func poisson(lambda float64, rng *rand.Rand) int64 {
	if lambda <= 0 {
		return 0
	}
	if lambda >= 30 {
		x := math.Round(lambda + math.Sqrt(lambda)*rng.NormFloat64())
		return int64(max(x, 0))
	}
	u := rng.Float64()
	p := math.Exp(-lambda)
	cdf := p
	var k int64
	for u > cdf {
		k++
		p *= lambda / float64(k)
		cdf += p
		if p == 0 { // u landed in the float rounding of the tail
			break
		}
	}
	return k
}

// binomial draws from Binomial(n, p) by counting Bernoulli trials; n is a
// count of payments here, a few dozen at most on average.
func binomial(n int64, p float64, rng *rand.Rand) int64 {
	if p <= 0 || n <= 0 {
		return 0
	}
	if p >= 1 {
		return n
	}
	if n > 200 {
		// Normal approximation for the rare heavy user.
		mu, sd := float64(n)*p, math.Sqrt(float64(n)*p*(1-p))
		x := math.Round(mu + sd*rng.NormFloat64())
		return int64(min(max(x, 0), float64(n)))
	}
	var k int64
	for range n {
		if rng.Float64() < p {
			k++
		}
	}
	return k
}

// cents rounds an amount to two decimals.
func cents(x float64) float64 { return math.Round(x*100) / 100 }
