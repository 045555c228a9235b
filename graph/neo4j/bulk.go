package neo4j

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/socialscore/socialscore/graph"
)

// A bulk load is a network's first load into an empty database through
// Neo4j's offline importer (neo4j-admin database import full) instead of
// UNWIND statements: BulkWriter writes the importer's CSV files with the
// graph model of this package (doc.go), and BulkLoad runs the importer
// through a command that stops the server around it, then opens the store
// (which creates the schema). Later writes take the usual paths.

// Files a BulkWriter writes into its directory.
const (
	BulkPeopleFile   = "people.csv"
	BulkFriendsFile  = "friends.csv"          // friendships of weight 1: no property
	BulkWeightedFile = "friends-weighted.csv" // friendships with a weight property
	BulkRecruitsFile = "recruits.csv"
	BulkReportFile   = "import.report" // the importer's report of bad entries
)

// bulkPeopleHeader names the :Person properties with the types the UNWIND
// path gives them (ApplyBatch's qCreatePeople and newPersonProps): ids,
// counts and field sets as long (Cypher INTEGER), amounts as double
// (FLOAT), consent as boolean, times as datetime in zone UTC (the driver
// sends a UTC time.Time with the zone id "UTC"). An empty field is no
// property, as last_event_at is absent for a record without events.
const bulkPeopleHeader = "id:ID(Person),consent:boolean,provided:long,verified:long," +
	"purchase_total:double,purchase_count:long," +
	"bills_on_time:long,bills_late:long,bill_days_late:long," +
	"credit_on_time:long,credit_late:long,credit_days_late:long," +
	"defaults:long,default_amount:double,last_event_at:datetime," +
	"created_at:datetime,updated_at:datetime\n"

const (
	bulkPairHeader     = ":START_ID(Person),:END_ID(Person)\n"
	bulkWeightedHeader = ":START_ID(Person),:END_ID(Person),weight:double\n"
)

// ErrNotEmpty is wrapped by BulkLoad's error for a database that holds
// nodes: the importer replaces the whole database, so a bulk load is only
// ever a first load. The error wraps graph.ErrConflict too.
var ErrNotEmpty = errors.New("database is not empty")

// notEmptyError is BulkLoad's refusal of a database that holds nodes.
type notEmptyError struct{ msg string }

func (e notEmptyError) Error() string { return e.msg }
func (e notEmptyError) Is(target error) bool {
	return target == ErrNotEmpty || target == graph.ErrConflict
}

// BulkWriter writes a network as the CSV files of Neo4j's importer, streaming:
// people go to their file as they are added, and ties to theirs. It keeps
// the ids (8 bytes a person), each friendship's two positions (8 bytes a
// friendship) and one bit per person for recruits, enough to check what
// the importer would not, without a map per tie.
//
// People come first, in strictly ascending id order (as seed.Generate and
// seed.ImportBatch give them); then ties, each naming two people added.
// Each friendship may be given once (in either order) and each recruit
// once: unlike ApplyBatch, which keeps the last weight of a repeated
// friendship, a bulk load refuses repeats, since the importer would store
// both. Errors are *graph.ValidationError values naming the entry
// ("people/3/id", "ties/7/to") as ApplyBatch's do.
type BulkWriter struct {
	dir string
	now []byte // created_at and updated_at of every person, formatted

	people, friends, weighted, recruits *bulkFile

	ids      []graph.ID // of the people added, ascending
	pairs    []uint64   // friendships: smaller position << 32 | larger position
	recruit  []uint64   // bit per position: already recruited
	nties    int
	tiesSeen bool
	closed   bool
	buf      []byte
}

// bulkFile is one buffered CSV file and its row count.
type bulkFile struct {
	f    *os.File
	w    *bufio.Writer
	rows int
}

func createBulkFile(path, header string) (*bulkFile, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	b := &bulkFile{f: f, w: bufio.NewWriterSize(f, 1<<20)}
	if _, err := b.w.WriteString(header); err != nil {
		f.Close()
		return nil, err
	}
	return b, nil
}

func (b *bulkFile) close() error {
	if b == nil || b.f == nil {
		return nil
	}
	err := b.w.Flush()
	if cerr := b.f.Close(); err == nil {
		err = cerr
	}
	b.f = nil
	return err
}

