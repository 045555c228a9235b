// Package export writes socialscore networks for researchers' tools: JSON
// (nodes and links, as d3-force and sigma.js read them), GEXF 1.3 (Gephi,
// with the steps of a shock experiment as dynamic attributes that Gephi's
// timeline plays) and GraphML (yEd, Cytoscape, NetworkX, igraph).
//
// A Graph is built from an ego network (FromEgo), a sample (Sample,
// SampleUniform), any set of people (Subgraph) or a whole snapshot
// (FromSnapshot), optionally with a shock experiment attached
// (Graph.AttachShock), and written with WriteJSON, WriteGEXF or
// WriteGraphML (or Write with a Format).
//
// Ids are pseudonymised by default: a node's id is the first 16 hex
// digits of HMAC-SHA256(key, decimal id), stable for one key and unlinkable
// without it (see Pseudonymizer). Real ids appear only when the
// Pseudonymizer says RealIDs, which a server must be configured to allow.
package export

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring/contagion"
)

// Format is an export file format.
type Format string

// The formats.
const (
	FormatJSON    Format = "json"
	FormatGEXF    Format = "gexf"
	FormatGraphML Format = "graphml"
)

// Formats lists the formats.
func Formats() []Format { return []Format{FormatJSON, FormatGEXF, FormatGraphML} }

// ParseFormat parses a format name (case-insensitive). Errors wrap
// graph.ErrInvalid.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case FormatJSON, FormatGEXF, FormatGraphML:
		return f, nil
	}
	return "", graph.Invalid("format", "unknown format %q (want json, gexf or graphml)", s)
}

// ContentType returns the media type to serve the format with.
func (f Format) ContentType() string {
	switch f {
	case FormatGEXF:
		return "application/gexf+xml"
	case FormatGraphML:
		return "application/graphml+xml"
	}
	return "application/json"
}

// Ext returns the usual file name extension, with the dot.
func (f Format) Ext() string { return "." + string(f) }

// Write writes g in the format (options apply to GEXF and GraphML).
func Write(w io.Writer, f Format, g *Graph, opts ...WriteOption) error {
	switch f {
	case FormatJSON:
		return WriteJSON(w, g)
	case FormatGEXF:
		return WriteGEXF(w, g, opts...)
	case FormatGraphML:
		return WriteGraphML(w, g, opts...)
	}
	return graph.Invalid("format", "unknown format %q", string(f))
}

// MinKeyLen is the shortest pseudonymisation key accepted, in bytes.
const MinKeyLen = 16

// Pseudonymizer maps person ids to the ids written in exports.
//
// With RealIDs false (the default) the exported id of person id is
//
//	hex(HMAC-SHA256(Key, decimal(id)))[:16]
//
// 64 bits of a keyed hash (RFC 2104): the same person gets the same
// pseudonym in every export made with the same key, so exports can be
// joined, but without the key a pseudonym cannot be traced back by hashing
// candidate ids. Two people share a pseudonym with probability about
// N²/2⁶⁵ (3·10⁻⁸ for a million people); builders check and fail rather
// than merge them. Rotate the key to make new exports unlinkable to old
// ones. With RealIDs true the id is written in decimal.
type Pseudonymizer struct {
	Key     []byte
	RealIDs bool
}

// Validate reports whether the pseudonymizer can be used: a key of at
// least MinKeyLen bytes unless RealIDs. The error wraps graph.ErrInvalid.
func (p Pseudonymizer) Validate() error {
	if !p.RealIDs && len(p.Key) < MinKeyLen {
		return graph.Invalid("key", "a pseudonymisation key of at least %d bytes is required (or real ids)", MinKeyLen)
	}
	return nil
}

// ID returns the exported id of a person.
func (p Pseudonymizer) ID(id graph.ID) string {
	if p.RealIDs {
		return id.String()
	}
	m := hmac.New(sha256.New, p.Key)
	m.Write(strconv.AppendInt(nil, int64(id), 10))
	var sum [sha256.Size]byte
	return hex.EncodeToString(m.Sum(sum[:0])[:8])
}

// Graph is an exportable network: people as nodes with their scores,
// ties as links.
type Graph struct {
	Meta  Meta   `json:"meta"`
	Nodes []Node `json:"nodes"`
	Links []Link `json:"links"`
	// Steps lists the time steps of an attached experiment (0..K, then the
	// final, converged state as K+1); nil without one.
	Steps []int `json:"steps,omitempty"`

	real  []graph.ID       // parallel to Nodes
	index map[graph.ID]int // real id -> node index
}

