package datasets

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDirFromSubfolder: without the override, Dir finds the same folder
// from any depth below the module root.
func TestDirFromSubfolder(t *testing.T) {
	t.Setenv(Env, "")
	want := Dir(t)
	root := moduleRoot(t)
	assert.Equal(t, filepath.Join(root, "testdata"), want)
	t.Chdir(filepath.Join(root, "scoring", "netstat"))
	assert.Equal(t, want, Dir(t))
	_, err := os.Stat(filepath.Join(want, LDBCFolder))
	require.NoError(t, err)
}

func TestCSR(t *testing.T) {
	off, tgt := CSR(4, [][2]int32{{2, 0}, {0, 3}, {0, 1}}, true)
	assert.Equal(t, []int32{0, 3, 4, 5, 6}, off)
	assert.Equal(t, []int32{1, 2, 3, 0, 0, 0}, tgt)
	off, tgt = CSR(3, [][2]int32{{1, 0}, {0, 2}, {0, 1}}, false)
	assert.Equal(t, []int32{0, 2, 3, 3}, off)
	assert.Equal(t, []int32{1, 2, 0}, tgt)
}

// TestLoadLDBC: example-directed has 10 vertices and 17 edges
// (example-directed.properties).
func TestLoadLDBC(t *testing.T) {
	g := LoadLDBC(t, "example-directed")
	assert.True(t, g.Directed)
	assert.Len(t, g.IDs, 10)
	assert.Len(t, g.Edges, 17)
	off, tgt := g.CSR()
	assert.Len(t, off, 11)
	assert.Len(t, tgt, 17)
	assert.Len(t, g.Expected(t, "WCC"), 10)
	assert.Equal(t, 2, g.IntProp(t, "cdlp.max-iterations"))
	assert.InDelta(t, 0.85, g.FloatProp(t, "pr.damping-factor"), 0)
}

func TestKarateEdges(t *testing.T) {
	e := KarateEdges(t)
	assert.Len(t, e, 78)
	assert.Equal(t, [2]int32{2, 1}, e[0], `first line "2 1"`)
}
