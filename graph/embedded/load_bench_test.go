package embedded_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/socialscore/socialscore/graph/embedded"
	"github.com/socialscore/socialscore/seed"
)

// BenchmarkLoad bulk loads a seeded population (seed.Stream: 200,000
// people by default, SOCIALSCORE_BENCH_LOAD_PEOPLE to change it; mean
// degree 10, so 10 friend keys per person, and 0.3 recruitments) into an
// empty store with Store.Load, for several numbers of friend keys per
// write transaction. It reports the cost per person of the people phase
// (encoding and writing one record), per friend key of the friendships
// phase (one 16-byte key appended, both directions written), the
// transactions and the file size:
//
//	go test -run '^$' -bench Load -benchtime 2x ./graph/embedded/
func BenchmarkLoad(b *testing.B) {
	n := 200_000
	if v, err := strconv.Atoi(os.Getenv("SOCIALSCORE_BENCH_LOAD_PEOPLE")); err == nil && v > 0 {
		n = v
	}
	net, err := seed.Stream(seed.Config{People: n, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for _, perTx := range []int{1 << 18, 1 << 20, 1 << 22, 1 << 23} {
		b.Run(fmt.Sprintf("people=%d/keysPerTx=%d", n, perTx), func(b *testing.B) {
			defer embedded.SetLoadTxSizes(1<<19, perTx)()
			var st embedded.LoadStats
			var size int64
			for b.Loop() {
				b.StopTimer()
				dir := b.TempDir()
				s, err := embedded.Open(filepath.Join(dir, "load.db"))
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				st, err = s.Load(b.Context(), net)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
				fi, err := os.Stat(filepath.Join(dir, "load.db"))
				if err != nil {
					b.Fatal(err)
				}
				size = fi.Size()
				b.StartTimer()
			}
			b.ReportMetric(float64(st.PeopleTime.Nanoseconds())/float64(st.People), "ns/person")
			b.ReportMetric(float64(st.FriendsTime.Nanoseconds())/float64(2*st.Friendships), "ns/friend-key")
			b.ReportMetric(float64(st.RecruitsTime.Nanoseconds())/float64(max(st.Recruitments, 1)), "ns/recruitment")
			b.ReportMetric(float64(st.Transactions), "txs")
			b.ReportMetric(float64(size)/(1<<20), "file-MB")
		})
	}
}
