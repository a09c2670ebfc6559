#!/usr/bin/env bash
# Runs every benchmark the project has and writes benchmarks/RESULTS.md.
#   benchmarks/run.sh            # everything (about 45-50 minutes on 2 cores)
#   benchmarks/run.sh lifecycle  # one part: lifecycle | session | backend | launcher
# Each figure is a median with its spread over repeated runs, beside a baseline measured in the
# same run. Run it on a quiet machine: other load skews every figure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PARTS=("${@:-lifecycle session backend launcher}")
PARTS=(${PARTS[@]})

mvn -B -q -DskipTests install
# the Express peer of PeerBenchmark (pinned in its package-lock.json)
(cd benchmarks/peers/express && npm ci --no-audit --no-fund --silent)
mvn -B -q -pl benchmarks dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
CP="benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)"
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# The launcher of the commit before the router pool (issue 16), built in a temporary copy of that
# commit (git archive; package only, nothing installed), for RouterPoolBenchmark's dispatch cost.
POOL_COMMIT=ed45d51
baseline_launcher() {
  local dir="$OUT/before-pool"
  mkdir -p "$dir"
  git archive "$POOL_COMMIT~1" | tar -x -C "$dir"
  (cd "$dir" && mvn -B -q -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip package -pl launcher -am) >&2
  echo "$dir/launcher/target/launcher.jar"
}

run() { # name, main class, args...
  local name=$1; shift
  echo "== $name" >&2
  "$JAVA" -cp "$CP" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn "$@" | tee -a "$OUT/$name.md" >&2
}

for part in "${PARTS[@]}"; do
  case "$part" in
    lifecycle) run lifecycle dev.airouter.benchmarks.lifecycle.LifecycleBenchmark 20
               run lifecycle dev.airouter.benchmarks.lifecycle.PoolBenchmark 10 ;;
    session)   run session dev.airouter.benchmarks.session.SessionStoreBenchmarkMain 3 5 3
               run session dev.airouter.benchmarks.session.SessionStoreCostProbe 20000 3
               run session dev.airouter.benchmarks.session.StoreTopologyBenchmark 5 3 5 ;;
    backend)   run backend dev.airouter.benchmarks.backend.BackendLoadBenchmark 5 memory
               run backend dev.airouter.benchmarks.backend.BackendLoadBenchmark 5 redis
               run backend dev.airouter.benchmarks.backend.HandOffProbe 100000 5
               run backend dev.airouter.benchmarks.backend.RouterPoolBenchmark 8 5 "$(baseline_launcher)"
               run backend dev.airouter.benchmarks.backend.ReloadBenchmark 3
               run backend dev.airouter.benchmarks.backend.StreamBenchmark 5 40 5 200
               run backend dev.airouter.benchmarks.backend.PeerBenchmark launcher/target/launcher.jar 10 3 memory,redis 30
               run backend dev.airouter.benchmarks.backend.MetricsOverheadBenchmark launcher/target/launcher.jar 8 10 2 60 500 4 ;;
    launcher)  run launcher dev.airouter.benchmarks.launcher.LauncherBenchmark "$ROOT" 5
               run launcher dev.airouter.benchmarks.launcher.ReadyToListenBenchmark "$ROOT" 20
               run launcher dev.airouter.benchmarks.launcher.DevReloadBenchmark "$ROOT" 10 ;;
    *) echo "unknown part: $part (lifecycle | session | backend | launcher)" >&2; exit 2 ;;
  esac
done

{
  echo "# Benchmark results"
  echo
  echo "Produced by \`benchmarks/run.sh\` on $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)."
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)," \
       "$("$JAVA" -version 2>&1 | head -1), $(python3 --version 2>&1), node $(node --version 2>/dev/null || echo -)."
  echo "Every figure: median / p90 (or spread) over repeated runs; ratios against a baseline measured in the same run."
  for part in "${PARTS[@]}"; do
    echo
    case "$part" in
      lifecycle) echo "## router-lifecycle (baseline: fixed 1 s health polling; ProcessPool: one process, a fixed-port pool)" ;;
      session)   echo "## session-store (JMH; baseline: the same operations as raw Lettuce commands)" ;;
      backend)   echo "## chat-backend (baseline: the router's /route called directly; router pool: fixture routers called directly, and the backend before the pool)" ;;
      launcher)  echo "## launcher" ;;
    esac
    echo
    cat "$OUT/$part.md" # each part prints its own tables and fenced details
  done
} > benchmarks/RESULTS.md.new
if [ "${#PARTS[@]}" -lt 4 ] && [ -f benchmarks/RESULTS.md ]; then
  echo "partial run: wrote benchmarks/RESULTS.md.new (RESULTS.md keeps the full report)" >&2
else
  mv benchmarks/RESULTS.md.new benchmarks/RESULTS.md
  echo "wrote benchmarks/RESULTS.md" >&2
fi
