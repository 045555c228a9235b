package neo4j

import (
	"time"
)

// Conversions between driver values and Go values. Missing properties are
// null (nil) and read as zero values.

func asInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	}
	return 0
}

func asFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	}
	return 0
}

func asBool(v any) bool {
	b, _ := v.(bool)
	return b
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}

func asBytes(v any) []byte {
	b, _ := v.([]byte)
	if len(b) == 0 {
		return nil
	}
	return b
}

// asTime returns a stored datetime in UTC; null is the zero time.
func asTime(v any) time.Time {
	t, ok := v.(time.Time)
	if !ok {
		return time.Time{}
	}
	return t.UTC()
}

// timeValue is how a time is stored: a UTC datetime, or null when zero.
func timeValue(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Round(0)
}

// asList returns a stored list, or nil.
func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
