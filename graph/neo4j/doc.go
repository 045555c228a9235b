// Package neo4j is the graph.Store over a Neo4j 5 server (Community or
// Enterprise), through github.com/neo4j/neo4j-go-driver/v5.
//
// # Graph model
//
//	(:Person {id, consent, provided, verified,
//	          purchase_total, purchase_count,
//	          bills_on_time, bills_late, bill_days_late,
//	          credit_on_time, credit_late, credit_days_late,
//	          defaults, default_amount, last_event_at,
//	          created_at, updated_at})
//
// One node per person. id is the graph.ID (unique: constraint person_id);
// Neo4j's own element ids are never used as identifiers. provided and
// verified are the graph.FieldSet bit sets of the profile; the record
// fields are the graph.Record aggregates; times are UTC datetimes
// (last_event_at is absent while the record has no event).
//
//	(:Person)-[:FRIEND {weight}]->(:Person)
//
// A friendship is undirected but stored once, from the smaller id to the
// larger; every query matches it with an undirected pattern. weight is
// always set (1 by default).
//
//	(:Person)-[:RECRUITED]->(:Person)
//
// Recruiter → recruit; a recruit has at most one recruiter.
//
//	(:Run {key, id, seq, complete, policy, policy_spec, started_at,
//	       finished_at, people, friendships, saving_at | saved_at})
//	(:ScoreChunk {run, lo, hi, n, ids, score, individual,
//	              purchase, info, bills, credit, recruitment,
//	              base, network, pagerank, percentile,
//	              friends, friend_mean})
//	(:ScoreMeta {name: 'scores', seq})
//
// A scoring run's results are packed in chunks: each :ScoreChunk holds up
// to Config.ChunkSize results of one run as parallel list properties (ids
// ascending, lo and hi the first and last id), so saving 100,000 results
// writes ~200 nodes instead of 100,000, and reading a run back is ~200
// records. A run is saved under a fresh key (chunks point at it by
// ScoreChunk.run = Run.key); it is invisible (complete = false) until a
// last transaction marks it complete and gives it the next seq from the
// :ScoreMeta node, so LatestRun (the complete run with the highest seq)
// never sees a half-saved run. A run id is saved once (again:
// graph.ErrConflict); saving deletes complete runs beyond the newest
// Config.KeepRuns (20, as the embedded store).
//
// History finds, in each complete run, the one chunk whose [lo, hi] holds
// the person (index score_chunk_run_lo) and picks their element in Cypher,
// so only two numbers per run cross the wire. Erasure (DeletePerson,
// consent withdrawn) removes the person's element from every list of those
// chunks, in complete and unfinished runs, in the same transaction as the
// change itself.
//
// The :ScoreMeta node doubles as a lock: writing chunks (which first drops
// results of people who no longer exist or no longer consent) and erasing
// scores both write it first, so the two cannot interleave and a deleted
// person's score cannot slip into a run being saved.
//
// # Transactions and errors
//
// Every operation runs in a managed transaction (ExecuteRead/ExecuteWrite)
// with the caller's context; the driver retries transient failures for up
// to Config.RetryTime. A server that cannot be reached, a deadline that ran
// out waiting for it, or a transient server error is reported as an error
// wrapping graph.ErrUnavailable; a uniqueness violation as graph.ErrConflict.
// Errors name the operation: "neo4j: put tie 3-4: ...". The Store keeps no
// state besides the driver's pool, so after the server restarts the same
// Store works again.
//
// ApplyBatch validates the whole batch first (in Go, then against the
// database) and writes with UNWIND statements of Config.BatchSize rows,
// creating relationships with CREATE (the check proved them new). Batches
// beyond Config.TxRows rows are written over several transactions and
// undone on failure; see ApplyBatch.
//
// Snapshot streams three queries (people, friendships, recruitments) in one
// read transaction into a graph.SnapshotBuilder.
package neo4j
