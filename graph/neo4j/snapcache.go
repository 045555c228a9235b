package neo4j

import (
	"context"
	"encoding/binary"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/socialscore/socialscore/graph"
)

var _ graph.FreshSnapshotReader = (*Store)(nil)

// Snapshot returns the consenting network. With a snapshot cache
// (Config.SnapshotCache) it keeps the last snapshot read as an image file
// there (graph.SaveImageFile), stamped with the generation it reflects
// (generation.go), and answers from it while the database's generation
// is still that one:
//
//  1. read the generation g1;
//  2. if the image of this database is there, valid and stamped g1,
//     return it: no write that changes the network committed since it
//     was read;
//  3. else read the network afresh (FreshSnapshot) and read the
//     generation g2 again; only if g2 = g1, so that no write committed
//     during the read, save the image stamped g1.
//
// An image of another generation is never returned, and a torn or
// corrupt one (a process killed while writing it) is read afresh and
// replaced. Without a cache every call is FreshSnapshot.
func (s *Store) Snapshot(ctx context.Context) (*graph.Snapshot, error) {
	if s.cfg.SnapshotCache == "" {
		return s.FreshSnapshot(ctx)
	}
	takenAt := s.now()
	g1, err := s.generation(ctx)
	if err != nil {
		return nil, s.wrap(ctx, "snapshot", err)
	}
	if !g1.known() {
		return s.FreshSnapshot(ctx)
	}
	path := s.imagePath(g1.epoch)
	if peekImageGeneration(path) == uint64(g1.n) {
		if snap, gen, err := graph.LoadImageFile(path); err == nil && gen == uint64(g1.n) {
			snap.TakenAt = takenAt
			return snap, nil
		}
	}
	snap, g, consistent, err := s.freshSnapshot(ctx, &g1)
	if err != nil {
		return nil, err
	}
	if consistent && g == g1 {
		// The snapshot is good whether or not its image can be written;
		// a failed save only means the next call reads afresh again.
		if err := graph.SaveImageFile(path, snap, uint64(g1.n)); err == nil {
			s.removeOtherImages(path)
		}
	}
	return snap, nil
}

// peekImageGeneration returns the generation in the header of the image
// at path without reading the rest (graph/image.go: the magic at 0, the
// generation at 16), or MaxUint64 when there is no such header, so that
// an image of another generation, which can be hundreds of megabytes, is
// not read in vain. Only LoadImageFile's answer is trusted: it checks
// every byte.
func peekImageGeneration(path string) uint64 {
	f, err := os.Open(path)
	if err != nil {
		return math.MaxUint64
	}
	defer f.Close()
	var h [24]byte
	if _, err := io.ReadFull(f, h[:]); err != nil || string(h[:8]) != "SSCSRIMG" {
		return math.MaxUint64
	}
	return binary.LittleEndian.Uint64(h[16:24])
}

// imagePath is the file of this database's image for an epoch:
// DIR/neo4j-HOST_PORT-DATABASE-EPOCH.img. The epoch (generation.go) is
// made afresh with the shards, so a database emptied and loaded again
// never meets the image of its predecessor, and databases of several
// servers can share a directory.
func (s *Store) imagePath(epoch string) string {
	return filepath.Join(s.cfg.SnapshotCache, s.imagePrefix()+epoch+".img")
}

func (s *Store) imagePrefix() string {
	host := "server"
	if u, err := url.Parse(s.cfg.URI); err == nil && u.Host != "" {
		host = u.Host
	}
	return "neo4j-" + fileSafe(host) + "-" + fileSafe(s.cfg.Database) + "-"
}

// fileSafe keeps letters, digits, dots and underscores, and replaces
// anything else with an underscore.
func fileSafe(x string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_':
			return r
		}
		return '_'
	}, x)
}

// staleImageTemp is how old a temporary image file must be before it is
// taken for the leftover of a killed process and removed. Writing an
// image of ten million people takes seconds.
const staleImageTemp = 10 * time.Minute

// removeOtherImages removes this database's images of other epochs, and
// temporary files of killed writers, after path was saved.
func (s *Store) removeOtherImages(path string) {
	matches, _ := filepath.Glob(filepath.Join(s.cfg.SnapshotCache, s.imagePrefix()+"*"))
	for _, m := range matches {
		if m == path {
			continue
		}
		if strings.Contains(filepath.Base(m), ".img.tmp-") {
			if st, err := os.Stat(m); err != nil || time.Since(st.ModTime()) < staleImageTemp {
				continue
			}
		}
		_ = os.Remove(m)
	}
}

// SnapshotCacheParam is the store URL's query parameter that sets
// Config.SnapshotCache: neo4j://host:7687?snapshot_cache=/var/cache/socialscore.
// An empty value or "off" turns the cache off.
const SnapshotCacheParam = "snapshot_cache"

// takeURIOptions moves the store's own query parameters out of cfg.URI
// into cfg (the driver would take them for routing context); the URI's
// value wins over a Config field already set.
func takeURIOptions(cfg *Config) error {
	u, err := url.Parse(cfg.URI)
	if err != nil || u.RawQuery == "" {
		return nil // Validate reports a bad URI
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return graph.Invalid("uri", "query %q: %v", u.RawQuery, err)
	}
	if vs, ok := q[SnapshotCacheParam]; ok {
		if len(vs) != 1 {
			return graph.Invalid("uri", "%s given %d times", SnapshotCacheParam, len(vs))
		}
		cfg.SnapshotCache = vs[0]
		if vs[0] == "off" {
			cfg.SnapshotCache = ""
		}
		q.Del(SnapshotCacheParam)
		u.RawQuery = q.Encode()
		cfg.URI = u.String()
	}
	return nil
}

// openCache makes the cache directory and checks that files can be
// made in it.
func openCache(dir string) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return graph.Invalid("snapshot_cache", "%v", err)
	}
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return graph.Invalid("snapshot_cache", "directory %s is not writable: %v", dir, err)
	}
	_ = f.Close()
	return os.Remove(f.Name())
}
