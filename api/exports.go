package api

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialscore/socialscore/export"
	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
	"github.com/socialscore/socialscore/scoring/contagion"
)

// Defaults of GET /v1/exports.
const (
	DefaultExportDepth = 1
	DefaultExportSeed  = 1
)

// newExportKey returns the configured pseudonymisation key; else the
// store's own key (graph.PseudonymKeyStore: created once and kept in the
// store, so a person has one pseudonym in every export, format and restart);
// else, for a store without one, a random key (pseudonyms then stay stable
// only until the process restarts), reporting true.
func newExportKey(cfg *Config) ([]byte, bool, error) {
	if len(cfg.ExportKey) > 0 {
		return append([]byte(nil), cfg.ExportKey...), false, nil
	}
	if ks, ok := cfg.Store.(graph.PseudonymKeyStore); ok {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		key, err := ks.PseudonymKey(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("api: the store's pseudonymisation key: %w", err)
		}
		return key, false, nil
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, false, fmt.Errorf("api: export key: %w", err)
	}
	return key, true, nil
}

// getExport is GET /v1/exports: the ego network of a person (ego, depth,
// limit), a sample (sample, seed, method) or the whole consenting network,
// as JSON, GEXF or GraphML, served as an attachment. Ids are pseudonymised
// with the server's key (by default the store's: newExportKey) unless
// real_ids=true, which Config.ExportRealIDs must allow (403 otherwise).
// Recruitments are written as undirected edges of kind "recruited" unless
// undirected_recruitments=false (see export.DirectedRecruitments): a file
// with both directed and undirected edges is refused by NetworkX. An export with real ids is a read of every
// score in it and is audited; a pseudonymised one names nobody and is not.
func (s *Server) getExport(c *gin.Context) {
	q, err := queryParams(c, "format", "ego", "depth", "limit", "sample", "seed", "method", "real_ids", "undirected_recruitments")
	if err != nil {
		s.writeError(c, err)
		return
	}
	format := export.FormatJSON
	if q.Has("format") {
		if format, err = export.ParseFormat(q.Get("format")); err != nil {
			s.writeError(c, invalid("format", fmt.Sprintf("unknown format %q (want json, gexf or graphml)", q.Get("format"))))
			return
		}
	}
	realIDs, err := boolParam(q, "real_ids")
	if err != nil {
		s.writeError(c, err)
		return
	}
	undirected := true
	if q.Has("undirected_recruitments") {
		if undirected, err = boolParam(q, "undirected_recruitments"); err != nil {
			s.writeError(c, err)
			return
		}
	}
	var opts []export.WriteOption
	if !undirected {
		opts = append(opts, export.DirectedRecruitments())
	}
	if realIDs && !s.cfg.ExportRealIDs {
		s.writeError(c, &apiError{status: http.StatusForbidden, typ: typeForbidden, title: "Forbidden",
			detail: "real_ids: this server does not allow exports with real ids; ids are pseudonymised",
			errs:   []FieldError{{Field: "real_ids", Reason: "not allowed by the server's configuration"}}})
		return
	}
	ego, sample := q.Has("ego"), q.Has("sample")
	for _, p := range []struct {
		name  string
		needs string
		ok    bool
	}{{"depth", "ego", ego}, {"limit", "ego", ego}, {"seed", "sample", sample}, {"method", "sample", sample}} {
		if q.Has(p.name) && !p.ok {
			s.writeError(c, invalid(p.name, "is only allowed with "+p.needs))
			return
		}
	}
	if ego && sample {
		s.writeError(c, invalid("sample", "ego and sample exclude each other"))
		return
	}
	var (
		center        graph.ID
		depth, limit  int
		size          int
		seedVal       uint64 = DefaultExportSeed
		uniform       bool
		kind, summary string
	)
	switch {
	case ego:
		if center, err = graph.ParseID(q.Get("ego")); err != nil {
			s.writeError(c, invalid("ego", "must be a positive integer id"))
			return
		}
		if depth, err = intParam(q, "depth", DefaultExportDepth, 1, contagion.MaxEgoDepth); err != nil {
			s.writeError(c, err)
			return
		}
		if limit, err = intParam(q, "limit", contagion.MaxEgoLimit, 1, contagion.MaxEgoLimit); err != nil {
			s.writeError(c, err)
			return
		}
		kind = "ego"
	case sample:
		if size, err = intParam(q, "sample", 0, 1, math.MaxInt32); err != nil {
			s.writeError(c, err)
			return
		}
		if q.Has("seed") {
			if seedVal, err = strconv.ParseUint(q.Get("seed"), 10, 64); err != nil {
				s.writeError(c, invalid("seed", "must be a non-negative integer"))
				return
			}
		}
		switch q.Get("method") {
		case "", "snowball":
		case "uniform":
			uniform = true
		default:
			s.writeError(c, invalid("method", fmt.Sprintf("unknown sampling method %q (want snowball or uniform)", q.Get("method"))))
			return
		}
		kind = "sample"
	default:
		kind = "network"
	}

	ctx := c.Request.Context()
	e, err := s.snaps.get(ctx)
	if err != nil {
		s.writeError(c, err)
		return
	}
	release, err := s.admitExport(ctx, e, kind, size, limit) // cost and a heavy slot (api/admission.go)
	if err != nil {
		s.writeError(c, err)
		return
	}
	defer release() // given back before writing, below; a second call is harmless
	view := s.runner.View()
	ps := export.Pseudonymizer{Key: s.exportKey, RealIDs: realIDs}
	var g *export.Graph
	switch kind {
	case "ego":
		var eg contagion.EgoNetwork
		if eg, err = s.ego(e, view, center, depth, limit, "ego"); err == nil {
			g, err = export.FromEgo(eg, ps)
		}
		summary = fmt.Sprintf("ego depth %d", depth)
	case "sample":
		if uniform {
			g, err = export.SampleUniform(e.snap, s.visibleScores(view), size, seedVal, ps)
		} else {
			g, err = export.Sample(e.snap, s.visibleScores(view), size, seedVal, ps)
		}
		summary = fmt.Sprintf("sample of %d", size)
	default:
		g, err = export.FromSnapshot(e.snap, s.visibleScores(view), ps)
		summary = "whole network"
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	if infoFrom(ctx).role == graph.RoleResearcher {
		export.Generalise(g, export.DefaultK) // see export/generalise.go
	}
	if realIDs {
		var recs []AuditRecord
		for _, n := range g.Nodes {
			if !n.Scored {
				continue
			}
			id, err := graph.ParseID(n.ID)
			if err != nil {
				s.writeError(c, fmt.Errorf("export: node id %q is not a real id: %w", n.ID, err))
				return
			}
			recs = append(recs, AuditRecord{Person: id})
		}
		if err := s.recordReads(infoFrom(ctx), routeExports, recs...); err != nil {
			s.writeError(c, err)
			return
		}
	}
	release()
	h := c.Writer.Header()
	h.Set("Content-Type", format.ContentType())
	h.Set("Content-Disposition", `attachment; filename="socialscore-`+kind+format.Ext()+`"`)
	h["Cache-Control"] = noStore
	c.Status(http.StatusOK)
	if err := export.Write(c.Writer, format, g, opts...); err != nil {
		// The status is sent: all that is left is to stop. Most likely the
		// client went away.
		s.log.LogAttrs(ctx, slog.LevelWarn, "api: export cut short", slog.String("request_id", requestID(c)),
			slog.String("export", summary), slog.Any("error", err))
		c.Abort()
	}
}

// visibleScores returns the view's scores without those the runner hides
// (people erased or withdrawn since the run, who consented again).
func (s *Server) visibleScores(view *scoring.View) contagion.Scores {
	sc := contagion.ViewScores(view)
	hidden := 0
	for _, r := range sc.Results {
		if _, _, ok := s.runner.Lookup(r.ID); !ok {
			hidden++
		}
	}
	if hidden == 0 {
		return sc
	}
	kept := make([]graph.Result, 0, len(sc.Results)-hidden)
	for _, r := range sc.Results {
		if _, _, ok := s.runner.Lookup(r.ID); ok {
			kept = append(kept, r)
		}
	}
	sc.Results = kept
	return sc
}
