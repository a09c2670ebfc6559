"""Request limits: configured per server, enforced at the configured value, advertised in GET /health."""

import contextlib
import dataclasses
import http.client
import io
import json
import re
import unittest
from typing import List, Tuple

from ai_router.catalogue import load_catalogue
from ai_router.cli import main
from ai_router.handlers import HANDLERS
from ai_router.limits import LIMITS
from ai_router.router import Router
from ai_router.server import ServerConfig
from tests.support import ROUTER_DIR, connect, request, route, spawn, start_server

DEFAULT_LIMITS = {"max_history_messages": 500, "max_query_chars": 10000, "max_body_bytes": 1048576}
SMALL = ServerConfig(request_timeout_s=5.0, max_history_messages=3, max_query_chars=50, max_body_bytes=4096)


def history(messages: int) -> List[dict]:
    return [{"role": "user" if i % 2 == 0 else "assistant", "content": f"message {i}"} for i in range(messages)]


class HealthLimitsTest(unittest.TestCase):
    def test_health_advertises_limits(self) -> None:
        status, body, _ = request(connect(self, start_server(self)), "GET", "/health")
        self.assertEqual(200, status)
        self.assertEqual(DEFAULT_LIMITS, body["limits"])
        self.assertEqual(list(DEFAULT_LIMITS), list(body["limits"]))  # the documented order

    def test_health_advertises_configured_limits(self) -> None:
        status, body, _ = request(connect(self, start_server(self, config=SMALL)), "GET", "/health")
        self.assertEqual(200, status)
        self.assertEqual({"max_history_messages": 3, "max_query_chars": 50, "max_body_bytes": 4096}, body["limits"])

    def test_health_advertises_agent_names_in_catalogue_order(self) -> None:
        catalogue = load_catalogue(None, HANDLERS.keys())
        reordered = dataclasses.replace(catalogue, agents=tuple(reversed(catalogue.agents)))
        for cat in (catalogue, reordered):
            with self.subTest(first=cat.agents[0].name):
                server = start_server(self, Router.train(cat))
                _, body, _ = request(connect(self, server), "GET", "/health")
                self.assertEqual([a.name for a in cat.agents], body["agent_names"])
                self.assertEqual(len(cat.agents), body["agents"])  # still the count
        self.assertEqual("general-chat", catalogue.agents[0].name)


class LimitEnforcementTest(unittest.TestCase):
    def test_history_limit_is_enforced_at_the_configured_value(self) -> None:
        for config, limit in ((SMALL, 3), (ServerConfig(request_timeout_s=5.0), 500)):
            with self.subTest(limit=limit):
                conn = connect(self, start_server(self, config=config))
                self.assertTrue(route(conn, "what did I just say?", history=history(limit))["success"])
                status, body, _ = request(conn, "POST", "/route", {"query": "hi", "history": history(limit + 1)})
                self.assertEqual(400, status, body)
                self.assertEqual(f"'history' has {limit + 1} messages (limit {limit})", body["error"])

    def test_query_limit_is_enforced_at_the_configured_value(self) -> None:
        conn = connect(self, start_server(self, config=SMALL))
        self.assertTrue(route(conn, "😀" * 50)["success"])  # code points, not bytes
        status, body, _ = request(conn, "POST", "/route", {"query": "a" * 51})
        self.assertEqual(400, status, body)
        self.assertIn("51 characters (limit 50)", body["error"])

    def test_body_limit_is_enforced_at_the_configured_value(self) -> None:
        conn = connect(self, start_server(self, config=SMALL))
        padding = 4096 - len(json.dumps({"query": "hi", "session_id": ""}))
        fits = json.dumps({"query": "hi", "session_id": "x" * padding}).encode()
        self.assertEqual(4096, len(fits))
        self.assertEqual(200, request(conn, "POST", "/route", fits)[0])
        status, body, _ = request(conn, "POST", "/route", fits + b" ")
        self.assertEqual(413, status, body)
        self.assertIn("4097 bytes is over the 4096-byte limit", body["error"])


