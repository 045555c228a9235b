package embedded

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/socialscore/socialscore/graph"
)

// errCorrupt marks a stored value that cannot be decoded.
var errCorrupt = errors.New("corrupt value")

// idKey returns the 8-byte big-endian key of an id. Valid ids are positive,
// so byte order is numeric order.
func idKey(id graph.ID) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], uint64(id))
	return k[:]
}

// pairKey returns the 16-byte key a|b.
func pairKey(a, b graph.ID) []byte {
	var k [16]byte
	binary.BigEndian.PutUint64(k[:8], uint64(a))
	binary.BigEndian.PutUint64(k[8:], uint64(b))
	return k[:]
}

// keyID decodes the id in the first 8 bytes of a key.
func keyID(k []byte) graph.ID { return graph.ID(binary.BigEndian.Uint64(k)) }

// Person encoding, version 1:
//
//	[0]      version (1)
//	[1]      flags: consent, and which of the three times are set
//	[2:4]    profile Provided, uint16 big endian
//	[4:6]    profile Verified
//	[6:14]   record PurchaseTotal, float64 bits big endian
//	[14:22]  record DefaultAmount
//	then varints: PurchaseCount, BillsOnTime, BillsLate, BillDaysLate,
//	CreditOnTime, CreditLate, CreditDaysLate, Defaults
//	then for each time that is set (LastEventAt, CreatedAt, UpdatedAt):
//	varint Unix seconds, uvarint nanoseconds
//
// The id is the key and is not repeated in the value.
const (
	personV1 = 1

	flagConsent   = 1 << 0
	flagLastEvent = 1 << 1
	flagCreated   = 1 << 2
	flagUpdated   = 1 << 3

	personFixed = 22
	// personMax bounds an encoded person: the fixed part, 8 varints and 3
	// times of at most 10+10 bytes each.
	personMax = personFixed + 8*binary.MaxVarintLen64 + 3*2*binary.MaxVarintLen64
)

// appendPerson appends the encoding of p (without its id) to dst.
func appendPerson(dst []byte, p *graph.Person) []byte {
	var flags byte
	if p.Consent {
		flags |= flagConsent
	}
	r := &p.Record
	if !r.LastEventAt.IsZero() {
		flags |= flagLastEvent
	}
	if !p.CreatedAt.IsZero() {
		flags |= flagCreated
	}
	if !p.UpdatedAt.IsZero() {
		flags |= flagUpdated
	}
	dst = append(dst, personV1, flags)
	dst = binary.BigEndian.AppendUint16(dst, uint16(p.Profile.Provided))
	dst = binary.BigEndian.AppendUint16(dst, uint16(p.Profile.Verified))
	dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(r.PurchaseTotal))
	dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(r.DefaultAmount))
	for _, v := range [...]int64{r.PurchaseCount, r.BillsOnTime, r.BillsLate, r.BillDaysLate,
		r.CreditOnTime, r.CreditLate, r.CreditDaysLate, r.Defaults} {
		dst = binary.AppendVarint(dst, v)
	}
	for _, t := range [...]time.Time{r.LastEventAt, p.CreatedAt, p.UpdatedAt} {
		if !t.IsZero() {
			dst = binary.AppendVarint(dst, t.Unix())
			dst = binary.AppendUvarint(dst, uint64(t.Nanosecond()))
		}
	}
	return dst
}

// encodePerson returns a fresh encoding of p.
func encodePerson(p *graph.Person) []byte {
	return appendPerson(make([]byte, 0, personMax), p)
}

// personConsents reports whether an encoded person has consented, without
// decoding the rest.
func personConsents(v []byte) bool { return len(v) > 1 && v[1]&flagConsent != 0 }

