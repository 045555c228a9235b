// Command scoreload measures score-read latency at a fixed request rate, as
// apps reading scores would load a socialscore server: GET
// /v1/people/{id}/score over keep-alive connections, requests spaced
// evenly in time (open loop), latency counted from when each request was
// due, not from when it was sent, so a stalled server cannot hide its
// queue (no coordinated omission).
//
//	go run ./cmd/scoreload -url http://127.0.0.1:8080 -key KEY -people 100000 -rate 20000 -duration 20s
//
// It speaks just enough HTTP/1.1 over raw TCP to stay cheap: at 20,000
// requests per second it needs a fraction of one core, leaving the rest of
// a small machine to the server under test. It does not allocate per
// request.
//
// With -writes, it sends writes instead, as a stream of changes would
// come in: each connection puts a friendship between two people of
// 1..N (PUT /v1/friendships/{a}/{b}) and deletes it with its next
// request (DELETE), so the network keeps its size; latency counts from
// when each write was due, as for reads, and only 2xx answers count as
// acknowledged. Run one scoreload of each kind at once to read while
// changes stream in.
//
// With -pid (Linux), it also reports the CPU time the server process
// spent per request over the measured window, from /proc/<pid>/stat, and
// its own: on a shared machine latency is noisy, CPU per request much
// less so.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	target := flag.String("url", "http://127.0.0.1:8080", "base URL of the server")
	key := flag.String("key", os.Getenv("SOCIALSCORE_KEY"), "app API key")
	people := flag.Int("people", 100000, "ids 1..N are read")
	rate := flag.Int("rate", 20000, "requests per second")
	duration := flag.Duration("duration", 20*time.Second, "how long to send (bounded: at most 5 minutes)")
	conns := flag.Int("conns", 16, "keep-alive connections (an app's pool; each carries one request at a time)")
	warmup := flag.Duration("warmup", 2*time.Second, "time at the rate before measuring")
	pid := flag.Int("pid", 0, "server process id: report its CPU time per request (Linux)")
	writes := flag.Bool("writes", false, "send friendship writes (PUT, then DELETE of the same pair) instead of score reads")
	purpose := flag.String("purpose", "", "declared purpose sent as ?purpose= (an app key must declare one: credit_decision, rental_deposit, account_opening, fraud_check)")
	flag.Parse()
	scorePath := "/score"
	if *purpose != "" {
		scorePath += "?purpose=" + url.QueryEscape(*purpose)
	}
	if *writes {
		scorePath = ""
	}
	if err := run(*target, *key, scorePath, *people, *rate, *conns, *duration, *warmup, *pid); err != nil {
		fmt.Fprintln(os.Stderr, "scoreload:", err)
		os.Exit(1)
	}
}

