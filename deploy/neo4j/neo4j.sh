#!/usr/bin/env bash
# Run a real Neo4j Community server from Maven Central jars, without Docker.
#
#   neo4j.sh start  [--dir DIR]           fetch jars if needed, start a server, wait for RETURN 1
#   neo4j.sh stop   [--dir DIR] [--purge] SIGTERM the recorded PID (SIGKILL after 60 s)
#   neo4j.sh status [--dir DIR]           is the recorded server running?
#   neo4j.sh fetch                        only download the jars into .neo4j/lib
#   neo4j.sh import --dir DIR [-- DB OPTIONS]  stop DIR's server, run `neo4j-admin database import
#                                         full DB OPTIONS` on its data, start it again (same port)
#
# `start` prints KEY=VALUE lines on stdout and, as the very last line, the bolt URI:
#   NEO4J_USER=neo4j
#   NEO4J_PASSWORD=socialscore-test
#   NEO4J_URI=bolt://127.0.0.1:41234
#   NEO4J_RUN_DIR=/abs/path/of/runtime/dir
#   bolt://127.0.0.1:41234
# Everything else goes to stderr. Without --dir, stop/status act on the runtime dir that
# .neo4j/current points at: the most recent start that was given no --dir.
#
# Environment (all optional):
#   NEO4J_PASSWORD       initial password for user neo4j (default socialscore-test, 8+ chars)
#   NEO4J_AUTH_ENABLED   true (default) or false
#   NEO4J_HEAP           JVM -Xms/-Xmx (default 1g; `import` restarts with the dir's last one)
#   NEO4J_PAGECACHE      server.memory.pagecache.size (default 512m; likewise)
#   NEO4J_START_TIMEOUT  seconds to wait for RETURN 1 (default 180)
#   NEO4J_JAVA           java binary to use (must be Java 17 or 21)
#   NEO4J_ADMIN_HEAP     JVM -Xmx of the importer (default 1g)
#   NEO4J_IMPORT_MEMORY  the importer's --max-off-heap-memory unless ARGS set it (default 2g)
#   NEO4J_PLUGINS_DIR    plugins folder (default DIR/plugins); its jars also go on the server's
#                        class path, as Neo4j's own launcher does, so extensions load (e.g. GDS)
#   NEO4J_UNRESTRICTED   dbms.security.procedures.unrestricted (default: unset; e.g. gds.*)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd -P)"
STATE_DIR="$SCRIPT_DIR/.neo4j"
LIB_DIR="$STATE_DIR/lib"
CURRENT_LINK="$STATE_DIR/current"
POM="$SCRIPT_DIR/pom.xml"
VERSION="$(tr -d '[:space:]' <"$SCRIPT_DIR/VERSION")"

NEO4J_USER_NAME=neo4j
PASSWORD="${NEO4J_PASSWORD:-socialscore-test}"
AUTH_ENABLED="${NEO4J_AUTH_ENABLED:-true}"
HEAP="${NEO4J_HEAP:-1g}"
PAGECACHE="${NEO4J_PAGECACHE:-512m}"
PLUGINS_DIR="${NEO4J_PLUGINS_DIR:-}"
START_TIMEOUT="${NEO4J_START_TIMEOUT:-180}"

