package api

import (
	"crypto/rand"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/socialscore/socialscore/export"
	"github.com/socialscore/socialscore/scoring/contagion"
)

// researcherNetwork answers GET /v1/people/{id}/network for a researcher:
// the ego network as an export graph (nodes and links, as GET /v1/exports
// writes it in JSON) with pseudonymised ids and generalised attributes
// (export.Generalise: score bands instead of scores, no PageRank, no
// pillars, every combination of attributes shared by at least
// export.DefaultK people). No score is shown, so no read is recorded
// besides the access itself.
//
// The pseudonyms are made with a key of this response only: a researcher
// names the centre by its real id, so pseudonyms shared with exports would
// let them learn the pseudonym of anyone they ask about (and of their
// friends), and join exports back to real ids.
func (s *Server) researcherNetwork(c *gin.Context, eg contagion.EgoNetwork) {
	g, err := export.FromEgo(eg, export.Pseudonymizer{Key: oneOffKey()})
	if err != nil {
		s.writeError(c, err)
		return
	}
	export.Generalise(g, export.DefaultK)
	writeJSON(c, http.StatusOK, g)
}

// oneOffKey is a pseudonymisation key for one response.
func oneOffKey() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return k
}

// researcherShock is the answer of POST /v1/experiments/shock to a researcher: the
// result with pseudonyms of a key of this result only (the researcher
// chose the shocked people by real id: see researcherNetwork) and without
// anyone's scores, only the changes the experiment caused. The key is the
// same on every page of one result (key: see Server.pageKey) and never
// the exports' key.
func researcherShock(res contagion.ShockResult, page *ShockPage, key []byte) (researcherShockResponse, error) {
	out, err := export.Shock(res, export.Pseudonymizer{Key: key})
	if err != nil {
		return researcherShockResponse{}, err
	}
	export.GeneraliseShock(&out)
	return researcherShockResponse{ShockExport: out, Page: page}, nil
}
