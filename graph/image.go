package graph

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"
	"unsafe"
)

// A snapshot image is a Snapshot written as one binary file, so that a
// scoring run reads the network with one sequential read and bulk copies
// instead of decoding millions of store records (docs/architecture.md,
// "Stores": the persisted snapshot). Layout, every number little-endian:
//
//	header (128 bytes)
//	  0  magic "SSCSRIMG"
//	  8  format version, uint32 (imageVersion)
//	 12  nil mask, uint32: bit i set when array i below is nil (not just
//	     empty), so an image reads back deep-equal to what was written
//	 16  generation, uint64: the store state the image reflects
//	 24  TakenAt: Unix seconds, int64
//	 32  TakenAt: nanoseconds, int64; −1 for the zero time
//	 40  the ten array lengths (elements), uint64 each, in the order below
//	120  CRC-32C of bytes 0..119, uint32
//	124  zero, uint32
//	arrays, back to back, in this order:
//	  0 IDs             int64
//	  1 Offsets         int32
//	  2 Targets         int32
//	  3 Weights         float32 bits
//	  4 ExactWeights    float64 bits
//	  5 RecruitOffsets  int32
//	  6 RecruitTargets  int32
//	  7 Records         96 bytes each (recordSize)
//	  8 Profiles        Provided, Verified as uint16
//	  9 Disputed        id int64, open int64, record (112 bytes each)
//	trailer: CRC-32C (Castagnoli) of everything before it, uint32
//
// A record is PurchaseTotal and DefaultAmount as float64 bits, the eight
// counters as int64, LastEventAt as Unix seconds and nanoseconds (−1 for
// the zero time). Times read back in UTC without a monotonic reading, as
// the stores hand them out.
//
// The header has a checksum of its own so that a damaged length is caught
// before anything is allocated for it; the trailer covers every byte. The
// version is checked before the header checksum, since another version
// may lay its header out differently.

// ErrImageInvalid is wrapped by every error reading an image that is torn,
// corrupt, of an unknown format version or not a well-formed snapshot.
var ErrImageInvalid = errors.New("snapshot image invalid")

