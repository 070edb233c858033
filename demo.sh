#!/usr/bin/env bash
# Tollgate's main demo, in two parts that both stop by themselves:
#  1. lb-l7 demo: three HTTP backends, two lb-l7 instances terminating TLS (demo CA, one
#     shared ticket key file) and an lb-l4 in front; Tollgate's TLS client drives traffic
#     and the demo prints how each balancing algorithm and route spread it, and a TLS
#     session resumed on the other lb-l7.
#  2. the TLS handshake explained: start the TLS server with a fresh demo CA and a
#     certificate for localhost, fetch a page from it with Tollgate's own client
#     (explaining the handshake), print what both sides agreed on, and stop.
set -euo pipefail
cd "$(dirname "$0")"

echo "== building (mvn -q -DskipTests package)"
mvn -q -DskipTests package

echo
echo "== part 1: java -jar lb-l7/target/lb-l7.jar demo"
echo
java -jar lb-l7/target/lb-l7.jar demo

echo
echo "== part 2: one TLS handshake, explained"

work=$(mktemp -d)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "== starting tls-server on a free port, with a demo CA written to $work/ca.pem"
java -jar tls-server/target/tls-server.jar --host 127.0.0.1 --port 0 --demo-ca "$work/ca.pem" \
    --alpn http/1.1 --rsa-key-exchange >"$work/server.out" 2>"$work/server.err" &
server_pid=$!

port=""
for _ in $(seq 1 100); do
    port=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$work/server.out" "$work/server.err" | head -n1)
    [ -n "$port" ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then cat "$work/server.out" "$work/server.err"; exit 1; fi
    sleep 0.1
done
[ -n "$port" ] || { echo "server did not start"; cat "$work/server.out" "$work/server.err"; exit 1; }
cat "$work/server.out"

echo
echo "== tls-client --explain --cafile ca.pem --alpn http/1.1 https://localhost:$port/"
java -jar tls-client/target/tls-client.jar --explain --cafile "$work/ca.pem" --alpn http/1.1 \
    "https://localhost:$port/"

echo
echo "== the classic handshake of the textbook: TLS 1.2 with RSA key exchange"
echo "   (the client encrypts the premaster secret with the server's RSA public key; no forward secrecy,"
echo "    which is why TLS 1.3 removed it and the server accepts it here only because of --rsa-key-exchange)"
java -jar tls-client/target/tls-client.jar --cafile "$work/ca.pem" --versions 1.2 \
    --ciphers TLS_RSA_WITH_AES_128_GCM_SHA256 "https://localhost:$port/" >/dev/null

echo
echo "== the server's view of the same connections"
sleep 0.3
grep -hE "TLSv1|alert" "$work/server.out" "$work/server.err" || true

echo
echo "== a client that does not trust the demo CA is refused with a clear reason"
set +e
java -jar tls-client/target/tls-client.jar "https://localhost:$port/" >/dev/null
echo "(exit code $?: certificate refused, as curl's 60)"
set -e