// NewBulkWriter creates the CSV files in dir (which must exist and hold
// none of them). now stamps every person's created_at and updated_at, as
// ApplyBatch's transaction time does.
func NewBulkWriter(dir string, now time.Time) (*BulkWriter, error) {
	now = now.UTC().Round(0)
	w := &BulkWriter{dir: dir}
	var err error
	if w.now, err = appendDatetime(nil, now); err != nil {
		return nil, fmt.Errorf("neo4j: bulk: now: %w", err)
	}
	files := []struct {
		to     **bulkFile
		name   string
		header string
	}{
		{&w.people, BulkPeopleFile, bulkPeopleHeader},
		{&w.friends, BulkFriendsFile, bulkPairHeader},
		{&w.weighted, BulkWeightedFile, bulkWeightedHeader},
		{&w.recruits, BulkRecruitsFile, bulkPairHeader},
	}
	for _, f := range files {
		if *f.to, err = createBulkFile(filepath.Join(dir, f.name), f.header); err != nil {
			w.abort()
			return nil, fmt.Errorf("neo4j: bulk: %w", err)
		}
	}
	return w, nil
}

// abort closes the files after a failure.
func (w *BulkWriter) abort() {
	for _, f := range []*bulkFile{w.people, w.friends, w.weighted, w.recruits} {
		_ = f.close()
	}
	w.closed = true
}

// AddPerson writes a person. Ids must be strictly ascending, and every
// person must come before the first tie.
func (w *BulkWriter) AddPerson(p graph.Person) error {
	i := len(w.ids)
	field := fmt.Sprintf("people/%d", i)
	switch {
	case w.closed:
		return errors.New("neo4j: bulk: writer is closed")
	case w.tiesSeen:
		return fmt.Errorf("neo4j: bulk: %w", graph.Invalid(field, "people must all come before the first tie"))
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("neo4j: bulk: %w", graph.Under(field, err))
	}
	if i > 0 && p.ID <= w.ids[i-1] {
		if p.ID == w.ids[i-1] {
			return fmt.Errorf("neo4j: bulk: %w", &graph.ValidationError{Field: field + "/id",
				Reason: fmt.Sprintf("id %d appears twice (also people/%d)", p.ID, i-1), Kind: graph.ErrConflict})
		}
		return fmt.Errorf("neo4j: bulk: %w", graph.Invalid(field+"/id",
			"id %d comes after %d: people must come in ascending id order", p.ID, w.ids[i-1]))
	}
	if i >= math.MaxInt32 {
		return fmt.Errorf("neo4j: bulk: %w", graph.Invalid(field, "too many people for one load"))
	}
	b := w.buf[:0]
	b = strconv.AppendInt(b, int64(p.ID), 10)
	b = append(b, ',')
	b = strconv.AppendBool(b, p.Consent)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(p.Profile.Provided), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(p.Profile.Verified), 10)
	r := &p.Record
	b = append(b, ',')
	b = appendDouble(b, r.PurchaseTotal)
	for _, v := range [...]int64{r.PurchaseCount, r.BillsOnTime, r.BillsLate, r.BillDaysLate,
		r.CreditOnTime, r.CreditLate, r.CreditDaysLate, r.Defaults} {
		b = append(b, ',')
		b = strconv.AppendInt(b, v, 10)
	}
	b = append(b, ',')
	b = appendDouble(b, r.DefaultAmount)
	b = append(b, ',')
	if !r.LastEventAt.IsZero() {
		var err error
		if b, err = appendDatetime(b, r.LastEventAt.UTC().Round(0)); err != nil {
			return fmt.Errorf("neo4j: bulk: %w", graph.Invalid(field+"/record/last_event_at", "%v", err))
		}
	}
	b = append(b, ',')
	b = append(b, w.now...)
	b = append(b, ',')
	b = append(b, w.now...)
	b = append(b, '\n')
	w.buf = b
	if _, err := w.people.w.Write(b); err != nil {
		return fmt.Errorf("neo4j: bulk: write %s: %w", BulkPeopleFile, err)
	}
	w.people.rows++
	w.ids = append(w.ids, p.ID)
	return nil
}

