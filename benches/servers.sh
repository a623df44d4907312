#!/usr/bin/env bash
# benches/servers.sh — ramen's example servers beside the real ones.
#
#   benches/servers.sh            # every benchmark whose tools are installed
#   benches/servers.sh http       # only bench_http
#   benches/servers.sh hyper      # hyper on ramen vs hyper on tokio vs nginx
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

# measure NAME URL PID: warm up, run wrk pinned to CPU 1, append a table row.
measure() {
    local name=$1 url=$2 pid=$3 before after out rps total errors cpu
    taskset -c 1 wrk -t1 -c"$CONNS" -d1s "$url" >/dev/null
    before=$(cpu_ticks "$pid")
    out=$(taskset -c 1 wrk -t1 -c"$CONNS" -d"${DURATION}s" "$url")
    after=$(cpu_ticks "$pid")
    echo "$out" | sed "s/^/    [$name] /" >&2
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    total=$(awk '/requests in/ {print $1}' <<<"$out")
    errors=$(grep -E 'Socket errors|Non-2xx' <<<"$out" | tr -s ' ' | paste -sd';' - || true)
    cpu=$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$total" \
        'BEGIN { printf "%.3f", (t / hz) / n * 100000 }')
    ROWS+=("$name|$rps|$cpu|${errors:-0}")
}

# start_listening NAME OUT CMD...: starts CMD pinned to CPU 0 (output to OUT)
# and waits (≤ 10 s) for its `listening on ADDR` line; sets STARTED_PID and
# STARTED_ADDR.
start_listening() {
    local name=$1 out=$2 i
    shift 2
    taskset -c 0 "$@" >"$out" 2>&1 &
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

# measure_nginx: when nginx is installed, measures it (one worker, no master,
# no access log, `return 200 "hello"` for `/`), pinned to CPU 0.
measure_nginx() {
    have nginx || return 0
    local port pid
    port=$(free_port)
    mkdir -p "$TMP/nginx"
    cat >"$TMP/nginx.conf" <<EOF
worker_processes 1;
daemon off;
master_process off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $TMP/nginx/body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    default_type text/plain;
    server {
        listen 127.0.0.1:$port;
        location = / { return 200 "hello"; }
    }
}
EOF
    taskset -c 0 nginx -p "$TMP/nginx" -e "$TMP/nginx/error.log" -c "$TMP/nginx.conf" &
    pid=$!
    PIDS+=("$pid")
    wait_port "$port"
    measure "nginx $(nginx -v 2>&1 | sed 's/.*nginx\///')" "http://127.0.0.1:$port/" "$pid"
    kill -QUIT "$pid" # graceful stop
    wait "$pid" || true
}

# print_http_table: ROWS as a table, then the first row against each other one.
print_http_table() {
    echo
    echo "GET / (5-byte body), wrk -t1 -c$CONNS -d${DURATION}s, server on CPU 0, wrk on CPU 1"
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

# bench_redis: examples/mini_redis (release) and, when installed, redis-server
# with persistence off (`--save '' --appendonly no`), each pinned to CPU 0,
# measured by `redis-benchmark -c $REDIS_CONNS -n $REDIS_N -t set,get,ping -q`
# pinned to CPU 1 (after a short warm-up). Ops/s per test, server CPU per 100k
# requests, and mini_redis / redis-server per test.
REDIS_N=${REDIS_N:-200000}
REDIS_CONNS=${REDIS_CONNS:-50}

# redis_measure NAME PORT PID: appends "name|ping_inline|ping_mbulk|set|get|cpu".
redis_measure() {
    local name=$1 port=$2 pid=$3 before after out cpu
    taskset -c 1 timeout 120 redis-benchmark -p "$port" -c "$REDIS_CONNS" -n 20000 \
        -t set,get,ping -q >/dev/null
    before=$(cpu_ticks "$pid")
    out=$(taskset -c 1 timeout 600 redis-benchmark -p "$port" -c "$REDIS_CONNS" -n "$REDIS_N" \
        -t set,get,ping -q | tr '\r' '\n' | grep -E '^[A-Z_]+: [0-9.]+ requests per second')
    after=$(cpu_ticks "$pid")
    echo "$out" | sed "s/^/    [$name] /" >&2
    local rate
    rate() { awk -v t="$1:" '$1 == t {print $2}' <<<"$out"; }
    cpu=$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n=$((REDIS_N * 4)) \
        'BEGIN { printf "%.3f", (t / hz) / n * 100000 }')
    ROWS+=("$name|$(rate PING_INLINE)|$(rate PING_MBULK)|$(rate SET)|$(rate GET)|$cpu")
}