class ServerConfigTest(unittest.TestCase):
    def test_out_of_range_limits_are_refused_naming_field_range_and_value(self) -> None:
        for limit in LIMITS:
            for bad in (0, -1, limit.maximum + 1, True, "10", 2.5):
                with self.subTest(field=limit.name, value=bad):
                    with self.assertRaises(ValueError) as caught:
                        ServerConfig(**{limit.name: bad})
                    self.assertEqual(f"{limit.name} must be an integer from 1 to {limit.maximum}, got {bad!r}",
                                     str(caught.exception))
            self.assertEqual(1, ServerConfig(**{limit.name: 1}).limits()[limit.name])
            self.assertEqual(limit.maximum, ServerConfig(**{limit.name: limit.maximum}).limits()[limit.name])

    def test_defaults_are_the_limits_table_defaults(self) -> None:
        self.assertEqual({limit.name: limit.default for limit in LIMITS}, ServerConfig().limits())
        self.assertEqual(DEFAULT_LIMITS, ServerConfig().limits())


def run_cli(args: List[str]) -> Tuple[int, str, str]:
    """``main(args)`` in process (only for runs that end before serving); returns code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


class LimitFlagsTest(unittest.TestCase):
    def test_bad_limit_flags_exit_2_naming_flag_and_value(self) -> None:
        for limit in LIMITS:
            for bad in ("0", "-3", str(limit.maximum + 1), "lots", "1.5"):
                with self.subTest(flag=limit.flag, value=bad):
                    code, _, err = run_cli(["--port", "0", limit.flag, bad])
                    self.assertEqual(2, code, err)
                    shown = repr(bad) if not re.fullmatch(r"-?\d+", bad) else bad
                    self.assertIn(f"[ERROR] argument {limit.flag}: must be an integer from 1 to {limit.maximum}, "
                                  f"got {shown}", err)

    def test_bad_limit_flag_process_exits_2(self) -> None:
        router = spawn(self, ["--port", "0", "--max-history-messages", "0"])
        self.assertEqual(2, router.wait_exit(10))
        self.assertIn("[ERROR] argument --max-history-messages: must be an integer from 1 to 100000, got 0",
                      router.output())

    def test_limit_flags_reach_health_and_requests(self) -> None:
        router = spawn(self, ["--port", "0", "--max-history-messages", "7", "--max-query-chars", "300",
                              "--max-body-bytes", "2048"])
        port = router.wait_ready()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        self.addCleanup(conn.close)
        _, body, _ = request(conn, "GET", "/health")
        self.assertEqual({"max_history_messages": 7, "max_query_chars": 300, "max_body_bytes": 2048}, body["limits"])
        self.assertEqual(200, request(conn, "POST", "/route", {"query": "hi", "history": history(7)})[0])
        status, body, _ = request(conn, "POST", "/route", {"query": "hi", "history": history(8)})
        self.assertEqual((400, "'history' has 8 messages (limit 7)"), (status, body["error"]))

    def test_help_documents_every_limit_flag(self) -> None:
        code, out, _ = run_cli(["--help"])
        self.assertEqual(0, code)
        text = " ".join(out.split())  # argparse wraps to the terminal width
        for limit in LIMITS:
            with self.subTest(flag=limit.flag):
                self.assertIn(f"{limit.flag} N {limit.meaning} (default {limit.default}, 1 to {limit.maximum})", text)

    def test_readme_documents_every_limit_flag(self) -> None:
        readme = ROUTER_DIR.parent / "README.md"
        if not readme.is_file():
            self.skipTest(f"no {readme} (the router is not inside its repository)")
        section = readme.read_text(encoding="utf-8").split("## python-router: the AI router", 1)[1].split("\n## ", 1)[0]
        for limit in LIMITS:
            with self.subTest(flag=limit.flag):
                self.assertIn(f"| `{limit.flag}` | `{limit.name}` | {limit.default} | 1–{limit.maximum} |", section)
        self.assertIn("`agent_names`", section)


if __name__ == "__main__":
    unittest.main()
