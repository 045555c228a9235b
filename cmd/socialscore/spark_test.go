package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/internal/sparktest"
)

// TestScoreOnSpark runs `score --engine spark` as a user would and checks
// that the run it saves is the run `score` saves with the Go engine on the
// same store: every person's score, and s and PageRank to the tolerances
// of scoring/spark's engine test. The API serves either run alike.
func TestScoreOnSpark(t *testing.T) {
	master := sparktest.Master(t)
	url := "embedded://" + filepath.Join(t.TempDir(), "s.db")
	runCmd(t, "seed", "--store", url, "--people", "600", "--seed", "4")
	out := runCmd(t, "score", "--store", url, "--policy", "tencent", "--engine", "spark", "--spark", master, "--spark-partitions", "2")
	assert.Contains(t, out, "scored 600 people")
	ctx := context.Background()
	store, err := openStore(ctx, url, storeOptions{})
	require.NoError(t, err)
	_, onSpark, err := store.LatestRun(ctx)
	require.NoError(t, err)
	require.NoError(t, store.Close())

	runCmd(t, "score", "--store", url, "--policy", "tencent")
	store, err = openStore(ctx, url, storeOptions{})
	require.NoError(t, err)
	defer store.Close()
	_, onGo, err := store.LatestRun(ctx)
	require.NoError(t, err)
	require.Len(t, onSpark, 600)
	require.Len(t, onGo, 600)
	for i := range onGo {
		require.Equal(t, onGo[i].ID, onSpark[i].ID)
		assert.Equal(t, onGo[i].Score, onSpark[i].Score, "score of %d", onGo[i].ID)
		assert.InDelta(t, onGo[i].Network, onSpark[i].Network, 1e-9, "s of %d", onGo[i].ID)
		assert.InEpsilon(t, onGo[i].PageRank, onSpark[i].PageRank, 1e-7, "PageRank of %d", onGo[i].ID)
	}
}

// TestScoreEngineFlags: a bad engine choice is a usage error that names
// the flag.
func TestScoreEngineFlags(t *testing.T) {
	url := "embedded://" + filepath.Join(t.TempDir(), "s.db")
	runCmd(t, "seed", "--store", url, "--people", "50", "--seed", "4")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--engine", "flink"}, `unknown engine "flink"`},
		{[]string{"--engine", "spark", "--spark", ""}, "needs --spark URL"},
		{[]string{"--engine", "spark", "--spark", "local[1]", "--spark-conf", "nokeyvalue"}, "is not KEY=VALUE"},
	} {
		t.Setenv("SOCIALSCORE_SPARK_MASTER", "")
		var errb syncBuffer
		err := run(context.Background(), append([]string{"score", "--store", url}, c.args...), &syncBuffer{}, &errb)
		require.Error(t, err, c.args)
		assert.Contains(t, err.Error(), c.want)
		assert.Equal(t, 2, exitCode(err), "a usage error")
	}
}