// Meta describes what a Graph holds.
type Meta struct {
	// Kind is "ego", "sample", "subgraph" or "snapshot".
	Kind          string `json:"kind"`
	Pseudonymised bool   `json:"pseudonymised"`
	Policy        string `json:"policy,omitempty"`
	Description   string `json:"description,omitempty"`
	// Ego networks: the centre's exported id, the depth, and whether the
	// network was truncated.
	Center    string `json:"center,omitempty"`
	Depth     int    `json:"depth,omitempty"`
	Truncated bool   `json:"truncated,omitempty"`
	// Sample: the method, the size asked for and the seed.
	Sample *SampleMeta `json:"sample,omitempty"`
	// Experiment is set by AttachShock.
	Experiment *ExperimentMeta `json:"experiment,omitempty"`
	// Generalised is set by Generalise: exact attributes were removed and
	// the rest made k-anonymous. In such an export a band of "*" is
	// suppressed, and a node with scored true and band "*" may be
	// unscored.
	Generalised *GeneralisedMeta `json:"generalised,omitempty"`
}

// SampleMeta describes how a sample was drawn.
type SampleMeta struct {
	Method string `json:"method"` // "snowball" or "uniform"
	Size   int    `json:"size"`
	Seed   uint64 `json:"seed"`
	// Population is the number of people sampled from.
	Population int `json:"population"`
}

// ExperimentMeta summarises the attached shock experiment.
type ExperimentMeta struct {
	Policy     string   `json:"policy"`
	Alpha      float64  `json:"alpha"`
	Shocked    []string `json:"shocked"`    // exported ids of the changed people
	FinalStep  int      `json:"final_step"` // the step number of the converged state
	Iterations int      `json:"iterations"`
	Moved      int      `json:"moved"`
	PointsLost float64  `json:"points_lost"`
	MaxHop     int      `json:"max_hop"`
}

// Node is one person. Score fields are zero (and omitted in JSON) when the
// person is unscored.
type Node struct {
	ID         string             `json:"id"`
	Scored     bool               `json:"scored"`
	Score      int                `json:"score,omitempty"`
	Individual int                `json:"individual,omitempty"`
	Band       string             `json:"band,omitempty"`
	PageRank   float64            `json:"pagerank,omitempty"`
	Percentile float64            `json:"percentile,omitempty"`
	Pillars    *contagion.Pillars `json:"pillars,omitempty"`
	// Hop is the distance from the centre of an ego network.
	Hop *int `json:"hop,omitempty"`
	// HopClass replaces Hop in a generalised export (see Generalise): the
	// hop in decimal, or "*" when suppressed.
	HopClass string `json:"hop_class,omitempty"`
	// Experiment: whether the person's record was changed, their hop
	// distance from the nearest source (-1: not connected), the total
	// change in points, and their score at each step of Graph.Steps.
	Shocked  bool        `json:"shocked,omitempty"`
	ShockHop *int        `json:"shock_hop,omitempty"`
	Delta    *float64    `json:"delta,omitempty"`
	Steps    []StepScore `json:"steps,omitempty"`
}

// StepScore is a person's score at one step of an experiment.
type StepScore struct {
	Step  int `json:"step"`
	Score int `json:"score"`
}

// Link is a tie: Kind "friend" (undirected, Weight its strength) or
// "recruited" (directed: Source recruited Target, Weight 1).
type Link struct {
	Source string  `json:"source"`
	Target string  `json:"target"`
	Kind   string  `json:"kind"`
	Weight float64 `json:"weight"`
}

// Directed reports whether the link is directed (a recruitment).
func (l Link) Directed() bool { return l.Kind == contagion.KindRecruited }

// newGraph starts a graph, checking the pseudonymizer.
func newGraph(kind string, ps Pseudonymizer) (*Graph, error) {
	if err := ps.Validate(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return &Graph{Meta: Meta{Kind: kind, Pseudonymised: !ps.RealIDs}, Nodes: []Node{}, Links: []Link{}, index: map[graph.ID]int{}}, nil
}

// addNode adds a node for real id, failing on a pseudonym collision.
func (g *Graph) addNode(real graph.ID, n Node, seen map[string]graph.ID) error {
	if other, dup := seen[n.ID]; dup && other != real {
		return errors.New("export: two people share a pseudonym; use another key")
	}
	seen[n.ID] = real
	g.index[real] = len(g.Nodes)
	g.Nodes = append(g.Nodes, n)
	g.real = append(g.real, real)
	return nil
}
