#!/usr/bin/env bash
# Server CPU per score read of two revisions, measured in one run.
#
#   scripts/readcost.sh BEFORE [AFTER] [ROUNDS]
#
# BEFORE and AFTER are git revisions (AFTER defaults to the work tree). Each
# is built, seeds its own store with the same 20,000 people (seed is
# deterministic) and scores it; then both servers run side by side and
# scoreload (from the work tree, the same client for both) reads each at
# 2,000 reads/s over 8 connections for 20 s, with -pid reporting the
# server's CPU time per read from /proc. The two loads run at the same time,
# so both servers see the same neighbours on a shared machine; ROUNDS
# (default 5) repeats it, swapping which is started first, and the summary
# gives each round's ratio and their median. The AFTER server is read with
# an app key and a purpose when it has roles (what an app pays), else with
# the operator key.
#
# Environment: PEOPLE (20000), RATE (2000), DURATION (20s), CONNS (8).
set -euo pipefail
cd "$(dirname "$0")/.."
before=${1:?usage: scripts/readcost.sh BEFORE [AFTER] [ROUNDS]}
after=${2:-}
rounds=${3:-5}
people=${PEOPLE:-20000}
rate=${RATE:-2000}
duration=${DURATION:-20s}
conns=${CONNS:-8}

work=$(mktemp -d "${TMPDIR:-/tmp}/readcost.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

build() { # build REV DIR
  local rev=$1 dir=$2
  mkdir -p "$dir/src"
  if [ -z "$rev" ]; then
    go build -o "$dir/socialscore" ./cmd/socialscore
  else
    git archive "$rev" | tar -x -C "$dir/src"
    (cd "$dir/src" && go build -o "$dir/socialscore" ./cmd/socialscore)
  fi
}
echo "== build ${before} and ${after:-the work tree}" >&2
build "$before" "$work/a"
build "$after" "$work/b"
go build -o "$work/scoreload" ./cmd/scoreload

key=0123456789abcdef0123
for side in a b; do
  "$work/$side/socialscore" seed --store "embedded://$work/$side/s.db" --people "$people" --seed 1 >/dev/null
  "$work/$side/socialscore" score --store "embedded://$work/$side/s.db" >/dev/null
done

# The AFTER side reads as an app when its CLI has `keys create`.
b_flags=()
if "$work/b/socialscore" keys create --store "embedded://$work/b/s.db" --name readcost-app --role app >"$work/b/appkey" 2>/dev/null; then
  b_key=$(grep -Eo 'ss_[A-Za-z0-9_-]+' "$work/b/appkey" | head -n1)
  b_flags=(-purpose credit_decision)
else
  b_key=$key
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() { # start SIDE -> sets port_SIDE, pid_SIDE
  local side=$1 port
  port=$(free_port)
  SOCIALSCORE_API_KEYS="bench:$key" "$work/$side/socialscore" serve --store "embedded://$work/$side/s.db" \
    --addr "127.0.0.1:$port" --audit-log "$work/$side/audit.jsonl" >"$work/$side/serve.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null && break
    sleep 0.1
  done
  eval "port_$side=$port pid_$side=$pid"
}
start a
start b

load() { # load SIDE KEY [FLAGS...] -> server CPU µs per read
  local side=$1 k=$2; shift 2
  local port pid
  eval "port=\$port_$side pid=\$pid_$side"
  "$work/scoreload" -url "http://127.0.0.1:$port" -key "$k" -people "$people" -rate "$rate" \
    -conns "$conns" -duration "$duration" -warmup 10s -pid "$pid" "$@" >"$work/$side.out"
  grep -q 'errors 0, non-2xx 0$' "$work/$side.out" || { cat "$work/$side.out" >&2; echo "readcost: $side answered errors" >&2; exit 1; }
  sed -n 's/^server CPU \([0-9.]*\) *µs.*/\1/p' "$work/$side.out"
}

ratios=()
printf '%-6s %14s %14s %8s\n' round "before µs/read" "after µs/read" ratio
for r in $(seq 1 "$rounds"); do
  if (( r % 2 )); then
    load a "$key" >"$work/ca" & la=$!; load b "$b_key" "${b_flags[@]}" >"$work/cb" & lb=$!
  else
    load b "$b_key" "${b_flags[@]}" >"$work/cb" & lb=$!; load a "$key" >"$work/ca" & la=$!
  fi
  wait "$la" "$lb"
  ca=$(cat "$work/ca") cb=$(cat "$work/cb")
  ratio=$(python3 -c "print(f'{$cb/$ca:.3f}')")
  ratios+=("$ratio")
  printf '%-6s %14s %14s %8s\n' "$r" "$ca" "$cb" "$ratio"
done
python3 -c "import statistics,sys; r=[float(x) for x in sys.argv[1:]]; print(f'median ratio after/before: {statistics.median(r):.3f} over {len(r)} rounds (min {min(r):.3f}, max {max(r):.3f})')" "${ratios[@]}"
