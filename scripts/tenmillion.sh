#!/usr/bin/env bash
# Ten million people on one machine (issue 15): builds a Barabási–Albert network of PEOPLE
# people and 5 ties per person as a SNAP edge list, runs each step the issue sets a target for,
# and prints every figure beside its target. Not in CI: at the default size it needs about
# 10 GiB of disk and takes the better part of an hour on two cores.
#
#   scripts/tenmillion.sh                    # PEOPLE=10000000, Neo4j figures at 1,000,000
#   PEOPLE=200000 PEOPLE_NEO4J=100000 scripts/tenmillion.sh     # a quick check of the script
#
# Steps (each measured with /usr/bin/time -v: wall time and peak RSS of the process):
#   1. edge list   igraph's Graph.Barabasi(PEOPLE, 5) (python-igraph, pinned as in
#                  scripts/check_exports.requirements.txt, in a virtualenv under the ignored
#                  tmp/), written with write_edgelist: 0-based ids, so `import` shifts them by 1.
#                  Kept in WORK and reused by later runs of the same size.
#   2. import      `socialscore import --friends EDGES` into a new embedded store.
#   3. seed        `socialscore seed --people PEOPLE` into another (socialscore's own generator).
#   4. score       `socialscore score` on the seeded store, end to end; its timing line gives the
#                  snapshot read, whose share of the wall time is the figure.
#   5. serve       the seeded store's results served, beside a SMALL-person server (100,000)
#                  seeded and scored in the same run; scoreload reads both at the same time
#                  (RATE reads/s each over 8 connections, ids 1..N, warm-up 10 s, DURATION),
#                  with -pid for the server CPU per read, as scripts/readcost.sh does; then the
#                  big server's RSS (VmRSS, and VmHWM, its peak) from /proc.
#   6. Neo4j       a server of its own (deploy/neo4j/neo4j.sh, NEO4J_HEAP / NEO4J_PAGECACHE),
#                  `seed --people PEOPLE_NEO4J --store bolt://...` (with --bulk when the CLI has
#                  it: `neo4j-admin database import full`; else the UNWIND path, marked so),
#                  relationships/s = ties / load time; then `score` on it, snapshot read
#                  relationships/s = ties / snapshot time.
#
# Environment: PEOPLE (10000000), PEOPLE_NEO4J (1000000; 0 skips the Neo4j steps), SMALL
# (100000), RATE (2000), DURATION (20s), WORK (tmp/tenmillion-PEOPLE: stores, logs, the edge
# list), STEPS (all: edges,import,seed,score,serve,neo4j — a comma list runs only those; score
# and serve need the seeded store), BIG_LOCK (a file: each big step runs under `flock BIG_LOCK`,
# so big runs on a shared machine take turns), KEEP=1 keeps the stores (the edge list is kept
# anyway), VENV (the python-igraph virtualenv, tmp/tenmillion-venv), SOCIALSCORE_BIN (a
# socialscore binary to measure instead of building the work tree's).
#
# Pending flags: `seed --bulk --neo4j-dir DIR` for Neo4j (branch neo4jbulk) is used when
# `seed --help` lists it, and its "bulk-loaded ..." line read; otherwise the UNWIND path's
# "seeded ..." line. The persisted snapshot (branch snapimage) needs no flag: score's "snapshot" phase
# is whatever the store does.
set -euo pipefail
{ # read whole before it runs: editing the file during a long run does not change that run
cd "$(dirname "$0")/.."

people=${PEOPLE:-10000000}
people_neo4j=${PEOPLE_NEO4J:-1000000}
small=${SMALL:-100000}
rate=${RATE:-2000}
duration=${DURATION:-20s}
steps=",${STEPS:-edges,import,seed,score,serve,neo4j},"
work=${WORK:-tmp/tenmillion-$people}
venv=${VENV:-tmp/tenmillion-venv}
mkdir -p "$work"
work=$(cd "$work" && pwd -P)
log="$work/log"
mkdir -p "$log"

[ -x /usr/bin/time ] || { echo "tenmillion: /usr/bin/time (GNU time) is needed for peak RSS: apt-get install time" >&2; exit 1; }
want() { [[ "$steps" == *",$1,"* ]]; }
say() { printf '== %s\n' "$*" >&2; }

pids=()
neo4j_dir=""
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "$neo4j_dir" ]; then deploy/neo4j/neo4j.sh stop --dir "$neo4j_dir" --purge >/dev/null 2>&1 || true; fi
  if [ "${KEEP:-0}" != 1 ]; then rm -rf "$work"/*.db "$work"/*.db.* "$work/serve-"* 2>/dev/null || true; fi
}
trap cleanup EXIT

# measure NAME CMD...: runs CMD under /usr/bin/time -v (and flock BIG_LOCK), output in
# $log/NAME.out, time's report in $log/NAME.time; sets wall_NAME (seconds) and rss_NAME (KiB).
measure() {
  local name=$1; shift
  local -a lock=()
  [ -n "${BIG_LOCK:-}" ] && lock=(flock "$BIG_LOCK")
  local shown="$*"
  say "$name: ${shown:0:200}"
  if ! "${lock[@]}" /usr/bin/time -v -o "$log/$name.time" "$@" >"$log/$name.out" 2>"$log/$name.err"; then
    cat "$log/$name.out" "$log/$name.err" >&2
    echo "tenmillion: $name failed" >&2
    exit 1
  fi
  # "Elapsed (wall clock) time (h:mm:ss or m:ss): 1:02.34"
  local w r
  w=$(sed -n 's/.*Elapsed (wall clock) time[^:]*: *//p' "$log/$name.time" |
    awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
  r=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$log/$name.time")
  eval "wall_$name=$w rss_$name=$r"
  printf '   %s: %.1f s, peak RSS %.2f GiB\n' "$name" "$w" "$(awk -v k="$r" 'BEGIN { print k / 1048576 }')" >&2
}

