package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/socialscore/socialscore/graph"
)

var (
	_ graph.Store               = (*Store)(nil)
	_ graph.FreshSnapshotReader = (*Store)(nil)
)

// schemaVersion is the version of the key layout described in the package
// documentation, stored under meta/version. Version 2 added record facts
// and friends' shares to results (result chunks of version 2) and the
// buckets of events and disputes; version 3 the tie log (tielog.go);
// version 4 the generation of the network (meta/generation), which every
// write that can change the snapshot moves on and which the snapshot
// image is stamped with (image.go). A file of an earlier version is
// migrated when opened (see migrate).
const schemaVersion = 4

// Defaults of the options.
const (
	// DefaultKeepRuns is how many scoring runs are retained by default:
	// every run scores everyone who consents, so this is also the
	// default length of a person's score history.
	DefaultKeepRuns = 24
	// DefaultLockTimeout is how long Open waits by default for another
	// process to release the file.
	DefaultLockTimeout = 5 * time.Second
	// DefaultMmapSize is the address space mapped for the file when it
	// is opened (see WithMmapSize).
	DefaultMmapSize = 4 << 30
	// defaultChunkSize is the number of results per stored chunk.
	defaultChunkSize = 1024
)

// Bucket names.
var (
	bucketMeta      = []byte("meta")
	bucketPeople    = []byte("people")
	bucketFriends   = []byte("friends")
	bucketRecruits  = []byte("recruits")
	bucketRecruiter = []byte("recruiter")
	bucketRuns      = []byte("runs")
	bucketResults   = []byte("results")
	allBuckets      = [][]byte{bucketMeta, bucketPeople, bucketFriends, bucketRecruits, bucketRecruiter, bucketRuns, bucketResults,
		bucketEvents, bucketEventOwner, bucketOpening, bucketDisputes, bucketPersonDisputes, bucketOpenDisputes, bucketTieLog}
)

// Store is the embedded socialscore store: one bbolt file. It is safe for
// concurrent use by many goroutines; writes are serialised (one write
// transaction at a time) and each is fsynced before it returns, reads run
// in parallel on consistent snapshots of the file.
type Store struct {
	db        *bolt.DB
	path      string
	clock     graph.Clock
	keepRuns  int
	chunkSize int
	closed    atomic.Bool
	logger    *slog.Logger
	// imageSem serialises rebuilding and saving the snapshot image
	// (image.go): one fresh read at a time, the others wait and then
	// find the image it saved.
	imageSem chan struct{}
	// saving counts the images being saved in the background; imageMu
	// orders its Add before Close's Wait.
	saving  sync.WaitGroup
	imageMu sync.Mutex
	// noImage turns the snapshot image off (WithoutImage).
	noImage bool
	// lastSnap is the last snapshot Snapshot or FreshSnapshot returned,
	// with the generation of the state it reflects (SaveRunOf).
	lastSnap atomic.Pointer[snapStamp]
	// merges counts the batches of results merged with the people
	// (keepConsenting), for tests.
	merges atomic.Int64
}

// snapStamp is a snapshot this store returned and the generation it was
// read at.
type snapStamp struct {
	snap *graph.Snapshot
	gen  uint64
}

// config collects the options.
type config struct {
	clock       graph.Clock
	keepRuns    int
	lockTimeout time.Duration
	mmapSize    int
	chunkSize   int
	logger      *slog.Logger
	noImage     bool
}

// Option configures Open.
type Option func(*config)

// WithClock sets the clock used for CreatedAt, UpdatedAt and snapshot
// times (default time.Now). A nil clock is ignored.
func WithClock(c graph.Clock) Option {
	return func(o *config) {
		if c != nil {
			o.clock = c
		}
	}
}

// WithKeepRuns sets how many scoring runs are retained (default
// DefaultKeepRuns); SaveRun deletes older runs and their results in the
// same transaction. History reaches back only over retained runs. Values
// below 1 are treated as 1.
func WithKeepRuns(n int) Option {
	return func(o *config) { o.keepRuns = max(n, 1) }
}

// WithLockTimeout sets how long Open waits for another process to release
// the file (default DefaultLockTimeout). Zero waits forever. When the wait
// times out Open returns an error wrapping graph.ErrUnavailable.
func WithLockTimeout(d time.Duration) Option {
	return func(o *config) { o.lockTimeout = d }
}

