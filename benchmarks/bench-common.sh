# Shared by the load-balancer benchmark scripts (sourced, not run): free ports, the nginx
# backend, process CPU, the open-loop load generator, medians. Expects $work (a temporary
# directory), the arrays pids, port and pid, and $here (the benchmarks directory).

root="$(dirname "$here")"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"

require_tools() { # tool...
    for tool in "$@"; do
        if ! command -v "$tool" > /dev/null; then
            echo "$tool is not installed (Debian: apt-get install -y haproxy wrk nginx libnginx-mod-stream libssl-dev gcc)" >&2
            exit 1
        fi
    done
}

# Builds the Maven modules (comma-separated, offline first), makes $work and cleans up on
# exit; sets nginx_bin (nginx may live in /usr/sbin, outside a normal user's PATH).
bench_start() { # modules
    (cd "$root" && { mvn -q -o -DskipTests package -pl "$1" -am 2> /dev/null \
        || mvn -q -DskipTests package -pl "$1" -am; })
    nginx_bin="$(command -v nginx)"
    work="$(mktemp -d)"
    pids=()
    trap cleanup EXIT
    trap 'exit 130' INT TERM
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for_port() { # port
    for _ in $(seq 1 300); do
        if (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; then return 0; fi
        sleep 0.1
    done
    echo "nothing listens on port $1; logs:" >&2
    tail -n 20 "$work"/*.err >&2 || true
    exit 1
}

# BENCH_NICE=-10 runs every process of the benchmark (servers, proxies, load generators)
# at that niceness, so that other work on a shared machine disturbs it less (root only).
prio=()
if [ -n "${BENCH_NICE:-}" ]; then prio=(nice -n "$BENCH_NICE"); fi

# Starts a background process, remembers its pid under a name: spawn NAME command...
spawn() {
    local name="$1"
    shift
    "${prio[@]}" "$@" > "$work/$name.out" 2> "$work/$name.err" &
    pids+=("$!")
    pid[$name]=$!
}

# The backend: nginx, one process (master_process off), serving a 64-byte small.html and a
# 1 MiB big.bin, access log off, unlimited keep-alive requests. Sets port[direct], pid[direct].
start_backend() {
    port[direct]="$(free_port)"
    mkdir -p "$work/nginx/html" "$work/nginx/logs"
    head -c 63 /dev/zero | tr '\0' 'x' > "$work/nginx/html/small.html"
    echo >> "$work/nginx/html/small.html"
    head -c 1048576 /dev/urandom > "$work/nginx/html/big.bin"
    cat > "$work/nginx.conf" << EOF
worker_processes 1;
master_process off;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    client_body_temp_path $work/nginx/tmp-body;
    proxy_temp_path $work/nginx/tmp-proxy;
    fastcgi_temp_path $work/nginx/tmp-fastcgi;
    uwsgi_temp_path $work/nginx/tmp-uwsgi;
    scgi_temp_path $work/nginx/tmp-scgi;
    types { text/html html; application/octet-stream bin; }
    server {
        listen 127.0.0.1:${port[direct]} backlog=4096;
        root $work/nginx/html;
    }
}
EOF
    spawn direct "$nginx_bin" -e stderr -p "$work/nginx" -c "$work/nginx.conf"
    wait_for_port "${port[direct]}"
}

# Builds benchmarks/src/main/c/openloop.c into $work/openloop.
build_openloop() {
    cc -O2 -pthread -o "$work/openloop" "$here/src/main/c/openloop.c" -lssl -lcrypto
}

ticks="$(getconf CLK_TCK)"
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# One open-loop run at a fixed rate; sets ol_rate, ol_p50, ol_p99 (µs), ol_errors.
# run_openloop port rate connections seconds [--tls]
run_openloop() {
    local out
    out="$("${prio[@]}" "$work/openloop" -a 127.0.0.1 -p "$1" -P /small.html -r "$2" -c "$3" -d "$4" -w 2 ${5:-})"
    ol_rate="$(echo "$out" | sed -n 's/.* rate=\([0-9]*\).*/\1/p')"
    ol_p50="$(echo "$out" | sed -n 's/.*p50_us=\([0-9]*\).*/\1/p')"
    ol_p99="$(echo "$out" | sed -n 's/.*p99_us=\([0-9]*\).*/\1/p')"
    ol_errors="$(echo "$out" | sed -n 's/.*errors=\([0-9]*\).*/\1/p')"
    if [ -z "$ol_rate" ] || [ "$ol_rate" -eq 0 ]; then
        echo "openloop against port $1 completed no request: $out" >&2
        exit 1
    fi
}

median() { tr ' ' '\n' | grep -v '^-*$' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else print v[int((NR + 1) / 2)] }'; }
fmt() { awk -v v="$1" -v f="$2" 'BEGIN { if (v == "-" || v == "") print "-"; else printf f, v }'; }

describe_machine() {
    "$java" -version 2>&1 | sed -n 1p
    haproxy -v | sed -n 1p
    "$nginx_bin" -v 2>&1
    wrk -v 2>&1 | sed -n 1p || true
    echo "$(nproc) CPUs, $(lscpu 2> /dev/null | sed -n 's/^Model name: *//p' | sed -n 1p); $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)${BENCH_NICE:+; every process at nice $BENCH_NICE}"
}

# The cleanup every script needs: kill what it started, remove $work.
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
    wait 2> /dev/null || true
    rm -rf "$work"
}

# One wrk run: wrk_run LABEL PID URL [wrk options...]. Sets out, rate (requests/s),
# requests, errors and cpu (µs of process PID per request, JIT and GC threads included;
# "-" when PID is "-"). No request completed: exits, unless allow_empty is set (rate=0).
wrk_run() {
    local label="$1" p="$2" url="$3" before after
    shift 3
    if [ "$p" != - ]; then before="$(cpu_ticks "$p")"; fi
    out="$("${prio[@]}" wrk "$@" "$url" 2>&1)"
    if [ "$p" != - ]; then after="$(cpu_ticks "$p")"; fi
    rate="$(echo "$out" | awk '/^Requests\/sec:/ { print $2 }')"
    requests="$(echo "$out" | awk '/requests in/ { print $1 }')"
    errors="$(echo "$out" | awk '/Socket errors|Non-2xx/ { printf "%s; ", $0 }')"
    if [ -z "$requests" ] || [ "$requests" -eq 0 ]; then
        if [ -n "${allow_empty:-}" ]; then rate=0; cpu=-; return 0; fi
        echo "wrk against $label completed no request:" >&2
        echo "$out" >&2
        exit 1
    fi
    if [ "$p" = - ]; then
        cpu=-
    else
        cpu="$(awk -v b="$before" -v a="$after" -v t="$ticks" -v n="$requests" 'BEGIN { printf "%.1f", (a - b) * 1e6 / t / n }')"
    fi
}
