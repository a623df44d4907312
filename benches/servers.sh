#!/usr/bin/env bash
# benches/servers.sh — ramen's example servers beside the real ones.
#
#   benches/servers.sh            # every benchmark whose tools are installed
#   benches/servers.sh http       # only bench_http
#   benches/servers.sh hyper      # hyper on ramen vs hyper on tokio vs nginx
#   benches/servers.sh multicore  # 2 workers: http_server --workers 2 (reuseport,
#                                 # handoff) vs nginx worker_processes 2 vs tokio
#                                 # multi_thread; wrk shares the same 2 cores
#   benches/servers.sh redis      # only bench_redis: the full redis-benchmark run
#   REDIS_N=20000 benches/servers.sh redis
#   REDIS_ROUNDS=3 benches/servers.sh redis   # alternate the servers, keep the best
#   DURATION=5 CONNS=200 benches/servers.sh http
#
# Installs nothing: uses nginx and wrk when they are on PATH (it says which
# are missing and skips). Loopback only, every run bounded by DURATION; every
# process it starts is stopped by its PID (also on Ctrl-C / errors).
#
# Method (bench_http): the server is pinned to CPU 0 (`taskset -c 0`) and the
# load generator to CPU 1, so they do not steal each other's core. One warm-up
# second, then `wrk -t1 -c$CONNS -d${DURATION}s`. CPU cost is the server's own
# utime+stime from /proc/PID/stat before and after the run, per 100k requests.
# nginx gets the closest configuration to the example: one worker, no master,
# no access log, `return 200 "hello"` for `/`.
#
# bench_redis (below) does the same for examples/mini_redis beside redis-server,
# with redis-benchmark. Another benchmark is a function `bench_NAME`; main runs
# the ones that exist.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNS=${CONNS:-100}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ramen-servers.XXXXXX")
PIDS=()
ROWS=()

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT

have() { command -v "$1" >/dev/null 2>&1; }

# A free loopback TCP port (one not in `ss -ltn`), from 18000 up.
free_port() {
    local p used
    used=$(ss -Hltn 2>/dev/null | awk '{print $4}' | sed 's/.*://' | sort -u)
    for p in $(seq 18000 18999); do
        grep -qx "$p" <<<"$used" || { echo "$p"; return; }
    done
    echo "no free port in 18000-18999" >&2
    return 1
}

# Waits (≤ 10 s) until 127.0.0.1:$1 accepts a connection.
wait_port() {
    local i
    for i in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listening on 127.0.0.1:$1 after 10 s" >&2
    return 1
}

# utime+stime of PID, in clock ticks (fields 14 and 15 after the `(comm)`).
cpu_ticks() {
    sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}

# How the load runs (bench_multicore changes both): wrk pinned to CPU 1, one
# thread; and how servers start: pinned to CPU 0.
WRK=(taskset -c 1 wrk -t1)
PIN_SERVER=(taskset -c 0)

# measure NAME URL PID...: warm up, run "${WRK[@]}", append a table row; the
# server's CPU is summed over every PID given (nginx: master and workers).
measure() {
    local name=$1 url=$2 before=0 after=0 out rps total errors cpu p
    shift 2
    "${WRK[@]}" -c"$CONNS" -d1s "$url" >/dev/null
    for p in "$@"; do before=$((before + $(cpu_ticks "$p"))); done
    out=$("${WRK[@]}" -c"$CONNS" -d"${DURATION}s" "$url")
    for p in "$@"; do after=$((after + $(cpu_ticks "$p"))); done
    echo "$out" | sed "s/^/    [$name] /" >&2
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    total=$(awk '/requests in/ {print $1}' <<<"$out")
    errors=$(grep -E 'Socket errors|Non-2xx' <<<"$out" | tr -s ' ' | paste -sd';' - || true)
    cpu=$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$total" \
        'BEGIN { printf "%.3f", (t / hz) / n * 100000 }')
    ROWS+=("$name|$rps|$cpu|${errors:-0}")
}

# start_listening NAME OUT CMD...: starts CMD with "${PIN_SERVER[@]}" (CPU 0;
# output to OUT) and waits (≤ 10 s) for its `listening on ADDR` line; sets
# STARTED_PID and STARTED_ADDR.
start_listening() {
    local name=$1 out=$2 i
    shift 2
    "${PIN_SERVER[@]}" "$@" >"$out" 2>&1 &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
    STARTED_ADDR=""
    for i in $(seq 100); do
        STARTED_ADDR=$(sed -n 's/^listening on //p' "$out")
        [ -n "$STARTED_ADDR" ] && return 0
        sleep 0.1
    done
    echo "$name did not start:" >&2
    cat "$out" >&2
    return 1
}

