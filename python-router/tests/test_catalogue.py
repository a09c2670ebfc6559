import json
import tempfile
import unittest
from pathlib import Path
from typing import Any

from ai_router.catalogue import CatalogueError, load_catalogue, parse_catalogue
from ai_router.handlers import HANDLERS

REQUIRED = ("general-chat", "conversation-recall", "calculator", "datetime", "help",
            "information-retrieval", "problem-solving", "report-generation", "automation")


def agent(name: str = "a", **overrides: Any) -> dict:
    return dict({"name": name, "description": "does a", "handler": "general_chat", "examples": ["x"]}, **overrides)


class CatalogueTest(unittest.TestCase):
    def test_shipped_catalogue_has_every_agent_with_eight_examples(self) -> None:
        catalogue = load_catalogue(None, HANDLERS.keys())
        self.assertEqual(list(REQUIRED), catalogue.names())
        for a in catalogue.agents:
            with self.subTest(agent=a.name):
                self.assertGreaterEqual(len(a.examples), 8)
                self.assertTrue(a.description)
        self.assertEqual(("general-chat", 0.65), (catalogue.fallback_agent, catalogue.confidence_threshold))
        for name in ("information-retrieval", "problem-solving", "report-generation", "automation"):
            self.assertEqual("llm", catalogue.get(name).handler)
            self.assertTrue(catalogue.get(name).system_prompt)

    def test_problems_are_named(self) -> None:
        cases = [
            ([], "top level must be a JSON object"),
            ({"agents": []}, "'agents' must be a non-empty list"),
            ({"agents": [agent("Bad Name")]}, "agents[0].name must match"),
            ({"agents": [agent(description="")]}, "description must be a non-empty string"),
            ({"agents": [agent(handler="shell")]}, "handler must be one of"),
            ({"agents": [agent(examples=[])]}, "examples must be a non-empty list"),
            ({"agents": [agent(examples=["ok", 3])]}, "examples must be a non-empty list"),
            ({"agents": [agent(system_prompt=1)]}, "system_prompt must be a string"),
            ({"agents": [agent(), agent()]}, "duplicate name 'a'"),
            ({"agents": [agent()], "fallback_agent": "zzz"}, "fallback_agent 'zzz' is not one of the agents"),
            ({"agents": [agent()], "fallback_agent": "a", "confidence_threshold": 2}, "confidence_threshold"),
        ]
        for data, message in cases:
            with self.subTest(message=message):
                with self.assertRaises(CatalogueError) as caught:
                    parse_catalogue(data, HANDLERS.keys())
                self.assertIn(message, str(caught.exception))

    def test_file_errors_name_the_file(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            missing = Path(tmp, "missing.json")
            broken = Path(tmp, "broken.json")
            broken.write_text("{not json", encoding="utf-8")
            for path, message in ((missing, "cannot read agent catalogue"), (broken, "is not valid JSON")):
                with self.subTest(path=path.name):
                    with self.assertRaises(CatalogueError) as caught:
                        load_catalogue(path, HANDLERS.keys())
                    self.assertIn(message, str(caught.exception))
                    self.assertIn(str(path), str(caught.exception))

    def test_custom_catalogue_file_loads(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp, "agents.json")
            path.write_text(json.dumps({"fallback_agent": "a", "confidence_threshold": 0.5,
                                        "agents": [agent("a"), agent("b", handler="calculator")]}), encoding="utf-8")
            catalogue = load_catalogue(path, HANDLERS.keys())
        self.assertEqual(["a", "b"], catalogue.names())
        self.assertEqual(0.5, catalogue.confidence_threshold)
        self.assertEqual("a", catalogue.fallback().name)


if __name__ == "__main__":
    unittest.main()
