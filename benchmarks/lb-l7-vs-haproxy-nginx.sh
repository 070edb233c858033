#!/usr/bin/env bash
# lb-l7 (HTTP reverse proxy, one backend) against HAProxy 2.6 `mode http` and nginx 1.22
# `proxy_pass` with upstream keep-alive, plain and with TLS termination; and the three
# layers side by side: L4 forwarding (lb-l4, HAProxy `mode tcp`, nginx `stream`), L7 routing,
# L7 with TLS termination. Method of BASELINES.md: one nginx backend with 1 worker, every
# proxy with one thread (HAProxy `nbthread 1`; nginx one process, `master_process off`;
# lb-l4 `--event-loops 1` and lb-l7, both under -XX:ActiveProcessorCount=1, so one event
# loop each and fewer JIT and GC threads), the same load generators, every target in every
# round, interleaved; medians of the rounds.
#
# Tests:
#   keep-alive   `wrk -t1 -c50` on keep-alive connections, small file (64 bytes):
#                requests/s, and the proxy's CPU per request (utime + stime of the whole
#                process from /proc/PID/stat, JIT and GC threads included)
#   fixed rate   benchmarks/src/main/c/openloop.c (built here with cc): the small file at a
#                fixed rate, 1/2 of the slowest of the three proxies' keep-alive rate in that
#                round (HTTP and HTTPS separately), latency measured from each request's
#                intended send time: p50 and p99
# HTTPS: TLS 1.3 with an ECDSA P-256 certificate made here; wrk and openloop speak
# OpenSSL's defaults; the script prints what each server negotiated.
#
# Needs haproxy, wrk, nginx with its stream module, cc, the OpenSSL headers, openssl
# (Debian: apt-get install haproxy wrk nginx libnginx-mod-stream gcc libssl-dev), java
# (JAVA_HOME, else PATH) and mvn. Everything listens on 127.0.0.1, on free ports.
# BENCH_NICE=-10 runs all of it at that niceness (root).
#
#   benchmarks/lb-l7-vs-haproxy-nginx.sh                # 3 rounds of 6 s runs: about 8 minutes
#   ROUNDS=5 SECONDS_PER_RUN=10 benchmarks/lb-l7-vs-haproxy-nginx.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/bench-common.sh" # also root, java
seconds="${SECONDS_PER_RUN:-6}"
warmup="${WARMUP_SECONDS:-4}"
rounds="${ROUNDS:-3}"
connections=50

require_tools haproxy wrk nginx python3 cc openssl
stream_module=/usr/lib/nginx/modules/ngx_stream_module.so
if [ ! -f "$stream_module" ]; then
    echo "nginx's stream module is missing (Debian: apt-get install -y libnginx-mod-stream)" >&2
    exit 1
fi

bench_start lb-l4,lb-l7
declare -A port pid scheme
build_openloop
start_backend
backend="127.0.0.1:${port[direct]}"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost -keyout "$work/key.pem" -out "$work/cert.pem" 2> /dev/null
cat "$work/cert.pem" "$work/key.pem" > "$work/haproxy.pem"

targets=(direct lb-l4 ha-tcp ngx-tcp lb-l7 ha-http ngx-http lb-l7-tls ha-https ngx-https)
for t in "${targets[@]}"; do
    [ "$t" = direct ] || port[$t]="$(free_port)"
    case "$t" in *-tls | *-https) scheme[$t]=https ;; *) scheme[$t]=http ;; esac
done

# Tollgate: lb-l4, lb-l7, lb-l7 with TLS.
jvm=("$java" -XX:ActiveProcessorCount=1)
spawn lb-l4 "${jvm[@]}" -jar "$root/lb-l4/target/lb-l4.jar" --listen "127.0.0.1:${port[lb-l4]}" \
    --backend "$backend" --algorithm round-robin --event-loops 1
spawn lb-l7 "${jvm[@]}" -jar "$root/lb-l7/target/lb-l7.jar" --listen "127.0.0.1:${port[lb-l7]}" \
    --backend "$backend" --algorithm round-robin
spawn lb-l7-tls "${jvm[@]}" -jar "$root/lb-l7/target/lb-l7.jar" --listen "127.0.0.1:${port[lb-l7-tls]}" \
    --backend "$backend" --algorithm round-robin --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"

# HAProxy: one process, one thread, three frontends.
cat > "$work/haproxy.cfg" << EOF
global
    nbthread 1
    maxconn 4096
defaults
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend l4
    mode tcp
    bind 127.0.0.1:${port[ha-tcp]}
    default_backend app-tcp
frontend l7
    mode http
    bind 127.0.0.1:${port[ha-http]}
    default_backend app-http
