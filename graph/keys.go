package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// Role is what an API key may do; each key holds exactly one. The API's
// authorisation table (api/authz.go) says which role may call which route.
type Role string

// The roles.
const (
	// RoleOperator may do everything, including real-id exports and
	// changing a person's consent (with a reason).
	RoleOperator Role = "operator"
	// RoleProvider registers people (with the consent it collected),
	// posts events and adds and removes ties; it reads no scores.
	RoleProvider Role = "provider"
	// RoleApp reads scores, single and batch, for a declared purpose.
	RoleApp Role = "app"
	// RoleResearcher uses network views, exports, shock experiments and
	// network metrics, with pseudonymised ids and coarsened attributes.
	RoleResearcher Role = "researcher"
	// RoleAnalyst runs simulations and reads network metrics and
	// aggregate reports.
	RoleAnalyst Role = "analyst"
	// RoleAuditor reads everything, queries the audit log and may list
	// low scorers for a declared purpose.
	RoleAuditor Role = "auditor"
	// RoleSubject is one person (APIKey.Person): their own data only.
	RoleSubject Role = "subject"
)

// Roles lists every role, in a fixed order.
func Roles() []Role {
	return []Role{RoleOperator, RoleProvider, RoleApp, RoleResearcher, RoleAnalyst, RoleAuditor, RoleSubject}
}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, x := range Roles() {
		if r == x {
			return true
		}
	}
	return false
}

// KeyHash is the SHA-256 digest of an API key. Stores keep only the
// digest: a stolen store gives away no key.
type KeyHash [sha256.Size]byte

// MarshalText encodes the digest in hex.
func (h KeyHash) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h[:])), nil }

// UnmarshalText decodes a hex digest.
func (h *KeyHash) UnmarshalText(b []byte) error {
	if hex.DecodedLen(len(b)) != len(h) {
		return fmt.Errorf("key hash: want %d hex digits, got %d", 2*len(h), len(b))
	}
	_, err := hex.Decode(h[:], b)
	return err
}

// HashKey returns the digest of a key.
func HashKey(key string) KeyHash { return sha256.Sum256([]byte(key)) }

// APIKey is a key as a store keeps it: its holder's name and role, and
// the digest of the secret.
type APIKey struct {
	// Name identifies the holder (an app, a provider, a person's login);
	// audit records carry it. 1-64 characters of [A-Za-z0-9._-].
	Name string
	Role Role
	// Person is the person a subject key belongs to; 0 for other roles.
	Person ID
	Hash   KeyHash
	// CreatedAt is set by the store.
	CreatedAt time.Time
	// RevokedAt is when the key was revoked; zero while it is valid.
	RevokedAt time.Time
}

// Revoked reports whether the key was revoked.
func (k APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }

// Validate checks the name, role and person binding.
func (k APIKey) Validate() error {
	if n := len(k.Name); n == 0 || n > 64 {
		return Invalid("name", "must be 1 to 64 characters, got %d", n)
	}
	for i := 0; i < len(k.Name); i++ {
		c := k.Name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return Invalid("name", "may hold only A-Z a-z 0-9 . _ -, got %q", k.Name)
		}
	}
	if !k.Role.Valid() {
		return Invalid("role", "unknown role %q (want one of %v)", k.Role, Roles())
	}
	switch {
	case k.Role == RoleSubject && k.Person <= 0:
		return Invalid("person", "a subject key must name its person (a positive id)")
	case k.Role != RoleSubject && k.Person != 0:
		return Invalid("person", "only a subject key names a person")
	}
	if k.Hash == (KeyHash{}) {
		return Invalid("hash", "is required")
	}
	return nil
}

// KeyStore keeps API keys. Both stores implement it (graph/embedded and
// graph/neo4j); the conformance suite covers it.
type KeyStore interface {
	// CreateKey stores a new key. It returns an error wrapping ErrInvalid
	// for a bad key and ErrConflict if a key of that name exists (revoked
	// or not: a name is never reused, so audit records stay unambiguous)
	// or the digest is already stored. CreatedAt is set by the store.
	CreateKey(ctx context.Context, k APIKey) error
	// Keys returns every key, revoked ones included, ordered by name.
	Keys(ctx context.Context) ([]APIKey, error)
	// RevokeKey marks the key revoked (at the store's clock). It returns
	// ErrNotFound if there is no key of that name; revoking a revoked key
	// changes nothing.
	RevokeKey(ctx context.Context, name string) error
}

// ErrKeyName formats the error of a key name that is taken.
func ErrKeyName(name string) error {
	return &ValidationError{Field: "name", Reason: fmt.Sprintf("a key named %q exists", name), Kind: ErrConflict}
}