const (
	imageMagic      = "SSCSRIMG"
	imageVersion    = 1
	imageHeaderSize = 128
	imageArrays     = 10
	recordSize      = 96
	profileSize     = 4
	disputedSize    = 16 + recordSize
	// imageChunk is how many bytes of records are converted at a time.
	imageChunk = 1 << 20
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// nativeLE reports whether this machine is little-endian; then arrays of
// numbers are written and read as they lie in memory. Tests clear it to
// exercise the portable path.
var nativeLE = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// imageLayout is the lengths of the ten arrays and which are nil.
type imageLayout struct {
	lens    [imageArrays]uint64
	nilMask uint32
}

var elemSizes = [imageArrays]uint64{8, 4, 4, 4, 8, 4, 4, recordSize, profileSize, disputedSize}

// size returns the whole image's size in bytes, or false if it would
// overflow.
func (l imageLayout) size() (uint64, bool) {
	total := uint64(imageHeaderSize + 4)
	for i, n := range l.lens {
		if n > math.MaxInt32 {
			return 0, false
		}
		total += n * elemSizes[i]
	}
	return total, true
}

func layoutOf(s *Snapshot) imageLayout {
	var l imageLayout
	set := func(i int, n int, isNil bool) {
		l.lens[i] = uint64(n)
		if isNil {
			l.nilMask |= 1 << i
		}
	}
	set(0, len(s.IDs), s.IDs == nil)
	set(1, len(s.Offsets), s.Offsets == nil)
	set(2, len(s.Targets), s.Targets == nil)
	set(3, len(s.Weights), s.Weights == nil)
	set(4, len(s.ExactWeights), s.ExactWeights == nil)
	set(5, len(s.RecruitOffsets), s.RecruitOffsets == nil)
	set(6, len(s.RecruitTargets), s.RecruitTargets == nil)
	set(7, len(s.Records), s.Records == nil)
	set(8, len(s.Profiles), s.Profiles == nil)
	set(9, len(s.Disputed), s.Disputed == nil)
	return l
}

// ValidateSnapshot checks that the snapshot is well formed: one record,
// profile and offset per person, ids positive and strictly ascending,
// both CSRs valid (CSR.Validate), ExactWeights nil or parallel to
// Targets (and then Weights too), and Disputed ascending by id, naming
// people of the snapshot. Images are checked with it when written and
// when read.
func ValidateSnapshot(s *Snapshot) error {
	n := len(s.IDs)
	for i, id := range s.IDs {
		if id <= 0 || (i > 0 && id <= s.IDs[i-1]) {
			return Invalid("ids", "entry %d is %d: ids must be positive and strictly ascending", i, id)
		}
	}
	if err := s.FriendsCSR().Validate(n); err != nil {
		return Under("friends", err)
	}
	if s.ExactWeights != nil {
		if len(s.ExactWeights) != len(s.Targets) || s.Weights == nil {
			return Invalid("exact_weights", "has %d entries for %d targets (weights set: %t)", len(s.ExactWeights), len(s.Targets), s.Weights != nil)
		}
	}
	if err := s.RecruitsCSR().Validate(n); err != nil {
		return Under("recruits", err)
	}
	if len(s.Records) != n {
		return Invalid("records", "has %d entries for %d people", len(s.Records), n)
	}
	if len(s.Profiles) != n {
		return Invalid("profiles", "has %d entries for %d people", len(s.Profiles), n)
	}
	for i, d := range s.Disputed {
		if i > 0 && d.ID <= s.Disputed[i-1].ID {
			return Invalid("disputed", "entry %d (id %d) is not in ascending id order", i, d.ID)
		}
		if _, ok := s.Index(d.ID); !ok {
			return Invalid("disputed", "entry %d names id %d, who is not in the snapshot", i, d.ID)
		}
	}
	return nil
}

// WriteImage writes s as a checksummed binary image stamped with gen (the
// store generation it reflects). A snapshot that is not well formed
// (ValidateSnapshot) is refused before anything is written.
func WriteImage(w io.Writer, s *Snapshot, gen uint64) error {
	if err := ValidateSnapshot(s); err != nil {
		return fmt.Errorf("snapshot image: write: %w", err)
	}
	l := layoutOf(s)
	bw := bufio.NewWriterSize(w, 1<<16)
	iw := &imageWriter{w: bw}

	var h [imageHeaderSize]byte
	copy(h[:8], imageMagic)
	le := binary.LittleEndian
	le.PutUint32(h[8:], imageVersion)
	le.PutUint32(h[12:], l.nilMask)
	le.PutUint64(h[16:], gen)
	sec, nsec := timeBits(s.TakenAt)
	le.PutUint64(h[24:], uint64(sec))
	le.PutUint64(h[32:], uint64(nsec))
	for i, n := range l.lens {
		le.PutUint64(h[40+8*i:], n)
	}
	le.PutUint32(h[120:], crc32.Checksum(h[:120], crcTable))
	iw.write(h[:])

	writeNums(iw, s.IDs)
	writeNums(iw, s.Offsets)
	writeNums(iw, s.Targets)
	writeNums(iw, s.Weights)
	writeNums(iw, s.ExactWeights)
	writeNums(iw, s.RecruitOffsets)
	writeNums(iw, s.RecruitTargets)
	writeFixed(iw, s.Records, recordSize, func(b []byte, r *Record) { putRecord(b, r) })
	writeFixed(iw, s.Profiles, profileSize, func(b []byte, p *Profile) {
		le.PutUint16(b, uint16(p.Provided))
		le.PutUint16(b[2:], uint16(p.Verified))
	})
	writeFixed(iw, s.Disputed, disputedSize, func(b []byte, d *DisputedRecord) {
		le.PutUint64(b, uint64(d.ID))
		le.PutUint64(b[8:], uint64(int64(d.Open)))
		putRecord(b[16:], &d.Record)
	})
	if iw.err != nil {
		return fmt.Errorf("snapshot image: write: %w", iw.err)
	}
	var tr [4]byte
	le.PutUint32(tr[:], iw.crc)
	if _, err := bw.Write(tr[:]); err != nil {
		return fmt.Errorf("snapshot image: write: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("snapshot image: write: %w", err)
	}
	return nil
}

// imageWriter writes and checksums, keeping the first error.
type imageWriter struct {
	w   io.Writer
	crc uint32
	err error
	buf []byte
}

func (iw *imageWriter) write(b []byte) {
	if iw.err != nil || len(b) == 0 {
		return
	}
	iw.crc = crc32.Update(iw.crc, crcTable, b)
	_, iw.err = iw.w.Write(b)
}

// number is the element type of the arrays written as they are.
type number interface {
	~int32 | ~int64 | ~float32 | ~float64
}

// bytesOf returns the memory of the slice as bytes (little-endian hosts).
func bytesOf[T number](xs []T) []byte {
	if len(xs) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&xs[0])), len(xs)*int(unsafe.Sizeof(xs[0])))
}

