"""The llm agent's streamed answer through the router: fallback, errors, and a client leaving early."""

import logging
import os
import signal
import threading
import time
import unittest

from ai_router.catalogue import load_catalogue
from ai_router.handlers import HANDLERS
from ai_router.llm import LlmClient
from ai_router.router import Router
from tests.models import FakeLlm, FakeModel, Stream, llm_client
from tests.support import (LogCapture, StreamClient, check_answer, deadline, open_sockets, start_server,
                           stream_route, wait_until)

IR = {"query": "who invented the telephone?", "agent": "information-retrieval"}


def router_with(llm: LlmClient) -> Router:
    return Router.train(load_catalogue(None, HANDLERS.keys()), llm)


class LlmAgentStreamTest(unittest.TestCase):
    def setUp(self) -> None:
        self.fake = FakeModel(self)

    def test_model_failure_before_the_first_piece_streams_the_honest_answer(self) -> None:
        self.fake.script = [500, 502]
        server = start_server(self, router_with(llm_client(self.fake.url)))
        with self.assertLogs("ai_router.llm", "WARNING"):
            events = stream_route(self, server.port, IR)
        done = check_answer(self, events)
        self.assertIn("the language model could not answer just now (HTTP 502 from", done["content"])
        self.assertIn("language model failed", done["reasoning"])

    def test_failure_after_pieces_ends_with_an_error_event_without_secrets(self) -> None:
        self.fake.script = [Stream(("Alexander ", "Graham"), broken=True)]
        url = self.fake.url.replace("http://", "http://user:hunter2@")
        server = start_server(self, router_with(llm_client(url, ROUTER_LLM_API_KEY="sk-secret")))
        logs = LogCapture(self, "ai_router.server", logging.WARNING)
        events = stream_route(self, server.port, IR)
        self.assertEqual(["meta", "delta", "delta", "error"], [e.name for e in events])
        error = events[-1].data
        self.assertEqual((False, "language model failed"), (error["success"], error["error"]))
        self.assertIn("stream ended before data: [DONE] (after 16 characters)", error["details"])
        self.assertNotIn("hunter2", error["details"])
        self.assertNotIn("sk-secret", error["details"])
        self.assertIsNotNone(logs.wait_for("stream ended with an error after 16 chars", deadline(2)))
        self.assertEqual(1, len(self.fake.requests))

    def test_a_retry_before_the_first_piece_is_invisible(self) -> None:
        self.fake.script = [503, Stream(("Alexander ", "Graham ", "Bell"))]
        server = start_server(self, router_with(llm_client(self.fake.url)))
        with self.assertLogs("ai_router.llm", "WARNING"):
            done = check_answer(self, stream_route(self, server.port, IR))
        self.assertEqual("Alexander Graham Bell", done["content"])
        self.assertIn("answered by language model", done["reasoning"])

    def test_non_streamed_answer_still_comes_whole(self) -> None:
        self.fake.script = ["  Alexander Graham Bell \n"]
        server = start_server(self, router_with(llm_client(self.fake.url)))
        client = StreamClient(self, server.port)
        self.assertEqual(200, client.post(IR))
        self.assertEqual("Alexander Graham Bell", client.json_body()["content"])
        self.assertIs(False, self.fake.requests[0]["body"]["stream"])


