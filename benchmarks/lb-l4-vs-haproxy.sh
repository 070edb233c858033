#!/usr/bin/env bash
# lb-l4 (TCP forwarding, round robin, one backend) against HAProxy in `mode tcp`, the
# method of BASELINES.md: one nginx backend with 1 worker, each proxy with one thread
# (HAProxy `nbthread 1`; lb-l4 with -XX:ActiveProcessorCount=1, so one event loop: the
# CLI has no option for the number of loops), the same wrk in the same session, the
# targets interleaved (direct to nginx, lb-l4, HAProxy) in every round; median of the rounds.
#
# Tests, each `wrk -t1 -c50 --latency`:
#   keep-alive   small static file (64 bytes) on keep-alive connections: requests/s, p99
#   close        the same with `Connection: close`: one new connection per request
#   bulk         1 MiB static file, keep-alive: MB/s (10^6 bytes of body per second)
#   paced        small file, keep-alive, paced by a wrk Lua delay() (random, mean 10 ms
#                between a connection's requests) to about 1/2 and 1/10 of the slower
#                proxy's keep-alive rate of that round: p99 added over direct
# Proxy CPU: utime + stime of the whole proxy process (/proc/PID/stat; JIT and GC threads
# included) during a run, divided by the requests wrk completed.
#
# Needs haproxy, wrk and nginx on PATH (Debian: apt-get install haproxy wrk nginx), java
# (JAVA_HOME, else PATH) and mvn. Everything listens on 127.0.0.1, on free ports.
#
#   benchmarks/lb-l4-vs-haproxy.sh                      # 3 rounds of 6 s runs: about 5.5 minutes
#   ROUNDS=5 SECONDS_PER_RUN=10 benchmarks/lb-l4-vs-haproxy.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
seconds="${SECONDS_PER_RUN:-6}"
warmup="${WARMUP_SECONDS:-5}"
rounds="${ROUNDS:-3}"
connections=50

for tool in haproxy wrk nginx python3; do
    if ! command -v "$tool" > /dev/null; then
        echo "$tool is not installed (Debian: apt-get install -y haproxy wrk nginx)" >&2
        exit 1
    fi
done
# nginx may live in /usr/sbin, outside a normal user's PATH
nginx_bin="$(command -v nginx)"

(cd "$root" && { mvn -q -o -DskipTests package -pl lb-l4 -am 2> /dev/null \
    || mvn -q -DskipTests package -pl lb-l4 -am; })
lb_jar="$root/lb-l4/target/lb-l4.jar"