func writeNums[T number](iw *imageWriter, xs []T) {
	if nativeLE {
		iw.write(bytesOf(xs))
		return
	}
	size := int(unsafe.Sizeof(xs[0:1][0]))
	writeFixed(iw, xs, size, func(b []byte, x *T) { putNum(b, *x) })
}

// writeFixed writes xs with a fixed-size encoding, a chunk at a time.
func writeFixed[T any](iw *imageWriter, xs []T, size int, put func([]byte, *T)) {
	per := min(max(imageChunk/size, 1), len(xs))
	if cap(iw.buf) < per*size {
		iw.buf = make([]byte, per*size)
	}
	for start := 0; start < len(xs) && iw.err == nil; start += per {
		end := min(start+per, len(xs))
		b := iw.buf[:(end-start)*size]
		for i := start; i < end; i++ {
			put(b[(i-start)*size:], &xs[i])
		}
		iw.write(b)
	}
}

func putNum[T number](b []byte, x T) {
	le := binary.LittleEndian
	switch v := any(x).(type) {
	case int32:
		le.PutUint32(b, uint32(v))
	case int64:
		le.PutUint64(b, uint64(v))
	case float32:
		le.PutUint32(b, math.Float32bits(v))
	case float64:
		le.PutUint64(b, math.Float64bits(v))
	case ID:
		le.PutUint64(b, uint64(v))
	default:
		panic(fmt.Sprintf("snapshot image: no encoding for %T", x))
	}
}

func getNum[T number](b []byte, x *T) {
	le := binary.LittleEndian
	switch p := any(x).(type) {
	case *int32:
		*p = int32(le.Uint32(b))
	case *int64:
		*p = int64(le.Uint64(b))
	case *float32:
		*p = math.Float32frombits(le.Uint32(b))
	case *float64:
		*p = math.Float64frombits(le.Uint64(b))
	case *ID:
		*p = ID(le.Uint64(b))
	default:
		panic(fmt.Sprintf("snapshot image: no decoding for %T", x))
	}
}

// timeBits encodes a time as Unix seconds and nanoseconds, −1 nanoseconds
// for the zero time.
func timeBits(t time.Time) (int64, int64) {
	if t.IsZero() {
		return 0, -1
	}
	return t.Unix(), int64(t.Nanosecond())
}

func timeFrom(sec, nsec int64) (time.Time, error) {
	switch {
	case nsec == -1 && sec == 0:
		return time.Time{}, nil
	case nsec < 0 || nsec >= 1e9:
		return time.Time{}, fmt.Errorf("time has %d nanoseconds", nsec)
	}
	return time.Unix(sec, nsec).UTC(), nil
}

func putRecord(b []byte, r *Record) {
	le := binary.LittleEndian
	le.PutUint64(b[0:], math.Float64bits(r.PurchaseTotal))
	le.PutUint64(b[8:], uint64(r.PurchaseCount))
	le.PutUint64(b[16:], uint64(r.BillsOnTime))
	le.PutUint64(b[24:], uint64(r.BillsLate))
	le.PutUint64(b[32:], uint64(r.BillDaysLate))
	le.PutUint64(b[40:], uint64(r.CreditOnTime))
	le.PutUint64(b[48:], uint64(r.CreditLate))
	le.PutUint64(b[56:], uint64(r.CreditDaysLate))
	le.PutUint64(b[64:], uint64(r.Defaults))
	le.PutUint64(b[72:], math.Float64bits(r.DefaultAmount))
	sec, nsec := timeBits(r.LastEventAt)
	le.PutUint64(b[80:], uint64(sec))
	le.PutUint64(b[88:], uint64(nsec))
}

func getRecord(b []byte, r *Record) error {
	le := binary.LittleEndian
	*r = Record{
		PurchaseTotal:  math.Float64frombits(le.Uint64(b[0:])),
		PurchaseCount:  int64(le.Uint64(b[8:])),
		BillsOnTime:    int64(le.Uint64(b[16:])),
		BillsLate:      int64(le.Uint64(b[24:])),
		BillDaysLate:   int64(le.Uint64(b[32:])),
		CreditOnTime:   int64(le.Uint64(b[40:])),
		CreditLate:     int64(le.Uint64(b[48:])),
		CreditDaysLate: int64(le.Uint64(b[56:])),
		Defaults:       int64(le.Uint64(b[64:])),
		DefaultAmount:  math.Float64frombits(le.Uint64(b[72:])),
	}
	t, err := timeFrom(int64(le.Uint64(b[80:])), int64(le.Uint64(b[88:])))
	r.LastEventAt = t
	return err
}

