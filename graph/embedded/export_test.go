package embedded

import "context"

// WithChunkSize exports withChunkSize to the tests.
var WithChunkSize = withChunkSize

// Generation returns the store's generation (meta/generation) to the tests.
func Generation(ctx context.Context, s *Store) (uint64, error) { return s.generation(ctx) }

// SetImageSaveHook sets a function called before (done false) and after
// (done true) each save of the snapshot image by Snapshot.
func SetImageSaveHook(f func(done bool)) { imageSaveHook = f }
