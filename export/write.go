package export

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
)

// WriteJSON writes the graph as one JSON object,
//
//	{"directed": false, "multigraph": true, "meta": {...}, "steps": [...], "nodes": [{"id": ..., ...}], "links": [{"source": ..., "target": ..., "kind": ..., "weight": ...}]}
//
// the node-link layout d3-force reads (links name nodes by id), that
// sigma.js / graphology import after renaming links to edges, and that
// NetworkX reads with json_graph.node_link_graph(data, edges="links"):
// "directed" and "multigraph" tell it to build an undirected MultiGraph
// (a friend who is also one's recruit keeps both links; a recruitment's
// source is the recruiter, and its kind says it is one). Nodes and
// links are encoded one at a time, so memory stays flat for a whole
// snapshot. "steps" is present only with an experiment attached.
func WriteJSON(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	put := func(s string) { bw.WriteString(s) }
	enc := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("export: json: %w", err)
		}
		bw.Write(b)
		return nil
	}
	put(`{"directed":false,"multigraph":true,"meta":`)
	if err := enc(g.Meta); err != nil {
		return err
	}
	if g.Steps != nil {
		put(`,"steps":`)
		if err := enc(g.Steps); err != nil {
			return err
		}
	}
	put(`,"nodes":[`)
	if err := writeLines(g.Nodes, put, enc); err != nil {
		return err
	}
	put("\n],\"links\":[")
	if err := writeLines(g.Links, put, enc); err != nil {
		return err
	}
	put("\n]}\n")
	return bw.Flush()
}

// writeLines writes the elements of a JSON array one per line, each
// preceded by a newline and separated by commas.
func writeLines[T any](items []T, put func(string), enc func(any) error) error {
	for i := range items {
		if i > 0 {
			put(",")
		}
		put("\n")
		if err := enc(&items[i]); err != nil {
			return err
		}
	}
	return nil
}

// WriteOption adjusts how a graph is written.
type WriteOption func(*writeConfig)

type writeConfig struct {
	directedRecruitments bool
}

// DirectedRecruitments writes recruitments as directed edges (type
// "directed" in GEXF, directed="true" in GraphML) beside the undirected
// friendships: a "mixed" graph, which Gephi, yEd and Cytoscape read but
// NetworkX's read_gexf and read_graphml refuse and igraph reads as
// undirected (it takes the direction of the whole graph, ignoring each
// edge's). Off by default.
func DirectedRecruitments() WriteOption {
	return func(c *writeConfig) { c.directedRecruitments = true }
}

// UndirectedRecruitments writes recruitments as undirected edges in GEXF
// and GraphML, keeping their kind ("recruited") and the recruiter as the
// edge's source. It is the default (it undoes DirectedRecruitments): every
// edge of the file is then undirected, and NetworkX (read_gexf,
// read_graphml: a MultiGraph when a friend is also one's recruit) and
// igraph (Graph.Read_GraphML) read the same graph, with the node and edge
// counts of the export; the kind attribute tells recruitments apart.
func UndirectedRecruitments() WriteOption {
	return func(c *writeConfig) { c.directedRecruitments = false }
}

func configOf(opts []WriteOption) writeConfig {
	var c writeConfig
	for _, o := range opts {
		o(&c)
	}
	return c
}

// attr is one node attribute of the XML formats.
type attr struct {
	id, gexfType, graphmlType string
	value                     func(n *Node) (string, bool) // false: no value for this node
}

func ftoa(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// nodeAttrs returns the node attributes the graph has, score excluded.
func nodeAttrs(g *Graph) []attr {
	scored := func(f func(n *Node) string) func(n *Node) (string, bool) {
		return func(n *Node) (string, bool) {
			if !n.Scored {
				return "", false
			}
			return f(n), true
		}
	}
	pillar := func(f func(n *Node) float64) func(n *Node) (string, bool) {
		return func(n *Node) (string, bool) {
			if n.Pillars == nil {
				return "", false
			}
			return ftoa(f(n)), true
		}
	}
	out := []attr{
		{"scored", "boolean", "boolean", func(n *Node) (string, bool) { return strconv.FormatBool(n.Scored), true }},
		{"individual", "integer", "int", scored(func(n *Node) string { return strconv.Itoa(n.Individual) })},
		{"band", "string", "string", func(n *Node) (string, bool) { return n.Band, n.Band != "" }},
		{"pagerank", "double", "double", scored(func(n *Node) string { return ftoa(n.PageRank) })},
		{"percentile", "double", "double", scored(func(n *Node) string { return ftoa(n.Percentile) })},
		{"purchase", "double", "double", pillar(func(n *Node) float64 { return n.Pillars.Purchase })},
		{"info", "double", "double", pillar(func(n *Node) float64 { return n.Pillars.Info })},
		{"bills", "double", "double", pillar(func(n *Node) float64 { return n.Pillars.Bills })},
		{"credit", "double", "double", pillar(func(n *Node) float64 { return n.Pillars.Credit })},
		{"recruitment", "double", "double", pillar(func(n *Node) float64 { return n.Pillars.Recruitment })},
	}
	hasHop := false
	for i := range g.Nodes {
		if g.Nodes[i].Hop != nil {
			hasHop = true
			break
		}
	}
	if hasHop {
		out = append(out, attr{"hop", "integer", "int", func(n *Node) (string, bool) {
			if n.Hop == nil {
				return "", false
			}
			return strconv.Itoa(*n.Hop), true
		}})
	}
	if g.Meta.Experiment != nil {
		out = append(out,
			attr{"shocked", "boolean", "boolean", func(n *Node) (string, bool) { return strconv.FormatBool(n.Shocked), true }},
			attr{"shock_hop", "integer", "int", func(n *Node) (string, bool) {
				if n.ShockHop == nil {
					return "", false
				}
				return strconv.Itoa(*n.ShockHop), true
			}},
			attr{"delta", "double", "double", func(n *Node) (string, bool) {
				if n.Delta == nil {
					return "", false
				}
				return ftoa(*n.Delta), true
			}},
		)
	}
	return out
}

// xmlWriter streams elements with encoding/xml.
type xmlWriter struct {
	bw  *bufio.Writer
	enc *xml.Encoder
	err error
}

func newXMLWriter(w io.Writer) *xmlWriter {
	bw := bufio.NewWriter(w)
	x := &xmlWriter{bw: bw, enc: xml.NewEncoder(bw)}
	x.enc.Indent("", "  ")
	_, x.err = bw.WriteString(xml.Header)
	return x
}

func (x *xmlWriter) start(name string, attrs ...string) {
	if x.err != nil {
		return
	}
	se := xml.StartElement{Name: xml.Name{Local: name}}
	for i := 0; i+1 < len(attrs); i += 2 {
		se.Attr = append(se.Attr, xml.Attr{Name: xml.Name{Local: attrs[i]}, Value: attrs[i+1]})
	}
	x.err = x.enc.EncodeToken(se)
}

func (x *xmlWriter) end(name string) {
	if x.err != nil {
		return
	}
	x.err = x.enc.EncodeToken(xml.EndElement{Name: xml.Name{Local: name}})
}

func (x *xmlWriter) element(v any) {
	if x.err != nil {
		return
	}
	x.err = x.enc.Encode(v)
}

func (x *xmlWriter) finish(format string) error {
	if x.err == nil {
		x.err = x.enc.Flush()
	}
	if x.err == nil {
		_, x.err = x.bw.WriteString("\n")
	}
	if x.err == nil {
		x.err = x.bw.Flush()
	}
	if x.err != nil {
		return fmt.Errorf("export: %s: %w", format, x.err)
	}
	return nil
}