# ms DURATION: a Go duration as printed by the CLI (1h2m3.5s, 850ms, 12.3s, 900µs) in ms.
ms() {
  awk -v d="$1" 'BEGIN {
    t = 0
    while (match(d, /^[0-9.]+(h|ms|µs|us|ns|m|s)/)) {
      tok = substr(d, 1, RLENGTH); d = substr(d, RLENGTH + 1)
      match(tok, /[0-9.]+/); v = substr(tok, RSTART, RLENGTH) + 0; u = substr(tok, RLENGTH + 1)
      if (u == "h") t += v * 3600000; else if (u == "m") t += v * 60000; else if (u == "s") t += v * 1000
      else if (u == "ms") t += v; else if (u == "µs" || u == "us") t += v / 1000; else t += v / 1e6
    }
    print t
  }'
}
gib() { awk -v k="$1" 'BEGIN { printf "%.2f GiB", k / 1048576 }'; }

say "build"
go build -o "$work/scoreload" ./cmd/scoreload
if [ -n "${SOCIALSCORE_BIN:-}" ]; then
  ss=$(cd "$(dirname "$SOCIALSCORE_BIN")" && pwd -P)/$(basename "$SOCIALSCORE_BIN")
else
  go build -o "$work/socialscore" ./cmd/socialscore
  ss="$work/socialscore"
fi

rows=()   # summary: figure | measured | target
row() { rows+=("$1|$2|$3"); }

# --- 1. the edge list ----------------------------------------------------------------------
edges="$work/ba-$people-m5.txt"
if want edges || want import; then
  if [ ! -s "$edges" ]; then
    if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
    "$venv/bin/pip" install -q --disable-pip-version-check \
      "$(grep -E '^igraph==' scripts/check_exports.requirements.txt)"
    measure edges "$venv/bin/python" -c '
import sys, igraph
n, out = int(sys.argv[1]), sys.argv[2]
g = igraph.Graph.Barabasi(n, 5, directed=False)
g.write_edgelist(out + ".part")
import os; os.replace(out + ".part", out)
print(g.vcount(), g.ecount())' "$people" "$edges"
    say "edge list: $(cat "$log/edges.out") (people, friendships), $(du -h "$edges" | cut -f1)"
  fi
fi

# --- 2. import -----------------------------------------------------------------------------
if want import; then
  rm -rf "$work/import.db"
  measure import "$ss" import --store "embedded://$work/import.db" --friends "$edges"
  row "import $people people (s)" "$(printf '%.1f' "$wall_import")" "≤ 150"
  row "import peak RSS" "$(gib "$rss_import")" "≤ 4 GiB"
  [ "${KEEP:-0}" = 1 ] || rm -rf "$work/import.db"
