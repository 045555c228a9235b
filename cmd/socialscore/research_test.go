package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

// runResearch calls one of this file's commands (registered by the lead
// in main.go's commands()).
func runResearch(t *testing.T, cmd func(context.Context, []string, io.Writer, io.Writer) error, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := cmd(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

func TestExportCommand(t *testing.T) {
	dir := t.TempDir()
	url := "embedded://" + filepath.Join(dir, "s.db")
	runCmd(t, "seed", "--store", url, "--people", "500", "--seed", "2")
	key := filepath.Join(dir, "key")
	require.NoError(t, os.WriteFile(key, []byte("a-secret-export-key-1234\n"), 0o600))

	// No scoring run yet: scored on the fly.
	gexf := filepath.Join(dir, "all.gexf")
	out, errOut, err := runResearch(t, cmdExport, "--store", url, "--out", gexf, "--key-file", key)
	require.NoError(t, err, errOut)
	assert.Contains(t, out, "500 people")
	assert.Contains(t, errOut, "no scoring run")
	var doc struct {
		Nodes []struct {
			ID string `xml:"id,attr"`
		} `xml:"graph>nodes>node"`
		Edges []struct{} `xml:"graph>edges>edge"`
	}
	data, err := os.ReadFile(gexf)
	require.NoError(t, err)
	require.NoError(t, xml.Unmarshal(data, &doc))
	assert.Len(t, doc.Nodes, 500)
	assert.NotEqual(t, "1", doc.Nodes[0].ID)
	assert.Len(t, doc.Nodes[0].ID, 16)

	// After a run: its scores; an ego network as GraphML with real ids.
	runCmd(t, "score", "--store", url, "--policy", "tencent")
	gml := filepath.Join(dir, "ego.graphml")
	_, errOut, err = runResearch(t, cmdExport, "--store", url, "--out", gml, "--ego", "7", "--depth", "1", "--real-ids")
	require.NoError(t, err, errOut)
	assert.Contains(t, errOut, `policy "tencent"`)
	data, err = os.ReadFile(gml)
	require.NoError(t, err)
	assert.True(t, bytes.Contains(data, []byte(`<node id="7">`)), "real ids")
	full := filepath.Join(dir, "all.graphml")
	_, errOut, err = runResearch(t, cmdExport, "--store", url, "--out", full, "--key-file", key)
	require.NoError(t, err, errOut)
	data, err = os.ReadFile(full)
	require.NoError(t, err)
	assert.False(t, bytes.Contains(data, []byte(`directed="true"`)), "recruitments are undirected by default")
	assert.True(t, bytes.Contains(data, []byte(`>recruited<`)), "kinds kept")
	_, errOut, err = runResearch(t, cmdExport, "--store", url, "--out", full, "--key-file", key, "--undirected-recruitments=false")
	require.NoError(t, err, errOut)
	data, err = os.ReadFile(full)
	require.NoError(t, err)
	assert.True(t, bytes.Contains(data, []byte(`directed="true"`)), "--undirected-recruitments=false: recruitments directed")

	// A JSON sample to standard output, same key: stable pseudonyms.
	out, _, err = runResearch(t, cmdExport, "--store", url, "--out", "-", "--sample", "50", "--seed", "3", "--key-file", key)
	require.NoError(t, err)
	var js struct {
		Meta  map[string]any   `json:"meta"`
		Nodes []map[string]any `json:"nodes"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &js))
	assert.Len(t, js.Nodes, 50)
	assert.Equal(t, true, js.Meta["pseudonymised"])
	ids := map[string]bool{}
	for _, n := range doc.Nodes {
		ids[n.ID] = true
	}
	for _, n := range js.Nodes {
		assert.True(t, ids[n["id"].(string)], "same key, same pseudonym")
	}

	// Bad command lines are usage errors.
	for _, args := range [][]string{
		{"--store", url},
		{"--store", url, "--out", "x.json", "--format", "csv"},
		{"--store", url, "--out", "x.json", "--ego", "1", "--sample", "3"},
		{"--store", url, "--out", "x.json", "--ego", "abc"},
		{"--store", url, "--out", "x.json", "--ego", "1", "--depth", "9"},
	} {
		_, _, err := runResearch(t, cmdExport, args...)
		var u usageError
		assert.ErrorAs(t, err, &u, "%v", args)
	}
	_, _, err = runResearch(t, cmdExport, "--store", url, "--out", filepath.Join(dir, "x.json"), "--ego", "99999", "--real-ids")
	assert.ErrorIs(t, err, graph.ErrNotFound)
}

func TestExperimentShockCommand(t *testing.T) {
	dir := t.TempDir()
	url := "embedded://" + filepath.Join(dir, "s.db")
	runCmd(t, "seed", "--store", url, "--people", "1000", "--seed", "4")
	runCmd(t, "score", "--store", url, "--policy", "sesame")
	store, err := openStore(context.Background(), url, storeOptions{})
	require.NoError(t, err)
	before, err := store.Person(context.Background(), 1)
	require.NoError(t, err)
	run0, _, err := store.LatestRun(context.Background())
	require.NoError(t, err)
	require.NoError(t, store.Close())

	jsonOut, gexfOut := filepath.Join(dir, "shock.json"), filepath.Join(dir, "shock.gexf")
	out, errOut, err := runResearch(t, cmdExperiment, "shock", "--store", url, "--ids", "1,2", "--event", "default:5000",
		"--event", "missed_bill:60", "--policy", "tencent", "--out", jsonOut, "--gexf", gexfOut)
	require.NoError(t, err, errOut)
	for _, s := range []string{`shock under "tencent"`, "reach at convergence", "total:", "points lost", "largest moves", "wrote " + jsonOut} {
		assert.Contains(t, out, s)
	}
	var res struct {
		Pseudonymised bool `json:"pseudonymised"`
		Total         struct {
			Moved int `json:"moved"`
			Reach []struct {
				Hop int `json:"hop"`
			} `json:"reach"`
		} `json:"total"`
		Changes []struct {
			ID string `json:"id"`
		} `json:"changes"`
	}
	data, err := os.ReadFile(jsonOut)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &res))
	assert.True(t, res.Pseudonymised)
	assert.Positive(t, res.Total.Moved)
	require.Len(t, res.Changes, 2)
	assert.Len(t, res.Changes[0].ID, 16)
	data, err = os.ReadFile(gexfOut)
	require.NoError(t, err)
	assert.True(t, bytes.Contains(data, []byte(`mode="dynamic"`)), "a dynamic GEXF")
	assert.True(t, bytes.Contains(data, []byte(`for="score" value=`)) && bytes.Contains(data, []byte(`start="0" end="0"`)), "scores per step")

	// The store is unchanged: same record, no new run.
	store, err = openStore(context.Background(), url, storeOptions{})
	require.NoError(t, err)
	defer store.Close()
	after, err := store.Person(context.Background(), 1)
	require.NoError(t, err)
	assert.Equal(t, before.Record, after.Record)
	run1, _, err := store.LatestRun(context.Background())
	require.NoError(t, err)
	assert.Equal(t, run0.ID, run1.ID)
	store.Close()

	for _, args := range [][]string{
		{},
		{"nonsense"},
		{"shock", "--store", url, "--ids", "1"},
		{"shock", "--store", url, "--ids", "1", "--event", "explode"},
		{"shock", "--store", url, "--ids", "x", "--event", "default"},
		{"shock", "--store", url, "--ids", "999999", "--event", "default"},
	} {
		_, _, err := runResearch(t, cmdExperiment, args...)
		var u usageError
		assert.ErrorAs(t, err, &u, "%v", args)
	}
	var help bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"experiment", "shock", "-h"}, &help, io.Discard))
	assert.Contains(t, help.String(), "experiment shock")
	assert.Contains(t, help.String(), "default[:AMOUNT]")
}

// TestExportsShareTheStoreKey: without --key-file, exports in every format
// and a shock's files use the store's own key, made once and kept in the
// store, so person 7 has one pseudonym in all of them, also after the
// store is closed and opened again; the shock table names the people
// changed by their id, beside that pseudonym.
func TestExportsShareTheStoreKey(t *testing.T) {
	t.Setenv(exportKeyEnv, "")
	dir := t.TempDir()
	url := "embedded://" + filepath.Join(dir, "s.db")
	runCmd(t, "seed", "--store", url, "--people", "300", "--seed", "5")
	runCmd(t, "score", "--store", url, "--policy", "sesame")

	egoIDs := func(format string) map[string]bool {
		path := filepath.Join(dir, "ego."+format)
		_, errOut, err := runResearch(t, cmdExport, "--store", url, "--out", path, "--ego", "7", "--depth", "1")
		require.NoError(t, err, errOut)
		assert.NotContains(t, errOut, "one-off", "the store's key, not a one-off one")
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		ids := map[string]bool{}
		switch format {
		case "json":
			var js struct {
				Meta  struct{ Center string }
				Nodes []struct{ ID string }
			}
			require.NoError(t, json.Unmarshal(data, &js))
			for _, n := range js.Nodes {
				ids[n.ID] = true
			}
			ids["center="+js.Meta.Center] = true
		default:
			var doc struct {
				Nodes []struct {
					ID string `xml:"id,attr"`
				} `xml:"graph>nodes>node"`
				GraphMLNodes []struct {
					ID string `xml:"id,attr"`
				} `xml:"graph>node"`
			}
			require.NoError(t, xml.Unmarshal(data, &doc))
			for _, n := range append(doc.Nodes, doc.GraphMLNodes...) {
				ids[n.ID] = true
			}
		}
		return ids
	}
	js := egoIDs("json")
	center := ""
	for id := range js {
		if c, ok := strings.CutPrefix(id, "center="); ok {
			center = c
			delete(js, id)
		}
	}
	require.Len(t, center, 16)
	assert.Equal(t, js, egoIDs("gexf"), "GEXF: the same pseudonyms as JSON")
	assert.Equal(t, js, egoIDs("graphml"), "GraphML: the same pseudonyms as JSON")
	again := egoIDs("json")
	assert.True(t, again["center="+center], "a second run: the same centre")
	delete(again, "center="+center)
	assert.Equal(t, js, again, "a second run: the same pseudonyms")

	out, errOut, err := runResearch(t, cmdExperiment, "shock", "--store", url, "--ids", "7", "--event", "default:5000",
		"--policy", "tencent", "--out", filepath.Join(dir, "shock.json"))
	require.NoError(t, err, errOut)
	var row string
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == "7" {
			row = l
			break
		}
	}
	require.NotEmpty(t, row, "the shock table names person 7 by id:\n%s", out)
	assert.Contains(t, row, center, "beside its pseudonym")
	data, err := os.ReadFile(filepath.Join(dir, "shock.json"))
	require.NoError(t, err)
	var res struct {
		Changes []struct{ ID string } `json:"changes"`
	}
	require.NoError(t, json.Unmarshal(data, &res))
	require.Len(t, res.Changes, 1)
	assert.Equal(t, center, res.Changes[0].ID, "the shock file: the same pseudonym")
}
