package graph

import "context"

// PseudonymKeyLen is the length in bytes of the pseudonymisation key a
// store creates.
const PseudonymKeyLen = 32

// PseudonymKeyStore keeps the one secret key that pseudonymises person
// ids in this store's research exports (package export: HMAC-SHA256 of
// the id). It is created once, on first use, from crypto/rand, and kept
// with the data (the embedded store in its file, Neo4j as a node), so a
// person has the same pseudonym in every export, in every format, across
// restarts and across processes sharing the store; and a copy of the
// store moves its key along. Both stores implement it (graph/embedded and
// graph/neo4j); the conformance suite covers it.
type PseudonymKeyStore interface {
	// PseudonymKey returns the store's key (PseudonymKeyLen bytes),
	// creating it if the store has none. Concurrent first calls, from
	// one process or several, all return the same key.
	PseudonymKey(ctx context.Context) ([]byte, error)
}
