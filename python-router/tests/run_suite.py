"""Run the whole unittest suite the way Maven does; exit non-zero on failure or when no test ran.

Usage (from python-router/): python3 tests/run_suite.py   — same discovery as
``python3 -m unittest discover -s tests -t .``.
"""

import sys
import unittest
from pathlib import Path


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    suite = unittest.defaultTestLoader.discover(str(root / "tests"), top_level_dir=str(root))
    result = unittest.TextTestRunner(verbosity=1).run(suite)
    if result.testsRun == 0:
        print("[ERROR] Ran 0 tests: the suite was not found", file=sys.stderr)
        return 1
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    raise SystemExit(main())
