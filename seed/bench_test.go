package seed

import (
	"strconv"
	"testing"
)

// BenchmarkGenerate measures generating a default population; ns/op is the
// time for one whole batch, B/op the bytes allocated for it.
func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run("people="+strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				batch, err := Generate(Config{People: n, Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				if len(batch.People) != n {
					b.Fatalf("%d people, want %d", len(batch.People), n)
				}
			}
		})
	}
}