// AddTie writes a friendship (From and To in either order; Weight 0 means
// 1) or a recruitment. Both people must have been added.
func (w *BulkWriter) AddTie(t graph.Tie) error {
	i := w.nties
	field := fmt.Sprintf("ties/%d", i)
	if w.closed {
		return errors.New("neo4j: bulk: writer is closed")
	}
	if i >= math.MaxInt32 {
		return fmt.Errorf("neo4j: bulk: %w", graph.Invalid(field, "too many ties for one load"))
	}
	w.tiesSeen = true
	if err := t.Validate(); err != nil {
		return fmt.Errorf("neo4j: bulk: %w", graph.Under(field, err))
	}
	from, ok := graph.Position(w.ids, t.From)
	if !ok {
		return fmt.Errorf("neo4j: bulk: %w", &graph.ValidationError{Field: field + "/from",
			Reason: fmt.Sprintf("person %d does not exist", t.From), Kind: graph.ErrNotFound})
	}
	to, ok := graph.Position(w.ids, t.To)
	if !ok {
		return fmt.Errorf("neo4j: bulk: %w", &graph.ValidationError{Field: field + "/to",
			Reason: fmt.Sprintf("person %d does not exist", t.To), Kind: graph.ErrNotFound})
	}
	t = t.Normalize()
	var f *bulkFile
	switch {
	case t.Kind == graph.Recruited:
		if w.recruit == nil {
			w.recruit = make([]uint64, (len(w.ids)+63)/64)
		}
		if w.recruit[to/64]&(1<<(to%64)) != 0 {
			return fmt.Errorf("neo4j: bulk: %w", &graph.ValidationError{Field: field + "/to",
				Reason: fmt.Sprintf("person %d is recruited twice in the load", t.To), Kind: graph.ErrConflict})
		}
		w.recruit[to/64] |= 1 << (to % 64)
		f = w.recruits
	default:
		if from > to {
			from, to = to, from
		}
		w.pairs = append(w.pairs, uint64(from)<<32|uint64(to))
		f = w.friends
		if t.Weight != 1 {
			f = w.weighted
		}
	}
	b := w.buf[:0]
	b = strconv.AppendInt(b, int64(t.From), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(t.To), 10)
	if f == w.weighted {
		b = append(b, ',')
		b = appendDouble(b, t.Weight)
	}
	b = append(b, '\n')
	w.buf = b
	if _, err := f.w.Write(b); err != nil {
		return fmt.Errorf("neo4j: bulk: write: %w", err)
	}
	f.rows++
	w.nties++
	return nil
}

// BulkFiles describes the files a BulkWriter wrote.
type BulkFiles struct {
	Dir                               string
	People, Friendships, Recruitments int
	Weighted                          int // friendships of weight other than 1 (in BulkWeightedFile)
	Bytes                             int64
}

// Close flushes the files and checks that no friendship was given twice
// (it sorts the friendships' positions). After an error the files are
// incomplete and must not be imported.
func (w *BulkWriter) Close() (BulkFiles, error) {
	if w.closed {
		return BulkFiles{}, errors.New("neo4j: bulk: writer is closed")
	}
	var err error
	for _, f := range []*bulkFile{w.people, w.friends, w.weighted, w.recruits} {
		if cerr := f.close(); err == nil && cerr != nil {
			err = fmt.Errorf("neo4j: bulk: %w", cerr)
		}
	}
	w.closed = true
	if err != nil {
		return BulkFiles{}, err
	}
	pairs := w.pairs
	w.pairs = nil
	slices.Sort(pairs)
	for k := 1; k < len(pairs); k++ {
		if pairs[k] == pairs[k-1] {
			a, b := w.ids[pairs[k]>>32], w.ids[pairs[k]&math.MaxUint32]
			return BulkFiles{}, fmt.Errorf("neo4j: bulk: %w", &graph.ValidationError{Field: "ties",
				Reason: fmt.Sprintf("the friendship %d-%d is given twice: a bulk load takes each friendship once", a, b),
				Kind:   graph.ErrConflict})
		}
	}
	out := BulkFiles{Dir: w.dir, People: w.people.rows, Friendships: w.friends.rows + w.weighted.rows,
		Recruitments: w.recruits.rows, Weighted: w.weighted.rows}
	for _, name := range []string{BulkPeopleFile, BulkFriendsFile, BulkWeightedFile, BulkRecruitsFile} {
		if st, err := os.Stat(filepath.Join(w.dir, name)); err == nil {
			out.Bytes += st.Size()
		}
	}
	return out, nil
}

// ImportArgs returns the arguments of `neo4j-admin database import full`
// for the files, into database: the database first (a file list option
// takes every word after it), then every option in --name=value form. Any bad entry fails the import (--bad-tolerance=0);
// node ids are integers, kept as the long property id.
func (f BulkFiles) ImportArgs(database string) []string {
	if database == "" {
		database = DefaultDatabase
	}
	p := func(name string) string { return filepath.Join(f.Dir, name) }
	args := []string{
		database,
		"--overwrite-destination=true",
		"--id-type=integer",
		"--bad-tolerance=0",
		"--skip-bad-relationships=false",
		"--skip-duplicate-nodes=false",
		"--report-file=" + p(BulkReportFile),
		"--nodes=Person=" + p(BulkPeopleFile),
	}
	if f.Friendships > f.Weighted {
		args = append(args, "--relationships=FRIEND="+p(BulkFriendsFile))
	}
	if f.Weighted > 0 {
		args = append(args, "--relationships=FRIEND="+p(BulkWeightedFile))
	}
	if f.Recruitments > 0 {
		args = append(args, "--relationships=RECRUITED="+p(BulkRecruitsFile))
	}
	return args
}