log() { printf 'neo4j.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

# --- java ------------------------------------------------------------------

java_major() { # prints the feature version of the given java binary, or nothing
  "$1" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n1
}

find_java() {
  local cand major
  if [[ -n "${NEO4J_JAVA:-}" ]]; then
    major="$(java_major "$NEO4J_JAVA")"
    [[ "$major" == 17 || "$major" == 21 ]] || die "NEO4J_JAVA=$NEO4J_JAVA is Java '${major:-?}', Neo4j $VERSION needs 17 or 21"
    echo "$NEO4J_JAVA"; return
  fi
  # Preference: java on PATH if it is 17, then any JDK 17 we can find, then 21 (also supported by 5.26).
  local -a cands=()
  command -v java >/dev/null 2>&1 && cands+=("$(command -v java)")
  [[ -n "${JAVA_HOME:-}" ]] && cands+=("$JAVA_HOME/bin/java")
  for cand in /usr/lib/jvm/*17*/bin/java /usr/lib/jvm/*-17/bin/java /Library/Java/JavaVirtualMachines/*17*/Contents/Home/bin/java; do
    [[ -x "$cand" ]] && cands+=("$cand")
  done
  for want in 17 21; do
    for cand in "${cands[@]}"; do
      [[ -x "$cand" ]] || continue
      [[ "$(java_major "$cand")" == "$want" ]] && { echo "$cand"; return; }
    done
    if [[ "$want" == 17 ]]; then
      for cand in /usr/lib/jvm/*21*/bin/java; do [[ -x "$cand" ]] && cands+=("$cand"); done
    fi
  done
  die "no Java 17 (or 21) found: put one on PATH, set JAVA_HOME or NEO4J_JAVA (Neo4j $VERSION does not run on newer Java)"
}

# --- jars ------------------------------------------------------------------

check_version_pinned() {
  [[ "$VERSION" =~ ^5\.26\.[0-9]+$ ]] || die "VERSION file holds '$VERSION', expected 5.26.x"
  grep -q "<neo4j.version>$VERSION</neo4j.version>" "$POM" ||
    die "pom.xml <neo4j.version> does not match VERSION ($VERSION); change both together"
}

fetch_jars() {
  check_version_pinned
  mkdir -p "$STATE_DIR"
  local stamp="$LIB_DIR/.complete"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$VERSION" ]]; then
    return 0
  fi
  # Serialize concurrent starts that both need to fetch.
  exec 9>"$STATE_DIR/fetch.lock"
  if command -v flock >/dev/null 2>&1; then flock 9; fi
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$VERSION" ]]; then
    exec 9>&-; return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found: needed once to fetch the Neo4j $VERSION jars from Maven Central"
  log "fetching Neo4j $VERSION jars from Maven Central into $LIB_DIR ..."
  local t0=$SECONDS
  rm -rf "$LIB_DIR"
  # maven runs on whatever java it finds; the jars are plain jars, the JVM that runs them is chosen below.
  if ! mvn -B -q -f "$POM" dependency:copy-dependencies@lib >&2; then
    rm -rf "$LIB_DIR"; die "mvn failed to fetch the Neo4j jars"
  fi
  [[ -f "$LIB_DIR/neo4j-$VERSION.jar" ]] || die "neo4j-$VERSION.jar missing from $LIB_DIR after fetch"
  echo "$VERSION" >"$stamp"
  log "fetched $(find "$LIB_DIR" -name '*.jar' | wc -l) jars ($(du -sh "$LIB_DIR" | cut -f1)) in $((SECONDS - t0)) s"
  exec 9>&-
}

# --- helpers ---------------------------------------------------------------

free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
    return
  fi
  local p i
  for i in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  die "could not find a free port"
}

abs_dir() { # create (if needed) and print the absolute path of $1
  mkdir -p "$1" && (cd "$1" && pwd -P)
}

resolve_dir() { # --dir value or the current link
  if [[ -n "${1:-}" ]]; then
    [[ -d "$1" ]] || die "no such runtime dir: $1"
    (cd "$1" && pwd -P)
  elif [[ -L "$CURRENT_LINK" || -e "$CURRENT_LINK" ]]; then
    local d; d="$(readlink "$CURRENT_LINK" 2>/dev/null || cat "$CURRENT_LINK")"
    [[ -d "$d" ]] || die "$CURRENT_LINK points at missing dir $d"
    echo "$d"
  else
    die "no runtime dir: pass --dir DIR or run 'start' first"
  fi
}

# Is $1 a live PID running our Neo4j for runtime dir $2? (guards against recycled PIDs)
is_our_server() {
  local pid="$1" dir="$2"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/cmdline" ]]; then
    local cmd; cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline")"
    [[ "$cmd" == *org.neo4j.server.CommunityEntryPoint* && "$cmd" == *"--home-dir=$dir"* ]] || return 1
  fi
  return 0
}

