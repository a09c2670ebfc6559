import socket
import unittest
from datetime import datetime, timezone

from ai_router import __version__
from ai_router.server import create_server
from ai_router.spawner import SpawnedBy
from tests.support import connect, request, route, shared_router, start_server

RESPONSE_FIELDS = {"success", "agent", "confidence", "content", "reasoning", "classification_latency_ms",
                   "latency_ms", "fallback_triggered"}


class HttpApiTest(unittest.TestCase):
    def setUp(self) -> None:
        self.server = start_server(self)
        self.conn = connect(self, self.server)

    def test_health_identifies_the_service(self) -> None:
        status, body, response = request(self.conn, "GET", "/health")
        self.assertEqual(200, status)
        self.assertEqual({"status", "service", "model", "agents", "uptime_s", "version", "limits", "agent_names",
                          "spawned_by"}, set(body))
        self.assertIsNone(body["spawned_by"])  # started by hand: any backend may adopt it
        self.assertEqual(("ok", "ai-router", 9, __version__), (body["status"], body["service"], body["agents"],
                                                               body["version"]))
        self.assertEqual("naive-bayes-bigram-v1", body["model"])
        self.assertGreaterEqual(body["uptime_s"], 0)
        self.assertEqual("application/json; charset=utf-8", response.getheader("Content-Type"))

    def test_health_names_the_backend_that_spawned_the_router(self) -> None:
        server = start_server(self, spawned_by=SpawnedBy("web-1", 4242))
        status, body, _ = request(connect(self, server), "GET", "/health")
        self.assertEqual(200, status)
        self.assertEqual({"instance_id": "web-1", "pid": 4242}, body["spawned_by"])

    def test_head_health_has_headers_only(self) -> None:
        self.conn.request("HEAD", "/health")
        response = self.conn.getresponse()
        self.assertEqual(200, response.status)
        self.assertEqual(b"", response.read())
        self.assertGreater(int(response.getheader("Content-Length")), 0)
        self.assertEqual(200, request(self.conn, "GET", "/health")[0])  # connection still in sync

    def test_route_returns_every_documented_field(self) -> None:
        body = route(self.conn, "Hello", session_id="s-1")
        self.assertEqual(RESPONSE_FIELDS, set(body))
        self.assertIs(True, body["success"])
        self.assertEqual("general-chat", body["agent"])
        self.assertIsInstance(body["confidence"], float)
        self.assertIsInstance(body["fallback_triggered"], bool)
        self.assertGreaterEqual(body["latency_ms"], body["classification_latency_ms"])

    def test_every_agent_is_reachable_by_classification(self) -> None:
        queries = {
            "general-chat": "hi there, how are you?",
            "conversation-recall": "what was my first question?",
            "calculator": "what is 12 times 7?",
            "datetime": "what time is it?",
            "help": "what can you do?",
            "information-retrieval": "who invented the telephone?",
            "problem-solving": "help me debug a crash in my app",
            "report-generation": "write a report on quarterly sales",
            "automation": "schedule a backup every night",
        }
        for agent, query in queries.items():
            with self.subTest(agent=agent):
                body = route(self.conn, query)
                self.assertEqual(agent, body["agent"], body["reasoning"])
                self.assertTrue(body["content"])
                self.assertFalse(body["fallback_triggered"])
                self.assertGreaterEqual(body["confidence"], 0.65)

    def test_recall_across_a_three_turn_history(self) -> None:
        history = []
        for message in ("Hello", "What is 2 plus 2?", "Tell me about the moon"):
            reply = route(self.conn, message, history=list(history))
            history += [{"role": "user", "content": message}, {"role": "assistant", "content": reply["content"]}]
        just = route(self.conn, "What did I just say?", history=history)
        self.assertEqual("conversation-recall", just["agent"])
        self.assertIn("Tell me about the moon", just["content"])
        first = route(self.conn, "what was my first question?", history=history)
        self.assertIn("Hello", first["content"])

    def test_backend_scenario_hello_then_what_did_i_just_say(self) -> None:
        hello = route(self.conn, "Hello", session_id="abc")
        body = route(self.conn, "What did I just say?", session_id="abc", history=[
            {"role": "user", "content": "Hello"}, {"role": "assistant", "content": hello["content"]}])
        self.assertEqual("conversation-recall", body["agent"])
        self.assertGreaterEqual(body["confidence"], 0.65)
        self.assertIn("Hello", body["content"])

    def test_forced_agent_skips_the_classifier(self) -> None:
        body = route(self.conn, "what is the capital of France?", agent="calculator")
        self.assertEqual(("calculator", 1.0, False), (body["agent"], body["confidence"], body["fallback_triggered"]))
        self.assertIn("requested by the caller", body["reasoning"])
        self.assertEqual("general-chat", route(self.conn, "hello", agent=None)["agent"])
        self.assertEqual("calculator", route(self.conn, "2+2", agent="auto")["agent"])

    def test_unknown_forced_agent_lists_the_valid_ones(self) -> None:
        status, body, _ = request(self.conn, "POST", "/route", {"query": "hi", "agent": "wizard"})
        self.assertEqual(400, status)
        self.assertIs(False, body["success"])
        self.assertIn("unknown agent 'wizard'", body["error"])
        self.assertIn("calculator", body["error"])
        self.assertIn("general-chat", body["valid_agents"])

    def test_low_confidence_falls_back(self) -> None:
        body = route(self.conn, "purple monkey dishwasher")
        self.assertEqual("general-chat", body["agent"])
        self.assertTrue(body["fallback_triggered"])
        self.assertLess(body["confidence"], 0.65)

    def test_request_id_is_echoed(self) -> None:
        _, _, response = request(self.conn, "POST", "/route", {"query": "hi"}, {"X-Request-Id": "req-42"})
        self.assertEqual("req-42", response.getheader("X-Request-Id"))
        _, _, response = request(self.conn, "GET", "/health", headers={"X-Request-Id": "bad id\x7f"})
        self.assertIsNone(response.getheader("X-Request-Id"))

    def test_agents_endpoint_lists_the_catalogue(self) -> None:
        status, body, _ = request(self.conn, "GET", "/agents")
        self.assertEqual(200, status)
        self.assertEqual(9, len(body["agents"]))
        self.assertEqual("general-chat", body["fallback_agent"])

    def test_keep_alive_connection_serves_many_requests(self) -> None:
        route(self.conn, "hello")
        sock = self.conn.sock
        for i in range(20):
            self.assertEqual(f"{i} + 1 = {i + 1}", route(self.conn, f"{i}+1")["content"])
        self.assertIs(sock, self.conn.sock)


class ListeningSinceTest(unittest.TestCase):
    def test_server_records_the_wall_clock_moment_it_started_listening(self) -> None:
        before = datetime.now(timezone.utc)
        server = create_server(shared_router(), "127.0.0.1", 0)
        after = datetime.now(timezone.utc)
        self.addCleanup(server.server_close)
        self.assertTrue(before <= server.listening_since <= after, (before, server.listening_since, after))
        with socket.create_connection(("127.0.0.1", server.port), timeout=5):
            pass  # listening already: the backlog takes the connection before serve_forever runs


if __name__ == "__main__":
    unittest.main()
