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
# DURATION, SERVE_FLAGS (extra flags of serve, e.g. "--max-conns 5000").
# The server keeps the file limit this shell has; slowload, which needs a
# descriptor per connection, raises its own (the hard limit too when run
# as root). Everything runs on loopback and stops by itself.
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

go build -o "$work/socialscore" ./cmd/socialscore
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

need=$((SLOW + 2048))
(
  if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt "$need" ]; then
    ulimit -Hn "$need" 2>/dev/null || echo "cannot raise the hard file limit to $need: slowload opens what it can" >&2
  fi
  hard=$(ulimit -Hn)
  if [ "$hard" = unlimited ] || [ "$hard" -ge "$need" ]; then ulimit -Sn "$need"; else ulimit -Sn "$hard"; fi
  echo "slowload file limit: $(ulimit -Sn)"
  exec "$work/slowload" -url "$url" -key "$key" -purpose credit_decision -people "$PEOPLE" -rate "$RATE" \
    -slow "$SLOW" -mode "$MODE" -addrs "$ADDRS" -duration "$DURATION" -pid "$pid"
)
kill -0 "$pid" 2>/dev/null && echo "server still up after the attack" || { echo "server died" >&2; exit 1; }
grep -c 'level=ERROR' "$work/serve.log" | sed 's/^/server log errors: /' || true
