package api

import (
	"encoding/json"
	"math"
	"strconv"
	"sync/atomic"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// writeJSON encodes v with encoding/json and writes it. Personal data is
// never cached by intermediaries.
func writeJSON(c *gin.Context, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		panic("api: encode response: " + err.Error()) // a bug: recover turns it into a 500
	}
	writeJSONBytes(c, status, body)
}

// writeJSONBytes writes an already encoded JSON body.
func writeJSONBytes(c *gin.Context, status int, body []byte) {
	h := c.Writer.Header()
	h["Content-Type"] = jsonContentType
	h["Cache-Control"] = noStore
	h["Content-Length"] = contentLength(len(body))
	c.Status(status)
	_, _ = c.Writer.Write(body)
}

// contentLength returns a Content-Length header value. Those of bodies
// under 4 KiB are made once and shared, like the values below: a header
// value slice is never modified in place (Header.Add would append to a
// copy, the capacity being 1).
func contentLength(n int) []string {
	if n < 0 || n >= len(contentLengths) {
		return []string{strconv.Itoa(n)}
	}
	if v := contentLengths[n].Load(); v != nil {
		return *v
	}
	v := []string{strconv.Itoa(n)}
	contentLengths[n].Store(&v)
	return v
}

var contentLengths [4096]atomic.Pointer[[]string]

// Shared header values: never modified.
var (
	jsonContentType = []string{"application/json"}
	noStore         = []string{"no-store"}
)

// The score encoder below writes JSON by hand: it is the hot path, and the
// reflection of encoding/json would be most of its cost. Its output is
// tested to decode to the same value as encoding/json's encoding of
// ScoreResponse.

// appendJSONString appends s as a JSON string with the escaping of
// encoding/json (HTML-safe, invalid UTF-8 replaced by U+FFFD).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendJSONFloat appends f as encoding/json would (shortest repr, 'e'
// notation only for very small or large magnitudes); NaN and ±Inf, which
// JSON cannot hold, become null.
func appendJSONFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
