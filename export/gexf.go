package export

import (
	"encoding/xml"
	"io"
	"strconv"
)

// GEXF 1.3 namespace and schema (https://gexf.net, gephi/gexf).
const (
	GEXFNamespace = "http://gexf.net/1.3"
	gexfSchema    = "http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd"
	xsiNamespace  = "http://www.w3.org/2001/XMLSchema-instance"
)

type gexfMeta struct {
	XMLName     xml.Name `xml:"meta"`
	Creator     string   `xml:"creator"`
	Description string   `xml:"description,omitempty"`
}

type gexfAttributes struct {
	XMLName    xml.Name        `xml:"attributes"`
	Class      string          `xml:"class,attr"`
	Mode       string          `xml:"mode,attr"`
	Attributes []gexfAttribute `xml:"attribute"`
}

type gexfAttribute struct {
	ID    string `xml:"id,attr"`
	Title string `xml:"title,attr"`
	Type  string `xml:"type,attr"`
}

type gexfNode struct {
	XMLName   xml.Name       `xml:"node"`
	ID        string         `xml:"id,attr"`
	Label     string         `xml:"label,attr"`
	AttValues *gexfAttValues `xml:"attvalues,omitempty"`
}

type gexfAttValues struct {
	Values []gexfAttValue `xml:"attvalue"`
}

type gexfAttValue struct {
	For   string `xml:"for,attr"`
	Value string `xml:"value,attr"`
	Start string `xml:"start,attr,omitempty"`
	End   string `xml:"end,attr,omitempty"`
}

type gexfEdge struct {
	XMLName xml.Name `xml:"edge"`
	ID      string   `xml:"id,attr"`
	Source  string   `xml:"source,attr"`
	Target  string   `xml:"target,attr"`
	Type    string   `xml:"type,attr,omitempty"`
	Kind    string   `xml:"kind,attr"`
	Weight  string   `xml:"weight,attr"`
}

// WriteGEXF writes the graph as GEXF 1.3 (namespace http://gexf.net/1.3).
//
// Nodes carry the scores and pillars as attributes declared in
// <attributes class="node">, with ids equal to their names (score,
// individual, band, pagerank, percentile, purchase, info, bills, credit,
// recruitment, scored; hop for ego networks; shocked, shock_hop and delta
// with an experiment). Every edge is undirected (the default edge type),
// recruitments too, with the recruiter as source, unless
// DirectedRecruitments makes them of type "directed"; the edge's kind
// attribute (GEXF 1.3, for parallel edges) is "friend" or "recruited", so
// a friend who is also one's recruit keeps both edges. Weights are written
// as the shortest decimal that reads back to the same float64.
//
// Without an experiment the graph is static and score is a static
// attribute. With one (Graph.AttachShock) the graph is
//
//	<graph mode="dynamic" defaultedgetype="undirected" timeformat="integer">
//
// and score is declared in <attributes class="node" mode="dynamic">
// with one value per step k, <attvalue for="score" value="612" start="k"
// end="k"/>, so Gephi's timeline steps through the propagation. GEXF 1.3
// dropped the open bounds (startopen, endopen) of 1.2 and its intervals
// are inclusive, so [k, k+1] would give two values at every step; the
// point intervals [k, k] do not overlap, and unlike 1.3's timestamps they
// are also read by NetworkX.
func WriteGEXF(w io.Writer, g *Graph, opts ...WriteOption) error {
	cfg := configOf(opts)
	x := newXMLWriter(w)
	dynamic := g.Steps != nil
	x.start("gexf", "xmlns", GEXFNamespace, "xmlns:xsi", xsiNamespace, "xsi:schemaLocation", gexfSchema, "version", "1.3")
	desc := "socialscore " + g.Meta.Kind
	if g.Meta.Policy != "" {
		desc += ", policy " + g.Meta.Policy
	}
	if g.Meta.Experiment != nil {
		desc += ", shock experiment under " + g.Meta.Experiment.Policy + " (steps 0.." + strconv.Itoa(g.Meta.Experiment.FinalStep) + ", the last is the converged state)"
	}
	if g.Meta.Pseudonymised {
		desc += "; ids are pseudonyms"
	}
	x.element(gexfMeta{Creator: "socialscore", Description: desc})
	if dynamic {
		x.start("graph", "mode", "dynamic", "defaultedgetype", "undirected", "timeformat", "integer")
	} else {
		x.start("graph", "mode", "static", "defaultedgetype", "undirected")
	}
	attrs := nodeAttrs(g)
	static := gexfAttributes{Class: "node", Mode: "static"}
	if !dynamic {
		static.Attributes = append(static.Attributes, gexfAttribute{ID: "score", Title: "score", Type: "integer"})
	}
	for _, a := range attrs {
		static.Attributes = append(static.Attributes, gexfAttribute{ID: a.id, Title: a.id, Type: a.gexfType})
	}
	x.element(static)
	if dynamic {
		x.element(gexfAttributes{Class: "node", Mode: "dynamic", Attributes: []gexfAttribute{{ID: "score", Title: "score", Type: "integer"}}})
	}

	x.start("nodes", "count", strconv.Itoa(len(g.Nodes)))
	var vals []gexfAttValue
	for i := range g.Nodes {
		n := &g.Nodes[i]
		vals = vals[:0]
		if n.Scored {
			if dynamic {
				for _, s := range n.Steps {
					k := strconv.Itoa(s.Step)
					vals = append(vals, gexfAttValue{For: "score", Value: strconv.Itoa(s.Score), Start: k, End: k})
				}
			} else {
				vals = append(vals, gexfAttValue{For: "score", Value: strconv.Itoa(n.Score)})
			}
		}
		for _, a := range attrs {
			if v, ok := a.value(n); ok {
				vals = append(vals, gexfAttValue{For: a.id, Value: v})
			}
		}
		x.element(gexfNode{ID: n.ID, Label: n.ID, AttValues: &gexfAttValues{Values: vals}})
	}
	x.end("nodes")
	x.start("edges", "count", strconv.Itoa(len(g.Links)))
	for i, l := range g.Links {
		e := gexfEdge{ID: strconv.Itoa(i), Source: l.Source, Target: l.Target, Kind: l.Kind, Weight: ftoa(l.Weight)}
		if l.Directed() && cfg.directedRecruitments {
			e.Type = "directed"
		}
		x.element(e)
	}
	x.end("edges")
	x.end("graph")
	x.end("gexf")
	return x.finish("gexf")
}