// decodePerson decodes v into p; id is taken from the key.
func decodePerson(id graph.ID, v []byte, p *graph.Person) error {
	if len(v) < personFixed || v[0] != personV1 {
		return fmt.Errorf("person %d: %w", id, errCorrupt)
	}
	flags := v[1]
	*p = graph.Person{
		ID:      id,
		Consent: flags&flagConsent != 0,
		Profile: graph.Profile{
			Provided: graph.FieldSet(binary.BigEndian.Uint16(v[2:])),
			Verified: graph.FieldSet(binary.BigEndian.Uint16(v[4:])),
		},
	}
	r := &p.Record
	r.PurchaseTotal = math.Float64frombits(binary.BigEndian.Uint64(v[6:]))
	r.DefaultAmount = math.Float64frombits(binary.BigEndian.Uint64(v[14:]))
	rest := v[personFixed:]
	for _, dst := range [...]*int64{&r.PurchaseCount, &r.BillsOnTime, &r.BillsLate, &r.BillDaysLate,
		&r.CreditOnTime, &r.CreditLate, &r.CreditDaysLate, &r.Defaults} {
		x, n := binary.Varint(rest)
		if n <= 0 {
			return fmt.Errorf("person %d: %w", id, errCorrupt)
		}
		*dst, rest = x, rest[n:]
	}
	times := [...]struct {
		flag byte
		dst  *time.Time
	}{{flagLastEvent, &r.LastEventAt}, {flagCreated, &p.CreatedAt}, {flagUpdated, &p.UpdatedAt}}
	for _, t := range times {
		if flags&t.flag == 0 {
			continue
		}
		sec, n := binary.Varint(rest)
		if n <= 0 {
			return fmt.Errorf("person %d: %w", id, errCorrupt)
		}
		rest = rest[n:]
		nsec, n := binary.Uvarint(rest)
		if n <= 0 || nsec >= 1e9 {
			return fmt.Errorf("person %d: %w", id, errCorrupt)
		}
		rest = rest[n:]
		*t.dst = time.Unix(sec, int64(nsec)).UTC()
	}
	if len(rest) != 0 {
		return fmt.Errorf("person %d: %w", id, errCorrupt)
	}
	return nil
}

// Friendship values: empty for the default weight 1, else the weight as
// float64 bits, big endian.

// weightValue returns the stored value of a friendship weight.
func weightValue(w float64) []byte {
	if w == 1 {
		return nil
	}
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), math.Float64bits(w))
}

// decodeWeight decodes a friendship value.
func decodeWeight(v []byte) float64 {
	if len(v) != 8 {
		return 1
	}
	return math.Float64frombits(binary.BigEndian.Uint64(v))
}

// Run encoding, version 1: a version byte (1); ID, Policy and PolicySpec
// each as a uvarint length and the bytes; a flags byte saying which of
// StartedAt and FinishedAt are set, and each time that is set as varint
// Unix seconds and uvarint nanoseconds; People and Friendships as varints.
const (
	runV1 = 1

	flagStarted  = 1 << 0
	flagFinished = 1 << 1
)

func encodeRun(r graph.Run) []byte {
	dst := make([]byte, 0, 64+len(r.ID)+len(r.Policy)+len(r.PolicySpec))
	dst = append(dst, runV1)
	for _, b := range [...][]byte{[]byte(r.ID), []byte(r.Policy), r.PolicySpec} {
		dst = binary.AppendUvarint(dst, uint64(len(b)))
		dst = append(dst, b...)
	}
	var flags byte
	if !r.StartedAt.IsZero() {
		flags |= flagStarted
	}
	if !r.FinishedAt.IsZero() {
		flags |= flagFinished
	}
	dst = append(dst, flags)
	for _, t := range [...]time.Time{r.StartedAt, r.FinishedAt} {
		if !t.IsZero() {
			dst = binary.AppendVarint(dst, t.Unix())
			dst = binary.AppendUvarint(dst, uint64(t.Nanosecond()))
		}
	}
	dst = binary.AppendVarint(dst, int64(r.People))
	dst = binary.AppendVarint(dst, int64(r.Friendships))
	return dst
}

