// Package spark runs the graph phases of a scoring run — propagation and
// PageRank, with the definitions of package scoring — on an Apache Spark
// cluster, for networks past one machine (docs/architecture.md, "Spark
// engine").
//
// Engine is a scoring.GraphEngine: scoring.ScoreSnapshot computes the
// pillars and b, hands the friendship graph to the engine, and does the
// percentiles, penalties and final combination itself, so the model keeps
// one home. The engine writes the people (index, id, b, pillars, consent)
// and the ties (both ends, float64 weights) as Parquet under Dir, submits
// graph_phases.py (kept in this package and embedded in the binary) with
// spark-submit, and reads s and PageRank back from the Parquet files the
// job writes. Dir must be a path that the driver, the executors and this
// process all reach: a local folder with a local master, or a shared file
// system (NFS, or HDFS mounted through its NFS gateway) on a cluster.
//
// The Spark path is checked against the Go kernels (scoring.PropagateCSR,
// scoring.PageRank) on every test graph in this package's tests.
package spark

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/scoring"
)

//go:embed graph_phases.py
var job []byte

// Engine submits the graph phases to Spark.
type Engine struct {
	// Master is the Spark master URL: spark://HOST:PORT (a standalone
	// cluster), local[K], yarn, k8s://..., or sc://HOST:PORT for Spark
	// Connect (passed as --remote).
	Master string
	// Submit is the spark-submit to run; empty: $SPARK_HOME/bin/spark-submit,
	// else spark-submit on PATH.
	Submit string
	// Dir is the exchange folder (see the package comment); empty: a new
	// temporary folder, removed afterwards.
	Dir string
	// Partitions is the number of hash partitions of ties and state; 0: 4.
	Partitions int
	// Checkpoint is the number of steps between checkpoints; 0: 10.
	Checkpoint int
	// Conf holds extra --conf KEY=VALUE settings.
	Conf []string
	// Log receives spark-submit's output; nil discards it (it is shown in
	// the error when the job fails).
	Log io.Writer
}

// Name implements scoring.GraphEngine.
func (e *Engine) Name() string { return "spark" }

// PersonRow is a person as the job reads them (people/part-0.parquet).
type PersonRow struct {
	Idx         int32   `parquet:"idx"`
	ID          int64   `parquet:"id"`
	B           float64 `parquet:"b"`
	Purchase    float64 `parquet:"purchase"`
	Info        float64 `parquet:"info"`
	Bills       float64 `parquet:"bills"`
	Credit      float64 `parquet:"credit"`
	Recruitment float64 `parquet:"recruitment"`
	Consent     bool    `parquet:"consent"`
}

// TieRow is one end of a friendship (ties/part-0.parquet): row Src, friend
// Dst, weight W (1 when the network has no weights).
type TieRow struct {
	Src int32   `parquet:"src"`
	Dst int32   `parquet:"dst"`
	W   float64 `parquet:"w"`
}

// ResultRow is the job's answer for one person (results/*.parquet).
type ResultRow struct {
	Idx      int32   `parquet:"idx"`
	S        float64 `parquet:"s"`
	PageRank float64 `parquet:"pagerank"`
}

// Graph implements scoring.GraphEngine.
func (e *Engine) Graph(ctx context.Context, in scoring.GraphInput) (scoring.GraphOutput, error) {
	var out scoring.GraphOutput
	n := len(in.B)
	if n == 0 {
		return scoring.GraphOutput{S: []float64{}, PageRank: []float64{}}, nil
	}
	if e.Master == "" {
		return out, graph.Invalid("spark", "no master URL (e.g. spark://127.0.0.1:7077 or local[2])")
	}
	dir := e.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "socialscore-spark-")
		if err != nil {
			return out, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return out, err
	}
	inDir, outDir := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	for _, d := range []string{inDir, outDir} {
		if err := os.RemoveAll(d); err != nil {
			return out, err
		}
	}
	if err := WriteInput(inDir, in); err != nil {
		return out, fmt.Errorf("spark: write input: %w", err)
	}
	jobPath := filepath.Join(dir, "graph_phases.py")
	if err := os.WriteFile(jobPath, job, 0o644); err != nil {
		return out, err
	}
	if err := e.submit(ctx, dir, jobPath, inDir, outDir, in.Alpha); err != nil {
		return out, err
	}
	return ReadOutput(outDir, n)
}

