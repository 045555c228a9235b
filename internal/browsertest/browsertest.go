// Package browsertest starts headless Chromium for the tests that look at
// a page as a person sees it (the researchers' page in api/webtest, the
// policy lab's report in scoring/simulate). A missing Chromium fails the
// test, never skips it. It is a test helper package: only _test.go files
// import it.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// Chromium returns the path of the browser: $SOCIALSCORE_CHROMIUM, or
// chromium found on the PATH. Without one the test fails with how to
// install it.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("SOCIALSCORE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "/usr/bin/chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium is not installed; the browser test needs it. Install it with " +
		"`apt-get update && apt-get install -y chromium` (Debian/Ubuntu), or set SOCIALSCORE_CHROMIUM " +
		"to the path of a Chrome or Chromium binary.")
	return ""
}

// Artifact returns where to save a file the test produces:
// $SOCIALSCORE_ARTIFACTS if set, else the system's temporary directory.
func Artifact(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv("SOCIALSCORE_ARTIFACTS")
	if dir == "" {
		dir = os.TempDir()
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return filepath.Join(dir, name)
}

// Start starts headless Chromium with a fresh profile and a 1400×900
// window, with the flags a closed network needs (no background
// networking, no component updates, no sync), plus extra; it is stopped
// when the test ends. The returned context drives it.
func Start(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 900),
	}, extra...)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
		defer ccancel()
		_ = chromedp.Cancel(cctx)
		cancel()
		acancel()
	})
	// Start the browser on a context without a deadline (see chromedp.Run).
	_, err := chromedp.Run(ctx, chromedp.Evaluate[string]("navigator.userAgent"))
	require.NoError(t, err, "start chromium")
	return ctx
}
