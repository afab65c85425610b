#!/usr/bin/env bash
# Runs the discagent JMH suite (see benchmarks/README.md).
#   benchmarks/run.sh           full run (~10 min on 2 cores): writes benchmarks/results/latest.{json,md}
#                               and replaces the results table in benchmarks/README.md
#   benchmarks/run.sh --smoke   one fork, one short iteration of every benchmark (~1.5 min with the build):
#                               writes benchmarks/results/smoke.{json,md}; fails if any benchmark fails
#   benchmarks/run.sh --peers [ARGS]  the agent beside reactor-pool, Vert.x's local lock and a fair Semaphore
#                               (PeerComparison, 3 rounds, ~15 min): writes benchmarks/results/peers.md
# Extra arguments after the mode go to the JVM that runs JMH's harness, e.g. -Dsomething.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ "${1:-}" = "--peers" ]; then
  shift
  echo "run.sh: building the benchmarks jar (-Pbenchmarks)..." >&2
  mvn -q -B -Pbenchmarks -DskipTests package -pl benchmarks -am
  exec java -Xms2g -Xmx2g -cp benchmarks/target/benchmarks.jar io.discagent.benchmarks.peers.PeerComparison \
    --out benchmarks/results/peers.md "$@"
fi

mode=()
readme=(--readme benchmarks/README.md)
if [ "${1:-}" = "--smoke" ]; then
  mode=(--smoke)
  readme=()
  shift
fi

echo "run.sh: building the service jar and the benchmarks jar (-Pbenchmarks)..." >&2
mvn -q -B -Pbenchmarks -DskipTests package -pl service,benchmarks -am

export DISCAGENT_JAR="$root/service/target/discagent.jar"
exec java "$@" -cp benchmarks/target/benchmarks.jar io.discagent.benchmarks.Suite \
  "${mode[@]}" --out benchmarks/results "${readme[@]}"
