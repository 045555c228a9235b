#!/usr/bin/env bash
# The test command of the README: every test, with the race detector,
# against the embedded store and a real Neo4j server.
#
# When NEO4J_URI is set, tests use that server (with NEO4J_USER and
# NEO4J_PASSWORD). Otherwise this script starts one through
# deploy/neo4j/neo4j.sh (fetching it with Maven the first time) and stops it
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

# A missing server is a failure, never a skip.
export SOCIALSCORE_REQUIRE_NEO4J=1
go test -race -count=1 -timeout 45m "$@" ./...
