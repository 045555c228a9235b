#!/usr/bin/env bash
# Issue 13's connection test: SLOW slow connections (default 20,000,
# unauthenticated, slow body) against a socialscore server while an app
# reads scores; prints the reads' latency without and with the attack, the
# attack's counts and the server's peak of open descriptors against its
# limit (cmd/slowload says what each figure is).
#
#   scripts/slow-connections.sh                      # 20,000 slow bodies from one address
#   MODE=headers ADDRS=20 scripts/slow-connections.sh  # slowloris from 20 addresses: the total cap
#
# Environment: SLOW, MODE (body|headers), ADDRS, PEOPLE, RATE (reads/s),
# DURATION, SERVE_FLAGS (extra flags of serve, e.g. "--max-conns 5000"),
# PER (slow connections per attacking process), SERVER_BIN (a socialscore
# binary to attack instead of this tree's). The server keeps the file
# limit this shell has. Everything runs on loopback and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."

SLOW=${SLOW:-20000}
MODE=${MODE:-body}
ADDRS=${ADDRS:-1}
PEOPLE=${PEOPLE:-20000}
RATE=${RATE:-200}
DURATION=${DURATION:-30s}
SERVE_FLAGS=${SERVE_FLAGS:-}

work=$(mktemp -d "${TMPDIR:-/tmp}/socialscore-slow.XXXXXX")
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# SERVER_BIN: another build of socialscore to attack (e.g. an older one, to compare)
if [ -n "${SERVER_BIN:-}" ]; then cp "$SERVER_BIN" "$work/socialscore"; else go build -o "$work/socialscore" ./cmd/socialscore; fi
go build -o "$work/slowload" ./cmd/slowload
store="embedded://$work/s.db"
"$work/socialscore" seed --store "$store" --people "$PEOPLE" >/dev/null
"$work/socialscore" score --store "$store" >/dev/null

# shellcheck disable=SC2086 # SERVE_FLAGS is a list of flags
"$work/socialscore" serve --store "$store" --addr 127.0.0.1:0 --init-keys "$work/keys.txt" $SERVE_FLAGS \
  >"$work/serve.out" 2>"$work/serve.log" &
pid=$!
for _ in $(seq 1 300); do
  grep -q '^serving on ' "$work/serve.out" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.1
done
url=$(sed -n 's/^serving on \(http:[^ ]*\).*/\1/p' "$work/serve.out")
key=$(awk '$2 == "app" { print $3 }' "$work/keys.txt")
grep -o 'msg=limits.*' "$work/serve.log" || true
echo "server file limit: soft $(awk '/Max open files/ { print $4 }' /proc/$pid/limits), this shell: $(ulimit -Sn)"

# Each process needs a descriptor per connection and this shell's limit
# may be below SLOW: the attack is split over processes of at most PER
# connections each (an attacker is many machines anyway), and the reads run
# in a process of their own, as an app's would.
PER=${PER:-9000}
procs=$(( (SLOW + PER - 1) / PER ))
per_addr=$(( (ADDRS + procs - 1) / procs ))
echo "attack: $SLOW connections in $procs process(es); reads in another"
common=(-url "$url" -mode "$MODE" -duration "$DURATION" -people "$PEOPLE")
attackers=()
left=$SLOW
for i in $(seq 0 $((procs - 1))); do
  n=$(( left < PER ? left : PER )); left=$((left - n))
  first=2; addrs=$ADDRS
  if [ "$ADDRS" -gt 1 ]; then first=$((2 + i * per_addr)); addrs=$per_addr; fi
  (
    ulimit -Sn "$(ulimit -Hn)"
    # At the lowest priority: an attacker's CPU is not the server's.
    exec nice -n 19 "$work/slowload" "${common[@]}" -rate 0 -slow "$n" -first "$first" -addrs "$addrs"
  ) >"$work/attack.$i.out" 2>&1 &
  attackers+=($!)
done
"$work/slowload" "${common[@]}" -key "$key" -purpose credit_decision -rate "$RATE" -slow 0 -pid "$pid"
for a in "${attackers[@]}"; do wait "$a" || echo "an attacker failed" >&2; done
for i in $(seq 0 $((procs - 1))); do grep '^attack:' "$work/attack.$i.out" | sed "s/^/process $i: /"; done
echo "server-side latency of the score reads (cumulative buckets, seconds: count):"
curl -s "$url/metrics" | grep 'socialscore_http_request_duration_seconds_bucket{code="200",method="GET",route="/v1/people/{id}/score"' |
  sed 's/.*le="\([^"]*\)"} \(.*\)/  \1: \2/' | tr '\n' ' '; echo
kill -0 "$pid" 2>/dev/null && echo "server still up after the attack" || { echo "server died" >&2; exit 1; }
grep -c 'level=ERROR' "$work/serve.log" | sed 's/^/server log errors: /' || true
