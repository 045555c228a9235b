//go:build ignore

// ratio prints the ratio of two Go durations (the p99 of reads with and
// without shocks) against issue 13's target of at most 3×. Used by
// shocks.sh: go run ./scripts/load/ratio.go 1.2ms 2.9ms (and -seconds 20s
// prints 20).
package main

import (
	"fmt"
	"os"
	"time"
)

func main() {
	if len(os.Args) == 3 && os.Args[1] == "-seconds" { // a duration in whole seconds, rounded up
		d, err := time.ParseDuration(os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, "ratio:", err)
			os.Exit(2)
		}
		fmt.Println(int((d + time.Second - 1) / time.Second))
		return
	}
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: ratio ALONE WITH")
		os.Exit(2)
	}
	a, err1 := time.ParseDuration(os.Args[1])
	w, err2 := time.ParseDuration(os.Args[2])
	if err1 != nil || err2 != nil || a <= 0 {
		fmt.Fprintln(os.Stderr, "ratio: want two positive durations, got", os.Args[1:])
		os.Exit(2)
	}
	r := float64(w) / float64(a)
	verdict := "within"
	if r > 3 {
		verdict = "over"
	}
	fmt.Printf("reads p99 ratio with/without shocks: %.2f× (%s the target of 3×)\n", r, verdict)
}
