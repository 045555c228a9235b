package graph

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// randomSnapshot builds a snapshot with SnapshotBuilder, the way the
// stores do: n people (a few not consenting), about f friendships, some
// recruitments, records with and without a last event, and open disputes
// when disputes is set. weights: 0 all 1, 1 float32-exact weights, 2
// weights that need float64.
func randomSnapshot(rng *rand.Rand, n, f int, weights int, disputes bool) *Snapshot {
	var b SnapshotBuilder
	ids := make([]ID, 0, n)
	next := ID(1)
	for i := 0; i < n; i++ {
		next += ID(1 + rng.IntN(3))
		ids = append(ids, next)
		r := Record{
			PurchaseTotal: float64(rng.IntN(100000)) / 7, PurchaseCount: int64(rng.IntN(50)),
			BillsOnTime: int64(rng.IntN(9)), BillsLate: int64(rng.IntN(3)), BillDaysLate: int64(rng.IntN(40)),
			CreditOnTime: int64(rng.IntN(9)), CreditLate: int64(rng.IntN(3)), CreditDaysLate: int64(rng.IntN(40)),
			Defaults: int64(rng.IntN(2)), DefaultAmount: float64(rng.IntN(5000)) / 3,
		}
		if rng.IntN(3) > 0 {
			r.LastEventAt = time.Unix(1.7e9+rng.Int64N(1e8), rng.Int64N(1e9)).UTC()
		}
		p := Person{ID: next, Consent: rng.IntN(10) > 0, Record: r,
			Profile: Profile{Provided: FieldSet(rng.IntN(128)), Verified: 0}}
		p.Profile.Verified = p.Profile.Provided & FieldSet(rng.IntN(128))
		b.AddPerson(p)
		if disputes && p.Consent && rng.IntN(5) == 0 {
			d := r
			d.Defaults++
			b.AddDisputed(DisputedRecord{ID: p.ID, Open: 1 + rng.IntN(3), Record: d})
		}
	}
	for k := 0; k < f && n > 1; k++ {
		a, z := ids[rng.IntN(n)], ids[rng.IntN(n)]
		if a == z {
			continue
		}
		w := 1.0
		switch weights {
		case 1:
			w = float64(1+rng.IntN(8)) / 4
		case 2:
			w = 0.1 + rng.Float64()*3
		}
		b.AddTie(Tie{Kind: Friend, From: a, To: z, Weight: w})
	}
	for k := 0; k < n/3; k++ {
		a, z := ids[rng.IntN(n)], ids[rng.IntN(n)]
		if a != z {
			b.AddTie(Tie{Kind: Recruited, From: a, To: z})
		}
	}
	s, err := b.Build(time.Unix(1.75e9+rng.Int64N(1e6), rng.Int64N(1e9)).UTC())
	if err != nil {
		panic(err)
	}
	return s
}

func encode(t testing.TB, s *Snapshot, gen uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteImage(&buf, s, gen); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// withPortable runs f with the portable (byte by byte) encoding of number
// arrays, as on a big-endian machine.
func withPortable(t *testing.T, f func()) {
	t.Helper()
	saved := nativeLE
	nativeLE = false
	defer func() { nativeLE = saved }()
	f()
}

func TestImageRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 1))
	cases := []struct {
		name     string
		n, f     int
		weights  int
		disputes bool
	}{
		{"empty", 0, 0, 0, false},
		{"one", 1, 0, 0, false},
		{"unweighted", 200, 600, 0, false},
		{"float32 weights", 200, 600, 1, false},
		{"float64 weights", 200, 600, 2, false},
		{"disputes", 300, 900, 2, true},
		{"sparse", 50, 3, 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for rep := 0; rep < 5; rep++ {
				s := randomSnapshot(rng, c.n, c.f, c.weights, c.disputes)
				gen := rng.Uint64()
				img := encode(t, s, gen)
				got, g, err := ReadImage(bytes.NewReader(img))
				if err != nil {
					t.Fatal(err)
				}
				if g != gen {
					t.Fatalf("generation %d, want %d", g, gen)
				}
				if !reflect.DeepEqual(got, s) {
					t.Fatalf("read back a different snapshot:\n got %+v\nwant %+v", got, s)
				}
				// The weights' nil-ness is what the snapshot says about them.
				if (s.Weights == nil) != (c.weights == 0) || (c.weights == 2 && c.f > 10 && s.ExactWeights == nil) {
					t.Fatalf("fixture: weights nil %t, exact nil %t for weights kind %d", s.Weights == nil, s.ExactWeights == nil, c.weights)
				}
				if c.disputes && c.n > 100 && s.Disputed == nil {
					t.Fatal("fixture has no disputes")
				}
				// The portable encoding writes the same bytes and reads
				// them back the same.
				withPortable(t, func() {
					if p := encode(t, s, gen); !bytes.Equal(p, img) {
						t.Fatal("portable encoding differs from the native one")
					}
					got, _, err := ReadImage(bytes.NewReader(img))
					if err != nil || !reflect.DeepEqual(got, s) {
						t.Fatalf("portable read: %v", err)
					}
				})
			}
		})
	}
}

