#!/usr/bin/env bash
# End-to-end check of the page without Java: fake backend + Vite dev server + the browser test.
#
#   tests/run-e2e.sh            (from frontend/; or `npm run test:e2e`)
#
# Picks two free loopback ports, starts tests/fake-backend.mjs and Vite (node directly, not
# through npx/npm, so the pid we hold is the server itself), runs tests/chat.browser.mjs with
# FAKE_BACKEND=1 and SCREENSHOT (default tests/last-screenshot.png), then stops both process
# groups. Exit status is the browser test's. Logs: $E2E_LOG_DIR, or a temp directory that is
# removed when the test passes.
set -euo pipefail
set -m # every background job gets its own process group: killing -PGID reaches its whole tree

cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci

if [ -n "${E2E_LOG_DIR:-}" ]; then
  log_dir=$E2E_LOG_DIR
  keep_logs=1
else
  log_dir=$(mktemp -d "${TMPDIR:-/tmp}/airouter-e2e.XXXXXX")
  keep_logs=0
fi
mkdir -p "$log_dir"
status=1
export SCREENSHOT=${SCREENSHOT:-tests/last-screenshot.png}

# Two distinct ports from the OS, released just before use.
read -r backend_port frontend_port < <(node -e '
  const net = require("node:net");
  const servers = [net.createServer(), net.createServer()];
  Promise.all(servers.map((s) => new Promise((ok) => s.listen(0, "127.0.0.1", ok)))).then(() => {
    console.log(servers.map((s) => s.address().port).join(" "));
    servers.forEach((s) => s.close());
  });')

pids=()
stop_all() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for _ in $(seq 50); do # up to 5 s, then force
    local alive=0
    for pid in "${pids[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && return 0
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
}
finish() {
  stop_all
  if [ "$status" = 0 ] && [ "$keep_logs" = 0 ]; then rm -rf "$log_dir"; fi
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Waits until GET $1 answers (any HTTP status), at most $2 seconds; fails if process $3 died.
wait_http() {
  node -e '
    const [url, seconds, pid] = process.argv.slice(1);
    const deadline = Date.now() + seconds * 1000;
    (async () => {
      for (;;) {
        try { process.kill(Number(pid), 0); } catch { console.error(`process ${pid} exited before ${url} answered`); process.exit(1); }
        try { await fetch(url, { signal: AbortSignal.timeout(1000) }); process.exit(0); } catch {}
        if (Date.now() > deadline) { console.error(`${url} did not answer within ${seconds} s`); process.exit(1); }
        await new Promise((ok) => setTimeout(ok, 25));
      }
    })();' "$1" "$2" "$3"
}

millis() { date +%s%3N; }

# With STAND_IN_LLM_URL (a stand-in model server) the browser test also runs its real-stack mode;
# the fake backend then answers "tell me about …" by streaming from that server (FAKE_LLM_URL).
FAKE_LLM_URL=${STAND_IN_LLM_URL:-} node tests/fake-backend.mjs "$backend_port" >"$log_dir/fake-backend.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$backend_port/health" 10 "${pids[0]}" || { cat "$log_dir/fake-backend.log"; exit 1; }

vite_started=$(millis)
BACKEND_PORT=$backend_port node node_modules/vite/bin/vite.js --strictPort --host 127.0.0.1 --port "$frontend_port" \
  >"$log_dir/vite.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$frontend_port/" 30 "${pids[1]}" || { cat "$log_dir/vite.log"; exit 1; }
echo "vite answered on 127.0.0.1:$frontend_port after $(( $(millis) - vite_started )) ms (backend on $backend_port; logs in $log_dir)"

status=0
FAKE_BACKEND=1 node tests/chat.browser.mjs "http://127.0.0.1:$frontend_port/" || status=$?
if [ "$status" != 0 ]; then
  echo "--- vite.log"; tail -n 40 "$log_dir/vite.log"
  echo "--- fake-backend.log"; tail -n 40 "$log_dir/fake-backend.log"
fi
exit "$status"
