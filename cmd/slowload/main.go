// Command slowload attacks a socialscore server with slow connections
// while reading scores, and reports what the reads saw: issue 13's "20,000
// slow connections leave real reads answering (p99 under 50 ms) and the
// process within its file-descriptor limit".
//
//	go run ./cmd/slowload -url http://127.0.0.1:8080 -key APPKEY -purpose credit_decision -slow 20000 -pid PID
//
// Reads: GET /v1/people/{id}/score at -rate a second, open loop (latency
// counts from when a read was due), from 127.0.0.1, over -conns kept-alive
// connections; every -fresh-th read goes over a new connection instead, as
// a client arriving during the attack would. They run for -baseline alone,
// then for -duration beside the attack; the two windows are reported
// apart.
//
// Attack: -slow connections from -addrs source addresses (127.0.0.2 on,
// the whole 127/8 is loopback on Linux), each sending, without a key:
//   - body: complete headers of a POST with Content-Length 100000, then
//     one byte of body a second (the tester);
//   - headers: a request line and then one header line a second, never
//     ending the headers (slowloris).
//
// A connection the server closes is dialled again -redial later (10 s: a
// slow client is slow; 20,000 of them coming back at once would be a flood
// of connections, another attack), so the attack keeps up its count for
// the whole window. With -pid (Linux) the
// server's open descriptors (/proc/PID/fd) are sampled four times a
// second and their peak is reported against its limit
// (/proc/PID/limits), with its peak resident memory.
//
// The process needs a descriptor per slow connection: raise its limit
// (ulimit -n) first, or split the attack over processes (-rate 0: attack
// only) and read from one of its own (-slow 0), as
// scripts/slow-connections.sh does: the reads of an app never share a
// process, nor its descriptors, with an attacker.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	target := flag.String("url", "http://127.0.0.1:8080", "base URL of the server (loopback only)")
	key := flag.String("key", os.Getenv("SOCIALSCORE_KEY"), "API key of the reads (an app's, with -purpose)")
	purpose := flag.String("purpose", "", "declared purpose of the reads (?purpose=)")
	people := flag.Int("people", 20000, "ids 1..N are read")
	rate := flag.Int("rate", 200, "reads per second (0: attack only, for a process of its own)")
	conns := flag.Int("conns", 4, "kept-alive connections of the reads")
	fresh := flag.Int("fresh", 10, "every N-th read goes over a new connection (0: none)")
	slow := flag.Int("slow", 20000, "slow connections")
	addrs := flag.Int("addrs", 1, "source addresses of the slow connections (127.0.0.FIRST on)")
	first := flag.Int("first", 2, "last byte of the first source address of the slow connections")
	mode := flag.String("mode", "body", "body (slow body) or headers (slow headers)")
	baseline := flag.Duration("baseline", 5*time.Second, "reads alone before the attack")
	duration := flag.Duration("duration", 30*time.Second, "reads beside the attack (at most 5 minutes)")
	pid := flag.Int("pid", 0, "server process id: sample its open descriptors (Linux)")
	redial := flag.Duration("redial", 10*time.Second, "a slow connection the server closed is dialled again after this")
	flag.Parse()
	if err := run(config{*target, *key, *purpose, *people, *rate, *conns, *fresh, *slow, *addrs, *mode, *baseline, *duration, *pid, *redial, *first}); err != nil {
		fmt.Fprintln(os.Stderr, "slowload:", err)
		os.Exit(1)
	}
}

type config struct {
	target, key, purpose       string
	people, rate, conns, fresh int
	slow, addrs                int
	mode                       string
	baseline, duration         time.Duration
	pid                        int
	redial                     time.Duration
	first                      int
}

