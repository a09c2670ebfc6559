"""Log output: --log-format text|json, the JSON fields, W3C traceparent on the access line."""

import calendar
import contextlib
import http.client
import io
import json
import logging
import os
import re
import signal
import sys
import unittest
from typing import Any, Dict, List, Optional, Tuple

from ai_router.cli import main
from ai_router.logs import (JsonFormatter, RequestContextFilter, TextFormatter, clear_request_context,
                            generation_from_env, session_prefix, set_request_context)
from ai_router.protocol import RouteRequest, RouteResult
from ai_router.router import Router
from ai_router.tracecontext import trace_id
from tests.support import (JsonLogs, StreamClient, check_answer, connect, deadline, request, shared_router, spawn,
                           start_server)

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"
VALID = f"00-{TRACE}-{PARENT}-01"
# Each malformed per W3C Trace Context: none may give a trace id, or appear in a log line or a response.
MALFORMED = {
    "one character short": VALID[:-1],
    "version 00 with more after it": VALID + "-00",
    "uppercase trace id": f"00-{TRACE.upper()}-{PARENT}-01",
    "uppercase parent id": f"00-{TRACE}-{PARENT.upper()}-01",
    "uppercase flags": f"00-{TRACE}-{PARENT}-0A",
    "uppercase version": f"0A-{TRACE}-{PARENT}-01",
    "all-zero trace id": f"00-{'0' * 32}-{PARENT}-01",
    "all-zero parent id": f"00-{TRACE}-{'0' * 16}-01",
    "version ff": f"ff-{TRACE}-{PARENT}-01",
    "non-hex trace id": f"00-{TRACE[:-1]}g-{PARENT}-01",
    "non-hex parent id": f"00-{TRACE}-{PARENT[:-1]}x-01",
    "non-hex flags": f"00-{TRACE}-{PARENT}-zz",
    "wrong separators": f"00_{TRACE}_{PARENT}_01",
    "a later version with no dash after the fields": f"01-{TRACE}-{PARENT}-01x-more",
    "a short trace id": f"00-{TRACE[:-2]}-{PARENT}ab-01",
    "empty": "",
    "free text": "trace me please, token sk-do-not-log",
}
BASE_FIELDS = {"timestamp", "level", "logger", "thread", "message"}
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def record(name: str = "ai_router.test", level: int = logging.INFO, msg: str = "hello %s", args: Tuple = ("you",),
           exc_info: Any = None, **extra: Any) -> logging.LogRecord:
    made = logging.LogRecord(name, level, __file__, 1, msg, args, exc_info)
    made.__dict__.update(extra)
    return made


class TraceparentTest(unittest.TestCase):
    def test_valid_headers_give_the_trace_id(self) -> None:
        for header in (VALID, f"00-{TRACE}-{PARENT}-00", f"01-{TRACE}-{PARENT}-01",
                       f"cc-{TRACE}-{PARENT}-01-what-the-future-holds", f" \t{VALID}\t "):
            with self.subTest(header=header):
                self.assertEqual(TRACE, trace_id([header]))

    def test_malformed_headers_give_none(self) -> None:
        for case, header in MALFORMED.items():
            with self.subTest(case=case):
                self.assertIsNone(trace_id([header]))

    def test_absent_or_repeated_headers_give_none(self) -> None:
        self.assertIsNone(trace_id(None))
        self.assertIsNone(trace_id([]))
        self.assertIsNone(trace_id([VALID, VALID]))  # as the W3C test suite: two headers are invalid


