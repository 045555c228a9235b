package embedded

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// migrate brings a file of an earlier schema version to schemaVersion, in
// the transaction that opens it (the buckets of the current version were
// just created, empty). Each step rewrites no value:
//
//   - Version 1 → 2: events and disputes were not kept; their buckets start
//     empty, and each person's record becomes their opening balance (a
//     person without kept events has none stored apart: their record is
//     it; see graph.StoredEvent), so no person value changes.
//
//   - Version 2 → 3: tie changes were not logged; the tie log starts empty.
//     Ties made before the migration are in the ties read now but in no
//     log entry, which graph.TieHistory.At handles (a tie without entries
//     has been there all along as far as the log knows).
//
//   - Version 3 → 4: the network had no generation; it starts (at a
//     random value, as in a new file: see startGeneration). No image was
//     kept before, so none can be mistaken for current; one left beside
//     the file is stamped with another generation in all likelihood, and
//     Open deletes it anyway when it migrates.
//
// A program of an earlier version refuses the migrated file; that is why
// the generation needed a new version: an earlier program would write to
// the file without moving the generation on, and an image would then be
// taken for current when it is not.
func migrate(meta *bolt.Bucket, from uint64) error {
	switch from {
	case 1, 2, 3:
	default:
		return fmt.Errorf("file has schema version %d, this program reads version %d and migrates only from versions 1 to 3", from, schemaVersion)
	}
	if err := startGeneration(meta); err != nil {
		return err
	}
	return meta.Put(keyVersion, u64bytes(schemaVersion))
}
