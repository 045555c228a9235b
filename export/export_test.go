package export

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/internal/datasets/datagraph"
	"github.com/socialscore/socialscore/scoring"
	"github.com/socialscore/socialscore/scoring/contagion"
	"github.com/socialscore/socialscore/scoring/netstat"
	"github.com/socialscore/socialscore/seed"
)

var (
	testKey = []byte("test-key-0123456789abcdef")
	testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	pseudo  = Pseudonymizer{Key: testKey}
)

// seeded is a synthetic network with recruitments and varied records;
// ids are shifted far from small numbers so that a real id cannot appear
// by chance in a pseudonymised file.
func seeded(t testing.TB, n int) *graph.Snapshot {
	t.Helper()
	batch, err := seed.Generate(seed.Config{People: n, Seed: 5})
	require.NoError(t, err)
	const shift = 900_000_000_000
	for i := range batch.People {
		batch.People[i].ID = batch.People[i].ID*1_000_003 + shift
	}
	for i := range batch.Ties {
		batch.Ties[i].From = batch.Ties[i].From*1_000_003 + shift
		batch.Ties[i].To = batch.Ties[i].To*1_000_003 + shift
	}
	return datagraph.Snapshot(t, batch)
}

func scores(t testing.TB, s *graph.Snapshot, name string) contagion.Scores {
	t.Helper()
	pol, ok := scoring.Preset(name)
	require.True(t, ok)
	res, _, err := scoring.ScoreSnapshot(context.Background(), s, pol, scoring.Options{})
	require.NoError(t, err)
	return contagion.Scores{Results: res, Policy: &pol}
}

// Parsed GEXF, read back with encoding/xml in the GEXF 1.3 namespace.
type gexfFile struct {
	XMLName xml.Name `xml:"http://gexf.net/1.3 gexf"`
	Version string   `xml:"version,attr"`
	Graph   struct {
		Mode            string `xml:"mode,attr"`
		DefaultEdgeType string `xml:"defaultedgetype,attr"`
		TimeFormat      string `xml:"timeformat,attr"`
		Attributes      []struct {
			Class     string `xml:"class,attr"`
			Mode      string `xml:"mode,attr"`
			Attribute []struct {
				ID    string `xml:"id,attr"`
				Title string `xml:"title,attr"`
				Type  string `xml:"type,attr"`
			} `xml:"http://gexf.net/1.3 attribute"`
		} `xml:"http://gexf.net/1.3 attributes"`
		Nodes struct {
			Count int `xml:"count,attr"`
			Node  []struct {
				ID        string `xml:"id,attr"`
				Label     string `xml:"label,attr"`
				AttValues []struct {
					For   string `xml:"for,attr"`
					Value string `xml:"value,attr"`
					Start string `xml:"start,attr"`
					End   string `xml:"end,attr"`
				} `xml:"http://gexf.net/1.3 attvalues>attvalue"`
			} `xml:"http://gexf.net/1.3 node"`
		} `xml:"http://gexf.net/1.3 nodes"`
		Edges struct {
			Count int `xml:"count,attr"`
			Edge  []struct {
				ID     string  `xml:"id,attr"`
				Source string  `xml:"source,attr"`
				Target string  `xml:"target,attr"`
				Type   string  `xml:"type,attr"`
				Kind   string  `xml:"kind,attr"`
				Weight float64 `xml:"weight,attr"`
			} `xml:"http://gexf.net/1.3 edge"`
		} `xml:"http://gexf.net/1.3 edges"`
	} `xml:"http://gexf.net/1.3 graph"`
}

// Parsed GraphML.
type graphmlFile struct {
	XMLName xml.Name `xml:"http://graphml.graphdrawing.org/xmlns graphml"`
	Keys    []struct {
		ID   string `xml:"id,attr"`
		For  string `xml:"for,attr"`
		Name string `xml:"attr.name,attr"`
		Type string `xml:"attr.type,attr"`
	} `xml:"http://graphml.graphdrawing.org/xmlns key"`
	Graph struct {
		EdgeDefault string `xml:"edgedefault,attr"`
		Nodes       []struct {
			ID   string `xml:"id,attr"`
			Data []struct {
				Key   string `xml:"key,attr"`
				Value string `xml:",chardata"`
			} `xml:"http://graphml.graphdrawing.org/xmlns data"`
		} `xml:"http://graphml.graphdrawing.org/xmlns node"`
		Edges []struct {
			Source   string `xml:"source,attr"`
			Target   string `xml:"target,attr"`
			Directed string `xml:"directed,attr"`
			Data     []struct {
				Key   string `xml:"key,attr"`
				Value string `xml:",chardata"`
			} `xml:"http://graphml.graphdrawing.org/xmlns data"`
		} `xml:"http://graphml.graphdrawing.org/xmlns edge"`
	} `xml:"http://graphml.graphdrawing.org/xmlns graph"`
}

