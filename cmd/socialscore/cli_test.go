package main

// Tests of the rough edges of the CLI that issue 14 lists: import --merge,
// commands that refuse a store that does not exist, empty input, --help,
// the score summary and export progress.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/neo4jtest"
	"github.com/socialscore/socialscore/scoring"
)

// cliStore is a store the CLI is pointed at in a test: its flags, and how
// the test opens it to look.
type cliStore struct {
	name  string
	flags []string
	url   string
	opts  storeOptions
}

func (s cliStore) args(args ...string) []string { return append(args, s.flags...) }

func (s cliStore) open(t *testing.T) graph.Store {
	t.Helper()
	st, err := openStore(context.Background(), s.url, s.opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func embeddedStore(t *testing.T) cliStore {
	url := "embedded://" + filepath.Join(t.TempDir(), "s.db")
	return cliStore{name: "embedded", flags: []string{"--store", url}, url: url}
}

// neo4jStore is the shared Neo4j server, wiped.
func neo4jStore(t *testing.T) cliStore {
	srv := neo4jtest.Shared(t)
	require.NoError(t, neo4jtest.Wipe(context.Background(), srv))
	return cliStore{name: "neo4j",
		flags: []string{"--store", srv.URI, "--neo4j-user", srv.User, "--neo4j-password", srv.Password},
		url:   srv.URI, opts: storeOptions{user: srv.User, password: srv.Password, database: "neo4j"}}
}

// both runs fn on the embedded store and on Neo4j.
func both(t *testing.T, fn func(t *testing.T, s cliStore)) {
	t.Run("embedded", func(t *testing.T) { fn(t, embeddedStore(t)) })
	t.Run("neo4j", func(t *testing.T) { fn(t, neo4jStore(t)) })
}

// runAll runs the program as main does and returns the exit code and what
// it wrote.
func runAll(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = runMain(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func tempFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	return path
}

// friendPairs returns the stored friendships as "a-b" (a < b) with their
// weights.
func friendPairs(t *testing.T, st graph.Store, ids ...graph.ID) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, id := range ids {
		ties, err := st.Ties(context.Background(), id)
		require.NoError(t, err)
		for _, tie := range ties {
			if tie.Kind == graph.Friend {
				n := tie.Normalize()
				out[fmt.Sprintf("%d-%d", n.From, n.To)] = n.Weight
			}
		}
	}
	return out
}

// TestImportMerge: import into a store that holds people is refused with
// a message naming --merge, changing nothing; with --merge the new people
// and ties are added, stored people keep their records (a default added
// after the first import stays, a stored weight stays), stored ties are
// not repeated, and a stored person who withdrew consent (whom a snapshot
// does not show) is neither re-created nor duplicated in ties.
func TestImportMerge(t *testing.T) {
	both(t, func(t *testing.T, s cliStore) {
		ctx := context.Background()
		first := tempFile(t, "a.txt", "# first\n1 2\n2 3\n3 4\n")
		runCmd(t, s.args("import", "--friends", first)...)

		st := s.open(t)
		_, err := st.UpdateRecord(ctx, 2, func(r *graph.Record) error { r.Defaults++; r.DefaultAmount += 700; return nil })
		require.NoError(t, err)
		require.NoError(t, st.PutTie(ctx, graph.Tie{Kind: graph.Friend, From: 2, To: 3, Weight: 0.5}))
		p4, err := st.Person(ctx, 4)
		require.NoError(t, err)
		p4.Consent = false
		_, err = st.PutPerson(ctx, p4)
		require.NoError(t, err)
		before, err := st.Person(ctx, 2)
		require.NoError(t, err)
		require.NoError(t, st.Close())

		// 3 2 and 4 3 are stored ties (given in the other order), 1 3 is a
		// new tie between stored people, 4 5 ties a new person to one who
		// withdrew consent, 5 6 is between new people.
		second := tempFile(t, "b.txt", "3 2\n1 3\n4 3\n4 5\n5 6\n")
		code, _, errOut := runAll(s.args("import", "--friends", second)...)
		assert.Equal(t, 1, code)
		assert.Contains(t, errOut, "--merge")
		assert.Contains(t, errOut, "already holds 4 people")
		st = s.open(t)
		c, err := st.Counts(ctx)
		require.NoError(t, err)
		assert.Equal(t, graph.Counts{People: 4, Consenting: 3, Friendships: 3}, c, "refused: nothing changed")
		require.NoError(t, st.Close())

		out := runCmd(t, s.args("import", "--merge", "--friends", second)...)
		assert.Contains(t, out, "imported 2 people, 3 friendships")
		assert.Contains(t, out, "4 of the file's people were stored already")
		assert.Contains(t, out, "2 of its ties were stored already")

		st = s.open(t)
		c, err = st.Counts(ctx)
		require.NoError(t, err)
		assert.Equal(t, graph.Counts{People: 6, Consenting: 5, Friendships: 6}, c)
		after, err := st.Person(ctx, 2)
		require.NoError(t, err)
		assert.Equal(t, before.Record, after.Record, "a stored person's record is untouched")
		assert.Equal(t, int64(1), after.Record.Defaults)
		p4, err = st.Person(ctx, 4)
		require.NoError(t, err)
		assert.False(t, p4.Consent, "a stored person's consent is untouched")
		assert.Equal(t, map[string]float64{"1-2": 1, "1-3": 1, "2-3": 0.5, "3-4": 1, "4-5": 1, "5-6": 1},
			friendPairs(t, st, 1, 2, 3, 4, 5, 6), "new ties added, the stored weight kept")

		require.NoError(t, st.Close())

		// The same file again adds nothing.
		out = runCmd(t, s.args("import", "--merge", "--friends", second)...)
		st = s.open(t)
		assert.Contains(t, out, "imported 0 people, 0 friendships")
		c, err = st.Counts(ctx)
		require.NoError(t, err)
		assert.Equal(t, 6, c.Friendships)
	})
}

// TestCommandsRefuseMissingStore: every command but seed, import and demo
// refuses a store that does not exist, exits non-zero and creates
// nothing: no file, no directory; on Neo4j, no schema.
func TestCommandsRefuseMissingStore(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nonexistent", "dir", "x.db")
	url := "embedded://" + missing
	out := filepath.Join(dir, "out")
	for _, args := range [][]string{
		{"score"},
		{"score", "--policy", "tencent"},
		{"serve", "--addr", "127.0.0.1:0", "--open"},
		{"export", "--out", filepath.Join(out, "x.json")},
		{"experiment", "shock", "--ids", "1", "--event", "default"},
		{"keys", "list"},
		{"keys", "create", "--name", "ops", "--role", "operator"},
		{"keys", "revoke", "ops"},
		{"simulate", "--rounds", "1", "--out", out},
	} {
		code, _, errOut := runAll(append(args, "--store", url)...)
		assert.NotEqual(t, 0, code, "%v", args)
		assert.Contains(t, errOut, "socialscore seed", "%v: the message says how to make a store", args)
		_, err := os.Stat(filepath.Join(dir, "nonexistent"))
		assert.ErrorIs(t, err, os.ErrNotExist, "%v created a directory", args)
	}
	_, err := os.Stat(out)
	assert.ErrorIs(t, err, os.ErrNotExist)

	// The issue's own command line, with its absolute path.
	if _, err := os.Stat("/nonexistent"); os.IsNotExist(err) {
		code, _, errOut := runAll("score", "--store", "embedded:///nonexistent/dir/x.db")
		assert.Equal(t, 1, code)
		assert.Contains(t, errOut, "no such store")
		_, err := os.Stat("/nonexistent")
		assert.ErrorIs(t, err, os.ErrNotExist, "score created /nonexistent")
	}

	// seed makes the store; then score accepts it.
	runCmd(t, "seed", "--store", url, "--people", "50")
	assert.Contains(t, runCmd(t, "score", "--store", url), "scored 50 people")

	t.Run("neo4j", func(t *testing.T) {
		s := neo4jStore(t)
		dropSchema(t)
		for _, args := range [][]string{{"score"}, {"keys", "list"}, {"export", "--out", filepath.Join(out, "y.json")}} {
			code, _, errOut := runAll(s.args(args...)...)
			assert.NotEqual(t, 0, code, "%v", args)
			assert.Contains(t, errOut, "no socialscore schema", "%v", args)
			assert.Equal(t, 0, schemaSize(t), "%v created schema", args)
		}
		// seed creates the schema; then score works.
		runCmd(t, s.args("seed", "--people", "50")...)
		assert.Positive(t, schemaSize(t))
		assert.Contains(t, runCmd(t, s.args("score")...), "scored 50 people")
	})
}

// neo4jSession opens a session on the shared server's database.
func neo4jSession(t *testing.T) drv.SessionWithContext {
	srv := neo4jtest.Shared(t)
	d, err := drv.NewDriverWithContext(srv.URI, drv.BasicAuth(srv.User, srv.Password, ""))
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	sess := d.NewSession(context.Background(), drv.SessionConfig{DatabaseName: "neo4j", AccessMode: drv.AccessModeWrite})
	t.Cleanup(func() { _ = sess.Close(context.Background()) })
	return sess
}

func names(t *testing.T, sess drv.SessionWithContext, q string) []string {
	res, err := sess.Run(context.Background(), q, nil)
	require.NoError(t, err)
	recs, err := res.Collect(context.Background())
	require.NoError(t, err)
	var out []string
	for _, r := range recs {
		out = append(out, r.Values[0].(string))
	}
	return out
}

// dropSchema removes every constraint and index of the shared server's
// database but the built-in token lookups: an empty database, as a fresh
// server has. The next store opened there creates the schema again.
func dropSchema(t *testing.T) {
	sess := neo4jSession(t)
	ctx := context.Background()
	for _, n := range names(t, sess, `SHOW CONSTRAINTS YIELD name RETURN name`) {
		_, err := sess.Run(ctx, "DROP CONSTRAINT `"+n+"` IF EXISTS", nil)
		require.NoError(t, err)
	}
	for _, n := range names(t, sess, `SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name`) {
		_, err := sess.Run(ctx, "DROP INDEX `"+n+"` IF EXISTS", nil)
		require.NoError(t, err)
	}
	require.Equal(t, 0, schemaSize(t))
}

// schemaSize counts the constraints and non-lookup indexes.
func schemaSize(t *testing.T) int {
	sess := neo4jSession(t)
	return len(names(t, sess, `SHOW CONSTRAINTS YIELD name RETURN name`)) +
		len(names(t, sess, `SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name`))
}

// TestImportEmptyInput: an empty edge list, or one of comments and blank
// lines only, is an error (exit 1) that changes nothing: no store is made
// where there was none, and a store's people stay as they were.
func TestImportEmptyInput(t *testing.T) {
	dir := t.TempDir()
	fresh := filepath.Join(dir, "fresh", "s.db")
	stored := embeddedStore(t)
	runCmd(t, stored.args("import", "--friends", tempFile(t, "a.txt", "1 2\n"))...)
	for name, text := range map[string]string{
		"empty.txt":    "",
		"comments.txt": "# Directed graph: nothing\n# FromNodeId\tToNodeId\n\n% another comment\n",
		"blank.txt":    "\n  \n\t\n",
	} {
		file := tempFile(t, name, text)
		code, _, errOut := runAll("import", "--store", "embedded://"+fresh, "--friends", file)
		assert.Equal(t, 1, code, name)
		assert.Contains(t, errOut, "holds no friendships", name)
		_, err := os.Stat(filepath.Dir(fresh))
		assert.ErrorIs(t, err, os.ErrNotExist, "%s: no store created", name)

		code, _, errOut = runAll(stored.args("import", "--merge", "--friends", file)...)
		assert.Equal(t, 1, code, name)
		assert.Contains(t, errOut, "nothing imported", name)
		st := stored.open(t)
		c, err := st.Counts(context.Background())
		require.NoError(t, err)
		assert.Equal(t, graph.Counts{People: 2, Consenting: 2, Friendships: 1}, c, name)
		require.NoError(t, st.Close())
	}
}

// helpNames lists every command and subcommand the help must cover.
func helpNames() []string {
	var out []string
	for _, c := range commands() {
		out = append(out, c.name)
		out = append(out, helpTopics[c.name].subcommands...)
	}
	return out
}

// TestEveryCommandHelp: socialscore --help lists the commands; every
// COMMAND --help and -h exits 0 and prints, on stdout, how to call it, a
// description, its flags and at least one example; a mistake in the flags
// exits 2 and points at --help.
func TestEveryCommandHelp(t *testing.T) {
	code, out, _ := runAll("--help")
	assert.Equal(t, 0, code)
	for _, c := range commands() {
		assert.Contains(t, out, "  "+c.name+" ", "socialscore --help lists %s", c.name)
	}
	assert.Contains(t, out, "examples:")

	for _, name := range helpNames() {
		topic, ok := helpTopics[name]
		require.True(t, ok, "no help for %q", name)
		for _, h := range []string{"--help", "-h"} {
			args := append(strings.Fields(name), h)
			code, out, errOut := runAll(args...)
			assert.Equal(t, 0, code, "%v", args)
			assert.Empty(t, errOut, "%v", args)
			assert.True(t, strings.HasPrefix(out, "usage: socialscore "+name), "%v: %q", args, out)
			// The description, however it was wrapped.
			flat := strings.Join(strings.Fields(out), " ")
			assert.Contains(t, flat, firstSentence(strings.Join(strings.Fields(topic.about), " ")), "%v", args)
			ex, _, ok := strings.Cut(out, "\nexamples:\n")
			require.True(t, ok, "%v has examples", args)
			_, examples, _ := strings.Cut(out, "\nexamples:\n")
			assert.Contains(t, examples, "  socialscore "+strings.Fields(name)[0], "%v", args)
			if len(topic.subcommands) > 0 {
				for _, sub := range topic.subcommands {
					assert.Contains(t, out, "socialscore "+sub, "%v lists %s", args, sub)
				}
			} else {
				assert.Contains(t, ex, "\nflags:\n", "%v", args)
				assert.Contains(t, ex, "  -store string", "%v", args)
			}
		}
	}
	// socialscore help COMMAND is COMMAND --help.
	_, viaHelp, _ := runAll("help", "score")
	_, viaFlag, _ := runAll("score", "--help")
	assert.Equal(t, viaFlag, viaHelp)
	assert.Contains(t, viaFlag, "  -policy string")

	code, out, errOut := runAll("score", "--no-such-flag")
	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "socialscore score --help")
}

// TestEveryCommandHasHelp: a command added without help fails here.
func TestEveryCommandHasHelp(t *testing.T) {
	for _, name := range helpNames() {
		assert.Contains(t, helpTopics, name)
	}
	for name := range helpTopics {
		assert.Contains(t, helpNames(), name, "help for a command that is not there")
	}
}

// TestScoreSummary: score ends with a summary of the stored results:
// people scored, mean, people per band and the five largest rises and
// falls since the previous run, checked against a computation from the
// store's two stored runs here (bands: the preset's minimums, in
// scoring.Preset; two people given large defaults between the runs must
// be among the falls).
func TestScoreSummary(t *testing.T) {
	both(t, func(t *testing.T, s cliStore) {
		ctx := context.Background()
		runCmd(t, s.args("seed", "--people", "400", "--seed", "5")...)
		out := runCmd(t, s.args("score", "--policy", "tencent")...)
		assert.Contains(t, out, "movers         none: this is the store's first run")

		st := s.open(t)
		prev, prevResults, err := st.LatestRun(ctx)
		require.NoError(t, err)
		for _, id := range []graph.ID{7, 30} {
			_, err := st.UpdateRecord(ctx, id, func(r *graph.Record) error { r.Defaults += 3; r.DefaultAmount += 20000; return nil })
			require.NoError(t, err)
		}
		require.NoError(t, st.Close())

		out = runCmd(t, s.args("score", "--policy", "tencent")...)
		st = s.open(t)
		run, results, err := st.LatestRun(ctx)
		require.NoError(t, err)
		require.NotEqual(t, prev.ID, run.ID)

		// The reference, computed here from the stored results.
		total := 0
		pol, ok := scoring.Preset("tencent")
		require.True(t, ok)
		perBand := make([]int, len(pol.Bands))
		for _, r := range results {
			total += r.Score
			band := -1
			for i, b := range pol.Bands {
				if r.Score >= b.Min {
					band = i
				}
			}
			require.GreaterOrEqual(t, band, 0)
			perBand[band]++
		}
		before := map[graph.ID]int{}
		for _, r := range prevResults {
			before[r.ID] = r.Score
		}
		type mv struct {
			id graph.ID
			d  int
		}
		var ups, downs []mv
		for _, r := range results {
			if b, ok := before[r.ID]; ok && r.Score > b {
				ups = append(ups, mv{r.ID, r.Score - b})
			} else if ok && r.Score < b {
				downs = append(downs, mv{r.ID, r.Score - b})
			}
		}
		slices.SortFunc(ups, func(a, b mv) int { return cmp.Or(cmp.Compare(b.d, a.d), cmp.Compare(a.id, b.id)) })
		slices.SortFunc(downs, func(a, b mv) int { return cmp.Or(cmp.Compare(a.d, b.d), cmp.Compare(a.id, b.id)) })
		list := func(ms []mv) string {
			if len(ms) == 0 {
				return "none"
			}
			var parts []string
			for _, m := range ms[:min(5, len(ms))] {
				parts = append(parts, fmt.Sprintf("%d %+d", m.id, m.d))
			}
			return strings.Join(parts, ", ")
		}

		assert.Contains(t, out, fmt.Sprintf("people scored  %d\n", len(results)))
		assert.Contains(t, out, fmt.Sprintf("mean score     %.1f (previous run:", float64(total)/float64(len(results))))
		for i, b := range pol.Bands {
			assert.Regexp(t, fmt.Sprintf(`(?m)^    %s +%d\+ +%d  `, b.Name, b.Min, perBand[i]), out, "band %s", b.Name)
		}
		assert.Contains(t, out, fmt.Sprintf("movers since run %s", prev.ID))
		assert.Contains(t, out, fmt.Sprintf("%d of the %d people scored in both moved", len(ups)+len(downs), len(results)))
		assert.Contains(t, out, "    up    "+list(ups)+"\n")
		assert.Contains(t, out, "    down  "+list(downs)+"\n")
		require.GreaterOrEqual(t, len(downs), 2)
		var falls []graph.ID
		for _, m := range downs[:min(5, len(downs))] {
			falls = append(falls, m.id)
		}
		assert.Contains(t, falls, graph.ID(7))
		assert.Contains(t, falls, graph.ID(30))

		// One screen: the summary is at most 15 lines.
		_, summary, ok := strings.Cut(out, "summary of run")
		require.True(t, ok)
		assert.LessOrEqual(t, strings.Count(summary, "\n"), 15)
	})
}

// TestExportProgress: --progress shows progress on stderr (the phases,
// then the bytes written), while stdout carries exactly the bytes an
// export without it writes; without --progress, a stderr that is not a
// terminal gets no progress.
func TestExportProgress(t *testing.T) {
	s := embeddedStore(t)
	runCmd(t, s.args("seed", "--people", "3000", "--seed", "2")...)
	runCmd(t, s.args("score")...)
	export := func(extra ...string) (string, string) {
		var out, errb syncBuffer
		args := s.args(append([]string{"export", "--format", "gexf", "--real-ids", "--out", "-"}, extra...)...)
		require.NoError(t, run(context.Background(), args, &out, &errb))
		return out.String(), errb.String()
	}
	plain, plainErr := export()
	withBar, barErr := export("--progress")
	assert.Equal(t, plain, withBar, "progress never touches stdout")
	require.NoError(t, xml.Unmarshal([]byte(withBar), new(struct{})), "stdout is the GEXF document")
	assert.NotContains(t, plainErr, "written in")
	assert.Contains(t, barErr, "reading the store")
	assert.Contains(t, barErr, "writing -")
	size := byteSize(int64(len(withBar)))
	assert.Contains(t, barErr, size+" written in", "the total written, %d bytes", len(withBar))

	// To a file: the file is the same.
	file := filepath.Join(t.TempDir(), "n.gexf")
	var out, errb syncBuffer
	require.NoError(t, run(context.Background(), s.args("export", "--real-ids", "--progress", "--out", file), &out, &errb))
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, plain, string(data))
	assert.Contains(t, errb.String(), byteSize(int64(len(data)))+" written in")
	assert.Contains(t, out.String(), "wrote "+file)
}

func TestByteSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.0 kB", 1_500_000: "1.5 MB", 283_000_000: "283.0 MB", 2_000_000_000: "2.0 GB"} {
		assert.Equal(t, want, byteSize(n), strconv.FormatInt(n, 10))
	}
}

// BenchmarkProgressWriter: the cost --progress adds to an export, per 4
// KiB flush of the exporter's writer (bufio's default size): compare
// plain (io.Discard) with progress in one run.
func BenchmarkProgressWriter(b *testing.B) {
	chunk := bytes.Repeat([]byte("x"), 4096)
	b.Run("plain", func(b *testing.B) {
		w := io.Discard
		b.SetBytes(int64(len(chunk)))
		for b.Loop() {
			_, _ = w.Write(chunk)
		}
	})
	b.Run("progress", func(b *testing.B) {
		p := newWriteProgress(io.Discard, true, "writing")
		defer p.finish()
		w := p.wrap(io.Discard)
		b.SetBytes(int64(len(chunk)))
		for b.Loop() {
			_, _ = w.Write(chunk)
		}
	})
}
