package api

import (
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
func (s *Server) researcherNetwork(c *gin.Context, eg contagion.EgoNetwork) {
	g, err := export.FromEgo(eg, export.Pseudonymizer{Key: s.exportKey})
	if err != nil {
		s.writeError(c, err)
		return
	}
	export.Generalise(g, export.DefaultK)
	writeJSON(c, http.StatusOK, g)
}