// WithMmapSize sets how much address space is mapped for the file when it
// is opened (default DefaultMmapSize). It reserves address space, not
// memory or disk: the file grows only as data is written. While the file
// fits in it, the mapping never has to grow, which would otherwise copy
// every key and value a large write transaction holds in memory and make
// writers wait for readers.
func WithMmapSize(n int) Option {
	return func(o *config) { o.mmapSize = max(n, 0) }
}

// WithLogger sets where the store logs what it cannot report through a
// method's error: a snapshot image that could not be saved or was found
// damaged (default slog.Default()). A nil logger is ignored.
func WithLogger(l *slog.Logger) Option {
	return func(o *config) {
		if l != nil {
			o.logger = l
		}
	}
}

// WithoutImage turns the persisted snapshot image off: Snapshot reads the
// store's records every time (as FreshSnapshot) and neither reads nor
// writes the image file. Tests of the read itself use it.
func WithoutImage() Option {
	return func(o *config) { o.noImage = true }
}

// withChunkSize sets the number of results per stored chunk (tests use
// small chunks to exercise chunk boundaries).
func withChunkSize(n int) Option {
	return func(o *config) { o.chunkSize = max(n, 1) }
}

// Open opens or creates the store in the file at path. The directory must
// exist. The file is locked for the life of the store: a second Open of
// the same file, from this process or another, waits up to the lock
// timeout and then fails with an error wrapping graph.ErrUnavailable.
//
// Every write transaction is fsynced before the method that made it
// returns, so an acknowledged write survives a crash of the process or the
// machine.
func Open(path string, opts ...Option) (*Store, error) {
	cfg := config{clock: time.Now, keepRuns: DefaultKeepRuns, lockTimeout: DefaultLockTimeout, mmapSize: DefaultMmapSize, chunkSize: defaultChunkSize, logger: slog.Default()}
	for _, o := range opts {
		o(&cfg)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: cfg.lockTimeout,
		// The freelist is rebuilt on open instead of being written by every
		// commit (as etcd does); this keeps commits of small writes small
		// in a large file and does not weaken durability.
		NoFreelistSync:  true,
		FreelistType:    bolt.FreelistMapType,
		NoSync:          false,
		InitialMmapSize: cfg.mmapSize,
	})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("embedded: open %s: file is locked by another store: %w: %w", path, graph.ErrUnavailable, err)
		}
		return nil, fmt.Errorf("embedded: open %s: %w", path, err)
	}
	created := false
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if err := checkLoaded(meta); err != nil { // load.go
			return err
		}
		switch v := meta.Get(keyVersion); {
		case v == nil:
			created = true
			if err := startGeneration(meta); err != nil {
				return err
			}
			return meta.Put(keyVersion, u64bytes(schemaVersion))
		case u64(v) < schemaVersion:
			created = true // a new generation: any image beside it is not of this file
			return migrate(meta, u64(v))
		case u64(v) != schemaVersion:
			return fmt.Errorf("file has schema version %d, this program reads version %d", u64(v), schemaVersion)
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("embedded: open %s: %w", path, err)
	}
	// bolt.Open rebuilt the freelist (NoFreelistSync) by walking every
	// page of the file through its mapping: the whole file (4+ GB at 10
	// million people) would stay in the process's resident set, unused.
	_ = db.View(func(btx *bolt.Tx) error { dropResident(db, btx); return nil })
	// Times are handed out as they read back from disk: UTC, without a
	// monotonic reading, so a value returned by a write equals the one a
	// later read returns.
	// Rebuilding the freelist on open (NoFreelistSync; when the file was not
	// closed by Close) walks every page of the file: drop the pages it
	// touched from the resident set. They stay in the page cache.
	_ = db.View(func(tx *bolt.Tx) error { dropResident(db, tx); return nil })
	clock := func() time.Time { return cfg.clock().UTC().Round(0) }
	s := &Store{db: db, path: path, clock: clock, keepRuns: cfg.keepRuns, chunkSize: cfg.chunkSize,
		logger: cfg.logger, imageSem: make(chan struct{}, 1), noImage: cfg.noImage}
	s.openImage(created)
	return s, nil
}