// ReadImage reads an image written by WriteImage and returns the snapshot
// and the generation it was stamped with. A torn, corrupt or
// unknown-version image, or one that is not a well-formed snapshot
// (ValidateSnapshot), is an error wrapping ErrImageInvalid; an error of
// r itself is returned wrapped as it is.
func ReadImage(r io.Reader) (*Snapshot, uint64, error) {
	s, gen, _, err := readImage(r)
	return s, gen, err
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrImageInvalid, fmt.Sprintf(format, args...))
}

// readHeader reads and checks the header.
func readHeader(r io.Reader, h *[imageHeaderSize]byte) (imageLayout, uint64, time.Time, error) {
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return imageLayout{}, 0, time.Time{}, readErr("header", err)
	}
	le := binary.LittleEndian
	if string(h[:8]) != imageMagic {
		return imageLayout{}, 0, time.Time{}, invalid("not a snapshot image (magic %q)", h[:8])
	}
	if v := le.Uint32(h[8:]); v != imageVersion {
		return imageLayout{}, 0, time.Time{}, invalid("format version %d, this program reads version %d", v, imageVersion)
	}
	if got, want := crc32.Checksum(h[:120], crcTable), le.Uint32(h[120:]); got != want || le.Uint32(h[124:]) != 0 {
		return imageLayout{}, 0, time.Time{}, invalid("header checksum mismatch")
	}
	var l imageLayout
	l.nilMask = le.Uint32(h[12:])
	gen := le.Uint64(h[16:])
	taken, err := timeFrom(int64(le.Uint64(h[24:])), int64(le.Uint64(h[32:])))
	if err != nil {
		return imageLayout{}, 0, time.Time{}, invalid("taken at: %v", err)
	}
	for i := range l.lens {
		l.lens[i] = le.Uint64(h[40+8*i:])
	}
	if _, ok := l.size(); !ok || l.nilMask>>imageArrays != 0 {
		return imageLayout{}, 0, time.Time{}, invalid("array lengths out of range")
	}
	for i, n := range l.lens {
		if l.nilMask&(1<<i) != 0 && n != 0 {
			return imageLayout{}, 0, time.Time{}, invalid("array %d is nil with %d entries", i, n)
		}
	}
	return l, gen, taken, nil
}

// readErr turns a short read into ErrImageInvalid (a torn image) and
// keeps other errors of the reader.
func readErr(what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return invalid("torn: %s cut short", what)
	}
	return fmt.Errorf("snapshot image: read %s: %w", what, err)
}

// imageReader reads and checksums.
type imageReader struct {
	r   io.Reader
	crc uint32
	err error
	buf []byte
}

func (ir *imageReader) read(what string, b []byte) {
	if ir.err != nil || len(b) == 0 {
		return
	}
	if _, err := io.ReadFull(ir.r, b); err != nil {
		ir.err = readErr(what, err)
		return
	}
	ir.crc = crc32.Update(ir.crc, crcTable, b)
}

func readNums[T number](ir *imageReader, what string, l imageLayout, i int) []T {
	n := int(l.lens[i])
	if l.nilMask&(1<<i) != 0 || ir.err != nil {
		return nil
	}
	xs := make([]T, n)
	if nativeLE {
		ir.read(what, bytesOf(xs))
		return xs
	}
	size := int(elemSizes[i])
	readFixed(ir, what, xs, size, func(b []byte, x *T) error { getNum(b, x); return nil })
	return xs
}

func readFixedArray[T any](ir *imageReader, what string, l imageLayout, i int, get func([]byte, *T) error) []T {
	if l.nilMask&(1<<i) != 0 || ir.err != nil {
		return nil
	}
	xs := make([]T, l.lens[i])
	readFixed(ir, what, xs, int(elemSizes[i]), get)
	return xs
}

func readFixed[T any](ir *imageReader, what string, xs []T, size int, get func([]byte, *T) error) {
	per := min(max(imageChunk/size, 1), len(xs))
	if cap(ir.buf) < per*size {
		ir.buf = make([]byte, per*size)
	}
	for start := 0; start < len(xs) && ir.err == nil; start += per {
		end := min(start+per, len(xs))
		b := ir.buf[:(end-start)*size]
		ir.read(what, b)
		if ir.err != nil {
			return
		}
		for i := start; i < end; i++ {
			if err := get(b[(i-start)*size:], &xs[i]); err != nil {
				ir.err = invalid("%s entry %d: %v", what, i, err)
				return
			}
		}
	}
}