func render(t testing.TB, f Format, g *Graph) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, f, g))
	return buf.Bytes()
}

func parseGEXF(t testing.TB, data []byte) gexfFile {
	t.Helper()
	var doc gexfFile
	require.NoError(t, xml.Unmarshal(data, &doc))
	return doc
}

func parseGraphML(t testing.TB, data []byte) graphmlFile {
	t.Helper()
	var doc graphmlFile
	require.NoError(t, xml.Unmarshal(data, &doc))
	return doc
}

// TestXMLRoundTripDatasets: the whole karate club and ego-Facebook graphs
// written as GEXF and GraphML parse back with encoding/xml with the right
// node and edge counts (expected: karate 34/78, ego-Facebook 4,039/88,234,
// their SOURCE.md) and attribute values.
func TestXMLRoundTripDatasets(t *testing.T) {
	for _, c := range []struct {
		name         string
		snap         func(testing.TB) *graph.Snapshot
		nodes, edges int
	}{{"karate", datagraph.KarateSnapshot, 34, 78}, {"ego-Facebook", datagraph.FacebookSnapshot, 4039, 88234}} {
		t.Run(c.name, func(t *testing.T) {
			s := c.snap(t)
			sc := scores(t, s, scoring.PolicySesame)
			g, err := FromSnapshot(s, sc, pseudo)
			require.NoError(t, err)
			want := map[string]graph.Result{}
			for _, r := range sc.Results {
				want[pseudo.ID(r.ID)] = r
			}

			gx := parseGEXF(t, render(t, FormatGEXF, g))
			assert.Equal(t, "1.3", gx.Version)
			assert.Equal(t, "static", gx.Graph.Mode)
			assert.Equal(t, "undirected", gx.Graph.DefaultEdgeType)
			assert.Len(t, gx.Graph.Nodes.Node, c.nodes)
			assert.Equal(t, c.nodes, gx.Graph.Nodes.Count)
			assert.Len(t, gx.Graph.Edges.Edge, c.edges)
			assert.Equal(t, c.edges, gx.Graph.Edges.Count)
			declared := map[string]string{}
			for _, as := range gx.Graph.Attributes {
				assert.Equal(t, "node", as.Class)
				for _, a := range as.Attribute {
					declared[a.ID] = a.Type
				}
			}
			assert.Equal(t, "integer", declared["score"])
			assert.Equal(t, "double", declared["credit"])
			for _, n := range gx.Graph.Nodes.Node[:10] {
				r, ok := want[n.ID]
				require.True(t, ok)
				vals := map[string]string{}
				for _, av := range n.AttValues {
					_, ok := declared[av.For]
					require.True(t, ok, "attvalue for an undeclared attribute %q", av.For)
					vals[av.For] = av.Value
				}
				assert.Equal(t, strconv.Itoa(r.Score), vals["score"])
				assert.Equal(t, strconv.Itoa(r.Individual), vals["individual"])
				assert.Equal(t, sc.Policy.BandOf(r.Score), vals["band"])
				pr, err := strconv.ParseFloat(vals["pagerank"], 64)
				require.NoError(t, err)
				assert.Equal(t, r.PageRank, pr)
			}
			ids := map[string]bool{}
			for _, n := range gx.Graph.Nodes.Node {
				ids[n.ID] = true
			}
			for _, e := range gx.Graph.Edges.Edge {
				assert.True(t, ids[e.Source] && ids[e.Target])
				assert.Equal(t, "friend", e.Kind)
				assert.Empty(t, e.Type)
			}

			gm := parseGraphML(t, render(t, FormatGraphML, g))
			assert.Equal(t, "undirected", gm.Graph.EdgeDefault)
			assert.Len(t, gm.Graph.Nodes, c.nodes)
			assert.Len(t, gm.Graph.Edges, c.edges)
			keys := map[string]string{}
			for _, k := range gm.Keys {
				keys[k.ID] = k.For + "/" + k.Type
				assert.Equal(t, k.ID, k.Name)
			}
			assert.Equal(t, "node/int", keys["score"])
			assert.Equal(t, "edge/string", keys["kind"])
			for _, n := range gm.Graph.Nodes[:10] {
				r := want[n.ID]
				vals := map[string]string{}
				for _, d := range n.Data {
					_, ok := keys[d.Key]
					require.True(t, ok, "data for an undeclared key %q", d.Key)
					vals[d.Key] = d.Value
				}
				assert.Equal(t, strconv.Itoa(r.Score), vals["score"])
			}
		})
	}
}