// TestImageLayout decodes an image by hand at the offsets the format's
// documentation gives, so the documented layout is the written one.
func TestImageLayout(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 2))
	s := randomSnapshot(rng, 20, 40, 2, true)
	img := encode(t, s, 0xfeedface12345678)
	le := binary.LittleEndian
	if string(img[:8]) != "SSCSRIMG" || le.Uint32(img[8:]) != 1 {
		t.Fatalf("magic/version %q %d", img[:8], le.Uint32(img[8:]))
	}
	if le.Uint64(img[16:]) != 0xfeedface12345678 {
		t.Fatal("generation not at offset 16")
	}
	if got := time.Unix(int64(le.Uint64(img[24:])), int64(le.Uint64(img[32:]))).UTC(); !got.Equal(s.TakenAt) {
		t.Fatalf("taken at %v, want %v", got, s.TakenAt)
	}
	lens := []int{len(s.IDs), len(s.Offsets), len(s.Targets), len(s.Weights), len(s.ExactWeights),
		len(s.RecruitOffsets), len(s.RecruitTargets), len(s.Records), len(s.Profiles), len(s.Disputed)}
	sizes := []int{8, 4, 4, 4, 8, 4, 4, 96, 4, 112}
	total := 128 + 4
	for i, n := range lens {
		if got := le.Uint64(img[40+8*i:]); got != uint64(n) {
			t.Fatalf("length %d is %d, want %d", i, got, n)
		}
		total += n * sizes[i]
	}
	if len(img) != total {
		t.Fatalf("image has %d bytes, layout gives %d", len(img), total)
	}
	castagnoli := crc32.MakeTable(crc32.Castagnoli)
	if le.Uint32(img[120:]) != crc32.Checksum(img[:120], castagnoli) {
		t.Fatal("header checksum")
	}
	if le.Uint32(img[len(img)-4:]) != crc32.Checksum(img[:len(img)-4], castagnoli) {
		t.Fatal("trailer checksum is not CRC-32C of everything before it")
	}
	// The first id and the third person's record.
	if ID(le.Uint64(img[128:])) != s.IDs[0] {
		t.Fatal("ids do not start at 128")
	}
	off := 128
	for i := 0; i < 7; i++ {
		off += lens[i] * sizes[i]
	}
	r := img[off+2*96:]
	if got := int64(le.Uint64(r[16:])); got != s.Records[2].BillsOnTime {
		t.Fatalf("record 2 bills on time %d, want %d", got, s.Records[2].BillsOnTime)
	}
}

func TestImageDamage(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 3))
	s := randomSnapshot(rng, 30, 60, 2, true)
	img := encode(t, s, 7)
	t.Logf("image of %d people: %d bytes", s.Len(), len(img))
	for n := 0; n < len(img); n++ {
		if _, _, err := ReadImage(bytes.NewReader(img[:n])); !errors.Is(err, ErrImageInvalid) {
			t.Fatalf("cut to %d bytes: %v, want ErrImageInvalid", n, err)
		}
	}
	bad := make([]byte, len(img))
	for i := range img {
		for bit := 0; bit < 8; bit++ {
			copy(bad, img)
			bad[i] ^= 1 << bit
			if _, _, err := ReadImage(bytes.NewReader(bad)); !errors.Is(err, ErrImageInvalid) {
				t.Fatalf("bit %d of byte %d flipped: %v, want ErrImageInvalid", bit, i, err)
			}
		}
	}
}

func TestImageUnknownVersion(t *testing.T) {
	s := randomSnapshot(rand.New(rand.NewPCG(15, 4)), 10, 10, 0, false)
	img := encode(t, s, 1)
	le := binary.LittleEndian
	le.PutUint32(img[8:], 2)
	// Checksums made right, so only the version is wrong.
	castagnoli := crc32.MakeTable(crc32.Castagnoli)
	le.PutUint32(img[120:], crc32.Checksum(img[:120], castagnoli))
	le.PutUint32(img[len(img)-4:], crc32.Checksum(img[:len(img)-4], castagnoli))
	_, _, err := ReadImage(bytes.NewReader(img))
	if !errors.Is(err, ErrImageInvalid) || !strings.Contains(err.Error(), "format version 2") {
		t.Fatalf("version 2: %v, want ErrImageInvalid naming the version", err)
	}
}

