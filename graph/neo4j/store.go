package neo4j

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/socialscore/socialscore/graph"
)

var _ graph.Store = (*Store)(nil)

// Defaults applied by Config.withDefaults.
const (
	DefaultDatabase       = "neo4j"
	DefaultBatchSize      = 10_000
	DefaultTxRows         = 20_000
	DefaultSplitTxRows    = 2_000
	DefaultWriters        = 2
	DefaultChunkSize      = 512
	DefaultKeepRuns       = 24
	DefaultConnectTimeout = 5 * time.Second
	DefaultRetryTime      = 10 * time.Second
	DefaultPingTimeout    = 2 * time.Second
	// DefaultSnapshotReaders is how many pages of a snapshot are read at
	// once: two keep a 2-core server busy while the client decodes, more
	// add little there (graph/neo4j/doc.go, Measured).
	DefaultSnapshotReaders = 4
	// staleSave is how long an unfinished SaveRun may sit before another
	// SaveRun treats it as abandoned (its process died) and removes it.
	staleSave = time.Hour
)

// Config says how to reach the server and how to size bulk work. Only URI
// is required.
type Config struct {
	// URI of the server: bolt://host:port or neo4j://host:port (also the
	// +s / +ssc TLS forms).
	URI string
	// User and Password for basic authentication; both empty means no
	// authentication.
	User     string
	Password string
	// Database to use; "neo4j" when empty (the only user database of the
	// Community edition).
	Database string

	// BatchSize is the number of rows sent in one UNWIND statement by
	// ApplyBatch (at most SplitTxRows for a split batch) and the number of
	// results per SaveRun transaction.
	BatchSize int
	// TxRows is the largest number of people and ties ApplyBatch writes in
	// one transaction; larger batches are split and undone on failure. A
	// transaction of people and ties costs the server a few KiB of heap per
	// row: 100,000 rows overflow the transaction memory pool of a 1 GiB
	// heap (dbms.memory.transaction.total.max, 70% of the heap).
	TxRows int
	// SplitTxRows is the number of rows per transaction (and at most per
	// statement) of a batch split because it is larger than TxRows (at
	// most TxRows). Small transactions cost the server less: a
	// transaction's state lives until it commits, and the larger it is
	// the more of it the JVM's collector copies. Measured on a 100,000
	// person seed: 20,000 rows per transaction 18 s of server CPU, 5,000
	// rows 14 s, 2,000 rows 12 s, 1,000 rows no less.
	SplitTxRows int
	// Writers is the number of transactions of a split batch written at
	// once (disjoint rows; the server locks the nodes of relationships it
	// creates and serialises what conflicts).
	Writers int
	// ChunkSize is the number of results packed into one :ScoreChunk node.
	ChunkSize int
	// KeepRuns is how many completed runs are kept; older ones are deleted
	// when a run is saved.
	KeepRuns int

	// ConnectTimeout bounds establishing one connection.
	ConnectTimeout time.Duration
	// RetryTime bounds the driver's retries of a managed transaction
	// (a server that is down is reported as unavailable after it).
	RetryTime time.Duration
	// PingTimeout bounds Ping when ctx has no earlier deadline.
	PingTimeout time.Duration
	// MaxPoolSize caps the driver's connection pool; 0 keeps the driver's
	// default.
	MaxPoolSize int

	// SnapshotReaders is how many pages of a snapshot are read at once,
	// each in a session of its own.
	SnapshotReaders int
	// SnapshotCache is a directory where Snapshot keeps an image of the
	// last snapshot it read, reused while the database's generation says
	// nothing changed (see Snapshot); empty: no cache. The store URL's
	// snapshot_cache parameter sets it (SnapshotCacheParam).
	SnapshotCache string

	// Clock stamps created_at / updated_at; time.Now when nil.
	Clock graph.Clock
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.URI == "" {
		return graph.Invalid("uri", "is required")
	}
	u, err := url.Parse(c.URI)
	if err != nil || u.Host == "" {
		return graph.Invalid("uri", "%q is not a bolt:// or neo4j:// URI", c.URI)
	}
	switch u.Scheme {
	case "bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc":
	default:
		return graph.Invalid("uri", "scheme %q is not bolt or neo4j", u.Scheme)
	}
	if c.BatchSize < 0 || c.TxRows < 0 || c.SplitTxRows < 0 || c.Writers < 0 || c.ChunkSize < 0 || c.KeepRuns < 0 || c.MaxPoolSize < 0 || c.SnapshotReaders < 0 {
		return graph.Invalid("config", "sizes must not be negative")
	}
	if c.ConnectTimeout < 0 || c.RetryTime < 0 || c.PingTimeout < 0 {
		return graph.Invalid("config", "timeouts must not be negative")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Database == "" {
		c.Database = DefaultDatabase
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.TxRows == 0 {
		c.TxRows = DefaultTxRows
	}
	if c.TxRows < c.BatchSize {
		c.TxRows = c.BatchSize
	}
	if c.SplitTxRows == 0 {
		c.SplitTxRows = DefaultSplitTxRows
	}
	c.SplitTxRows = min(c.SplitTxRows, c.TxRows)
	if c.Writers == 0 {
		c.Writers = DefaultWriters
	}
	if c.ChunkSize == 0 {
		c.ChunkSize = DefaultChunkSize
	}
	if c.KeepRuns == 0 {
		c.KeepRuns = DefaultKeepRuns
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.RetryTime == 0 {
		c.RetryTime = DefaultRetryTime
	}
	if c.PingTimeout == 0 {
		c.PingTimeout = DefaultPingTimeout
	}
	if c.SnapshotReaders == 0 {
		c.SnapshotReaders = DefaultSnapshotReaders
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	return c
}

// Store is a graph.Store over a Neo4j server. It holds one driver (a
// connection pool) and no other state: every call reads the server, so a
// server that restarts is used again as soon as it answers.
type Store struct {
	cfg    Config
	driver drv.DriverWithContext
	closed atomic.Bool

	snapshotPage int // node ids per page of people in a snapshot read (person ids in the safe read)

	// afterTx, when set (tests only), is called after each committed write
	// transaction of a multi-transaction ApplyBatch with the number of
	// statements committed so far and in all; an error it returns fails
	// the batch as if the next transaction had failed.
	afterTx func(done, total int) error
	// noGen, when set (benchmarks only), leaves the generation out of
	// writes, to measure what bumping it costs.
	noGen bool
	// freshReads counts the snapshots read from the database (tests see
	// whether Snapshot answered from its image).
	freshReads atomic.Int64
	// afterSnapshotRead, when set (tests only), is called by a fresh
	// snapshot read after its pages were read and before the generation
	// is read again.
	afterSnapshotRead func()
	// afterChunks, when set (tests only), is called by SaveRun after each
	// committed transaction of result chunks; an error it returns fails
	// the save.
	afterChunks func(saved int) error
}

// Open connects to the server, checks that it answers, and creates the
// schema (constraints and indexes) if it is missing. A server that cannot
// be reached gives an error wrapping graph.ErrUnavailable.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := takeURIOptions(&cfg); err != nil {
		return nil, fmt.Errorf("neo4j: open: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("neo4j: open: %w", err)
	}
	cfg = cfg.withDefaults()
	if err := openCache(cfg.SnapshotCache); err != nil {
		return nil, fmt.Errorf("neo4j: open: %w", err)
	}
	auth := drv.NoAuth()
	if cfg.User != "" || cfg.Password != "" {
		auth = drv.BasicAuth(cfg.User, cfg.Password, "")
	}
	d, err := drv.NewDriverWithContext(cfg.URI, auth, func(c *drv.Config) {
		c.SocketConnectTimeout = cfg.ConnectTimeout
		c.ConnectionAcquisitionTimeout = cfg.ConnectTimeout + cfg.RetryTime
		c.MaxTransactionRetryTime = cfg.RetryTime
		c.SocketKeepalive = true
		if cfg.MaxPoolSize > 0 {
			c.MaxConnectionPoolSize = cfg.MaxPoolSize
		}
	})
	if err != nil {
		return nil, fmt.Errorf("neo4j: open %s: %w", redact(cfg.URI), err)
	}
	s := &Store{cfg: cfg, driver: d, snapshotPage: snapshotPage}
	if err := d.VerifyConnectivity(ctx); err != nil {
		_ = d.Close(context.WithoutCancel(ctx))
		return nil, s.wrap(ctx, "open "+redact(cfg.URI), err)
	}
	if err := s.ensureSchema(ctx); err != nil {
		_ = d.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	// The generation's shards, made here if missing (a database of an
	// earlier version): generation.go.
	if _, err := s.generation(ctx); err != nil {
		_ = d.Close(context.WithoutCancel(ctx))
		return nil, s.wrap(ctx, "open: snapshot generation", err)
	}
	return s, nil
}

// redact drops credentials from a URI for messages.
func redact(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return "(bad uri)"
	}
	return u.Redacted()
}

// schema is created at start-up; each statement is idempotent.
var schema = []string{
	`CREATE CONSTRAINT person_id IF NOT EXISTS FOR (p:Person) REQUIRE p.id IS UNIQUE`,
	`CREATE INDEX person_consent IF NOT EXISTS FOR (p:Person) ON (p.consent)`,
	`CREATE CONSTRAINT run_key IF NOT EXISTS FOR (r:Run) REQUIRE r.key IS UNIQUE`,
	`CREATE INDEX run_id IF NOT EXISTS FOR (r:Run) ON (r.id)`,
	`CREATE INDEX score_chunk_run IF NOT EXISTS FOR (c:ScoreChunk) ON (c.run)`,
	`CREATE INDEX score_chunk_run_lo IF NOT EXISTS FOR (c:ScoreChunk) ON (c.run, c.lo)`,
	`CREATE CONSTRAINT score_meta_name IF NOT EXISTS FOR (m:ScoreMeta) REQUIRE m.name IS UNIQUE`,
	`CREATE CONSTRAINT api_key_name IF NOT EXISTS FOR (k:APIKey) REQUIRE k.name IS UNIQUE`,
	`CREATE CONSTRAINT api_key_hash IF NOT EXISTS FOR (k:APIKey) REQUIRE k.hash IS UNIQUE`,
	`CREATE CONSTRAINT pseudonym_key_name IF NOT EXISTS FOR (k:PseudonymKey) REQUIRE k.name IS UNIQUE`,
	`CREATE CONSTRAINT snapshot_gen_shard IF NOT EXISTS FOR (g:SnapshotGen) REQUIRE g.shard IS UNIQUE`,
}

func (s *Store) ensureSchema(ctx context.Context) error {
	sess := s.session(ctx, drv.AccessModeWrite)
	defer sess.Close(context.WithoutCancel(ctx))
	// Indexes first: each is populated in the background, while a
	// constraint's CREATE waits for its own index to be populated, so on a
	// database loaded by the importer the scans of the people for
	// person_consent and person_id run at the same time.
	ordered := slices.Concat(
		slices.DeleteFunc(slices.Clone(schema), func(q string) bool { return !strings.HasPrefix(q, "CREATE INDEX") }),
		slices.DeleteFunc(slices.Clone(schema), func(q string) bool { return strings.HasPrefix(q, "CREATE INDEX") }))
	for _, q := range ordered {
		if err := execTx(ctx, autoCommit{sess}, q, nil); err != nil {
			// Two processes creating the same schema at once: the loser
			// sees an equivalent constraint or index already there.
			var ne *drv.Neo4jError
			if errors.As(err, &ne) && (ne.Code == "Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists" ||
				ne.Code == "Neo.ClientError.Schema.IndexWithNameAlreadyExists" ||
				ne.Code == "Neo.ClientError.Schema.ConstraintWithNameAlreadyExists") {
				continue
			}
			return s.wrap(ctx, "create schema", err)
		}
	}
	if err := execTx(ctx, autoCommit{sess}, `CALL db.awaitIndexes(300)`, nil); err != nil {
		return s.wrap(ctx, "await indexes", err)
	}
	return nil
}

// autoCommit runs statements of a session as auto-commit transactions
// (schema changes, which a managed transaction cannot hold), for execTx.
type autoCommit struct{ sess drv.SessionWithContext }

func (a autoCommit) Run(ctx context.Context, q string, params map[string]any) (drv.ResultWithContext, error) {
	return a.sess.Run(ctx, q, params)
}

// errClosed is returned by every method after Close.
var errClosed = fmt.Errorf("store is closed: %w", graph.ErrUnavailable)

// Close releases the driver's connections. Calling it again returns nil;
// every other method returns an error wrapping graph.ErrUnavailable after
// it.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.driver.Close(ctx); err != nil {
		return fmt.Errorf("neo4j: close: %w", err)
	}
	return nil
}

// Ping runs RETURN 1, bounded by the ping timeout.
func (s *Store) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return fmt.Errorf("neo4j: ping: %w", errClosed)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.PingTimeout)
	defer cancel()
	sess := s.session(ctx, drv.AccessModeRead)
	defer sess.Close(context.WithoutCancel(ctx))
	res, err := sess.Run(ctx, `RETURN 1`, nil)
	if err == nil {
		_, err = res.Single(ctx)
	}
	if err != nil {
		return s.wrap(ctx, "ping", err)
	}
	return nil
}

