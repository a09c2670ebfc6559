"""The agent catalogue: which agents exist, how each answers, and the examples the classifier learns.

The shipped catalogue is ``agents.json`` beside this module; ``--agents FILE`` replaces it. Format::

    {"fallback_agent": "general-chat",          # optional, default general-chat
     "confidence_threshold": 0.65,              # optional, default 0.65
     "agents": [{"name": "calculator", "description": "...", "handler": "calculator",
                 "examples": ["what is 2 plus 2", ...], "system_prompt": "..."}]}
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Collection, Dict, List, Optional, Tuple

DEFAULT_CATALOGUE_PATH = Path(__file__).resolve().parent / "agents.json"
DEFAULT_THRESHOLD = 0.65
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class CatalogueError(Exception):
    """The catalogue file is missing, is not JSON, or does not describe a usable set of agents."""


@dataclass(frozen=True)
class Agent:
    """One agent: a name clients can ask for, what it does, how it answers, what it is asked."""

    name: str
    description: str
    handler: str
    examples: Tuple[str, ...]
    system_prompt: Optional[str] = None


@dataclass(frozen=True)
class Catalogue:
    """An immutable, validated set of agents plus the fallback rule."""

    agents: Tuple[Agent, ...]
    fallback_agent: str
    confidence_threshold: float
    source: str

    def names(self) -> List[str]:
        """Agent names in catalogue order."""
        return [agent.name for agent in self.agents]

    def get(self, name: str) -> Optional[Agent]:
        """The agent called ``name``, or None."""
        for agent in self.agents:
            if agent.name == name:
                return agent
        return None

    def fallback(self) -> Agent:
        """The agent that answers when the classifier is unsure."""
        agent = self.get(self.fallback_agent)
        assert agent is not None  # guaranteed by parse_catalogue
        return agent


def load_catalogue(path: Optional[Path], known_handlers: Collection[str]) -> Catalogue:
    """Read and validate a catalogue file (the shipped one when ``path`` is None).

    Raises CatalogueError naming the file and the first problem found.
    """
    file = path if path is not None else DEFAULT_CATALOGUE_PATH
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as e:
        raise CatalogueError(f"cannot read agent catalogue {file}: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise CatalogueError(f"agent catalogue {file} is not UTF-8: {e.reason}") from e
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise CatalogueError(f"agent catalogue {file} is not valid JSON: {e}") from e
    try:
        return parse_catalogue(data, known_handlers, str(file))
    except CatalogueError as e:
        raise CatalogueError(f"agent catalogue {file}: {e}") from e


def parse_catalogue(data: Any, known_handlers: Collection[str], source: str = "<memory>") -> Catalogue:
    """Validate already-decoded catalogue JSON. Raises CatalogueError on the first problem."""
    if not isinstance(data, dict):
        raise CatalogueError("top level must be a JSON object with an 'agents' list")
    raw_agents = data.get("agents")
    if not isinstance(raw_agents, list) or not raw_agents:
        raise CatalogueError("'agents' must be a non-empty list")
    agents: List[Agent] = []
    seen: Dict[str, int] = {}
    for index, raw in enumerate(raw_agents):
        agent = _parse_agent(raw, f"agents[{index}]", known_handlers)
        if agent.name in seen:
            raise CatalogueError(f"agents[{index}]: duplicate name '{agent.name}' (also agents[{seen[agent.name]}])")
        seen[agent.name] = index
        agents.append(agent)
    fallback = data.get("fallback_agent", "general-chat")
    if not isinstance(fallback, str) or fallback not in seen:
        raise CatalogueError(f"fallback_agent {fallback!r} is not one of the agents: {', '.join(seen)}")
    threshold = data.get("confidence_threshold", DEFAULT_THRESHOLD)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0.0 <= threshold <= 1.0:
        raise CatalogueError(f"confidence_threshold must be a number from 0 to 1, got {threshold!r}")
    return Catalogue(tuple(agents), fallback, float(threshold), source)


def _parse_agent(raw: Any, where: str, known_handlers: Collection[str]) -> Agent:
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where} must be an object")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise CatalogueError(f"{where}.name must match {_NAME.pattern}, got {name!r}")
    description = raw.get("description")
    if not isinstance(description, str) or not description.strip():
        raise CatalogueError(f"{where} ({name}).description must be a non-empty string")
    handler = raw.get("handler")
    if handler not in known_handlers:
        raise CatalogueError(
            f"{where} ({name}).handler must be one of {', '.join(sorted(known_handlers))}, got {handler!r}")
    examples = raw.get("examples")
    if (not isinstance(examples, list) or not examples
            or not all(isinstance(e, str) and e.strip() for e in examples)):
        raise CatalogueError(f"{where} ({name}).examples must be a non-empty list of non-empty strings")
    prompt = raw.get("system_prompt")
    if prompt is not None and not isinstance(prompt, str):
        raise CatalogueError(f"{where} ({name}).system_prompt must be a string when present")
    return Agent(name, description.strip(), handler, tuple(e.strip() for e in examples), prompt)
