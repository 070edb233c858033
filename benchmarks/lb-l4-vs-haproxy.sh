#!/usr/bin/env bash
# lb-l4 (TCP forwarding, round robin, one backend) against HAProxy in `mode tcp`, the
# method of BASELINES.md: one nginx backend with 1 worker, each proxy with one thread
# (HAProxy `nbthread 1`; lb-l4 `--event-loops 1`, under -XX:ActiveProcessorCount=1 for
# fewer JIT and GC threads too), the same load generators in the same session, the
# targets interleaved (direct to nginx, lb-l4, HAProxy) in every round; median of the rounds.
#
# Tests, each `wrk -t1 -c50 --latency`:
#   keep-alive   small static file (64 bytes) on keep-alive connections: requests/s, p99
#   close        the same with `Connection: close`: one new connection per request
#   bulk         1 MiB static file, keep-alive: MB/s (10^6 bytes of body per second)
# and, below saturation, benchmarks/src/main/c/openloop.c (built here with cc): the small
# file at a fixed rate, 1/2 and 1/10 of the slower proxy's keep-alive rate of that round,
# latency measured from each request's intended send time (no coordinated omission):
# p50, p99 and p99 added over direct.
# Proxy CPU: utime + stime of the whole proxy process (/proc/PID/stat; JIT and GC threads
# included) during a run, divided by the requests wrk completed.
#
# Needs haproxy, wrk, nginx, cc and the OpenSSL headers (Debian: apt-get install haproxy wrk
# nginx gcc libssl-dev), java (JAVA_HOME, else PATH) and mvn. Everything listens on
# 127.0.0.1, on free ports. BENCH_NICE=-10 runs all of it at that niceness (root).
#
#   benchmarks/lb-l4-vs-haproxy.sh                      # 3 rounds of 6 s runs: about 6 minutes
#   ROUNDS=5 SECONDS_PER_RUN=10 benchmarks/lb-l4-vs-haproxy.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/bench-common.sh" # also root, java
seconds="${SECONDS_PER_RUN:-6}"
warmup="${WARMUP_SECONDS:-5}"
rounds="${ROUNDS:-3}"
connections=50

require_tools haproxy wrk nginx python3 cc
bench_start lb-l4
lb_jar="$root/lb-l4/target/lb-l4.jar"
declare -A port pid
build_openloop
start_backend

port[lb-l4]="$(free_port)"
spawn lb-l4 "$java" -XX:ActiveProcessorCount=1 -jar "$lb_jar" --listen "127.0.0.1:${port[lb-l4]}" \
    --backend "127.0.0.1:${port[direct]}" --algorithm round-robin --event-loops 1
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
spawn haproxy haproxy -db -f "$work/haproxy.cfg"
wait_for_port "${port[haproxy]}"

to_us() { # wrk latency such as 812.00us, 1.23ms, 2.00s
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); print v + 0 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); print v * 1000 }
        else if (v ~ /m$/) { sub(/m$/, "", v); print v * 60e6 }
        else { sub(/s$/, "", v); print v * 1e6 } }'
}

# One wrk run; sets rate (requests/s), p99 (µs), cpu (proxy µs per request, "-" direct),
# requests, errors (bench-common.sh's wrk_run).
run_wrk() { # target test seconds
    local target="$1" test="$2" secs="$3" url
    local args=(-t1 -c"$connections" -d"${secs}s" --latency)
    case "$test" in
        keep-alive) url=/small.html ;;
        close) url=/small.html; args+=(-H 'Connection: close') ;;
        bulk) url=/big.bin ;;
    esac
    wrk_run "$target ($test)" "$([ "$target" = direct ] && echo - || echo "${pid[$target]}")" \
        "http://127.0.0.1:${port[$target]}$url" "${args[@]}"
    p99="$(to_us "$(echo "$out" | awk '$1 == "99%" { print $2 }')")"
}

describe_machine

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
    # 1/2 and 1/10 of the slower proxy's keep-alive rate in this round, at a fixed rate
    # (open loop: latency counted from each request's intended send time), one
    # connection per 100 requests/s (2 to 50).
    read -r lb_last ha_last <<< "$(echo "${res[lb-l4 keep-alive rate]}" | awk '{ print $NF }') $(echo "${res[haproxy keep-alive rate]}" | awk '{ print $NF }')"
    for frac in 2 10; do
        aim="$(awk -v a="$lb_last" -v b="$ha_last" -v f="$frac" 'BEGIN { m = a < b ? a : b; printf "%d", m / f }')"
        paced_conns="$(awk -v r="$aim" 'BEGIN { c = int(r / 100); print c < 2 ? 2 : (c > 50 ? 50 : c) }')"
        for target in "${targets[@]}"; do
            run_openloop "${port[$target]}" "$aim" "$paced_conns" "$seconds"
            res["$target paced$frac rate"]+="$ol_rate "
            res["$target paced$frac p50"]+="$ol_p50 "
            res["$target paced$frac p99"]+="$ol_p99 "
            echo "round $round fixed rate 1/$frac (aim $aim req/s, $paced_conns connections) $target: $ol_rate req/s, p50 $ol_p50 µs, p99 $ol_p99 µs, errors $ol_errors"
        done
    done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

m() { echo "${res[$1]}" | median; }

echo
echo "Median of $rounds rounds, ${seconds} s each, wrk -t1 -c$connections; fixed rate: openloop, 2 s warm-up then ${seconds} s."
echo
echo "| test | direct | lb-l4 | HAProxy | lb-l4 / HAProxy |"
echo "|---|---|---|---|---|"
row() { # label direct lb ha [lower-is-better note]
    awk -v l="$1" -v d="$2" -v a="$3" -v b="$4" 'BEGIN {
        r = (a != "-" && b != "-" && b + 0 > 0) ? sprintf("%.2f", a / b) : "-"
        printf "| %s | %s | %s | %s | %s |\n", l, d, a, b, r }'
}
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
    row "fixed rate at 1/$frac of saturation: requests/s" "$(fmt "$(m "direct paced$frac rate")" %.0f)" \
        "$(fmt "$(m "lb-l4 paced$frac rate")" %.0f)" "$(fmt "$(m "haproxy paced$frac rate")" %.0f)"
    row "fixed rate at 1/$frac: p50 µs" "$(fmt "$(m "direct paced$frac p50")" %.0f)" \
        "$(fmt "$(m "lb-l4 paced$frac p50")" %.0f)" "$(fmt "$(m "haproxy paced$frac p50")" %.0f)"
    row "fixed rate at 1/$frac: p99 µs" "$(fmt "$(m "direct paced$frac p99")" %.0f)" \
        "$(fmt "$(m "lb-l4 paced$frac p99")" %.0f)" "$(fmt "$(m "haproxy paced$frac p99")" %.0f)"
    echo "| fixed rate at 1/$frac: p99 added over direct, µs (median of per-round differences) | - | $(fmt "$(added lb-l4 $frac)" %.0f) | $(fmt "$(added haproxy $frac)" %.0f) | - |"
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