// run sends the load; scorePath "" means writes.
func run(target, key, scorePath string, people, rate, conns int, duration, warmup time.Duration, pid int) error {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "http" {
		return fmt.Errorf("-url: want http://host:port, got %q", target)
	}
	if rate <= 0 || conns <= 0 || people <= 0 || duration <= 0 || duration > 5*time.Minute {
		return fmt.Errorf("want positive -rate, -conns, -people and a -duration up to 5m")
	}
	host := u.Host
	interval := time.Second / time.Duration(rate)
	start := time.Now().Add(100 * time.Millisecond)
	measureFrom := start.Add(warmup)
	end := measureFrom.Add(duration)

	// CPU times at the start and end of the measured window.
	var cpu [2]struct{ server, self cpuTime }
	var cpuErr error
	cpuDone := make(chan struct{})
	go func() {
		defer close(cpuDone)
		for i, at := range []time.Time{measureFrom, end} {
			time.Sleep(time.Until(at))
			if pid > 0 {
				if cpu[i].server, cpuErr = procCPU(strconv.Itoa(pid)); cpuErr != nil {
					return
				}
			}
			cpu[i].self, _ = procCPU("self")
		}
	}()

	// Request k is due at start + k·interval and goes on connection k mod conns.
	var mu sync.Mutex
	var lat []time.Duration
	var errs, non200 int
	var wg sync.WaitGroup
	for c := 0; c < conns; c++ {
		conn, err := net.Dial("tcp", host)
		if err != nil {
			return err
		}
		wg.Add(1)
		go func(c int, conn net.Conn) {
			defer wg.Done()
			defer conn.Close()
			r := bufio.NewReaderSize(conn, 16<<10)
			req := make([]byte, 0, 256)
			var mine []time.Duration
			myErrs, myNon200 := 0, 0
			for k := c; ; k += conns {
				due := start.Add(time.Duration(k) * interval)
				if !due.Before(end) {
					break
				}
				if d := time.Until(due); d > 0 {
					time.Sleep(d)
				}
				if scorePath != "" {
					id := (k*7919)%people + 1
					req = append(req[:0], "GET /v1/people/"...)
					req = strconv.AppendInt(req, int64(id), 10)
					req = append(req, scorePath...)
				} else {
					// This connection's requests alternate PUT and DELETE
					// of one pair; the pair changes every two.
					turn := k / conns
					pair := uint64(turn/2)*uint64(conns) + uint64(c)
					a := int64(pair*2654435761%uint64(people)) + 1
					b := int64((pair*40503+12345)*2246822519%uint64(people)) + 1
					if a == b {
						b = b%int64(people) + 1
					}
					method := "PUT "
					if turn%2 == 1 {
						method = "DELETE "
					}
					req = append(req[:0], method...)
					req = append(req, "/v1/friendships/"...)
					req = strconv.AppendInt(req, a, 10)
					req = append(req, '/')
					req = strconv.AppendInt(req, b, 10)
				}
				req = append(req, " HTTP/1.1\r\nHost: "...)
				req = append(req, host...)
				req = append(req, "\r\nAuthorization: Bearer "...)
				req = append(req, key...)
				req = append(req, "\r\n\r\n"...)
				status, err := roundTrip(conn, r, req)
				if err != nil {
					myErrs++
					return
				}
				if status < 200 || status > 299 {
					myNon200++
				}
				if !due.Before(measureFrom) {
					mine = append(mine, time.Since(due))
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += myErrs
			non200 += myNon200
			mu.Unlock()
		}(c, conn)
	}
	wg.Wait()
	<-cpuDone
	if len(lat) == 0 {
		return fmt.Errorf("no request measured (%d errors)", errs)
	}
	slices.Sort(lat)
	q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	kind := "reads"
	if scorePath == "" {
		kind = "writes"
	}
	fmt.Printf("%s %d at %d/s over %s (%d connections), errors %d, non-2xx %d\n",
		kind, len(lat), rate, duration, conns, errs, non200)
	fmt.Printf("latency p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n",
		q(0.50).Round(time.Microsecond), q(0.90).Round(time.Microsecond), q(0.99).Round(time.Microsecond),
		q(0.999).Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))
	perReq := func(a, b cpuTime) string {
		n := float64(len(lat))
		return fmt.Sprintf("%.1f µs/request (user %.1f, system %.1f)",
			float64(b.user+b.sys-a.user-a.sys)/n*1e6, float64(b.user-a.user)/n*1e6, float64(b.sys-a.sys)/n*1e6)
	}
	switch {
	case cpuErr != nil:
		fmt.Printf("server CPU unknown: %v\n", cpuErr)
	case pid > 0:
		fmt.Printf("server CPU %s\n", perReq(cpu[0].server, cpu[1].server))
	}
	if cpu[1].self.user > 0 {
		fmt.Printf("scoreload CPU %s\n", perReq(cpu[0].self, cpu[1].self))
	}
	if errs > 0 {
		return fmt.Errorf("%d connections failed", errs)
	}
	return nil
}

// cpuTime is the user and system CPU time of a process, in seconds.
type cpuTime struct{ user, sys float64 }

// procCPU reads the CPU time of process pid ("self" for this one) from
// /proc/<pid>/stat, whose times are in clock ticks of 1/100 s on Linux.
func procCPU(pid string) (cpuTime, error) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return cpuTime{}, err
	}
	// The command name, field 2, is in parentheses and may hold spaces;
	// utime and stime are fields 14 and 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return cpuTime{}, fmt.Errorf("/proc/%s/stat: unexpected format", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return cpuTime{}, fmt.Errorf("/proc/%s/stat: unexpected format", pid)
	}
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	s, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return cpuTime{}, fmt.Errorf("/proc/%s/stat: unexpected format", pid)
	}
	return cpuTime{user: float64(u) / 100, sys: float64(s) / 100}, nil
}

// roundTrip writes req and reads one response, returning its status.
func roundTrip(conn net.Conn, r *bufio.Reader, req []byte) (int, error) {
	if _, err := conn.Write(req); err != nil {
		return 0, err
	}
	line, err := r.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	// HTTP/1.1 200 OK
	_, rest, ok := bytes.Cut(line, []byte(" "))
	code, _, _ := bytes.Cut(rest, []byte(" "))
	status, err := atoi(bytes.TrimSpace(code))
	if !ok || err != nil {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	length := -1
	for {
		h, err := r.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		if k, v, ok := bytes.Cut(h, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
			if length, err = atoi(bytes.TrimSpace(v)); err != nil {
				return 0, fmt.Errorf("bad Content-Length %q", v)
			}
		}
	}
	if length < 0 && (status == 204 || status == 304) {
		length = 0 // no body (RFC 9110 §15.3.5)
	}
	if length < 0 {
		return 0, fmt.Errorf("response without Content-Length")
	}
	_, err = r.Discard(length)
	return status, err
}

// atoi parses a non-negative decimal number without allocating.
func atoi(b []byte) (int, error) {
	if len(b) == 0 || len(b) > 9 {
		return 0, fmt.Errorf("not a number: %q", b)
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("not a number: %q", b)
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}
