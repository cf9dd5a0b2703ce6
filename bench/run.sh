#!/usr/bin/env bash
# rangefetch benchmark (issues 6 and 12): rangefetch vs aria2c, axel, curl and wget2 on
# 127.0.0.1, behind a relay with one slow connection, and over a 40 ms link between namespaces.
#
#   bench/run.sh            full run (~15-20 min on 2 cores, ~9 of them issue 12's cases):
#                           1 GiB / 64 MiB / 1000 x 100 KiB / straggler / long link,
#                           writes the result sections of docs/benchmarks.md
#   bench/run.sh --quick    ~5 min: 256 MiB instead of 1 GiB, 200 small files, fewer runs;
#                           prints the table only (add --docs to write docs/benchmarks.md too)
#
# Options: --quick | --pairs N | --runs N | --only CASE[,CASE...] | --tools T[,T...]
#          --docs | --no-docs | --no-install | -h
#          --serve             only generate the files and start the servers, print their URLs
#                              and wait (Ctrl-C stops them): for profiling by hand
#          --jfr CASE[,CASE]   after the timed runs, one untimed rangefetch run per case with
#                              Java Flight Recorder (lo-big lo-mid relay-big mem-big small);
#                              recording bench/work/rf-CASE.jfr, summary bench/work/jfr-CASE.txt
# Cases:   lo-big lo-mid relay-big norange small mem many (issue 6)
#          straggler long-mid long-big (issue 12; root, for the network namespaces):
#            straggler  128 MiB through a relay at 5 MB/s per connection but 200 kB/s for the
#                       2nd connection of each tool run; rangefetch -t 4 -c 4M, axel -n4,
#                       aria2c -x4 -s4 -k4M
#            long-mid   64 MiB over a 40 ms round trip (a delay line between two network
#                       namespaces, bench/delayline.py), 20 MiB/s per connection; -t 8 / -x8 / -n8
#            long-big   1 GiB over the same link, unthrottled
#          limit (issue 13): 64 MiB at a rate limit of LIMIT_RATE (4M): rangefetch --limit-rate,
#            aria2c --max-download-limit, curl --limit-rate; each run through bench/meter.py, a
#            relay that counts the bytes handed to the tool per second (the origin's side),
#            for the achieved rate and its evenness; its own section of docs/benchmarks.md
#          Rerun just these on another build:
#            RF_JAR=/path/to/rangefetch-cli.jar bench/run.sh --only straggler,long-mid,long-big
# Tools:   rangefetch aria2c axel curl wget2
# Env:     RF_JAR (default rangefetch-examples/target/rangefetch-cli.jar)
#          RF_LAUNCHER (rangefetch-examples/bin/rangefetch when present: the project's launcher
#                       with its JVM settings and AppCDS cache in bench/work/cds; "none" = java -jar)
#          RF_THREADS (8)  RF_CHUNK (4M)  RF_JAVA_OPTS ("")  RF_MEM_THREADS (16)
#          RF_SERVER_JAR (rangefetch-ws-server/target/rangefetch-server.jar)
#          RF_SERVER_ARGS (default "--port {port} --download-dir {dir} --max-concurrent-downloads 8")
#          NGINX_WORKERS (2)  RELAY_RATE (20971520 bytes/s per connection)
#          STRAG_RATE (5000000)  STRAG_SLOW_CONN (2)  STRAG_SLOW_RATE (200000)  STRAG_MIB (128)
#          LIMIT_RATE (4M, the limit case's rate; 1024-based)
#          LONG_DELAY_MS (20, one way)  LONG_RATE (20971520 per connection, long-mid)  LONG_MTU (1500)
#          MANY_WARMUP (40; 3 with --quick): the most untimed rounds of the many-files list through the
#                       server before its timed runs; MANY_WARMUP_MIN (10; 3 with --quick): the
#                       fewest. In between, the warm-up ends once the C2 compiler is done.
#
# What it does: installs missing tools with apt-get (idempotent); generates the files with their
# SHA-256 under bench/work/data (reused on later runs); starts nginx (generated config, own pid,
# logs and temp paths, sendfile, keep-alive) on 127.0.0.1, a per-connection 20 MiB/s relay
# (bench/Relay.java, JDK source launcher) in front of it, and serves /norange/ with
# max_ranges 0 (a server that ignores Range); runs every tool on the same files, checks every
# download's SHA-256 (a wrong file is FAILED, not timed), interleaves rangefetch and aria2c in
# pairs (alternating which goes first) for the headline ratios, and prints a markdown report.
# Every server it started is stopped on exit.
set -uo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
WORK=$BENCH/work
DATA=$WORK/data
OUTDIR=$WORK/out
LOGDIR=$WORK/logs
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3

MODE=full
PAIRS=""
RUNS=""
ONLY="lo-mid,lo-big,relay-big,norange,small,mem,many,straggler,long-mid,long-big,limit"
TOOLS="rangefetch,aria2c,axel,curl,wget2"
DOCS=""
INSTALL=1
JFR_CASES=""
SERVE=0

usage() { awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "${BASH_SOURCE[0]}"; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) MODE=quick ;;
    --pairs) PAIRS=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --tools) TOOLS=$2; shift ;;
    --docs) DOCS=1 ;;
    --no-docs) DOCS=0 ;;
    --no-install) INSTALL=0 ;;
    --jfr) JFR_CASES=$2; shift ;;
    --serve) SERVE=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

if [[ $MODE == quick ]]; then
  BIG_MIB=256; MANY_N=200; : "${MANY_WARMUP:=3}"; : "${MANY_WARMUP_MIN:=3}"
  : "${PAIRS:=3}"; : "${RUNS:=1}"; RELAY_PAIRS=${PAIRS}; CURL_RELAY_RUNS=0
  : "${DOCS:=0}"
else
  BIG_MIB=1024; MANY_N=1000; : "${MANY_WARMUP:=40}"; : "${MANY_WARMUP_MIN:=10}"
  : "${PAIRS:=5}"; : "${RUNS:=3}"; RELAY_PAIRS=${PAIRS}; CURL_RELAY_RUNS=1
  : "${DOCS:=1}"
fi
MID_MIB=64
SMALL_KIB=1024
MANY_KIB=100

RF_JAR=${RF_JAR:-$ROOT/rangefetch-examples/target/rangefetch-cli.jar}
RF_SERVER_JAR=${RF_SERVER_JAR:-$ROOT/rangefetch-ws-server/target/rangefetch-server.jar}
RF_LAUNCHER=${RF_LAUNCHER:-$ROOT/rangefetch-examples/bin/rangefetch}
[[ $RF_LAUNCHER == none || ! -f $RF_LAUNCHER ]] && RF_LAUNCHER=""
RF_SERVER_ARGS=${RF_SERVER_ARGS:-"--port {port} --download-dir {dir} --max-concurrent-downloads 8"}
RF_THREADS=${RF_THREADS:-8}
RF_CHUNK=${RF_CHUNK:-4M}
RF_MEM_THREADS=${RF_MEM_THREADS:-16}
RF_JAVA_OPTS=${RF_JAVA_OPTS:-}
NGINX_WORKERS=${NGINX_WORKERS:-2}
RELAY_RATE=${RELAY_RATE:-20971520}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
# issue 12: the straggler (one slow connection among fast ones) and the long link (40 ms RTT)
STRAG_MIB=${STRAG_MIB:-128}
STRAG_THREADS=4
STRAG_RATE=${STRAG_RATE:-5000000}            # bytes/s of every connection but one
STRAG_SLOW_CONN=${STRAG_SLOW_CONN:-2}        # which connection of a run is slow (from 1)
STRAG_SLOW_RATE=${STRAG_SLOW_RATE:-200000}   # its bytes/s
LONG_DELAY_MS=${LONG_DELAY_MS:-20}           # one way: the round trip is twice this
LONG_RATE=${LONG_RATE:-20971520}             # per connection in long-mid
LONG_MTU=${LONG_MTU:-1500}
LONG_THREADS=8
LIMIT_RATE=${LIMIT_RATE:-4M}
LONG_SRV_ADDR=10.77.0.1
LONG_CLI_ADDR=10.77.0.2

