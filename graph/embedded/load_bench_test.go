package embedded_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

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
// process CPU time per friend key of that phase (on a shared machine the
// wall-clock figures follow the neighbours' load, CPU time much less), the
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
			var cpu phaseCPU
			for b.Loop() {
				b.StopTimer()
				dir := b.TempDir()
				s, err := embedded.Open(filepath.Join(dir, "load.db"))
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				cpu = phaseCPU{Network: net}
				st, err = s.Load(b.Context(), &cpu)
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
			b.ReportMetric(float64(cpu.friends.Nanoseconds())/float64(2*st.Friendships), "cpu-ns/friend-key")
			b.ReportMetric(float64(st.Transactions), "txs")
			b.ReportMetric(float64(size)/(1<<20), "file-MB")
		})
	}
}

// phaseCPU is the network, noting the process CPU time (user and system)
// between the loader's first look at a friend list and its first look at
// a recruiter: the friendships phase.
type phaseCPU struct {
	*seed.Network
	start   time.Duration
	friends time.Duration
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (p *phaseCPU) Friends(i int) []int32 {
	if i == 0 && p.start == 0 {
		p.start = processCPU()
	}
	return p.Network.Friends(i)
}

func (p *phaseCPU) Recruiter(i int) int32 {
	if i == 0 && p.friends == 0 {
		p.friends = processCPU() - p.start
	}
	return p.Network.Recruiter(i)
}