// TestRecruitedEdgesDirected: with DirectedRecruitments, recruitments are
// directed edges in both XML formats, friendships undirected, and a
// recruit who is also a friend keeps both edges; by default (and with
// UndirectedRecruitments) no edge is directed and the kinds are kept.
func TestRecruitedEdgesDirected(t *testing.T) {
	s := seeded(t, 300)
	sc := scores(t, s, scoring.PolicyLenddo)
	g, err := FromSnapshot(s, sc, pseudo)
	require.NoError(t, err)
	recruits := len(s.RecruitTargets)
	require.Positive(t, recruits)
	require.Len(t, g.Links, s.Friendships()+recruits)

	var mixed bytes.Buffer
	require.NoError(t, Write(&mixed, FormatGEXF, g, DirectedRecruitments()))
	gx := parseGEXF(t, mixed.Bytes())
	directed := 0
	for _, e := range gx.Graph.Edges.Edge {
		if e.Type == "directed" {
			directed++
			assert.Equal(t, "recruited", e.Kind)
		} else {
			assert.Equal(t, "friend", e.Kind)
		}
	}
	assert.Equal(t, recruits, directed)
	mixed.Reset()
	require.NoError(t, Write(&mixed, FormatGraphML, g, DirectedRecruitments()))
	gm := parseGraphML(t, mixed.Bytes())
	directed = 0
	for _, e := range gm.Graph.Edges {
		if e.Directed == "true" {
			directed++
		}
	}
	assert.Equal(t, recruits, directed)
	assert.Len(t, gm.Graph.Edges, s.Friendships()+recruits)

	// The default, and UndirectedRecruitments (which undoes
	// DirectedRecruitments): no directed edge, kinds kept, so NetworkX and
	// igraph read it (scripts/check_exports.py).
	for name, opts := range map[string][]WriteOption{
		"default":    nil,
		"undirected": {DirectedRecruitments(), UndirectedRecruitments()},
	} {
		var buf bytes.Buffer
		require.NoError(t, Write(&buf, FormatGEXF, g, opts...))
		gx = parseGEXF(t, buf.Bytes())
		kinds := map[string]int{}
		for _, e := range gx.Graph.Edges.Edge {
			assert.Empty(t, e.Type, name)
			kinds[e.Kind]++
		}
		assert.Equal(t, map[string]int{"friend": s.Friendships(), "recruited": recruits}, kinds, name)
		buf.Reset()
		require.NoError(t, Write(&buf, FormatGraphML, g, opts...))
		gm = parseGraphML(t, buf.Bytes())
		for _, e := range gm.Graph.Edges {
			assert.Empty(t, e.Directed, name)
		}
		assert.Len(t, gm.Graph.Edges, s.Friendships()+recruits, name)
	}
}