// decodeRun decodes a run. Without spec it leaves PolicySpec nil, which
// saves a copy where the caller needs only the run's name and times.
func decodeRun(v []byte, spec bool) (graph.Run, error) {
	var r graph.Run
	bad := fmt.Errorf("run: %w", errCorrupt)
	if len(v) < 1 || v[0] != runV1 {
		return r, bad
	}
	rest := v[1:]
	var fields [3][]byte
	for i := range fields {
		n, k := binary.Uvarint(rest)
		if k <= 0 || n > uint64(len(rest)-k) {
			return r, bad
		}
		fields[i], rest = rest[k:k+int(n)], rest[k+int(n):]
	}
	r.ID, r.Policy = string(fields[0]), string(fields[1])
	if spec && len(fields[2]) > 0 {
		r.PolicySpec = bytes.Clone(fields[2])
	}
	if len(rest) < 1 {
		return r, bad
	}
	flags := rest[0]
	rest = rest[1:]
	for _, t := range [...]struct {
		flag byte
		dst  *time.Time
	}{{flagStarted, &r.StartedAt}, {flagFinished, &r.FinishedAt}} {
		if flags&t.flag == 0 {
			continue
		}
		sec, k := binary.Varint(rest)
		if k <= 0 {
			return r, bad
		}
		rest = rest[k:]
		nsec, k := binary.Uvarint(rest)
		if k <= 0 || nsec >= 1e9 {
			return r, bad
		}
		rest = rest[k:]
		*t.dst = time.Unix(sec, int64(nsec)).UTC()
	}
	for _, dst := range [...]*int{&r.People, &r.Friendships} {
		x, k := binary.Varint(rest)
		if k <= 0 {
			return r, bad
		}
		*dst, rest = int(x), rest[k:]
	}
	if len(rest) != 0 {
		return r, bad
	}
	return r, nil
}

// Result chunk encoding. A chunk is one version byte, then fixed-size
// records sorted by id. Version 1 (schema version 1) records are 100 bytes:
//
//	[0:8]    ID, uint64 big endian (first, so a chunk can be binary searched)
//	[8:12]   Score, int32
//	[12:16]  Individual, int32
//	[16:56]  Pillars: Purchase, Info, Bills, Credit, Recruitment (float64 bits)
//	[56:64]  Base
//	[64:72]  Network
//	[72:80]  PageRank
//	[80:88]  Percentile
//	[88:92]  Friends, int32
//	[92:100] FriendMean
//
// Version 2 (schema version 2) records are 157 bytes: the 100 above, then
//
//	[100]      flags: 1 Facts.Known, 2 Share.Known
//	[101:133]  Facts: PurchaseCount, BillsOnTime, BillsLate, BillDaysLate,
//	           CreditOnTime, CreditLate, CreditDaysLate, Defaults (uint32)
//	[133:141]  Share.Raise (float64 bits)
//	[141:149]  Share.Lower
//	[149:153]  Share.Raising, int32
//	[153:157]  Share.Lowering, int32
//
// Chunks of both versions are read; a version 1 record decodes with Facts
// and Share unknown (Known false), which is what it holds.
const (
	chunkV1      = 1
	chunkV2      = 2
	resultSizeV1 = 100
	// resultSize is the size of the records SaveRun writes (version 2).
	resultSize = 157

	resultFactsKnown = 1 << 0
	resultShareKnown = 1 << 1
)

// putResult encodes r into dst[:resultSize] (version 2).
func putResult(dst []byte, r *graph.Result) {
	be := binary.BigEndian
	be.PutUint64(dst[0:], uint64(r.ID))
	be.PutUint32(dst[8:], uint32(int32(r.Score)))
	be.PutUint32(dst[12:], uint32(int32(r.Individual)))
	be.PutUint64(dst[16:], math.Float64bits(r.Pillars.Purchase))
	be.PutUint64(dst[24:], math.Float64bits(r.Pillars.Info))
	be.PutUint64(dst[32:], math.Float64bits(r.Pillars.Bills))
	be.PutUint64(dst[40:], math.Float64bits(r.Pillars.Credit))
	be.PutUint64(dst[48:], math.Float64bits(r.Pillars.Recruitment))
	be.PutUint64(dst[56:], math.Float64bits(r.Base))
	be.PutUint64(dst[64:], math.Float64bits(r.Network))
	be.PutUint64(dst[72:], math.Float64bits(r.PageRank))
	be.PutUint64(dst[80:], math.Float64bits(r.Percentile))
	be.PutUint32(dst[88:], uint32(r.Friends))
	be.PutUint64(dst[92:], math.Float64bits(r.FriendMean))
	var flags byte
	if r.Facts.Known {
		flags |= resultFactsKnown
	}
	if r.Share.Known {
		flags |= resultShareKnown
	}
	dst[100] = flags
	f := &r.Facts
	for i, v := range [...]uint32{f.PurchaseCount, f.BillsOnTime, f.BillsLate, f.BillDaysLate,
		f.CreditOnTime, f.CreditLate, f.CreditDaysLate, f.Defaults} {
		be.PutUint32(dst[101+4*i:], v)
	}
	be.PutUint64(dst[133:], math.Float64bits(r.Share.Raise))
	be.PutUint64(dst[141:], math.Float64bits(r.Share.Lower))
	be.PutUint32(dst[149:], uint32(r.Share.Raising))
	be.PutUint32(dst[153:], uint32(r.Share.Lowering))
}

