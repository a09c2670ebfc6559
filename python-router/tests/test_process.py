"""The router as a real child process: start-up lines, exit codes, signals and lifelines."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.support import READY, deadline, pid_alive, spawn, wait_until


def get_health(port: int) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/health")
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


class StartupTest(unittest.TestCase):
    def test_prints_progress_then_one_ready_line(self) -> None:
        router = spawn(self, ["--port", "0"])
        port = router.wait_ready()
        self.assertEqual("ai-router", get_health(port)["service"])
        lines = router.output().splitlines()
        ready = [line for line in lines if READY.search(line)]
        self.assertEqual(1, len(ready), lines)
        self.assertRegex(ready[0], r"^\[OK\] AI router ready on http://127\.0\.0\.1:\d+ \(9 agents, \d+ ms; "
                                   r"listening since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\)$")
        before = lines[:lines.index(ready[0])]
        self.assertTrue(before and all(line.startswith("[*] ") for line in before), before)

    def test_ready_line_tells_when_the_socket_started_listening(self) -> None:
        before = datetime.now(timezone.utc)
        router = spawn(self, ["--port", "0"])
        router.wait_ready()
        after = datetime.now(timezone.utc)
        match = router.wait_for_line(READY.pattern)
        listening = datetime.strptime(match.group(5), "%Y-%m-%dT%H:%M:%S.%f%z")
        self.assertEqual(timezone.utc, listening.tzinfo)
        # Same machine, same clock: between spawning and reading the line (the clock's granularity aside).
        self.assertLessEqual(before - timedelta(milliseconds=1), listening)
        self.assertLessEqual(listening, after + timedelta(milliseconds=1))
        print(f"\n[process] listening {(listening - before).total_seconds() * 1000:.0f} ms after spawn, "
              f"ready line read {(after - listening).total_seconds() * 1000:.1f} ms later")

    def test_port_comes_from_router_port(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        router = spawn(self, [], env={"ROUTER_PORT": str(port)})
        self.assertEqual(port, router.wait_ready())

    def test_a_backend_that_spawns_the_router_is_named_in_health(self) -> None:
        router = spawn(self, ["--port", "0"], env={"AIROUTER_SPAWNED_BY": "web-1", "AIROUTER_SPAWNER_PID": "4242"})
        port = router.wait_ready()
        self.assertEqual({"instance_id": "web-1", "pid": 4242}, get_health(port)["spawned_by"])
        self.assertIn("[*] Spawned by airouter instance web-1 (pid 4242)", router.output())

    def test_port_in_use_fails_naming_the_port(self) -> None:
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen(1)
            port = busy.getsockname()[1]
            router = spawn(self, ["--port", str(port)])
            self.assertEqual(1, router.wait_exit(10))
        self.assertRegex(router.output(), rf"\[ERROR\] port {port} on 127\.0\.0\.1 is already in use")

    def test_bad_catalogue_fails_with_its_path(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp, "agents.json")
            path.write_text('{"agents": [{"name": "x"}]}', encoding="utf-8")
            router = spawn(self, ["--port", "0", "--agents", str(path)])
            self.assertEqual(1, router.wait_exit(10))
        self.assertIn(f"[ERROR] agent catalogue {path}: agents[0] (x).description", router.output())
        self.assertNotIn("Traceback", router.output())

    def test_usage_errors_exit_2(self) -> None:
        for args, env, message in ((["--port", "http"], {}, "port must be an integer"),
                                   (["--lifeline", "rope"], {}, "invalid choice"),
                                   ([], {"ROUTER_PORT": "99999"}, "[ERROR] ROUTER_PORT"),
                                   ([], {"AIROUTER_SPAWNED_BY": "web-1", "AIROUTER_SPAWNER_PID": "x"},
                                    "[ERROR] AIROUTER_SPAWNER_PID must be a positive integer"),
                                   ([], {"AIROUTER_SPAWNER_PID": "4242"},
                                    "[ERROR] AIROUTER_SPAWNED_BY must name"),
                                   ([], {"AIROUTER_SPAWNED_BY": "web-1"}, "[ERROR] AIROUTER_SPAWNER_PID must be set")):
            with self.subTest(args=args, env=env):
                router = spawn(self, args, env=env)
                self.assertEqual(2, router.wait_exit(10))
                self.assertIn(message, router.output())

    def test_bad_llm_settings_fail_at_start(self) -> None:
        router = spawn(self, ["--port", "0"], env={"ROUTER_LLM_URL": "ftp://nowhere"})
        self.assertEqual(1, router.wait_exit(10))
        self.assertIn("[ERROR] ROUTER_LLM_URL must be an http(s) URL", router.output())

    def test_access_log_has_no_message_text(self) -> None:
        router = spawn(self, ["--port", "0"])
        port = router.wait_ready()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        self.addCleanup(conn.close)
        conn.request("POST", "/route", body=json.dumps({"query": "my secret is 7 plus 8"}),
                     headers={"Content-Type": "application/json", "X-Request-Id": "rid-7"})
        response = conn.getresponse()
        response.read()
        self.assertEqual(200, response.status)
        line = router.wait_for_line(r"\[http\] POST /route 200 [\d.]+ ms agent=\S+ id=rid-7")
        self.assertIsNotNone(line, router.output())
        self.assertNotIn("secret", router.output())


class StopTest(unittest.TestCase):
    def assert_stops_on(self, signum: int) -> None:
        router = spawn(self, ["--port", "0"])
        port = router.wait_ready()
        idle = http.client.HTTPConnection("127.0.0.1", port, timeout=5)  # an idle keep-alive connection
        self.addCleanup(idle.close)
        idle.request("GET", "/health")
        idle.getresponse().read()
        started = time.monotonic()
        os.kill(router.proc.pid, signum)
        self.assertEqual(0, router.wait_exit(deadline(1.0)), router.output())
        print(f"\n[process] exit after {signal.Signals(signum).name}: {(time.monotonic() - started) * 1000:.0f} ms")
        self.assertIn(f"[*] Stopping: {signal.Signals(signum).name}", router.output())

    def test_sigterm_exits_zero_within_one_second(self) -> None:
        self.assert_stops_on(signal.SIGTERM)

    def test_sigint_exits_zero_within_one_second(self) -> None:
        self.assert_stops_on(signal.SIGINT)


class LifelineTest(unittest.TestCase):
    def test_stdin_lifeline_exits_on_eof(self) -> None:
        router = spawn(self, ["--port", "0", "--lifeline", "stdin"], stdin=subprocess.PIPE)
        router.wait_ready()
        router.proc.stdin.write(b"anything written is ignored\n")
        router.proc.stdin.flush()
        router.proc.stdin.close()
        self.assertEqual(0, router.wait_exit(deadline(2.0)), router.output())
        self.assertIn("stdin closed", router.output())

    def test_no_lifeline_by_default(self) -> None:
        router = spawn(self, ["--port", "0"], stdin=subprocess.PIPE)
        port = router.wait_ready()
        router.proc.stdin.close()
        self.assertIsNone(router.wait_exit(0.5))
        self.assertEqual("ok", get_health(port)["status"])

    def test_ppid_lifeline_exits_when_the_parent_dies(self) -> None:
        parent_code = ("import subprocess, sys, time\n"
                       "subprocess.Popen([sys.executable, '-m', 'ai_router', '--port', '0', '--lifeline', 'ppid'])\n"
                       "time.sleep(60)\n")
        parent = spawn(self, [], command=[sys.executable, "-c", parent_code])
        parent.wait_ready()
        match = parent.wait_for_line(r"Starting AI router .* pid (\d+)\)")
        self.assertIsNotNone(match, parent.output())
        child = int(match.group(1))
        self.addCleanup(lambda: pid_alive(child) and os.kill(child, signal.SIGKILL))
        os.kill(parent.proc.pid, signal.SIGKILL)
        parent.proc.wait(5)
        started = time.monotonic()
        self.assertTrue(wait_until(lambda: not pid_alive(child), deadline(2.0)), "router outlived its parent")
        print(f"\n[process] ppid lifeline exit after {(time.monotonic() - started) * 1000:.0f} ms")


if __name__ == "__main__":
    unittest.main()