// Counts returns how many people and ties are stored.
func (s *Store) Counts(ctx context.Context) (graph.Counts, error) {
	const q = `
CALL () { MATCH (p:Person) RETURN count(p) AS people }
CALL () { MATCH (p:Person) WHERE p.consent = true RETURN count(p) AS consenting }
CALL () { MATCH ()-[f:FRIEND]->() RETURN count(f) AS friendships }
CALL () { MATCH ()-[r:RECRUITED]->() RETURN count(r) AS recruitments }
RETURN people, consenting, friendships, recruitments`
	v, err := s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		rec, err := single(ctx, tx, q, nil)
		if err != nil {
			return nil, err
		}
		return graph.Counts{
			People:       int(asInt(rec.Values[0])),
			Consenting:   int(asInt(rec.Values[1])),
			Friendships:  int(asInt(rec.Values[2])),
			Recruitments: int(asInt(rec.Values[3])),
		}, nil
	})
	if err != nil {
		return graph.Counts{}, s.wrap(ctx, "counts", err)
	}
	return v.(graph.Counts), nil
}

// session opens a session on the configured database.
func (s *Store) session(_ context.Context, mode drv.AccessMode) drv.SessionWithContext {
	return s.driver.NewSession(context.Background(), drv.SessionConfig{
		AccessMode:   mode,
		DatabaseName: s.cfg.Database,
	})
}