func run(c config) error {
	u, err := url.Parse(c.target)
	if err != nil || u.Scheme != "http" {
		return fmt.Errorf("-url: want http://host:port, got %q", c.target)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-url: only a loopback address is attacked, got %q", u.Host)
	}
	if c.rate < 0 || c.conns <= 0 || c.people <= 0 || c.slow < 0 || c.addrs <= 0 || c.first < 2 || c.first+c.addrs > 255 ||
		c.duration <= 0 || c.duration > 5*time.Minute || c.baseline < 0 || c.baseline > time.Minute {
		return errors.New("want a -rate of 0 (attack only) or more, positive -conns, -people, -first and -addrs within 127.0.0.2-254, a -duration up to 5m and a -baseline up to 1m")
	}
	if c.mode != "body" && c.mode != "headers" {
		return fmt.Errorf("-mode: body or headers, got %q", c.mode)
	}
	host := u.Host
	start := time.Now().Add(100 * time.Millisecond)
	attackAt := start.Add(c.baseline)
	end := attackAt.Add(c.duration)

	// Server descriptors.
	var fdPeak, fdLimit, rssPeak atomic.Int64
	stopSample := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		if c.pid <= 0 {
			return
		}
		fdLimit.Store(procLimit(c.pid))
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			if n := procFDs(c.pid); n > fdPeak.Load() {
				fdPeak.Store(n)
			}
			rssPeak.Store(procHWM(c.pid))
			select {
			case <-stopSample:
				return
			case <-t.C:
			}
		}
	}()

	// The server's CPU time at the start and end of each window.
	var cpu, wait [4]float64
	cpuDone := make(chan struct{})
	go func() {
		defer close(cpuDone)
		for i, at := range []time.Time{start, attackAt, attackAt.Add(5 * time.Second), end} {
			time.Sleep(time.Until(at))
			if c.pid > 0 {
				cpu[i], wait[i] = procCPU(c.pid), procWait(c.pid)
			}
		}
	}()

	// The attack.
	var open, peakOpen, dials, dialErrs, closedByServer, answered atomic.Int64
	var swg sync.WaitGroup
	stop := make(chan struct{})
	go func() {
		time.Sleep(time.Until(attackAt))
		for i := 0; i < c.slow; i++ {
			from := net.IPv4(127, 0, 0, byte(c.first+i%c.addrs))
			swg.Add(1)
			go func() {
				defer swg.Done()
				slowClient(host, from, c.mode, c.redial, stop, &open, &peakOpen, &dials, &dialErrs, &closedByServer, &answered)
			}()
			if i%500 == 499 {
				time.Sleep(10 * time.Millisecond) // spread the dials a little
			}
		}
	}()

	// The reads.
	scorePath := "/score"
	if c.purpose != "" {
		scorePath += "?purpose=" + url.QueryEscape(c.purpose)
	}
	kept := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: c.conns, MaxConnsPerHost: c.conns}}
	fresher := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	type result struct {
		due    time.Time
		lat    time.Duration
		status int
		fresh  bool
		err    error
	}
	var mu sync.Mutex
	var results []result
	var rwg sync.WaitGroup
	interval := time.Duration(0)
	if c.rate > 0 {
		interval = time.Second / time.Duration(c.rate)
	} else {
		time.Sleep(time.Until(end)) // attack only
	}
	for k := 0; c.rate > 0; k++ {
		due := start.Add(time.Duration(k) * interval)
		if !due.Before(end) {
			break
		}
		time.Sleep(time.Until(due))
		isFresh := c.fresh > 0 && k%c.fresh == c.fresh-1
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			cl := kept
			if isFresh {
				cl = fresher
			}
			id := (k*7919)%c.people + 1
			req, _ := http.NewRequest(http.MethodGet, c.target+"/v1/people/"+strconv.Itoa(id)+scorePath, nil)
			req.Header.Set("Authorization", "Bearer "+c.key)
			r := result{due: due, fresh: isFresh}
			resp, err := cl.Do(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				r.status = resp.StatusCode
			}
			r.err, r.lat = err, time.Since(due)
			mu.Lock()
			results = append(results, r)
			mu.Unlock()
		}()
	}
	rwg.Wait()
	close(stop)
	swg.Wait()
	close(stopSample)
	<-sampled
	<-cpuDone

	report := func(name string, in func(r result) bool) {
		var lat []time.Duration
		var errs, non200, freshN, freshOK int
		var firstErr error
		for _, r := range results {
			if !in(r) {
				continue
			}
			if r.fresh {
				freshN++
			}
			switch {
			case r.err != nil:
				errs++
				if firstErr == nil {
					firstErr = r.err
				}
			case r.status != http.StatusOK:
				non200++
			default:
				if r.fresh {
					freshOK++
				}
			}
			lat = append(lat, r.lat)
		}
		if len(lat) == 0 {
			fmt.Printf("%s: no reads\n", name)
			return
		}
		slices.Sort(lat)
		q := func(p float64) time.Duration {
			return lat[min(len(lat)-1, int(p*float64(len(lat))))].Round(10 * time.Microsecond)
		}
		fmt.Printf("%s: reads %d (%d on new connections, %d of them 200), errors %d, non-200 %d; latency p50 %s p99 %s max %s\n",
			name, len(lat), freshN, freshOK, errs, non200, q(0.5), q(0.99), lat[len(lat)-1].Round(10*time.Microsecond))
		if firstErr != nil {
			fmt.Printf("  first error: %v\n", firstErr)
		}
	}
	fmt.Printf("slowload: %d slow connections (%s) from %d address(es), reads at %d/s over %d kept connections (every %d-th new)\n",
		c.slow, c.mode, c.addrs, c.rate, c.conns, c.fresh)
	report("baseline", func(r result) bool { return r.due.Before(attackAt) })
	report("baseline, kept connections", func(r result) bool { return r.due.Before(attackAt) && !r.fresh })
	// Measured from 5 s into the attack: by then every slow connection
	// has been dialled.
	measureFrom := attackAt.Add(5 * time.Second)
	report("attack's first 5 s", func(r result) bool { return !r.due.Before(attackAt) && r.due.Before(measureFrom) })
	report("under attack", func(r result) bool { return !r.due.Before(measureFrom) })
	report("under attack, kept connections", func(r result) bool { return !r.due.Before(measureFrom) && !r.fresh })
	report("under attack, new connections", func(r result) bool { return !r.due.Before(measureFrom) && r.fresh })
	fmt.Printf("attack: slow connections open at once at most %d, dials %d (%.0f/s), dial errors %d, closed by the server %d (of them answered first %d)\n",
		peakOpen.Load(), dials.Load(), float64(dials.Load())/c.duration.Seconds(), dialErrs.Load(), closedByServer.Load(), answered.Load())
	if c.pid > 0 {
		during := end.Sub(attackAt.Add(5 * time.Second)).Seconds()
		fmt.Printf("server: open descriptors at most %d, limit %d; peak RSS %d MiB\n", fdPeak.Load(), fdLimit.Load(), rssPeak.Load()>>10)
		fmt.Printf("server: CPU %.2f cores before the attack, %.2f during it; waiting for a CPU (run queue, all threads) %.2f s a second before, %.2f during\n",
			(cpu[1]-cpu[0])/c.baseline.Seconds(), (cpu[3]-cpu[2])/during, (wait[1]-wait[0])/c.baseline.Seconds(), (wait[3]-wait[2])/during)
	}
	return nil
}

