// Package webtest holds the browser test of the researchers' page: a real
// server over an embedded store with a seeded, scored population, driven
// in headless Chromium with chromedp. It has no code of its own; see
// webtest_test.go. The test needs Chromium (Debian: apt-get install -y
// chromium) and fails, never skips, without it.
package webtest