# measure_server LABEL OUT CMD...: starts the server CMD (start_listening),
# measures it as LABEL, stops it with SIGTERM and expects exit status 0.
measure_server() {
    local label=$1 out=$2
    shift 2
    start_listening "$label" "$out" "$@"
    measure "$label" "http://$STARTED_ADDR/" "$STARTED_PID"
    kill -TERM "$STARTED_PID"
    wait "$STARTED_PID" || echo "$label exited with $?" >&2
}

# measure_nginx [N]: when nginx is installed, measures it with no access log
# and `return 200 "hello"` for `/`, started with "${PIN_SERVER[@]}". N = 1
# (default): one worker and no master, the closest match to one event loop.
# N > 1: a master and N workers on a `reuseport` listener; the CPU counted is
# the master's and every worker's.
measure_nginx() {
    have nginx || return 0
    local n=${1:-1}
    local port pid label dir="$TMP/nginx-$n" master="master_process off;" reuse=""
    if [ "$n" -gt 1 ]; then
        master=""
        reuse=" reuseport"
    fi
    port=$(free_port)
    mkdir -p "$dir"
    cat >"$dir.conf" <<EOF
worker_processes $n;
daemon off;
$master
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    default_type text/plain;
    server {
        listen 127.0.0.1:$port$reuse;
        location = / { return 200 "hello"; }
    }
}
EOF
    "${PIN_SERVER[@]}" nginx -p "$dir" -e "$dir/error.log" -c "$dir.conf" &
    pid=$!
    PIDS+=("$pid")
    wait_port "$port"
    label="nginx $(nginx -v 2>&1 | sed 's/.*nginx\///')"
    if [ "$n" -gt 1 ]; then
        sleep 0.3 # the workers start after the master listens
        label+=" worker_processes $n"
    fi
    # shellcheck disable=SC2046
    measure "$label" "http://127.0.0.1:$port/" "$pid" $(pgrep -P "$pid")
    kill -QUIT "$pid" # graceful stop
    wait "$pid" || true
}

