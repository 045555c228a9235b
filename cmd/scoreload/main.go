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
// a small machine to the server under test.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
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
	conns := flag.Int("conns", 64, "keep-alive connections")
	warmup := flag.Duration("warmup", 2*time.Second, "time at the rate before measuring")
	flag.Parse()
	if err := run(*target, *key, *people, *rate, *conns, *duration, *warmup); err != nil {
		fmt.Fprintln(os.Stderr, "scoreload:", err)
		os.Exit(1)
	}
}

func run(target, key string, people, rate, conns int, duration, warmup time.Duration) error {
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
				id := (k*7919)%people + 1
				req := "GET /v1/people/" + strconv.Itoa(id) + "/score HTTP/1.1\r\nHost: " + host +
					"\r\nAuthorization: Bearer " + key + "\r\n\r\n"
				status, err := roundTrip(conn, r, req)
				if err != nil {
					myErrs++
					return
				}
				if status != 200 {
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
	if len(lat) == 0 {
		return fmt.Errorf("no request measured (%d errors)", errs)
	}
	slices.Sort(lat)
	q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Printf("requests %d at %d/s over %s (%d connections), errors %d, non-200 %d\n",
		len(lat), rate, duration, conns, errs, non200)
	fmt.Printf("latency p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n",
		q(0.50).Round(time.Microsecond), q(0.90).Round(time.Microsecond), q(0.99).Round(time.Microsecond),
		q(0.999).Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))
	if errs > 0 {
		return fmt.Errorf("%d connections failed", errs)
	}
	return nil
}

// roundTrip writes req and reads one response, returning its status.
func roundTrip(conn net.Conn, r *bufio.Reader, req string) (int, error) {
	if _, err := io.WriteString(conn, req); err != nil {
		return 0, err
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return 0, err
	}
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(f[1])
	if err != nil {
		return 0, err
	}
	length := -1
	for {
		h, err := r.ReadString('\n')
		if err != nil {
			return 0, err
		}
		h = strings.TrimRight(h, "\r\n")
		if h == "" {
			break
		}
		if k, v, ok := strings.Cut(h, ":"); ok && strings.EqualFold(k, "Content-Length") {
			length, err = strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return 0, err
			}
		}
	}
	if length < 0 {
		return 0, fmt.Errorf("response without Content-Length")
	}
	_, err = r.Discard(length)
	return status, err
}
