package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/socialscore/socialscore/graph"
)

// Ties may name people who have not consented: they are stored, but a
// scoring run ignores them until both people consent. Tie responses carry
// only the tie, never data of the people.

// FriendshipResponse is a friendship: A < B, weight > 0 (1 by default).
type FriendshipResponse struct {
	A      graph.ID `json:"a"`
	B      graph.ID `json:"b"`
	Weight float64  `json:"weight"`
}

// RecruitmentResponse is a recruitment: Recruiter recruited Recruit.
type RecruitmentResponse struct {
	Recruiter graph.ID `json:"recruiter"`
	Recruit   graph.ID `json:"recruit"`
}

// friendshipBody is the optional body of PUT /v1/friendships/{a}/{b}.
type friendshipBody struct {
	Weight *float64 `json:"weight"`
}

// maxWeight matches graph.Tie.Validate.
const maxWeight = 1e6

// tiePair parses the two path ids of a tie route. The second must differ
// from the first.
func tiePair(c *gin.Context, first, second, self string) (graph.ID, graph.ID, error) {
	a, err := pathID(c, first)
	if err != nil {
		return 0, 0, err
	}
	b, err := pathID(c, second)
	if err != nil {
		return 0, 0, err
	}
	if a == b {
		return 0, 0, invalid(second, self)
	}
	return a, b, nil
}

// hasTie reports whether the person from has a tie of the kind to to. It
// returns a 404 naming fromField if from does not exist.
func (s *Server) hasTie(ctx context.Context, t graph.Tie, fromField string) (bool, error) {
	ties, err := s.store.Ties(ctx, t.From)
	if errors.Is(err, graph.ErrNotFound) {
		return false, errNoPerson(fromField, t.From)
	}
	if err != nil {
		return false, err
	}
	for _, x := range ties {
		if x.Kind == t.Kind && x.From == t.From && x.To == t.To {
			return true, nil
		}
	}
	return false, nil
}

// putTie stores t after checking that both people exist, and reports
// whether it was new.
func (s *Server) putTie(ctx context.Context, t graph.Tie, fromField, toField string) (bool, error) {
	existed, err := s.hasTie(ctx, t, fromField)
	if err != nil {
		return false, err
	}
	err = s.store.PutTie(ctx, t)
	s.snaps.wrote(false)
	var ve *graph.ValidationError
	switch {
	case err == nil:
		return !existed, nil
	case errors.As(err, &ve):
		return false, err
	case errors.Is(err, graph.ErrNotFound):
		// From was found just before: To is the missing one.
		return false, errNoPerson(toField, t.To)
	case errors.Is(err, graph.ErrConflict) && t.Kind == graph.Recruited:
		return false, &apiError{status: http.StatusConflict, typ: typeConflict, title: "Conflict",
			detail: fmt.Sprintf("recruit: person %d already has a different recruiter", t.To),
			errs:   []FieldError{{Field: toField, Reason: "already has a different recruiter"}}, cause: err}
	}
	return false, err
}

// putFriendship is PUT /v1/friendships/{a}/{b} with an optional body
// {"weight": w}; without one the weight is 1. 201 if new, 200 if updated.
func (s *Server) putFriendship(c *gin.Context) {
	a, b, err := tiePair(c, "a", "b", "a person cannot befriend themselves")
	if err != nil {
		s.writeError(c, err)
		return
	}
	var body friendshipBody
	if _, err := s.bindJSON(c, &body, true); err != nil {
		s.writeError(c, err)
		return
	}
	w := 1.0
	if body.Weight != nil {
		w = *body.Weight
		if !(w > 0 && w <= maxWeight) {
			s.writeError(c, invalid("weight", fmt.Sprintf("must be a number greater than 0 and at most %g", float64(maxWeight))))
			return
		}
	}
	t := graph.Tie{Kind: graph.Friend, From: a, To: b, Weight: w}.Normalize()
	if err := t.Validate(); err != nil {
		s.writeError(c, err)
		return
	}
	fromField, toField := "a", "b"
	if t.From != a {
		fromField, toField = "b", "a"
	}
	created, err := s.putTie(c.Request.Context(), t, fromField, toField)
	if err != nil {
		s.writeError(c, err)
		return
	}
	s.liveTie(c.Request.Context(), t.From, t.To, t.Weight, false) // api/live.go
	writeJSON(c, createdOrOK(created), FriendshipResponse{A: t.From, B: t.To, Weight: t.Weight})
}

// deleteFriendship is DELETE /v1/friendships/{a}/{b} (either order): 204.
func (s *Server) deleteFriendship(c *gin.Context) {
	a, b, err := tiePair(c, "a", "b", "a person cannot befriend themselves")
	if err != nil {
		s.writeError(c, err)
		return
	}
	s.deleteTie(c, graph.Friend, a, b, fmt.Sprintf("no friendship between %d and %d", a, b))
}

// putRecruitment is PUT /v1/recruitments/{recruiter}/{recruit}. A body,
// if any, must be an empty JSON object. A recruit has one recruiter: a
// different one is a 409.
func (s *Server) putRecruitment(c *gin.Context) {
	rr, rc, err := tiePair(c, "recruiter", "recruit", "a person cannot recruit themselves")
	if err != nil {
		s.writeError(c, err)
		return
	}
	var body struct{}
	if _, err := s.bindJSON(c, &body, true); err != nil {
		s.writeError(c, err)
		return
	}
	t := graph.Tie{Kind: graph.Recruited, From: rr, To: rc}.Normalize()
	if err := t.Validate(); err != nil {
		s.writeError(c, err)
		return
	}
	created, err := s.putTie(c.Request.Context(), t, "recruiter", "recruit")
	if err != nil {
		s.writeError(c, err)
		return
	}
	s.liveRecruit(c.Request.Context(), rr, rc, false) // api/live.go
	writeJSON(c, createdOrOK(created), RecruitmentResponse{Recruiter: rr, Recruit: rc})
}

// deleteRecruitment is DELETE /v1/recruitments/{recruiter}/{recruit}: 204.
func (s *Server) deleteRecruitment(c *gin.Context) {
	rr, rc, err := tiePair(c, "recruiter", "recruit", "a person cannot recruit themselves")
	if err != nil {
		s.writeError(c, err)
		return
	}
	s.deleteTie(c, graph.Recruited, rr, rc, fmt.Sprintf("person %d did not recruit %d", rr, rc))
}

func (s *Server) deleteTie(c *gin.Context, kind graph.TieKind, a, b graph.ID, missing string) {
	err := s.store.DeleteTie(c.Request.Context(), kind, a, b)
	s.snaps.wrote(false)
	if err != nil {
		var ve *graph.ValidationError
		if errors.Is(err, graph.ErrNotFound) && !errors.As(err, &ve) {
			err = notFound("", missing)
		}
		s.writeError(c, err)
		return
	}
	s.liveTieDeleted(c.Request.Context(), kind, a, b) // api/live.go
	c.Status(http.StatusNoContent)
}

func createdOrOK(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}
