#!/usr/bin/env bash
# Heavy work under load (issue 13): on an embedded store of N people
# (default 100,000), an app reads scores at RATE/s (default 2,000) from one
# key, first alone, then while a researcher's key keeps SHOCKS (default 16)
# shock experiments in flight at once; both phases against the same server
# process. It reports the reads' latency in both phases (scoreload, open
# loop), their p99 ratio, what the shocks got (status counts, the largest
# response), and the server's peak RSS (VmHWM of /proc/PID/status).
# Targets: peak RSS under 1.5 GiB, p99 with shocks at most 3× without.
#
#   scripts/load/shocks.sh                 # 100,000 people, 20 s per phase
#   PEOPLE=20000 DURATION=10s scripts/load/shocks.sh
#
# Needs Go, curl and Linux (/proc). Everything goes to a temporary
# directory, removed at the end (KEEP=1 keeps it).
set -euo pipefail

PEOPLE=${PEOPLE:-100000}
RATE=${RATE:-2000}
SHOCKS=${SHOCKS:-16}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-5s}
PORT=${PORT:-18089}
SERVE_FLAGS=${SERVE_FLAGS:-}

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
server=""
shockers=()
cleanup() {
	for p in "${shockers[@]}"; do kill "$p" 2>/dev/null || true; done
	if [[ -n $server ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
	if [[ -z ${KEEP:-} ]]; then rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT

cd "$root"
go build -o "$work/socialscore" ./cmd/socialscore
go build -o "$work/scoreload" ./cmd/scoreload
go build -o "$work/shockers" ./scripts/load/shockers
store="embedded://$work/s.db"
echo "== seeding $PEOPLE people and scoring them"
"$work/socialscore" seed --store "$store" --people "$PEOPLE" --seed 7 >/dev/null
"$work/socialscore" score --store "$store" >/dev/null

echo "== serving on 127.0.0.1:$PORT"
# shellcheck disable=SC2086 # SERVE_FLAGS is a list of flags
"$work/socialscore" serve --store "$store" --addr "127.0.0.1:$PORT" --init-keys "$work/keys.txt" \
	--audit-log "$work/audit.jsonl" --log-level warn $SERVE_FLAGS 2>"$work/serve.log" &
server=$!
url="http://127.0.0.1:$PORT"
for _ in $(seq 1 300); do
	curl -sf "$url/readyz" >/dev/null 2>&1 && break
	sleep 0.1
done
curl -sf "$url/readyz" >/dev/null || { echo "server did not start"; cat "$work/serve.log"; exit 1; }
appkey=$(awk '$2 == "app" {print $3}' "$work/keys.txt")
reskey=$(awk '$2 == "researcher" {print $3}' "$work/keys.txt")

reads() {
	"$work/scoreload" -url "$url" -key "$appkey" -purpose credit_decision -people "$PEOPLE" \
		-rate "$RATE" -conns 16 -duration "$DURATION" -warmup "$WARMUP" -pid "$server"
}
p99() { sed -n 's/.* p99 \([^ ]*\) .*/\1/p' "$1"; }

echo "== one shock alone (default page)"
body='{"changes":[{"id":42,"events":["default:5000"]}]}'
curl -s -o "$work/one.json" -w 'status %{http_code}, %{size_download} bytes, %{time_total} s\n' \
	-H "Authorization: Bearer $reskey" -H 'Content-Type: application/json' -d "$body" "$url/v1/experiments/shock"
if command -v jq >/dev/null; then jq -c '{people, iterations, moved: .total.moved, page}' "$work/one.json"; fi

echo "== a shock as large as issue 13's (203 MB before pages): 2,000 defaults, max_steps 200, list_limit 100000, operator"
opkey=$(awk '$2 == "operator" {print $3}' "$work/keys.txt")
changes=$(seq 1 2000 | awk '{printf "%s{\"id\":%d,\"events\":[\"default:5000\"]}", (NR > 1 ? "," : ""), $1}')
printf '{"changes":[%s],"max_steps":200,"list_limit":100000}' "$changes" >"$work/big-request.json"
curl -s -o "$work/big.json" -w 'status %{http_code}, %{size_download} bytes, %{time_total} s\n' \
	-H "Authorization: Bearer $opkey" -H 'Content-Type: application/json' \
	--data-binary @"$work/big-request.json" "$url/v1/experiments/shock"
if command -v jq >/dev/null; then jq -c '{iterations, moved: .total.moved, page}' "$work/big.json"; fi

echo "== reads alone"
reads | tee "$work/alone.txt"

echo "== reads with $SHOCKS shocks in flight from another key"
secs() { go run ./scripts/load/ratio.go -seconds "$1"; }
"$work/shockers" -url "$url" -key "$reskey" -n "$SHOCKS" -people "$PEOPLE" \
	-duration "$(($(secs "$WARMUP") + $(secs "$DURATION") + 2))s" >"$work/shocks.txt" &
shockers+=($!)
reads | tee "$work/with.txt"
wait "${shockers[@]}"
shockers=()

echo "== results"
cat "$work/shocks.txt"
curl -sf "$url/metrics" | grep '^socialscore_heavy_' || true
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
a=$(p99 "$work/alone.txt")
w=$(p99 "$work/with.txt")
echo "peak RSS (VmHWM): $((hwm / 1024)) MiB (target < 1536 MiB)"
echo "reads p99 alone: $a, with shocks: $w"
go run ./scripts/load/ratio.go "$a" "$w"
