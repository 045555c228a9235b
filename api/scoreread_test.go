package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

// encodeFresh is the body of a person's score encoded from scoring.Explain
// (an explanation that owns its slices), as a reference for the reads,
// which explain into a buffer they reuse.
func encodeFresh(t *testing.T, e *testEnv, id graph.ID) string {
	t.Helper()
	res, view, ok := e.runner.Lookup(id)
	require.True(t, ok)
	ex := scoring.Explain(res, view.Policy)
	var se scoreEncoder
	return string(se.append(nil, res, view, &ex, false))
}

// TestScoreReadsEncodeFreshExplanations reads every score several times,
// alone and in batches whose people share one explanation buffer: each
// body is the one encoded from a fresh explanation, whatever was read
// before it.
func TestScoreReadsEncodeFreshExplanations(t *testing.T) {
	for _, policy := range []string{"sesame", "lenddo"} {
		t.Run(policy, func(t *testing.T) {
			e := newTestServer(t, openTestStore(t))
			ids := e.seed()
			e.score(policy)
			order := append(append([]graph.ID{}, ids...), ids[3], ids[0], ids[2])
			for range 2 {
				for _, id := range order {
					w := e.get("/v1/people/" + id.String() + "/score")
					require.Equal(t, http.StatusOK, w.Code, w.Body.String())
					assert.Equal(t, encodeFresh(t, e, id), w.Body.String())
				}
			}
			for _, batch := range [][]graph.ID{ids, {ids[2], ids[0], ids[1]}} {
				var want, list []string
				for _, id := range batch {
					want = append(want, encodeFresh(t, e, id))
					list = append(list, id.String())
				}
				w := e.do(request{method: http.MethodPost, path: "/v1/scores/batch", body: `{"ids":[` + strings.Join(list, ",") + `]}`})
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
				assert.Equal(t, `{"scores":[`+strings.Join(want, ",")+`]}`, w.Body.String())
			}
		})
	}
}
