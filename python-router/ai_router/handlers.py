"""Built-in agent handlers. Each takes a HandlerContext and returns a Reply; none raises for user input.

Catalogue entries name their handler: general_chat, conversation_recall, calculator, datetime, help, llm.
When the caller streams (the context has a Cancellation), a handler may return a StreamingReply
instead, whose pieces come as they are produced; the llm handler does. A finished Reply is streamed
as its word-sized pieces (``word_pieces``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Dict, Generator, List, Optional, Tuple, Union

from ai_router.calculator import CalculationError, calculate
from ai_router.cancel import Cancellation
from ai_router.catalogue import Agent, Catalogue
from ai_router.llm import LlmClient, LlmError
from ai_router.protocol import Turn

QUOTE_LIMIT = 500
LLM_HISTORY_TURNS = 20


@dataclass(frozen=True)
class HandlerContext:
    """Everything a handler may use. ``history`` is oldest first and does not contain ``query``."""

    query: str
    history: Tuple[Turn, ...]
    agent: Agent
    catalogue: Catalogue
    now: datetime
    fallback: bool = False
    best_guess: Optional[str] = None
    llm: Optional[LlmClient] = None
    cancellation: Optional[Cancellation] = None  # set when the answer is streamed


@dataclass(frozen=True)
class Reply:
    """A handler's answer; ``note`` is added to the response's ``reasoning``."""

    content: str
    note: str = ""


@dataclass(frozen=True)
class StreamingReply:
    """An answer sent while it is produced: ``pieces`` yields non-empty texts and returns the note.

    Iterating raises ReplyFailed when the answer breaks off after some pieces, and Cancelled once the
    context's Cancellation fires. Closing the generator releases what it holds (a model connection).
    """

    pieces: Generator[str, None, str]


class ReplyFailed(Exception):
    """A streamed answer broke off after some pieces; ``error`` and ``details`` are safe to show."""

    def __init__(self, error: str, details: str) -> None:
        super().__init__(f"{error}: {details}")
        self.error = error
        self.details = details


Handler = Callable[[HandlerContext], Union[Reply, StreamingReply]]
_PIECE = re.compile(r"^\s*\S+\s*|\S+\s*")


def word_pieces(reply: Reply) -> Generator[str, None, str]:
    """A finished reply as word-sized pieces (leading whitespace stays with the first); returns the note."""
    found = _PIECE.findall(reply.content)
    if not found and reply.content:
        found = [reply.content]  # whitespace only
    yield from found
    return reply.note


def _words(text: str) -> List[str]:
    return re.findall(r"[a-z]+", text.lower().replace("'", "").replace("’", ""))


def _has(text: str, pattern: str) -> bool:
    return re.search(pattern, text.lower().replace("'", "").replace("’", "")) is not None


# --- general-chat ---------------------------------------------------------------------------

_JOKES = (
    "Why do programmers prefer dark mode? Because light attracts bugs.",
    "I told my computer I needed a break, and it said: \"No problem, I'll go to sleep.\"",
    "There are 10 kinds of people: those who understand binary and those who don't.",
)


def general_chat(ctx: HandlerContext) -> Union[Reply, StreamingReply]:
    """Small talk with canned but friendly replies; unsure queries get a pointer to what works."""
    q = ctx.query
    if _has(q, r"\b(joke|funny)\b"):
        return Reply(_JOKES[len(ctx.history) % len(_JOKES)])
    if _has(q, r"\b(thanks|thank you|thx|cheers|appreciate)\b"):
        return Reply("You're welcome! Anything else I can help with?")
    if _has(q, r"\b(bye|goodbye|see you|good night|farewell)\b"):
        return Reply("Goodbye! Come back any time.")
    if _has(q, r"\bhow (are|r) (you|u)\b|\bhows it going\b|\bhow do you do\b"):
        return Reply("I'm running smoothly, thanks for asking! What can I do for you?")
    if _has(q, r"\b(who|what) are you\b|\byour name\b"):
        return Reply("I'm the AI router: I read each message, pick the agent best suited to it "
                     "and let that agent answer. Ask \"what can you do?\" to see them all.")
    if _has(q, r"^\W*(hello|hi|hey|howdy|greetings|hiya|yo|good (morning|afternoon|evening|day))\b"):
        return Reply("Hello! How can I help you today? I can do arithmetic, tell the date and time, "
                     "recall what we talked about, and more — ask \"help\" for the list.")
    if _has(q, r"\bbored\b"):
        return Reply("Let's fix that: ask me for a joke, give me a sum to work out, or ask what I can do.")
    if ctx.llm is not None:
        return llm(ctx)
    if ctx.fallback:
        guess = f" (my best guess was {ctx.best_guess}, but I wasn't confident enough)" if ctx.best_guess else ""
        return Reply("I'm not sure which of my agents should handle that" + guess + ". "
                     "Could you rephrase it? Ask \"help\" to see what I can do.")
    return Reply("I'm here and listening. I'm a router with a few built-in skills rather than a full "
                 "language model, so I may not have much to say about that — ask \"help\" to see what I can do.")


# --- conversation-recall --------------------------------------------------------------------

_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
_ORDINAL_NAMES = {n: w for w, n in _ORDINALS.items()}


def _quote(text: str) -> str:
    shown = text if len(text) <= QUOTE_LIMIT else text[:QUOTE_LIMIT].rstrip() + "…"
    return f"\u201c{shown}\u201d"


def conversation_recall(ctx: HandlerContext) -> Reply:
    """Quotes earlier messages from ``history``: the last one, the Nth, mine, or a summary."""
    history = list(ctx.history)
    # The backend sends earlier turns only; if the current query was appended anyway, ignore it.
    if history and history[-1].role == "user" and history[-1].content.strip() == ctx.query.strip():
        history.pop()
    mine = [t.content for t in history if t.role == "user"]
    yours = [t.content for t in history if t.role == "assistant"]
    words = set(_words(ctx.query))
    q = ctx.query.lower()
    if not mine and not yours:
        return Reply("This is the start of our conversation, so there's nothing earlier for me to recall yet.",
                     "no history")
    if _has(q, r"\bhow many\b"):
        return Reply(f"So far you've sent {len(mine)} message{'s' if len(mine) != 1 else ''} "
                     f"before this one, and I've replied {len(yours)} time{'s' if len(yours) != 1 else ''}.")
    if _has(q, r"\b(summar|talked about|discuss|conversation so far|so far)"):
        listed = "\n".join(f"{i}. {_quote(m)}" for i, m in enumerate(mine, 1))
        return Reply(f"Here's what you've said so far ({len(mine)} message{'s' if len(mine) != 1 else ''}):\n"
                     + listed if mine else "You haven't said anything before this message yet.")
    if _has(q, r"\b(you|your)\b") and not _has(q, r"\b(i|my|me)\b"):
        if not yours:
            return Reply("I haven't said anything yet in this conversation.")
        return Reply(f"I last said: {_quote(yours[-1])}")
    if not mine:
        return Reply("You haven't said anything before this message, so there's nothing to quote yet.")
    ordinal = next((n for w, n in _ORDINALS.items() if w in words), None)
    if ordinal is not None:
        name = _ORDINAL_NAMES[ordinal]
        if ordinal > len(mine):
            return Reply(f"You've only sent {len(mine)} message{'s' if len(mine) != 1 else ''} before this one, "
                         f"so there's no {name} one yet.")
        return Reply(f"Your {name} message was: {_quote(mine[ordinal - 1])}", f"quoted user message #{ordinal}")
    if words & {"before", "that"} and "just" not in words and len(mine) >= 2:
        return Reply(f"Before that, you said: {_quote(mine[-2])}", "quoted the second most recent user message")
    return Reply(f"You just said: {_quote(mine[-1])}", "quoted the most recent user message")


# --- calculator -----------------------------------------------------------------------------


def calculator(ctx: HandlerContext) -> Reply:
    """Evaluates the arithmetic in the query with the safe parser."""
    try:
        result = calculate(ctx.query)
    except CalculationError as e:
        return Reply(str(e), "could not evaluate the expression")
    return Reply(f"{result.expression} = {result.formatted()}", "evaluated with the safe arithmetic parser")


# --- datetime -------------------------------------------------------------------------------

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def date_time(ctx: HandlerContext) -> Reply:
    """Answers date, time, weekday, month and year questions from the clock (UTC and local)."""
    utc = ctx.now
    local = utc.astimezone()
    day = f"{utc:%A}, {utc.day} {utc:%B %Y}"
    clock = f"{utc:%H:%M} UTC"
    if local.utcoffset() != utc.utcoffset():
        clock += f" ({local:%H:%M} local time, {local:%Z})"
    words = set(_words(ctx.query))
    asked_day = words & set(_WEEKDAYS)
    if asked_day:
        name = asked_day.pop()
        today = _WEEKDAYS[utc.weekday()]
        answer = "Yes" if name == today else "No"
        return Reply(f"{answer}, today is {day} (UTC).")
    if "year" in words and not words & {"date", "time"}:
        return Reply(f"It's {utc.year}.")
    if "month" in words and not words & {"date", "time"}:
        return Reply(f"It's {utc:%B %Y}.")
    wants_time = bool(words & {"time", "clock", "hour", "utc"})
    wants_date = bool(words & {"date", "day", "today", "todays", "weekday"})
    if wants_time and not wants_date:
        return Reply(f"It's {clock}.")
    if wants_date and not wants_time:
        return Reply(f"Today is {day} (UTC).")
    return Reply(f"It's {clock} on {day}.")


# --- help -----------------------------------------------------------------------------------


def help_agent(ctx: HandlerContext) -> Reply:
    """Lists every agent of the catalogue with its description and one example."""
    lines = ["Here's what I can do — I pick one of these agents for each message:"]
    for agent in ctx.catalogue.agents:
        lines.append(f"• {agent.name}: {agent.description} (e.g. \"{agent.examples[0]}\")")
    model = "A language model is configured for the knowledge-work agents." if ctx.llm else (
        "No language model is configured, so the knowledge-work agents can only say what they would do.")
    lines.append(model)
    return Reply("\n".join(lines))


# --- llm ------------------------------------------------------------------------------------


def llm(ctx: HandlerContext) -> Union[Reply, StreamingReply]:
    """Asks the configured language model; without one (or when it fails) says so honestly.

    Streamed (the context has a Cancellation): the model's answer as it comes; a failure before its
    first piece gives the same honest answer as unstreamed, a failure after it raises ReplyFailed.
    """
    if ctx.llm is None:
        return Reply(
            f"This looks like a job for the {ctx.agent.name} agent, which {_lower_first(ctx.agent.description)} "
            "But no language model is configured for this router (set ROUTER_LLM_URL to an "
            "OpenAI-compatible endpoint such as a local Ollama), so I can't give you a real answer — "
            "and I won't make one up.",
            "no language model configured")
    messages = [{"role": "system", "content": ctx.agent.system_prompt or ctx.agent.description}]
    messages += [{"role": t.role, "content": t.content} for t in ctx.history[-LLM_HISTORY_TURNS:]]
    messages.append({"role": "user", "content": ctx.query})
    if ctx.cancellation is not None:
        return StreamingReply(_llm_pieces(ctx, ctx.llm, messages, ctx.cancellation))
    try:
        return Reply(ctx.llm.complete(messages), f"answered by language model {ctx.llm.config.model}")
    except LlmError as e:
        return _model_failed(ctx, e)


def _llm_pieces(ctx: HandlerContext, client: LlmClient, messages: List[Dict[str, str]],
                cancellation: Cancellation) -> Generator[str, None, str]:
    answer = client.stream(messages, cancellation)
    started = False
    try:
        for piece in answer:
            started = True
            yield piece
    except LlmError as e:
        if started:
            raise ReplyFailed("language model failed", str(e)) from None
        failed = _model_failed(ctx, e)
        yield from word_pieces(failed)
        return failed.note
    finally:
        answer.close()
    return f"answered by language model {client.config.model}"


def _model_failed(ctx: HandlerContext, error: LlmError) -> Reply:
    return Reply(
        f"This looks like a job for the {ctx.agent.name} agent, which {_lower_first(ctx.agent.description)} "
        f"But the language model could not answer just now ({error}), so I can't give you a real "
        "answer — please try again in a moment.",
        "language model failed")


def _lower_first(text: str) -> str:
    sentence = text if text.endswith(".") else text + "."
    return sentence[:1].lower() + sentence[1:]


HANDLERS: Dict[str, Handler] = {
    "general_chat": general_chat,
    "conversation_recall": conversation_recall,
    "calculator": calculator,
    "datetime": date_time,
    "help": help_agent,
    "llm": llm,
}
