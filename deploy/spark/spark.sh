#!/usr/bin/env bash
# Run a local Apache Spark standalone cluster (one master, one worker) from
# the pip package of the pinned version (deploy/spark/VERSION), without Docker.
#
#   spark.sh start [--dir DIR]   install Spark if needed, start a master and a worker, wait until the worker registers
#   spark.sh stop  [--dir DIR]   stop them
#   spark.sh install             only install Spark (a Python venv in deploy/spark/.spark)
#
# `start` prints KEY=VALUE lines on stdout; the last one is the master URL:
#   SPARK_HOME=/abs/path/pyspark
#   PYSPARK_PYTHON=/abs/path/python
#   SOCIALSCORE_SPARK_MASTER=spark://127.0.0.1:PORT
# Everything else goes to stderr. Spark 4 needs Java 17 or 21 (JAVA_HOME or java on PATH).
# Environment (optional): SPARK_WORKER_CORES (default 2), SPARK_WORKER_MEMORY (default 2g).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
STATE_DIR="$SCRIPT_DIR/.spark"
VENV="$STATE_DIR/venv"
VERSION="$(tr -d '[:space:]' <"$SCRIPT_DIR/VERSION")"

log() { printf 'spark.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "${BASH_SOURCE[0]}" >&2; exit 2; }

install() {
  if [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c "import pyspark, sys; sys.exit(pyspark.__version__ != '$VERSION')" 2>/dev/null; then
    return
  fi
  log "installing pyspark $VERSION into $VENV"
  rm -rf "$VENV"
  mkdir -p "$STATE_DIR"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "pyspark==$VERSION" >&2
}

spark_home() { "$VENV/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))'; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start() {
  local dir=$1
  install
  command -v java >/dev/null 2>&1 || [[ -n "${JAVA_HOME:-}" ]] || die "no Java: Spark $VERSION needs Java 17 or 21"
  local home; home="$(spark_home)"
  mkdir -p "$dir/logs" "$dir/work"
  dir="$(cd "$dir" && pwd -P)"
  local port webui wport
  port=$(free_port); webui=$(free_port); wport=$(free_port)
  export SPARK_HOME="$home" PYSPARK_PYTHON="$VENV/bin/python" SPARK_LOG_DIR="$dir/logs" SPARK_LOCAL_IP=127.0.0.1
  nohup "$home/bin/spark-class" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$port" --webui-port "$webui" \
    >"$dir/logs/master.log" 2>&1 &
  echo $! >"$dir/master.pid"
  local master="spark://127.0.0.1:$port"
  nohup "$home/bin/spark-class" org.apache.spark.deploy.worker.Worker "$master" --host 127.0.0.1 --port "$wport" --webui-port 0 \
    --cores "${SPARK_WORKER_CORES:-2}" --memory "${SPARK_WORKER_MEMORY:-2g}" --work-dir "$dir/work" \
    >"$dir/logs/worker.log" 2>&1 &
  echo $! >"$dir/worker.pid"
  local i
  for i in $(seq 1 240); do
    if grep -q "Successfully registered with master" "$dir/logs/worker.log" 2>/dev/null; then
      log "Spark $VERSION standalone cluster ready: $master (after ${i}s; logs in $dir/logs)"
      echo "SPARK_HOME=$home"
      echo "PYSPARK_PYTHON=$VENV/bin/python"
      echo "SOCIALSCORE_SPARK_MASTER=$master"
      return
    fi
    for p in master worker; do
      kill -0 "$(cat "$dir/$p.pid")" 2>/dev/null || { tail -n 30 "$dir/logs/$p.log" >&2; die "the $p exited"; }
    done
    sleep 1
  done
  tail -n 30 "$dir/logs/worker.log" >&2
  die "the worker did not register with $master within 240 s"
}

stop() {
  local dir=$1 p pid
  for p in worker master; do
    [[ -f "$dir/$p.pid" ]] || continue
    pid=$(cat "$dir/$p.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/$p.pid"
  done
}

cmd=${1:-}; shift || true
dir="$STATE_DIR/run"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    *) usage ;;
  esac
done
case "$cmd" in
  start) start "$dir" ;;
  stop) stop "$dir" ;;
  install) install ;;
  *) usage ;;
esac
