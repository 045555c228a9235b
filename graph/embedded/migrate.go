package embedded

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// migrate brings a file of an earlier schema version to schemaVersion, in
// the transaction that opens it (the buckets of the current version were
// just created). Version 1 → 2: events and disputes were not kept; their
// buckets start empty, and each person's record becomes their opening
// balance (a person without kept events has none stored apart: their
// record is it; see graph.StoredEvent), so no person value changes.
func migrate(meta *bolt.Bucket, from uint64) error {
	switch from {
	case 1:
	default:
		return fmt.Errorf("file has schema version %d, this program reads version %d and migrates only from version 1", from, schemaVersion)
	}
	return meta.Put(keyVersion, u64bytes(schemaVersion))
}
