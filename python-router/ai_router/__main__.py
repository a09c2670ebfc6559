"""Entry point for ``python3 -m ai_router``."""

from ai_router.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
