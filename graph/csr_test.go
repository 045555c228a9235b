package graph_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
)

func TestCSRValidate(t *testing.T) {
	assert.NoError(t, graph.CSR{Offsets: []int32{0, 1, 2}, Targets: []int32{1, 0}}.Validate(2))
	assert.NoError(t, graph.CSR{Offsets: []int32{0}}.Validate(0))
	assert.NoError(t, graph.CSR{Offsets: []int32{0, 1, 2}, Targets: []int32{1, 0}, Weights: []float32{0, 2.5}}.Validate(2))
	for name, c := range map[string]struct {
		csr   graph.CSR
		n     int
		field string
	}{
		"no offsets":        {graph.CSR{}, 0, "offsets"},
		"wrong length":      {graph.CSR{Offsets: []int32{0, 1}, Targets: []int32{0}}, 2, "offsets"},
		"not at 0":          {graph.CSR{Offsets: []int32{1, 1}, Targets: []int32{0}}, 1, "offsets"},
		"decreasing":        {graph.CSR{Offsets: []int32{0, 2, 1}, Targets: []int32{1, 0}}, 2, "offsets"},
		"short end":         {graph.CSR{Offsets: []int32{0, 1, 1}, Targets: []int32{1, 0}}, 2, "offsets"},
		"target too big":    {graph.CSR{Offsets: []int32{0, 1, 2}, Targets: []int32{1, 2}}, 2, "targets"},
		"target negative":   {graph.CSR{Offsets: []int32{0, 1, 2}, Targets: []int32{1, -1}}, 2, "targets"},
		"weights too few":   {graph.CSR{Offsets: []int32{0, 1, 2}, Targets: []int32{1, 0}, Weights: []float32{1}}, 2, "weights"},
		"negative weight":   {graph.CSR{Offsets: []int32{0, 1, 2}, Targets: []int32{1, 0}, Weights: []float32{1, -1}}, 2, "weights"},
		"NaN weight":        {graph.CSR{Offsets: []int32{0, 1, 2}, Targets: []int32{1, 0}, Weights: []float32{float32(math.NaN()), 1}}, 2, "weights"},
		"infinite weight":   {graph.CSR{Offsets: []int32{0, 1, 2}, Targets: []int32{1, 0}, Weights: []float32{1, float32(math.Inf(1))}}, 2, "weights"},
		"negative vertices": {graph.CSR{Offsets: []int32{0}}, -1, "offsets"},
	} {
		err := c.csr.Validate(c.n)
		require.ErrorIs(t, err, graph.ErrInvalid, name)
		var ve *graph.ValidationError
		require.ErrorAs(t, err, &ve, name)
		assert.Equal(t, c.field, ve.Field, name)
	}
}

func TestPosition(t *testing.T) {
	for name, ids := range map[string][]graph.ID{
		"dense":  {5, 6, 7, 8},
		"sparse": {2, 3, 10, 40, 41},
		"empty":  nil,
	} {
		for i, id := range ids {
			k, ok := graph.Position(ids, id)
			assert.True(t, ok, "%s: %d", name, id)
			assert.Equal(t, i, k, "%s: %d", name, id)
		}
		for _, id := range []graph.ID{1, 4, 9, 11, 39, 42, 100} {
			_, ok := graph.Position(ids, id)
			assert.False(t, ok, "%s: %d is absent", name, id)
		}
	}
}

func TestAlign(t *testing.T) {
	ids := []graph.ID{1, 3, 5, 7}
	sorted := []graph.Result{{ID: 1}, {ID: 2}, {ID: 5}, {ID: 7}}
	assert.Equal(t, []int32{0, -1, 2, 3}, graph.Align(ids, sorted))
	shuffled := []graph.Result{{ID: 7}, {ID: 9}, {ID: 3}, {ID: 1}}
	assert.Equal(t, []int32{3, 2, -1, 0}, graph.Align(ids, shuffled))
	assert.Equal(t, []int32{-1, -1, -1, -1}, graph.Align(ids, nil))
}
