#!/usr/bin/env bash
# The OpenAPI contract judged from outside: schemathesis, with every check
# and positive and negative data, against a real `socialscore serve` on a
# throwaway embedded store, once per role (a key of each role, made by
# --init-keys). The operator's run must reach at least MIN_OPERATOR_REQUESTS
# requests as the server counts them (its socialscore_http_requests_total).
# Exits non-zero on any failure, error, too few requests or a 5xx; a role
# whose only failures are responses over the time limit (ST112) is run
# again once, on a fresh server, and the second run decides.
#
# The few rules OpenAPI cannot state (two parameters tied together, "not
# in the future") are stated in words in the document and checked by Go
# tests; scripts/schemathesis_hooks.py keeps schemathesis from offering
# requests that break them as valid ones. It filters nothing else.
#
#   scripts/schemathesis.sh                  every role
#   ROLES="operator app" scripts/schemathesis.sh
#
# Knobs (environment):
#   SCHEMATHESIS_VERSION  the pinned version installed with pip (default below)
#   SCHEMATHESIS_VENV     reuse this virtualenv (made if missing) instead of a
#                         temporary one; handy when re-running
#   SCHEMATHESIS_PYTHON   the interpreter for the venv (default: the newest
#                         python3.13/3.12 found, else python3)
#   SCHEMATHESIS_SEED     the data generation seed (default 1: CI is
#                         repeatable; set another to explore)
#   OPERATOR_EXAMPLES, ROLE_EXAMPLES  test cases per operation and phase
#   MIN_OPERATOR_REQUESTS the floor for the operator's run (default 5000)
#   KEEP=1                keep the temporary directory (reports, logs)
#
# Reports (schemathesis JSON and its full output, the server's log) are
# in the temporary directory, named at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

SCHEMATHESIS_VERSION=${SCHEMATHESIS_VERSION:-4.32.5}
SEED=${SCHEMATHESIS_SEED:-1}
OPERATOR_EXAMPLES=${OPERATOR_EXAMPLES:-100}
ROLE_EXAMPLES=${ROLE_EXAMPLES:-10}
MIN_OPERATOR_REQUESTS=${MIN_OPERATOR_REQUESTS:-5000}
ROLES=${ROLES:-"operator provider app researcher analyst auditor subject"}