bench_redis() {
    if ! have redis-benchmark; then
        echo "bench_redis: redis-benchmark is not installed; skipped (apt-get install redis-tools)"
        return 0
    fi
    have redis-server || echo "bench_redis: redis-server is not installed; measuring mini_redis alone"
    echo "bench_redis: building examples/mini_redis (release)" >&2
    cargo build --release --quiet --example mini_redis

    taskset -c 0 target/release/examples/mini_redis --addr 127.0.0.1:0 >"$TMP/redis.out" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    local i addr=""
    for i in $(seq 100); do
        addr=$(sed -n 's/^listening on //p' "$TMP/redis.out")
        [ -n "$addr" ] && break
        sleep 0.1
    done
    [ -n "$addr" ] || { echo "mini_redis did not start:" >&2; cat "$TMP/redis.out" >&2; return 1; }
    redis_measure "ramen mini_redis" "${addr##*:}" "$pid"
    kill -TERM "$pid"
    wait "$pid" || echo "mini_redis exited with $?" >&2

    if have redis-server; then
        local port
        port=$(free_port)
        taskset -c 0 redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
            --daemonize no --dir "$TMP" --logfile "$TMP/redis-server.log" &
        pid=$!
        PIDS+=("$pid")
        wait_port "$port"
        redis_measure "redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')" \
            "$port" "$pid"
        kill -TERM "$pid"
        wait "$pid" || true
    fi

    echo
    echo "redis-benchmark -c$REDIS_CONNS -n$REDIS_N -t set,get,ping -q, server on CPU 0, benchmark on CPU 1"
    echo
    echo "| server | PING_INLINE ops/s | PING_MBULK ops/s | SET ops/s | GET ops/s | server CPU s per 100k req |"
    echo "|---|---:|---:|---:|---:|---:|"
    local row
    for row in "${ROWS[@]}"; do
        IFS='|' read -r name a b c d cpu <<<"$row"
        echo "| $name | $a | $b | $c | $d | $cpu |"
    done
    if [ "${#ROWS[@]}" -ge 2 ]; then
        IFS='|' read -r _ a1 b1 c1 d1 cpu1 <<<"${ROWS[0]}"
        IFS='|' read -r _ a2 b2 c2 d2 cpu2 <<<"${ROWS[1]}"
        awk -v a1="$a1" -v b1="$b1" -v c1="$c1" -v d1="$d1" -v e1="$cpu1" \
            -v a2="$a2" -v b2="$b2" -v c2="$c2" -v d2="$d2" -v e2="$cpu2" 'BEGIN {
            printf "| mini_redis / redis-server | %.2fx | %.2fx | %.2fx | %.2fx | %.2fx |\n",
                a1 / a2, b1 / b2, c1 / c2, d1 / d2, e1 / e2 }'
    fi
    ROWS=()
}

main() {
    local want=("$@") name ran=0
    [ ${#want[@]} -gt 0 ] || want=(http hyper redis)
    for name in "${want[@]}"; do
        if declare -F "bench_$name" >/dev/null; then
            "bench_$name"
            ran=1
        fi
    done
    [ "$ran" = 1 ] || echo "no benchmark named: ${want[*]}"
}

main "$@"
