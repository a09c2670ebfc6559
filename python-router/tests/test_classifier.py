import time
import unittest

from ai_router.classifier import NaiveBayesClassifier, features
from tests.heldout import HELD_OUT
from tests.support import shared_router

REQUIRED_ACCURACY = 0.85


class ClassifierTest(unittest.TestCase):
    def test_held_out_accuracy_is_at_least_85_percent(self) -> None:
        router = shared_router()
        training = {e.lower() for a in router.catalogue.agents for e in a.examples}
        overlap = [q for q, _ in HELD_OUT if q.lower() in training]
        self.assertEqual([], overlap, "held-out queries must not be training examples")
        self.assertGreaterEqual(len(HELD_OUT), 40)
        misses = []
        started = time.perf_counter()
        for query, expected in HELD_OUT:
            decision = router.decide(query)
            if decision.agent != expected:
                misses.append(f"{query!r}: expected {expected}, got {decision.agent} ({decision.reasoning})")
        elapsed_ms = (time.perf_counter() - started) * 1000
        accuracy = 1 - len(misses) / len(HELD_OUT)
        print(f"\n[classifier] held-out accuracy {accuracy:.1%} ({len(HELD_OUT) - len(misses)}/{len(HELD_OUT)}), "
              f"{elapsed_ms / len(HELD_OUT):.3f} ms per decision" + "".join(f"\n  miss {m}" for m in misses))
        self.assertGreaterEqual(accuracy, REQUIRED_ACCURACY, "\n".join(misses))

    def test_what_did_i_just_say_is_confident_recall(self) -> None:
        decision = shared_router().decide("What did I just say?")
        self.assertEqual("conversation-recall", decision.agent)
        self.assertGreaterEqual(decision.confidence, 0.65)
        self.assertFalse(decision.fallback)

    def test_low_confidence_falls_back_to_general_chat(self) -> None:
        for query in ("qwpoeiru zxmcnv", "🙂", "\u0000", "purple monkey dishwasher"):
            with self.subTest(query=query):
                decision = shared_router().decide(query)
                self.assertEqual("general-chat", decision.agent)
                self.assertTrue(decision.fallback)
                self.assertLess(decision.confidence, 0.65)
                self.assertIn("below the 0.65 threshold", decision.reasoning)

    def test_arithmetic_is_recognised_before_the_classifier(self) -> None:
        decision = shared_router().decide("what is 7 × 6?")
        self.assertEqual(("calculator", 1.0), (decision.agent, decision.confidence))
        self.assertIn("arithmetic", decision.reasoning)

    def test_probabilities_are_a_distribution(self) -> None:
        prediction = shared_router().classifier.predict("schedule a nightly backup")
        self.assertAlmostEqual(1.0, sum(p for _, p in prediction.ranking), places=9)
        self.assertEqual(prediction.label, prediction.ranking[0][0])
        self.assertEqual(9, len(prediction.ranking))

    def test_unknown_words_give_the_uniform_prior(self) -> None:
        prediction = shared_router().classifier.predict("zzzz yyyy")
        self.assertAlmostEqual(1 / 9, prediction.confidence, places=6)

    def test_temperature_is_fitted_on_leave_one_out_scores(self) -> None:
        model = NaiveBayesClassifier().fit([("good morning", "a"), ("hello there", "a"), ("hi friend", "a"),
                                            ("what time is it", "b"), ("time now please", "b"), ("the time", "b")])
        self.assertGreater(model.temperature, 0)
        self.assertEqual("b", model.predict("what is the time").label)

    def test_features_are_words_numbers_and_bigrams(self) -> None:
        self.assertEqual(["whats", "<num>", "+", "<num>", "<s> whats", "whats <num>", "<num> +", "+ <num>"],
                         features("What's 2 + 2"))

    def test_training_needs_examples(self) -> None:
        with self.assertRaises(ValueError):
            NaiveBayesClassifier().fit([])

    def test_every_agent_answers_its_own_examples(self) -> None:
        router = shared_router()
        for agent in router.catalogue.agents:
            hits = sum(router.classifier.predict(e).label == agent.name for e in agent.examples)
            with self.subTest(agent=agent.name):
                self.assertGreaterEqual(hits / len(agent.examples), 0.9)


if __name__ == "__main__":
    unittest.main()