fi

# --- 3. seed -------------------------------------------------------------------------------
if want seed; then
  rm -rf "$work/seed.db"
  measure seed "$ss" seed --store "embedded://$work/seed.db" --people "$people" --seed 1
  row "seed --people $people (s)" "$(printf '%.1f' "$wall_seed")" "≤ 150"
  row "seed peak RSS" "$(gib "$rss_seed")" "≤ 4 GiB"
fi

# --- 4. score ------------------------------------------------------------------------------
if want score; then
  measure score "$ss" score --store "embedded://$work/seed.db"
  # "  snapshot 34ms | pillars ... | total 62ms"
  snap=$(sed -n 's/^ *snapshot \([^ |]*\).*/\1/p' "$log/score.out" | head -n1)
  [ -n "$snap" ] || { cat "$log/score.out" >&2; echo "tenmillion: score printed no snapshot time" >&2; exit 1; }
  snap_ms=$(ms "$snap")
  share=$(awk -v s="$snap_ms" -v w="$wall_score" 'BEGIN { printf "%.1f%%", 100 * s / 1000 / w }')
  row "score end to end (s)" "$(printf '%.1f' "$wall_score")" "≤ 25"
  row "score: snapshot read" "$(awk -v s="$snap_ms" 'BEGIN { printf "%.2f s", s / 1000 }') ($share)" "≤ 20% of it"
  row "score peak RSS" "$(gib "$rss_score")" "≤ 6 GiB"
fi

# --- 5. serve ------------------------------------------------------------------------------
if want serve; then
  key=0123456789abcdef0123
  free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
  say "serve: seed and score $small people for the comparison server"
  rm -rf "$work/small.db"
  "$ss" seed --store "embedded://$work/small.db" --people "$small" --seed 1 >"$log/small-seed.out"
  "$ss" score --store "embedded://$work/small.db" >"$log/small-score.out"
  start_server() { # start_server NAME STORE -> port_NAME pid_NAME
    local name=$1 store=$2 port pid i
    port=$(free_port)
    SOCIALSCORE_API_KEYS="bench:$key" "$ss" serve --store "embedded://$store" --addr "127.0.0.1:$port" \
      --audit-log "$work/serve-$name.audit.jsonl" >"$log/serve-$name.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    for i in $(seq 1 3001); do # a big store takes a while to load its results: 10 minutes at most
      curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null && break
      kill -0 "$pid" 2>/dev/null || { cat "$log/serve-$name.log" >&2; echo "tenmillion: serve $name exited" >&2; exit 1; }
      [ "$i" -lt 3001 ] || { echo "tenmillion: serve $name not ready after 10 minutes" >&2; exit 1; }
      sleep 0.2
    done
    eval "port_$name=$port pid_$name=$pid"
  }
  t0=$SECONDS
  start_server big "$work/seed.db"
  ready_big=$((SECONDS - t0))
  start_server small "$work/small.db"
  load() { # load NAME PEOPLE
    local name=$1 n=$2 port pid
    eval "port=\$port_$name pid=\$pid_$name"
    "$work/scoreload" -url "http://127.0.0.1:$port" -key "$key" -people "$n" -rate "$rate" -conns 8 \
      -duration "$duration" -warmup 10s -pid "$pid" >"$log/load-$name.out"
  }
  say "serve: reading both servers at $rate/s each for $duration (+10 s warm-up)"
  load big "$people" & lb=$!
  load small "$small" & ls_=$!
  wait "$lb" "$ls_"
  cpu_of() { sed -n 's/^server CPU \([0-9.]*\) *µs.*/\1/p' "$log/load-$1.out"; }
  non2xx_of() { sed -n 's/.*non-2xx \([0-9]*\)$/\1/p' "$log/load-$1.out"; }
  cpu_big=$(cpu_of big) cpu_small=$(cpu_of small)
  for n in big small; do
    [ "$(non2xx_of $n)" = 0 ] || { cat "$log/load-$n.out" >&2; echo "tenmillion: the $n server answered non-2xx" >&2; exit 1; }
  done
  rss_serve=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid_big/status")
  hwm_serve=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid_big/status")
  ratio=$(awk -v a="$cpu_big" -v b="$cpu_small" 'BEGIN { printf "%.2f", a / b }')
  kill "$pid_big" "$pid_small" 2>/dev/null || true
  row "serve $people: ready after (s)" "$ready_big" "-"
  row "serve RSS after the load (peak)" "$(gib "$rss_serve") ($(gib "$hwm_serve"))" "≤ 4 GiB"
  row "server CPU per read, $people vs $small" "$cpu_big vs $cpu_small µs (×$ratio)" "≤ 1.2×"
