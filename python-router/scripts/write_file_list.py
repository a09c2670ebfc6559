"""Write the list of Python router files the jar carries, for the launcher to extract.

Usage: python3 scripts/write_file_list.py OUTPUT_FILE
Writes one jar resource path per line (``python-router/ai_router/...``), sorted, skipping caches.
"""

import sys
from pathlib import Path
from typing import List

PREFIX = "python-router"
SKIP_PARTS = {"__pycache__"}
SKIP_SUFFIXES = {".pyc", ".pyo"}


def file_list(root: Path) -> List[str]:
    """Resource paths of every file under root/ai_router, sorted."""
    paths = []
    for path in sorted((root / "ai_router").rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and not SKIP_PARTS & set(relative.parts) and path.suffix not in SKIP_SUFFIXES:
            paths.append(f"{PREFIX}/{relative.as_posix()}")
    return paths


def main(argv: List[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    output = Path(argv[1])
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("".join(f"{p}\n" for p in file_list(Path(__file__).resolve().parent.parent)),
                      encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