dump_logs() {
  local dir="$1"
  log "---- tail of $dir/console.log ----"
  tail -n 40 "$dir/console.log" >&2 2>/dev/null || true
  if [[ -s "$dir/logs/debug.log" ]]; then
    log "---- ERROR/WARN lines of $dir/logs/debug.log (last 20) ----"
    grep -E ' (ERROR|WARN) ' "$dir/logs/debug.log" | tail -n 20 >&2 || true
  fi
}

wait_gone() { # pid seconds -> 0 if exited in time
  local pid="$1" secs="$2" i
  for ((i = 0; i < secs * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  return 1
}

kill_pid() { # SIGTERM, wait up to $2 s, then SIGKILL
  local pid="$1" secs="${2:-60}"
  kill -TERM "$pid" 2>/dev/null || return 0
  if ! wait_gone "$pid" "$secs"; then
    log "pid $pid still running after ${secs}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 10 || true
  fi
}

build_ready() { # compile the readiness checker when it is missing or older than its sources
  command -v go >/dev/null 2>&1 || die "go not found: needed for the readiness check (deploy/neo4j/ready)"
  local bin="$STATE_DIR/bin/ready"
  mkdir -p "$STATE_DIR/bin"
  # A restart (import) skips `go build`: under load even a cached build cost 1-3 s of CPU.
  if [[ -x "$bin" && -z "$(find "$SCRIPT_DIR/ready" "$REPO_ROOT/go.mod" "$REPO_ROOT/go.sum" -newer "$bin" 2>/dev/null | head -n1)" ]]; then
    echo "$bin"; return 0
  fi
  (cd "$REPO_ROOT" && go build -o "$bin.tmp.$$" ./deploy/neo4j/ready) >&2 || die "building deploy/neo4j/ready failed"
  mv -f "$bin.tmp.$$" "$bin"
  echo "$bin"
}

# --- commands --------------------------------------------------------------

write_conf() { # dir port
  local dir="$1" port="$2"
  cat >"$dir/conf/neo4j.conf" <<EOF
# Written by deploy/neo4j/neo4j.sh for Neo4j $VERSION (Community). Regenerated on every start.
server.default_listen_address=127.0.0.1
server.default_advertised_address=127.0.0.1
server.bolt.enabled=true
server.bolt.listen_address=127.0.0.1:$port
server.bolt.advertised_address=127.0.0.1:$port
server.bolt.tls_level=DISABLED
server.http.enabled=false
server.https.enabled=false

server.directories.data=$dir/data
server.directories.logs=$dir/logs
server.directories.run=$dir/run
server.directories.import=$dir/import
server.directories.plugins=${PLUGINS_DIR:-$dir/plugins}
${NEO4J_UNRESTRICTED:+dbms.security.procedures.unrestricted=$NEO4J_UNRESTRICTED}
server.directories.transaction.logs.root=$dir/data/transactions

# Heap is set on the java command line (-Xms/-Xmx); server.memory.heap.* is ignored when
# the server is started directly through CommunityEntryPoint.
server.memory.pagecache.size=$PAGECACHE

dbms.security.auth_enabled=$AUTH_ENABLED
dbms.usage_report.enabled=false

# Test-friendly disk use: do not preallocate 256 MiB per transaction log file.
db.tx_log.preallocate=false
# Faster shutdown: netty's default graceful shutdown waits 2 x 5 s.
internal.dbms.bolt.netty_server_shutdown_quiet_period=0
internal.dbms.bolt.netty_server_shutdown_timeout=5s
EOF
}

cmd_fetch() {
  fetch_jars
  log "Neo4j $VERSION jars ready in $LIB_DIR ($(du -sh "$LIB_DIR" | cut -f1))"
}

cmd_start() {
  local dir=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --dir) [[ $# -ge 2 ]] || die "--dir needs a value"; dir="$2"; shift 2 ;;
      --dir=*) dir="${1#--dir=}"; shift ;;
      *) die "start: unknown argument $1" ;;
    esac
  done
  case "$AUTH_ENABLED" in true | false) ;; *) die "NEO4J_AUTH_ENABLED must be true or false" ;; esac
  if [[ "$AUTH_ENABLED" == true ]]; then
    ((${#PASSWORD} >= 8)) || die "NEO4J_PASSWORD must have at least 8 characters"
    [[ "$PASSWORD" != neo4j ]] || die "NEO4J_PASSWORD must not be 'neo4j'"
  fi
  [[ "$START_TIMEOUT" =~ ^[0-9]+$ ]] || die "NEO4J_START_TIMEOUT must be a number of seconds"

  local t0=$SECONDS java
  java="$(find_java)"
  fetch_jars
  local ready; ready="$(build_ready)"

  mkdir -p "$STATE_DIR"
  local set_current=false
  if [[ -z "$dir" ]]; then
    dir="$STATE_DIR/run-$(date +%Y%m%d-%H%M%S)-$$"
    set_current=true
  fi
  dir="$(abs_dir "$dir")"
  if [[ -f "$dir/neo4j.pid" ]] && is_our_server "$(cat "$dir/neo4j.pid")" "$dir"; then
    die "a server is already running for $dir (pid $(cat "$dir/neo4j.pid")); stop it first"
  fi
  mkdir -p "$dir/conf" "$dir/data" "$dir/logs" "$dir/run" "$dir/import" "$dir/plugins"
  if [[ -n "$PLUGINS_DIR" ]]; then PLUGINS_DIR="$(cd "$PLUGINS_DIR" && pwd -P)" || die "NEO4J_PLUGINS_DIR: no such folder"; fi

  # Initial password: only possible before the first start of this data directory.
  if [[ "$AUTH_ENABLED" == true ]]; then
    if [[ -d "$dir/data/databases/system" ]]; then
      if [[ -f "$dir/password" && "$(cat "$dir/password")" != "$PASSWORD" ]]; then
        log "note: $dir already initialised; its password is the one in $dir/password"
        PASSWORD="$(cat "$dir/password")"
      fi
    else
      write_conf "$dir" 7687 # the admin tool reads the directories from neo4j.conf
      rm -f "$dir/data/dbms/auth.ini"
      NEO4J_HOME="$dir" NEO4J_CONF="$dir/conf" "$java" -Xmx256m -cp "$LIB_DIR/*" \
        org.neo4j.cli.AdminTool dbms set-initial-password "$PASSWORD" >&2 ||
        die "neo4j-admin dbms set-initial-password failed"
      (umask 077 && printf '%s\n' "$PASSWORD" >"$dir/password")
    fi
  fi

  local attempt port pid rc
  for attempt in 1 2 3; do
    port="$(free_port)"
    # A restart on the same dir keeps its port when it is free, so clients
    # holding the old URI (and their drivers) reconnect; NEO4J_PORT forces one.
    if [ "$attempt" = 1 ]; then
      if [ -n "${NEO4J_PORT:-}" ]; then
        port="$NEO4J_PORT"
      elif [ -f "$dir/bolt_uri" ]; then
        local old="$(sed -n 's|^bolt://127.0.0.1:\([0-9]*\)$|\1|p' "$dir/bolt_uri")"
        if [ -n "$old" ] && ! (exec 3<>"/dev/tcp/127.0.0.1/$old") 2>/dev/null; then port="$old"; fi
      fi
    fi
    write_conf "$dir" "$port"
    log "starting Neo4j $VERSION ($java, heap $HEAP, page cache $PAGECACHE) on bolt://127.0.0.1:$port, dir $dir"
    (
      cd "$dir"
      # Own session (setsid) so the server does not die with the caller's process group or
      # terminal. setsid only forks when the caller already leads a process group; in that
      # case skip it, so that $! below stays the java PID.
      detach=()
      if command -v setsid >/dev/null 2>&1 && [[ "$(cut -d' ' -f5 "/proc/$BASHPID/stat" 2>/dev/null)" != "$BASHPID" ]]; then
        detach=(setsid)
      fi
      exec ${detach[@]+"${detach[@]}"} "$java" "-Xms$HEAP" "-Xmx$HEAP" \
        -XX:+UseG1GC -XX:-OmitStackTraceInFastThrow -XX:+DisableExplicitGC \
        -XX:+UnlockExperimentalVMOptions -XX:+TrustFinalNonStaticFields \
        -Djdk.nio.maxCachedBufferSize=1024 -Dlog4j2.disable.jmx=true \
        --add-opens=java.base/java.nio=ALL-UNNAMED \
        --add-opens=java.base/java.io=ALL-UNNAMED \
        --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
        -Dio.netty.tryReflectionSetAccessible=true \
        -cp "$LIB_DIR/*:${PLUGINS_DIR:-$dir/plugins}/*" org.neo4j.server.CommunityEntryPoint \
        "--home-dir=$dir" "--config-dir=$dir/conf" --console-mode
    ) </dev/null >"$dir/console.log" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/neo4j.pid"
    echo "bolt://127.0.0.1:$port" >"$dir/bolt_uri"
    # The memory it runs with: `import` restarts the server with the same (see cmd_import).
    printf 'heap=%s\npagecache=%s\n' "$HEAP" "$PAGECACHE" >"$dir/memory"
    # Which script manages this dir: `socialscore ... --bulk --neo4j-dir DIR` runs its `import`.
    echo "$SCRIPT_DIR/neo4j.sh" >"$dir/script"
    # Only a start without --dir moves .neo4j/current: callers that pass --dir (tests running
    # concurrently) keep their dir themselves, so a bare `stop` never hits their server.
    if [[ "$set_current" == true ]]; then ln -sfn "$dir" "$CURRENT_LINK"; fi

    local -a auth_args=(-user "$NEO4J_USER_NAME" -password "$PASSWORD")
    [[ "$AUTH_ENABLED" == true ]] || auth_args=(-no-auth)
    rc=0
    "$ready" -uri "bolt://127.0.0.1:$port" "${auth_args[@]}" -pid "$pid" -timeout "${START_TIMEOUT}s" >&2 || rc=$?
    if [[ $rc -eq 0 ]]; then
      log "Neo4j $VERSION ready on bolt://127.0.0.1:$port (pid $pid) after $((SECONDS - t0)) s"
      if [[ "$AUTH_ENABLED" == true ]]; then
        echo "NEO4J_USER=$NEO4J_USER_NAME"
        echo "NEO4J_PASSWORD=$PASSWORD"
      fi
      echo "NEO4J_URI=bolt://127.0.0.1:$port"
      echo "NEO4J_RUN_DIR=$dir"
      echo "bolt://127.0.0.1:$port"
      return 0
    fi
    # Someone grabbed the port between our probe and the bind: retry with another one.
    if [[ $rc -eq 3 ]] && grep -qiE 'address already in use|BindException' "$dir/console.log" "$dir/logs/debug.log" 2>/dev/null && [[ $attempt -lt 3 ]]; then
      log "port $port was taken, retrying with another port"
      wait_gone "$pid" 30 || kill_pid "$pid" 10
      rm -f "$dir/neo4j.pid"
      continue
    fi
    break
  done
  log "Neo4j did not become ready (ready exit code $rc)"
  dump_logs "$dir"
  if kill -0 "$pid" 2>/dev/null; then kill_pid "$pid" 30; fi
  rm -f "$dir/neo4j.pid"
  exit 1
}

cmd_stop() {
  local dir="" purge=false
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --dir) [[ $# -ge 2 ]] || die "--dir needs a value"; dir="$2"; shift 2 ;;
      --dir=*) dir="${1#--dir=}"; shift ;;
      --purge) purge=true; shift ;;
      *) die "stop: unknown argument $1" ;;
    esac
  done
  if [[ -z "$dir" && ! -e "$CURRENT_LINK" && ! -L "$CURRENT_LINK" ]]; then
    log "no current runtime dir: nothing to stop"
    return 0
  fi
  dir="$(resolve_dir "$dir")"
  local pidfile="$dir/neo4j.pid" pid
  if [[ -f "$pidfile" ]]; then
    pid="$(cat "$pidfile")"
    if is_our_server "$pid" "$dir"; then
      log "stopping Neo4j pid $pid ($dir)"
      local t0=$SECONDS
      kill_pid "$pid" 60
      log "stopped in $((SECONDS - t0)) s"
    else
      log "pid $pid ($dir) is not running"
    fi
    rm -f "$pidfile"
  else
    log "no pid file in $dir: nothing to stop"
  fi
  if [[ -L "$CURRENT_LINK" && "$(readlink "$CURRENT_LINK")" == "$dir" ]]; then
    rm -f "$CURRENT_LINK"
  fi
  if [[ "$purge" == true ]]; then
    [[ -f "$dir/conf/neo4j.conf" ]] || die "refusing to purge $dir: it does not look like a neo4j.sh runtime dir"
    rm -rf "$dir"
    log "removed $dir"
  fi
}