// TestGEXFDynamicShock: with a shock attached the GEXF is dynamic, score is
// a dynamic attribute with one value per step at its timestamp, and the
// values are the scores of the experiment's steps.
func TestGEXFDynamicShock(t *testing.T) {
	s := datagraph.KarateSnapshot(t)
	sc := scores(t, s, scoring.PolicyTencent)
	ev, err := contagion.ParseEvent("default:5000", testNow)
	require.NoError(t, err)
	res, err := contagion.Shock(context.Background(), s, *sc.Policy, contagion.ShockRequest{
		Changes: []contagion.Change{{ID: 34, Events: []graph.Event{ev}}}, MaxSteps: 5, Now: testNow})
	require.NoError(t, err)
	require.Len(t, res.Steps, 6)
	eg, err := contagion.Ego(s, sc, 34, 2, 100)
	require.NoError(t, err)
	g, err := FromEgo(eg, pseudo)
	require.NoError(t, err)
	require.NoError(t, g.AttachShock(res, pseudo))
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6}, g.Steps)

	gx := parseGEXF(t, render(t, FormatGEXF, g))
	assert.Equal(t, "dynamic", gx.Graph.Mode)
	assert.Equal(t, "integer", gx.Graph.TimeFormat)
	modes := map[string]string{}
	for _, as := range gx.Graph.Attributes {
		for _, a := range as.Attribute {
			modes[a.ID] = as.Mode
		}
	}
	assert.Equal(t, "dynamic", modes["score"])
	assert.Equal(t, "static", modes["pagerank"])
	assert.Equal(t, "static", modes["hop"])
	assert.Equal(t, "static", modes["delta"])

	// Expected score of a node at step k: the step's After if listed,
	// else the baseline.
	byStep := make([]map[string]int, len(g.Steps))
	for k := range byStep {
		byStep[k] = map[string]int{}
		ds := res.Total.Deltas
		if k < len(res.Steps) {
			ds = res.Steps[k].Deltas
		}
		for _, d := range ds {
			byStep[k][pseudo.ID(d.ID)] = d.After
		}
	}
	base := map[string]int{}
	for _, r := range sc.Results {
		base[pseudo.ID(r.ID)] = r.Score
	}
	changedSomewhere := 0
	require.Len(t, gx.Graph.Nodes.Node, len(eg.People))
	for _, n := range gx.Graph.Nodes.Node {
		var stamps []int
		for _, av := range n.AttValues {
			if av.For != "score" {
				assert.Empty(t, av.Start+av.End)
				continue
			}
			k, err := strconv.Atoi(av.Start)
			require.NoError(t, err)
			assert.Equal(t, av.Start, av.End, "a point interval [k, k]")
			stamps = append(stamps, k)
			want, ok := byStep[k][n.ID]
			if !ok {
				want = base[n.ID]
			} else {
				changedSomewhere++
			}
			assert.Equal(t, strconv.Itoa(want), av.Value, "node %s step %d", n.ID, k)
		}
		assert.Equal(t, g.Steps, stamps)
	}
	assert.Positive(t, changedSomewhere)
	assert.Equal(t, pseudo.ID(34), g.Meta.Experiment.Shocked[0])

	// GraphML: one key per step.
	gm := parseGraphML(t, render(t, FormatGraphML, g))
	keys := map[string]bool{}
	for _, k := range gm.Keys {
		keys[k.ID] = true
	}
	for _, k := range g.Steps {
		assert.True(t, keys["score_step_"+strconv.Itoa(k)])
	}

	// A truncated result is refused.
	res.Total.Truncated = true
	assert.ErrorIs(t, g.AttachShock(res, pseudo), graph.ErrInvalid)
}

func TestJSONRoundTrip(t *testing.T) {
	s := seeded(t, 200)
	sc := scores(t, s, scoring.PolicyLenddo)
	eg, err := contagion.Ego(s, sc, s.IDs[10], 2, 50)
	require.NoError(t, err)
	g, err := FromEgo(eg, pseudo)
	require.NoError(t, err)
	ev, _ := contagion.ParseEvent("default", testNow)
	res, err := contagion.Shock(context.Background(), s, *sc.Policy, contagion.ShockRequest{
		Changes: []contagion.Change{{ID: s.IDs[10], Events: []graph.Event{ev}}}, Now: testNow})
	require.NoError(t, err)
	require.NoError(t, g.AttachShock(res, pseudo))

	data := render(t, FormatJSON, g)
	var back Graph
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, g.Meta, back.Meta)
	assert.Equal(t, g.Steps, back.Steps)
	assert.Equal(t, g.Nodes, back.Nodes)
	assert.Equal(t, g.Links, back.Links)
	assert.Len(t, back.Nodes, eg.Kept)
	assert.Len(t, back.Links, len(eg.Ties))

	// d3 shape: links name nodes by id.
	var raw struct {
		Nodes []map[string]any `json:"nodes"`
		Links []map[string]any `json:"links"`
	}
	require.NoError(t, json.Unmarshal(data, &raw))
	ids := map[any]bool{}
	for _, n := range raw.Nodes {
		ids[n["id"]] = true
	}
	for _, l := range raw.Links {
		assert.True(t, ids[l["source"]] && ids[l["target"]])
	}

	// An empty graph is valid JSON too.
	empty, err := Subgraph(s, sc, nil, pseudo)
	require.NoError(t, err)
	var e Graph
	require.NoError(t, json.Unmarshal(render(t, FormatJSON, empty), &e))
	assert.Empty(t, e.Nodes)
	assert.Empty(t, e.Links)
}

