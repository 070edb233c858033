#!/usr/bin/env bash
# Server CPU per full TLS 1.3 handshake over loopback (x25519, ECDSA P-256 certificate,
# TLS_AES_128_GCM_SHA256), the method of BASELINES.md: the same client for every server,
# `openssl s_time -new -www /` (one connection at a time: TCP connect, handshake, one
# HTTP/1.0 GET, close); the CPU time of the whole server process (utime + stime from
# /proc/PID/stat, JIT and GC threads included) divided by the connections s_time made;
# median of 3 interleaved runs, after a warm-up run per server (WARMUP_SECONDS, 20 s).
#
# tls-server prints one line per handshake on stdout (to a file here): part of its cost.
# Servers: tls-server (https mode, one event-loop thread), openssl s_server -www, and
# org.tollgate.bench.JsseWwwServer (SunJSSE, answers like -www), the Java ones on the
# current JDK (JAVA_HOME, else java on PATH).
#
#   benchmarks/loopback.sh              # 20 s warm-up, 10 s per run: about 2.5 minutes
#   SECONDS_PER_RUN=5 benchmarks/loopback.sh
#   JAVA_HOME=/path/to/jdk-25 benchmarks/loopback.sh
#   CASE=tls13-resumed benchmarks/loopback.sh   # the same, s_time -reuse: TLS 1.3 tickets (PSK with x25519)
#   CASE=tls12-resumed benchmarks/loopback.sh   # TLS 1.2 ECDHE-ECDSA, s_time -reuse (session resumption)
#   CASE=tls12-full benchmarks/loopback.sh      # the same suite, s_time -new (for the ratio)
#   SERVER_JAR=/path/to/other/tls-server.jar benchmarks/loopback.sh   # e.g. an older build, for A/B
#   SKIP_BUILD=1 BENCH_JAR=... SERVER_JAR=...                         # use jars built before
#
# CASE=tls12-*: TLS 1.2 with TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (x25519) on every server;
# tls-server gets --versions 1.2 --session-cache 10000 (session ids), s_server -tls1_2 and the
# SunJSSE server resume as they do by default (session ids or RFC 5077 tickets).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
time_per_run="${SECONDS_PER_RUN:-10}"
warmup_time="${WARMUP_SECONDS:-20}"  # the JIT needs a few thousand connections
runs=3
case_name="${CASE:-tls13}"
case "$case_name" in
    tls13) s_time_args=(-new -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256) ;;
    tls13-resumed) s_time_args=(-reuse -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256) ;;
    tls12-full) s_time_args=(-new -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256) ;;
    tls12-resumed) s_time_args=(-reuse -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256) ;;
    *) echo "CASE must be tls13, tls13-resumed, tls12-full or tls12-resumed" >&2; exit 2 ;;
esac

if [ -z "${SKIP_BUILD:-}" ]; then
    (cd "$root" && { mvn -q -o -B package -DskipTests -pl tls-server,benchmarks -am \
        || mvn -q -B package -DskipTests -pl tls-server,benchmarks -am; })
fi
server_jar="${SERVER_JAR:-$root/tls-server/target/tls-server.jar}"
bench_jar="${BENCH_JAR:-$here/target/benchmarks.jar}"

work="$(mktemp -d)"
pids=()
source "$here/bench-common.sh" # cleanup, free_port, wait_for_port, ticks, cpu_ticks
trap cleanup EXIT

# A self-signed ECDSA P-256 certificate for 127.0.0.1 (s_time does not verify it).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

declare -A port pid
start() { # name command...
    local name="$1"; shift
    local p; p="$(free_port)"
    "${@//PORT/$p}" > "$work/$name.out" 2> "$work/$name.err" &
    pids+=("$!")
    pid[$name]=$!
    port[$name]=$p
    wait_for_port "$p"
}

if [ "${case_name#tls13}" != "$case_name" ]; then
    start tollgate "$java" -jar "$server_jar" --host 127.0.0.1 --port PORT --cert "$work/cert.pem" --key "$work/key.pem" \
        --groups x25519 --ciphers TLS_AES_128_GCM_SHA256 --threads 1 --mode https
    start openssl openssl s_server -quiet -accept 127.0.0.1:PORT -cert "$work/cert.pem" -key "$work/key.pem" \
        -www -tls1_3 -groups x25519 -ciphersuites TLS_AES_128_GCM_SHA256
    start jsse "$java" -Djdk.tls.namedGroups=x25519 -cp "$bench_jar" org.tollgate.bench.JsseWwwServer PORT \
        "$work/cert.pem" "$work/key.pem"
else
    start tollgate "$java" -jar "$server_jar" --host 127.0.0.1 --port PORT --cert "$work/cert.pem" --key "$work/key.pem" \
        --groups x25519 --ciphers TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 --versions 1.2 --session-cache 10000 \
        --threads 1 --mode https
    start openssl openssl s_server -quiet -accept 127.0.0.1:PORT -cert "$work/cert.pem" -key "$work/key.pem" \
        -www -tls1_2 -groups x25519 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
    # SunJSSE signs a TLS 1.2 ServerKeyExchange with an EC key only when the key's curve is
    # among its named groups; x25519 stays first, so it is still the group agreed on.
    start jsse "$java" -Djdk.tls.namedGroups=x25519,secp256r1 -cp "$bench_jar" org.tollgate.bench.JsseWwwServer PORT \
        "$work/cert.pem" "$work/key.pem" TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
fi

# One s_time run against NAME; prints server CPU µs per connection and the connection count.
measure() { # name [seconds]
    local name="$1" seconds="${2:-$time_per_run}" before after out conns
    before="$(cpu_ticks "${pid[$name]}")"
    out="$(openssl s_time -connect "127.0.0.1:${port[$name]}" -time "$seconds" -www / "${s_time_args[@]}" 2>&1)"
    after="$(cpu_ticks "${pid[$name]}")"
    conns="$(echo "$out" | sed -n 's/^\([0-9]*\) connections in [0-9.]* real seconds.*/\1/p' | head -1)"
    if [ -z "$conns" ] || [ "$conns" -eq 0 ]; then
        echo "s_time against $name made no connection:" >&2
        echo "$out" >&2
        exit 1
    fi
    awk -v b="$before" -v a="$after" -v t="$ticks" -v n="$conns" 'BEGIN { printf "%.0f %d\n", (a - b) * 1e6 / t / n, n }'
}

echo "case: $case_name (s_time ${s_time_args[*]})"
"$java" -version 2>&1 | head -1
openssl version
echo "$(nproc) CPUs, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
names=(tollgate openssl jsse)
for name in "${names[@]}"; do
    echo "warm-up $name (${warmup_time} s): $(measure "$name" "$warmup_time") (µs/connection, connections)"
done
declare -A results
for run in $(seq 1 $runs); do
    for name in "${names[@]}"; do
        read -r us n <<< "$(measure "$name")"
        echo "run $run $name: $us µs server CPU per connection ($n connections)"
        results[$name]+="$us "
    done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
t="$(echo "${results[tollgate]}" | median)"
o="$(echo "${results[openssl]}" | median)"
j="$(echo "${results[jsse]}" | median)"
echo
echo "| server | server CPU µs per connection ($case_name: handshake + GET; median of $runs) | Tollgate / this |"
echo "|---|---|---|"
awk -v t="$t" -v o="$o" -v j="$j" 'BEGIN {
    printf "| Tollgate tls-server | %d | 1.00 |\n", t
    printf "| openssl s_server -www | %d | %.2f |\n", o, t / o
    printf "| SunJSSE (JsseWwwServer) | %d | %.2f |\n", j, t / j
}'
