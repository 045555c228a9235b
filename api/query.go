package api

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// Query strings are read as strictly as bodies: a parameter the route does
// not know, or one given twice, is a 400 naming it, so that a typo
// ("?dept=2") is not silently ignored.

// queryParams parses the query string and checks that it holds only the
// allowed parameters, each at most once.
func queryParams(c *gin.Context, allowed ...string) (url.Values, error) {
	q, err := url.ParseQuery(c.Request.URL.RawQuery)
	if err != nil {
		return nil, invalid("", "malformed query string: "+err.Error())
	}
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if !slices.Contains(allowed, name) {
			reason := "unknown query parameter"
			if len(allowed) > 0 {
				reason += " (known: " + strings.Join(allowed, ", ") + ")"
			} else {
				reason += " (this route takes none)"
			}
			return nil, invalid(name, reason)
		}
		if len(q[name]) > 1 {
			return nil, invalid(name, "given more than once")
		}
	}
	return q, nil
}

// intParam returns the integer parameter, def if it is absent, and a 400
// naming it if it is not an integer in [lo, hi].
func intParam(q url.Values, name string, def, lo, hi int) (int, error) {
	if !q.Has(name) {
		return def, nil
	}
	v, err := strconv.Atoi(q.Get(name))
	if err != nil || v < lo || v > hi {
		return 0, invalid(name, fmt.Sprintf("must be an integer from %d to %d, not %q", lo, hi, q.Get(name)))
	}
	return v, nil
}

// boolParam returns the boolean parameter ("true" or "false"), false if it
// is absent.
func boolParam(q url.Values, name string) (bool, error) {
	switch q.Get(name) {
	case "", "false":
		if q.Has(name) && q.Get(name) == "" {
			return false, invalid(name, `must be "true" or "false"`)
		}
		return false, nil
	case "true":
		return true, nil
	}
	return false, invalid(name, fmt.Sprintf(`must be "true" or "false", not %q`, q.Get(name)))
}