// OpenURL opens the store a URL names:
//
//	embedded:///abs/path/file.db   the file at an absolute path
//	embedded://rel/path/file.db    the file at a path relative to the working directory
//
// The rest of the URL is taken as a file path verbatim (no query, no
// percent-decoding). The directory must exist.
func OpenURL(u string, opts ...Option) (*Store, error) {
	rest, ok := strings.CutPrefix(u, "embedded://")
	if !ok {
		return nil, fmt.Errorf("embedded: open %q: want embedded:///abs/path or embedded://rel/path: %w", u, graph.ErrInvalid)
	}
	path := filepath.Clean(rest)
	if rest == "" || path == "." || path == "/" {
		return nil, fmt.Errorf("embedded: open %q: no file path: %w", u, graph.ErrInvalid)
	}
	return Open(path, opts...)
}

// Path returns the file the store is kept in (also after Close).
func (s *Store) Path() string { return s.path }

// Close releases the file. It waits for running transactions to finish,
// and for a snapshot image being saved in the background. Calling it
// again returns nil; every other method returns an error wrapping
// graph.ErrUnavailable afterwards.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.imageMu.Lock() // a Snapshot past this point sees closed and starts no save
	s.imageMu.Unlock()
	s.saving.Wait()
	// Write the freelist once, at the end: the next Open reads it instead
	// of walking every page of the file to rebuild it (NoFreelistSync),
	// which made the whole file resident (6 GB at 10 million people)
	// before a server had read anything. The next commit marks it unsynced
	// again, so a crash after that still rebuilds it. Best effort: if this
	// write fails, the next Open rebuilds the list as before.
	_ = s.db.Update(func(*bolt.Tx) error { s.db.NoFreelistSync = false; return nil })
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("embedded: close: %w", err)
	}
	return nil
}

// Ping returns nil while the store is open and an error wrapping
// graph.ErrUnavailable after Close.
func (s *Store) Ping(ctx context.Context) error {
	err := s.view(ctx, func(*tx) error { return nil })
	if err != nil {
		return fmt.Errorf("embedded: ping: %w", err)
	}
	return nil
}

// Counts returns how many people and ties are stored. It reads counters
// kept up to date by every write, so it costs one small read.
func (s *Store) Counts(ctx context.Context) (graph.Counts, error) {
	var c graph.Counts
	err := s.view(ctx, func(t *tx) error {
		c = graph.Counts{
			People:       int(u64(t.meta.Get(keyPeople))),
			Consenting:   int(u64(t.meta.Get(keyConsenting))),
			Friendships:  int(u64(t.meta.Get(keyFriendships))),
			Recruitments: int(u64(t.meta.Get(keyRecruitments))),
		}
		return nil
	})
	if err != nil {
		return graph.Counts{}, fmt.Errorf("embedded: counts: %w", err)
	}
	return c, nil
}

// tx is a bbolt transaction with its buckets at hand and the changes to
// the counters it has made.
type tx struct {
	*bolt.Tx
	ctx                                                       context.Context
	meta, people, friends, recruits, recruiter, runs, results *bolt.Bucket
	delta                                                     struct{ people, consenting, friendships, recruitments int64 }
}

// person decodes the stored person with the id into p, or returns
// graph.ErrNotFound.
func (t *tx) person(id graph.ID, p *graph.Person) error {
	v := t.people.Get(idKey(id))
	if v == nil {
		return graph.ErrNotFound
	}
	return decodePerson(id, v, p)
}

func newTx(ctx context.Context, btx *bolt.Tx) *tx {
	return &tx{
		Tx:        btx,
		ctx:       ctx,
		meta:      btx.Bucket(bucketMeta),
		people:    btx.Bucket(bucketPeople),
		friends:   btx.Bucket(bucketFriends),
		recruits:  btx.Bucket(bucketRecruits),
		recruiter: btx.Bucket(bucketRecruiter),
		runs:      btx.Bucket(bucketRuns),
		results:   btx.Bucket(bucketResults),
	}
}

// flushCounts adds the counter changes to the meta bucket.
func (t *tx) flushCounts() error {
	for _, c := range [...]struct {
		key []byte
		d   int64
	}{{keyPeople, t.delta.people}, {keyConsenting, t.delta.consenting}, {keyFriendships, t.delta.friendships}, {keyRecruitments, t.delta.recruitments}} {
		if c.d == 0 {
			continue
		}
		v := int64(u64(t.meta.Get(c.key))) + c.d
		if v < 0 {
			return fmt.Errorf("counter %s would become %d: %w", c.key, v, errCorrupt)
		}
		if err := t.meta.Put(c.key, u64bytes(uint64(v))); err != nil {
			return err
		}
	}
	return nil
}