// txWork is a managed-transaction function given the caller's context.
type txWork func(ctx context.Context, tx drv.ManagedTransaction) (any, error)

// read runs work in a managed read transaction (retried by the driver on
// transient errors).
func (s *Store) read(ctx context.Context, work txWork) (any, error) {
	if s.closed.Load() {
		return nil, errClosed
	}
	sess := s.session(ctx, drv.AccessModeRead)
	defer sess.Close(context.WithoutCancel(ctx))
	return sess.ExecuteRead(ctx, func(tx drv.ManagedTransaction) (any, error) { return work(ctx, tx) })
}

// write runs work in a managed write transaction (retried by the driver on
// transient errors, so work must only depend on what it reads in tx).
func (s *Store) write(ctx context.Context, work txWork) (any, error) {
	if s.closed.Load() {
		return nil, errClosed
	}
	sess := s.session(ctx, drv.AccessModeWrite)
	defer sess.Close(context.WithoutCancel(ctx))
	return sess.ExecuteWrite(ctx, func(tx drv.ManagedTransaction) (any, error) { return work(ctx, tx) })
}

// single runs q and returns its only record.
func single(ctx context.Context, tx drv.ManagedTransaction, q string, params map[string]any) (*drv.Record, error) {
	res, err := tx.Run(ctx, q, params)
	if err != nil {
		return nil, err
	}
	return res.Single(ctx)
}