// getResult decodes a record of the given size (resultSizeV1 or
// resultSize) at the start of src. A version 1 record has no facts and no
// friends' shares: they decode with Known false.
func getResult(src []byte, size int) graph.Result {
	be := binary.BigEndian
	f := func(off int) float64 { return math.Float64frombits(be.Uint64(src[off:])) }
	r := graph.Result{
		ID:         graph.ID(be.Uint64(src[0:])),
		Score:      int(int32(be.Uint32(src[8:]))),
		Individual: int(int32(be.Uint32(src[12:]))),
		Pillars: graph.Pillars{
			Purchase: f(16), Info: f(24), Bills: f(32), Credit: f(40), Recruitment: f(48),
		},
		Base:       f(56),
		Network:    f(64),
		PageRank:   f(72),
		Percentile: f(80),
		Friends:    int32(be.Uint32(src[88:])),
		FriendMean: f(92),
	}
	if size < resultSize {
		return r
	}
	flags := src[100]
	if flags&resultFactsKnown != 0 {
		u := func(i int) uint32 { return be.Uint32(src[101+4*i:]) }
		r.Facts = graph.RecordFacts{Known: true, PurchaseCount: u(0), BillsOnTime: u(1), BillsLate: u(2), BillDaysLate: u(3),
			CreditOnTime: u(4), CreditLate: u(5), CreditDaysLate: u(6), Defaults: u(7)}
	}
	if flags&resultShareKnown != 0 {
		r.Share = graph.NetworkShare{Known: true, Raise: f(133), Lower: f(141),
			Raising: int32(be.Uint32(src[149:])), Lowering: int32(be.Uint32(src[153:]))}
	}
	return r
}

// chunkRecords returns the records part of a chunk, how many it holds and
// the size of each (by the chunk's version).
func chunkRecords(v []byte) (recs []byte, n, size int, err error) {
	if len(v) >= 1 {
		switch v[0] {
		case chunkV1:
			size = resultSizeV1
		case chunkV2:
			size = resultSize
		}
	}
	if size == 0 || (len(v)-1)%size != 0 {
		return nil, 0, 0, fmt.Errorf("result chunk: %w", errCorrupt)
	}
	return v[1:], (len(v) - 1) / size, size, nil
}

// chunkFind returns the position of id in a chunk's records of the size,
// by binary search.
func chunkFind(recs []byte, n, size int, id graph.ID) (int, bool) {
	i := sort.Search(n, func(i int) bool {
		return graph.ID(binary.BigEndian.Uint64(recs[i*size:])) >= id
	})
	return i, i < n && graph.ID(binary.BigEndian.Uint64(recs[i*size:])) == id
}

// runKey returns the 8-byte key of a run sequence number.
func runKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq) }

// chunkKey returns the key seq|firstID of a result chunk.
func chunkKey(seq uint64, first graph.ID) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, seq)
	binary.BigEndian.PutUint64(k[8:], uint64(first))
	return k
}

// counter keys in the meta bucket.
var (
	keyVersion      = []byte("version")
	keyPeople       = []byte("people")
	keyConsenting   = []byte("consenting")
	keyFriendships  = []byte("friendships")
	keyRecruitments = []byte("recruitments")
	// keyGeneration is the generation of the network (image.go).
	keyGeneration = []byte("generation")
)

func u64(v []byte) uint64 {
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}