class JsonFormatterTest(unittest.TestCase):
    def format(self, made: logging.LogRecord, generation: Optional[int] = None) -> Dict[str, Any]:
        line = JsonFormatter(generation).format(made)
        self.assertEqual(1, len(line.splitlines()), line)
        self.assertTrue(line.isascii(), line)
        return json.loads(line)

    def test_base_fields(self) -> None:
        made = record(created=calendar.timegm((2026, 12, 4, 12, 34, 56)) + 0.789, msecs=789.0)
        fields = self.format(made)
        self.assertEqual({"timestamp": "2026-12-04T12:34:56.789Z", "level": "INFO", "logger": "ai_router.test",
                          "thread": made.threadName, "message": "hello you"}, fields)

    def test_timestamp_is_now_in_utc_with_milliseconds(self) -> None:
        made = record()
        stamp = self.format(made)["timestamp"]
        self.assertRegex(stamp, TIMESTAMP)
        self.assertEqual(made.created // 1, calendar.timegm(tuple(map(int, re.split(r"[-T:.]", stamp)[:6]))))

    def test_levels_have_logback_names(self) -> None:
        for level, name in ((logging.DEBUG, "DEBUG"), (logging.INFO, "INFO"), (logging.WARNING, "WARN"),
                            (logging.ERROR, "ERROR"), (logging.CRITICAL, "ERROR")):
            with self.subTest(level=name):
                self.assertEqual(name, self.format(record(level=level))["level"])

    def test_messages_have_no_text_prefixes_and_keep_their_own(self) -> None:
        self.assertEqual("boom", self.format(record(level=logging.ERROR, msg="boom", args=()))["message"])
        self.assertEqual("[OK] AI router stopped", self.format(record(msg="[OK] AI router stopped", args=()))["message"])
        access = record("ai_router.access", msg="GET /health 200 0.5 ms", args=())
        self.assertEqual("GET /health 200 0.5 ms", self.format(access)["message"])

    def test_any_message_stays_one_line_of_json(self) -> None:
        text = "line one\nline two\r\n\u2028 déjà vu \u65e5\u672c \ud800 \x00 \"quoted\" \\ end"
        self.assertEqual(text, self.format(record(msg="%s", args=(text,)))["message"])

    def test_a_traceback_is_one_line_with_stack_trace(self) -> None:
        try:
            raise ValueError("boom\nsecond line")
        except ValueError:
            made = record(level=logging.ERROR, msg="internal error", args=(), exc_info=sys.exc_info())
        fields = self.format(made)
        self.assertEqual("internal error", fields["message"])
        self.assertTrue(fields["stack_trace"].startswith("Traceback (most recent call last):"), fields)
        self.assertIn("ValueError: boom\nsecond line", fields["stack_trace"])
        self.assertNotIn("stack_trace", self.format(record()))

    def test_generation(self) -> None:
        self.assertEqual(7, self.format(record(), generation=7)["generation"])
        self.assertEqual(0, self.format(record(), generation=0)["generation"])
        self.assertNotIn("generation", self.format(record()))

    def test_access_fields_only_on_access_records(self) -> None:
        access = dict(method="GET", path="/health", status=200, duration_ms=1.5, agent=None)
        fields = self.format(record("ai_router.access", **access))
        self.assertEqual(("GET", "/health", 200, 1.5), (fields["method"], fields["path"], fields["status"],
                                                        fields["duration_ms"]))
        self.assertNotIn("agent", fields)  # unknown
        self.assertEqual(BASE_FIELDS, set(self.format(record("ai_router.server", **access))))

    def test_request_context_reaches_records_of_this_thread_and_extra_wins(self) -> None:
        context_filter = RequestContextFilter()
        self.addCleanup(clear_request_context)
        set_request_context(request_id="rid-1", trace_id=TRACE)
        set_request_context(session="01234567")
        made = record()
        context_filter.filter(made)
        self.assertEqual({"request_id": "rid-1", "trace_id": TRACE, "session": "01234567"},
                         {k: v for k, v in self.format(made).items() if k not in BASE_FIELDS})
        own = record(request_id="rid-2")
        context_filter.filter(own)
        self.assertEqual("rid-2", self.format(own)["request_id"])
        clear_request_context()
        after = record()
        context_filter.filter(after)
        self.assertEqual(BASE_FIELDS, set(self.format(after)))

    def test_session_shows_an_8_character_prefix_as_the_backend_does(self) -> None:
        self.assertEqual("01234567", session_prefix("0123456789abcdef"))
        self.assertEqual("01234567", session_prefix("012345678"))
        self.assertEqual("s?ss??on", session_prefix("s\nss\u00e9 on-long-enough"))  # printable, as the backend
        self.assertEqual("abc", session_prefix("abc"))  # the backend's Text.prefix shows a short id as it is
        self.assertEqual("01234567", session_prefix("01234567"))
        for none in (None, ""):
            self.assertIsNone(session_prefix(none))

    def test_text_formatter_is_unchanged(self) -> None:
        formatter = TextFormatter()
        for made, line in ((record(level=logging.ERROR), "[ERROR] hello you"),
                           (record(level=logging.WARNING), "[WARN] hello you"),
                           (record("ai_router.access", msg="GET / 404", args=()), "[http] GET / 404"),
                           (record(level=logging.DEBUG), "[debug] hello you"),
                           (record(msg="[*] Starting", args=()), "[*] Starting")):
            self.assertEqual(line, formatter.format(made))


class GenerationTest(unittest.TestCase):
    def test_generation_from_env(self) -> None:
        self.assertIsNone(generation_from_env({}))
        self.assertIsNone(generation_from_env({"AIROUTER_GENERATION": " "}))
        self.assertEqual(0, generation_from_env({"AIROUTER_GENERATION": "0"}))
        self.assertEqual(12, generation_from_env({"AIROUTER_GENERATION": " 12 "}))
        for bad in ("x", "-1", "1.5", "\u0663", "9" * 40):
            with self.subTest(value=bad), self.assertRaisesRegex(ValueError, r"^AIROUTER_GENERATION must be a "
                                                                             r"non-negative integer"):
                generation_from_env({"AIROUTER_GENERATION": bad})


class BrokenRouter(Router):
    def route(self, request: RouteRequest) -> RouteResult:
        raise RuntimeError("internal detail")


class RequestLogTest(unittest.TestCase):
    """In process: the router's JSON formatter and context filter on the ``ai_router`` loggers."""

    def setUp(self) -> None:
        self.logs = JsonLogs(self)
        self.server = start_server(self)
        self.conn = connect(self, self.server)

    def access(self, request_id: str) -> Dict[str, Any]:
        found = self.logs.wait_for(deadline(5), logger="ai_router.access", request_id=request_id)
        self.assertIsNotNone(found, self.logs.lines)
        return found

    def test_access_records_carry_request_and_trace_ids_on_every_endpoint(self) -> None:
        session = "5e55104e-0000-4000-8000-000000000001"
        for rid, method, path, body in (("rid-health", "GET", "/health", None),
                                        ("rid-head", "HEAD", "/health?verbose=1", None),
                                        ("rid-route", "POST", "/route", {"query": "what is 6 times 7?",
                                                                         "session_id": session}),
                                        ("rid-404", "GET", "/nowhere?x=1", None),
                                        ("rid-400", "POST", "/route", {"query": ""})):
            with self.subTest(path=path):
                status, _, _ = request(self.conn, method, path, body,
                                       {"X-Request-Id": rid, "traceparent": VALID})
                fields = self.access(rid)
                self.assertEqual(TRACE, fields["trace_id"])
                self.assertEqual((method, path.split("?")[0], status), (fields["method"], fields["path"],
                                                                         fields["status"]))
                self.assertIsInstance(fields["duration_ms"], float)
                self.assertEqual(round(fields["duration_ms"], 1), fields["duration_ms"])
                self.assertEqual(f"{method} {fields['path']} {status} {fields['duration_ms']:.1f} ms "
                                 f"agent={fields.get('agent', '-')} id={rid} trace={TRACE}", fields["message"])
        route_fields = self.access("rid-route")
        self.assertEqual(("calculator", "5e55104e"), (route_fields["agent"], route_fields["session"]))
        self.assertNotIn("agent", self.access("rid-health"))
        self.assertNotIn("session", self.access("rid-400"))  # the body was refused before its session was known
        self.assertNotIn(session, "\n".join(self.logs.lines))
        self.assertNotIn("6 times 7", "\n".join(self.logs.lines))

    def test_streamed_answers_log_the_trace_too(self) -> None:
        client = StreamClient(self, self.server.port)
        status = client.post({"query": "hello", "stream": True, "session_id": "abc"},
                             {"X-Request-Id": "rid-stream", "traceparent": VALID})
        self.assertEqual(200, status)
        check_answer(self, client.events())
        fields = self.access("rid-stream")
        self.assertEqual((TRACE, "POST", "/route", 200, "general-chat"),
                         (fields["trace_id"], fields["method"], fields["path"], fields["status"], fields["agent"]))
        self.assertEqual("abc", fields["session"])  # shorter than a prefix: shown as it is, as the backend does

    def test_without_traceparent_there_is_no_trace_id(self) -> None:
        # the same keep-alive connection (and thread) as a request that had a trace and a session
        route_status, _, _ = request(self.conn, "POST", "/route", {"query": "hi", "session_id": "0123456789"},
                                     {"X-Request-Id": "rid-before", "traceparent": VALID})
        self.assertEqual(200, route_status)
        request(self.conn, "GET", "/health", headers={"X-Request-Id": "rid-none"})
        request(self.conn, "GET", "/agents")
        self.assertEqual((TRACE, "01234567"), (self.access("rid-before")["trace_id"],
                                               self.access("rid-before")["session"]))
        fields = self.access("rid-none")
        self.assertFalse({"trace_id", "session"} & set(fields), fields)
        self.assertTrue(fields["message"].endswith(" id=rid-none trace=-"), fields)
        anonymous = self.logs.wait_for(deadline(5), logger="ai_router.access", path="/agents")
        self.assertIsNotNone(anonymous, self.logs.lines)
        self.assertFalse({"request_id", "trace_id", "session"} & set(anonymous), anonymous)
        self.assertTrue(anonymous["message"].endswith(" id=- trace=-"), anonymous)

    def test_malformed_traceparent_is_ignored_and_never_echoed(self) -> None:
        for number, (case, header) in enumerate(MALFORMED.items()):
            with self.subTest(case=case):
                rid = f"rid-bad-{number}"
                status, body, response = request(self.conn, "GET", "/health",
                                                 headers={"X-Request-Id": rid, "traceparent": header})
                self.assertEqual(200, status)
                fields = self.access(rid)
                self.assertNotIn("trace_id", fields)
                self.assertTrue(fields["message"].endswith(f" id={rid} trace=-"), fields)
                if header:
                    self.assertNotIn(header, json.dumps(body))
                    self.assertNotIn(header, str(response.getheaders()))
        logged = "\n".join(self.logs.lines)
        for header in filter(None, MALFORMED.values()):
            self.assertNotIn(header, logged)
        self.assertNotIn("sk-do-not-log", logged)

    def test_records_logged_while_handling_a_request_carry_its_ids(self) -> None:
        base = shared_router()
        server = start_server(self, BrokenRouter(base.catalogue, base.classifier))
        status, _, _ = request(connect(self, server), "POST", "/route",
                               {"query": "hi", "session_id": "0123456789abcdef"},
                               {"X-Request-Id": "rid-broken", "traceparent": VALID})
        self.assertEqual(500, status)
        error = self.logs.wait_for(deadline(5), logger="ai_router.server", level="ERROR")
        self.assertIsNotNone(error, self.logs.lines)
        self.assertEqual(("rid-broken", TRACE, "01234567"), (error["request_id"], error["trace_id"], error["session"]))
        self.assertEqual("internal error while handling POST /route", error["message"])
        self.assertIn("Traceback (most recent call last):", error["stack_trace"])
        self.assertIn("RuntimeError: internal detail", error["stack_trace"])
        self.assertEqual(500, self.access("rid-broken")["status"])
        # the next request on another connection starts with a clean context
        request(self.conn, "GET", "/health")
        plain = self.logs.wait_for(deadline(5), logger="ai_router.access", method="GET", path="/health")
        self.assertIsNotNone(plain, self.logs.lines)
        self.assertFalse({"request_id", "trace_id", "session"} & set(plain), plain)


def run_cli(args: List[str], env: Dict[str, str]) -> Tuple[int, str]:
    """``main(args, env)`` in process (only for runs that end before serving); returns code and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args, env)
    return code, err.getvalue()


def health(port: int, headers: Dict[str, str]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/health", headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


class LogFormatOptionTest(unittest.TestCase):
    def test_bad_values_are_usage_errors_naming_the_allowed_values(self) -> None:
        code, err = run_cli(["--port", "0", "--log-format", "xml"], {})
        self.assertEqual(2, code, err)
        self.assertRegex(err, r"\[ERROR\] argument --log-format: invalid choice: 'xml' \(choose from '?text'?, "
                              r"'?json'?\)")
        for env, message in (({"AIROUTER_LOG_FORMAT": "xml"}, "[ERROR] AIROUTER_LOG_FORMAT must be text or json, "
                                                               "got 'xml'"),
                             ({"AIROUTER_LOG_FORMAT": "JSON"}, "[ERROR] AIROUTER_LOG_FORMAT must be text or json, "
                                                                "got 'JSON'"),
                             ({"AIROUTER_GENERATION": "two"}, "[ERROR] AIROUTER_GENERATION must be a non-negative "
                                                               "integer")):
            with self.subTest(env=env):
                code, err = run_cli(["--port", "0"], env)
                self.assertEqual(2, code, err)
                self.assertIn(message, err)

    def test_bad_env_value_process_exits_2(self) -> None:
        router = spawn(self, ["--port", "0"], env={"AIROUTER_LOG_FORMAT": "yaml"})
        self.assertEqual(2, router.wait_exit(10))
        self.assertIn("[ERROR] AIROUTER_LOG_FORMAT must be text or json, got 'yaml'", router.output())

    def test_env_twin_and_the_flag_wins(self) -> None:
        for args, env, json_lines in (([], {"AIROUTER_LOG_FORMAT": "json"}, True),
                                      (["--log-format", "text"], {"AIROUTER_LOG_FORMAT": "json"}, False),
                                      (["--log-format", "json"], {"AIROUTER_LOG_FORMAT": "text"}, True),
                                      ([], {"AIROUTER_LOG_FORMAT": " "}, False)):
            with self.subTest(args=args, env=env):
                router = spawn(self, ["--port", "0", *args], env=env)
                router.wait_ready()
                first = router.output().splitlines()[0]
                if json_lines:
                    self.assertTrue(json.loads(first)["message"].startswith("[*] Starting AI router"), first)
                else:
                    self.assertTrue(first.startswith("[*] Starting AI router"), first)
                router.stop()

    def test_json_process_logs_one_object_per_line(self) -> None:
        router = spawn(self, ["--port", "0", "--log-format", "json"], env={"AIROUTER_GENERATION": "7"})
        port = router.wait_ready()
        self.assertEqual(200, health(port, {"X-Request-Id": "rid-p", "traceparent": VALID,
                                            "Authorization": "Bearer sk-top-secret"}))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        self.addCleanup(conn.close)
        status, _, _ = request(conn, "POST", "/route", {"query": "my secret is 7 plus 8",
                                                        "session_id": "feedface-cafe-beef"},
                               {"X-Request-Id": "rid-q", "traceparent": MALFORMED["uppercase trace id"]})
        self.assertEqual(200, status)
        self.assertIsNotNone(router.wait_for_line(r'"request_id": "rid-q"'), router.output())
        os.kill(router.proc.pid, signal.SIGTERM)
        self.assertEqual(0, router.wait_exit(deadline(5)), router.output())

        records = [json.loads(line) for line in router.output().splitlines()]
        for fields in records:
            self.assertRegex(fields["timestamp"], TIMESTAMP)
            self.assertEqual(7, fields["generation"])
            self.assertLessEqual(BASE_FIELDS, set(fields))
        startup = [r for r in records if r["logger"] == "ai_router.cli"]
        self.assertEqual({("INFO", "MainThread")}, {(r["level"], r["thread"]) for r in startup})
        self.assertTrue(all(re.match(r"\[(\*|OK)\] ", r["message"]) for r in startup), startup)
        self.assertEqual("[OK] AI router stopped", records[-1]["message"])
        access = {r["request_id"]: r for r in records if r["logger"] == "ai_router.access"}
        self.assertEqual({"timestamp", "level", "logger", "thread", "message", "request_id", "trace_id", "method",
                          "path", "status", "duration_ms", "generation"}, set(access["rid-p"]))
        self.assertEqual((TRACE, "GET", "/health", 200), (access["rid-p"]["trace_id"], access["rid-p"]["method"],
                                                          access["rid-p"]["path"], access["rid-p"]["status"]))
        self.assertEqual({"timestamp", "level", "logger", "thread", "message", "request_id", "session", "method",
                          "path", "status", "duration_ms", "agent", "generation"}, set(access["rid-q"]))
        self.assertEqual(("feedface", "calculator"), (access["rid-q"]["session"], access["rid-q"]["agent"]))
        output = router.output()
        for never in ("secret", "sk-top", "Bearer", "feedface-cafe-beef", MALFORMED["uppercase trace id"]):
            self.assertNotIn(never, output)

    def test_json_lines_have_no_generation_without_the_env(self) -> None:
        router = spawn(self, ["--port", "0", "--log-format", "json"])
        router.wait_ready()
        self.assertFalse([line for line in router.output().splitlines() if "generation" in json.loads(line)])

    def test_text_access_line_has_the_trace(self) -> None:
        router = spawn(self, ["--port", "0"], env={"AIROUTER_GENERATION": "3"})
        port = router.wait_ready()
        health(port, {"X-Request-Id": "rid-t", "traceparent": VALID})
        health(port, {"X-Request-Id": "rid-u", "traceparent": MALFORMED["version ff"]})
        for pattern in (rf"^\[http\] GET /health 200 \d+\.\d ms agent=- id=rid-t trace={TRACE}$",
                        r"^\[http\] GET /health 200 \d+\.\d ms agent=- id=rid-u trace=-$"):
            self.assertIsNotNone(router.wait_for_line(pattern), router.output())
        self.assertNotIn(MALFORMED["version ff"], router.output())
        self.assertFalse([line for line in router.output().splitlines() if line.startswith("{")])


if __name__ == "__main__":
    unittest.main()
