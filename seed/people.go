package seed

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/socialscore/socialscore/graph"
)

// peopleColumns are the columns a people file may have; only id is
// required.
var peopleColumns = []string{
	"id", "consent",
	"purchase_total", "purchase_count",
	"bills_on_time", "bills_late", "bill_days_late",
	"credit_on_time", "credit_late", "credit_days_late",
	"defaults", "default_amount",
	"provided", "verified",
}

// PeopleColumns returns the names of the columns a people file may have,
// in the order ReadPeopleCSV documents them. Only id is required.
func PeopleColumns() []string { return append([]string(nil), peopleColumns...) }

// The record columns of a people file and the field each one sets; a row
// with any of them non-empty gives its person's record.
var (
	amountColumns = map[string]func(*graph.Record) *float64{
		"purchase_total": func(r *graph.Record) *float64 { return &r.PurchaseTotal },
		"default_amount": func(r *graph.Record) *float64 { return &r.DefaultAmount },
	}
	countColumns = map[string]func(*graph.Record) *int64{
		"purchase_count":   func(r *graph.Record) *int64 { return &r.PurchaseCount },
		"bills_on_time":    func(r *graph.Record) *int64 { return &r.BillsOnTime },
		"bills_late":       func(r *graph.Record) *int64 { return &r.BillsLate },
		"bill_days_late":   func(r *graph.Record) *int64 { return &r.BillDaysLate },
		"credit_on_time":   func(r *graph.Record) *int64 { return &r.CreditOnTime },
		"credit_late":      func(r *graph.Record) *int64 { return &r.CreditLate },
		"credit_days_late": func(r *graph.Record) *int64 { return &r.CreditDaysLate },
		"defaults":         func(r *graph.Record) *int64 { return &r.Defaults },
	}
)

// ReadPeopleCSV reads a people file: CSV with a header row naming its
// columns, in any order, from PeopleColumns() (case-insensitive, surrounding
// spaces ignored). id is required; an unknown or repeated column is an
// error. Each row is one person:
//
//   - id: an integer as in the edge list it goes with. It may be 0 or
//     negative in a 0-based file; ImportBatch shifts the ids of both files
//     by the same offset, so callers reading a people file alone must
//     check graph.Person.Validate themselves.
//   - consent: true/false (also 1/0, t/f, yes/no); empty means true.
//   - purchase_total, default_amount: non-negative decimal amounts;
//     purchase_count and the bill, credit and default counts: non-negative
//     integers. If any of these cells is non-empty, the row gives the
//     record: those cells set their fields and empty ones are 0. If all
//     are empty (or the file has no such columns), the person gets
//     graph.NeutralRecord.
//   - provided, verified: profile field names (graph.ProfileFieldNames)
//     separated by semicolons; every verified field must be provided.
//
// A bad cell is an error naming its line and column and wrapping
// graph.ErrInvalid; so is an id given twice. People are returned in file
// order, with zero CreatedAt, UpdatedAt and LastEventAt.
func ReadPeopleCSV(r io.Reader) ([]graph.Person, error) {
	people, _, err := readPeople(r)
	return people, err
}

// readPeople reads a people file; withRecord[i] reports whether row i gave
// its record.
func readPeople(r io.Reader) (people []graph.Person, withRecord []bool, err error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil, fmt.Errorf("seed: people file: no header row: %w", graph.ErrInvalid)
	}
	if err != nil {
		return nil, nil, peopleReadError(err)
	}
	cols := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff") // byte order mark
		}
		if !slices.Contains(peopleColumns, h) {
			return nil, nil, fmt.Errorf("seed: people file: line 1, column %d: unknown column %q (want %s): %w",
				i+1, header[i], strings.Join(peopleColumns, ", "), graph.ErrInvalid)
		}
		if seen[h] {
			return nil, nil, fmt.Errorf("seed: people file: line 1, column %d: column %q repeated: %w", i+1, h, graph.ErrInvalid)
		}
		seen[h] = true
		cols[i] = h
	}
	if !seen["id"] {
		return nil, nil, fmt.Errorf("seed: people file: line 1: no id column: %w", graph.ErrInvalid)
	}

	lineOf := map[int64]int{}
	for {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, peopleReadError(err)
		}
		line, _ := cr.FieldPos(0)
		bad := func(i int, format string, args ...any) error {
			l, _ := cr.FieldPos(i)
			return fmt.Errorf("seed: people file: line %d, column %d (%s): %s: %w",
				l, i+1, cols[i], fmt.Sprintf(format, args...), graph.ErrInvalid)
		}
		p := graph.Person{Consent: true}
		gave := false
		for i, cell := range row {
			cell = strings.TrimSpace(cell)
			col := cols[i]
			switch {
			case col == "id":
				v, err := parseID([]byte(cell))
				if err != nil {
					return nil, nil, bad(i, "%v", err)
				}
				p.ID = graph.ID(v)
			case cell == "":
				// empty: the default
			case col == "consent":
				v, ok := parseBool(cell)
				if !ok {
					return nil, nil, bad(i, "%q is not true or false", cell)
				}
				p.Consent = v
			case col == "provided" || col == "verified":
				set, err := parseFields(cell)
				if err != nil {
					return nil, nil, bad(i, "%v", err)
				}
				if col == "provided" {
					p.Profile.Provided = set
				} else {
					p.Profile.Verified = set
				}
			case amountColumns[col] != nil:
				v, err := strconv.ParseFloat(cell, 64)
				if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
					return nil, nil, bad(i, "%q is not a non-negative number", cell)
				}
				*amountColumns[col](&p.Record) = v
				gave = true
			default: // a count column
				v, err := strconv.ParseInt(cell, 10, 64)
				if err != nil || v < 0 {
					return nil, nil, bad(i, "%q is not a non-negative integer", cell)
				}
				*countColumns[col](&p.Record) = v
				gave = true
			}
		}
		if !gave {
			p.Record = graph.NeutralRecord()
		}
		if err := p.Profile.Validate(); err != nil {
			return nil, nil, fmt.Errorf("seed: people file: line %d: %w", line, err)
		}
		if first, dup := lineOf[int64(p.ID)]; dup {
			return nil, nil, fmt.Errorf("seed: people file: line %d: id %d already given on line %d: %w", line, p.ID, first, graph.ErrInvalid)
		}
		lineOf[int64(p.ID)] = line
		people = append(people, p)
		withRecord = append(withRecord, gave)
	}
	return people, withRecord, nil
}

// peopleReadError wraps an error of the CSV reader; a *csv.ParseError
// (wrong number of fields, bad quoting) names its line and column.
func peopleReadError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("seed: people file: %v: %w", pe, graph.ErrInvalid)
	}
	return fmt.Errorf("seed: people file: read: %w", err)
}

// parseBool accepts strconv.ParseBool's forms and yes/no.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "yes", "y":
		return true, true
	case "no", "n":
		return false, true
	}
	v, err := strconv.ParseBool(s)
	return v, err == nil
}

// parseFields parses semicolon-separated profile field names; empty
// entries are ignored.
func parseFields(s string) (graph.FieldSet, error) {
	var set graph.FieldSet
	for name := range strings.SplitSeq(s, ";") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		f, ok := graph.ParseProfileField(name)
		if !ok {
			return 0, fmt.Errorf("unknown profile field %q (want %s)", name, strings.Join(graph.ProfileFieldNames(), ", "))
		}
		set = set.With(f)
	}
	return set, nil
}
