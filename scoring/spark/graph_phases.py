"""The graph phases of a socialscore scoring run on Apache Spark.

socialscore (package scoring/spark) writes the people and ties as Parquet,
submits this job, and reads the results back; pillars before and
percentiles, penalties and the final combination after stay in Go
(package scoring), so the score model has one home. This job computes, with
the definitions of package scoring (docs/architecture.md, "Score model"):

* propagation: s, the fixed point of s = (1 - alpha) b + alpha W s, with W
  the row-normalised tie weights; a person whose ties weigh nothing in all
  (or who has none) keeps s = b. Jacobi iteration from s = b, a contraction
  by alpha in the max norm; it stops once the largest change is at most
  tol * (1 - alpha) / alpha, which leaves every s within tol of the fixed
  point.
* PageRank of the undirected friendship graph, unweighted, damping d, the
  mass of dangling (isolated) people spread uniformly:
      PR'(v) = (1 - d)/N + d * sum_{u ~ v} PR(u)/deg(u) + (d/N) * sum_{deg w = 0} PR(w)
  from PR = 1/N, a contraction by d in L1; it stops once the L1 change is
  at most tol * (1 - d) / d, which leaves PR within tol of the fixed point
  in L1.

Both iterations share one join per step: the ties, partitioned by the
neighbour's index, joined with the state (s and PR by index), summed by
the row's index. Partitioning is explicit: the ties are hash-partitioned by
neighbour index into --partitions parts and cached; the state is
hash-partitioned by index into the same number. The state appears twice in
a step's plan, so every step cuts its lineage (localCheckpoint, to the
executors' storage) and every --checkpoint steps it is also checkpointed to
reliable storage (--checkpoint-dir): the plan of step 40 is as small as that
of step 1.

Input (--in DIR): people/ (idx int32 0..N-1, id int64, b double, the five
pillars, consent bool) and ties/ (src int32, dst int32, w double), each tie
listed from both ends. Output (--out DIR): results/ (idx, s, pagerank) and
stats.json (iterations). Usage:

  spark-submit --master URL graph_phases.py --in DIR --out DIR --alpha A
"""

import argparse
import json
import os
import sys

from pyspark.sql import SparkSession
from pyspark.sql import functions as F


