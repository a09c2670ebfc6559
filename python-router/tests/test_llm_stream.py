"""LlmClient.stream against scripted models: pieces, tolerance, retries, errors, cancellation, proxies."""

import os
import threading
import time
import unittest
from unittest import mock

from ai_router.cancel import Cancellation, Cancelled
from ai_router.llm import LlmError
from tests.models import FakeLlm, FakeModel, Stream, Whole, llm_client
from tests.support import deadline

ASK = [{"role": "user", "content": "x"}]


class LlmClientStreamTest(unittest.TestCase):
    def setUp(self) -> None:
        self.fake = FakeModel(self)

    def test_pieces_come_without_the_answers_outer_white_space(self) -> None:
        self.fake.script = [Stream(("\n ", " Hello", " there", " ", "\n"))]
        self.assertEqual(["Hello", " there"], list(llm_client(self.fake.url).stream(ASK)))
        self.assertIs(True, self.fake.requests[0]["body"]["stream"])

    def test_crlf_comments_role_only_and_usage_chunks_are_tolerated(self) -> None:
        raw = (b": keep-alive comment\r\n\r\n"
               b'data: {"choices":[{"delta":{"role":"assistant"}}]}\r\n\r\n'
               b'event: message\r\ndata: {"choices":[{"delta":{"content":"Bonjour"}}]}\r\n\r\n'
               b'data: {"choices":[{"delta":{"content":""}}]}\n\n'
               b'data: {"choices":[{"delta":{"content":" \xc3\xa0 tous \\ud83d\\ude80"},"finish_reason":null}]}\n\n'
               b'data: {"choices":[],"usage":{"total_tokens":3}}\r\n\r\n'
               b"data: [DONE]\r\n\r\n")
        self.fake.script = [Stream(raw=raw)]
        self.assertEqual(["Bonjour", " \u00e0 tous \U0001F680"], list(llm_client(self.fake.url).stream(ASK)))

    def test_a_finish_reason_then_the_end_of_the_connection_is_a_complete_answer(self) -> None:
        raw = b'data: {"choices":[{"delta":{"content":"Done."},"finish_reason":"stop"}]}\n\n'
        self.fake.script = [Stream(raw=raw)]
        self.assertEqual(["Done."], list(llm_client(self.fake.url).stream(ASK)))

    def test_a_server_that_ignores_stream_is_accepted(self) -> None:
        self.fake.script = [Whole("  The whole answer at once. ")]
        self.assertEqual(["The whole answer at once."], list(llm_client(self.fake.url).stream(ASK)))

    def test_one_retry_before_the_first_piece(self) -> None:
        self.fake.script = [503, Stream(("Second ", "try"))]
        with self.assertLogs("ai_router.llm", "WARNING") as logs:
            self.assertEqual(["Second", " try"], list(llm_client(self.fake.url).stream(ASK)))
        self.assertIn("attempt 1 failed: HTTP 503", logs.output[0])
        self.assertEqual(2, len(self.fake.requests))

    def test_a_stream_that_breaks_before_any_piece_is_retried(self) -> None:
        self.fake.script = [Stream((" ",), broken=True), Stream(("ok",))]
        with self.assertLogs("ai_router.llm", "WARNING"):
            self.assertEqual(["ok"], list(llm_client(self.fake.url).stream(ASK)))
        self.assertEqual(2, len(self.fake.requests))

    def test_a_timeout_before_the_first_piece_is_retried(self) -> None:
        self.fake.script = ["slow", Stream(("in time",))]
        with self.assertLogs("ai_router.llm", "WARNING") as logs:
            self.assertEqual(["in time"], list(llm_client(self.fake.url, timeout=0.2).stream(ASK)))
        self.assertIn("within 0.2 s", logs.output[0])

    def test_a_stream_that_breaks_after_pieces_is_not_retried(self) -> None:
        self.fake.script = [Stream(("Hello ", "wor"), broken=True), Stream(("never",))]
        pieces = []
        with self.assertRaises(LlmError) as caught:
            for piece in llm_client(self.fake.url).stream(ASK):
                pieces.append(piece)
        self.assertEqual(["Hello", " wor"], pieces)
        self.assertIn("stream ended before data: [DONE] (after 9 characters)", str(caught.exception))
        self.assertEqual(1, len(self.fake.requests))

    def test_client_errors_and_error_chunks_are_not_retried(self) -> None:
        self.fake.script = [404, Stream(raw=b'data: {"error": {"message": "model not found"}}\n\n')]
        with self.assertRaises(LlmError) as caught:
            list(llm_client(self.fake.url).stream(ASK))
        self.assertIn("HTTP 404", str(caught.exception))
        with self.assertRaises(LlmError) as caught:
            list(llm_client(self.fake.url).stream(ASK))
        self.assertIn("reported an error: model not found", str(caught.exception))
        self.assertEqual(2, len(self.fake.requests))

    def test_an_empty_answer_is_an_error(self) -> None:
        self.fake.script = [Stream((" ", "\n"))]
        with self.assertRaises(LlmError) as caught:
            list(llm_client(self.fake.url).stream(ASK))
        self.assertIn("empty answer", str(caught.exception))

    def test_cancel_wakes_a_read_waiting_on_a_silent_model(self) -> None:
        self.fake.script = ["slow"]
        cancellation = Cancellation()
        timer = threading.Timer(0.2, cancellation.cancel)
        timer.start()
        self.addCleanup(timer.cancel)
        started = time.monotonic()
        with self.assertRaises(Cancelled):
            list(llm_client(self.fake.url, timeout=10).stream(ASK, cancellation))
        self.assertLess(time.monotonic() - started, deadline(0.9))  # the model would answer after 1 s


class ProxyTest(unittest.TestCase):
    def test_streams_through_an_http_proxy_from_the_environment(self) -> None:
        proxy = FakeLlm(self, "--tokens", "3")  # fake_llm.py takes the absolute-form target a proxy gets
        env = {"http_proxy": proxy.url, "HTTP_PROXY": proxy.url, "no_proxy": "", "NO_PROXY": ""}
        with mock.patch.dict(os.environ, env):
            client = llm_client("http://model.invalid:9/v1")
        self.assertEqual("Streaming works \U0001F680", "".join(client.stream(ASK)))
        self.assertEqual("Streaming works \U0001F680", client.complete(ASK))
        self.assertEqual(2, len(proxy.requests()))


if __name__ == "__main__":
    unittest.main()