has_case() { [[ ",$ONLY," == *",$1,"* ]]; }
has_tool() { [[ ",$TOOLS," == *",$1,"* ]]; }
log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- tools
ensure_tools() {
  local missing=()
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
  command -v aria2c >/dev/null || missing+=(aria2)
  command -v axel >/dev/null || missing+=(axel)
  command -v wget2 >/dev/null || missing+=(wget2)
  command -v curl >/dev/null || missing+=(curl)
  [[ -x /usr/bin/time ]] || missing+=(time)
  [[ -x /usr/bin/python3 ]] || missing+=(python3)
  /usr/bin/python3 -c 'import websockets' 2>/dev/null || missing+=(python3-websockets)
  command -v java >/dev/null || missing+=(openjdk-17-jdk-headless)
  command -v sha256sum >/dev/null || missing+=(coreutils)
  if has_case long-mid || has_case long-big; then
    command -v ping >/dev/null || missing+=(iputils-ping)
    command -v ip >/dev/null || missing+=(iproute2)
  fi
  if [[ ${#missing[@]} -gt 0 ]]; then
    [[ $INSTALL == 1 ]] || die "missing: ${missing[*]} (run without --no-install, or apt-get install them)"
    local sudo=()
    [[ $EUID -eq 0 ]] || sudo=(sudo)
    log "installing: ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null \
      || die "apt-get update failed"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null \
      || die "apt-get install ${missing[*]} failed"
  fi
  NGINX=$(command -v nginx || echo /usr/sbin/nginx)
  PY=/usr/bin/python3
}

# ---------------------------------------------------------------- files
free_port() {
  $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# make_file NAME SIZE_BYTES: random content, reused when it already exists with that size
make_file() {
  local f=$DATA/$1 size=$2
  if [[ -f $f && $(stat -c %s "$f") == "$size" ]] && grep -q " $1\$" "$DATA/SHA256SUMS" 2>/dev/null; then
    return 0
  fi
  head -c "$size" /dev/urandom >"$f.tmp" && mv "$f.tmp" "$f"
  grep -v " $1\$" "$DATA/SHA256SUMS" 2>/dev/null >"$DATA/SHA256SUMS.tmp"
  (cd "$DATA" && sha256sum "$1") >>"$DATA/SHA256SUMS.tmp"
  mv "$DATA/SHA256SUMS.tmp" "$DATA/SHA256SUMS"
}

sha_of() { awk -v n="$1" '$2==n || $2=="*"n {print $1}' "$DATA/SHA256SUMS"; }

generate_files() {
  mkdir -p "$DATA/many" "$OUTDIR" "$LOGDIR"
  chmod a+rx "$BENCH" "$WORK" "$DATA" "$DATA/many"
  local need_mib=$(( BIG_MIB * 2 + MID_MIB * 2 + 512 ))
  local avail_mib
  avail_mib=$(df -Pm "$WORK" | awk 'NR==2 {print $4}')
  if [[ ! -f $DATA/big-${BIG_MIB}M.bin ]] && (( avail_mib < need_mib )); then
    die "need ~${need_mib} MiB free under $WORK, have ${avail_mib} MiB"
  fi
  log "files: big-${BIG_MIB}M.bin, mid-${MID_MIB}M.bin, small-${SMALL_KIB}K.bin, ${MANY_N} x ${MANY_KIB} KiB (reused when present)"
  touch "$DATA/SHA256SUMS"
  make_file "big-${BIG_MIB}M.bin" $(( BIG_MIB * 1048576 ))
  make_file "mid-${MID_MIB}M.bin" $(( MID_MIB * 1048576 ))
  make_file "small-${SMALL_KIB}K.bin" $(( SMALL_KIB * 1024 ))
  make_file "tiny-1K.bin" 1024  # the long link's round-trip check
  if has_case straggler; then make_file "straggler-${STRAG_MIB}M.bin" $(( STRAG_MIB * 1048576 )); fi
  # many small files: own manifest, generated in one pass
  local i name have=0
  if [[ -f $DATA/many/SHA256SUMS ]]; then have=$(wc -l <"$DATA/many/SHA256SUMS"); fi
  if (( have < MANY_N )); then
    for ((i = 0; i < MANY_N; i++)); do
      name=$(printf 'f%04d.bin' "$i")
      [[ -f $DATA/many/$name ]] || head -c $(( MANY_KIB * 1024 )) /dev/urandom >"$DATA/many/$name"
    done
    (cd "$DATA/many" && ls f????.bin | head -n "$MANY_N" | xargs sha256sum >SHA256SUMS.tmp && mv SHA256SUMS.tmp SHA256SUMS)
  fi
  chmod -R a+rX "$DATA"
  # page cache warm: every tool reads the same cached file
  cat "$DATA/big-${BIG_MIB}M.bin" "$DATA/mid-${MID_MIB}M.bin" >/dev/null
}

# ---------------------------------------------------------------- servers
PIDS=()
NETNS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do
    kill "$p" 2>/dev/null
  done
  for p in "${PIDS[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$p" 2>/dev/null
  done
  PIDS=()
  for p in "${NETNS[@]}"; do
    ip netns pids "$p" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$p" 2>/dev/null
  done
  NETNS=()
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT TERM

# nginx_conf DIR LISTEN...: writes DIR/nginx.conf (own pid, logs, temp paths) serving DATA and
# tests it (in the namespace NGINX_NS=(ip netns exec NS) when set: its addresses are there)
NGINX_NS=()
nginx_conf() {
  local d=$1; shift
  mkdir -p "$d/tmp"
  local user_line="" listens="" l
  if [[ $EUID -eq 0 ]]; then  # nginx's compiled-in default "nobody nobody" has no group on Debian
    if id www-data >/dev/null 2>&1; then user_line="user www-data www-data;"; else user_line="user root root;"; fi
  fi
  for l in "$@"; do listens+="        listen $l;"$'\n'; done
  cat >"$d/nginx.conf" <<EOF
# generated by bench/run.sh -- do not edit
$user_line
worker_processes $NGINX_WORKERS;
daemon off;
master_process on;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 1024; }
http {
    types { application/octet-stream bin; }
    default_type application/octet-stream;
    log_format bench '\$msec \$request_time \$connection \$connection_requests \$status '
                     '\$body_bytes_sent \$request_method "\$uri" "\$args" "\$http_range"';
    access_log $d/access.log bench;
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65s;
    keepalive_requests 100000;
    server_tokens off;
    server {
$listens        root $DATA;
        location / { }
        # a server that ignores Range: always 200 with the whole body, no Accept-Ranges
        location /norange/ { alias $DATA/; max_ranges 0; }
    }
}
EOF
  "${NGINX_NS[@]}" "$NGINX" -t -q -p "$d" -e "$d/error.log" -c "$d/nginx.conf" || die "nginx config test failed ($d)"
}

start_nginx() {
  NGINX_PORT=$(free_port)
  local d=$WORK/nginx
  nginx_conf "$d" "127.0.0.1:$NGINX_PORT"
  "$NGINX" -p "$d" -e "$d/error.log" -c "$d/nginx.conf" &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$NGINX_PORT/small-${SMALL_KIB}K.bin" || die "nginx did not come up"
  log "nginx on 127.0.0.1:$NGINX_PORT (pid ${PIDS[-1]}, $NGINX_WORKERS workers)"
}

start_relay() {
  RELAY_PORT=$(free_port)
  java -Xmx64m "$BENCH/Relay.java" "$RELAY_PORT" "$NGINX_PORT" "$RELAY_RATE" $$ 7200 \
    >"$LOGDIR/relay.out" 2>"$LOGDIR/relay.err" &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$RELAY_PORT/small-${SMALL_KIB}K.bin" 30 || die "relay did not come up: $(cat "$LOGDIR/relay.err")"
  log "relay on 127.0.0.1:$RELAY_PORT -> $NGINX_PORT at $RELAY_RATE B/s per connection (pid ${PIDS[-1]})"
}

wait_http() {  # URL [seconds]; from the namespace IN_NS when set
  local url=$1 t=${2:-10} i
  for ((i = 0; i < t * 10; i++)); do
    "${IN_NS[@]}" curl -s -f -o /dev/null --max-time 2 "$url" && return 0
    sleep 0.1
  done
  return 1
}

# ---------------------------------------------------------------- runs
RESULTS=$WORK/results.tsv
CMDS=$WORK/commands.tsv
RUNSEQ=0

to_bytes() {  # 4M -> 4194304
  local v=${1^^}
  case $v in
    *K) echo $(( ${v%K} * 1024 )) ;;
    *M) echo $(( ${v%M} * 1048576 )) ;;
    *G) echo $(( ${v%G} * 1073741824 )) ;;
    *) echo "$v" ;;
  esac
}
JFR_OPTS=""

# tool_cmd TOOL URL OUT -> CMD array
data_size() {  # OUT -> bytes of the generated file of the same name
  stat -c %s "$DATA/$(basename "$1")"
}

# Per-case settings, empty for the issue-6 cases (their commands stay as they were):
# IN_NS=(ip netns exec NS) runs the tool in the long link's client namespace; CASE_ARIA (the
# aria2c split options), CASE_AXEL_N, CASE_CHUNK (rangefetch -c).
# CASE_LIMIT (the limit case) gives each tool its own rate-limit option, before the URL.
IN_NS=()
CASE_ARIA="" CASE_AXEL_N="" CASE_CHUNK="" CASE_LIMIT=""