// checkEvery is how many loop iterations long operations run between
// checks of their context (a variable so tests can check more often).
var checkEvery = 1 << 16

// checkCtx returns the context's error every so many iterations.
func (t *tx) checkCtx(i int) error {
	if i%checkEvery == 0 {
		return t.ctx.Err()
	}
	return nil
}

// has reports whether key is in the bucket. Unlike Get it also sees keys
// with empty values.
func has(b *bolt.Bucket, key []byte) bool {
	k, _ := b.Cursor().Seek(key)
	return k != nil && string(k) == string(key)
}

// update runs fn in a write transaction, committed (and fsynced) if fn
// returns nil and rolled back otherwise. The transaction moves the
// generation on (image.go): every write is taken to change the snapshot
// unless it is made with updateQuiet.
func (s *Store) update(ctx context.Context, fn func(*tx) error) error {
	return s.write(ctx, s.db.Update, true, fn)
}

// updateQuiet is update for the writes that cannot change what Snapshot
// returns (scoring runs, API keys, the pseudonym key): it leaves the
// generation as it is, so the snapshot image stays current.
func (s *Store) updateQuiet(ctx context.Context, fn func(*tx) error) error {
	return s.write(ctx, s.db.Update, false, fn)
}

// batch is update for the small writes that come many at once (a tie put
// or deleted, events appended): concurrent calls share one write
// transaction and one fsync (bbolt's DB.Batch: a group commit, up to
// MaxBatchSize calls or MaxBatchDelay, 10 ms by default), and each call
// returns only after that commit, so every acknowledged write is still
// durable. fn may run more than once (when another call of the group
// fails, the others run again in a new transaction, the failed one
// alone): it must set, never accumulate, what it leaves outside the
// transaction.
func (s *Store) batch(ctx context.Context, fn func(*tx) error) error {
	return s.write(ctx, s.db.Batch, true, fn)
}

// write runs fn in a write transaction of commit (bolt's Update or Batch)
// and flushes the counts it changed; when network is set it moves the
// generation on in the same transaction.
func (s *Store) write(ctx context.Context, commit func(func(*bolt.Tx) error) error, network bool, fn func(*tx) error) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	err := commit(func(btx *bolt.Tx) error {
		// Waiting for the writer lock may have outlasted the context.
		if err := ctx.Err(); err != nil {
			return err
		}
		t := newTx(ctx, btx)
		if err := fn(t); err != nil {
			return err
		}
		if network {
			if err := t.nextGeneration(); err != nil {
				return err
			}
		}
		return t.flushCounts()
	})
	return mapErr(err)
}

// view runs fn in a read transaction.
func (s *Store) view(ctx context.Context, fn func(*tx) error) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	return mapErr(s.db.View(func(btx *bolt.Tx) error { return fn(newTx(ctx, btx)) }))
}

// ready returns an error if the store is closed or the context is done.
func (s *Store) ready(ctx context.Context) error {
	if s.closed.Load() {
		return fmt.Errorf("store is closed: %w", graph.ErrUnavailable)
	}
	return ctx.Err()
}

// mapErr makes bbolt's errors for a closed database wrap
// graph.ErrUnavailable.
func mapErr(err error) error {
	if errors.Is(err, bolt.ErrDatabaseNotOpen) || errors.Is(err, bolt.ErrTxClosed) {
		return fmt.Errorf("%w: %w", graph.ErrUnavailable, err)
	}
	return err
}

func u64bytes(v uint64) []byte {
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
	return b
}

// notFound returns an error wrapping graph.ErrNotFound for a person.
func notFound(id graph.ID) error {
	return fmt.Errorf("person %d: %w", id, graph.ErrNotFound)
}

// migrate1to2 migrates a file of schema version 1, in the transaction
// that opens it. Version 2 differs only in the result chunks it writes
// (version 2 chunks, whose records carry record facts and friends'
// shares); version 1 chunks stay as they are and are read as results
// whose Facts and Share are unknown (Known false): the older program did
// not keep them, and they cannot be recovered from what it kept. So the
// migration rewrites nothing but the version. A program of version 1
// refuses the migrated file (it would misread version 2 chunks).
