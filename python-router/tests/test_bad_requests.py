import json
import socket
import time
import unittest
from typing import Optional, Tuple

from ai_router.protocol import MAX_QUERY_CHARS
from ai_router.server import ServerConfig
from ai_router.protocol import RouteRequest, RouteResult
from ai_router.router import Router
from tests.support import connect, request, route, shared_router, start_server


def raw_exchange(port: int, data: bytes, timeout: float = 5.0) -> Tuple[bytes, float]:
    """Send bytes on a fresh socket, read until the server closes it; returns reply and seconds taken."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks), time.monotonic() - started


def split(reply: bytes) -> Tuple[int, dict, str]:
    head, _, body = reply.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body.decode()), head.decode("latin-1")


class BadRequestTest(unittest.TestCase):
    def setUp(self) -> None:
        self.server = start_server(self)
        self.conn = connect(self, self.server)

    def assert_error(self, status: int, body: object, expected_status: int, fragment: str,
                     raw: Optional[bytes] = None, headers: Optional[dict] = None) -> None:
        got_status, payload, _ = request(self.conn, "POST", "/route", raw if raw is not None else body, headers)
        self.assertEqual(expected_status, got_status, payload)
        self.assertIs(False, payload["success"])
        self.assertIn(fragment, payload["error"])
        self.assertNotIn("Traceback", payload["error"])

    def test_malformed_json(self) -> None:
        for raw in (b"{", b"{'query': 'hi'}", b"", b"nul", b"{\"query\": \"hi\"} trailing"):
            with self.subTest(raw=raw):
                self.assert_error(0, None, 400, "malformed JSON", raw=raw)

    def test_deeply_nested_json(self) -> None:
        self.assert_error(0, None, 400, "", raw=b"[" * 100000 + b"]" * 100000)

    def test_invalid_utf8(self) -> None:
        self.assert_error(0, None, 400, "not valid UTF-8", raw=b'{"query": "caf\xe9"}')

    def test_wrong_types(self) -> None:
        cases = [
            ([1, 2], "must be a JSON object, got array"),
            ({}, "'query' is required"),
            ({"query": 5}, "'query' is required and must be a string, got number"),
            ({"query": None}, "'query' is required"),
            ({"query": ["hi"]}, "got array"),
            ({"query": "hi", "session_id": 7}, "'session_id' must be a string"),
            ({"query": "hi", "agent": True}, "'agent' must be a string"),
            ({"query": "hi", "history": "Hello"}, "'history' must be a list"),
            ({"query": "hi", "history": ["Hello"]}, "history[0] must be an object"),
            ({"query": "hi", "history": [{"role": "robot", "content": "x"}]}, "history[0].role must be one of"),
            ({"query": "hi", "history": [{"role": "user", "content": 3}]}, "history[0].content must be a string"),
        ]
        for body, fragment in cases:
            with self.subTest(body=body):
                self.assert_error(0, body, 400, fragment)

    def test_json_that_is_not_an_object(self) -> None:
        for raw, kind in ((b'"hi"', "string"), (b"null", "null"), (b"42", "number"), (b"true", "boolean")):
            with self.subTest(raw=raw):
                self.assert_error(0, None, 400, f"must be a JSON object, got {kind}", raw=raw)

    def test_empty_and_whitespace_queries(self) -> None:
        for query in ("", " ", "\n\t  \u3000"):
            with self.subTest(query=query):
                self.assert_error(0, {"query": query}, 400, "must not be empty")

    def test_oversized_query_is_counted_in_code_points(self) -> None:
        self.assert_error(0, {"query": "a" * (MAX_QUERY_CHARS + 1)}, 400, f"limit {MAX_QUERY_CHARS}")
        # 10,000 emoji are 40,000 UTF-8 bytes but exactly at the code point limit: accepted.
        self.assertEqual(True, route(self.conn, "😀" * MAX_QUERY_CHARS)["success"])
        self.assertGreaterEqual(MAX_QUERY_CHARS, 8000)

    def test_any_json_string_is_a_valid_query(self) -> None:
        for query in ("😀🚀", "nul\u0000byte", "日本語で話せますか", "مرحبا", "\ud800 lone surrogate", "<script>",
                      "\"quoted\" \\ back", "Ω≈ç√∫"):
            with self.subTest(query=query):
                body = route(self.conn, query)
                self.assertTrue(body["content"])

    def test_unknown_path_is_404_and_keeps_the_connection(self) -> None:
        for method, path in (("GET", "/nope"), ("POST", "/route/extra"), ("DELETE", "/")):
            with self.subTest(path=path):
                status, body, _ = request(self.conn, method, path, {"query": "hi"} if method == "POST" else None)
                self.assertEqual(404, status)
                self.assertIn("no such path", body["error"])
        self.assertEqual(200, request(self.conn, "GET", "/health")[0])

    def test_wrong_method_is_405_with_allow(self) -> None:
        for method, path, allow in (("GET", "/route", "POST"), ("PUT", "/route", "POST"),
                                    ("POST", "/health", "GET, HEAD"), ("DELETE", "/health", "GET, HEAD")):
            with self.subTest(method=method, path=path):
                status, body, response = request(self.conn, method, path)
                self.assertEqual(405, status)
                self.assertEqual(allow, response.getheader("Allow"))
                self.assertIn("not allowed", body["error"])

    def test_unknown_method_verb_is_405(self) -> None:
        reply, _ = raw_exchange(self.server.port, b"BREW /route HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        status, body, _ = split(reply)
        self.assertEqual(405, status)
        self.assertIs(False, body["success"])

    def test_body_over_one_mebibyte_is_refused_before_reading(self) -> None:
        head = (b"POST /route HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1048577\r\n\r\n")
        reply, seconds = raw_exchange(self.server.port, head + b'{"query": "')  # body never completed
        status, body, headers = split(reply)
        self.assertEqual(413, status)
        self.assertIn("over the 1048576-byte limit", body["error"])
        self.assertIn("Connection: close", headers)
        self.assertLess(seconds, 2.0)

    def test_expect_continue_over_the_limit_gets_413_without_100(self) -> None:
        head = (b"POST /route HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\nExpect: 100-continue\r\n\r\n")
        reply, _ = raw_exchange(self.server.port, head)
        self.assertTrue(reply.startswith(b"HTTP/1.1 413 "), reply[:40])

    def test_expect_continue_within_the_limit_gets_100_then_200(self) -> None:
        body = b'{"query": "2+2"}'
        head = (b"POST /route HTTP/1.1\r\nHost: x\r\nConnection: close\r\nExpect: 100-continue\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body))
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=5) as sock:
            sock.sendall(head)
            self.assertEqual(b"HTTP/1.1 100 Continue\r\n\r\n", sock.recv(25))
            sock.sendall(body)
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        self.assertEqual(200, split(reply)[0])

    def test_post_without_length_is_411(self) -> None:
        reply, _ = raw_exchange(self.server.port, b"POST /route HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(411, split(reply)[0])
        reply, _ = raw_exchange(self.server.port, b"POST /route HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                                  b"\r\n5\r\nhello\r\n0\r\n\r\n")
        status, body, headers = split(reply)
        self.assertEqual(411, status)
        self.assertIn("Content-Length", body["error"])
        self.assertIn("Connection: close", headers)

    def test_invalid_content_length_is_400(self) -> None:
        for value in (b"abc", b"-1", b"1_0", b"99999999999999999999999"):
            with self.subTest(value=value):
                reply, _ = raw_exchange(self.server.port, b"POST /route HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                        + value + b"\r\n\r\n")
                status, body, _ = split(reply)
                self.assertEqual(400, status)
                self.assertIn("Content-Length", body["error"])

    def test_conflicting_content_lengths_are_400_and_close(self) -> None:
        body = b'{"query": "hello"}'
        reply, _ = raw_exchange(self.server.port, b"POST /route HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                + str(len(body)).encode() + b"\r\nContent-Length: 3\r\n\r\n" + body)
        status, payload, headers = split(reply)
        self.assertEqual(400, status)
        self.assertIn("conflicting Content-Length", payload["error"])
        self.assertIn("Connection: close", headers)

    def test_repeated_identical_content_length_is_accepted(self) -> None:
        body = b'{"query": "2+2"}'
        length = str(len(body)).encode()
        reply, _ = raw_exchange(self.server.port, b"POST /route HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                b"Content-Length: " + length + b"\r\nContent-Length: " + length + b"\r\n\r\n" + body)
        status, payload, _ = split(reply)
        self.assertEqual(200, status)
        self.assertEqual("2 + 2 = 4", payload["content"])

    def test_malformed_request_line_gets_json_400(self) -> None:
        reply, _ = raw_exchange(self.server.port, b"THIS IS NOT HTTP AT ALL\r\n\r\n")
        status, body, _ = split(reply)
        self.assertEqual(400, status)
        self.assertIs(False, body["success"])

    def test_oversized_headers_get_json_431(self) -> None:
        reply, _ = raw_exchange(self.server.port, b"GET /health HTTP/1.1\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n")
        status, body, _ = split(reply)
        self.assertEqual(431, status)
        self.assertIs(False, body["success"])


class BrokenRouter(Router):
    def route(self, request: RouteRequest) -> RouteResult:
        raise RuntimeError("secret internal detail")


class InternalErrorTest(unittest.TestCase):
    def test_a_crashing_handler_gives_json_500_without_a_traceback(self) -> None:
        base = shared_router()
        server = start_server(self, BrokenRouter(base.catalogue, base.classifier))
        conn = connect(self, server)
        with self.assertLogs("ai_router.server", "ERROR") as logs:
            status, body, response = request(conn, "POST", "/route", {"query": "hi"})
        self.assertEqual(500, status)
        self.assertEqual({"success": False, "error": "internal error (see the router log)"}, body)
        self.assertEqual("close", response.getheader("Connection"))
        self.assertIn("RuntimeError: secret internal detail", "\n".join(logs.output))
        self.assertEqual(200, request(connect(self, server), "GET", "/health")[0])


class StalledRequestTest(unittest.TestCase):
    def setUp(self) -> None:
        self.server = start_server(self, config=ServerConfig(request_timeout_s=0.5))

    def test_half_sent_body_times_out_and_frees_the_thread(self) -> None:
        stalled = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
        self.addCleanup(stalled.close)
        stalled.sendall(b"POST /route HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"query\": \"he")
        conn = connect(self, self.server)
        self.assertEqual("2 + 2 = 4", route(conn, "2+2")["content"])  # others are served meanwhile
        started = time.monotonic()
        reply = b""
        while chunk := stalled.recv(65536):
            reply += chunk
        self.assertLess(time.monotonic() - started, 3.0)
        status, body, headers = split(reply)
        self.assertEqual(408, status)
        self.assertIn("not received completely", body["error"])
        self.assertIn("Connection: close", headers)

    def test_body_trickling_in_is_cut_off_at_the_request_timeout(self) -> None:
        trickle = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
        self.addCleanup(trickle.close)
        trickle.sendall(b"POST /route HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        started = time.monotonic()
        trickle.settimeout(0.1)
        reply = b""
        while time.monotonic() - started < 4.0:  # one byte every 0.1 s: each read is well within 0.5 s
            try:
                trickle.sendall(b" ")
            except OSError:
                pass
            try:
                chunk = trickle.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                break
            if not chunk:
                break
            reply += chunk
        self.assertLess(time.monotonic() - started, 2.0, reply[:60])
        status, body, headers = split(reply)
        self.assertEqual(408, status)
        self.assertIn("not received completely", body["error"])

    def test_half_sent_headers_are_dropped(self) -> None:
        reply, seconds = raw_exchange(self.server.port, b"POST /route HTTP/1.1\r\nHost: x\r\nContent-Le")
        self.assertLess(seconds, 3.0)
        self.assertTrue(reply == b"" or reply.startswith(b"HTTP/1.1 408"), reply[:40])

    def test_idle_keep_alive_connection_is_closed_quietly(self) -> None:
        reply, seconds = raw_exchange(self.server.port, b"")
        self.assertEqual(b"", reply)
        self.assertLess(seconds, 3.0)


if __name__ == "__main__":
    unittest.main()