tool_cmd() {
  tool_cmd_bare "$@"
  if [[ -n $CASE_LIMIT ]]; then
    local url=${CMD[-1]} opt=()
    case $1 in
      rangefetch|curl) opt=(--limit-rate "$CASE_LIMIT") ;;
      aria2c) opt=("--max-download-limit=$CASE_LIMIT") ;;
    esac
    CMD=("${CMD[@]:0:${#CMD[@]}-1}" "${opt[@]}" "$url")
  fi
  CMD=("${IN_NS[@]}" "${CMD[@]}")
}

tool_cmd_bare() {
  local tool=$1 url=$2 out=$3 threads=${4:-$RF_THREADS}
  local chunk=${CASE_CHUNK:-$RF_CHUNK}
  case $tool in
    # the env lifts the CLI's caps (default 8 threads, 4 MiB chunks) to what is asked for
    rangefetch)
      if [[ -n $RF_LAUNCHER ]]; then  # the project's launcher script: its JVM settings, AppCDS
        local jopts=$RF_JAVA_OPTS${JFR_OPTS:+ $JFR_OPTS}
        CMD=(env "RANGEFETCH_LIMITS_MAX_THREADS=$threads" "RANGEFETCH_LIMITS_MAX_BYTES_PER_THREAD=$(to_bytes "$chunk")"
             "RANGEFETCH_JAR=$RF_JAR" "RANGEFETCH_CACHE=$WORK/cds" ${jopts:+"RANGEFETCH_JAVA_OPTS=$jopts"}
             bash "$RF_LAUNCHER" -t "$threads" -c "$chunk" -o "$out" -q "$url")
      else
        CMD=(env "RANGEFETCH_LIMITS_MAX_THREADS=$threads" "RANGEFETCH_LIMITS_MAX_BYTES_PER_THREAD=$(to_bytes "$chunk")"
             java $RF_JAVA_OPTS $JFR_OPTS -jar "$RF_JAR" -t "$threads" -c "$chunk" -o "$out" -q "$url")
      fi ;;
    # shellcheck disable=SC2086
    aria2c) CMD=(aria2c ${CASE_ARIA:--x8 -s8 -k1M} -q --allow-overwrite=true --auto-file-renaming=false
                 -d "$(dirname "$out")" -o "$(basename "$out")" "$url") ;;
    axel) CMD=(axel -n "${CASE_AXEL_N:-8}" -q -o "$out" "$url") ;;
    curl) CMD=(curl -sS -f -o "$out" "$url") ;;
    wget2) CMD=(wget2 -q -O "$out" "$url") ;;
    # the floor of goal 2b: a JVM on raw sockets (bench/JvmFloor.java), no library loaded
    jvm-floor)
      local rest=${url#http://} hostport path
      hostport=${rest%%/*}; path=/${rest#*/}
      CMD=(java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xlog:disable -cp "$WORK/floor" JvmFloor
           "${hostport%:*}" "${hostport#*:}" "$path" "$(data_size "$out")" "$out" "$threads") ;;
    # the floor under goal 2b with the design's HTTP library (bench/HttpClientFloor.java), given
    # what the launcher gives rangefetch: C1, the serial collector, an AppCDS archive
    httpclient-floor)
      CMD=(java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xlog:disable "${FLOOR_CDS[@]}"
           -cp "$WORK/floor/httpclient-floor.jar:$RF_JAR" HttpClientFloor
           "$url" "$(data_size "$out")" "$out" "$threads") ;;
    *) die "unknown tool $tool" ;;
  esac
}

# pretty command for the report, with the bench paths shortened
show_cmd() {
  local s="" a
  for a in "$@"; do
    a=${a//$OUTDIR/OUT}; a=${a//$WORK/bench\/work}; a=${a//$ROOT\//}
    [[ $a == *" "* ]] && a="'$a'"
    s+="$a "
  done
  s=${s% }
  s=$(sed -E 's#http://127\.0\.0\.1:[0-9]+#http://127.0.0.1:PORT#g; s#ws://127\.0\.0\.1:[0-9]+#ws://127.0.0.1:PORT#g; s#\?r=[a-z0-9-]+##g; s#--tag [a-z0-9-]+#--tag RUN#g; s#JvmFloor 127\.0\.0\.1 [0-9]+#JvmFloor 127.0.0.1 PORT#g; s#http://10\.77\.0\.1:[0-9]+#http://10.77.0.1:PORT#g; s#ip netns exec rfb[0-9]+c#ip netns exec CLIENT_NS#g; s#many-r[0-9]+#many-RUN#g' <<<"$s")
  printf '%s' "$s"
}

tool_available() {
  case $1 in
    rangefetch) [[ -f $RF_JAR ]] ;;
    *) command -v "$1" >/dev/null ;;
  esac
}

# time_cmd LABEL -> runs CMD under /usr/bin/time -v and timeout; sets WALL USER SYS RSS RC
time_cmd() {
  local tag=$1 tf=$LOGDIR/$1.time
  local t0 t1
  t0=$EPOCHREALTIME
  T0=$t0
  timeout -k 5 "$RUN_TIMEOUT" /usr/bin/time -v -o "$tf" "${CMD[@]}" >"$LOGDIR/$tag.out" 2>"$LOGDIR/$tag.err"
  RC=$?
  t1=$EPOCHREALTIME
  T1=$t1
  WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
  USER=$(awk -F': ' '/User time \(seconds\)/ {print $2}' "$tf" 2>/dev/null)
  SYS=$(awk -F': ' '/System time \(seconds\)/ {print $2}' "$tf" 2>/dev/null)
  RSS=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tf" 2>/dev/null)
  : "${USER:=NA}" "${SYS:=NA}" "${RSS:=NA}"
}

record() {  # case tool run pair status note
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    "$1" "$2" "$3" "$4" "$WALL" "$USER" "$SYS" "$RSS" "$5" "$RUNID" "$(cut -d' ' -f1 /proc/loadavg)" "$6" \
    "${T0:-}" "${T1:-}" >>"$RESULTS"
}

note_cmd() {  # case tool pretty-command (first one wins)
  grep -q "^$1	$2	" "$CMDS" 2>/dev/null || printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$CMDS"
}

