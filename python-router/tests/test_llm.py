import time
import unittest

from ai_router.catalogue import load_catalogue
from ai_router.handlers import HANDLERS
from ai_router.llm import LlmConfig, LlmError, completions_url, redact
from ai_router.protocol import RouteRequest
from ai_router.router import Router
from tests.models import FakeModel, llm_client
from tests.support import connect, route, start_server


class LlmHandlerTest(unittest.TestCase):
    def setUp(self) -> None:
        self.fake = FakeModel(self)

    def test_agent_sends_system_prompt_history_and_query(self) -> None:
        self.fake.script = ["Paris is the capital of France."]
        router = Router.train(load_catalogue(None, HANDLERS.keys()),
                              llm_client(self.fake.url, ROUTER_LLM_MODEL="tiny", ROUTER_LLM_API_KEY="sekret"))
        conn = connect(self, start_server(self, router))
        body = route(conn, "what is the capital of France?",
                     history=[{"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi!"}])
        self.assertEqual("information-retrieval", body["agent"])
        self.assertEqual("Paris is the capital of France.", body["content"])
        self.assertIn("answered by language model tiny", body["reasoning"])
        sent = self.fake.requests[0]
        self.assertEqual("/v1/chat/completions", sent["path"])
        self.assertEqual("Bearer sekret", sent["auth"])
        self.assertEqual("tiny", sent["body"]["model"])
        self.assertEqual(["system", "user", "assistant", "user"], [m["role"] for m in sent["body"]["messages"]])
        self.assertIn("research assistant", sent["body"]["messages"][0]["content"])
        self.assertEqual("what is the capital of France?", sent["body"]["messages"][-1]["content"])

    def test_one_retry_after_a_server_error(self) -> None:
        self.fake.script = [503, "second time lucky"]
        with self.assertLogs("ai_router.llm", "WARNING") as logs:
            answer = llm_client(self.fake.url).complete([{"role": "user", "content": "x"}])
        self.assertEqual("second time lucky", answer)
        self.assertEqual(2, len(self.fake.requests))
        self.assertIn("attempt 1 failed: HTTP 503", logs.output[0])

    def test_gives_up_after_two_failures(self) -> None:
        self.fake.script = [500, 502, "never reached"]
        with self.assertRaises(LlmError) as caught, self.assertLogs("ai_router.llm", "WARNING"):
            llm_client(self.fake.url).complete([{"role": "user", "content": "x"}])
        self.assertIn("HTTP 502", str(caught.exception))
        self.assertEqual(2, len(self.fake.requests))

    def test_client_errors_are_not_retried(self) -> None:
        self.fake.script = [404]
        with self.assertRaises(LlmError):
            llm_client(self.fake.url).complete([{"role": "user", "content": "x"}])
        self.assertEqual(1, len(self.fake.requests))

    def test_timeout_then_honest_answer(self) -> None:
        self.fake.script = ["slow", "slow"]
        router = Router.train(load_catalogue(None, HANDLERS.keys()), llm_client(self.fake.url, timeout=0.2))
        started = time.monotonic()
        with self.assertLogs("ai_router.llm", "WARNING") as logs:
            result = router.route(RouteRequest("schedule a backup every night"))
        self.assertEqual(2, len(logs.output))
        self.assertLess(time.monotonic() - started, 1.5)
        self.assertEqual("automation", result.agent)
        self.assertIn("could not answer just now", result.content)
        self.assertIn("language model failed", result.reasoning)

    def test_unreachable_model_is_reported_honestly(self) -> None:
        self.fake.server.server_close()
        with self.assertRaises(LlmError) as caught, self.assertLogs("ai_router.llm", "WARNING"):
            llm_client(self.fake.url).complete([{"role": "user", "content": "x"}])
        self.assertIn("cannot reach", str(caught.exception))

    def test_malformed_completion_is_an_error(self) -> None:
        self.fake.script = [""]
        with self.assertRaises(LlmError) as caught:
            llm_client(self.fake.url).complete([{"role": "user", "content": "x"}])
        self.assertIn("empty answer", str(caught.exception))


class LlmConfigTest(unittest.TestCase):
    def test_unset_means_no_model(self) -> None:
        self.assertIsNone(LlmConfig.from_env({}))
        self.assertIsNone(LlmConfig.from_env({"ROUTER_LLM_URL": "  "}))

    def test_defaults_and_overrides(self) -> None:
        config = LlmConfig.from_env({"ROUTER_LLM_URL": "http://localhost:11434"})
        self.assertEqual(("http://localhost:11434/v1/chat/completions", "llama3.2", 20.0),
                         (config.url, config.model, config.timeout_s))

    def test_bad_settings_are_rejected(self) -> None:
        for env in ({"ROUTER_LLM_URL": "ftp://x"}, {"ROUTER_LLM_URL": "http://x", "ROUTER_LLM_TIMEOUT": "soon"},
                    {"ROUTER_LLM_URL": "http://x", "ROUTER_LLM_TIMEOUT": "-1"}):
            with self.subTest(env=env):
                with self.assertRaises(ValueError):
                    LlmConfig.from_env(env)

    def test_url_forms(self) -> None:
        self.assertEqual("http://h/v1/chat/completions", completions_url("http://h/v1/"))
        self.assertEqual("http://h/v1/chat/completions", completions_url("http://h/v1/chat/completions"))
        self.assertEqual("http://h:1/v1/chat/completions", completions_url("http://h:1"))

    def test_credentials_are_masked(self) -> None:
        self.assertEqual("http://***@h:8/v1", redact("http://user:pw@h:8/v1"))
        self.assertNotIn("pw", LlmConfig("http://user:pw@h/v1/chat/completions").describe())


if __name__ == "__main__":
    unittest.main()
