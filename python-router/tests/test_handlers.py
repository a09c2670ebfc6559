import unittest
from datetime import datetime, timezone
from typing import Tuple

from ai_router.handlers import HANDLERS, HandlerContext, Reply
from ai_router.protocol import Turn
from tests.support import shared_router

NOW = datetime(2026, 11, 25, 18, 30, tzinfo=timezone.utc)  # a Wednesday
THREE_TURNS = (
    Turn("user", "Hello"), Turn("assistant", "Hi! How can I help?"),
    Turn("user", "What is 2 plus 2?"), Turn("assistant", "2 + 2 = 4"),
    Turn("user", "Tell me a joke"), Turn("assistant", "Why do programmers prefer dark mode?"),
)


def run(agent: str, query: str, history: Tuple[Turn, ...] = (), fallback: bool = False) -> Reply:
    catalogue = shared_router().catalogue
    spec = catalogue.get(agent)
    assert spec is not None
    return HANDLERS[spec.handler](HandlerContext(query, history, spec, catalogue, NOW, fallback))


class RecallTest(unittest.TestCase):
    def test_just_said_quotes_the_most_recent_user_message(self) -> None:
        reply = run("conversation-recall", "What did I just say?", THREE_TURNS)
        self.assertIn("Tell me a joke", reply.content)
        self.assertNotIn("Hello", reply.content)

    def test_first_question_quotes_the_first_user_message(self) -> None:
        reply = run("conversation-recall", "what was my first question?", THREE_TURNS)
        self.assertIn("Hello", reply.content)

    def test_second_and_before_that(self) -> None:
        self.assertIn("What is 2 plus 2?", run("conversation-recall", "what was my second question?", THREE_TURNS).content)
        self.assertIn("What is 2 plus 2?", run("conversation-recall", "what did I say before that?", THREE_TURNS).content)

    def test_ordinal_beyond_history_says_so(self) -> None:
        reply = run("conversation-recall", "what was my fifth question?", THREE_TURNS)
        self.assertIn("only sent 3 messages", reply.content)

    def test_what_did_you_say_quotes_the_assistant(self) -> None:
        reply = run("conversation-recall", "what did you just say?", THREE_TURNS)
        self.assertIn("dark mode", reply.content)

    def test_no_history_is_said_honestly(self) -> None:
        reply = run("conversation-recall", "What did I just say?")
        self.assertIn("nothing earlier", reply.content)

    def test_current_query_appended_to_history_is_ignored(self) -> None:
        history = (Turn("user", "Hello"), Turn("assistant", "Hi!"), Turn("user", "What did I just say?"))
        self.assertIn("Hello", run("conversation-recall", "What did I just say?", history).content)

    def test_summary_and_count(self) -> None:
        summary = run("conversation-recall", "summarize our conversation", THREE_TURNS).content
        for message in ("Hello", "What is 2 plus 2?", "Tell me a joke"):
            self.assertIn(message, summary)
        self.assertIn("3 messages", run("conversation-recall", "how many messages have I sent?", THREE_TURNS).content)

    def test_long_messages_are_shortened_in_quotes(self) -> None:
        reply = run("conversation-recall", "What did I just say?", (Turn("user", "x" * 2000),))
        self.assertLess(len(reply.content), 600)
        self.assertIn("…", reply.content)


class OtherHandlersTest(unittest.TestCase):
    def test_calculator_answers_and_explains_division_by_zero(self) -> None:
        self.assertEqual("15% of 240 = 36", run("calculator", "what is 15% of 240?").content)
        self.assertIn("zero", run("calculator", "what is 5 divided by 0").content)
        self.assertIn("couldn't", run("calculator", "what is two plus banana").content)

    def test_datetime_uses_the_clock(self) -> None:
        self.assertIn("18:30 UTC", run("datetime", "what time is it?").content)
        self.assertIn("Wednesday, 25 November 2026", run("datetime", "what's the date today?").content)
        self.assertIn("2026", run("datetime", "what year is it?").content)
        self.assertTrue(run("datetime", "is it monday today?").content.startswith("No, today is Wednesday"))
        self.assertTrue(run("datetime", "is it wednesday?").content.startswith("Yes"))

    def test_help_lists_every_agent(self) -> None:
        content = run("help", "what can you do?").content
        for name in shared_router().catalogue.names():
            self.assertIn(name, content)
        self.assertIn("No language model is configured", content)

    def test_general_chat_small_talk(self) -> None:
        self.assertTrue(run("general-chat", "Hello").content.startswith("Hello!"))
        self.assertIn("welcome", run("general-chat", "thanks!").content)
        self.assertIn("Goodbye", run("general-chat", "bye now").content)
        self.assertIn("best guess", HANDLERS["general_chat"](HandlerContext(
            "zzz", (), shared_router().catalogue.fallback(), shared_router().catalogue, NOW, True, "help")).content)

    def test_llm_agent_without_model_says_so_and_invents_nothing(self) -> None:
        reply = run("information-retrieval", "what is the capital of France?")
        self.assertIn("information-retrieval", reply.content)
        self.assertIn("no language model is configured", reply.content)
        self.assertNotIn("Paris", reply.content)
        self.assertEqual("no language model configured", reply.note)


if __name__ == "__main__":
    unittest.main()
