package api

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

func TestFriendships(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	ctx := context.Background()
	friendship := func(a, b graph.ID) (graph.Tie, bool) {
		ties, err := e.store.Ties(ctx, a)
		require.NoError(t, err)
		for _, x := range ties {
			if x.Kind == graph.Friend && ((x.From == a && x.To == b) || (x.From == b && x.To == a)) {
				return x, true
			}
		}
		return graph.Tie{}, false
	}

	// New, given in descending order: stored normalised, weight 1.
	w := e.do(request{method: http.MethodPut, path: "/v1/friendships/5/2"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	var f FriendshipResponse
	decode(t, w, &f)
	assert.Equal(t, FriendshipResponse{A: 2, B: 5, Weight: 1}, f)
	tie, ok := friendship(2, 5)
	require.True(t, ok)
	assert.Equal(t, 1.0, tie.Weight)

	// Same pair, either order, with a weight: updated.
	w = e.do(request{method: http.MethodPut, path: "/v1/friendships/2/5", body: `{"weight":2.5}`})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	decode(t, w, &f)
	assert.Equal(t, FriendshipResponse{A: 2, B: 5, Weight: 2.5}, f)
	tie, _ = friendship(5, 2)
	assert.Equal(t, 2.5, tie.Weight)

	// An empty body is no body: the weight goes back to 1.
	w = e.do(request{method: http.MethodPut, path: "/v1/friendships/5/2", body: " "})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	tie, _ = friendship(5, 2)
	assert.Equal(t, 1.0, tie.Weight)

	// A tie with a person who has not consented is stored (ignored by scoring).
	w = e.do(request{method: http.MethodPut, path: "/v1/friendships/1/6"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())

	w = e.do(request{method: http.MethodDelete, path: "/v1/friendships/5/2"})
	require.Equal(t, http.StatusNoContent, w.Code, w.Body.String())
	_, ok = friendship(2, 5)
	assert.False(t, ok)
	assertProblem(t, e.do(request{method: http.MethodDelete, path: "/v1/friendships/2/5"}),
		http.StatusNotFound, "not-found", "", "no friendship between 2 and 5")
}

func TestRecruitments(t *testing.T) {
	e := newTestServer(t, openTestStore(t))
	e.seed()
	ctx := context.Background()
	recruiter := func(id graph.ID) graph.ID {
		ties, err := e.store.Ties(ctx, id)
		require.NoError(t, err)
		for _, x := range ties {
			if x.Kind == graph.Recruited && x.To == id {
				return x.From
			}
		}
		return 0
	}

	w := e.do(request{method: http.MethodPut, path: "/v1/recruitments/2/3", body: `{}`})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	var r RecruitmentResponse
	decode(t, w, &r)
	assert.Equal(t, RecruitmentResponse{Recruiter: 2, Recruit: 3}, r)
	assert.Equal(t, graph.ID(2), recruiter(3))

	w = e.do(request{method: http.MethodPut, path: "/v1/recruitments/2/3"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())

	w = e.do(request{method: http.MethodDelete, path: "/v1/recruitments/2/3"})
	require.Equal(t, http.StatusNoContent, w.Code, w.Body.String())
	assert.Zero(t, recruiter(3))
	assertProblem(t, e.do(request{method: http.MethodDelete, path: "/v1/recruitments/2/3"}),
		http.StatusNotFound, "not-found", "", "person 2 did not recruit 3")
	// The direction matters: 5 was recruited by 1, not the other way.
	assertProblem(t, e.do(request{method: http.MethodDelete, path: "/v1/recruitments/5/1"}),
		http.StatusNotFound, "not-found", "", "")
}