// submit runs spark-submit and waits for it.
func (e *Engine) submit(ctx context.Context, dir, jobPath, inDir, outDir string, alpha float64) error {
	submit := e.Submit
	if submit == "" {
		submit = "spark-submit"
		if home := os.Getenv("SPARK_HOME"); home != "" {
			submit = filepath.Join(home, "bin", "spark-submit")
		}
	}
	parts, every := e.Partitions, e.Checkpoint
	if parts <= 0 {
		parts = 4
	}
	if every <= 0 {
		every = 10
	}
	args := []string{}
	if strings.HasPrefix(e.Master, "sc://") {
		args = append(args, "--remote", e.Master)
	} else {
		args = append(args, "--master", e.Master)
	}
	args = append(args, "--conf", "spark.ui.enabled=false", "--conf", "spark.sql.shuffle.partitions="+strconv.Itoa(parts))
	for _, c := range e.Conf {
		args = append(args, "--conf", c)
	}
	args = append(args, jobPath, "--in", inDir, "--out", outDir,
		"--alpha", strconv.FormatFloat(alpha, 'g', -1, 64),
		"--damping", strconv.FormatFloat(scoring.DefaultDamping, 'g', -1, 64),
		"--partitions", strconv.Itoa(parts), "--checkpoint", strconv.Itoa(every),
		"--checkpoint-dir", filepath.Join(dir, "checkpoints"))
	cmd := exec.CommandContext(ctx, submit, args...)
	var tail tailBuffer
	var w io.Writer = &tail
	if e.Log != nil {
		w = io.MultiWriter(&tail, e.Log)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("spark: %w", ctx.Err())
		}
		var ee *exec.Error
		if errors.As(err, &ee) {
			return fmt.Errorf("spark: cannot run %s (install Spark, e.g. pip install pyspark, and set SPARK_HOME or --spark-submit): %w", submit, err)
		}
		return fmt.Errorf("spark: job failed: %w; last output:\n%s", err, tail.String())
	}
	return nil
}

// WriteInput writes the people and ties of in as Parquet under dir
// (people/part-0.parquet, ties/part-0.parquet).
func WriteInput(dir string, in scoring.GraphInput) error {
	n := len(in.B)
	if len(in.IDs) != n || len(in.Pillars) != n {
		return graph.Invalid("input", "has %d ids, %d pillars and %d values of b", len(in.IDs), len(in.Pillars), n)
	}
	if err := graph.Under("friends", in.Friends.Validate(n)); err != nil {
		return err
	}
	people := make([]PersonRow, n)
	for i := range people {
		p := in.Pillars[i]
		people[i] = PersonRow{Idx: int32(i), ID: int64(in.IDs[i]), B: in.B[i], Purchase: p.Purchase, Info: p.Info,
			Bills: p.Bills, Credit: p.Credit, Recruitment: p.Recruitment, Consent: true}
	}
	ties := make([]TieRow, 0, len(in.Friends.Targets))
	for u := range n {
		for k := in.Friends.Offsets[u]; k < in.Friends.Offsets[u+1]; k++ {
			w := 1.0
			if in.Friends.Weights != nil {
				w = float64(in.Friends.Weights[k])
			}
			ties = append(ties, TieRow{Src: int32(u), Dst: in.Friends.Targets[k], W: w})
		}
	}
	for name, write := range map[string]func(string) error{
		"people": func(p string) error { return parquet.WriteFile(p, people) },
		"ties":   func(p string) error { return parquet.WriteFile(p, ties) },
	} {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			return err
		}
		if err := write(filepath.Join(dir, name, "part-0.parquet")); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// stats is the job's stats.json.
type stats struct {
	People                int `json:"people"`
	PropagationIterations int `json:"propagation_iterations"`
	PageRankIterations    int `json:"pagerank_iterations"`
}

// ReadOutput reads the job's results for n people: every index once.
func ReadOutput(dir string, n int) (scoring.GraphOutput, error) {
	var out scoring.GraphOutput
	raw, err := os.ReadFile(filepath.Join(dir, "stats.json"))
	if err != nil {
		return out, fmt.Errorf("spark: the job wrote no stats: %w", err)
	}
	var st stats
	if err := json.Unmarshal(raw, &st); err != nil {
		return out, fmt.Errorf("spark: stats.json: %w", err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "results", "*.parquet"))
	if err != nil {
		return out, err
	}
	out.S, out.PageRank = make([]float64, n), make([]float64, n)
	seen := make([]bool, n)
	got := 0
	for _, f := range files {
		rows, err := parquet.ReadFile[ResultRow](f)
		if err != nil {
			return out, fmt.Errorf("spark: %s: %w", filepath.Base(f), err)
		}
		for _, r := range rows {
			if r.Idx < 0 || int(r.Idx) >= n || seen[r.Idx] {
				return out, fmt.Errorf("spark: result for index %d out of range or repeated", r.Idx)
			}
			seen[r.Idx] = true
			out.S[r.Idx], out.PageRank[r.Idx] = r.S, r.PageRank
			got++
		}
	}
	if got != n {
		return out, fmt.Errorf("spark: results for %d of %d people", got, n)
	}
	out.PropagationIterations, out.PageRankIterations = st.PropagationIterations, st.PageRankIterations
	return out, nil
}

// tailBuffer keeps the last 8 KiB written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 8<<10 {
		t.b = append([]byte(nil), t.b[len(t.b)-8<<10:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(bytes.TrimSpace(t.b)) }