# run_single CASE TOOL RUN PAIR URL FILE [THREADS]: one timed download of DATA/FILE, checked.
# BEFORE_RUN / AFTER_RUN: commands run around the timed part (the straggler relay's reset; what
# the relay or the delay line saw, which AFTER_RUN prints and the run's note keeps)
BEFORE_RUN="" AFTER_RUN=""
run_single() {
  local case=$1 tool=$2 run=$3 pair=$4 url=$5 file=$6 threads=${7:-$RF_THREADS}
  RUNSEQ=$((RUNSEQ + 1))
  RUNID=$(printf 'r%04d' "$RUNSEQ")
  local out=$OUTDIR/$file
  rm -f "$out" "$out.st" "$out.aria2" "$out.part"
  tool_cmd "$tool" "$url?r=$RUNID" "$out" "$threads"
  note_cmd "$case" "$tool" "$(show_cmd "${CMD[@]}")"
  [[ -n $BEFORE_RUN ]] && $BEFORE_RUN >/dev/null
  time_cmd "$RUNID-$case-$tool"
  local status=OK note="" seen=""
  [[ -n $AFTER_RUN ]] && seen=$($AFTER_RUN)
  if [[ $RC -ne 0 ]]; then
    status=FAILED; note="exit $RC: $(tail -c 200 "$LOGDIR/$RUNID-$case-$tool.err" | tr '\n\t' '  ')"
  elif [[ ! -f $out ]]; then
    status=FAILED; note="no output file"
  else
    local got want
    got=$(sha256sum "$out" | cut -d' ' -f1)
    want=$(sha_of "$file")
    if [[ $got != "$want" ]]; then
      status=FAILED; note="sha256 mismatch (size $(stat -c %s "$out"))"
    fi
  fi
  if [[ $tool == rangefetch && $status == OK ]]; then
    local last
    last=$(tail -n 1 "$LOGDIR/$RUNID-$case-$tool.out")
    [[ $last == file:///* ]] || note="last stdout line is not a file:/// URI"
  fi
  rm -f "$out" "$out.st" "$out.aria2"
  [[ -n $seen ]] && note="${note:+$note; }$seen"
  record "$case" "$tool" "$run" "$pair" "$status" "$note"
  printf '  %-10s %-10s run %-2s %8ss cpu %s+%s s rss %s KiB %s %s\n' \
    "$case" "$tool" "$run" "$WALL" "$USER" "$SYS" "$RSS" "$status" "$note" >&2
}

make_floors() {  # compiles bench/JvmFloor.java and bench/HttpClientFloor.java; archives the latter's classes
  FLOOR_CDS=()
  mkdir -p "$WORK/floor"
  javac -d "$WORK/floor" "$BENCH/JvmFloor.java" 2>"$LOGDIR/floor-javac.err" || return 0
  javac -cp "$RF_JAR" -d "$WORK/floor/hc" "$BENCH/HttpClientFloor.java" 2>>"$LOGDIR/floor-javac.err" || return 0
  jar cf "$WORK/floor/httpclient-floor.jar" -C "$WORK/floor/hc" . || return 0
  # one untimed run writes the class-data archive, as the launcher's first run does for rangefetch
  FLOOR_CDS=(-XX:ArchiveClassesAtExit="$WORK/floor/hc.jsa")
  mkdir -p "$OUTDIR"
  tool_cmd httpclient-floor "$BASE/$MID?r=floor-cds" "$OUTDIR/$MID"
  "${CMD[@]}" >/dev/null 2>"$LOGDIR/floor-cds.err" || log "  the untimed HttpClient floor run failed: $(tail -c 200 "$LOGDIR/floor-cds.err")"
  rm -f "$OUTDIR/$MID"
  if [[ -f $WORK/floor/hc.jsa ]]; then FLOOR_CDS=(-XX:SharedArchiveFile="$WORK/floor/hc.jsa"); else FLOOR_CDS=(); fi
}

run_plain() {  # CASE NAME RUN: times CMD (no file to check), e.g. the start-up baselines
  RUNSEQ=$((RUNSEQ + 1))
  RUNID=$(printf 'r%04d' "$RUNSEQ")
  note_cmd "$1" "$2" "$(show_cmd "${CMD[@]}")"
  time_cmd "$RUNID-$1-$2"
  local status=OK note=""
  [[ $RC -eq 0 ]] || { status=FAILED; note="exit $RC"; }
  record "$1" "$2" "$3" - "$status" "$note"
  printf '  %-10s %-18s run %-2s %8ss cpu %s+%s s rss %s KiB %s\n' "$1" "$2" "$3" "$WALL" "$USER" "$SYS" "$RSS" "$status" >&2
}

# headline: pairs of rangefetch and aria2c, alternating which goes first; then the other tools
run_case() {  # CASE BASEURL FILE PAIRS RUNS_OTHERS [THREADS]
  local case=$1 base=$2 file=$3 pairs=$4 others=$5 threads=${6:-$RF_THREADS}
  log "case $case: $base/$file  ($pairs pairs rangefetch/aria2c, $others runs of the others)"
  echo "$case load_before $(cut -d' ' -f1-3 /proc/loadavg)" >>"$WORK/load.txt"
  local p t r have_rf=0
  has_tool rangefetch && tool_available rangefetch && have_rf=1
  if has_tool rangefetch && [[ $have_rf == 0 ]]; then
    record_skip "$case" rangefetch "CLI jar not built: ${RF_JAR#$ROOT/}"
  fi
  for ((p = 1; p <= pairs; p++)); do
    if (( p % 2 == 1 )); then order=(rangefetch aria2c); else order=(aria2c rangefetch); fi
    for t in "${order[@]}"; do
      has_tool "$t" || continue
      [[ $t == rangefetch && $have_rf == 0 ]] && continue
      run_single "$case" "$t" "$p" "$p" "$base/$file" "$file" "$threads"
    done
  done
  for t in axel curl wget2; do
    has_tool "$t" || continue
    local n=$others
    [[ $case == relay-big && $t == curl ]] && n=$CURL_RELAY_RUNS
    [[ $case == relay-big && $t == wget2 ]] && n=0  # single connection like curl: 50 s a run
    for ((r = 1; r <= n; r++)); do
      run_single "$case" "$t" "$r" "-" "$base/$file" "$file"
    done
  done
  echo "$case load_after $(cut -d' ' -f1-3 /proc/loadavg)" >>"$WORK/load.txt"
}

record_skip() {  # case tool reason
  WALL=NA USER=NA SYS=NA RSS=NA RUNID=- T0="" T1=""
  record "$1" "$2" "-" "-" "SKIPPED" "$3"
  log "  $1 $2 SKIPPED: $3"
}

# ---------------------------------------------------------------- many files
WS_PID=""
start_ws_server() {
  if [[ ! -f $RF_SERVER_JAR ]]; then
    WS_SKIP="server jar not built: ${RF_SERVER_JAR#$ROOT/} (slot for the rangefetch-ws-server case)"
    return 1
  fi
  WS_PORT=$(free_port)
  WS_DIR=$WORK/ws-downloads
  rm -rf "$WS_DIR"; mkdir -p "$WS_DIR"
  local args=${RF_SERVER_ARGS//\{port\}/$WS_PORT}
  args=${args//\{dir\}/$WS_DIR}
  # shellcheck disable=SC2086
  java $RF_JAVA_OPTS -jar "$RF_SERVER_JAR" $args >"$LOGDIR/ws-server.out" 2>"$LOGDIR/ws-server.err" &
  WS_PID=$!
  PIDS+=($WS_PID)
  WS_CMD="java -jar ${RF_SERVER_JAR#$ROOT/} ${RF_SERVER_ARGS//\{dir\}/bench/work/ws-downloads}"
  if ! wait_http "http://127.0.0.1:$WS_PORT/healthz" 30; then
    WS_SKIP="server did not answer /healthz on port $WS_PORT within 30 s (args: $args): $(tail -c 300 "$LOGDIR/ws-server.err" | tr '\n\t' '  ')"
    kill "$WS_PID" 2>/dev/null
    return 1
  fi
  log "rangefetch-ws-server on 127.0.0.1:$WS_PORT (pid $WS_PID)"
}

c2_cpu() {  # PID -> utime+stime seconds of its C2 compiler threads
  local t sum=0 v
  for t in /proc/"$1"/task/*; do
    [[ $(cat "$t/comm" 2>/dev/null) == "C2 CompilerThre"* ]] || continue
    v=$(sed 's/.*) //' "$t/stat" 2>/dev/null | awk '{print $12 + $13}') || continue
    sum=$((sum + ${v:-0}))
  done
  awk -v s="$sum" -v hz="$(getconf CLK_TCK)" 'BEGIN {print s / hz}'
}

proc_cpu() {  # PID -> utime+stime seconds
  awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat" 2>/dev/null || echo NA
}

run_many_one() {  # tool run pair
  local tool=$1 run=$2 pair=$3
  RUNSEQ=$((RUNSEQ + 1))
  RUNID=$(printf 'r%04d' "$RUNSEQ")
  local dir=$OUTDIR/many-$RUNID list=$WORK/many-urls.txt manifest=$WORK/many-manifest.txt
  rm -rf "$dir"; mkdir -p "$dir"
  case $tool in
    aria2c) CMD=(aria2c -i "$list" -j8 -q --allow-overwrite=true --auto-file-renaming=false -d "$dir") ;;
    wget2) CMD=(wget2 -q -nd -i "$list" -P "$dir") ;;
    curl) CMD=(curl -sS -f -Z --parallel-max 8 --remote-name-all --output-dir "$dir" -K "$WORK/many-curl.cfg") ;;
    rangefetch) CMD=("$PY" "$BENCH/ws_many.py" --url "ws://127.0.0.1:$WS_PORT/ws" --list "$list"
                     --window 8 --tag "$RUNID" --sha256-manifest "$manifest" --remove --timeout 120)
                dir=$WS_DIR ;;
  esac
  note_cmd many "$tool" "$(show_cmd "${CMD[@]}")"
  local cpu0=""
  [[ $tool == rangefetch ]] && cpu0=$(proc_cpu "$WS_PID")
  time_cmd "$RUNID-many-$tool"
  local status=OK note=""
  if [[ $tool == rangefetch ]]; then
    # the work is done in the server: add its CPU, report its peak RSS (VmHWM)
    local cpu1 hwm
    cpu1=$(proc_cpu "$WS_PID")
    hwm=$(awk '/VmHWM/ {print $2}' "/proc/$WS_PID/status" 2>/dev/null)
    USER=$(awk -v u="$USER" -v a="$cpu0" -v b="$cpu1" 'BEGIN {printf "%.2f", u + b - a}')
    RSS=${hwm:-NA}
    # Timed from the first add to the last "completed", as the client measures it: the process
    # wall would add Python's start (~0.1 s, which is no part of the server) and the removes.
    local process_wall=$WALL client_seconds
    client_seconds=$(tail -n 1 "$LOGDIR/$RUNID-many-$tool.out" | grep -o '"seconds": [0-9.]*' | awk '{print $2}')
    [[ -n $client_seconds ]] && WALL=$(awk -v s="$client_seconds" 'BEGIN {printf "%.3f", s}')
    note="time: first add to last completed (client process wall $process_wall s); server CPU included; RSS is the server's VmHWM; client: $(tail -n 1 "$LOGDIR/$RUNID-many-$tool.out" | cut -c1-120)"
  fi
  if [[ $RC -ne 0 ]]; then
    status=FAILED; note="exit $RC: $(tail -c 300 "$LOGDIR/$RUNID-many-$tool.err" "$LOGDIR/$RUNID-many-$tool.out" | tr '\n\t' '  ')"
  else
    local check=$WORK/many-check.txt
    if [[ $tool == rangefetch ]]; then
      sed -E "s#  (f[0-9]+\.bin)\$#  $RUNID-\\1#" "$manifest" >"$check"
    else
      cp "$manifest" "$check"
    fi
    if ! (cd "$dir" && sha256sum -c --quiet --strict "$check" >/dev/null 2>"$LOGDIR/$RUNID-many-check.err"); then
      status=FAILED; note="sha256 check failed: $(head -c 200 "$LOGDIR/$RUNID-many-check.err" | tr '\n' ' ')"
    fi
  fi
  # Kept until the case ends, for every tool alike: on ext4 without a journal (as here),
  # creating files right after deleting a thousand makes the inode allocator check each recently
  # deleted inode (recently_deleted in perf), which taxes whichever tool runs next.
  if [[ $tool == rangefetch ]]; then MANY_LEFT+=("$WS_DIR/$RUNID-"); else MANY_LEFT+=("$dir/"); fi
  record many "$tool" "$run" "$pair" "$status" "$note"
  printf '  %-10s %-10s run %-2s %8ss cpu %s+%s s rss %s KiB %s %s\n' \
    many "$tool" "$run" "$WALL" "$USER" "$SYS" "$RSS" "$status" "${note:0:100}" >&2
}

run_many() {
  local list=$WORK/many-urls.txt i name
  : >"$list"; : >"$WORK/many-curl.cfg"
  for ((i = 0; i < MANY_N; i++)); do
    name=$(printf 'f%04d.bin' "$i")
    echo "http://127.0.0.1:$NGINX_PORT/many/$name" >>"$list"
    echo "url = \"http://127.0.0.1:$NGINX_PORT/many/$name\"" >>"$WORK/many-curl.cfg"
  done
  head -n "$MANY_N" "$DATA/many/SHA256SUMS" >"$WORK/many-manifest.txt"  # the files this run uses
  log "case many: $MANY_N x $MANY_KIB KiB ($PAIRS pairs rangefetch-ws-server/aria2c, $RUNS runs of the others)"
  echo "many load_before $(cut -d' ' -f1-3 /proc/loadavg)" >>"$WORK/load.txt"
  local have_ws=0 p t r w
  WS_SKIP=""
  if has_tool rangefetch; then
    if start_ws_server; then have_ws=1; else record_skip many rangefetch "$WS_SKIP"; fi
  fi
  # Warm the server up outside the timing until its JIT compiler is done: a server runs for days,
  # and C2 works through the download path for the first twenty to thirty thousand downloads (a
  # method called once per download reaches C2's thresholds only then; its threads took a
  # quarter to a third of the server's CPU up to round 23, then nearly nothing). The warm-up ends
  # after the first round, from round MANY_WARMUP_MIN on, in which the C2 threads used less than
  # 5 % of the server's CPU, or after MANY_WARMUP rounds. The first and last rounds are logged,
  # so the cold figure is not hidden.
  MANY_LEFT=()
  if [[ $have_ws == 1 ]]; then
    local cpu0 c20 cpu1 c21 share=NA secs first=""
    for ((w = 1; w <= MANY_WARMUP; w++)); do
      cpu0=$(proc_cpu "$WS_PID"); c20=$(c2_cpu "$WS_PID")
      "$PY" "$BENCH/ws_many.py" --url "ws://127.0.0.1:$WS_PORT/ws" --list "$list" \
        --tag "warm$w" --remove --timeout 120 >"$LOGDIR/many-warm.out" 2>&1 || log "  ws warm-up: $(tail -c 300 "$LOGDIR/many-warm.out")"
      cpu1=$(proc_cpu "$WS_PID"); c21=$(c2_cpu "$WS_PID")
      share=$(awk -v a="$cpu0" -v b="$cpu1" -v c="$c20" -v d="$c21" 'BEGIN {if (b > a) printf "%.0f", 100 * (d - c) / (b - a); else print "NA"}')
      secs=$(grep -o '"seconds": [0-9.]*' "$LOGDIR/many-warm.out" | awk '{print $2}')
      echo "many warmup_round_$w ${secs:-NA} c2_share_pct $share" >>"$WORK/load.txt"
      if (( w == 1 )); then
        first=${secs:-}
        log "  server warm-up round 1: ${secs:-?} s (C2 ${share} % of the server's CPU)"
      fi
      if (( w >= MANY_WARMUP_MIN )) && [[ $share != NA ]] && (( share < 5 )); then break; fi
    done
    (( w > MANY_WARMUP )) && w=$MANY_WARMUP
    log "  server warm-up: $w rounds; last round ${secs:-?} s (C2 ${share} % of the server's CPU)"
    echo "many warmup_rounds $w" >>"$WORK/load.txt"
    { echo "many_warmup_rounds=$w"; echo "many_warmup_first=$first"
      echo "many_warmup_last=${secs:-}"; echo "many_warmup_c2_pct=$share"; } >>"$WORK/meta.txt"
    MANY_LEFT+=("$WS_DIR/warm")
  fi
  for ((p = 1; p <= PAIRS; p++)); do
    if (( p % 2 == 1 )); then order=(rangefetch aria2c); else order=(aria2c rangefetch); fi
    for t in "${order[@]}"; do
      has_tool "$t" || continue
      [[ $t == rangefetch && $have_ws == 0 ]] && continue
      run_many_one "$t" "$p" "$p"
    done
  done
  for t in wget2 curl; do
    has_tool "$t" || continue
    for ((r = 1; r <= RUNS; r++)); do run_many_one "$t" "$r" "-"; done
  done
  echo "many load_after $(cut -d' ' -f1-3 /proc/loadavg)" >>"$WORK/load.txt"
  local left
  for left in "${MANY_LEFT[@]}"; do
    if [[ $left == */ ]]; then rm -rf "$left"; else rm -f "$left"*; fi
  done
  [[ -n $WS_PID ]] && kill "$WS_PID" 2>/dev/null
}

# ---------------------------------------------------------------- issue 12: straggler, long link
# run_rounds CASE URL FILE ROUNDS THREADS TOOL...: each round runs every tool once, the order
# rotating from round to round (so no tool always goes first); the round is the pair id, so
# per-round ratios against any tool can be taken. Then RUNS runs of OTHERS (pair "-").
OTHERS=()
run_rounds() {
  local case=$1 url=$2 file=$3 rounds=$4 threads=$5; shift 5
  local tools=("$@") n=$# p i t r
  log "case $case: $url ($rounds rounds of ${tools[*]}${OTHERS[*]:+, $RUNS runs of ${OTHERS[*]}})"
  echo "$case load_before $(cut -d' ' -f1-3 /proc/loadavg)" >>"$WORK/load.txt"
  for t in "${tools[@]}" "${OTHERS[@]}"; do
    has_tool "$t" || continue
    if ! tool_available "$t"; then
      if [[ $t == rangefetch ]]; then record_skip "$case" "$t" "CLI jar not built: ${RF_JAR#$ROOT/}"
      else record_skip "$case" "$t" "not installed"; fi
    fi
  done
  for ((p = 1; p <= rounds; p++)); do
    for ((i = 0; i < n; i++)); do
      t=${tools[(i + p - 1) % n]}
      has_tool "$t" && tool_available "$t" || continue
      run_single "$case" "$t" "$p" "$p" "$url" "$file" "$threads"
    done
  done
  for t in "${OTHERS[@]}"; do
    has_tool "$t" && tool_available "$t" || continue
    for ((r = 1; r <= RUNS; r++)); do run_single "$case" "$t" "$r" - "$url" "$file" "$threads"; done
  done
  echo "$case load_after $(cut -d' ' -f1-3 /proc/loadavg)" >>"$WORK/load.txt"
}

# relay_ctl CMD: one command to the straggler relay's control port; prints its one-line answer
relay_ctl() {
  local fd line=""
  exec {fd}<>"/dev/tcp/127.0.0.1/$STRAG_CTL" || { echo "relay control: no answer"; return 0; }
  printf '%s\n' "$1" >&"$fd"
  IFS= read -r -t 5 line <&"$fd"
  exec {fd}>&-
  printf '%s' "${line:-relay control: no answer}"
}
strag_reset() { relay_ctl reset >/dev/null; }
strag_seen() { printf 'relay: %s' "$(relay_ctl stats)"; }

start_straggler_relay() {
  STRAG_PORT=$(free_port); STRAG_CTL=$(free_port)
  java -Xmx64m "$BENCH/Relay.java" "$STRAG_PORT" "$NGINX_PORT" "$STRAG_RATE" $$ 7200 \
    --slow-conn "$STRAG_SLOW_CONN" --slow-rate "$STRAG_SLOW_RATE" --control-port "$STRAG_CTL" \
    >"$LOGDIR/relay-straggler.out" 2>"$LOGDIR/relay-straggler.err" &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$STRAG_PORT/tiny-1K.bin" 30 \
    || die "straggler relay did not come up: $(cat "$LOGDIR/relay-straggler.err")"
  log "straggler relay on 127.0.0.1:$STRAG_PORT -> $NGINX_PORT: $STRAG_RATE B/s per connection, connection #$STRAG_SLOW_CONN of each run $STRAG_SLOW_RATE B/s (control port $STRAG_CTL, pid ${PIDS[-1]})"
}

run_straggler() {
  local file=straggler-${STRAG_MIB}M.bin
  # wget2 --max-threads=4 --chunk-size=4M is left out: wget2 1.99.1 fetched the file over one
  # connection (27 s), so it says nothing about a slow connection among four
  CASE_ARIA="-x4 -s4 -k4M" CASE_AXEL_N=4 CASE_CHUNK=4M
  BEFORE_RUN=strag_reset AFTER_RUN=strag_seen
  run_rounds straggler "http://127.0.0.1:$STRAG_PORT/$file" "$file" "$PAIRS" "$STRAG_THREADS" rangefetch axel aria2c
  CASE_ARIA="" CASE_AXEL_N="" CASE_CHUNK="" BEFORE_RUN="" AFTER_RUN=""
}

# in_cli CMD...: runs a command in the long link's client namespace
in_cli() { ip netns exec "$NS_CLI" "$@"; }

# Removes what an earlier run that was killed (SIGKILL: no trap) left: namespaces named after a
# bench process that is gone. The delay line's devices went with its process.
remove_stale_netns() {
  local ns pid
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^rfb[0-9]+[sc]$'); do
    pid=${ns#rfb}; pid=${pid%?}
    kill -0 "$pid" 2>/dev/null && continue
    log "removing network namespace $ns left by an earlier run (pid $pid is gone)"
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
}

# The long link: namespace NS_SRV (nginx, and the 20 MiB/s relay in front of it) and NS_CLI (the
# tools), joined only by bench/delayline.py's two TUN devices: nothing else in or out.
start_long_link() {
  [[ $EUID -eq 0 ]] || { LONG_SKIP="needs root (network namespaces)"; return 1; }
  remove_stale_netns
  NS_SRV=rfb$$s NS_CLI=rfb$$c
  ip netns add "$NS_SRV" || { LONG_SKIP="ip netns add failed"; return 1; }
  NETNS+=("$NS_SRV")
  ip netns add "$NS_CLI" || { LONG_SKIP="ip netns add failed"; return 1; }
  NETNS+=("$NS_CLI")
  # The line runs at a real-time priority when it can (chrt): a link does not wait for the CPU
  # the tools and nginx use (at normal priority it ran up to 60 ms late at 1 GiB on 2 cores)
  local rt=()
  command -v chrt >/dev/null && chrt -f 10 true 2>/dev/null && rt=(chrt -f 10)
  "${rt[@]}" "$PY" "$BENCH/delayline.py" --ns-a "$NS_SRV" --ns-b "$NS_CLI" --addr-a "$LONG_SRV_ADDR" \
    --addr-b "$LONG_CLI_ADDR" --dev-prefix "rfb$$" --delay-ms "$LONG_DELAY_MS" --mtu "$LONG_MTU" \
    --parent-pid $$ >"$LOGDIR/delayline.out" 2>"$LOGDIR/delayline.err" &
  DELAY_PID=$!
  PIDS+=($DELAY_PID)
  local i
  for ((i = 0; i < 100; i++)); do
    grep -q ready "$LOGDIR/delayline.out" && break
    kill -0 "$DELAY_PID" 2>/dev/null || break
    sleep 0.1
  done
  grep -q ready "$LOGDIR/delayline.out" \
    || { LONG_SKIP="delay line did not start: $(tail -c 300 "$LOGDIR/delayline.err" | tr '\n' ' ')"; return 1; }
  log "$(head -n 1 "$LOGDIR/delayline.out") (pid $DELAY_PID)"
  # nginx and the relay inside the server namespace: fixed ports, the namespace is theirs
  LONG_NGINX_PORT=8080 LONG_RELAY_PORT=8081
  local d=$WORK/nginx-far
  rm -f "$d/access.log"
  NGINX_NS=(ip netns exec "$NS_SRV")
  nginx_conf "$d" "$LONG_SRV_ADDR:$LONG_NGINX_PORT" "127.0.0.1:$LONG_NGINX_PORT"
  NGINX_NS=()
  ip netns exec "$NS_SRV" "$NGINX" -p "$d" -e "$d/error.log" -c "$d/nginx.conf" &
  PIDS+=($!)
  ip netns exec "$NS_SRV" java -Xmx64m "$BENCH/Relay.java" "$LONG_RELAY_PORT" "$LONG_NGINX_PORT" \
    "$LONG_RATE" $$ 7200 --listen-host "$LONG_SRV_ADDR" >"$LOGDIR/relay-far.out" 2>"$LOGDIR/relay-far.err" &
  PIDS+=($!)
  IN_NS=(ip netns exec "$NS_CLI")
  wait_http "http://$LONG_SRV_ADDR:$LONG_NGINX_PORT/tiny-1K.bin" 10 \
    || { IN_NS=(); LONG_SKIP="nginx behind the delay line did not answer: $(tail -c 300 "$d/error.log")"; return 1; }
  wait_http "http://$LONG_SRV_ADDR:$LONG_RELAY_PORT/tiny-1K.bin" 30 \
    || { IN_NS=(); LONG_SKIP="relay behind the delay line did not answer: $(tail -c 300 "$LOGDIR/relay-far.err")"; return 1; }
  IN_NS=()
  log "long link: nginx $LONG_SRV_ADDR:$LONG_NGINX_PORT, relay $LONG_SRV_ADDR:$LONG_RELAY_PORT ($LONG_RATE B/s per connection) in $NS_SRV; tools in $NS_CLI"
}

# What the delay line saw during the last run: it prints and resets its counters on SIGUSR1
delay_seen() {
  local n i
  n=$(wc -l <"$LOGDIR/delayline.out")
  kill -USR1 "$DELAY_PID" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do
    (( $(wc -l <"$LOGDIR/delayline.out") > n )) && break
    sleep 0.02
  done
  tail -n 1 "$LOGDIR/delayline.out" | sed "s/$NS_SRV/srv/g; s/$NS_CLI/cli/g"
}

# The link checks, printed and kept in meta.txt: the round trip (ping; curl's connect = one
# round trip, first byte = two) and one connection's rate through the relay and without it
check_long_link() {
  local tiny=http://$LONG_SRV_ADDR:$LONG_NGINX_PORT/tiny-1K.bin i v ping_ms="" connects=() firsts=()
  if command -v ping >/dev/null; then
    ping_ms=$(in_cli ping -n -q -c 10 -i 0.2 "$LONG_SRV_ADDR" 2>/dev/null | awk -F'/' '/^rtt/ {print $5}')
  fi
  for ((i = 0; i < 5; i++)); do
    v=$(in_cli curl -s -o /dev/null -w '%{time_connect} %{time_starttransfer}' "$tiny?r=rtt$i")
    connects+=("$(awk '{printf "%.1f", $1 * 1000}' <<<"$v")")
    firsts+=("$(awk '{printf "%.1f", $2 * 1000}' <<<"$v")")
  done
  local rate_relay rate_plain
  rate_relay=$(in_cli curl -s -o /dev/null -w '%{speed_download}' \
    "http://$LONG_SRV_ADDR:$LONG_RELAY_PORT/$MID?r=ratecheck" | awk '{printf "%.2f", $1 / 1048576}')
  rate_plain=$(in_cli curl -s -o /dev/null -w '%{speed_download}' \
    "http://$LONG_SRV_ADDR:$LONG_NGINX_PORT/$MID?r=ratecheck" | awk '{printf "%.2f", $1 / 1048576}')
  local med_c med_f
  med_c=$(printf '%s\n' "${connects[@]}" | sort -n | sed -n 3p)
  med_f=$(printf '%s\n' "${firsts[@]}" | sort -n | sed -n 3p)
  {
    echo "long_ping_ms=${ping_ms:-}"
    echo "long_connect_ms=$med_c"; echo "long_connect_all=${connects[*]}"
    echo "long_first_byte_ms=$med_f"; echo "long_first_byte_all=${firsts[*]}"
    echo "long_rate_relay_mib=$rate_relay"; echo "long_rate_plain_mib=$rate_plain"
    echo "long_delayline=$(head -n 1 "$LOGDIR/delayline.out" | sed "s/$NS_SRV/srv/g; s/$NS_CLI/cli/g")"
  } >>"$WORK/meta.txt"
  log "long link check: ping avg ${ping_ms:-n/a} ms; curl connect (1 RTT) median $med_c ms [${connects[*]}], first byte (2 RTT) median $med_f ms [${firsts[*]}]"
  log "long link check: one connection, $MID: through the relay $rate_relay MiB/s (limit $(awk -v r="$LONG_RATE" 'BEGIN {printf "%.1f", r / 1048576}')), without it $rate_plain MiB/s"
}

run_long_cases() {
  LONG_SKIP=""
  if ! start_long_link; then
    local c
    for c in long-mid long-big; do has_case "$c" && record_skip "$c" rangefetch "$LONG_SKIP"; done
    return 0
  fi
  check_long_link
  IN_NS=(ip netns exec "$NS_CLI")
  CASE_ARIA="-x8 -s8 -k4M" CASE_AXEL_N=8 CASE_CHUNK=4M
  BEFORE_RUN=delay_seen AFTER_RUN=delay_seen  # before: zeroes the counters (the checks' traffic)
  OTHERS=(curl)
  has_case long-mid && run_rounds long-mid "http://$LONG_SRV_ADDR:$LONG_RELAY_PORT/$MID" "$MID" "$PAIRS" "$LONG_THREADS" rangefetch aria2c axel
  has_case long-big && run_rounds long-big "http://$LONG_SRV_ADDR:$LONG_NGINX_PORT/$BIG" "$BIG" "$PAIRS" "$LONG_THREADS" rangefetch aria2c axel
  IN_NS=() CASE_ARIA="" CASE_AXEL_N="" CASE_CHUNK="" BEFORE_RUN="" AFTER_RUN="" OTHERS=()
}

# ---------------------------------------------------------------- rate limit (issue 13)
# Every run goes through its own bench/meter.py, started before the timed part and stopped
# after it; the meter's line (rate, evenness, per-second series) becomes the run's note.
meter_start() {
  METER_OUT=$LOGDIR/$RUNID-meter.txt
  rm -f "$METER_OUT" "$METER_OUT.ready"
  "$PY" "$BENCH/meter.py" --listen-port "$METER_PORT" --target-port "$NGINX_PORT" \
    --out "$METER_OUT" --parent-pid $$ --max-seconds "$RUN_TIMEOUT" 2>>"$LOGDIR/meter.err" &
  METER_PID=$!
  PIDS+=($METER_PID)
  local i
  for ((i = 0; i < 200; i++)); do [[ -f $METER_OUT.ready ]] && return 0; sleep 0.05; done
  log "  meter.py did not start: $(tail -c 200 "$LOGDIR/meter.err")"
}

meter_stop() {  # prints the meter's line
  kill -TERM "$METER_PID" 2>/dev/null
  local i
  for ((i = 0; i < 200; i++)); do [[ -f $METER_OUT ]] && break; sleep 0.05; done
  cat "$METER_OUT" 2>/dev/null || echo "meter: no result"
}

run_limit() {
  METER_PORT=$(free_port)
  log "case limit: $MID at $LIMIT_RATE/s through bench/meter.py (port $METER_PORT)"
  echo "limit load_before $(cut -d' ' -f1-3 /proc/loadavg)" >>"$WORK/load.txt"
  CASE_LIMIT=$LIMIT_RATE BEFORE_RUN=meter_start AFTER_RUN=meter_stop
  local r t
  for ((r = 1; r <= RUNS; r++)); do
    for t in rangefetch aria2c curl; do
      has_tool "$t" || continue
      if tool_available "$t"; then run_single limit "$t" "$r" - "http://127.0.0.1:$METER_PORT/$MID" "$MID"
      elif (( r == 1 )); then record_skip limit "$t" "not available"; fi
    done
  done
  CASE_LIMIT="" BEFORE_RUN="" AFTER_RUN=""
  echo "limit load_after $(cut -d' ' -f1-3 /proc/loadavg)" >>"$WORK/load.txt"
}

# ---------------------------------------------------------------- main
ensure_tools
mkdir -p "$WORK" "$LOGDIR"
[[ -f $BENCH/.gitignore ]] || echo "work/" >"$BENCH/.gitignore"
rm -f "$LOGDIR"/r[0-9]* "$RESULTS" "$CMDS" "$WORK/load.txt" "$WORK/nginx-far/access.log"
rm -rf "$WORK/cds"  # the launcher's AppCDS archive is made again by the warm-up runs
rm -rf "$WORK/floor"  # compiled again from bench/JvmFloor.java and bench/HttpClientFloor.java
rm -rf "$OUTDIR"
generate_files
start_nginx
has_case relay-big && start_relay
has_case straggler && start_straggler_relay
: >"$WORK/nginx/access.log.mark"
ACCESS_START=$(wc -l <"$WORK/nginx/access.log")

if [[ $SERVE == 1 ]]; then
  echo "nginx:    http://127.0.0.1:$NGINX_PORT/big-${BIG_MIB}M.bin  (also mid-${MID_MIB}M.bin, small-${SMALL_KIB}K.bin, many/f0000.bin ...)"
  echo "no-range: http://127.0.0.1:$NGINX_PORT/norange/mid-${MID_MIB}M.bin"
  [[ -n ${RELAY_PORT:-} ]] && echo "relay:    http://127.0.0.1:$RELAY_PORT/big-${BIG_MIB}M.bin  ($RELAY_RATE B/s per connection)"
  [[ -n ${STRAG_PORT:-} ]] && echo "straggler relay: http://127.0.0.1:$STRAG_PORT/straggler-${STRAG_MIB}M.bin  (reset per run: echo reset > /dev/tcp/127.0.0.1/$STRAG_CTL)"
  if has_case long-mid || has_case long-big; then
    if start_long_link; then
      echo "long link: ip netns exec $NS_CLI curl http://$LONG_SRV_ADDR:$LONG_NGINX_PORT/big-${BIG_MIB}M.bin  (relay: port $LONG_RELAY_PORT)"
    else
      echo "long link: not started: $LONG_SKIP"
    fi
  fi
  echo "access log: $WORK/nginx/access.log; SHA-256: $DATA/SHA256SUMS; Ctrl-C or kill $$ stops"
  while true; do sleep 3600 & PIDS+=($!); wait $!; done  # wait: a signal ends it at once
fi

STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
T_START=$EPOCHREALTIME
{
  echo "mode=$MODE"
  echo "started=$STARTED"
  echo "big_mib=$BIG_MIB"; echo "mid_mib=$MID_MIB"; echo "small_kib=$SMALL_KIB"
  echo "many_n=$MANY_N"; echo "many_kib=$MANY_KIB"
  echo "pairs=$PAIRS"; echo "runs=$RUNS"
  echo "rf_threads=$RF_THREADS"; echo "rf_chunk=$RF_CHUNK"; echo "rf_mem_threads=$RF_MEM_THREADS"
  echo "rf_java_opts=$RF_JAVA_OPTS"
  echo "rf_jar=${RF_JAR#$ROOT/}"; echo "rf_jar_present=$([[ -f $RF_JAR ]] && echo yes || echo no)"
  echo "rf_launcher=$([[ -n $RF_LAUNCHER ]] && echo "${RF_LAUNCHER#$ROOT/}" || echo "none (java -jar)")"
  echo "rf_commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)"
  echo "rf_server_jar=${RF_SERVER_JAR#$ROOT/}$([[ -f $RF_SERVER_JAR ]] && echo " (built $(date -u -r "$RF_SERVER_JAR" +%H:%MZ))" || echo " (not built)")"
  echo "relay_rate=$RELAY_RATE"; echo "nginx_workers=$NGINX_WORKERS"
  echo "strag_mib=$STRAG_MIB"; echo "strag_threads=$STRAG_THREADS"; echo "strag_rate=$STRAG_RATE"
  echo "strag_slow_conn=$STRAG_SLOW_CONN"; echo "strag_slow_rate=$STRAG_SLOW_RATE"
  echo "long_delay_ms=$LONG_DELAY_MS"; echo "long_rate=$LONG_RATE"; echo "long_mtu=$LONG_MTU"
  echo "long_threads=$LONG_THREADS"
  echo "limit_rate=$LIMIT_RATE"
  echo "nproc=$(nproc)"
  echo "mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "kernel=$(uname -sr)"
  echo "cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "os=$(. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-unknown}")"
  echo "fs=$(findmnt -no FSTYPE -T "$WORK" 2>/dev/null)"
  echo "v_java=$(java -version 2>&1 | head -n 1)"
  echo "v_nginx=$("$NGINX" -v 2>&1)"
  echo "v_aria2c=$(aria2c --version | head -n 1)"
  echo "v_axel=$(axel --version | head -n 1)"
  echo "v_curl=$(curl --version | head -n 1 | cut -d' ' -f1-2)"
  echo "v_wget2=$(wget2 --version | head -n 1)"
  echo "v_python=$($PY --version 2>&1) websockets $($PY -c 'import websockets; print(websockets.__version__)' 2>/dev/null)"
  echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$WORK/meta.txt"

BASE=http://127.0.0.1:$NGINX_PORT
BIG=big-${BIG_MIB}M.bin
MID=mid-${MID_MIB}M.bin
SMALL=small-${SMALL_KIB}K.bin

# warm-up: every tool on the 64 MiB file, not recorded (page cache, JVM class data, ...);
# rangefetch twice: its launcher lists the classes on the first run and archives them on the
# second (AppCDS), as it does for a user
log "warm-up (not recorded)"
for t in rangefetch rangefetch aria2c axel curl wget2; do
  has_tool "$t" && tool_available "$t" || continue
  tool_cmd "$t" "$BASE/$MID?r=warmup" "$OUTDIR/warm.bin"
  mkdir -p "$OUTDIR"; rm -f "$OUTDIR/warm.bin" "$OUTDIR/warm.bin.st"
  "${CMD[@]}" >/dev/null 2>&1 || log "  warm-up of $t failed"
  rm -f "$OUTDIR/warm.bin" "$OUTDIR/warm.bin.st"
done
mkdir -p "$OUTDIR"
cd "$OUTDIR" || die "cannot cd to $OUTDIR"  # no stray rangefetch.properties or wget2 files

has_case lo-mid && run_case lo-mid "$BASE" "$MID" "$PAIRS" "$RUNS"
has_case lo-big && run_case lo-big "$BASE" "$BIG" "$PAIRS" "$RUNS"
has_case relay-big && run_case relay-big "http://127.0.0.1:$RELAY_PORT" "$BIG" "$RELAY_PAIRS" "$RUNS"
if has_case norange; then
  log "case norange: $BASE/norange/$MID (server ignores Range)"
  for ((r = 1; r <= (RUNS < 2 ? 2 : RUNS); r++)); do
    for t in rangefetch aria2c curl; do
      has_tool "$t" || continue
      if tool_available "$t"; then run_single norange "$t" "$r" - "$BASE/norange/$MID" "$MID"
      elif (( r == 1 )); then record_skip norange "$t" "not available"; fi
    done
  done
fi
if has_case small && has_tool rangefetch; then
  log "case small: $BASE/$SMALL (smaller than one chunk: one request, no HEAD)"
  if tool_available rangefetch; then
    for ((r = 1; r <= RUNS; r++)); do
      run_single small rangefetch "$r" - "$BASE/$SMALL" "$SMALL"
      # start-up baselines: the JVM alone, and the CLI without a download
      CMD=(java -version); run_plain startup java-version "$r"
      if [[ -n $RF_LAUNCHER ]]; then
        CMD=(env "RANGEFETCH_JAR=$RF_JAR" "RANGEFETCH_CACHE=$WORK/cds" bash "$RF_LAUNCHER" --version)
      else
        CMD=(java $RF_JAVA_OPTS -jar "$RF_JAR" --version)
      fi
      run_plain startup rangefetch-version "$r"
      # what a JVM program pays before its first byte, bare and with HttpClient 5: the floors
      # under goal 2b
      if (( r == 1 )); then make_floors; fi
      if [[ -f $WORK/floor/JvmFloor.class ]]; then run_single floor jvm-floor "$r" - "$BASE/$MID" "$MID"
      elif (( r == 1 )); then record_skip floor jvm-floor "javac failed: $(head -c 200 "$LOGDIR/floor-javac.err")"; fi
      if [[ -f $WORK/floor/httpclient-floor.jar ]]; then run_single floor httpclient-floor "$r" - "$BASE/$MID" "$MID"
      elif (( r == 1 )); then record_skip floor httpclient-floor "javac failed: $(head -c 200 "$LOGDIR/floor-javac.err")"; fi
    done
  else record_skip small rangefetch "CLI jar not built"; fi
fi
if has_case mem && has_tool rangefetch; then
  log "case mem: rangefetch -t $RF_MEM_THREADS on $BIG and $MID (peak RSS)"
  if tool_available rangefetch; then
    for ((r = 1; r <= RUNS; r++)); do
      run_single mem-big rangefetch "$r" "$r" "$BASE/$BIG" "$BIG" "$RF_MEM_THREADS"
      run_single mem-mid rangefetch "$r" "$r" "$BASE/$MID" "$MID" "$RF_MEM_THREADS"
    done
  else record_skip mem-big rangefetch "CLI jar not built"; fi
fi
has_case many && run_many
has_case straggler && run_straggler
if has_case long-mid || has_case long-big; then run_long_cases; fi
has_case limit && run_limit

# --jfr: one extra, untimed rangefetch run per case with a flight recording, summarised
if [[ -n $JFR_CASES ]] && tool_available rangefetch; then
  for c in ${JFR_CASES//,/ }; do
    case $c in
      lo-big) u=$BASE/$BIG f=$BIG th=$RF_THREADS ;;
      lo-mid) u=$BASE/$MID f=$MID th=$RF_THREADS ;;
      relay-big) u=http://127.0.0.1:${RELAY_PORT:-0}/$BIG f=$BIG th=$RF_THREADS ;;
      mem-big) u=$BASE/$BIG f=$BIG th=$RF_MEM_THREADS ;;
      small) u=$BASE/$SMALL f=$SMALL th=$RF_THREADS ;;
      *) log "--jfr: unknown case $c"; continue ;;
    esac
    log "profiling rangefetch on $c (JFR, untimed): bench/work/rf-$c.jfr"
    JFR_OPTS="-XX:StartFlightRecording=filename=$WORK/rf-$c.jfr,settings=profile,dumponexit=true"
    run_single "jfr-$c" rangefetch 1 - "$u" "$f" "$th"
    JFR_OPTS=""
    "$PY" "$BENCH/jfr_top.py" "$WORK/rf-$c.jfr" >"$WORK/jfr-$c.txt" 2>&1 \
      && log "  summary: bench/work/jfr-$c.txt" || log "  jfr_top.py failed: $(tail -c 300 "$WORK/jfr-$c.txt")"
  done