cmd_status() {
  local dir=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --dir) [[ $# -ge 2 ]] || die "--dir needs a value"; dir="$2"; shift 2 ;;
      --dir=*) dir="${1#--dir=}"; shift ;;
      *) die "status: unknown argument $1" ;;
    esac
  done
  if [[ -z "$dir" && ! -e "$CURRENT_LINK" && ! -L "$CURRENT_LINK" ]]; then
    echo "not running (no current runtime dir)"
    return 3
  fi
  dir="$(resolve_dir "$dir")"
  local pid=""
  [[ -f "$dir/neo4j.pid" ]] && pid="$(cat "$dir/neo4j.pid")"
  if [[ -n "$pid" ]] && is_our_server "$pid" "$dir"; then
    echo "running pid=$pid uri=$(cat "$dir/bolt_uri" 2>/dev/null) dir=$dir version=$VERSION"
    return 0
  fi
  echo "not running dir=$dir"
  return 3
}

# import --dir DIR [-- ARGS...]: the offline importer needs the database offline, and the
# Community edition cannot stop one database, so the server is stopped, the importer runs
# in its own JVM on the dir's configuration (data directories from conf/neo4j.conf), and the
# server is started again if it was running, on the same port. Pass the database first
# (default neo4j), then the importer's options as --name=value (a file list option such as
# --nodes takes every word after it, a database name after it too). Prints NEO4J_STOP_SECONDS=,
# NEO4J_IMPORT_SECONDS=, NEO4J_IMPORT_CPU_SECONDS= (the importer's user + system time) and
# NEO4J_START_SECONDS= on stdout, with start's lines.
cmd_import() {
  local dir=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --dir) [[ $# -ge 2 ]] || die "--dir needs a value"; dir="$2"; shift 2 ;;
      --dir=*) dir="${1#--dir=}"; shift ;;
      --) shift; break ;;
      *) die "import: unknown argument $1 (the importer's arguments go after --)" ;;
    esac
  done
  [[ -n "$dir" ]] || die "import: --dir DIR is required (the runtime dir of the server to import into)"
  dir="$(resolve_dir "$dir")"
  [[ -f "$dir/conf/neo4j.conf" ]] || die "import: $dir is not a neo4j.sh runtime dir (no conf/neo4j.conf): start a server there first"
  local -a args=("$@")
  local java db="neo4j" overwrite=false a has_mem=false has_report=false
  for a in "${args[@]}"; do
    case "$a" in
      --max-off-heap-memory=*) has_mem=true ;;
      --report-file=*) has_report=true ;;
      --overwrite-destination | --overwrite-destination=true) overwrite=true ;;
    esac
  done
  for a in "${args[@]}"; do
    if [[ "$a" != -* ]]; then db="$a"; break; fi
  done
  [[ "$db" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "import: database name '$db' is not valid"
  [[ "$has_mem" == true ]] || args=("--max-off-heap-memory=${NEO4J_IMPORT_MEMORY:-2g}" "${args[@]}")
  [[ "$has_report" == true ]] || args=("--report-file=$dir/logs/import.report" "${args[@]}")
  java="$(find_java)"
  fetch_jars

  local was_running=false pid="" t
  t=$EPOCHREALTIME
  if [[ -f "$dir/neo4j.pid" ]]; then
    pid="$(cat "$dir/neo4j.pid")"
    if is_our_server "$pid" "$dir"; then
      was_running=true
      log "stopping Neo4j pid $pid ($dir) for the import"
      kill_pid "$pid" 60
      rm -f "$dir/neo4j.pid"
    fi
  fi
  echo "NEO4J_STOP_SECONDS=$(elapsed "$t")"

  log "importing into database $db of $dir: neo4j-admin database import full ${args[*]}"
  t=$EPOCHREALTIME
  local rc=0 timefile="$dir/logs/import.time"
  # bash's time keyword gives the importer's CPU seconds (user, system), which vary far less
  # than its wall-clock time when other work shares the machine.
  {
    TIMEFORMAT='%3U %3S'
    time {
      (
        cd "$dir"
        NEO4J_HOME="$dir" NEO4J_CONF="$dir/conf" exec "$java" "-Xmx${NEO4J_ADMIN_HEAP:-1g}" \
          -XX:+UseG1GC --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
          -cp "$LIB_DIR/*" org.neo4j.cli.AdminTool database import full "${args[@]}"
      ) >&4 2>&4
    }
  } 4>&2 2>"$timefile" || rc=$?
  echo "NEO4J_IMPORT_SECONDS=$(elapsed "$t")"
  echo "NEO4J_IMPORT_CPU_SECONDS=$(awk 'NF == 2 { printf "%.3f", $1 + $2 }' "$timefile")"
  if [[ $rc -ne 0 ]]; then
    log "the import failed (exit $rc)"
    # With --overwrite-destination the importer deleted the database before it failed and
    # left partial store files the server cannot open: remove them, so the server starts
    # with an empty database again. Without it, nothing was deleted and nothing is.
    if [[ "$overwrite" == true ]]; then
      log "removing the partial store files of database $db"
      rm -rf "$dir/data/databases/$db" "$dir/data/transactions/$db"
    fi
  fi
  if [[ "$was_running" == true ]]; then
    t=$EPOCHREALTIME
    # Restart with the heap and page cache the server had (recorded by start), unless the
    # environment says otherwise: the defaults (1g, 512m) hold less than a million people's
    # store, and a page cache smaller than the store made every later read fault pages in.
    if [[ -z "${NEO4J_HEAP:-}" ]]; then HEAP="$(sed -n 's/^heap=//p' "$dir/memory" 2>/dev/null)"; HEAP="${HEAP:-1g}"; fi
    if [[ -z "${NEO4J_PAGECACHE:-}" ]]; then PAGECACHE="$(sed -n 's/^pagecache=//p' "$dir/memory" 2>/dev/null)"; PAGECACHE="${PAGECACHE:-512m}"; fi
    cmd_start --dir "$dir"
    echo "NEO4J_START_SECONDS=$(elapsed "$t")"
  else
    log "the server of $dir was not running before the import: left stopped"
  fi
  return $rc
}

elapsed() { # seconds since $1 (an $EPOCHREALTIME), with milliseconds
  awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'
}

main() {
  [[ $# -ge 1 ]] || usage
  local cmd="$1"; shift
  case "$cmd" in
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    fetch) cmd_fetch "$@" ;;
    import) cmd_import "$@" ;;
    -h | --help | help) usage ;;
    *) log "unknown command: $cmd"; usage ;;
  esac
}

main "$@"
