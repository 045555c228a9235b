package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/neo4jtest"
)

// composeFile is the part of docker-compose.yml this test reads.
type composeFile struct {
	Services map[string]struct {
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
	} `yaml:"services"`
}

// composeVar matches ${NAME:-default}, the only substitution the file uses.
var composeVar = regexp.MustCompile(`\$\{([A-Z0-9_]+):-([^}]*)\}`)

// TestComposeSetsUpKeysLikeDemo runs the socialscore service of
// docker-compose.yml as Compose would (its command and environment, with
// the Neo4j service replaced by the test server and its volume by a
// temporary folder; there is no Docker here) and checks that keys are set
// up the way demo sets them up: the service starts without --open, makes
// one key per role on its first start into a file only its owner reads,
// the operator key answers, and a restart keeps the same keys.
func TestComposeSetsUpKeysLikeDemo(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "docker-compose.yml"))
	require.NoError(t, err)
	var cf composeFile
	require.NoError(t, yaml.Unmarshal(raw, &cf))
	svc, ok := cf.Services["socialscore"]
	require.True(t, ok, "docker-compose.yml has a socialscore service")
	require.NotContains(t, svc.Command, "--open", "compose must not serve /v1 to everyone")
	require.Contains(t, svc.Environment, "SOCIALSCORE_INIT_KEYS", "compose makes keys on the first start")

	srv := neo4jtest.Shared(t)
	require.NoError(t, neo4jtest.Wipe(context.Background(), srv))
	state := t.TempDir() // the service's volume
	const volume = "/var/lib/socialscore"
	require.Contains(t, svc.Volumes, "socialscore-audit:"+volume)
	rewrite := func(s string) string {
		s = composeVar.ReplaceAllString(s, "$2")
		s = strings.ReplaceAll(s, "neo4j://neo4j:7687", srv.URI)
		return strings.ReplaceAll(s, volume, state)
	}
	for k, v := range svc.Environment {
		switch k {
		case "NEO4J_PASSWORD":
			v = srv.Password // the compose default is the Neo4j service's password
		case "NEO4J_USER":
			v = srv.User
		default:
			v = rewrite(v)
		}
		t.Setenv(k, v)
	}
	args := make([]string, len(svc.Command))
	for i, a := range svc.Command {
		args[i] = rewrite(a)
	}
	for i := 1; i < len(args); i++ { // a free port on loopback instead of 0.0.0.0:8080
		if args[i-1] == "--addr" {
			args[i] = "127.0.0.1:0"
		}
	}
	keysFile := filepath.Join(state, "keys.txt")
	require.Equal(t, keysFile, os.Getenv("SOCIALSCORE_INIT_KEYS"))

	var first []keyFileEntry
	for start := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		var out, errb syncBuffer
		done := make(chan error, 1)
		go func() { done <- run(ctx, args, &out, &errb) }()
		var addr string
		require.Eventually(t, func() bool {
			m := regexp.MustCompile(`serving on (?:http://)?(\S+)`).FindStringSubmatch(out.String() + errb.String())
			if m == nil {
				return false
			}
			addr = strings.TrimSuffix(m[1], "/")
			return true
		}, 90*time.Second, 20*time.Millisecond, "start %d: %s %s", start, out.String(), errb.String())
		_, _, err := net.SplitHostPort(addr)
		require.NoError(t, err, addr)

		fi, err := os.Stat(keysFile)
		require.NoError(t, err, "the first start writes the keys file")
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the keys file is its owner's only")
		entries, err := readKeysFile(keysFile)
		require.NoError(t, err)
		require.Len(t, entries, len(graph.Roles()), "one key per role")
		for j, r := range graph.Roles() {
			assert.Equal(t, r, entries[j].role)
		}
		if start == 0 {
			first = entries
		} else {
			assert.Equal(t, first, entries, "a restart keeps the same keys")
		}

		// The operator key is accepted, no key is refused.
		get := func(key string) int {
			req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/v1/scoring-runs", nil)
			require.NoError(t, err)
			if key != "" {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode
		}
		assert.Equal(t, http.StatusOK, get(entries[0].key), "the operator key from the file answers")
		assert.Equal(t, http.StatusUnauthorized, get(""), "no key, no access")

		cancel()
		require.NoError(t, <-done)
	}
}