frontend l7-tls
    mode http
    bind 127.0.0.1:${port[ha-https]} ssl crt $work/haproxy.pem alpn http/1.1
    default_backend app-http
backend app-tcp
    mode tcp
    server s1 $backend
backend app-http
    mode http
    http-reuse always
    server s1 $backend
EOF
spawn haproxy haproxy -db -f "$work/haproxy.cfg"
pid[ha-tcp]="${pid[haproxy]}"; pid[ha-http]="${pid[haproxy]}"; pid[ha-https]="${pid[haproxy]}"

# nginx as the proxy: one process, stream (L4), http with upstream keep-alive, https.
mkdir -p "$work/proxy"
cat > "$work/proxy.conf" << EOF
load_module $stream_module;
worker_processes 1;
master_process off;
daemon off;
pid $work/proxy/nginx.pid;
error_log $work/proxy/error.log warn;
events { worker_connections 4096; }
stream {
    server {
        listen 127.0.0.1:${port[ngx-tcp]} backlog=4096;
        proxy_pass $backend;
    }
}
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path $work/proxy/tmp-body;
    proxy_temp_path $work/proxy/tmp-proxy;
    fastcgi_temp_path $work/proxy/tmp-fastcgi;
    uwsgi_temp_path $work/proxy/tmp-uwsgi;
    scgi_temp_path $work/proxy/tmp-scgi;
    upstream app {
        server $backend;
        keepalive 64;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:${port[ngx-http]} backlog=4096;
        listen 127.0.0.1:${port[ngx-https]} ssl backlog=4096;
        ssl_certificate $work/cert.pem;
        ssl_certificate_key $work/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
spawn nginx-proxy "$nginx_bin" -e stderr -p "$work/proxy" -c "$work/proxy.conf"
pid[ngx-tcp]="${pid[nginx-proxy]}"; pid[ngx-http]="${pid[nginx-proxy]}"; pid[ngx-https]="${pid[nginx-proxy]}"

for t in "${targets[@]}"; do wait_for_port "${port[$t]}"; done

describe_machine
for t in lb-l7-tls ha-https ngx-https; do
    echo "$t negotiates: $(openssl s_client -connect "127.0.0.1:${port[$t]}" -servername localhost -brief < /dev/null 2>&1 \
        | sed -n 's/^\(Protocol version\|Ciphersuite\|Peer signature type\|Server Temp Key\): //p' | paste -sd' ')"
done

# One wrk run; sets rate (requests/s), cpu (proxy µs per request, "-" direct), requests,
# errors (bench-common.sh's wrk_run). A run that completes nothing (a cold JVM's first TLS
# handshakes on a busy machine can outlast wrk's 2 s timeout) counts as rate 0, said so.
run_wrk() { # target seconds [connections]
    local target="$1"
    allow_empty=yes wrk_run "$target" "$([ "$target" = direct ] && echo - || echo "${pid[$target]}")" \
        "${scheme[$target]}://127.0.0.1:${port[$target]}/small.html" -t1 -c"${3:-$connections}" -d"${2}s"
    if [ "$rate" = 0 ]; then errors="no request completed; $errors"; fi
}

# Warm-up: a few connections first (a cold JVM on a busy machine can take seconds over its
# first TLS handshakes, longer than wrk waits), then the full load.
for t in "${targets[@]}"; do
    [ "$t" = direct ] && continue
    run_wrk "$t" "$warmup" 4
    run_wrk "$t" "$warmup"
    echo "warm-up $t: $rate req/s"
done

declare -A res # "target metric" -> space-separated values, one per round
last() { echo "${res[$1]}" | awk '{ print $NF }'; }
slowest_half() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 { v = int($1 / 2); printf "%d", v < 10 ? 10 : v }'; } # at least 10/s
for round in $(seq 1 "$rounds"); do
    for t in "${targets[@]}"; do
        run_wrk "$t" "$seconds"
        res["$t rate"]+="$rate "
        res["$t cpu"]+="$cpu "
        echo "round $round keep-alive $t: $rate req/s, proxy CPU $cpu µs/req ${errors}"
    done
    aim_http="$(slowest_half "$(last 'lb-l7 rate')" "$(last 'ha-http rate')" "$(last 'ngx-http rate')")"
    aim_https="$(slowest_half "$(last 'lb-l7-tls rate')" "$(last 'ha-https rate')" "$(last 'ngx-https rate')")"
    for t in direct lb-l7 ha-http ngx-http lb-l7-tls ha-https ngx-https; do
        if [ "${scheme[$t]}" = https ]; then aim="$aim_https"; tls=--tls; else aim="$aim_http"; tls=; fi
        conns="$(awk -v r="$aim" 'BEGIN { c = int(r / 100); print c < 2 ? 2 : (c > 50 ? 50 : c) }')"
        run_openloop "${port[$t]}" "$aim" "$conns" "$seconds" $tls
        res["$t fixed rate"]+="$ol_rate "
        res["$t p50"]+="$ol_p50 "
        res["$t p99"]+="$ol_p99 "
        echo "round $round fixed rate $t (aim $aim req/s, $conns connections): $ol_rate req/s, p50 $ol_p50 µs, p99 $ol_p99 µs, errors $ol_errors"
    done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

m() { echo "${res[$1]}" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }

echo
echo "Median of $rounds rounds, ${seconds} s each; keep-alive: wrk -t1 -c$connections; fixed rate: openloop, 2 s warm-up then ${seconds} s."
echo
echo "| test | direct | lb-l7 | HAProxy | nginx | lb-l7 / HAProxy | lb-l7 / nginx |"
echo "|---|---|---|---|---|---|---|"
row() { # label direct lb ha ngx
    echo "| $1 | $2 | $3 | $4 | $5 | $(ratio "$3" "$4") | $(ratio "$3" "$5") |"
}
row "HTTP keep-alive: requests/s" "$(fmt "$(m 'direct rate')" %.0f)" "$(fmt "$(m 'lb-l7 rate')" %.0f)" \
    "$(fmt "$(m 'ha-http rate')" %.0f)" "$(fmt "$(m 'ngx-http rate')" %.0f)"
row "HTTP keep-alive: proxy CPU µs per request" - "$(m 'lb-l7 cpu')" "$(m 'ha-http cpu')" "$(m 'ngx-http cpu')"
row "HTTP fixed rate: requests/s" "$(fmt "$(m 'direct fixed rate')" %.0f)" "$(fmt "$(m 'lb-l7 fixed rate')" %.0f)" \
    "$(fmt "$(m 'ha-http fixed rate')" %.0f)" "$(fmt "$(m 'ngx-http fixed rate')" %.0f)"
row "HTTP fixed rate: p50 µs" "$(m 'direct p50')" "$(m 'lb-l7 p50')" "$(m 'ha-http p50')" "$(m 'ngx-http p50')"
row "HTTP fixed rate: p99 µs" "$(m 'direct p99')" "$(m 'lb-l7 p99')" "$(m 'ha-http p99')" "$(m 'ngx-http p99')"
row "HTTPS keep-alive: requests/s" - "$(fmt "$(m 'lb-l7-tls rate')" %.0f)" \
    "$(fmt "$(m 'ha-https rate')" %.0f)" "$(fmt "$(m 'ngx-https rate')" %.0f)"
row "HTTPS keep-alive: proxy CPU µs per request" - "$(m 'lb-l7-tls cpu')" "$(m 'ha-https cpu')" "$(m 'ngx-https cpu')"
row "HTTPS fixed rate: requests/s" - "$(fmt "$(m 'lb-l7-tls fixed rate')" %.0f)" \
    "$(fmt "$(m 'ha-https fixed rate')" %.0f)" "$(fmt "$(m 'ngx-https fixed rate')" %.0f)"
row "HTTPS fixed rate: p50 µs" - "$(m 'lb-l7-tls p50')" "$(m 'ha-https p50')" "$(m 'ngx-https p50')"
row "HTTPS fixed rate: p99 µs" - "$(m 'lb-l7-tls p99')" "$(m 'ha-https p99')" "$(m 'ngx-https p99')"

echo
echo "Side by side, small file on keep-alive connections: requests/s (proxy CPU µs per request); direct $(fmt "$(m 'direct rate')" %.0f) requests/s."
echo
echo "| layer | Tollgate | HAProxy | nginx |"
echo "|---|---|---|---|"
cell() { echo "$(fmt "$(m "$1 rate")" %.0f) ($(m "$1 cpu"))"; }
echo "| L4 forwarding (lb-l4, mode tcp, stream) | $(cell lb-l4) | $(cell ha-tcp) | $(cell ngx-tcp) |"
echo "| L7 routing (lb-l7, mode http, proxy_pass) | $(cell lb-l7) | $(cell ha-http) | $(cell ngx-http) |"
echo "| L7 with TLS termination | $(cell lb-l7-tls) | $(cell ha-https) | $(cell ngx-https) |"
echo
awk -v h="$(m 'lb-l7 rate')" -v hh="$(m 'ha-http rate')" -v s="$(m 'lb-l7-tls rate')" -v sh="$(m 'ha-https rate')" 'BEGIN {
    a = h / hh; b = s / sh
    printf "target: HTTP request rate >= 0.7 of HAProxy: %.2f, %s\n", a, (a >= 0.7 ? "met" : "NOT met")
    printf "target: HTTPS request rate >= 0.7 of HAProxy: %.2f, %s\n", b, (b >= 0.7 ? "met" : "NOT met")
}'