class LeavingEarlyTest(unittest.TestCase):
    """The router against fake_llm.py: pieces as the model makes them, and the model told when nobody listens."""

    def setUp(self) -> None:
        self.fake = FakeLlm(self)
        self.server = start_server(self, router_with(llm_client(self.fake.url, timeout=10)))

    def test_deltas_arrive_while_the_model_is_still_answering(self) -> None:
        self.fake.configure(rate=20, tokens=20)
        client = StreamClient(self, self.server.port)
        sent = time.monotonic()
        client.post(dict(IR, stream=True))
        meta = client.next_event()
        first = client.next_event()
        self.assertEqual("delta", first.name)
        [record] = self.fake.requests()
        self.assertEqual("running", record["outcome"])
        self.assertLess(record["tokens_sent"], 20)
        events = client.events()
        print(f"\n[measured] model at 20 tokens/s: first delta {1000 * (first.at - sent):.0f} ms, "
              f"done {1000 * (events[-1].at - sent):.0f} ms after the request")
        self.assertGreater(events[-1].at - first.at, 0.5)  # 19 gaps of 50 ms between first and last token
        done = check_answer(self, [meta, first] + events)
        self.assertTrue(done["content"].startswith("Streaming works"))

    def test_a_mebibyte_from_the_model_streams_intact(self) -> None:
        word = "\U0001F680\"\\x" * 10000  # no white space: one token
        self.fake.configure(text=word + "\u2028", tokens=16)
        done = check_answer(self, stream_route(self, self.server.port, IR))
        self.assertEqual("\u2028".join([word] * 16), done["content"])
        self.assertGreater(len(done["content"].encode()), 1024 * 1024)

    def test_leaving_mid_answer_abandons_the_model_request(self) -> None:
        self.fake.configure(rate=20, tokens=200)
        record = self._leave("mid-answer", deltas=3)
        self.assertLess(record["tokens_sent"], 200)

    def test_leaving_during_a_long_pause_abandons_the_model_request(self) -> None:
        self.fake.configure(pause_after=3, pause_ms=5000, tokens=10)
        record = self._leave("in-a-5s-pause", deltas=3)
        self.assertEqual(3, record["tokens_sent"])

    def test_leaving_before_the_first_token_abandons_the_model_request(self) -> None:
        self.fake.configure(first_token_delay_ms=5000)
        record = self._leave("before-the-first-token", deltas=0)
        self.assertEqual(0, record["tokens_sent"])

    def test_model_dying_mid_answer_ends_with_an_error_event(self) -> None:
        self.fake.configure(rate=20, tokens=200)
        logs = LogCapture(self, "ai_router.server", logging.WARNING)
        client = StreamClient(self, self.server.port)
        client.post(dict(IR, stream=True))
        self.assertEqual(["meta", "delta", "delta"], [client.next_event().name for _ in range(3)])
        os.kill(self.fake.proc.pid, signal.SIGKILL)
        events = client.events()
        self.assertEqual("error", events[-1].name)
        self.assertEqual("language model failed", events[-1].data["error"])
        self.assertTrue(all(e.name == "delta" for e in events[:-1]), [e.name for e in events])
        self.assertIsNotNone(logs.wait_for("stream ended with an error after", deadline(2)))

    def _leave(self, label: str, deltas: int) -> dict:
        """Reads meta and ``deltas`` deltas, closes the connection; returns the model's record of it."""
        logs = LogCapture(self, "ai_router.server")
        threads, sockets = threading.active_count(), open_sockets()
        client = StreamClient(self, self.server.port)
        client.post(dict(IR, stream=True), {"X-Request-Id": f"leave-{label}"})
        self.assertEqual(["meta"] + ["delta"] * deltas, [client.next_event().name for _ in range(deltas + 1)])
        self.assertIsNotNone(self.fake.wait_for(lambda r: r["outcome"] == "running", deadline(5)))
        closed = time.time_ns()
        client.close()
        record = self.fake.wait_for(lambda r: r["outcome"] != "running", deadline(5))
        self.assertIsNotNone(record, "the model request did not end")
        self.assertEqual("abandoned", record["outcome"])
        latency_ms = (record["ended_ns"] - closed) / 1e6
        print(f"\n[measured] client left {label}: the model saw its request abandoned {latency_ms:.1f} ms later")
        self.assertLess(latency_ms, 1000 * deadline(2.0))
        self.assertIsNotNone(logs.wait_for(rf"^request leave-{label}: cancelled after \d+ chars$", deadline(5)),
                             logs.messages)
        self.assertTrue(wait_until(lambda: (threading.active_count(), open_sockets()) == (threads, sockets),
                                   deadline(5)), (threading.active_count(), threads, open_sockets(), sockets))
        return record


if __name__ == "__main__":
    unittest.main()
