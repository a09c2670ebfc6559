"""The routing core: choose an agent for a query (classifier, threshold, arithmetic shortcut) and run it.

Independent of HTTP so it can be tested and benchmarked directly. ``route`` gives the whole answer,
``route_stream`` the events of a streamed one (protocol.StreamEvent).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Generator, List, Optional

from ai_router.calculator import looks_like_arithmetic
from ai_router.cancel import Cancellation
from ai_router.catalogue import Catalogue
from ai_router.classifier import MODEL_NAME, NaiveBayesClassifier
from ai_router.handlers import HANDLERS, HandlerContext, Reply, ReplyFailed, StreamingReply, word_pieces
from ai_router.llm import LlmClient
from ai_router.protocol import BadRequest, RouteRequest, RouteResult, StreamEvent


@dataclass(frozen=True)
class Decision:
    """Which agent answers and why."""

    agent: str
    confidence: float
    fallback: bool
    reasoning: str
    classification_ms: float
    best_guess: Optional[str] = None


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(timezone.utc)


class Router:
    """Trained classifier + catalogue + handlers. Thread-safe: nothing changes after construction."""

    def __init__(self, catalogue: Catalogue, classifier: NaiveBayesClassifier,
                 llm: Optional[LlmClient] = None, clock: Callable[[], datetime] = utc_now) -> None:
        self.catalogue = catalogue
        self.classifier = classifier
        self.llm = llm
        self.clock = clock
        self.model = MODEL_NAME
        self._arithmetic_agent = next((a.name for a in catalogue.agents if a.handler == "calculator"), None)

    @classmethod
    def train(cls, catalogue: Catalogue, llm: Optional[LlmClient] = None,
              clock: Callable[[], datetime] = utc_now) -> "Router":
        """Fit the classifier on the catalogue's examples and return a ready router."""
        examples = [(example, agent.name) for agent in catalogue.agents for example in agent.examples]
        return cls(catalogue, NaiveBayesClassifier().fit(examples), llm, clock)

    def decide(self, query: str, forced_agent: Optional[str] = None) -> Decision:
        """Pick the agent for ``query``. Raises BadRequest for an unknown forced agent."""
        started = time.perf_counter()
        if forced_agent is not None:
            if self.catalogue.get(forced_agent) is None:
                valid = self.catalogue.names()
                raise BadRequest(f"unknown agent {forced_agent!r:.80}; valid agents: {', '.join(valid)}",
                                 extra={"valid_agents": valid})
            return Decision(forced_agent, 1.0, False, f"agent {forced_agent} requested by the caller",
                            _ms_since(started))
        if self._arithmetic_agent is not None and looks_like_arithmetic(query):
            return Decision(self._arithmetic_agent, 1.0, False,
                            "recognised as arithmetic before classification", _ms_since(started))
        prediction = self.classifier.predict(query)
        elapsed = _ms_since(started)
        threshold = self.catalogue.confidence_threshold
        runner_up = prediction.ranking[1] if len(prediction.ranking) > 1 else None
        detail = f"classifier: {prediction.label} at {prediction.confidence:.2f}" + (
            f" (next: {runner_up[0]} at {runner_up[1]:.2f})" if runner_up else "")
        if prediction.confidence < threshold:
            fallback = self.catalogue.fallback_agent
            return Decision(fallback, prediction.confidence, True,
                            f"{detail}; below the {threshold:.2f} threshold, so {fallback} answers",
                            elapsed, prediction.label)
        return Decision(prediction.label, prediction.confidence, False, detail, elapsed)

    def route(self, request: RouteRequest) -> RouteResult:
        """Decide and run the agent's handler. Raises BadRequest for an unknown forced agent."""
        started = time.perf_counter()
        decision = self.decide(request.query, request.agent)
        agent = self.catalogue.get(decision.agent)
        assert agent is not None
        context = HandlerContext(request.query, request.history, agent, self.catalogue, self.clock(),
                                 decision.fallback, decision.best_guess, self.llm)
        reply = HANDLERS[agent.handler](context)
        assert isinstance(reply, Reply)  # only a streamed context (one with a Cancellation) gets a StreamingReply
        reasoning = decision.reasoning + (f"; {reply.note}" if reply.note else "")
        return RouteResult(agent.name, decision.confidence, reply.content, reasoning,
                           decision.classification_ms, _ms_since(started), decision.fallback)

    def route_stream(self, request: RouteRequest,
                     cancellation: Optional[Cancellation] = None) -> Generator[StreamEvent, None, None]:
        """Decide now, then give the answer's events as they exist: meta, deltas, then done or error.

        Raises BadRequest at once (before any event) for an unknown forced agent. The iterator runs
        the agent; ``meta`` comes before it starts. The delta texts join to ``done``'s content, which
        is the body ``route`` would return. Iterating raises Cancelled once ``cancellation`` fires (the
        caller has gone); a model request in progress is shut down at that moment. Whoever stops
        early must close the iterator, which releases a model connection at once.
        """
        started = time.perf_counter()
        decision = self.decide(request.query, request.agent)
        return self._events(request, decision, cancellation or Cancellation(), started)

    def _events(self, request: RouteRequest, decision: Decision, cancellation: Cancellation,
                started: float) -> Generator[StreamEvent, None, None]:
        agent = self.catalogue.get(decision.agent)
        assert agent is not None
        yield StreamEvent.meta(agent.name, decision.confidence, decision.reasoning, decision.fallback,
                               decision.classification_ms)
        context = HandlerContext(request.query, request.history, agent, self.catalogue, self.clock(),
                                 decision.fallback, decision.best_guess, self.llm, cancellation)
        reply = HANDLERS[agent.handler](context)
        answer = reply.pieces if isinstance(reply, StreamingReply) else word_pieces(reply)
        sent: List[str] = []
        try:
            while True:
                cancellation.raise_if_cancelled()
                try:
                    piece = next(answer)
                except StopIteration as end:
                    note = end.value or ""
                    break
                if piece:
                    sent.append(piece)
                    yield StreamEvent.delta(piece)
        except ReplyFailed as e:
            yield StreamEvent.error(e.error, e.details)
            return
        finally:
            answer.close()
        reasoning = decision.reasoning + (f"; {note}" if note else "")
        yield StreamEvent.done(RouteResult(agent.name, decision.confidence, "".join(sent), reasoning,
                                           decision.classification_ms, _ms_since(started), decision.fallback))


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
