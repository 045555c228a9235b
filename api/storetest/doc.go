// Package storetest runs the API's personal score routes (history,
// changes, friends' shares) end to end over HTTP against both stores: the
// embedded store and a real Neo4j server (internal/neo4jtest). The api
// package's own tests run against the embedded store only; these cover
// what depends on the store (retained runs, their results, friendships, and
// the pseudonymisation key exports take from the store).
// It holds only tests.
package storetest
