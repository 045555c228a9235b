// Package embedded is socialscore's default store: in-process, one file on
// disk, over bbolt (go.etcd.io/bbolt). It implements graph.Store and passes
// graphtest.RunStore.
//
// Open it with Open(path) or OpenURL("embedded:///abs/path/file.db"); the
// URL form embedded://rel/path/file.db names a path relative to the
// working directory.
//
// # Durability
//
// Every method that writes runs one bbolt write transaction, which is
// fsynced (NoSync stays false) before the method returns: an acknowledged
// write survives kill -9 and power loss, and a write that was not
// acknowledged is either wholly there or wholly absent. The freelist is
// not written by commits (NoFreelistSync); bbolt rebuilds it when the file
// is opened, which costs a scan of the file but keeps small commits small.
// Writes are serialised; reads run concurrently on consistent views.
// Tie writes and event appends are group-committed: the ones that arrive
// together share one transaction and one fsync (bbolt's Batch), each
// returning only after that commit, so the guarantee above holds for
// each of them (a write that fails in a group fails alone).
//
// The snapshot image (below) is a cache beside the file, never the
// record of anything: it is written after the fact by a temporary file,
// fsync, rename and an fsync of the directory, carries checksums, and is
// used only when it is stamped with the file's current generation. A
// crash while it is written leaves the previous image (or none) and a
// temporary file, which the next Open removes; a damaged, missing or
// stale image costs one read of the records, never a wrong answer.
//
// # Key layout
//
// Ids are 8-byte big-endian keys (valid ids are positive, so byte order is
// numeric order and cursor scans come out sorted by id). Buckets:
//
//	meta        "version"      -> uint64 schema version (4; a file of
//	                              version 1 to 3 is migrated when opened)
//	            "generation"   -> uint64 generation of the network, moved
//	                              on by every write transaction that can
//	                              change what Snapshot returns (see
//	                              Snapshot image below; version 4)
//	            "people", "consenting", "friendships", "recruitments"
//	                           -> uint64 counters, updated in every write
//	                              transaction (so Counts is one small read)
//	            "pseudonym_key" -> the 32 random bytes that pseudonymise
//	                              ids in exports (graph.PseudonymKeyStore),
//	                              written by the first PseudonymKey call; a
//	                              file without it needs no migration
//	people      id             -> person, hand-rolled binary (see below)
//	friends     a|b            -> weight; stored in BOTH directions (a|b and
//	                              b|a), so a person's friendships are the
//	                              prefix scan id|*. The value is empty for
//	                              the default weight 1, else float64 bits.
//	recruits    recruiter|recruit -> empty
//	recruiter   recruit        -> recruiter id (the reverse index that
//	                              enforces one recruiter per recruit)
//	runs        seq            -> run, binary (id, policy, policy spec,
//	                              times, sizes); seq is the bucket's
//	                              increasing sequence, so the last key is
//	                              the latest run
//	results     seq|firstID    -> a chunk of up to 1024 results of run seq,
//	                              sorted by id; firstID is a lower bound of
//	                              the chunk's ids
//	events      person|event   -> a kept event (type, amount, times,
//	                              arrival, provider, dispute flags); event
//	                              ids come from event_owner's sequence
//	event_owner event          -> person (finds an event by id)
//	opening     person         -> the opening balance (person encoding with
//	                              only the record set), stored with the
//	                              person's first event; until then the
//	                              person's record is their opening balance
//	disputes    dispute        -> a version byte (1) and the dispute as JSON;
//	                              ids are the bucket's sequence
//	person_disputes person|dispute -> empty (a person's disputes)
//	open_disputes   person|dispute -> empty, while the dispute is open
//	tie_log     person|seq     -> a tie change (op, kind, time, from, to,
//	                              weight, previous weight), stored under
//	                              both people of the tie; seq is the
//	                              bucket's sequence (schema version 3)
//
// Beside the file, at its path + ".csr" (ImagePath), lies the snapshot
// image, and while one is being written a temporary path + ".csr.tmp-*".
//
// A person's record is graph.DeriveRecord of the opening balance and the
// events not removed: AppendEvents adds to it, an upheld dispute derives
// it again. Snapshot gives people with open disputes their record without
// the disputed events (graph.Snapshot.Disputed holds the other). Version 1
// files (no events) and version 2 files (no tie log) are migrated when
// opened: the new buckets are created, no value is rewritten
// (testdata/v1.db, testdata/v2.db, migrate_test.go). Version 3 files get a
// generation (testdata/v3.db).
//
// PutTie and DeleteTie log each change of a tie in their transaction;
// DeletePerson deletes every log entry that names the person, theirs and
// the mirror under the other person, with the ties.
//
// A person value is: a version byte (1); a flags byte (consent, and which
// of LastEventAt, CreatedAt, UpdatedAt are set); Provided and Verified as
// uint16; PurchaseTotal and DefaultAmount as float64 bits; the eight
// counters of the record as varints; each time that is set as varint Unix
// seconds and uvarint nanoseconds. Times are read back in UTC with full
// precision. The consent flag sits at a fixed offset so scans can filter
// on it without decoding.
//
// A result chunk is a version byte followed by fixed-size records (id,
// score and individual as int32, the floats as float64 bits, friends as
// int32; version 2 adds the record facts and the friends' shares: 157
// bytes a record, version 1 had 100), so History binary-searches one chunk
// per retained run and SaveRun writes about a thousand keys per million
// results. Chunks written by schema version 1 keep their version and are
// read with facts and shares unknown.
//
// # Snapshot image
//
// Snapshot answers from the snapshot image, a graph.WriteImage file of
// the last snapshot read (CSR arrays, records and profiles as fixed-size
// little-endian arrays, CRC-32C checksummed), when it is valid and
// stamped with the generation the file has after the image was loaded;
// reading it is a few sequential reads and no per-record decoding. Else
// it reads the records (FreshSnapshot) and saves their image in the
// background (Close waits for it), stamped with the generation read in
// the same read transaction; one such rebuild runs at a time, its save
// included, and concurrent callers then read its image. So
// Snapshot never returns a network older than the last write
// acknowledged before it was called. A bulk loader that holds the network
// it has just loaded saves its image with SaveImage, without reading the
// records again.
//
// Every write transaction moves the generation on except SaveRun, the API
// key writes and the pseudonym key (updateQuiet): a write that may change
// the network, even if it happens not to, makes the image stale. The
// generation starts at a random value below 2^62 when a file is made or
// migrated and each write adds 1 plus a random 32-bit amount, so an image
// matches only the file history it was read from, not a new file at the
// same path or a restored copy that diverged. Open also deletes the image
// beside a file it has just made or migrated. The version went to 4 with
// the generation because a program of version 3 would write without
// moving it on, and its writes would then be hidden by a current-looking
// image; it refuses a version 4 file. WithoutImage turns the image off.
//
// # Runs and erasure
//
// SaveRun and SaveRunFrom (results handed over one at a time, as
// scoring.Runner does, so a run of 10 million is never one buffer) write
// at most 2^18 results (about 40 MB of chunks) a transaction. A run that
// fits one is written with the deletion of runs beyond the retention
// limit (WithKeepRuns, default 24) in one transaction. A larger run first
// records its sequence number as pending (meta "pending_run"), writes its
// chunks a transaction at a time, and then, in one last transaction,
// stores its run record (which makes it the latest: LatestRun and History
// read only runs with a record), clears the mark and prunes. Until then
// its chunks are invisible; an error deletes them, and after a crash the
// next save does (clearPending). Results of people who do not exist or
// have not consented are dropped, checked in each transaction by merging
// the batch's ids with the people bucket. SaveRunOf (scoring.Runner's
// choice) is told the snapshot the results come from: a transaction that
// finds the generation still the one that snapshot was read at, and its
// results' ids equal to the snapshot's people, skips the merge, since the
// snapshot's people are then exactly those who exist and consent (at 10M
// people the merge was 5–8 s of one core). History
// reaches back over the retained runs only. EachLatestResult streams the
// latest run's results in one read transaction and then drops the file's
// pages from the process's resident set (madvise MADV_DONTNEED on Linux,
// inside the transaction so bbolt cannot remap meanwhile): a server that
// loaded 10M results keeps its view, not 1.6 GB of mapped file besides.
//
// DeletePerson, and PutPerson withdrawing consent, erase the person's
// results from every retained run in the same transaction, by rewriting
// the one chunk per run that holds them, and from the chunks a pending run
// has written so far.
//
// # Bulk loads
//
// ApplyBatch checks the whole batch (validity, duplicate and existing ids,
// missing people, recruiters) before it writes anything, then writes in
// key order in one transaction. When the batch's ids all sort after the
// stored ones, as when seeding an empty store, the existence checks are
// skipped and pages are filled completely (FillPercent 1).
//
// Load (load.go) fills an empty store from a LoadSource (seed.Network) in
// bounded transactions, so memory does not grow with the network: people
// in id order (2^19 per transaction), friend keys a|b in both directions
// in key order, which is the order of a CSR read person by person (2^22
// keys per transaction: bbolt keeps every key of a transaction in memory,
// about 100 bytes each, until it commits), then recruitments, the
// recruiter index and the counters. Every put appends to the last page and
// pages are filled completely. The result is, key for key and value for
// value, what one ApplyBatch of the same population leaves
// (TestLoadSeedEqualsApplyBatch, TestLoadImportEqualsApplyBatch). Its
// first transaction puts meta/"loading" and its last deletes it; Open
// refuses a file that keeps the mark, naming the cause ("an interrupted
// load ...; delete it and load again"), since such a store lacks part of
// its network and its counters (TestLoadKilled kills a loading process).
// LoadedSnapshot builds the snapshot of a freshly loaded store from the
// loader's arrays, without reading the store.
//
// # Errors
//
// Errors name the operation ("embedded: put tie friend 3-4: ...") and wrap
// the graph sentinels: graph.ErrNotFound, graph.ErrConflict,
// graph.ErrInvalid (usually as a *graph.ValidationError), and
// graph.ErrUnavailable after Close or when the file is locked by another
// process. A cancelled or expired context makes a method return an error
// wrapping the context's error; a write cancelled that way stores nothing.
package embedded
