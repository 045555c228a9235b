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
// # Key layout
//
// Ids are 8-byte big-endian keys (valid ids are positive, so byte order is
// numeric order and cursor scans come out sorted by id). Buckets:
//
//	meta        "version"      -> uint64 schema version (3; a file of
//	                              version 1 or 2 is migrated when opened)
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
// A person's record is graph.DeriveRecord of the opening balance and the
// events not removed: AppendEvents adds to it, an upheld dispute derives
// it again. Snapshot gives people with open disputes their record without
// the disputed events (graph.Snapshot.Disputed holds the other). Version 1
// files (no events) and version 2 files (no tie log) are migrated when
// opened: the new buckets are created, no value is rewritten
// (testdata/v1.db, testdata/v2.db, migrate_test.go).
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
// have not consented are dropped, checked in each transaction. History
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
// # Errors
//
// Errors name the operation ("embedded: put tie friend 3-4: ...") and wrap
// the graph sentinels: graph.ErrNotFound, graph.ErrConflict,
// graph.ErrInvalid (usually as a *graph.ValidationError), and
// graph.ErrUnavailable after Close or when the file is locked by another
// process. A cancelled or expired context makes a method return an error
// wrapping the context's error; a write cancelled that way stores nothing.
package embedded
