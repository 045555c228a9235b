package neo4j

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	mrand "math/rand/v2"
	"strings"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// The generation counts the write transactions that may have changed the
// snapshot: every write of people, ties, records, events, disputes and
// batches adds one, in its own transaction (writeGen), and nothing else
// does (scoring runs, API keys and the pseudonym key leave it). It is kept
// in genShards nodes
//
//	(:SnapshotGen {shard, n, epoch})
//
// and is the sum of their n: a write adds one to a shard chosen at random,
// so concurrent writes seldom wait for each other's shard (one node would
// serialise every write of the database). The bump is the last statement
// of its transaction, so a transaction holding a shard's lock waits for
// nothing else and two writes cannot deadlock over shards.
//
// epoch is a random token the shards are created with; it names the
// database's snapshot image (snapcache.go). Open creates the shards when
// there are none, so a database written by an earlier version needs no
// migration; if they are found missing or damaged later (a database wiped
// behind the store's back, as tests do), they are made again with a new
// epoch, which an older image cannot match. Writes made without this
// store (raw Cypher, another program) do not bump the generation: after
// such writes delete the shards (MATCH (g:SnapshotGen) DELETE g) and the
// next snapshot is read afresh.
const genShards = 16

// generation is a state of the shards: their epoch and the sum of their
// counters. The zero value is an unknown generation.
type generation struct {
	epoch string
	n     int64
}

func (g generation) known() bool { return g.epoch != "" }

const (
	qReadGeneration = `
MATCH (g:SnapshotGen)
RETURN count(g), sum(g.n), min(g.epoch), max(g.epoch)`
	qBumpGeneration  = `MATCH (g:SnapshotGen {shard: $shard}) SET g.n = g.n + 1`
	qResetGeneration = `
OPTIONAL MATCH (old:SnapshotGen) DELETE old
WITH count(*) AS _
UNWIND range(0, $shards - 1) AS k
CREATE (:SnapshotGen {shard: k, n: 0, epoch: $epoch})`
)

// readGeneration returns the current generation, or the zero generation
// when the shards are missing or damaged.
func (s *Store) readGeneration(ctx context.Context) (generation, error) {
	v, err := s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		rec, err := single(ctx, tx, qReadGeneration, nil)
		if err != nil {
			return nil, err
		}
		lo, hi := asString(rec.Values[2]), asString(rec.Values[3])
		if asInt(rec.Values[0]) != genShards || lo == "" || lo != hi {
			return generation{}, nil
		}
		return generation{epoch: lo, n: asInt(rec.Values[1])}, nil
	})
	if err != nil {
		return generation{}, err
	}
	return v.(generation), nil
}

// generation returns the current generation, making the shards again with
// a new epoch if they are missing or damaged. If they cannot be made (a
// user without write access, say) it returns the zero generation: the
// snapshot is then read without a consistency check and not cached.
func (s *Store) generation(ctx context.Context) (generation, error) {
	for range 3 {
		g, err := s.readGeneration(ctx)
		if err != nil || g.known() {
			return g, err
		}
		err = s.resetGeneration(ctx)
		var ne *drv.Neo4jError
		switch {
		case err == nil:
		case isUnavailable(ctx, err), errors.Is(err, errClosed):
			return generation{}, err
		case errors.As(err, &ne) && strings.HasPrefix(ne.Code, "Neo.ClientError.Security."):
			return generation{}, nil
		}
		// Made, or another process made them at the same time (its
		// shards violate the constraint on ours): read them.
	}
	return s.readGeneration(ctx)
}

// resetGeneration replaces the shards with genShards new ones of a new
// epoch. Two processes doing it at once: one of them fails on the
// snapshot_gen_shard constraint and reads the other's.
func (s *Store) resetGeneration(ctx context.Context) error {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	epoch := hex.EncodeToString(b[:])
	_, err := s.write(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		return nil, execTx(ctx, tx, qResetGeneration, map[string]any{"shards": int64(genShards), "epoch": epoch})
	})
	return err
}

// bumpGeneration adds one to a random shard; it must be the last
// statement of a write transaction (see genShards).
func bumpGeneration(ctx context.Context, tx drv.ManagedTransaction) error {
	return execTx(ctx, tx, qBumpGeneration, map[string]any{"shard": int64(mrand.IntN(genShards))})
}

// writeGen runs work in a managed write transaction, like write, and
// bumps the generation at its end, in the same transaction.
func (s *Store) writeGen(ctx context.Context, work txWork) (any, error) {
	if s.noGen {
		return s.write(ctx, work)
	}
	return s.write(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		v, err := work(ctx, tx)
		if err != nil {
			return v, err
		}
		if err := bumpGeneration(ctx, tx); err != nil {
			return nil, err
		}
		return v, nil
	})
}
