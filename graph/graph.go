// Package graph is socialscore's domain: people, the ties between them
// (friendship and recruitment), the financial record behind each person's
// score and the events it is derived from (events.go), disputes about
// events (disputes.go), consent, score results with their history, and
// the compact snapshot of the consenting network that a scoring run reads.
//
// It imports nothing of ours and no driver, HTTP or numeric library: the
// store adapters (graph/embedded, graph/neo4j) translate to and from these
// types at their own boundary, and graph/graphtest holds the one
// conformance suite that every store must pass.
package graph

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// ID identifies a person. It is assigned by the app that registers the
// person (or kept from an imported edge list) and never changes. Valid ids
// are positive.
type ID int64

// String formats the id in base 10.
func (id ID) String() string { return strconv.FormatInt(int64(id), 10) }

// ParseID parses a positive base-10 id.
func ParseID(s string) (ID, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%q is not a positive integer id", s)
	}
	return ID(v), nil
}

// Errors returned by stores and domain functions. Match them with errors.Is.
var (
	// ErrNotFound: the person, tie or run does not exist (or the person has
	// not consented, where the operation reads the consenting network).
	ErrNotFound = errors.New("not found")
	// ErrConflict: the write contradicts what is stored (an id that already
	// exists where a new one was required, a recruit who already has a
	// recruiter).
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the input breaks a domain rule (a self-tie, a negative
	// amount, a date in the future). Errors wrapping it are usually a
	// *ValidationError naming the field.
	ErrInvalid = errors.New("invalid")
	// ErrUnavailable: the backing store cannot be reached right now; the
	// operation may succeed if retried later. Nothing was changed.
	ErrUnavailable = errors.New("store unavailable")
)

// ValidationError names the field of the input that broke a rule and why.
// It wraps ErrInvalid (or ErrNotFound / ErrConflict via Kind).
type ValidationError struct {
	Field  string // JSON-pointer-like path of the offending field, e.g. "events/2/amount"
	Reason string // human readable reason
	Kind   error  // ErrInvalid unless set
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Reason }

// Unwrap returns the error kind (ErrInvalid by default).
func (e *ValidationError) Unwrap() error {
	if e.Kind == nil {
		return ErrInvalid
	}
	return e.Kind
}

// Invalid returns a *ValidationError for field with the formatted reason.
func Invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Under places err beneath the path prefix: a *ValidationError comes back
// as a copy whose Field is prefix + "/" + Field (just prefix when Field is
// empty), keeping its Reason and Kind; any other error is wrapped as
// "prefix: err". It is the one way a batch entry, a request body or a
// config section names where inside it a rule was broken
// ("people/3/profile/verified").
func Under(prefix string, err error) error {
	if err == nil {
		return nil
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		c := *ve
		c.Field = JoinPath(prefix, ve.Field)
		return &c
	}
	return fmt.Errorf("%s: %w", prefix, err)
}

// JoinPath joins two parts of a field path with "/", leaving out an empty
// part.
func JoinPath(prefix, name string) string {
	switch {
	case prefix == "":
		return name
	case name == "":
		return prefix
	}
	return prefix + "/" + name
}

// Person is someone who can be scored. Only people with Consent set are
// scored, appear in snapshots, or are exposed through the API; everyone
// else is treated as absent from the network of others.
type Person struct {
	ID        ID
	Consent   bool // opt-in: false until the person agrees to be scored
	Profile   Profile
	Record    Record
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Validate checks the fields a client can set.
func (p Person) Validate() error {
	if p.ID <= 0 {
		return Invalid("id", "must be a positive integer")
	}
	if err := p.Profile.Validate(); err != nil {
		return err
	}
	return p.Record.Validate()
}

// ProfileField is one field of personal information. Only whether it was
// provided and whether it was verified is stored, never its value.
type ProfileField uint8

// The profile fields that count toward the personal-information pillar.
const (
	FieldName ProfileField = iota
	FieldPhone
	FieldEmail
	FieldAddress
	FieldEmployer
	FieldEducation
	FieldNationalID
	numProfileFields
)

// NumProfileFields is the number of profile fields that exist.
const NumProfileFields = int(numProfileFields)

var profileFieldNames = [...]string{"name", "phone", "email", "address", "employer", "education", "national_id"}

// String returns the wire name of the field.
func (f ProfileField) String() string {
	if int(f) < len(profileFieldNames) {
		return profileFieldNames[f]
	}
	return "field(" + strconv.Itoa(int(f)) + ")"
}

// ParseProfileField maps a wire name to a field.
func ParseProfileField(s string) (ProfileField, bool) {
	for i, n := range profileFieldNames {
		if n == s {
			return ProfileField(i), true
		}
	}
	return 0, false
}

// ProfileFieldNames lists the wire names of all profile fields in order.
func ProfileFieldNames() []string { return append([]string(nil), profileFieldNames[:]...) }

// FieldSet is a set of profile fields (bit i set = field i present).
type FieldSet uint16

// Has reports whether f is in the set.
func (s FieldSet) Has(f ProfileField) bool { return s&(1<<f) != 0 }

// With returns the set with f added.
func (s FieldSet) With(f ProfileField) FieldSet { return s | 1<<f }

// Len returns the number of fields in the set.
func (s FieldSet) Len() int {
	n := 0
	for f := ProfileField(0); f < numProfileFields; f++ {
		if s.Has(f) {
			n++
		}
	}
	return n
}

// Names returns the wire names of the fields in the set.
func (s FieldSet) Names() []string {
	out := []string{}
	for f := ProfileField(0); f < numProfileFields; f++ {
		if s.Has(f) {
			out = append(out, f.String())
		}
	}
	return out
}

// Profile records which personal-information fields a person provided and
// which of those were verified. Values are never stored.
type Profile struct {
	Provided FieldSet
	Verified FieldSet
}

// Validate checks that only known fields are set and that every verified
// field was also provided.
func (p Profile) Validate() error {
	all := FieldSet(1<<numProfileFields - 1)
	if p.Provided&^all != 0 || p.Verified&^all != 0 {
		return Invalid("profile", "unknown profile field")
	}
	if p.Verified&^p.Provided != 0 {
		return Invalid("profile/verified", "a verified field must also be provided")
	}
	return nil
}

// TieKind distinguishes the two kinds of tie.
type TieKind uint8

const (
	// Friend is an undirected friendship, at most one per pair.
	Friend TieKind = iota + 1
	// Recruited is directed: From recruited To. A recruit has at most one
	// recruiter.
	Recruited
)

func (k TieKind) String() string {
	switch k {
	case Friend:
		return "friend"
	case Recruited:
		return "recruited"
	}
	return "tie(" + strconv.Itoa(int(k)) + ")"
}

// Tie is a friendship or a recruitment. For a friendship the pair is
// unordered and Normalize puts the smaller id in From; for a recruitment
// From is the recruiter and To the recruit.
type Tie struct {
	Kind   TieKind
	From   ID
	To     ID
	Weight float64 // friendship strength, > 0; 0 means the default 1
}

// Normalize returns the canonical form of the tie: a friendship with From <
// To and a zero weight replaced by 1.
func (t Tie) Normalize() Tie {
	if t.Kind == Friend && t.From > t.To {
		t.From, t.To = t.To, t.From
	}
	if t.Weight == 0 {
		t.Weight = 1
	}
	return t
}

// Validate checks the tie on its own (not whether its people exist).
func (t Tie) Validate() error {
	switch t.Kind {
	case Friend, Recruited:
	default:
		return Invalid("kind", "unknown tie kind %d", t.Kind)
	}
	if t.From <= 0 || t.To <= 0 {
		return Invalid("id", "ids must be positive integers")
	}
	if t.From == t.To {
		if t.Kind == Friend {
			return Invalid("id", "a person cannot befriend themselves")
		}
		return Invalid("id", "a person cannot recruit themselves")
	}
	if t.Weight < 0 || t.Weight != t.Weight || t.Weight > 1e6 {
		return Invalid("weight", "must be a positive number")
	}
	return nil
}

// Batch is a set of writes applied all-or-nothing by BatchWriter.
type Batch struct {
	// People are created; an id that already exists, or appears twice,
	// fails the batch with ErrConflict.
	People []Person
	// Ties are created or updated; each must name people that exist after
	// the batch's People are added.
	Ties []Tie
}
