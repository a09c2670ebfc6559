"""POST /route with "stream": true for the built-in agents: events, framing, errors, the unchanged default."""

import re
import threading
import unittest
from unittest import mock

from ai_router.handlers import HANDLERS, Reply
from ai_router.protocol import BadRequest, RouteRequest
from tests.support import (LogCapture, StreamClient, check_answer, connect, deadline, open_sockets, request,
                           route, shared_router, start_server, stream_route, wait_until)

LATENCIES = ("classification_latency_ms", "latency_ms")
META_FIELDS = {"agent", "confidence", "reasoning", "fallback_triggered", "classification_latency_ms"}
# Newlines, CR, JSON-significant characters, U+2028/2029 and NEL (str.splitlines splits there), an emoji
AWKWARD = "line one\nline two\r\nthree\rfour\u2028five\u2029six\x85seven \U0001F680 \"quoted\" back\\slash\t"


def without_latencies(body: dict) -> dict:
    return {k: v for k, v in body.items() if k not in LATENCIES}


class StreamingTest(unittest.TestCase):
    def setUp(self) -> None:
        self.server = start_server(self)

    def test_builtin_agent_streams_meta_deltas_then_done(self) -> None:
        client = StreamClient(self, self.server.port)
        self.assertEqual(200, client.post({"query": "what can you do?", "stream": True}, {"X-Request-Id": "s-1"}))
        self.assertEqual({"content-type": "text/event-stream; charset=utf-8",
                          "cache-control": "no-cache, no-transform", "x-accel-buffering": "no",
                          "transfer-encoding": "chunked", "connection": "keep-alive", "x-request-id": "s-1"},
                         {k: v for k, v in client.headers.items() if k not in ("server", "date")})
        events = client.events()
        done = check_answer(self, events)
        meta = events[0].data
        self.assertEqual(META_FIELDS, set(meta))
        self.assertEqual(("help", False), (meta["agent"], meta["fallback_triggered"]))
        self.assertGreater(len(events), 10)  # word-sized pieces
        self.assertEqual(without_latencies(route(connect(self, self.server), "what can you do?")),
                         without_latencies(done))
        self.assertEqual((meta["agent"], meta["confidence"], meta["reasoning"]),
                         (done["agent"], done["confidence"], done["reasoning"]))

    def test_every_builtin_handler_streams(self) -> None:
        for query in ("hello", "what is 12 times 7?", "what time is it?", "what was my first question?",
                      "purple monkey dishwasher", "schedule a backup every night"):
            with self.subTest(query=query):
                done = check_answer(self, stream_route(self, self.server.port, {"query": query}))
                self.assertIs(True, done["success"])

    def test_stream_false_answers_exactly_as_without_the_field(self) -> None:
        conn = connect(self, self.server)
        for query in ("hello", "what is 2 + 2?"):
            with self.subTest(query=query):
                plain = route(conn, query)
                self.assertEqual(without_latencies(plain), without_latencies(route(conn, query, stream=False)))
                self.assertEqual(list(plain), list(route(conn, query, stream=False)))  # same fields, same order

    def test_stream_must_be_a_boolean(self) -> None:
        conn = connect(self, self.server)
        for value, kind in (("yes", "string"), (1, "number"), (None, "null"), ([], "array")):
            with self.subTest(value=value):
                status, body, _ = request(conn, "POST", "/route", {"query": "hi", "stream": value})
                self.assertEqual((400, False), (status, body["success"]))
                self.assertEqual(f"'stream' must be a boolean, got {kind}", body["error"])

    def test_validation_errors_stay_json_when_streaming(self) -> None:
        client = StreamClient(self, self.server.port)
        self.assertEqual(400, client.post({"query": "hi", "agent": "wizard", "stream": True}))
        self.assertEqual("application/json; charset=utf-8", client.headers["content-type"])
        body = client.json_body()
        self.assertIn("unknown agent 'wizard'", body["error"])
        self.assertIn("general-chat", body["valid_agents"])
        self.assertEqual(400, client.post({"query": "  ", "stream": True}))
        self.assertIn("'query' must not be empty", client.json_body()["error"])

    def test_connection_stays_usable_after_a_stream(self) -> None:
        client = StreamClient(self, self.server.port)
        for query in ("hello", "2+2", "what time is it?"):
            self.assertEqual(200, client.post({"query": query, "stream": True}))
            check_answer(self, client.events())
        self.assertEqual(200, client.post({"query": "3+4"}))
        self.assertEqual("3 + 4 = 7", client.json_body()["content"])

    def test_pipelined_request_waits_its_turn_and_is_not_eaten(self) -> None:
        client = StreamClient(self, self.server.port)
        second = b'{"query": "5+5"}'
        pipelined = b"POST /route HTTP/1.1\r\nContent-Length: %d\r\n\r\n%s" % (len(second), second)
        self.assertEqual(200, client.post({"query": "what can you do?", "stream": True}, pipelined=pipelined))
        check_answer(self, client.events())
        self.assertEqual(200, client.read_head())
        self.assertEqual("5 + 5 = 10", client.json_body()["content"])

    def test_awkward_characters_keep_every_event_on_one_line(self) -> None:
        history = [{"role": "user", "content": AWKWARD}, {"role": "assistant", "content": "noted"}]
        done = check_answer(self, stream_route(self, self.server.port,
                                               {"query": "What did I just say?", "history": history}))
        self.assertEqual("conversation-recall", done["agent"])
        self.assertIn(AWKWARD, done["content"])

    def test_lone_surrogates_fall_back_to_ascii_escapes(self) -> None:
        body = b'{"query": "What did I just say?", "stream": true, "history": [' \
               b'{"role": "user", "content": "half \\ud800 a pair \\udfff"}, {"role": "assistant", "content": "ok"}]}'
        client = StreamClient(self, self.server.port)
        self.assertEqual(200, client.post(body))
        done = check_answer(self, client.events())
        self.assertIn("half \ud800 a pair \udfff", done["content"])

    def test_a_one_mebibyte_answer_streams_intact(self) -> None:
        word = (re.sub(r"\s", "_", AWKWARD) * 3000)[:65534]  # no white space: one piece per word
        big = "\r\u2028\n".join([word] * 16)
        with mock.patch.dict(HANDLERS, {"general_chat": lambda ctx: Reply(big)}):
            events = stream_route(self, self.server.port, {"query": "hello"})
        done = check_answer(self, events)
        self.assertEqual(big, done["content"])
        self.assertEqual(16, len(events) - 2)
        self.assertGreater(len(big.encode()), 1024 * 1024)

    def test_http_1_0_client_gets_the_events_until_the_connection_closes(self) -> None:
        client = StreamClient(self, self.server.port)
        self.assertEqual(200, client.post({"query": "hello", "stream": True}, version="HTTP/1.0"))
        self.assertNotIn("transfer-encoding", client.headers)
        self.assertEqual("close", client.headers["connection"])
        check_answer(self, client.events())

    def test_no_thread_or_socket_is_left_behind(self) -> None:
        conn = connect(self, self.server)
        route(conn, "hello")
        threads, sockets = threading.active_count(), open_sockets()
        for _ in range(5):
            check_answer(self, stream_route(self, self.server.port, {"query": "what can you do?"}))
        client = StreamClient(self, self.server.port)  # and one that leaves mid-answer
        client.post({"query": "what can you do?", "stream": True})
        client.next_event()
        client.close()
        self.assertTrue(wait_until(lambda: (threading.active_count(), open_sockets()) == (threads, sockets),
                                   deadline(5)), (threading.active_count(), threads, open_sockets(), sockets))

    def test_a_failed_write_ends_the_answer_quietly(self) -> None:
        class Blind:  # no watcher: only the writes can notice the client leaving
            def __init__(self, *args: object) -> None:
                pass

            def close(self) -> None:
                pass

        logs = LogCapture(self, "ai_router.server")
        threads = threading.active_count()
        words = "word " * 200_000
        with mock.patch.dict(HANDLERS, {"general_chat": lambda ctx: Reply(words)}), \
                mock.patch("ai_router.server.ClientWatcher", Blind):
            client = StreamClient(self, self.server.port)
            client.post({"query": "hello", "stream": True}, {"X-Request-Id": "write-fails"})
            self.assertEqual("meta", client.next_event().name)
            client.close()
            found = logs.wait_for(r"^request write-fails: cancelled after (\d+) chars$", deadline(10))
        self.assertIsNotNone(found, logs.messages)
        self.assertLess(int(found.group(1)), len(words))
        self.assertTrue(wait_until(lambda: threading.active_count() == threads, deadline(5)))


class RouterStreamTest(unittest.TestCase):
    def test_route_stream_yields_meta_first_and_done_last(self) -> None:
        events = list(shared_router().route_stream(RouteRequest("what is 6 times 7?")))
        self.assertEqual(["meta", "delta", "delta", "delta", "delta", "delta", "done"], [e.name for e in events])
        self.assertEqual("6 × 7 = 42", "".join(e.data["text"] for e in events[1:-1]))
        self.assertEqual("6 × 7 = 42", events[-1].data["content"])

    def test_unknown_forced_agent_is_refused_before_any_event(self) -> None:
        with self.assertRaises(BadRequest):
            shared_router().route_stream(RouteRequest("hi", agent="wizard"))

    def test_leading_whitespace_stays_with_the_first_piece(self) -> None:
        with mock.patch.dict(HANDLERS, {"general_chat": lambda ctx: Reply("  two words \n")}):
            events = list(shared_router().route_stream(RouteRequest("hello")))
        self.assertEqual(["  two ", "words \n"], [e.data["text"] for e in events[1:-1]])


if __name__ == "__main__":
    unittest.main()