fi

sleep 1  # let nginx log the last (possibly aborted) requests
echo "duration_s=$(awk -v a="$T_START" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.0f", b - a}')" >>"$WORK/meta.txt"
echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$WORK/meta.txt"
tail -n +"$((ACCESS_START + 1))" "$WORK/nginx/access.log" >"$WORK/access-run.log"
[[ -f $WORK/nginx-far/access.log ]] && cat "$WORK/nginx-far/access.log" >>"$WORK/access-run.log"

# Two generated sections: the issue-6 cases and issue 12's; a run rewrites only the section(s)
# whose cases it ran, so `--only straggler,long-mid,long-big` leaves the issue-6 results alone
REPORT=$WORK/report.md REPORT12=$WORK/report-issue12.md REPORT13=$WORK/report-limit.md
ran6=0 ran12=0 ran13=0
for c in ${ONLY//,/ }; do
  case $c in straggler|long-mid|long-big) ran12=1 ;; limit) ran13=1 ;; *) ran6=1 ;; esac
done
: >"$REPORT"; : >"$REPORT12"; : >"$REPORT13"
if [[ $ran6 == 1 ]]; then
  "$PY" "$BENCH/report.py" --work "$WORK" >"$REPORT" || die "report.py failed"
  cat "$REPORT"
