package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
)

// The researchers' page: a small single-page app built from ../web (npm ci
// && npm run build) into webdist/, which is committed so that go build
// needs no npm. It is served at / with its assets under /assets/, all from
// the binary: the page loads nothing from elsewhere and works offline.
// The page and its assets hold no personal data and need no API key; the
// page sends the key the user enters with its /v1 requests.

//go:embed webdist
var webFiles embed.FS

// webCSP is the Content-Security-Policy of the page: everything from this
// server only.
const webCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

// webAsset is one file of the page, with its gzip encoding when that is
// smaller.
type webAsset struct {
	body  []byte
	gz    []byte // nil: not worth compressing
	ctype string
	etag  string
}

// webSite holds the page's files by path below webdist ("index.html",
// "assets/app-3F2A.js").
type webSite struct {
	files map[string]*webAsset
}

// loadWeb returns the embedded files, read and compressed once per
// process.
var loadWeb = sync.OnceValues(readWeb)

// readWeb reads the embedded files and compresses them.
func readWeb() (*webSite, error) {
	ws := &webSite{files: map[string]*webAsset{}}
	err := fs.WalkDir(webFiles, "webdist", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := webFiles.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		a := &webAsset{body: body, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		a.ctype = mime.TypeByExtension(path.Ext(p))
		switch path.Ext(p) {
		case ".html":
			a.ctype = "text/html; charset=utf-8"
		case ".js", ".mjs":
			a.ctype = "text/javascript; charset=utf-8"
		case ".css":
			a.ctype = "text/css; charset=utf-8"
		case ".map", ".json":
			a.ctype = "application/json"
		}
		if a.ctype == "" {
			a.ctype = "application/octet-stream"
		}
		if len(body) >= 1024 {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			if _, err := zw.Write(body); err != nil {
				return err
			}
			if err := zw.Close(); err != nil {
				return err
			}
			if buf.Len() < len(body) {
				a.gz = buf.Bytes()
			}
		}
		ws.files[strings.TrimPrefix(p, "webdist/")] = a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("api: web page: %w", err)
	}
	if ws.files["index.html"] == nil {
		return nil, fmt.Errorf("api: web page: webdist/index.html is missing (cd web && npm ci && npm run build)")
	}
	return ws, nil
}

// serve writes the asset, gzip-encoded if the client accepts it, or 304
// if the client has it.
func (ws *webSite) serve(c *gin.Context, a *webAsset, cacheControl string) {
	h := c.Writer.Header()
	h.Set("Cache-Control", cacheControl)
	h.Set("ETag", a.etag)
	h.Set("Vary", "Accept-Encoding")
	h.Set("X-Content-Type-Options", "nosniff")
	if inm := c.Request.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, a.etag) {
		c.Status(http.StatusNotModified)
		return
	}
	body := a.body
	if a.gz != nil && acceptsGzip(c.Request.Header.Get("Accept-Encoding")) {
		body = a.gz
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Type", a.ctype)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.Status(http.StatusOK)
	if c.Request.Method != http.MethodHead {
		_, _ = c.Writer.Write(body)
	}
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip
// (named, without q=0).
func acceptsGzip(ae string) bool {
	for _, part := range strings.Split(ae, ",") {
		name, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if q, err := strconv.ParseFloat(v, 64); strings.EqualFold(k, "q") && err == nil && q == 0 {
				return false
			}
		}
		return true
	}
	return false
}

// getIndex is GET /: the page. It is revalidated on every load so that a
// new build is picked up; its assets have content-hashed names.
func (s *Server) getIndex(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", webCSP)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	s.web.serve(c, s.web.files["index.html"], "no-cache")
}

// getAsset is GET /assets/{filepath}: a script, stylesheet or image of the
// page, cached for a year (the name changes with the content).
func (s *Server) getAsset(c *gin.Context) {
	p := "assets" + path.Clean("/"+c.Param("filepath"))
	a, ok := s.web.files[p]
	if !ok {
		writeProblem(c, Problem{Type: typeNotFound, Title: "Not found", Status: http.StatusNotFound,
			Detail: "no such asset", Instance: c.Request.URL.Path})
		return
	}
	s.web.serve(c, a, "public, max-age=31536000, immutable")
}