fi

# --- 6. Neo4j ------------------------------------------------------------------------------
if want neo4j && [ "$people_neo4j" -gt 0 ]; then
  neo4j_dir="$work/neo4j"
  rm -rf "$neo4j_dir"
  say "neo4j: starting a server of its own in $neo4j_dir"
  out=$(NEO4J_HEAP=${NEO4J_HEAP:-2g} NEO4J_PAGECACHE=${NEO4J_PAGECACHE:-2g} deploy/neo4j/neo4j.sh start --dir "$neo4j_dir")
  uri=$(tail -n1 <<<"$out")
  export NEO4J_USER=neo4j NEO4J_PASSWORD=${NEO4J_PASSWORD:-socialscore-test}
  bulk=()
  how="UNWIND: this CLI has no --bulk yet"
  if "$ss" seed --help 2>&1 | grep -q -- '-bulk'; then
    bulk=(--bulk --neo4j-dir "$neo4j_dir") # neo4j-admin database import full, the server restarted around it
    how="--bulk"
  fi
  measure neo4j_seed "$ss" seed --store "$uri" --people "$people_neo4j" --seed 1 "${bulk[@]}"
  if [ ${#bulk[@]} -gt 0 ]; then
    # "bulk-loaded 1000000 people, 4999985 friendships, 900000 recruitments into bolt://... in 9.1s: 650000 relationships/s (...)"
    ties=$(sed -n 's/^bulk-loaded [0-9]* people, \([0-9]*\) friendships, \([0-9]*\) recruitments.*/\1 \2/p' "$log/neo4j_seed.out" | awk '{ print $1 + $2 }')
    load_t=$(sed -n 's/^bulk-loaded .* in \([^:]*\): .*/\1/p' "$log/neo4j_seed.out")
  else
    # "seeded 1000000 people, 5298320 ties (generate 2.1s, load 1m3s)"
    ties=$(sed -n 's/^seeded [0-9]* people, \([0-9]*\) ties.*/\1/p' "$log/neo4j_seed.out")
    load_t=$(sed -n 's/.*load \([^)]*\)).*/\1/p' "$log/neo4j_seed.out")
  fi
  [ -n "$ties" ] && [ -n "$load_t" ] || { cat "$log/neo4j_seed.out" >&2; echo "tenmillion: seed printed no ties or load time" >&2; exit 1; }
  row "neo4j first load, $people_neo4j people" \
    "$(awk -v t="$ties" -v l="$(ms "$load_t")" -v h="$how" 'BEGIN { printf "%.0f rels/s (%d in %.1f s; %s)", t / (l / 1000), t, l / 1000, h }')" "≥ 500,000 rels/s"
  measure neo4j_score "$ss" score --store "$uri"
  nsnap=$(sed -n 's/^ *snapshot \([^ |]*\).*/\1/p' "$log/neo4j_score.out" | head -n1)
  row "neo4j snapshot read, $people_neo4j people" \
    "$(awk -v t="$ties" -v l="$(ms "$nsnap")" 'BEGIN { printf "%.0f rels/s (%.1f s)", t / (l / 1000), l / 1000 }')" "≥ 1,000,000 rels/s"
  row "neo4j score end to end (s)" "$(printf '%.1f' "$wall_neo4j_score")" "-"
fi

# --- summary -------------------------------------------------------------------------------
echo
echo "tenmillion: $(date -u +%FT%TZ), PEOPLE=$people (Barabási–Albert, m=5), PEOPLE_NEO4J=$people_neo4j, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-48s %-36s %s\n' figure measured target
for r in "${rows[@]}"; do
  IFS='|' read -r a b c <<<"$r"
  printf '%-48s %-36s %s\n' "$a" "$b" "$c"
done
echo "logs: $log"
exit
}
