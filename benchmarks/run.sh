#!/usr/bin/env bash
# Builds the benchmarks and runs them on the current JDK (JAVA_HOME, else java on PATH),
# then prints Tollgate / SunJSSE ratios. Extra arguments go to JMH, e.g.
#   benchmarks/run.sh                          # everything, about 4 minutes
#   benchmarks/run.sh -i 10 Handshake          # more iterations, handshakes only
#   JAVA_HOME=/path/to/jdk-25 benchmarks/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"

# Offline first (fast); fall back to Maven Central when something is missing.
(cd "$root" && { mvn -q -o -B package -DskipTests -pl benchmarks -am || mvn -q -B package -DskipTests -pl benchmarks -am; })

"$java" -version 2>&1 | head -1
echo "$(nproc) CPUs, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
"$java" -cp "$here/target/benchmarks.jar" org.tollgate.bench.RunAll "$@"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
