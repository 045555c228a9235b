package export

import (
	"encoding/xml"
	"io"
	"strconv"
)

// GraphMLNamespace is the GraphML namespace (http://graphml.graphdrawing.org).
const (
	GraphMLNamespace = "http://graphml.graphdrawing.org/xmlns"
	graphmlSchema    = "http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd"
)

type graphmlKey struct {
	XMLName xml.Name `xml:"key"`
	ID      string   `xml:"id,attr"`
	For     string   `xml:"for,attr"`
	Name    string   `xml:"attr.name,attr"`
	Type    string   `xml:"attr.type,attr"`
}

type graphmlData struct {
	Key   string `xml:"key,attr"`
	Value string `xml:",chardata"`
}

type graphmlNode struct {
	XMLName xml.Name      `xml:"node"`
	ID      string        `xml:"id,attr"`
	Data    []graphmlData `xml:"data"`
}

type graphmlEdge struct {
	XMLName  xml.Name      `xml:"edge"`
	ID       string        `xml:"id,attr"`
	Source   string        `xml:"source,attr"`
	Target   string        `xml:"target,attr"`
	Directed string        `xml:"directed,attr,omitempty"`
	Data     []graphmlData `xml:"data"`
}

// WriteGraphML writes the graph as GraphML (namespace
// http://graphml.graphdrawing.org/xmlns). Every attribute is declared by
// a <key> whose id is its name: the node attributes of WriteGEXF, with
// score static, and with an experiment one more key per step,
// score_step_K (score at step K; the last is the converged state). Every
// edge is undirected (edgedefault), recruitments too, with the recruiter
// as source, unless DirectedRecruitments gives them directed="true". Edges
// have the keys kind ("friend" or "recruited") and weight (a double,
// written as the shortest decimal that reads back to the same float64).
func WriteGraphML(w io.Writer, g *Graph, opts ...WriteOption) error {
	cfg := configOf(opts)
	x := newXMLWriter(w)
	x.start("graphml", "xmlns", GraphMLNamespace, "xmlns:xsi", xsiNamespace, "xsi:schemaLocation", graphmlSchema)
	attrs := nodeAttrs(g)
	x.element(graphmlKey{ID: "score", For: "node", Name: "score", Type: "int"})
	for _, a := range attrs {
		x.element(graphmlKey{ID: a.id, For: "node", Name: a.id, Type: a.graphmlType})
	}
	stepKey := func(s int) string { return "score_step_" + strconv.Itoa(s) }
	for _, s := range g.Steps {
		x.element(graphmlKey{ID: stepKey(s), For: "node", Name: stepKey(s), Type: "int"})
	}
	x.element(graphmlKey{ID: "kind", For: "edge", Name: "kind", Type: "string"})
	x.element(graphmlKey{ID: "weight", For: "edge", Name: "weight", Type: "double"})
	x.start("graph", "id", "socialscore-"+g.Meta.Kind, "edgedefault", "undirected")
	var data []graphmlData
	for i := range g.Nodes {
		n := &g.Nodes[i]
		data = data[:0]
		if n.Scored {
			data = append(data, graphmlData{Key: "score", Value: strconv.Itoa(n.Score)})
		}
		for _, a := range attrs {
			if v, ok := a.value(n); ok {
				data = append(data, graphmlData{Key: a.id, Value: v})
			}
		}
		for _, s := range n.Steps {
			data = append(data, graphmlData{Key: stepKey(s.Step), Value: strconv.Itoa(s.Score)})
		}
		x.element(graphmlNode{ID: n.ID, Data: data})
	}
	for i, l := range g.Links {
		e := graphmlEdge{ID: "e" + strconv.Itoa(i), Source: l.Source, Target: l.Target,
			Data: []graphmlData{{Key: "kind", Value: l.Kind}, {Key: "weight", Value: ftoa(l.Weight)}}}
		if l.Directed() && cfg.directedRecruitments {
			e.Directed = "true"
		}
		x.element(e)
	}
	x.end("graph")
	x.end("graphml")
	return x.finish("graphml")
}