// TestImageChecksumCaughtLate: a damaged array with a right header is
// caught by the trailer, and a well-checksummed image that is not a valid
// snapshot by the validation.
func TestImageInvalidSnapshot(t *testing.T) {
	s := randomSnapshot(rand.New(rand.NewPCG(15, 5)), 10, 20, 0, false)
	if s.Friendships() == 0 {
		t.Fatal("fixture has no friendships")
	}
	bad := *s
	bad.Targets = append([]int32(nil), s.Targets...)
	bad.Targets[0] = int32(s.Len()) // outside [0,n)
	err := WriteImage(&bytes.Buffer{}, &bad, 1)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Field != "friends/targets" {
		t.Fatalf("writing a bad snapshot: %v, want a validation error of friends/targets", err)
	}
	// Write it anyway (bypassing the check) and read it: refused.
	img := encode(t, s, 1)
	off := 128 + 8*len(s.IDs) + 4*len(s.Offsets)
	le := binary.LittleEndian
	le.PutUint32(img[off:], uint32(s.Len()))
	castagnoli := crc32.MakeTable(crc32.Castagnoli)
	le.PutUint32(img[len(img)-4:], crc32.Checksum(img[:len(img)-4], castagnoli))
	_, _, err = ReadImage(bytes.NewReader(img))
	if !errors.Is(err, ErrImageInvalid) || !strings.Contains(err.Error(), "friends/targets") {
		t.Fatalf("reading a checksummed but bad snapshot: %v", err)
	}
	if (&Snapshot{}).Len() != 0 {
		t.Fatal()
	}
	if err := WriteImage(&bytes.Buffer{}, &Snapshot{}, 0); err == nil {
		t.Fatal("a zero Snapshot (no offsets) was written")
	}
}

func TestImageFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.db.csr")
	if _, _, err := LoadImageFile(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("absent image: %v, want os.ErrNotExist", err)
	}
	rng := rand.New(rand.NewPCG(15, 6))
	s := randomSnapshot(rng, 100, 300, 1, true)
	if err := SaveImageFile(path, s, 42); err != nil {
		t.Fatal(err)
	}
	got, gen, err := LoadImageFile(path)
	if err != nil || gen != 42 || !reflect.DeepEqual(got, s) {
		t.Fatalf("load: gen %d err %v", gen, err)
	}
	// Replaced atomically, nothing left beside it.
	s2 := randomSnapshot(rng, 80, 100, 0, false)
	if err := SaveImageFile(path, s2, 43); err != nil {
		t.Fatal(err)
	}
	if got, gen, err = LoadImageFile(path); err != nil || gen != 43 || !reflect.DeepEqual(got, s2) {
		t.Fatalf("second load: gen %d err %v", gen, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("directory holds %d files, want the image only", len(entries))
	}
	// A file longer or shorter than its header says is refused.
	img, _ := os.ReadFile(path)
	for _, b := range [][]byte{append(img[:len(img):len(img)], 0), img[:len(img)-1], img[:100]} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := LoadImageFile(path); !errors.Is(err, ErrImageInvalid) {
			t.Fatalf("file of %d bytes (image %d): %v", len(b), len(img), err)
		}
	}
	// A failed save (no such directory) leaves nothing behind and says so.
	if err := SaveImageFile(filepath.Join(dir, "no", "x.csr"), s, 1); err == nil {
		t.Fatal("save into a missing directory succeeded")
	}
	// Temporary files of a killed save are cleaned.
	if err := os.WriteFile(path+".tmp-123", []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := CleanImageTemps(path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".tmp-123"); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("temporary file not removed")
	}
}

// BenchmarkReadImage reads the image of a snapshot of 1,000,000 people
// and about 5,000,000 friendships from memory (the comparison with the
// embedded store's bbolt read is BenchmarkSnapshotImage in graph/embedded).
func BenchmarkReadImage(b *testing.B) {
	s := randomSnapshot(rand.New(rand.NewPCG(15, 7)), 1_000_000, 5_000_000, 0, false)
	img := encode(b, s, 1)
	b.SetBytes(int64(len(img)))
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := ReadImage(bytes.NewReader(img)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteImage(b *testing.B) {
	s := randomSnapshot(rand.New(rand.NewPCG(15, 7)), 1_000_000, 5_000_000, 0, false)
	b.SetBytes(int64(len(encode(b, s, 1))))
	for b.Loop() {
		if err := WriteImage(discard{}, s, 1); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
