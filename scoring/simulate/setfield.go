package simulate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

// Setting a config field by its JSON path from command-line text, by
// reflection: what a sweep axis and Config.Set do.

// resolveField turns an axis field into a JSON path in Config: a Config
// field, "policy", "policy.<field>[.<field>]", or a bare top-level policy
// field. Unknown fields are errors naming them.
func resolveField(field string) ([]string, error) {
	parts := strings.Split(strings.TrimSpace(field), ".")
	if parts[0] == "" {
		return nil, errors.New("field is empty")
	}
	cfgT := reflect.TypeFor[Config]()
	polT := reflect.TypeFor[scoring.Policy]()
	if len(parts) == 1 && parts[0] != "policy" {
		if _, ok := jsonField(cfgT, parts[0]); !ok {
			if _, ok := jsonField(polT, parts[0]); ok {
				parts = []string{"policy", parts[0]}
			} else {
				return nil, fmt.Errorf("unknown field %q (want a config field, policy or policy.<field>)", field)
			}
		}
	}
	if len(parts) == 1 {
		return parts, nil
	}
	if parts[0] != "policy" {
		return nil, fmt.Errorf("unknown field %q (only policy has sub-fields)", field)
	}
	t := polT
	for i, p := range parts[1:] {
		ft, ok := jsonField(t, p)
		if !ok {
			return nil, fmt.Errorf("unknown field %q (policy has no field %q)", field, strings.Join(parts[1:i+2], "."))
		}
		t = ft
	}
	switch t.Kind() {
	case reflect.Float64, reflect.Int, reflect.String, reflect.Bool:
	default:
		return nil, fmt.Errorf("field %q is not a number, string or boolean and cannot be swept", field)
	}
	return parts, nil
}

// jsonField returns the type of the struct field with the JSON name.
func jsonField(t reflect.Type, name string) (reflect.Type, bool) {
	if t.Kind() != reflect.Struct {
		return nil, false
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == name && tag != "-" && f.IsExported() {
			return f.Type, true
		}
	}
	return nil, false
}

// Set sets one field of the config from its command-line text, as a sweep
// axis does: field is a Config JSON field ("p_form_tie"), "policy" (a
// preset name), "policy.<field>" or a bare top-level policy field
// ("alpha"). The text is parsed for the field's type ("0.25",
// "best_response", "true"). low_score and low_quantile are alternatives:
// setting one to a positive value clears the other. The config is not
// validated; unknown fields and unparsable values are errors naming the
// field.
func (c *Config) Set(field, text string) error {
	path, err := resolveField(field)
	if err != nil {
		return &graph.ValidationError{Field: field, Reason: err.Error()}
	}
	return Sweep{}.setField(c, path, text)
}

// setField sets the field at path of cfg from its command-line text.
func (s Sweep) setField(cfg *Config, path []string, text string) error {
	field := strings.Join(path, "/")
	if len(path) == 1 && path[0] == "policy" {
		load := s.PolicyLoader
		var pol scoring.Policy
		var err error
		if load == nil {
			var ok bool
			if pol, ok = scoring.Preset(text); !ok {
				return graph.Invalid("policy", "unknown policy %q (want a preset: %s)", text, strings.Join(scoring.PresetNames(), ", "))
			}
		} else if pol, err = load(text); err != nil {
			return &graph.ValidationError{Field: "policy", Reason: err.Error()}
		}
		cfg.Policy = PolicySpec{pol}
		return nil
	}
	// Encode the config as a JSON tree, replace the leaf, decode strictly.
	data, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	// Numbers stay json.Number, so a 64-bit seed survives the trip.
	var tree map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return err
	}
	node := tree
	for _, p := range path[:len(path)-1] {
		next, ok := node[p].(map[string]any)
		if !ok {
			return graph.Invalid(field, "cannot be set")
		}
		node = next
	}
	t := reflect.TypeFor[Config]()
	if path[0] == "policy" {
		t = reflect.TypeFor[scoring.Policy]()
		for _, p := range path[1:] {
			t, _ = jsonField(t, p)
		}
	} else {
		t, _ = jsonField(t, path[0])
	}
	var v any
	switch t.Kind() {
	case reflect.String:
		v = text
	case reflect.Bool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return graph.Invalid(field, "want true or false, got %q", text)
		}
		v = b
	case reflect.Int:
		x, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return graph.Invalid(field, "want an integer, got %q", text)
		}
		v = x
	case reflect.Uint64:
		x, err := strconv.ParseUint(text, 10, 64)
		if err != nil {
			return graph.Invalid(field, "want a non-negative integer, got %q", text)
		}
		v = x
	case reflect.Float64:
		x, err := strconv.ParseFloat(text, 64)
		if err != nil || !finite(x) {
			return graph.Invalid(field, "want a number, got %q", text)
		}
		v = x
	default:
		return graph.Invalid(field, "cannot be swept")
	}
	node[path[len(path)-1]] = v
	data, err = json.Marshal(tree)
	if err != nil {
		return err
	}
	var out Config
	if err := decodeStrict(bytes.NewReader(data), &out); err != nil {
		return err
	}
	// low_score and low_quantile are alternatives: setting one clears the
	// other.
	if field == "low_score" && out.LowScore > 0 {
		out.LowQuantile = 0
	}
	if field == "low_quantile" && out.LowQuantile > 0 {
		out.LowScore = 0
	}
	*cfg = out
	return nil
}
