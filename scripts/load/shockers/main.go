// Command shockers keeps N shock experiments in flight against a
// socialscore server from one key, each on a random person, until the
// duration ends, then prints how they were answered: counts by status, the
// largest response and the mean time of a 200. scripts/load/shocks.sh runs
// it beside scoreload.
//
//	go run ./scripts/load/shockers -url http://127.0.0.1:8080 -key KEY -n 16 -people 100000 -duration 30s
package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

func main() {
	target := flag.String("url", "http://127.0.0.1:8080", "base URL of the server")
	key := flag.String("key", os.Getenv("SOCIALSCORE_KEY"), "API key of a role that may run shocks (researcher, operator)")
	n := flag.Int("n", 16, "shocks in flight at once")
	people := flag.Int("people", 100000, "shocked ids are drawn from 1..N")
	duration := flag.Duration("duration", 30*time.Second, "how long to keep shocks in flight")
	flag.Parse()
	if *n < 1 || *people < 1 || *duration <= 0 {
		fmt.Fprintln(os.Stderr, "shockers: want positive -n, -people and -duration")
		os.Exit(2)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *n}, Timeout: 10 * time.Minute}
	var (
		mu       sync.Mutex
		status   = map[int]int{}
		maxBytes int64
		okTimes  []time.Duration
		errs     int
	)
	end := time.Now().Add(*duration)
	var wg sync.WaitGroup
	for range *n {
		wg.Go(func() {
			for time.Now().Before(end) {
				body := fmt.Sprintf(`{"changes":[{"id":%d,"events":["default:5000"]}]}`, 1+rand.IntN(*people))
				req, _ := http.NewRequest(http.MethodPost, *target+"/v1/experiments/shock", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+*key)
				req.Header.Set("Content-Type", "application/json")
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					mu.Lock()
					errs++
					mu.Unlock()
					time.Sleep(100 * time.Millisecond)
					continue
				}
				nb, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				d := time.Since(t0)
				mu.Lock()
				status[resp.StatusCode]++
				maxBytes = max(maxBytes, nb)
				if resp.StatusCode == http.StatusOK {
					okTimes = append(okTimes, d)
				}
				mu.Unlock()
				if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
					time.Sleep(time.Second) // as Retry-After asks, roughly
				}
			}
		})
	}
	wg.Wait()
	codes := make([]int, 0, len(status))
	for c := range status {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, c := range codes {
		fmt.Printf("shocks: %d answered %d\n", status[c], c)
	}
	if errs > 0 {
		fmt.Printf("shocks: %d failed to connect\n", errs)
	}
	if len(okTimes) > 0 {
		var sum time.Duration
		for _, d := range okTimes {
			sum += d
		}
		slices.Sort(okTimes)
		fmt.Printf("shocks: largest response %d bytes; time of a 200: mean %s, max %s\n", maxBytes,
			(sum / time.Duration(len(okTimes))).Round(time.Millisecond), okTimes[len(okTimes)-1].Round(time.Millisecond))
	}
}