work=$(mktemp -d "${TMPDIR:-/tmp}/socialscore-schemathesis.XXXXXX")
server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
cleanup() {
  stop_server
  if [ "${KEEP:-}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# Python: schemathesis 4 needs 3.9+; CPython 3.11 up to 3.11.7 raises
# "AST constructor recursion depth mismatch" in its coverage phase, so
# the newest interpreter found is used.
pick_python() {
  if [ -n "${SCHEMATHESIS_PYTHON:-}" ]; then echo "$SCHEMATHESIS_PYTHON"; return; fi
  local c
  for c in python3.13 python3.12; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'pass' 2>/dev/null; then command -v "$c"; return; fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    for c in $(ls -d "$(pyenv root)"/versions/3.1[3-9]* "$(pyenv root)"/versions/3.12* 2>/dev/null | sort -Vr); do
      if [ -x "$c/bin/python3" ]; then echo "$c/bin/python3"; return; fi
    done
  fi
  command -v python3
}

venv=${SCHEMATHESIS_VENV:-$work/venv}
if [ ! -x "$venv/bin/schemathesis" ] || [ "$("$venv/bin/schemathesis" --version 2>/dev/null | awk '{print $NF}')" != "$SCHEMATHESIS_VERSION" ]; then
  py=$(pick_python)
  echo "== installing schemathesis $SCHEMATHESIS_VERSION with $py ($("$py" --version 2>&1))"
  "$py" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
st="$venv/bin/schemathesis"
echo "== $("$st" --version) on $("$venv/bin/python" --version)"

echo "== building socialscore"
go build -o "$work/socialscore" ./cmd/socialscore
bin="$work/socialscore"

free_port() {
  "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# requests_served prints the server's count of answered requests, and of
# those with a 5xx status.
requests_served() {
  curl -sf "http://$1/metrics" | awk '
    /^socialscore_http_requests_total\{/ {
      n += $NF
      if ($0 ~ /code="5/) e += $NF
    }
    END { printf "%d %d\n", n, e }'
}

# serve_fresh makes a store of its own for one run (200 people, scored,
# one key per role), starts the server on a free port and waits for it.
serve_fresh() {
  local dir=$1
  mkdir -p "$dir"
  local store="embedded://$dir/store.db"
  "$bin" seed --people 200 --seed 7 --store "$store" >"$dir/seed.log" 2>&1
  "$bin" score --store "$store" >>"$dir/seed.log" 2>&1
  port=$(free_port)
  addr="127.0.0.1:$port"
  # Rate limits are off: a 429 is a documented answer, but it would hide
  # the operation's own checks (the limits have tests of their own, in
  # api/ratelimit_test.go).
  "$bin" serve --store "$store" --addr "$addr" --init-keys "$dir/keys" \
    --audit-log "$dir/audit.jsonl" --simulation-queue 64 --log-level warn --rate-limits off \
    >"$dir/serve.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    if curl -sf "http://$addr/healthz" >/dev/null 2>&1 && [ -s "$dir/keys" ]; then return 0; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "the server did not start:" >&2; cat "$dir/serve.log" >&2; return 1
    fi
    sleep 0.1
  done
  echo "the server did not answer /healthz within 10 s" >&2
  return 1
}

summary=()
failed=0
runs_passed=0
runs_failed=0
# run_role runs schemathesis as $1 against a fresh server in $2, sets rc,
# served and errors5xx, and prints the role's line (also kept in line).
run_role() {
  local role=$1 dir=$2 n key
  serve_fresh "$dir"
  key=$(awk -v r="$role" '$2 == r {print $3; exit}' "$dir/keys")
  if [ -z "$key" ]; then echo "no $role key in $dir/keys" >&2; exit 1; fi
  n=$ROLE_EXAMPLES
  [ "$role" = operator ] && n=$OPERATOR_EXAMPLES
  echo "== schemathesis as $role (max $n examples per operation and phase, seed $SEED)"
  set +e
  # filter_too_much is Hypothesis's complaint that the hooks drop many of
  # an operation's generated cases (a role that may not call an operation
  # still gets its positive cases filtered); it is about generation, not the
  # API, and it came and went between runs of the same seed.
  (cd "$dir" && PYTHONPATH="$repo/scripts" SCHEMATHESIS_HOOKS=schemathesis_hooks SCHEMATHESIS_ROLE="$role" "$st" --config-file "$repo/scripts/schemathesis.toml" run "http://$addr/openapi.json" --url "http://$addr" \
    -H "Authorization: Bearer $key" -H "X-API-Key: $key" \
    --checks all --mode all --max-examples "$n" --seed "$SEED" --suppress-health-check=filter_too_much \
    --workers 2 --generation-database none --no-color \
    --report json --report-json-path "$dir/report.json" \
    >"$dir/schemathesis.out" 2>&1)
  rc=$?
  set -e
  read -r served errors5xx < <(requests_served "$addr")
  stop_server
  line=$("$venv/bin/python" - "$dir/report.json" "$role" "$served" "$errors5xx" "$rc" <<'EOF'
import json, sys
path, role, served, e5, rc = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
try:
    r = json.load(open(path))
except Exception as exc:  # no report: schemathesis itself failed
    print(f"{role:<10} no report ({exc}); exit {rc}")
    sys.exit(0)
tc = r["test_cases"]
fails = ", ".join(f'{f["code"]} {f["title"]}: {f["count"]}' for f in r["failures"]) or "none"
errs = ", ".join(f'{e["title"]}: {e["count"]}' for e in r["errors"]) or "none"
print(f"{role:<10} requests served {served:>6} (5xx {e5}), test cases {tc['generated']:>6}, "
      f"failures: {fails}; errors: {errs}; exit {rc}")
EOF
)
  echo "$line"
}

# only_slow says whether the run in $1 failed on nothing but the response
# time limit (ST112) and had no error.
only_slow() {
  "$venv/bin/python" - "$1/report.json" <<'EOF'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except Exception:
    sys.exit(1)
sys.exit(0 if r["failures"] and not r["errors"] and all(f["code"] == "ST112" for f in r["failures"]) else 1)
EOF
}

for role in $ROLES; do
  dir="$work/$role"
  run_role "$role" "$dir"
  # Over the response time limit and nothing else wrong: the role is run
  # again once, on a fresh server. A slow operation is slow again; a pause
  # of the whole machine is not (a snapshot of the virtual machine stopped
  # every process for 28 s once, failing two requests). Both runs are
  # printed; the second decides.
  if [ "$rc" -ne 0 ] && [ "$errors5xx" -eq 0 ] && only_slow "$dir"; then
    echo "---- $role: over the response time limit only; its failures, then the role again ----"
    sed -n '/= FAILURES =/,$p' "$dir/schemathesis.out" | cut -c1-600 | head -60
    summary+=("$line (then run again:)")
    dir="$work/$role-again"
    run_role "$role" "$dir"
  fi
  summary+=("$line")
  if [ "$rc" -ne 0 ] || [ "$errors5xx" -ne 0 ]; then
    failed=1
    echo "---- $role: schemathesis output (failures) ----"
    sed -n '/= FAILURES =/,$p' "$dir/schemathesis.out" | cut -c1-600 | head -400
    sed -n '/= ERRORS =/,/= FAILURES =/p' "$dir/schemathesis.out" | cut -c1-600 | head -80
  fi
  role_failed=0
  if [ "$rc" -ne 0 ] || [ "$errors5xx" -ne 0 ]; then role_failed=1; fi
  if [ "$role" = operator ] && [ "$served" -lt "$MIN_OPERATOR_REQUESTS" ]; then
    failed=1
    role_failed=1
    echo "operator: $served requests, fewer than $MIN_OPERATOR_REQUESTS; raise OPERATOR_EXAMPLES"
  fi
  if [ "$role_failed" -eq 0 ]; then runs_passed=$((runs_passed + 1)); else runs_failed=$((runs_failed + 1)); fi
done

echo
echo "== schemathesis $SCHEMATHESIS_VERSION, all checks, positive and negative data, seed $SEED"
printf '%s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
  KEEP=1
  echo "FAILED (reports and logs in $work)"
  echo "schemathesis: $runs_passed passed, $runs_failed failed"
  exit 1
fi
echo "0 failures, 0 errors, 0 server errors for every role"
echo "schemathesis: $runs_passed passed, $runs_failed failed"
