"""The bundled router behind a start delay (a model load) and a breakage switch, for reload tests.

Usage: python3 reload_router.py ROUTER_DIR DELAY_SECONDS BROKEN_MARKER [router arguments...]
(port from ROUTER_PORT). While BROKEN_MARKER exists, the process prints its content to stderr and
exits with code 3 at once: a new version that cannot start.
"""

import os
import runpy
import sys
import time

router_dir, delay, marker = sys.argv[1], float(sys.argv[2]), sys.argv[3]
if os.path.exists(marker):
    with open(marker, encoding="utf-8") as f:
        print("reload_router: cannot start: " + f.read().strip(), file=sys.stderr, flush=True)
    sys.exit(3)
time.sleep(delay)  # the model load
sys.path.insert(0, router_dir)
sys.argv = ["ai_router"] + sys.argv[4:]
runpy.run_module("ai_router", run_name="__main__", alter_sys=True)