class Chebyshev:
    """The weights of the Chebyshev semi-iterative method for an iteration
    matrix with a real spectrum in [-rho, rho] (package scoring's
    chebyshev): w1 = 1, w2 = 1/(1 - rho^2/2), w(k+1) = 1/(1 - rho^2 w(k)/4);
    rho = 0 gives plain steps."""

    def __init__(self, rho):
        self.rho2, self.w, self.k = rho * rho, 1.0, 0

    def next(self):
        self.k += 1
        if self.rho2 == 0 or self.k == 1:
            self.w = 1.0
        elif self.k == 2:
            self.w = 1 / (1 - self.rho2 / 2)
        else:
            self.w = 1 / (1 - self.rho2 * self.w / 4)
        return self.w


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--in", dest="inp", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--alpha", type=float, required=True)
    ap.add_argument("--damping", type=float, default=0.85)
    ap.add_argument("--prop-tol", type=float, default=1e-13)
    ap.add_argument("--pr-tol", type=float, default=1e-13)
    ap.add_argument("--max-iterations", type=int, default=1000)
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--checkpoint", type=int, default=10)
    ap.add_argument("--checkpoint-dir", default="")
    a = ap.parse_args(argv)
    if not (0 <= a.alpha < 1) or not (0 < a.damping < 1):
        raise SystemExit("alpha must be in [0,1) and damping in (0,1)")

    spark = SparkSession.builder.appName("socialscore-graph-phases").getOrCreate()
    spark.conf.set("spark.sql.shuffle.partitions", str(a.partitions))
    # The partitioning below is explicit; adaptive re-planning of every
    # step's small queries only costs time.
    spark.conf.set("spark.sql.adaptive.enabled", "false")
    if a.checkpoint_dir:
        spark.sparkContext.setCheckpointDir(a.checkpoint_dir)
    P = a.partitions

    people = spark.read.parquet(os.path.join(a.inp, "people")).where(F.col("consent"))
    ties = spark.read.parquet(os.path.join(a.inp, "ties"))
    n = people.count()
    if n == 0:
        raise SystemExit("no people")

    # Per row: the weight sum (for W) and the degree (for PageRank).
    rows = ties.groupBy("src").agg(F.sum("w").alias("strength"), F.count(F.lit(1)).alias("deg"))
    # Each tie as (row r, neighbour c): W_rc = w / strength_r.
    edges = (ties.join(rows, "src")
             .select(F.col("src").alias("r"), F.col("dst").alias("c"),
                     F.when(F.col("strength") > 0, F.col("w") / F.col("strength")).otherwise(F.lit(0.0)).alias("wn"))
             .repartition(P, "c").cache())
    deg = rows.select(F.col("src").alias("idx"), F.col("deg"), F.col("strength"))

    alpha, d = a.alpha, a.damping
    # PageRank starts from the exact mass of every component, as package
    # scoring does: an isolated person is at the fixed point
    # x = (1-d)/(N - d*n0) from the start, everyone else at x/(1-d). The
    # dangling mass is then constant (n0*x) and the iteration is linear in
    # the ranks of people with friends, whose iteration matrix has the real
    # spectrum in [-d, d] of an undirected graph: Chebyshev weights apply.
    n0 = people.join(deg, "idx", "left_anti").count()
    x_iso = (1 - d) / (n - d * n0)
    x_other = x_iso / (1 - d)
    base = (1 - d) / n + d * (n0 * x_iso) / n

    state = (people.select("idx", "b")
             .join(deg, "idx", "left")
             .select("idx", "b",
                     F.coalesce(F.col("deg"), F.lit(0)).cast("long").alias("deg"),
                     (F.coalesce(F.col("strength"), F.lit(0.0)) > 0).alias("weighted"),
                     F.col("b").alias("s"), F.col("b").alias("sp"))
             .withColumn("pr", F.when(F.col("deg") > 0, F.lit(x_other)).otherwise(F.lit(x_iso)))
             .withColumn("prp", F.col("pr"))
             .repartition(P, "idx").cache())

    prop_done = alpha == 0  # s = b exactly
    pr_done = n0 == n       # nobody has friends: everyone is at x already
    prop_iters = pr_iters = 0
    prop_cheb, pr_cheb = Chebyshev(alpha), Chebyshev(d)
    prop_first = None

    step = 0
    while not (prop_done and pr_done):
        if step >= a.max_iterations:
            raise SystemExit(f"no convergence after {step} steps")
        step += 1
        w_s = prop_cheb.next()
        w_pr = pr_cheb.next()
        # Sum over each row's neighbours c of W_rc*s_c and PR_c/deg_c.
        nb = state.where(F.col("deg") > 0).select(F.col("idx").alias("c"), "s", (F.col("pr") / F.col("deg")).alias("prdeg"))
        sums = (edges.join(nb, "c")
                .groupBy("r")
                .agg(F.sum(F.col("wn") * F.col("s")).alias("ws"), F.sum("prdeg").alias("prs"))
                .withColumnRenamed("r", "idx"))
        j = state.join(sums, "idx", "left")
        # One step y = G(x), relaxed toward the previous iterate:
        # next = prev + w*(y - prev) (w = 1 on the first step: y).
        y_s = F.when(F.col("weighted"), (1 - alpha) * F.col("b") + alpha * F.col("ws")).otherwise(F.col("b"))
        y_pr = F.when(F.col("deg") > 0, F.lit(base) + d * F.coalesce(F.col("prs"), F.lit(0.0))).otherwise(F.col("pr"))
        new_s = F.col("s") if prop_done else F.col("sp") + F.lit(w_s) * (y_s - F.col("sp"))
        new_pr = F.col("pr") if pr_done else F.col("prp") + F.lit(w_pr) * (y_pr - F.col("prp"))
        nxt = j.select("idx", "b", "deg", "weighted", new_s.alias("s"), F.col("s").alias("sp"),
                       new_pr.alias("pr"), F.col("pr").alias("prp"),
                       F.abs(new_s - F.col("s")).alias("ds"), F.abs(new_pr - F.col("pr")).alias("dpr"))
        nxt = nxt.repartition(P, "idx")
        # The state appears twice in a step's plan (its neighbours' values
        # and its own row), so an uncut plan doubles with every step: each
        # step is truncated, to the executors' storage (localCheckpoint),
        # and every --checkpoint steps to reliable storage as well, so a lost
        # executor costs at most that many steps.
        if a.checkpoint_dir and step % a.checkpoint == 0:
            nxt = nxt.checkpoint(eager=True)
        else:
            nxt = nxt.localCheckpoint(eager=True)
        agg = nxt.agg(F.max("ds").alias("ds"), F.sum("dpr").alias("dpr")).first()
        print(f"socialscore: step {step}: max |change of s| {agg['ds']:.3g}, L1 change of PageRank {agg['dpr']:.3g}",
              file=sys.stderr, flush=True)
        state.unpersist()
        state = nxt.select("idx", "b", "deg", "weighted", "s", "sp", "pr", "prp")
        if not prop_done:
            prop_iters += 1
            prop_done = agg["ds"] <= a.prop_tol
            if prop_first is None:
                prop_first = agg["ds"]
            elif not agg["ds"] <= 2 * prop_first:
                prop_cheb = Chebyshev(0)  # changes grow: plain Jacobi steps, as package scoring does
        if not pr_done:
            pr_iters += 1
            pr_done = agg["dpr"] <= a.pr_tol

    state.select("idx", "s", F.col("pr").alias("pagerank")).write.mode("overwrite").parquet(os.path.join(a.out, "results"))
    with open(os.path.join(a.out, "stats.json"), "w") as f:
        json.dump({"people": n, "propagation_iterations": prop_iters, "pagerank_iterations": pr_iters,
                   "steps": step, "partitions": P}, f)
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