// appendDouble writes a float the shortest way that reads back as the
// same float64 (the importer parses it as a Java double).
func appendDouble(b []byte, f float64) []byte {
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// appendDatetime writes a UTC time as the importer reads a datetime in the
// zone UTC: 2026-12-02T11:00:00.5[UTC].
func appendDatetime(b []byte, t time.Time) ([]byte, error) {
	if y := t.Year(); y < 1 || y > 9999 {
		return b, fmt.Errorf("year %d is outside 1..9999", y)
	}
	b = t.UTC().AppendFormat(b, "2006-01-02T15:04:05.999999999")
	return append(b, "[UTC]"...), nil
}

// BulkConfig says how to bulk-load: where the server is (Config) and how
// to run its importer.
type BulkConfig struct {
	Config
	// Admin is the command that runs the importer: it is run with the
	// arguments of `neo4j-admin database import full` appended
	// (BulkFiles.ImportArgs), must have the database offline while the
	// importer runs (a Community server must be stopped) and the server
	// serving it again when it returns. deploy/neo4j/neo4j.sh does all
	// of that as `neo4j.sh import --dir DIR --`. Required.
	Admin []string
	// Dir is where the CSV files are written; it is created if missing
	// and must not hold them already. Empty: a temporary directory,
	// removed after a successful load (kept, and named in the error,
	// after a failed import).
	Dir string
	// Log receives the admin command's output (standard error and
	// output); nil discards it. Its standard output is also kept in
	// BulkStats.AdminOutput.
	Log io.Writer
	// StartTimeout bounds waiting for the server to answer after the
	// admin command returned; 5 minutes when zero.
	StartTimeout time.Duration
}

// BulkStats is what a bulk load did and how long each part took.
type BulkStats struct {
	Files BulkFiles
	// Write is the time to write the CSV files (including what fill
	// spent producing the network); Admin the admin command's (stopping
	// the server, the importer, starting it); Open the time until the
	// store answered with its schema created; Total all of it, from the
	// emptiness check on.
	Write, Admin, Open, Total time.Duration
	// AdminOutput is the admin command's standard output, by line
	// (neo4j.sh import prints NEO4J_IMPORT_SECONDS=… and the like there).
	AdminOutput []string
}

// BulkLoad loads a network into an empty database with Neo4j's importer:
// it checks that the database holds no node (else an error wrapping
// ErrNotEmpty, before anything is written), calls fill to add people and
// ties to a BulkWriter, runs cfg.Admin with the importer's arguments,
// waits for the server, opens the store (creating the schema, as Open
// does) and checks that it holds what was written. The returned store is
// open; the caller closes it.
//
// The load replaces the whole database, so nothing else may write to it
// meanwhile; the server is down while the importer runs.
func BulkLoad(ctx context.Context, cfg BulkConfig, fill func(*BulkWriter) error) (*Store, BulkStats, error) {
	t0 := time.Now()
	var st BulkStats
	if err := cfg.Config.Validate(); err != nil {
		return nil, st, fmt.Errorf("neo4j: bulk load: %w", err)
	}
	if len(cfg.Admin) == 0 || cfg.Admin[0] == "" {
		return nil, st, fmt.Errorf("neo4j: bulk load: %w", graph.Invalid("admin",
			"no command to run the importer (neo4j-admin database import full) with"))
	}
	adminPath, err := exec.LookPath(cfg.Admin[0])
	if err != nil {
		return nil, st, fmt.Errorf("neo4j: bulk load: %w", graph.Invalid("admin", "command %q: %v", cfg.Admin[0], err))
	}
	c := cfg.Config.withDefaults()
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 5 * time.Minute
	}
	if err := checkEmpty(ctx, c); err != nil {
		return nil, st, err
	}

	dir, temp := cfg.Dir, cfg.Dir == ""
	if temp {
		if dir, err = os.MkdirTemp("", "socialscore-bulk-"); err != nil {
			return nil, st, fmt.Errorf("neo4j: bulk load: %w", err)
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, st, fmt.Errorf("neo4j: bulk load: %w", err)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, st, fmt.Errorf("neo4j: bulk load: %w", err)
	}
	keep := false
	defer func() {
		if temp && !keep {
			_ = os.RemoveAll(dir)
		}
	}()

	w, err := NewBulkWriter(dir, c.Clock())
	if err != nil {
		return nil, st, err
	}
	if err := fill(w); err != nil {
		w.abort()
		return nil, st, err
	}
	if st.Files, err = w.Close(); err != nil {
		return nil, st, err
	}
	st.Write = time.Since(t0)

	t1 := time.Now()
	var stdout bytes.Buffer
	logw := io.Writer(io.Discard)
	if cfg.Log != nil {
		logw = &lockedWriter{w: cfg.Log} // the command's two streams write at once
	}
	cmd := exec.CommandContext(ctx, adminPath, append(slices.Clone(cfg.Admin[1:]), st.Files.ImportArgs(c.Database)...)...)
	cmd.Dir = dir
	cmd.Stdout = io.MultiWriter(&stdout, logw)
	cmd.Stderr = logw
	if err := cmd.Run(); err != nil {
		keep = true
		return nil, st, fmt.Errorf("neo4j: bulk load: the importer command %q failed (%v); its files and report are in %s",
			strings.Join(cfg.Admin, " "), err, dir)
	}
	st.Admin = time.Since(t1)
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if line != "" {
			st.AdminOutput = append(st.AdminOutput, line)
		}
	}

	t2 := time.Now()
	s, err := openWhenUp(ctx, cfg.Config, cfg.StartTimeout)
	if err != nil {
		return nil, st, fmt.Errorf("neo4j: bulk load: after the import: %w", err)
	}
	st.Open = time.Since(t2)
	counts, err := s.Counts(ctx)
	if err != nil {
		s.Close()
		return nil, st, fmt.Errorf("neo4j: bulk load: after the import: %w", err)
	}
	want := graph.Counts{People: st.Files.People, Friendships: st.Files.Friendships, Recruitments: st.Files.Recruitments}
	if counts.People != want.People || counts.Friendships != want.Friendships || counts.Recruitments != want.Recruitments {
		s.Close()
		return nil, st, fmt.Errorf("neo4j: bulk load: the database holds %d people, %d friendships and %d recruitments after the import, not the %d, %d and %d written",
			counts.People, counts.Friendships, counts.Recruitments, want.People, want.Friendships, want.Recruitments)
	}
	st.Total = time.Since(t0)
	return s, st, nil
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// checkEmpty returns an error wrapping ErrNotEmpty unless the database
// holds no node at all (a schema alone is fine: the import drops it and
// Open makes it again).
func checkEmpty(ctx context.Context, c Config) error {
	auth := drv.NoAuth()
	if c.User != "" || c.Password != "" {
		auth = drv.BasicAuth(c.User, c.Password, "")
	}
	d, err := drv.NewDriverWithContext(c.URI, auth, func(dc *drv.Config) {
		dc.SocketConnectTimeout = c.ConnectTimeout
		dc.ConnectionAcquisitionTimeout = c.ConnectTimeout + c.RetryTime
		dc.MaxTransactionRetryTime = c.RetryTime
	})
	if err != nil {
		return fmt.Errorf("neo4j: bulk load %s: %w", redact(c.URI), err)
	}
	s := &Store{cfg: c, driver: d}
	defer s.Close()
	v, err := s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		rec, err := single(ctx, tx, `
CALL () { MATCH (n) RETURN count(n) AS nodes }
CALL () { OPTIONAL MATCH (n) WITH n LIMIT 1 RETURN labels(n) AS labels }
RETURN nodes, labels`, nil)
		if err != nil {
			return nil, err
		}
		return rec.Values, nil
	})
	if err != nil {
		return s.wrap(ctx, "bulk load: check that "+redact(c.URI)+" is empty", err)
	}
	vals := v.([]any)
	if n := asInt(vals[0]); n > 0 {
		var labels []string
		for _, l := range asList(vals[1]) {
			labels = append(labels, ":"+asString(l))
		}
		return notEmptyError{fmt.Sprintf("neo4j: bulk load: database %q at %s is not empty (%d nodes, %s among them); "+
			"the importer would replace it whole, so a bulk load is only a first load into an empty database",
			c.Database, redact(c.URI), n, strings.Join(labels, ""))}
	}
	return nil
}

// openWhenUp opens the store, retrying while the server is unavailable
// (starting up) for up to timeout.
func openWhenUp(ctx context.Context, cfg Config, timeout time.Duration) (*Store, error) {
	deadline := time.Now().Add(timeout)
	for {
		s, err := Open(ctx, cfg)
		if err == nil || !errors.Is(err, graph.ErrUnavailable) || time.Now().After(deadline) || ctx.Err() != nil {
			return s, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