work="$(mktemp -d)"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
    wait 2> /dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for_port() { # port
    for _ in $(seq 1 150); do
        if (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; then return 0; fi
        sleep 0.1
    done
    echo "nothing listens on port $1; logs:" >&2
    tail -n 20 "$work"/*.err >&2 || true
    exit 1
}

declare -A port pid

# The backend: nginx, one process (master_process off) with one worker's work.
port[direct]="$(free_port)"
mkdir -p "$work/nginx/html" "$work/nginx/logs"
head -c 63 /dev/zero | tr '\0' 'x' > "$work/nginx/html/small.html"; echo >> "$work/nginx/html/small.html"
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
"$nginx_bin" -e stderr -p "$work/nginx" -c "$work/nginx.conf" > "$work/nginx.out" 2> "$work/nginx.err" &
pids+=("$!"); pid[direct]=$!
wait_for_port "${port[direct]}"

port[lb-l4]="$(free_port)"
"$java" -XX:ActiveProcessorCount=1 -jar "$lb_jar" --listen "127.0.0.1:${port[lb-l4]}" \
    --backend "127.0.0.1:${port[direct]}" --algorithm round-robin > "$work/lb-l4.out" 2> "$work/lb-l4.err" &
pids+=("$!"); pid[lb-l4]=$!
wait_for_port "${port[lb-l4]}"

port[haproxy]="$(free_port)"
cat > "$work/haproxy.cfg" << EOF
global
    nbthread 1
    maxconn 4096
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend lb
    bind 127.0.0.1:${port[haproxy]}
    default_backend app
backend app
    server s1 127.0.0.1:${port[direct]}
EOF
haproxy -db -f "$work/haproxy.cfg" > "$work/haproxy.out" 2> "$work/haproxy.err" &
pids+=("$!"); pid[haproxy]=$!
wait_for_port "${port[haproxy]}"

cat > "$work/paced.lua" << 'EOF'
-- uniformly 1 .. 2d-1 ms (mean d) so that the connections do not send in lockstep bursts
local d = tonumber(os.getenv("WRK_DELAY_MS"))
math.randomseed(os.time())
function delay() return math.random(1, 2 * d - 1) end
EOF

ticks="$(getconf CLK_TCK)"
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

to_us() { # wrk latency such as 812.00us, 1.23ms, 2.00s
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); print v + 0 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); print v * 1000 }
        else if (v ~ /m$/) { sub(/m$/, "", v); print v * 60e6 }
        else { sub(/s$/, "", v); print v * 1e6 } }'
}

# One wrk run; sets rate (requests/s), p99 (µs), cpu (proxy µs per request, "-" direct),
# requests, errors.
run_wrk() { # target test seconds [paced-connections delay-ms]
    local target="$1" test="$2" secs="$3" url before after out
    local args=(-t1 -c"$connections" -d"${secs}s" --latency)
    case "$test" in
        keep-alive) url=/small.html ;;
        close) url=/small.html; args+=(-H 'Connection: close') ;;
        bulk) url=/big.bin ;;
        paced) url=/small.html; args=(-t1 -c"$4" -d"${secs}s" --latency -s "$work/paced.lua") ;;
    esac
    before="$(cpu_ticks "${pid[$target]}")"
    out="$(WRK_DELAY_MS="${5:-0}" wrk "${args[@]}" "http://127.0.0.1:${port[$target]}$url" 2>&1)"
    after="$(cpu_ticks "${pid[$target]}")"
    rate="$(echo "$out" | awk '/^Requests\/sec:/ { print $2 }')"
    requests="$(echo "$out" | awk '/requests in/ { print $1 }')"
    p99="$(to_us "$(echo "$out" | awk '$1 == "99%" { print $2 }')")"
    errors="$(echo "$out" | awk '/Socket errors|Non-2xx/ { printf "%s; ", $0 }')"
    if [ -z "$requests" ] || [ "$requests" -eq 0 ]; then
        echo "wrk against $target ($test) completed no request:" >&2
        echo "$out" >&2
        exit 1
    fi
    if [ "$target" = direct ]; then
        cpu=-
    else
        cpu="$(awk -v b="$before" -v a="$after" -v t="$ticks" -v n="$requests" 'BEGIN { printf "%.1f", (a - b) * 1e6 / t / n }')"
    fi
}

"$java" -version 2>&1 | sed -n 1p
haproxy -v | sed -n 1p
"$nginx_bin" -v 2>&1
wrk -v 2>&1 | sed -n 1p || true
echo "$(nproc) CPUs, $(lscpu 2> /dev/null | sed -n 's/^Model name: *//p' | sed -n 1p); $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

targets=(direct lb-l4 haproxy)
for target in lb-l4 haproxy; do
    for test in keep-alive close bulk; do
        run_wrk "$target" "$test" "$warmup"
        echo "warm-up $target $test: $rate req/s"
    done
done

declare -A res  # "target test metric" -> space-separated values, one per round
for round in $(seq 1 "$rounds"); do
    for test in keep-alive close bulk; do
        for target in "${targets[@]}"; do
            run_wrk "$target" "$test" "$seconds"
            res["$target $test rate"]+="$rate "
            res["$target $test p99"]+="$p99 "
            res["$target $test cpu"]+="$cpu "
            echo "round $round $test $target: $rate req/s, p99 ${p99} µs, proxy CPU $cpu µs/req ${errors}"
        done
    done
    # 1/2 and 1/10 of the slower proxy's keep-alive rate in this round, paced with a mean
    # 10 ms between a connection's requests: connections = rate x 0.010 s.
    read -r lb_last ha_last <<< "$(echo "${res[lb-l4 keep-alive rate]}" | awk '{ print $NF }') $(echo "${res[haproxy keep-alive rate]}" | awk '{ print $NF }')"
    for frac in 2 10; do
        aim="$(awk -v a="$lb_last" -v b="$ha_last" -v f="$frac" 'BEGIN { m = a < b ? a : b; printf "%d", m / f }')"
        paced_conns="$(awk -v r="$aim" 'BEGIN { c = int(r * 0.010 + 0.5); print c < 1 ? 1 : c }')"
        for target in "${targets[@]}"; do
            run_wrk "$target" paced "$seconds" "$paced_conns" 10
            res["$target paced$frac rate"]+="$rate "
            res["$target paced$frac p99"]+="$p99 "
            echo "round $round paced 1/$frac (aim $aim req/s, $paced_conns connections) $target: $rate req/s, p99 ${p99} µs, proxy CPU $cpu µs/req ${errors}"
        done
    done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

median() { tr ' ' '\n' | grep -v '^-*$' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else print v[int((NR + 1) / 2)] }'; }
m() { echo "${res[$1]}" | median; }

echo
echo "Median of $rounds rounds, ${seconds} s each, wrk -t1 -c$connections (paced: fewer connections, 10 ms apart)."
echo
echo "| test | direct | lb-l4 | HAProxy | lb-l4 / HAProxy |"
echo "|---|---|---|---|---|"
row() { # label direct lb ha [lower-is-better note]
    awk -v l="$1" -v d="$2" -v a="$3" -v b="$4" 'BEGIN {
        r = (a != "-" && b != "-" && b + 0 > 0) ? sprintf("%.2f", a / b) : "-"
        printf "| %s | %s | %s | %s | %s |\n", l, d, a, b, r }'
}
fmt() { awk -v v="$1" -v f="$2" 'BEGIN { if (v == "-") print "-"; else printf f, v }'; }
mb() { awk -v v="$1" 'BEGIN { printf "%.0f", v * 1048576 / 1e6 }'; }
row "small, keep-alive: requests/s" "$(fmt "$(m 'direct keep-alive rate')" %.0f)" \
    "$(fmt "$(m 'lb-l4 keep-alive rate')" %.0f)" "$(fmt "$(m 'haproxy keep-alive rate')" %.0f)"
row "small, keep-alive: proxy CPU µs per request" - "$(m 'lb-l4 keep-alive cpu')" "$(m 'haproxy keep-alive cpu')"
row "small, keep-alive, saturated: p99 µs" "$(fmt "$(m 'direct keep-alive p99')" %.0f)" \
    "$(fmt "$(m 'lb-l4 keep-alive p99')" %.0f)" "$(fmt "$(m 'haproxy keep-alive p99')" %.0f)"
row "new connection per request: connections/s" "$(fmt "$(m 'direct close rate')" %.0f)" \
    "$(fmt "$(m 'lb-l4 close rate')" %.0f)" "$(fmt "$(m 'haproxy close rate')" %.0f)"
row "new connection per request: proxy CPU µs per connection" - "$(m 'lb-l4 close cpu')" "$(m 'haproxy close cpu')"
row "bulk 1 MiB responses: MB/s" "$(mb "$(m 'direct bulk rate')")" "$(mb "$(m 'lb-l4 bulk rate')")" "$(mb "$(m 'haproxy bulk rate')")"
row "bulk 1 MiB responses: proxy CPU µs per MiB" - "$(m 'lb-l4 bulk cpu')" "$(m 'haproxy bulk cpu')"
# Added p99 over direct, per round (same round's direct run), then the median.
added() { # target frac
    paste -d' ' <(echo "${res[$1 paced$2 p99]}" | tr ' ' '\n' | grep .) <(echo "${res[direct paced$2 p99]}" | tr ' ' '\n' | grep .) \
        | awk '{ print $1 - $2 }' | tr '\n' ' ' | median
}
for frac in 2 10; do
    row "paced at 1/$frac of saturation: requests/s" "$(fmt "$(m "direct paced$frac rate")" %.0f)" \
        "$(fmt "$(m "lb-l4 paced$frac rate")" %.0f)" "$(fmt "$(m "haproxy paced$frac rate")" %.0f)"
    row "paced at 1/$frac: p99 µs" "$(fmt "$(m "direct paced$frac p99")" %.0f)" \
        "$(fmt "$(m "lb-l4 paced$frac p99")" %.0f)" "$(fmt "$(m "haproxy paced$frac p99")" %.0f)"
    echo "| paced at 1/$frac: p99 added over direct, µs (median of per-round differences) | - | $(fmt "$(added lb-l4 $frac)" %.0f) | $(fmt "$(added haproxy $frac)" %.0f) | - |"
done
lb_added="$(added lb-l4 2)"
echo
awk -v bulk_lb="$(m 'lb-l4 bulk rate')" -v bulk_ha="$(m 'haproxy bulk rate')" \
    -v c_lb="$(m 'lb-l4 close rate')" -v c_ha="$(m 'haproxy close rate')" -v add="$lb_added" 'BEGIN {
    b = bulk_lb / bulk_ha; c = c_lb / c_ha
    printf "target: bulk throughput >= 0.8 of HAProxy: %.2f, %s\n", b, (b >= 0.8 ? "met" : "NOT met")
    printf "target: connection rate >= 0.8 of HAProxy: %.2f, %s\n", c, (c >= 0.8 ? "met" : "NOT met")
    printf "target: p99 added < 1 ms at half of saturation: %.0f µs, %s\n", add, (add < 1000 ? "met" : "NOT met")
}'