func TestPseudonymizer(t *testing.T) {
	a := Pseudonymizer{Key: testKey}
	b := Pseudonymizer{Key: []byte("another-key-0123456789")}
	assert.Equal(t, a.ID(42), a.ID(42), "stable for one key")
	assert.NotEqual(t, a.ID(42), b.ID(42), "differs across keys")
	assert.NotEqual(t, a.ID(42), a.ID(43))
	assert.Len(t, a.ID(42), 16)
	assert.NotContains(t, a.ID(42), "42")
	assert.Equal(t, "42", Pseudonymizer{RealIDs: true}.ID(42))
	// expected: Python's hmac.new(b"key-for-the-test", b"7", hashlib.sha256).hexdigest()[:16]
	assert.Equal(t, "7cafcf698539288c", Pseudonymizer{Key: []byte("key-for-the-test")}.ID(7))

	assert.ErrorIs(t, Pseudonymizer{}.Validate(), graph.ErrInvalid)
	assert.ErrorIs(t, Pseudonymizer{Key: []byte("short")}.Validate(), graph.ErrInvalid)
	assert.NoError(t, Pseudonymizer{RealIDs: true}.Validate())
	s := seeded(t, 50)
	_, err := FromSnapshot(s, contagion.Scores{}, Pseudonymizer{})
	assert.ErrorIs(t, err, graph.ErrInvalid)
}

// TestNoRealIDInPseudonymisedFiles: with pseudonyms, no person's real id
// appears anywhere in a JSON, GEXF or GraphML file (ego network with a
// shock, and the whole snapshot); with RealIDs every id does.
func TestNoRealIDInPseudonymisedFiles(t *testing.T) {
	s := seeded(t, 400)
	sc := scores(t, s, scoring.PolicyLenddo)
	center := s.IDs[7]
	eg, err := contagion.Ego(s, sc, center, 2, 100)
	require.NoError(t, err)
	ev, _ := contagion.ParseEvent("default", testNow)
	res, err := contagion.Shock(context.Background(), s, *sc.Policy, contagion.ShockRequest{
		Changes: []contagion.Change{{ID: center, Events: []graph.Event{ev}}}, Now: testNow})
	require.NoError(t, err)

	for _, ps := range []Pseudonymizer{pseudo, {RealIDs: true}} {
		ego, err := FromEgo(eg, ps)
		require.NoError(t, err)
		require.NoError(t, ego.AttachShock(res, ps))
		whole, err := FromSnapshot(s, sc, ps)
		require.NoError(t, err)
		for _, g := range []*Graph{ego, whole} {
			assert.Equal(t, !ps.RealIDs, g.Meta.Pseudonymised)
			for _, f := range Formats() {
				text := string(render(t, f, g))
				for i, n := range g.Nodes {
					if ps.RealIDs {
						assert.Equal(t, g.real[i].String(), n.ID)
					} else {
						assert.NotEqual(t, g.real[i].String(), n.ID)
						assert.Len(t, n.ID, 16)
					}
				}
				found := 0
				for _, id := range s.IDs {
					if strings.Contains(text, id.String()) {
						found++
					}
				}
				if ps.RealIDs {
					assert.Equal(t, len(g.Nodes), found, "%s %s: every id present", g.Meta.Kind, f)
				} else {
					assert.Zero(t, found, "%s %s: a real id appears", g.Meta.Kind, f)
				}
			}
		}
	}
}

