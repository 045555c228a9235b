#!/usr/bin/env bash
# live-load.sh measures live scores through the HTTP API (docs/architecture.md,
# "Live scores"): write latency and sustained writes per second, and the
# server's CPU per score read with and without a stream of writes, all in
# one run against one server (cmd/scoreload, -pid for the server's CPU).
#
#   scripts/live-load.sh STORE_URL PEOPLE [WRITES_PER_S] [READS_PER_S]
#
# STORE_URL holds a seeded and scored network of PEOPLE people (e.g.
# `socialscore seed --people 1000000` then `socialscore score`); with
# SEED=1 the script seeds and scores it first. The server runs with
# --live --open on PORT (default 18080); the writes are friendships put
# and deleted again (each an acknowledged change). DURATION (default 20s)
# is each phase's measured window; WRITE_CONNS (default 64) the writers'
# connections (each carries one write at a time, so at most WRITE_CONNS
# writes wait for a group commit at once).
#
# Phases: A reads alone; B writes alone; C reads and writes at once. The
# server CPU per read while writes stream in is C's server CPU per read
# minus B's CPU per write times the writes per read.
set -euo pipefail
store=${1:?store URL}
people=${2:?people}
wrate=${3:-1000}
rrate=${4:-2000}
dur=${DURATION:-20s}
port=${PORT:-18080}
wconns=${WRITE_CONNS:-64}
url=http://127.0.0.1:$port

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/socialscore" ./cmd/socialscore
go build -o "$bin/scoreload" ./cmd/scoreload
if [[ -n ${SEED:-} ]]; then
	"$bin/socialscore" seed --store "$store" --people "$people"
	"$bin/socialscore" score --store "$store"
fi

"$bin/socialscore" serve --store "$store" --live --open --addr "127.0.0.1:$port" --log-level warn &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$bin"' EXIT
for _ in $(seq 600); do
	curl -fsS "$url/readyz" >/dev/null 2>&1 && break
	sleep 1
done
# The first live read builds the live view from the last run and a snapshot.
t0=$(date +%s.%N)
curl -fsS "$url/v1/people/1/score" >/dev/null
echo "live view built in $(echo "$(date +%s.%N) - $t0" | bc) s (first read)"

echo "== A: reads alone ($rrate/s)"
"$bin/scoreload" -url "$url" -people "$people" -rate "$rrate" -duration "$dur" -pid "$pid" | tee "$bin/a"
echo "== B: writes alone ($wrate/s)"
"$bin/scoreload" -url "$url" -writes -conns "$wconns" -people "$people" -rate "$wrate" -duration "$dur" -pid "$pid" | tee "$bin/b"
echo "== C: reads ($rrate/s) while writes stream in ($wrate/s)"
secs=${dur%s}
"$bin/scoreload" -url "$url" -writes -conns "$wconns" -people "$people" -rate "$wrate" -warmup 1s -duration "$((secs + 6))s" >"$bin/cw" &
wpid=$!
"$bin/scoreload" -url "$url" -people "$people" -rate "$rrate" -warmup 4s -duration "$dur" -pid "$pid" | tee "$bin/c"
wait "$wpid"
cat "$bin/cw"

cpu() { sed -n 's/^server CPU \([0-9.]*\) µs.*/\1/p' "$1"; }
a=$(cpu "$bin/a") b=$(cpu "$bin/b") c=$(cpu "$bin/c")
awk -v a="$a" -v b="$b" -v c="$c" -v w="$wrate" -v r="$rrate" 'BEGIN {
	cr = c - b * w / r
	printf "server CPU per read: alone %.1f µs, with writes %.1f µs (%.1f µs per request minus %.1f µs per write × %.2f writes per read): ratio %.2f\n", a, cr, c, b, w / r, cr / a
}'
