"""Command line: ``python3 -m ai_router [--host H] [--port P] [--agents FILE] [--lifeline KIND] [--max-… N]``.

Exit codes: 0 clean stop (SIGTERM, SIGINT or a lost lifeline), 1 start-up failure (bad catalogue,
port in use, bad LLM settings), 2 usage error. Progress goes to stderr as ``[*]`` lines, then one
``[OK] AI router ready on http://HOST:PORT (N agents, MS ms; listening since 2026-12-03T14:26:09.123456Z)``
line, the timestamp being the wall-clock moment (UTC) the socket started listening; failures as
``[ERROR] …``. With ``--log-format json`` (or ``AIROUTER_LOG_FORMAT=json``) every line is a JSON object
instead, the same texts in its ``message`` (see ai_router.logs); usage errors found by argparse
itself stay plain text.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import select
import signal
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Callable, List, Mapping, NoReturn, Optional

from ai_router import __version__
from ai_router.catalogue import DEFAULT_CATALOGUE_PATH, CatalogueError, load_catalogue
from ai_router.handlers import HANDLERS
from ai_router.lifeline import LIFELINES, start_lifeline
from ai_router.limits import LIMITS, Limit
from ai_router.llm import LlmClient, LlmConfig
from ai_router.logs import (FORMAT_VARIABLE, LOG_FORMATS, JsonFormatter, RequestContextFilter, TextFormatter,
                            generation_from_env)
from ai_router.router import Router
from ai_router.server import ServerConfig, create_server
from ai_router.spawner import spawned_by_from_env

log = logging.getLogger("ai_router.cli")

DEFAULT_PORT = 8888
EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class _StopSignal:
    """Self-pipe wake-up: safe to trigger from signal handlers and from any thread."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        self.reason: Optional[str] = None

    def request(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
        try:
            os.write(self._write, b"x")
        except OSError:
            pass

    def wait(self) -> str:
        while True:
            ready, _, _ = select.select([self._read], [], [], 1.0)
            if ready:
                return self.reason or "stop requested"


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> "NoReturn":
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"[ERROR] {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        prog="python3 -m ai_router",
        description="AI router: classifies each query and lets the best agent answer, over HTTP.",
        epilog="Environment: ROUTER_PORT, ROUTER_LLM_URL, ROUTER_LLM_MODEL, ROUTER_LLM_TIMEOUT, "
               "ROUTER_LLM_API_KEY; AIROUTER_SPAWNED_BY and AIROUTER_SPAWNER_PID (set by a backend that spawns "
               "the router, reported in GET /health as spawned_by); AIROUTER_LOG_FORMAT (see --log-format); "
               "AIROUTER_GENERATION (set by a router pool, the generation field of JSON logs). "
               "Exit codes: 0 stopped cleanly, 1 start-up failure, 2 usage error.")
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=None,
                        help=f"port, 0 = any free port (default $ROUTER_PORT or {DEFAULT_PORT})")
    parser.add_argument("--agents", type=Path, default=None, metavar="FILE",
                        help=f"agent catalogue JSON (default: the shipped {DEFAULT_CATALOGUE_PATH.name})")
    parser.add_argument("--lifeline", choices=LIFELINES, default="none",
                        help="exit when stdin reaches EOF (stdin) or the parent process dies (ppid); "
                             "default none")
    parser.add_argument("--request-timeout", type=float, default=15.0, metavar="SECONDS",
                        help="socket read timeout per connection, idle or mid-request (default 15)")
    for limit in LIMITS:  # also advertised in GET /health under "limits"
        parser.add_argument(limit.flag, type=_limit_value(limit), default=limit.default, metavar="N",
                            help=f"{limit.meaning} (default {limit.default}, 1 to {limit.maximum})")
    parser.add_argument("--log-level", choices=("DEBUG", "INFO", "WARNING"), default="INFO",
                        help="WARNING hides the per-request [http] lines; start-up lines always show")
    parser.add_argument("--log-format", choices=LOG_FORMATS, default=None,
                        help=f"text (human-readable lines) or json (one JSON object per line, with the "
                             f"backend's field names); default ${FORMAT_VARIABLE}, else text")
    parser.add_argument("--version", action="version", version=f"ai-router {__version__}")
    return parser


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be an integer from 0 to 65535, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be an integer from 0 to 65535, got {value}")
    return value


