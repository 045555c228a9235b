package api

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWebPage(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	noKey := map[string]string{"Authorization": ""}

	// The page needs no key: it holds no data.
	w := e.do(request{method: http.MethodGet, path: "/", header: noKey})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "text/html; charset=utf-8", w.Header().Get("Content-Type"))
	assert.Contains(t, w.Header().Get("Content-Security-Policy"), "default-src 'self'")
	assert.Equal(t, "no-cache", w.Header().Get("Cache-Control"))
	assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
	page := w.Body.String()
	for _, hook := range []string{"search-input", "graph", "shock-button", "step-slider", "reach-chart", "api-key-input"} {
		assert.Contains(t, page, `data-testid="`+hook+`"`)
	}
	assert.NotRegexp(t, `(?i)(src|href)="(https?:)?//`, page, "nothing is loaded from elsewhere")

	// Its assets are embedded, hashed, cached for long, and sent
	// gzip-encoded to clients that take it.
	refs := regexp.MustCompile(`"/assets/([^"]+)"`).FindAllStringSubmatch(page, -1)
	require.Len(t, refs, 2, "one script, one stylesheet")
	for _, ref := range refs {
		path := "/assets/" + ref[1]
		w = e.do(request{method: http.MethodGet, path: path, header: noKey})
		require.Equal(t, http.StatusOK, w.Code, path)
		assert.Regexp(t, `^(text/javascript|text/css); charset=utf-8$`, w.Header().Get("Content-Type"))
		assert.Contains(t, w.Header().Get("Cache-Control"), "immutable")
		plain := w.Body.Bytes()
		assert.NotRegexp(t, `https?://(cdn|unpkg|fonts)\.`, string(plain), "no CDN")

		w = e.do(request{method: http.MethodGet, path: path, header: map[string]string{"Authorization": "", "Accept-Encoding": "br, gzip;q=0.8"}})
		require.Equal(t, http.StatusOK, w.Code)
		if len(plain) > 4096 {
			require.Equal(t, "gzip", w.Header().Get("Content-Encoding"))
			zr, err := gzip.NewReader(bytes.NewReader(w.Body.Bytes()))
			require.NoError(t, err)
			unzipped, err := io.ReadAll(zr)
			require.NoError(t, err)
			assert.Equal(t, plain, unzipped)
		}

		etag := w.Header().Get("ETag")
		require.NotEmpty(t, etag)
		w = e.do(request{method: http.MethodGet, path: path, header: map[string]string{"Authorization": "", "If-None-Match": etag}})
		assert.Equal(t, http.StatusNotModified, w.Code)
	}

	assertProblem(t, e.do(request{method: http.MethodGet, path: "/assets/nope.js", header: noKey}), http.StatusNotFound, "not-found", "-", "")
	assertProblem(t, e.do(request{method: http.MethodGet, path: "/assets/../openapi.json", header: noKey}), http.StatusNotFound, "not-found", "-", "")
	assertProblem(t, e.do(request{method: http.MethodPost, path: "/", header: noKey}), http.StatusMethodNotAllowed, "method-not-allowed", "-", "")
}

func TestAcceptsGzip(t *testing.T) {
	for in, want := range map[string]bool{
		"": false, "gzip": true, "br, gzip": true, "gzip;q=0": false, "gzip; q=0.5": true, "deflate": false, "GZIP": true, "x-gzip": false,
	} {
		assert.Equal(t, want, acceptsGzip(in), "%q", in)
	}
}