// slowClient keeps one slow connection going until stop.
func slowClient(host string, from net.IP, mode string, redial time.Duration, stop chan struct{},
	open, peakOpen, dials, dialErrs, closedByServer, answered *atomic.Int64) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: from}, Timeout: 10 * time.Second}
	for {
		select {
		case <-stop:
			return
		default:
		}
		dials.Add(1)
		conn, err := d.Dial("tcp", host)
		if err != nil {
			dialErrs.Add(1)
		} else {
			n := open.Add(1)
			for p := peakOpen.Load(); n > p && !peakOpen.CompareAndSwap(p, n); p = peakOpen.Load() {
			}
			gotAnswer := trickle(conn, mode, stop)
			open.Add(-1)
			conn.Close()
			select {
			case <-stop:
				return
			default:
			}
			closedByServer.Add(1)
			if gotAnswer {
				answered.Add(1)
			}
		}
		// A slow client is slow to come back.
		select {
		case <-stop:
			return
		case <-time.After(redial):
		}
	}
}

// trickle sends the start of a request and then a byte (or a header line)
// a second until the server closes the connection or stop; it reports
// whether the server answered before closing.
func trickle(conn net.Conn, mode string, stop chan struct{}) (answered bool) {
	gone := make(chan bool, 1)
	go func() {
		b := bufio.NewReader(conn)
		_, err := b.ReadByte()
		ans := err == nil
		if ans {
			_, _ = io.Copy(io.Discard, b)
		}
		gone <- ans
	}()
	var head string
	if mode == "body" {
		head = "POST /v1/people/1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
	} else {
		head = "GET /v1/people/1/score HTTP/1.1\r\nHost: x\r\n"
	}
	if _, err := io.WriteString(conn, head); err != nil {
		conn.Close()
		return <-gone
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case ans := <-gone:
			return ans
		case <-stop:
			conn.Close()
			<-gone
			return false
		case <-t.C:
			piece := " "
			if mode == "headers" {
				piece = "X-Slow-" + strconv.Itoa(i) + ": 1\r\n"
			}
			_, _ = io.WriteString(conn, piece)
		}
	}
}

// procCPU reads the user and system CPU time of process pid in seconds
// (/proc/PID/stat, fields 14 and 15, in ticks of 1/100 s).
func procCPU(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	sy, _ := strconv.ParseFloat(f[12], 64)
	return (u + sy) / 100
}

// procWait reads the time the threads of process pid spent runnable but
// waiting for a CPU, in seconds (/proc/PID/task/*/schedstat, field 2, ns):
// on a shared machine, how much of the latency is the neighbours'.
func procWait(pid int) float64 {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	f, err := os.Open(dir)
	if err != nil {
		return 0
	}
	defer f.Close()
	tasks, _ := f.Readdirnames(-1)
	var ns float64
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/" + t + "/schedstat")
		if err != nil {
			continue
		}
		if fs := strings.Fields(string(b)); len(fs) >= 2 {
			v, _ := strconv.ParseFloat(fs[1], 64)
			ns += v
		}
	}
	return ns / 1e9
}

// procFDs counts the open descriptors of process pid.
func procFDs(pid int) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		return 0
	}
	defer f.Close()
	names, _ := f.Readdirnames(-1)
	return int64(len(names))
}

// procLimit reads the soft limit of open files of process pid.
func procLimit(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/limits")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "Max open files") {
			f := strings.Fields(strings.TrimPrefix(l, "Max open files"))
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// procHWM reads the peak resident memory of process pid, in KiB.
func procHWM(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			f := strings.Fields(strings.TrimPrefix(l, "VmHWM:"))
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}