# print_http_table: ROWS as a table, then the first row against each other one.
print_http_table() {
    echo
    echo "${1:-GET / (5-byte body), wrk -t1 -c$CONNS -d${DURATION}s, server on CPU 0, wrk on CPU 1}"
    echo
    echo "| server | req/s | server CPU s per 100k req | errors |"
    echo "|---|---:|---:|---|"
    local row name rps cpu errors first f_rps f_cpu i
    for row in "${ROWS[@]}"; do
        IFS='|' read -r name rps cpu errors <<<"$row"
        echo "| $name | $rps | $cpu | $errors |"
    done
    IFS='|' read -r first f_rps f_cpu _ <<<"${ROWS[0]}"
    echo
    for ((i = 1; i < ${#ROWS[@]}; i++)); do
        IFS='|' read -r name rps cpu _ <<<"${ROWS[$i]}"
        awk -v n="$first / $name" -v a="$f_rps" -v b="$rps" -v c="$f_cpu" -v d="$cpu" 'BEGIN {
            printf "%s: %.2fx the req/s, %.2fx the CPU per request\n", n, a / b, c / d }'
    done
    ROWS=()
}

bench_http() {
    if ! have wrk; then
        echo "bench_http: wrk is not installed; skipped (apt-get install wrk)"
        return 0
    fi
    have nginx || echo "bench_http: nginx is not installed; measuring http_server alone"
    echo "bench_http: building examples/http_server (release)" >&2
    cargo build --release --quiet --example http_server

    # ramen: the example prints its real address once it accepts.
    measure_server "ramen http_server" "$TMP/http.out" \
        target/release/examples/http_server --addr 127.0.0.1:0

    measure_nginx
    print_http_table
}

# bench_hyper: the same wrk run against hyper 1.x on ramen
# (examples/hyper_server), hyper on tokio's current_thread runtime
# (benches/hyper_tokio.rs: same service and hyper settings) and nginx.
bench_hyper() {
    if ! have wrk; then
        echo "bench_hyper: wrk is not installed; skipped (apt-get install wrk)"
        return 0
    fi
    have nginx || echo "bench_hyper: nginx is not installed; measuring the two hypers alone"
    echo "bench_hyper: building examples/hyper_server and hyper_tokio (release)" >&2
    cargo build --release --quiet --example hyper_server
    cargo build --release --quiet -p ramen-benches --bin hyper_tokio

    measure_server "hyper on ramen" "$TMP/hyper.out" \
        target/release/examples/hyper_server --addr 127.0.0.1:0
    measure_server "hyper on tokio (current_thread)" "$TMP/hyper_tokio.out" \
        target/release/hyper_tokio --addr 127.0.0.1:0

    measure_nginx
    print_http_table
}

# bench_multicore: every server on all cores with WORKERS event loops
# (default 2): http_server --workers N (SO_REUSEPORT, then fd hand-off),
# nginx worker_processes N (master + N workers), and hyper on tokio's
# multi_thread runtime (N worker threads). No pinning: the servers and wrk
# share the same cores (on a 2-core machine wrk competes with the servers,
# which the output says). CPU per request sums every process of a server
# (`measure` with several PIDs).
WORKERS=${WORKERS:-2}

bench_multicore() {
    if ! have wrk; then
        echo "bench_multicore: wrk is not installed; skipped (apt-get install wrk)"
        return 0
    fi
    echo "bench_multicore: building http_server and hyper_tokio (release)" >&2
    cargo build --release --quiet --example http_server
    cargo build --release --quiet -p ramen-benches --bin hyper_tokio
    # No pinning here: every server may use every core, and so does wrk.
    local saved_wrk=("${WRK[@]}") saved_pin=("${PIN_SERVER[@]}") accept
    WRK=(wrk -t2)
    PIN_SERVER=(env)
    for accept in reuseport handoff; do
        measure_server "http_server --workers $WORKERS --accept $accept" "$TMP/mc-$accept.out" \
            target/release/examples/http_server --addr 127.0.0.1:0 --workers "$WORKERS" --accept "$accept"
    done
    measure_nginx "$WORKERS"
    measure_server "hyper on tokio multi_thread ($WORKERS threads)" "$TMP/mc-tokio.out" \
        target/release/hyper_tokio --addr 127.0.0.1:0 --threads "$WORKERS"
    WRK=("${saved_wrk[@]}")
    PIN_SERVER=("${saved_pin[@]}")
    print_http_table "GET / (5-byte body), $WORKERS workers each, wrk -t2 -c$CONNS -d${DURATION}s sharing the same $(nproc) cores with the servers (no pinning)"
}

# bench_redis: examples/mini_redis (release) and, when installed, redis-server
# with persistence off (`--save '' --appendonly no`, on a free loopback port),
# each pinned to CPU 0, measured one after the other in the same window by the
# full default run `redis-benchmark -q -n $REDIS_N -c $REDIS_CONNS` (no `-t`:
# every test redis-benchmark has, lists, sets, hashes, sorted sets, MSET)
# pinned to CPU 1, after a short `-t set,get,ping` warm-up. Prints req/s per
# test for each server and their ratio, and each server's CPU (utime+stime
# from /proc/PID/stat around the measured run) per 100k requests of the run.
# REDIS_ROUNDS=N alternates the servers N times (mini_redis, redis-server,
# mini_redis, ...; each started afresh) and keeps each test's best req/s and
# each server's lowest CPU: on a machine shared with other work, load that
# comes and goes then hurts both servers alike instead of whichever ran second.
REDIS_N=${REDIS_N:-100000}
REDIS_CONNS=${REDIS_CONNS:-50}
REDIS_ROUNDS=${REDIS_ROUNDS:-1}
REDIS_NAMES=()

# redis_measure K ROUND PORT PID: server K's run in ROUND. Writes
# "$TMP/redis-K-ROUND.rps" (one "test|req/s" line per test, in
# redis-benchmark's order) and "$TMP/redis-K-ROUND.cpu".
redis_measure() {
    local k=$1 round=$2 port=$3 pid=$4 before after out tests file
    file="$TMP/redis-$k-$round"
    taskset -c 1 timeout 120 redis-benchmark -p "$port" -c "$REDIS_CONNS" -n 10000 \
        -t set,get,ping -q >/dev/null
    before=$(cpu_ticks "$pid")
    out=$(taskset -c 1 timeout 1800 redis-benchmark -p "$port" -c "$REDIS_CONNS" -n "$REDIS_N" \
        -q | tr '\r' '\n' | grep -E '^[^:]+: [0-9.]+ requests per second')
    after=$(cpu_ticks "$pid")
    echo "$out" | sed "s/^/    [${REDIS_NAMES[$k]}, round $round] /" >&2
    sed -n 's/^\([^:]*\): \([0-9.]*\) requests per second.*/\1|\2/p' <<<"$out" >"$file.rps"
    tests=$(wc -l <"$file.rps")
    [ "$tests" -gt 0 ] || { echo "${REDIS_NAMES[$k]}: redis-benchmark reported no test" >&2; return 1; }
    awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n=$((REDIS_N * tests)) \
        'BEGIN { printf "%.3f\n", (t / hz) / n * 100000 }' >"$file.cpu"
}

# One round of mini_redis: start it on CPU 0, measure, stop it.
redis_round_mini() {
    taskset -c 0 target/release/examples/mini_redis --addr 127.0.0.1:0 >"$TMP/redis.out" 2>&1 &
    local pid=$! i addr=""
    PIDS+=("$pid")
    for i in $(seq 100); do
        addr=$(sed -n 's/^listening on //p' "$TMP/redis.out")
        [ -n "$addr" ] && break
        sleep 0.1
    done
    [ -n "$addr" ] || { echo "mini_redis did not start:" >&2; cat "$TMP/redis.out" >&2; return 1; }
    redis_measure 0 "$1" "${addr##*:}" "$pid"
    kill -TERM "$pid"
    wait "$pid" || echo "mini_redis exited with $?" >&2
}

# One round of redis-server: start it on CPU 0 (free port), measure, stop it.
redis_round_server() {
    local port pid
    port=$(free_port)
    taskset -c 0 redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
        --daemonize no --dir "$TMP" --logfile "$TMP/redis-server.log" &
    pid=$!
    PIDS+=("$pid")
    wait_port "$port"
    redis_measure 1 "$1" "$port" "$pid"
    kill -TERM "$pid"
    wait "$pid" || true
}

bench_redis() {
    if ! have redis-benchmark; then
        echo "bench_redis: redis-benchmark is not installed; skipped (apt-get install redis-tools)"
        return 0
    fi
    REDIS_NAMES=("mini_redis")
    if have redis-server; then
        REDIS_NAMES+=("redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')")
    else
        echo "bench_redis: redis-server is not installed; measuring mini_redis alone"
    fi
    echo "bench_redis: building examples/mini_redis (release)" >&2
    cargo build --release --quiet --example mini_redis

    local round k
    for round in $(seq "$REDIS_ROUNDS"); do
        redis_round_mini "$round"
        if [ "${#REDIS_NAMES[@]}" -ge 2 ]; then redis_round_server "$round"; fi
    done
    # Per server: each test's best req/s over the rounds (in the first
    # round's order), and the lowest CPU.
    for k in "${!REDIS_NAMES[@]}"; do
        awk -F'|' '!($1 in best) { order[++n] = $1 } $2 > best[$1] + 0 { best[$1] = $2 }
            END { for (i = 1; i <= n; i++) print order[i] "|" best[order[i]] }' \
            "$TMP"/redis-"$k"-*.rps >"$TMP/redis-$k.rps"
        sort -g "$TMP"/redis-"$k"-*.cpu | head -1 >"$TMP/redis-$k.cpu"
    done

    echo
    echo -n "redis-benchmark -q -n$REDIS_N -c$REDIS_CONNS (every default test), server on CPU 0, "
    echo "benchmark on CPU 1, best of $REDIS_ROUNDS alternating round(s)"
    echo
    local header="| test |" rule="|---|"
    for k in "${!REDIS_NAMES[@]}"; do
        header+=" ${REDIS_NAMES[$k]} req/s |"
        rule+="---:|"
    done
    [ "${#REDIS_NAMES[@]}" -ge 2 ] && header+=" ${REDIS_NAMES[0]} / ${REDIS_NAMES[1]} |" && rule+="---:|"
    echo "$header"
    echo "$rule"
    # One row per test of the first server, in redis-benchmark's order; a test
    # another server did not report shows as "-".
    awk -F'|' -v servers="${#REDIS_NAMES[@]}" '
        { rps[FILENAME, $1] = $2 }
        FILENAME == ARGV[1] { order[++n] = $1 }
        END {
            for (i = 1; i <= n; i++) {
                t = order[i]; line = "| " t " |"
                for (k = 1; k <= servers; k++) {
                    v = rps[ARGV[k], t]; line = line " " (v == "" ? "-" : v) " |"
                }
                a = rps[ARGV[1], t]; b = rps[ARGV[2], t]
                if (servers >= 2) line = line " " (a != "" && b > 0 ? sprintf("%.2fx", a / b) : "-") " |"
                print line
            }
        }' $(for k in "${!REDIS_NAMES[@]}"; do echo "$TMP/redis-$k.rps"; done)
    local line="| server CPU s per 100k requests |" cpus=()
    for k in "${!REDIS_NAMES[@]}"; do
        cpus+=("$(cat "$TMP/redis-$k.cpu")")
        line+=" ${cpus[$k]} |"
    done
    [ "${#cpus[@]}" -ge 2 ] && line+=" $(awk -v a="${cpus[0]}" -v b="${cpus[1]}" \
        'BEGIN { if (b > 0) printf "%.2fx", a / b; else printf "-" }') |"
    echo "$line"
    REDIS_NAMES=()
}

main() {
    local want=("$@") name ran=0
    [ ${#want[@]} -gt 0 ] || want=(http hyper multicore redis)
    for name in "${want[@]}"; do
        if declare -F "bench_$name" >/dev/null; then
            "bench_$name"
            ran=1
        fi
    done
    [ "$ran" = 1 ] || echo "no benchmark named: ${want[*]}"
}

main "$@"
