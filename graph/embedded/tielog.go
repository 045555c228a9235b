package embedded

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/socialscore/socialscore/graph"
)

var _ graph.TieLog = (*Store)(nil)

// bucketTieLog holds the tie log (schema version 3): for each change, one
// entry under each of the two people, person|seq -> entry, so a person's
// log is the prefix scan person|* in the order of seq, and erasing a
// person finds every entry that names them there (each with its mirror
// under the other person). seq is the bucket's sequence.
var bucketTieLog = []byte("tie_log")

// tieLogVersion is the first byte of an entry value.
const tieLogVersion = 1

// tieEntrySize is the size of an entry value: version, op, kind, at (Unix
// nanoseconds), from, to, weight, previous.
const tieEntrySize = 1 + 1 + 1 + 8 + 8 + 8 + 8 + 8

var tieOps = []graph.TieOp{graph.TieAdded, graph.TieRemoved, graph.TieReweighted}

func encodeTieChange(c graph.TieChange) []byte {
	v := make([]byte, tieEntrySize)
	v[0] = tieLogVersion
	for i, op := range tieOps {
		if op == c.Op {
			v[1] = byte(i + 1)
		}
	}
	v[2] = byte(c.Tie.Kind)
	binary.BigEndian.PutUint64(v[3:], uint64(c.At.UnixNano()))
	binary.BigEndian.PutUint64(v[11:], uint64(c.Tie.From))
	binary.BigEndian.PutUint64(v[19:], uint64(c.Tie.To))
	binary.BigEndian.PutUint64(v[27:], math.Float64bits(c.Tie.Weight))
	binary.BigEndian.PutUint64(v[35:], math.Float64bits(c.Previous))
	return v
}

func decodeTieChange(k, v []byte) (graph.TieChange, error) {
	if len(k) != 16 || len(v) != tieEntrySize || v[0] != tieLogVersion || v[1] < 1 || int(v[1]) > len(tieOps) {
		return graph.TieChange{}, fmt.Errorf("tie log entry %x: %w", k, errCorrupt)
	}
	return graph.TieChange{
		Seq: binary.BigEndian.Uint64(k[8:]),
		At:  time.Unix(0, int64(binary.BigEndian.Uint64(v[3:]))).UTC(),
		Op:  tieOps[v[1]-1],
		Tie: graph.Tie{Kind: graph.TieKind(v[2]), From: graph.ID(binary.BigEndian.Uint64(v[11:])),
			To: graph.ID(binary.BigEndian.Uint64(v[19:])), Weight: math.Float64frombits(binary.BigEndian.Uint64(v[27:]))},
		Previous: math.Float64frombits(binary.BigEndian.Uint64(v[35:])),
	}, nil
}

// logTie appends a change of the tie (normalised) to the log of both its
// people, in the transaction that makes it.
func (s *Store) logTie(t *tx, op graph.TieOp, tie graph.Tie, previous float64) error {
	b := t.Bucket(bucketTieLog)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	v := encodeTieChange(graph.TieChange{Seq: seq, At: s.clock(), Op: op, Tie: tie, Previous: previous})
	for _, id := range [...]graph.ID{tie.From, tie.To} {
		if err := b.Put(seqKey(id, seq), v); err != nil {
			return err
		}
	}
	return nil
}

// seqKey returns the 16-byte key id|seq.
func seqKey(id graph.ID, seq uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, uint64(id))
	binary.BigEndian.PutUint64(k[8:], seq)
	return k
}

// eraseTieLog removes every log entry that names the person: theirs, and
// the mirror of each under the other person (DeletePerson).
func eraseTieLog(t *tx, id graph.ID) error {
	b := t.Bucket(bucketTieLog)
	var keys [][]byte
	c := b.Cursor()
	for k, v := c.Seek(idKey(id)); k != nil && keyID(k) == id; k, v = c.Next() {
		e, err := decodeTieChange(k, v)
		if err != nil {
			return err
		}
		other := e.Tie.From
		if other == id {
			other = e.Tie.To
		}
		keys = append(keys, append([]byte(nil), k...), seqKey(other, e.Seq))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// TieHistory returns the person's ties and their logged changes at or
// after since, in one read transaction.
func (s *Store) TieHistory(ctx context.Context, id graph.ID, since time.Time) (graph.TieHistory, error) {
	var h graph.TieHistory
	err := s.view(ctx, func(t *tx) error {
		ties, err := t.ties(id)
		if err != nil {
			return err
		}
		h.Ties, h.Log = ties, []graph.TieChange{}
		c := t.Bucket(bucketTieLog).Cursor()
		for k, v := c.Seek(idKey(id)); k != nil && keyID(k) == id; k, v = c.Next() {
			e, err := decodeTieChange(k, v)
			if err != nil {
				return err
			}
			if !e.At.Before(since) {
				h.Log = append(h.Log, e)
			}
		}
		return nil
	})
	if err != nil {
		return graph.TieHistory{}, fmt.Errorf("embedded: tie history of %d: %w", id, err)
	}
	return h, nil
}
