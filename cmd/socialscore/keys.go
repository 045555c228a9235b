package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/socialscore/socialscore/api"
	"github.com/socialscore/socialscore/graph"
)

// API keys live in the store (graph.KeyStore), by digest: `keys create`
// prints a key once. Secrets never go on a command line (ps and
// /proc/PID/cmdline show it to every user of the machine): they are read
// from a file or the environment.

func cmdKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const usage = "usage: socialscore keys create --name NAME --role ROLE [--person ID] | list | revoke NAME"
	if len(args) == 0 {
		return usageError{errors.New(usage)}
	}
	if isHelpArg(args[0]) {
		return helpRequest{topic: "keys"}
	}
	sub, args := args[0], args[1:]
	fs, common := newFlagSet("keys "+sub, stderr)
	var name, role string
	var person int64
	switch sub {
	case "create":
		fs.StringVar(&name, "name", "", "who holds the key (an app, a provider, a person's login): 1-64 of A-Z a-z 0-9 . _ -")
		fs.StringVar(&role, "role", "", "one of "+fmt.Sprint(graph.Roles()))
		fs.Int64Var(&person, "person", 0, "the person a subject key belongs to")
	case "list":
	case "revoke":
		// The name is the argument.
		if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			name, args = args[0], args[1:]
		}
	default:
		return usageError{fmt.Errorf("keys: unknown subcommand %q\n%s", sub, usage)}
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if sub == "create" && (name == "" || role == "") {
		return usageError{errors.New("keys create: --name and --role are required")}
	}
	if sub == "revoke" && name == "" {
		return usageError{errors.New("keys revoke: give the key's name")}
	}
	ks, closeStore, err := openKeyStore(ctx, common)
	if err != nil {
		return err
	}
	defer closeStore()
	switch sub {
	case "create":
		key := api.NewAPIKey()
		k := graph.APIKey{Name: name, Role: graph.Role(role), Person: graph.ID(person), Hash: graph.HashKey(key)}
		if err := k.Validate(); err != nil {
			return usageError{fmt.Errorf("keys create: %w", err)}
		}
		if err := ks.CreateKey(ctx, k); err != nil {
			return fmt.Errorf("keys create: %w", err)
		}
		fmt.Fprintf(stderr, "created key %q with role %s; it is shown once, here (the store keeps only its SHA-256 digest):\n", name, role)
		fmt.Fprintln(stdout, key)
	case "list":
		keys, err := ks.Keys(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tPERSON\tCREATED\tREVOKED")
		for _, k := range keys {
			p, rev := "-", "-"
			if k.Person != 0 {
				p = k.Person.String()
			}
			if k.Revoked() {
				rev = k.RevokedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.Name, k.Role, p, k.CreatedAt.Format(time.RFC3339), rev)
		}
		return tw.Flush()
	case "revoke":
		if err := ks.RevokeKey(ctx, name); err != nil {
			return fmt.Errorf("keys revoke: %w", err)
		}
		fmt.Fprintf(stdout, "revoked key %q (a running server stops accepting it within %s)\n", name, api.DefaultKeyRefresh)
	}
	return nil
}

// openKeyStore opens the store for the keys command. An embedded store
// held by a running server cannot be opened: the message says what to do.
func openKeyStore(ctx context.Context, common *commonFlags) (graph.KeyStore, func(), error) {
	store, err := openStore(ctx, common.store, common.neo4j)
	if err != nil {
		if errors.Is(err, graph.ErrUnavailable) && strings.HasPrefix(common.store, "embedded://") {
			err = fmt.Errorf("%w\nthe embedded store is in use by a running server: stop it, or manage keys through the API with an operator key (POST /v1/keys, DELETE /v1/keys/NAME)", err)
		}
		return nil, nil, err
	}
	ks, ok := store.(graph.KeyStore)
	if !ok {
		_ = store.Close()
		return nil, nil, fmt.Errorf("store %s keeps no keys", common.store)
	}
	return ks, func() { _ = store.Close() }, nil
}

func cmdAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelpArg(args[0]) {
		return helpRequest{topic: "audit"}
	}
	if len(args) == 0 || args[0] != "verify" {
		return usageError{errors.New("usage: socialscore audit verify [--log FILE]")}
	}
	fs, common := newFlagSet("audit verify", stderr)
	logPath := fs.String("log", os.Getenv("SOCIALSCORE_AUDIT_LOG"), "the audit log (default: audit.jsonl beside the embedded store, else data/audit.jsonl)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	path := *logPath
	if path == "" {
		path = filepath.Join(storeDir(common.store), "audit.jsonl")
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	v, err := api.VerifyAuditLog(f)
	if err != nil {
		return fmt.Errorf("%s: BROKEN: %w", path, err)
	}
	fmt.Fprintf(stdout, "%s: intact: %d chained records", path, v.Records)
	if v.Legacy > 0 {
		fmt.Fprintf(stdout, " after %d records from before the chain", v.Legacy)
	}
	fmt.Fprintln(stdout)
	if v.Records > 0 {
		fmt.Fprintf(stdout, "head: seq %d hash %s (keep it elsewhere: a later verify against it shows records cut off the end)\n", v.HeadSeq, v.Head)
	}
	if v.TornTail {
		fmt.Fprintln(stdout, "the last line is torn (a write cut short by a crash, never acknowledged); the server cuts it off when it opens the log")
	}
	return nil
}

// keyFileEntry is one line of a keys file written by initKeys.
type keyFileEntry struct {
	name   string
	role   graph.Role
	person graph.ID
	key    string
}

// initKeys makes sure the store holds one key per role, listed with their
// secrets in path (readable by its owner only). On the first run it makes
// the keys and writes the file; afterwards it reads the file back, so the
// keys stay the same across restarts. The subject key belongs to person 1.
func initKeys(ctx context.Context, ks graph.KeyStore, path string) ([]keyFileEntry, error) {
	stored, err := ks.Keys(ctx)
	if err != nil {
		return nil, err
	}
	byName := map[string]graph.APIKey{}
	for _, k := range stored {
		byName[k.Name] = k
	}
	if entries, err := readKeysFile(path); err == nil {
		for _, e := range entries {
			k, ok := byName[e.name]
			switch {
			case !ok:
				// The store was replaced: put the file's keys back in.
				if err := ks.CreateKey(ctx, graph.APIKey{Name: e.name, Role: e.role, Person: e.person, Hash: graph.HashKey(e.key)}); err != nil {
					return nil, fmt.Errorf("keys file %s: %w", path, err)
				}
			case k.Hash != graph.HashKey(e.key) || k.Revoked():
				return nil, fmt.Errorf("keys file %s: key %q is revoked or differs from the store's; remove the file to make new keys", path, e.name)
			}
		}
		return entries, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	suffix := ""
	for _, r := range graph.Roles() {
		if _, taken := byName["demo-"+string(r)+suffix]; taken {
			suffix = "-" + strconv.FormatInt(time.Now().Unix(), 10) // the file was lost: new names
			break
		}
	}
	var entries []keyFileEntry
	for _, r := range graph.Roles() {
		e := keyFileEntry{name: "demo-" + string(r) + suffix, role: r, key: api.NewAPIKey()}
		if r == graph.RoleSubject {
			e.person = 1
		}
		entries = append(entries, e)
	}
	if err := writeKeysFile(path, entries); err != nil {
		return nil, err
	}
	for _, e := range entries {
		if err := ks.CreateKey(ctx, graph.APIKey{Name: e.name, Role: e.role, Person: e.person, Hash: graph.HashKey(e.key)}); err != nil {
			return nil, err
		}
	}
	return entries, nil
}

// writeKeysFile writes the entries to path, readable and writable by its
// owner only, atomically (a temporary file renamed over it).
func writeKeysFile(path string, entries []keyFileEntry) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("# socialscore API keys, one per role: NAME ROLE KEY [PERSON]. Keep this file private.\n")
	b.WriteString("# Send a key as: Authorization: Bearer KEY\n")
	for _, e := range entries {
		fmt.Fprintf(&b, "%s %s %s", e.name, e.role, e.key)
		if e.person != 0 {
			fmt.Fprintf(&b, " %d", e.person)
		}
		b.WriteByte('\n')
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".keys-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(b.String()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// readKeysFile reads a file written by writeKeysFile.
func readKeysFile(path string) ([]keyFileEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []keyFileEntry
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		fs := strings.Fields(t)
		if len(fs) < 3 || len(fs) > 4 {
			return nil, fmt.Errorf("%s:%d: want NAME ROLE KEY [PERSON]", path, line)
		}
		e := keyFileEntry{name: fs[0], role: graph.Role(fs[1]), key: fs[2]}
		if len(fs) == 4 {
			id, err := graph.ParseID(fs[3])
			if err != nil {
				return nil, fmt.Errorf("%s:%d: bad person %q", path, line, fs[3])
			}
			e.person = id
		}
		out = append(out, e)
	}
	return out, sc.Err()
}