func readImage(r io.Reader) (*Snapshot, uint64, imageLayout, error) {
	var h [imageHeaderSize]byte
	l, gen, taken, err := readHeader(r, &h)
	if err != nil {
		return nil, 0, l, err
	}
	ir := &imageReader{r: r, crc: crc32.Checksum(h[:], crcTable)}
	le := binary.LittleEndian
	s := &Snapshot{TakenAt: taken}
	s.IDs = readNums[ID](ir, "ids", l, 0)
	s.Offsets = readNums[int32](ir, "offsets", l, 1)
	s.Targets = readNums[int32](ir, "targets", l, 2)
	s.Weights = readNums[float32](ir, "weights", l, 3)
	s.ExactWeights = readNums[float64](ir, "exact weights", l, 4)
	s.RecruitOffsets = readNums[int32](ir, "recruit offsets", l, 5)
	s.RecruitTargets = readNums[int32](ir, "recruit targets", l, 6)
	s.Records = readFixedArray(ir, "records", l, 7, getRecord)
	s.Profiles = readFixedArray(ir, "profiles", l, 8, func(b []byte, p *Profile) error {
		*p = Profile{Provided: FieldSet(le.Uint16(b)), Verified: FieldSet(le.Uint16(b[2:]))}
		return nil
	})
	s.Disputed = readFixedArray(ir, "disputed", l, 9, func(b []byte, d *DisputedRecord) error {
		d.ID, d.Open = ID(le.Uint64(b)), int(int64(le.Uint64(b[8:])))
		return getRecord(b[16:], &d.Record)
	})
	if ir.err != nil {
		return nil, 0, l, ir.err
	}
	var tr [4]byte
	if _, err := io.ReadFull(r, tr[:]); err != nil {
		return nil, 0, l, readErr("checksum", err)
	}
	if le.Uint32(tr[:]) != ir.crc {
		return nil, 0, l, invalid("checksum mismatch")
	}
	if err := ValidateSnapshot(s); err != nil {
		return nil, 0, l, fmt.Errorf("%w: %w", ErrImageInvalid, err)
	}
	return s, gen, l, nil
}

// SaveImageFile writes the image of s stamped with gen to path
// atomically: to a temporary file in the same directory, fsynced, renamed
// over path, and the directory fsynced. A crash at any point leaves path
// as it was or as the complete new image; a temporary file left by a
// crash is named path + ".tmp-*" (CleanImageTemps removes them).
func SaveImageFile(path string, s *Snapshot, gen uint64) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, base+".tmp-*")
	if err != nil {
		return fmt.Errorf("snapshot image: save %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
			err = fmt.Errorf("snapshot image: save %s: %w", path, err)
		}
	}()
	if err = WriteImage(f, s, gen); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// CleanImageTemps removes the temporary files that SaveImageFile calls
// for path left behind when they were killed. Call it only while no
// SaveImageFile for path can be running.
func CleanImageTemps(path string) error {
	matches, err := filepath.Glob(path + ".tmp-*")
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range matches {
		if err := os.Remove(m); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// LoadImageFile reads the image at path: an error wrapping os.ErrNotExist
// when there is none, ErrImageInvalid when it is torn, corrupt, of another
// format version or of another size than its header says.
func LoadImageFile(path string) (*Snapshot, uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("snapshot image: load: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("snapshot image: load %s: %w", path, err)
	}
	// The header says how long the image is: a file of another size is
	// refused before its arrays are allocated.
	var h [imageHeaderSize]byte
	l, _, _, err := readHeader(f, &h)
	if err != nil {
		return nil, 0, fmt.Errorf("snapshot image: load %s: %w", path, err)
	}
	if size, _ := l.size(); uint64(st.Size()) != size {
		return nil, 0, fmt.Errorf("snapshot image: load %s: %w", path, invalid("file has %d bytes, its header describes %d", st.Size(), size))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, 0, fmt.Errorf("snapshot image: load %s: %w", path, err)
	}
	s, gen, _, err := readImage(f)
	if err != nil {
		return nil, 0, fmt.Errorf("snapshot image: load %s: %w", path, err)
	}
	return s, gen, nil
}
