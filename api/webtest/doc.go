// Package webtest holds the browser tests of the researchers' page: a real
// server over an embedded store with a seeded, scored population, driven
// in headless Chromium with chromedp, with an operator's key
// (TestResearchersPage) and a researcher's (TestResearchersPageResearcherKey).
// It has no code of its own; see webtest_test.go and page_test.go. The
// tests need Chromium (Debian: apt-get install -y chromium) and fail, never
// skip, without it.
package webtest