def _limit_value(limit: Limit) -> Callable[[str], int]:
    """An argparse type for ``limit``: its problem becomes the usage error, which argparse prefixes with the flag."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(limit.problem(text) or "") from None
        problem = limit.problem(value)
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return value
    return parse


def _configure_logging(level: str, log_format: str = "text", generation: Optional[int] = None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(generation) if log_format == "json" else TextFormatter())
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger("ai_router")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    # Start-up and shutdown lines ([*], [OK], [ERROR]) are the readiness protocol: never filtered out.
    log.setLevel(min(logging.getLevelName(level), logging.INFO))
    logging.raiseExceptions = False  # a closed stderr must not turn every log call into a traceback


def main(argv: Optional[List[str]] = None, env: Optional[Mapping[str, str]] = None) -> int:
    """Run the router until stopped; returns the process exit code."""
    started = time.perf_counter()
    environ = os.environ if env is None else env
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse already printed usage and the problem
        return EXIT_OK if e.code == 0 else EXIT_USAGE
    log_format = args.log_format or environ.get(FORMAT_VARIABLE, "").strip() or "text"
    if log_format not in LOG_FORMATS:
        _configure_logging(args.log_level)
        log.error("%s must be %s, got %.60r", FORMAT_VARIABLE, " or ".join(LOG_FORMATS), log_format)
        return EXIT_USAGE
    try:
        generation = generation_from_env(environ)
    except ValueError as e:
        _configure_logging(args.log_level, log_format)
        log.error("%s", e)
        return EXIT_USAGE
    _configure_logging(args.log_level, log_format, generation)
    port = args.port
    if port is None:
        try:
            port = _port(environ.get("ROUTER_PORT", "").strip() or str(DEFAULT_PORT))
        except argparse.ArgumentTypeError as e:
            log.error("ROUTER_PORT: %s", e)
            return EXIT_USAGE
    if not args.request_timeout > 0:
        log.error("--request-timeout must be a positive number of seconds, got %s", args.request_timeout)
        return EXIT_USAGE
    try:
        spawned_by = spawned_by_from_env(environ)
    except ValueError as e:
        log.error("%s", e)
        return EXIT_USAGE

    # Installed first, so a SIGTERM or a dead parent during start-up still ends in a clean exit 0.
    stop = _StopSignal()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda number, _frame: stop.request(signal.Signals(number).name))
    start_lifeline(args.lifeline, stop.request)

    log.info("[*] Starting AI router %s (Python %s, pid %d)", __version__, sys.version.split()[0], os.getpid())
    if spawned_by:
        log.info("[*] Spawned by airouter instance %s (pid %d): no other airouter adopts this router",
                 spawned_by.instance_id, spawned_by.pid)
    log.info("[*] Loading agent catalogue %s", args.agents or DEFAULT_CATALOGUE_PATH)
    try:
        catalogue = load_catalogue(args.agents, HANDLERS.keys())
        llm_config = LlmConfig.from_env(environ)
    except (CatalogueError, ValueError) as e:
        log.error("%s", e)
        return EXIT_FAILURE
    log.info("[*] Language model: %s", llm_config.describe() if llm_config else
             "none configured (set ROUTER_LLM_URL to use one)")
    trained = time.perf_counter()
    router = Router.train(catalogue, LlmClient(llm_config) if llm_config else None)
    examples = sum(len(a.examples) for a in catalogue.agents)
    log.info("[*] Trained %s on %d examples for %d agents (%d features, temperature %.2f) in %.0f ms",
             router.model, examples, len(catalogue.agents), router.classifier.vocabulary_size,
             router.classifier.temperature, (time.perf_counter() - trained) * 1000)
    try:
        config = ServerConfig(request_timeout_s=args.request_timeout,
                              **{limit.name: getattr(args, limit.name) for limit in LIMITS})
        server = create_server(router, args.host, port, config, spawned_by)
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            log.error("port %d on %s is already in use — is another router running? "
                      "Stop it or pass --port / ROUTER_PORT", port, args.host)
        else:
            log.error("cannot listen on %s:%d: %s", args.host, port, e.strerror or e)
        return EXIT_FAILURE

    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="http-server", daemon=True)
    thread.start()
    if args.lifeline != "none":
        log.info("[*] Lifeline: %s", args.lifeline)
    log.info("[OK] AI router ready on http://%s:%d (%d agents, %.0f ms; listening since %s)", _url_host(args.host),
             server.port, len(catalogue.agents), (time.perf_counter() - started) * 1000,
             _iso_utc(server.listening_since))

    reason = stop.wait()
    log.info("[*] Stopping: %s", reason)
    server.shutdown()
    server.server_close()
    log.info("[OK] AI router stopped")
    return EXIT_OK


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _iso_utc(moment: datetime) -> str:
    """ISO-8601 UTC with microseconds and a Z, e.g. 2026-12-03T14:26:09.123456Z (``moment`` is UTC)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
