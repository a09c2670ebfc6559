"""test-support's fake_llm.py, the stand-in model the streaming tests (and the JVM's) rely on."""

import json
import os
import socket
import tempfile
import time
import unittest

from tests.models import FakeLlm
from tests.support import deadline, wait_until

DEFAULT_PIECES = ["Streaming ", "works ", "\U0001F680 ", "even ", "with ", "\"quotes\",\n", "new ", "lines ",
                  "and ", "back\\slashes. "]


def stream_events(port: int, body: dict) -> list:
    """POST a streamed completion over a raw socket; the data lines of the events, in order."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        data = json.dumps(body).encode()
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(data), data))
        reader = sock.makefile("rb")
        head = []
        while True:
            line = reader.readline().rstrip(b"\r\n")
            if not line:
                break
            head.append(line.decode())
        assert head[0] == "HTTP/1.1 200 OK", head
        assert "Transfer-Encoding: chunked" in head and "Content-Type: text/event-stream; charset=utf-8" in head
        events = []
        while True:
            size = int(reader.readline(), 16)
            chunk = reader.read(size + 2)[:-2]
            if size == 0:
                return events
            assert chunk.startswith(b"data: ") and chunk.endswith(b"\n\n") and chunk.count(b"\n") == 2, chunk
            events.append(chunk[6:-2].decode("utf-8"))


class FakeLlmTest(unittest.TestCase):
    def setUp(self) -> None:
        self.fake = FakeLlm(self)

    def test_health(self) -> None:
        self.assertEqual((200, {"status": "ok"}), self.fake.call("GET", "/health"))

    def test_non_streamed_answer_joins_the_tokens(self) -> None:
        status, body = self.fake.call("POST", "/v1/chat/completions",
                                      {"messages": [{"role": "user", "content": "hi"}]})
        self.assertEqual(200, status)
        self.assertEqual("assistant", body["choices"][0]["message"]["role"])
        self.assertEqual("".join(DEFAULT_PIECES * 2), body["choices"][0]["message"]["content"])
        [record] = self.fake.requests()
        self.assertEqual((1, False, 20, "completed", [{"role": "user", "content": "hi"}]),
                         (record["id"], record["stream"], record["tokens_sent"], record["outcome"],
                          record["messages"]))
        self.assertLessEqual(record["started_ns"], record["ended_ns"])

    def test_stream_sends_one_event_per_token_then_done(self) -> None:
        self.fake.configure(tokens=13)
        events = stream_events(self.fake.port, {"stream": True, "messages": []})
        self.assertEqual("[DONE]", events[-1])
        tokens = [json.loads(e)["choices"][0]["delta"]["content"] for e in events[:-1]]
        self.assertEqual(DEFAULT_PIECES + DEFAULT_PIECES[:3], tokens)
        self.assertEqual("completed", self.fake.requests()[0]["outcome"])

    def test_short_chat_completions_path_and_the_rate(self) -> None:
        self.fake.configure(tokens=5, rate=20)
        started = time.monotonic()
        status, body = self.fake.call("POST", "/chat/completions", {"messages": []})
        self.assertEqual(200, status)
        self.assertGreaterEqual(time.monotonic() - started, 0.19)  # four gaps of 50 ms
        self.assertEqual("".join(DEFAULT_PIECES[:5]), body["choices"][0]["message"]["content"])

    def test_config_answers_with_every_setting_and_applies_to_later_requests(self) -> None:
        config = self.fake.configure(tokens=3, text="  one two three four")
        self.assertEqual({"tokens": 3, "rate": 0, "pause_after": -1, "pause_ms": 0, "first_token_delay_ms": 0,
                          "text": "  one two three four"}, config)
        body = self.fake.call("POST", "/v1/chat/completions", {"messages": []})[1]
        self.assertEqual("  one two three ", body["choices"][0]["message"]["content"])

    def test_bad_config_values_are_refused_naming_the_field(self) -> None:
        cases = [({"tokens": 0}, "'tokens' must be an integer >= 1, got 0"),
                 ({"tokens": 2.5}, "'tokens' must be an integer >= 1, got 2.5"),
                 ({"rate": "fast"}, "'rate' must be a number >= 0, got \"fast\""),
                 ({"rate": True}, "'rate' must be a number >= 0, got true"),
                 ({"pause_after": -2}, "'pause_after' must be an integer >= -1, got -2"),
                 ({"pause_ms": -1}, "'pause_ms' must be a number >= 0, got -1"),
                 ({"first_token_delay_ms": None}, "'first_token_delay_ms' must be a number >= 0, got null"),
                 ({"text": "   "}, "'text' must be a string with at least one non-space character, got \"   \""),
                 ({"speed": 1}, "unknown field 'speed'; expected any of tokens, rate, pause_after"),
                 ([1], "the config must be a JSON object, got array")]
        for fields, message in cases:
            with self.subTest(fields=fields):
                status, body = self.fake.call("POST", "/config", fields)
                self.assertEqual(400, status)
                self.assertIn(message, body["error"])
        self.assertEqual(20, self.fake.call("GET", "/config")[1]["tokens"])  # nothing changed

    def test_requests_can_be_cleared(self) -> None:
        self.fake.call("POST", "/v1/chat/completions", {"messages": []})
        self.assertEqual(1, len(self.fake.requests()))
        self.assertEqual((204, None), self.fake.call("DELETE", "/requests"))
        self.assertEqual([], self.fake.requests())

    def test_errors_are_json(self) -> None:
        self.assertEqual(404, self.fake.call("GET", "/nowhere")[0])
        status, body = self.fake.call("GET", "/v1/chat/completions")
        self.assertEqual((405, "method GET not allowed on /v1/chat/completions; use POST"), (status, body["error"]))
        status, body = self.fake.call("POST", "/v1/chat/completions", b"{not json")
        self.assertEqual(400, status)
        self.assertIn("malformed JSON", body["error"])
        status, body = self.fake.call("POST", "/v1/chat/completions", {"stream": "yes"})
        self.assertEqual((400, "'stream' must be a boolean, got string"), (status, body["error"]))
        self.assertEqual(501, self.fake.call("BREW", "/health")[0])

    def test_client_leaving_during_the_first_token_delay_is_recorded_at_once(self) -> None:
        self.fake.configure(first_token_delay_ms=5000)
        sock = socket.create_connection(("127.0.0.1", self.fake.port), timeout=10)
        data = b'{"stream": true, "messages": []}'
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: %d\r\n\r\n%s" % (len(data), data))
        self.assertIsNotNone(self.fake.wait_for(lambda r: r["outcome"] == "running", deadline(5)))
        closed = time.time_ns()
        sock.close()
        record = self.fake.wait_for(lambda r: r["outcome"] != "running", deadline(3))
        self.assertEqual(("abandoned", 0), (record["outcome"], record["tokens_sent"]))
        self.assertLess((record["ended_ns"] - closed) / 1e9, deadline(1.0))

    def test_record_file_gets_a_line_per_finished_request_and_sigterm_exits_zero(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "record.jsonl")
            fake = FakeLlm(self, "--record", path, "--tokens", "2")
            fake.call("POST", "/v1/chat/completions", {"messages": [{"role": "user", "content": "one"}]})
            self.assertEqual(3, len(stream_events(fake.port, {"messages": [], "stream": True})))
            self.assertTrue(wait_until(lambda: len(open(path).readlines()) == 2, deadline(5)))
            lines = [json.loads(line) for line in open(path)]
            self.assertEqual([(1, False, "completed"), (2, True, "completed")],
                             [(r["id"], r["stream"], r["outcome"]) for r in lines])
            started = time.monotonic()
            self.assertEqual(0, fake.stop())
            self.assertLess(time.monotonic() - started, deadline(2.0))
            self.assertEqual("", fake.stderr)

    def test_bad_command_line_is_a_usage_error(self) -> None:
        with self.assertRaises(AssertionError) as caught:
            FakeLlm(self, "--tokens", "0")
        self.assertIn("'tokens' must be an integer >= 1", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
