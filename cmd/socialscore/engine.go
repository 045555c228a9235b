package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/socialscore/socialscore/scoring"
	"github.com/socialscore/socialscore/scoring/spark"
)

// engineConfig holds score's choice of engine for the graph phases.
type engineConfig struct {
	name, master, submit, dir string
	partitions, checkpoint    int
	conf                      string
	verbose                   bool
}

// engineFlags registers --engine and the Spark engine's flags.
func engineFlags(fs *flag.FlagSet) *engineConfig {
	e := &engineConfig{}
	fs.StringVar(&e.name, "engine", "go", "engine of the graph phases (propagation, PageRank): go, or spark (pillars, percentiles and the final scores stay in Go)")
	fs.StringVar(&e.master, "spark", os.Getenv("SOCIALSCORE_SPARK_MASTER"), "Spark master URL for --engine spark: spark://HOST:7077, local[K], yarn, or sc://HOST:15002 for Spark Connect (env SOCIALSCORE_SPARK_MASTER)")
	fs.StringVar(&e.submit, "spark-submit", "", "spark-submit to run (default: $SPARK_HOME/bin/spark-submit, else spark-submit on PATH)")
	fs.StringVar(&e.dir, "spark-dir", "", "exchange folder for the Parquet files, reachable by this process, the driver and the executors (default: a temporary folder, removed afterwards)")
	fs.IntVar(&e.partitions, "spark-partitions", 0, "hash partitions of the ties and the state (default 4; a cluster wants 2-4 per executor core)")
	fs.IntVar(&e.checkpoint, "spark-checkpoint", 0, "steps between checkpoints that cut the iteration's lineage (default 10)")
	fs.StringVar(&e.conf, "spark-conf", "", "extra Spark settings, KEY=VALUE separated by commas")
	fs.BoolVar(&e.verbose, "spark-log", false, "show spark-submit's output (the job's steps and Spark's log) on stderr")
	return e
}

// engine returns the chosen engine: nil for Go's own kernels.
func (e *engineConfig) engine(stderr io.Writer) (scoring.GraphEngine, error) {
	switch e.name {
	case "", "go":
		if e.master != "" && os.Getenv("SOCIALSCORE_SPARK_MASTER") != e.master {
			return nil, usageError{errors.New("--spark is for --engine spark")}
		}
		return nil, nil
	case "spark":
		if e.master == "" {
			return nil, usageError{errors.New("--engine spark needs --spark URL (or SOCIALSCORE_SPARK_MASTER)")}
		}
		var conf []string
		for _, c := range strings.Split(e.conf, ",") {
			if c = strings.TrimSpace(c); c != "" {
				if !strings.Contains(c, "=") {
					return nil, usageError{fmt.Errorf("--spark-conf: %q is not KEY=VALUE", c)}
				}
				conf = append(conf, c)
			}
		}
		var log io.Writer
		if e.verbose {
			log = stderr
		}
		if e.partitions < 0 || e.checkpoint < 0 {
			return nil, usageError{errors.New("--spark-partitions and --spark-checkpoint must not be negative")}
		}
		return &spark.Engine{Master: e.master, Submit: e.submit, Dir: e.dir, Partitions: e.partitions,
			Checkpoint: e.checkpoint, Conf: conf, Log: log}, nil
	default:
		return nil, usageError{fmt.Errorf("--engine: unknown engine %q (go or spark)", e.name)}
	}
}
