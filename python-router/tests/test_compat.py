"""Only Python 3.11 is installed here; the router must still run on Python 3.9."""

import ast
import unittest
from pathlib import Path

from tests.support import ROUTER_DIR

# Library features newer than 3.9 that ast.parse(feature_version=...) cannot see.
NEWER_KEYWORDS = {"slots", "kw_only", "strict"}  # dataclass(slots=, kw_only=), zip(strict=)


def sources():
    for folder in ("ai_router", "tests", "bench", "scripts"):
        yield from sorted((ROUTER_DIR / folder).rglob("*.py"))


class Python39CompatibilityTest(unittest.TestCase):
    def test_every_source_parses_as_python_3_9(self) -> None:
        files = list(sources())
        self.assertGreater(len(files), 15)
        for path in files:
            with self.subTest(path=str(path.relative_to(ROUTER_DIR))):
                ast.parse(path.read_text(encoding="utf-8"), filename=str(path), feature_version=(3, 9))

    def test_no_keyword_arguments_added_after_3_9(self) -> None:
        for path in sources():
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    used = {k.arg for k in node.keywords} & NEWER_KEYWORDS
                    self.assertFalse(used, f"{path.name}:{node.lineno} uses {used} (Python 3.10+)")

    def test_package_annotations_are_postponed(self) -> None:
        # X | Y or list[int] in an annotation would be evaluated at import time on 3.9 without this.
        for path in sorted((ROUTER_DIR / "ai_router").glob("*.py")):
            source = path.read_text(encoding="utf-8")
            if "def " in source:
                with self.subTest(path=path.name):
                    self.assertIn("from __future__ import annotations", source)

    def test_importing_the_package_starts_nothing(self) -> None:
        import subprocess
        import sys
        code = ("import threading, ai_router, ai_router.cli, ai_router.server, ai_router.lifeline;"
                "print(threading.active_count())")
        out = subprocess.run([sys.executable, "-c", code], cwd=str(ROUTER_DIR), capture_output=True, text=True,
                             timeout=30)
        self.assertEqual(("1", ""), (out.stdout.strip(), out.stderr))


if __name__ == "__main__":
    unittest.main()
