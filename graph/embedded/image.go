package embedded

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"

	bolt "go.etcd.io/bbolt"

	"github.com/socialscore/socialscore/graph"
)

// The snapshot image (docs/architecture.md, "Stores"): beside the store's
// file, at its path + ".csr", the store keeps the last snapshot it read as
// a graph.WriteImage image, stamped with the generation of the state it
// was read from. The generation (meta/generation) moves on in every write
// transaction that can change what Snapshot returns. Snapshot answers from
// the image only when its stamp equals the generation read after loading
// it, so it never answers with a network older than the last write
// acknowledged before the call.
//
// The generation starts at a random value below 2^62 when the file is
// made (or migrated) and each write adds 1 plus a random 32-bit amount, so
// an image can match only the history it was read from: not a new file
// made at the same path, nor a restored copy of the file that diverged
// from the one the image was read from.

// ImagePath returns the path of the snapshot image kept for the store file
// at path.
func ImagePath(path string) string { return path + ".csr" }

// startGeneration sets the generation of a new or migrated file to a
// random value below 2^62.
func startGeneration(meta *bolt.Bucket) error {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("start generation: %w", err)
	}
	return meta.Put(keyGeneration, u64bytes(binary.BigEndian.Uint64(b[:])>>2))
}

// nextGeneration moves the generation on by 1 plus a random 32-bit amount.
// Under a group commit (batch) every write of the group moves it.
func (t *tx) nextGeneration() error {
	g := u64(t.meta.Get(keyGeneration)) + 1 + uint64(mrand.Uint32())
	return t.meta.Put(keyGeneration, u64bytes(g))
}

// generation returns the generation of the committed state.
func (s *Store) generation(ctx context.Context) (uint64, error) {
	var g uint64
	err := s.view(ctx, func(t *tx) error {
		g = u64(t.meta.Get(keyGeneration))
		return nil
	})
	return g, err
}

// openImage runs when the store is opened, while the file is locked so no
// other process can be saving an image for it: it removes the temporary
// files of saves that were killed, and the image itself when the file was
// just made or migrated (it belongs to another file).
func (s *Store) openImage(created bool) {
	if s.noImage {
		return
	}
	path := ImagePath(s.Path())
	if err := graph.CleanImageTemps(path); err != nil {
		s.logger.Warn("embedded: removing unfinished snapshot images", "path", path, "err", err)
	}
	if created {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.logger.Warn("embedded: removing the snapshot image of an earlier file", "path", path, "err", err)
		}
	}
}

// Snapshot returns the consenting network as FreshSnapshot reads it, from
// the snapshot image when that is current: when the image at
// ImagePath(Path()) is valid and its generation is the store's generation
// read after loading it. Otherwise it reads the store's records
// (FreshSnapshot) and saves their image, stamped with the generation read
// in the same read transaction, atomically (graph.SaveImageFile). A
// damaged image is ignored and replaced; an image that cannot be saved
// (a read-only directory, a full disk) is logged and the fresh snapshot
// returned. A snapshot from the image has TakenAt of when the image was
// read from the records.
//
// The image is saved in the background, while the caller already works
// on the snapshot (which it must not change: a Snapshot is read-only);
// Close waits for the save. One rebuild runs at a time, its save
// included: calls that find the image stale meanwhile wait for it and
// then read its image (if no write came between), so concurrent scoring
// runs do not read the records twice.
func (s *Store) Snapshot(ctx context.Context) (*graph.Snapshot, error) {
	if s.noImage {
		return s.FreshSnapshot(ctx)
	}
	if snap, ok, err := s.currentImage(ctx); err != nil || ok {
		return snap, err
	}
	select {
	case s.imageSem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("embedded: snapshot: %w", ctx.Err())
	}
	release := func() { <-s.imageSem }
	if snap, ok, err := s.currentImage(ctx); err != nil || ok {
		release()
		return snap, err
	}
	snap, gen, err := s.freshSnapshot(ctx)
	if err != nil {
		release()
		return nil, err
	}
	s.lastSnap.Store(&snapStamp{snap, gen})
	s.imageMu.Lock()
	if s.closed.Load() { // Close is waiting for saves already: skip this one
		s.imageMu.Unlock()
		release()
		return snap, nil
	}
	s.saving.Add(1)
	s.imageMu.Unlock()
	go func() {
		defer s.saving.Done()
		defer release()
		s.saveImage(snap, gen)
	}()
	return snap, nil
}

// WaitImage waits until no snapshot image is being saved in the
// background (Close waits too). Call it while no Snapshot is running
// (tests and tools that read the image file next).
func (s *Store) WaitImage() { s.saving.Wait() }

// currentImage loads the image and reports whether it is current. It
// looks at the header first, so a stale image is not read.
func (s *Store) currentImage(ctx context.Context) (*graph.Snapshot, bool, error) {
	path := ImagePath(s.Path())
	stamp, err := graph.ImageFileGeneration(path)
	if err == nil {
		cur, err := s.generation(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("embedded: snapshot: %w", err)
		}
		if stamp != cur {
			return nil, false, nil
		}
	}
	snap, gen, err := graph.LoadImageFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, false, nil
	case err != nil:
		s.logger.Warn("embedded: snapshot image unreadable; reading the store instead", "path", path, "err", err)
		return nil, false, nil
	}
	// Read after the image: if they match, the image is the network as of
	// now, later than the start of the call.
	cur, err := s.generation(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("embedded: snapshot: %w", err)
	}
	if gen != cur {
		return nil, false, nil
	}
	s.lastSnap.Store(&snapStamp{snap, gen})
	return snap, true, nil
}

// imageSaveHook, when set (by tests), is called before and after each
// save of the image.
var imageSaveHook func(done bool)

// saveImage saves the image stamped with gen, logging a failure.
func (s *Store) saveImage(snap *graph.Snapshot, gen uint64) {
	path := ImagePath(s.Path())
	if imageSaveHook != nil {
		imageSaveHook(false)
		defer imageSaveHook(true)
	}
	if err := graph.SaveImageFile(path, snap, gen); err != nil {
		s.logger.Warn("embedded: snapshot image not saved; snapshots are read from the store", "path", path, "err", err)
	}
}

// SaveImage saves snap as the store's snapshot image, stamped with the
// generation the store has now (read in a read transaction), so that the
// next Snapshot reads it instead of the records. snap must be the store's
// current content, as FreshSnapshot would read it: a bulk loader that has
// just loaded the store and holds the network it loaded calls it, and
// nothing may write to the store in between. It returns the error of
// saving (graph.SaveImageFile), and does nothing for a store opened
// WithoutImage.
func (s *Store) SaveImage(ctx context.Context, snap *graph.Snapshot) error {
	if s.noImage {
		return nil
	}
	select {
	case s.imageSem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("embedded: save image: %w", ctx.Err())
	}
	defer func() { <-s.imageSem }()
	gen, err := s.generation(ctx)
	if err != nil {
		return fmt.Errorf("embedded: save image: %w", err)
	}
	if err := graph.SaveImageFile(ImagePath(s.Path()), snap, gen); err != nil {
		return fmt.Errorf("embedded: save image: %w", err)
	}
	return nil
}
