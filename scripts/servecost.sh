#!/usr/bin/env bash
# Server CPU per score read and RSS of two served stores of different sizes,
# measured in one run (issue 15: a read at 10M people must cost the same
# CPU as at 100k, within 1.2x, and the server stay under 4 GiB).
#
#   scripts/servecost.sh SMALL_STORE_URL SMALL_PEOPLE BIG_STORE_URL BIG_PEOPLE [ROUNDS]
#
# Each store must hold a scored network with ids 1..PEOPLE (seed, score).
# Both servers (the work tree's binary) start side by side; each person's
# explanation is cached first by batch reads of every id (so neither
# server measures cold explanations), then scoreload reads both at the
# same time (RATE reads/s each, random ids, -pid: server CPU per read) and
# the servers' VmRSS, VmHWM, RssAnon and RssFile are printed.
# Environment: RATE (2000), DURATION (20s), CONNS (8); COLD=1 skips the
# batch reads, so that most reads of the big store are a person's first
# (what a server sees after a run or a restart); SOCIALSCORE_BIN runs that
# binary instead of building the work tree's (to compare two revisions).
set -euo pipefail
cd "$(dirname "$0")/.."
small=${1:?usage: scripts/servecost.sh SMALL_STORE_URL SMALL_PEOPLE BIG_STORE_URL BIG_PEOPLE [ROUNDS]}
small_n=${2:?} big=${3:?} big_n=${4:?} rounds=${5:-3}
rate=${RATE:-2000} duration=${DURATION:-20s} conns=${CONNS:-8}
work=$(mktemp -d "${TMPDIR:-/tmp}/servecost.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
if [ -n "${SOCIALSCORE_BIN:-}" ]; then cp "$SOCIALSCORE_BIN" "$work/socialscore"; else go build -o "$work/socialscore" ./cmd/socialscore; fi
go build -o "$work/scoreload" ./cmd/scoreload
key=0123456789abcdef0123
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() { # start SIDE STORE -> port_SIDE pid_SIDE
  local side=$1 store=$2 port
  port=$(free_port)
  SOCIALSCORE_API_KEYS="bench:$key" "$work/socialscore" serve --store "$store" --addr "127.0.0.1:$port" \
    --audit-log "$work/$side-audit.jsonl" ${SERVE_ARGS:-} >"$work/$side.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 1 1200); do curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null && break; sleep 0.1; done
  eval "port_$side=$port pid_$side=$pid"
}
warm() { # warm SIDE N: batch-read every id once
  local side=$1 n=$2 port
  eval "port=\$port_$side"
  python3 - "$port" "$n" "$key" <<'PY'
import json, sys, urllib.request
port, n, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
for lo in range(1, n + 1, 1000):
    body = json.dumps({"ids": list(range(lo, min(lo + 1000, n + 1)))}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/scores/batch", body,
        {"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
PY
}
mem() { awk '/VmRSS|VmHWM|RssAnon|RssFile/{printf "%s %d MiB  ", $1, $2/1024}' "/proc/$1/status"; echo; }
start s "$small"; start b "$big"
if [ "${COLD:-0}" != 1 ]; then warm s "$small_n"; warm b "$big_n"; fi
load() { # load SIDE N -> µs per read
  local side=$1 n=$2 port pid
  eval "port=\$port_$side pid=\$pid_$side"
  "$work/scoreload" -url "http://127.0.0.1:$port" -key "$key" -people "$n" -rate "$rate" -conns "$conns" \
    -duration "$duration" -warmup 5s -pid "$pid" >"$work/$side.out"
  grep -Eq 'non-(200|2xx) 0$' "$work/$side.out" || { cat "$work/$side.out" >&2; exit 1; }
  sed -n 's/^server CPU \([0-9.]*\) *µs.*/\1/p' "$work/$side.out"
}
printf '%-6s %16s %16s %8s\n' round "small µs/read" "big µs/read" ratio
for r in $(seq 1 "$rounds"); do
  load s "$small_n" >"$work/cs" & a=$!; load b "$big_n" >"$work/cb" & b=$!
  wait "$a" "$b"
  printf '%-6s %16s %16s %8s\n' "$r" "$(cat "$work/cs")" "$(cat "$work/cb")" "$(python3 -c "print(f'{$(cat "$work/cb")/$(cat "$work/cs"):.3f}')")"
done
echo "small ($small_n people): $(mem "$pid_s")"
echo "big   ($big_n people): $(mem "$pid_b")"
