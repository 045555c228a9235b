package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progressFlag is --progress: show progress on stderr even when it is not
// a terminal (a log file, a CI job).
func progressFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("progress", false, "show progress on standard error even when it is not a terminal (it is shown on a terminal anyway); standard output is never touched")
}

// writeProgress shows, on stderr, what a long output is doing: a phase
// ("reading the store", "building the graph") and then the bytes written
// so far and the rate. It is off unless stderr is a terminal or --progress
// was given; then every method does nothing.
type writeProgress struct {
	pb     *progressbar.ProgressBar
	stderr io.Writer
	t0     time.Time
	what   string // the phase
	n      int64  // bytes written
	shown  int64  // n when the description last changed
	added  int64  // n when the bar was last told
}

func newWriteProgress(stderr io.Writer, forced bool, first string) *writeProgress {
	p := &writeProgress{stderr: stderr, t0: time.Now(), what: first}
	if !forced && !isTerminal(stderr) {
		return p
	}
	p.pb = progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription(first),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionClearOnFinish(),
	)
	return p
}

// phase names what is being done now.
func (p *writeProgress) phase(s string) {
	if p.pb != nil {
		p.what = s
		p.pb.Describe(s)
		_ = p.pb.RenderBlank() // shown now: before the first byte no throttle applies
	}
}

// wrap returns w counting what is written through it into the progress.
func (p *writeProgress) wrap(w io.Writer) io.Writer {
	if p.pb == nil {
		return w
	}
	return progressWriter{w: w, p: p}
}

// finish ends the progress line with the total written.
func (p *writeProgress) finish() {
	if p.pb == nil || p.pb.IsFinished() {
		return
	}
	_ = p.pb.Finish() // clears the line and stops the bar's spinner
	fmt.Fprintf(p.stderr, "%s written in %s\n", byteSize(p.n), time.Since(p.t0).Round(100*time.Millisecond))
}

// stop clears the progress line if finish was not called (an error).
func (p *writeProgress) stop() {
	if p.pb != nil && !p.pb.IsFinished() {
		_ = p.pb.Finish()
	}
}

type progressWriter struct {
	w io.Writer
	p *writeProgress
}

func (pw progressWriter) Write(b []byte) (int, error) {
	n, err := pw.w.Write(b)
	p := pw.p
	p.n += int64(n)
	// The bar is told every 64 KiB, not on each of the writer's 4 KiB
	// flushes: it takes a lock and reads the clock each time.
	if p.n-p.added >= 64<<10 {
		_ = p.pb.Add64(p.n - p.added)
		p.added = p.n
	}
	if p.n-p.shown >= 1<<20 {
		p.shown = p.n
		p.pb.Describe(p.what + ": " + byteSize(p.n))
	}
	return n, err
}

// byteSize formats n bytes in SI units (kB, MB, GB), as the bar does.
func byteSize(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