func TestSamples(t *testing.T) {
	s := seeded(t, 2000)
	sc := scores(t, s, scoring.PolicySesame)
	a, err := Sample(s, sc, 300, 1, pseudo)
	require.NoError(t, err)
	b, err := Sample(s, sc, 300, 1, pseudo)
	require.NoError(t, err)
	c, err := Sample(s, sc, 300, 2, pseudo)
	require.NoError(t, err)
	assert.Len(t, a.Nodes, 300)
	assert.Equal(t, a.Nodes, b.Nodes, "same seed, same sample")
	assert.NotEqual(t, a.Nodes, c.Nodes)
	assert.Equal(t, &SampleMeta{Method: "snowball", Size: 300, Seed: 1, Population: 2000}, a.Meta.Sample)
	// The seeded network is connected, so a snowball sample is too.
	assert.Equal(t, 1, components(t, a))

	u, err := SampleUniform(s, sc, 300, 1, pseudo)
	require.NoError(t, err)
	assert.Len(t, u.Nodes, 300)
	assert.Equal(t, "uniform", u.Meta.Sample.Method)
	// Ties among the sample, counted on the snapshot.
	in := map[int32]bool{}
	for _, id := range u.real {
		k, _ := s.Index(id)
		in[k] = true
	}
	want := 0
	for v := range in {
		for _, w := range s.Friends(v) {
			if w > v && in[w] {
				want++
			}
		}
		for _, w := range s.Recruits(v) {
			if in[w] {
				want++
			}
		}
	}
	assert.Len(t, u.Links, want)
	assert.Less(t, len(u.Links), len(a.Links), "a uniform sample keeps fewer ties than a snowball one")

	all, err := Sample(s, sc, 5000, 1, pseudo)
	require.NoError(t, err)
	assert.Len(t, all.Nodes, 2000)
	_, err = Sample(s, sc, 0, 1, pseudo)
	assert.ErrorIs(t, err, graph.ErrInvalid)
}

// components counts the connected components of a graph's friend links.
func components(t *testing.T, g *Graph) int {
	idx := map[string]int32{}
	for i, n := range g.Nodes {
		idx[n.ID] = int32(i)
	}
	adj := make([][]int32, len(g.Nodes))
	for _, l := range g.Links {
		a, b := idx[l.Source], idx[l.Target]
		adj[a] = append(adj[a], b)
		adj[b] = append(adj[b], a)
	}
	off := []int32{0}
	var tgt []int32
	for _, nb := range adj {
		tgt = append(tgt, nb...)
		off = append(off, int32(len(tgt)))
	}
	_, count, _ := netstat.Components(off, tgt)
	return count
}

func TestFormats(t *testing.T) {
	for _, f := range Formats() {
		got, err := ParseFormat(strings.ToUpper(string(f)))
		require.NoError(t, err)
		assert.Equal(t, f, got)
		assert.NotEmpty(t, f.ContentType())
		assert.Equal(t, "."+string(f), f.Ext())
	}
	_, err := ParseFormat("csv")
	assert.ErrorIs(t, err, graph.ErrInvalid)
	assert.ErrorIs(t, Write(&bytes.Buffer{}, "csv", &Graph{}), graph.ErrInvalid)
}

func TestSubgraph(t *testing.T) {
	s := datagraph.KarateSnapshot(t)
	sc := scores(t, s, scoring.PolicySesame)
	g, err := Subgraph(s, sc, []graph.ID{34, 1, 3, 999, 1}, Pseudonymizer{RealIDs: true})
	require.NoError(t, err)
	var ids []string
	for _, n := range g.Nodes {
		ids = append(ids, n.ID)
	}
	assert.Equal(t, []string{"1", "3", "34"}, ids)
	// expected: karate.mtx lists "3 1" and no edge of 34 with 1 or 3.
	assert.Equal(t, []Link{{Source: "1", Target: "3", Kind: "friend", Weight: 1}}, g.Links)
	assert.Equal(t, "subgraph", g.Meta.Kind)
	assert.False(t, g.Meta.Pseudonymised)
}

