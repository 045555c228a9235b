package scoring

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/socialscore/socialscore/graph"
)

func TestViewIndex(t *testing.T) {
	for _, tc := range []struct {
		name string
		ids  []graph.ID
	}{
		{"dense", []graph.ID{1, 2, 3, 4, 5}},
		{"sparse", []graph.ID{3, 10, 11, 400, 9000}},
		{"unsorted", []graph.ID{11, 3, 9000, 400, 10}},
		{"empty", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			results := make([]graph.Result, len(tc.ids))
			for i, id := range tc.ids {
				results[i] = graph.Result{ID: id, Score: 500 + int(id)}
			}
			v := NewView(graph.Run{ID: "r"}, Policy{}, results)
			for _, id := range tc.ids {
				i, ok := v.Index(id)
				if assert.True(t, ok, "id %d", id) {
					assert.Equal(t, id, v.Results()[i].ID)
				}
				r, ok := v.Lookup(id)
				assert.True(t, ok)
				assert.Equal(t, 500+int(id), r.Score)
			}
			for _, id := range []graph.ID{0, 2, 4, 12, 8999, 9001} {
				_, ok := v.Index(id)
				assert.Equal(t, slices.Contains(tc.ids, id), ok, "id %d", id)
			}
		})
	}
}

func TestRunnerLookupIndexForgets(t *testing.T) {
	r := NewRunner(nil, nil)
	_, _, v, ok := r.LookupIndex(1)
	assert.False(t, ok)
	assert.Nil(t, v, "no view before any run")

	r.view.Store(NewView(graph.Run{ID: "r"}, Policy{}, []graph.Result{{ID: 1}, {ID: 2}, {ID: 5}}))
	res, i, v, ok := r.LookupIndex(5)
	assert.True(t, ok)
	assert.Equal(t, graph.ID(5), res.ID)
	assert.Equal(t, 2, i)
	assert.Same(t, r.View(), v)

	r.Forget(5)
	_, _, v, ok = r.LookupIndex(5)
	assert.False(t, ok)
	assert.Same(t, r.View(), v)
	_, _, ok = r.Lookup(5)
	assert.False(t, ok)
	_, _, _, ok = r.LookupIndex(2)
	assert.True(t, ok)
}

// View.Index finds every id by its consecutive-id shortcut as by the
// search over ids (graph.Position), and refuses ids outside the view.
func TestViewIndexDenseAndSparse(t *testing.T) {
	for _, ids := range [][]graph.ID{{5, 6, 7, 8}, {5, 6, 8, 9}, {1}, {2, 2, 3}} {
		rs := make([]graph.Result, len(ids))
		for i, id := range ids {
			rs[i] = graph.Result{ID: id}
		}
		v := NewView(graph.Run{}, Policy{}, rs)
		for id := graph.ID(-1); id <= 12; id++ {
			want, wok := graph.Position(ids, id)
			got, ok := v.Index(id)
			if ok != wok || (ok && got != want) {
				t.Errorf("ids %v: Index(%d) = %d, %v; graph.Position gives %d, %v", ids, id, got, ok, want, wok)
			}
		}
	}
}
