#!/usr/bin/env bash
# The test command of the README: every test, with the race detector,
# against the embedded store and a real Neo4j server, and the Spark engine's
# tests on a local Spark standalone cluster (deploy/spark/spark.sh).
#
# When NEO4J_URI is set, tests use that server (with NEO4J_USER and
# NEO4J_PASSWORD), and when SOCIALSCORE_SPARK_MASTER is set (with SPARK_HOME
# and PYSPARK_PYTHON) that Spark. Otherwise it starts each: Neo4j through
# deploy/neo4j/neo4j.sh (fetching it with Maven the first time), Spark through
# deploy/spark/spark.sh (installing pyspark with pip the first time), and stops them
# at the end. Extra arguments go to `go test` (e.g. -run TestScore).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${NEO4J_URI:-}" ]; then
  rundir=$(mktemp -d "${TMPDIR:-/tmp}/socialscore-neo4j.XXXXXX")
  cleanup() { deploy/neo4j/neo4j.sh stop --dir "$rundir" >&2 || true; rm -rf "$rundir"; }
  trap cleanup EXIT
  out=$(deploy/neo4j/neo4j.sh start --dir "$rundir")
  while IFS= read -r line; do
    case "$line" in
      NEO4J_USER=*) export NEO4J_USER="${line#NEO4J_USER=}" ;;
      NEO4J_PASSWORD=*) export NEO4J_PASSWORD="${line#NEO4J_PASSWORD=}" ;;
    esac
  done <<<"$out"
  NEO4J_URI=$(tail -n 1 <<<"$out")
  export NEO4J_URI
  echo "tests use Neo4j at $NEO4J_URI" >&2
fi

if [ -z "${SOCIALSCORE_SPARK_MASTER:-}" ]; then
  sparkdir=$(mktemp -d "${TMPDIR:-/tmp}/socialscore-spark.XXXXXX")
  stop_spark() { deploy/spark/spark.sh stop --dir "$sparkdir" >&2 || true; rm -rf "$sparkdir"; }
  if [ -n "${rundir:-}" ]; then
    trap 'stop_spark; cleanup' EXIT
  else
    trap stop_spark EXIT
  fi
  out=$(deploy/spark/spark.sh start --dir "$sparkdir")
  while IFS= read -r line; do
    case "$line" in
      *=*) export "${line?}" ;;
    esac
  done <<<"$out"
  echo "tests use Spark at $SOCIALSCORE_SPARK_MASTER" >&2
fi

# A missing server is a failure, never a skip.
export SOCIALSCORE_REQUIRE_NEO4J=1 SOCIALSCORE_REQUIRE_SPARK=1
go test -race -count=1 -timeout 45m "$@" ./...