fi
if [[ $ran12 == 1 ]]; then
  "$PY" "$BENCH/report.py" --work "$WORK" --part issue12 >"$REPORT12" || die "report.py --part issue12 failed"
  cat "$REPORT12"
fi
if [[ $ran13 == 1 ]]; then
  "$PY" "$BENCH/limit_report.py" --work "$WORK" >"$REPORT13" || die "limit_report.py failed"
  cat "$REPORT13"
fi
if [[ $DOCS == 1 ]]; then
  [[ $ran13 == 1 ]] && "$PY" "$BENCH/limit_report.py" --splice "$ROOT/docs/benchmarks.md" --report "$REPORT13" \
    && log "wrote the generated rate-limit section of docs/benchmarks.md"
  [[ $ran6 == 1 ]] && "$PY" "$BENCH/report.py" --splice "$ROOT/docs/benchmarks.md" --report "$REPORT" \
    && log "wrote the generated section of docs/benchmarks.md"
  [[ $ran12 == 1 ]] && "$PY" "$BENCH/report.py" --splice "$ROOT/docs/benchmarks.md" --report "$REPORT12" --part issue12 \
    && log "wrote the generated issue-12 section of docs/benchmarks.md"
fi
log "done in $(awk -v a="$T_START" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.0f", b - a}') s; raw results: ${RESULTS#$ROOT/}, logs: ${LOGDIR#$ROOT/}"