func TestShockExport(t *testing.T) {
	s := seeded(t, 300)
	sc := scores(t, s, scoring.PolicyTencent)
	ev, _ := contagion.ParseEvent("default:5000", testNow)
	res, err := contagion.Shock(context.Background(), s, *sc.Policy, contagion.ShockRequest{
		Changes: []contagion.Change{{ID: s.IDs[0], Events: []graph.Event{ev}}}, MaxSteps: 4, Now: testNow})
	require.NoError(t, err)
	require.Positive(t, res.Total.Moved)
	out, err := Shock(res, pseudo)
	require.NoError(t, err)
	assert.True(t, out.Pseudonymised)
	assert.Equal(t, pseudo.ID(s.IDs[0]), out.Changes[0].ID)
	require.Len(t, out.Total.Deltas, len(res.Total.Deltas))
	for i, d := range out.Total.Deltas {
		assert.Equal(t, pseudo.ID(res.Total.Deltas[i].ID), d.ID)
		assert.Equal(t, res.Total.Deltas[i].Delta, d.Delta)
	}
	assert.Len(t, out.Steps, len(res.Steps))
	data, err := json.Marshal(out)
	require.NoError(t, err)
	for _, id := range s.IDs {
		require.NotContains(t, string(data), id.String())
	}
	_, err = Shock(res, Pseudonymizer{})
	assert.ErrorIs(t, err, graph.ErrInvalid)
	real, err := Shock(res, Pseudonymizer{RealIDs: true})
	require.NoError(t, err)
	assert.Equal(t, s.IDs[0].String(), real.Changes[0].ID)
}

// TestWeightsKeepFloat64: a friendship weight that is not a float32 (0.1,
// 1/3) leaves through every format and every builder (snapshot, sample,
// ego) as the same float64, not its float32 rounding.
func TestWeightsKeepFloat64(t *testing.T) {
	third := 1.0 / 3
	require.NotEqual(t, third, float64(float32(third)), "1/3 is not a float32: the test can fail")
	b := graph.Batch{
		People: []graph.Person{{ID: 1, Consent: true}, {ID: 2, Consent: true}, {ID: 3, Consent: true}},
		Ties: []graph.Tie{{Kind: graph.Friend, From: 1, To: 2, Weight: 0.1}, {Kind: graph.Friend, From: 2, To: 3, Weight: third},
			{Kind: graph.Recruited, From: 1, To: 3}},
	}
	snap, err := graph.SnapshotOf(b, testNow)
	require.NoError(t, err)
	want := map[[2]string]float64{{"1", "2"}: 0.1, {"2", "3"}: third}
	ps := Pseudonymizer{RealIDs: true}
	whole, err := FromSnapshot(snap, contagion.Scores{}, ps)
	require.NoError(t, err)
	sample, err := Sample(snap, contagion.Scores{}, 3, 1, ps)
	require.NoError(t, err)
	eg, err := contagion.Ego(snap, contagion.Scores{}, 2, 1, contagion.MaxEgoLimit)
	require.NoError(t, err)
	ego, err := FromEgo(eg, ps)
	require.NoError(t, err)
	for name, g := range map[string]*Graph{"snapshot": whole, "sample": sample, "ego": ego} {
		got := map[[2]string]float64{}
		for _, l := range g.Links {
			if l.Kind == contagion.KindFriend {
				got[[2]string{min(l.Source, l.Target), max(l.Source, l.Target)}] = l.Weight
			}
		}
		assert.Equal(t, want, got, "%s: links", name)

		gx := parseGEXF(t, render(t, FormatGEXF, g))
		gm := parseGraphML(t, render(t, FormatGraphML, g))
		var js struct {
			Links []Link `json:"links"`
		}
		require.NoError(t, json.Unmarshal(render(t, FormatJSON, g), &js))
		fromXML := map[[2]string]float64{}
		for _, e := range gx.Graph.Edges.Edge {
			if e.Kind == contagion.KindFriend {
				fromXML[[2]string{"gexf:" + min(e.Source, e.Target), max(e.Source, e.Target)}] = e.Weight
			}
		}
		for _, e := range gm.Graph.Edges {
			var kind, w string
			for _, d := range e.Data {
				switch d.Key {
				case "kind":
					kind = d.Value
				case "weight":
					w = d.Value
				}
			}
			if kind == contagion.KindFriend {
				x, err := strconv.ParseFloat(w, 64)
				require.NoError(t, err)
				fromXML[[2]string{"graphml:" + min(e.Source, e.Target), max(e.Source, e.Target)}] = x
			}
		}
		for _, l := range js.Links {
			if l.Kind == contagion.KindFriend {
				fromXML[[2]string{"json:" + min(l.Source, l.Target), max(l.Source, l.Target)}] = l.Weight
			}
		}
		for k, w := range want {
			for _, f := range []string{"gexf:", "graphml:", "json:"} {
				assert.Equal(t, w, fromXML[[2]string{f + k[0], k[1]}], "%s %s %v", name, f, k)
			}
		}
	}
}
