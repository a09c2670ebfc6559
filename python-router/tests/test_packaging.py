import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from tests.support import ROUTER_DIR


class FileListTest(unittest.TestCase):
    def test_file_list_names_every_package_file_and_no_caches(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            output = Path(tmp, "FILES")
            subprocess.run([sys.executable, "scripts/write_file_list.py", str(output)], cwd=str(ROUTER_DIR),
                           check=True, timeout=30)
            lines = output.read_text(encoding="utf-8").splitlines()
        for needed in ("__init__.py", "__main__.py", "cli.py", "server.py", "agents.json"):
            self.assertIn(f"python-router/ai_router/{needed}", lines)
        self.assertFalse([line for line in lines if "__pycache__" in line or line.endswith(".pyc")])
        self.assertEqual(sorted(lines), lines)