// optional runs q and returns its first record, or nil if it has none.
func optional(ctx context.Context, tx drv.ManagedTransaction, q string, params map[string]any) (*drv.Record, error) {
	res, err := tx.Run(ctx, q, params)
	if err != nil {
		return nil, err
	}
	var rec *drv.Record
	if res.Next(ctx) {
		rec = res.Record()
	}
	if err := res.Err(); err != nil {
		return nil, err
	}
	if _, err := res.Consume(ctx); err != nil {
		return nil, err
	}
	return rec, nil
}

// execTx runs q in tx (a managed transaction, or autoCommit) and
// discards its records.
func execTx(ctx context.Context, tx interface {
	Run(context.Context, string, map[string]any) (drv.ResultWithContext, error)
}, q string, params map[string]any) error {
	res, err := tx.Run(ctx, q, params)
	if err != nil {
		return err
	}
	_, err = res.Consume(ctx)
	return err
}

// each runs q and calls fn for each record, streaming.
func each(ctx context.Context, tx drv.ManagedTransaction, q string, params map[string]any, fn func(*drv.Record) error) error {
	res, err := tx.Run(ctx, q, params)
	if err != nil {
		return err
	}
	for res.Next(ctx) {
		if err := fn(res.Record()); err != nil {
			return err
		}
	}
	return res.Err()
}
