"""Safe arithmetic for the calculator agent: a tokenizer and a recursive-descent parser, never eval.

Grammar (``%`` after a number is percent unless a number or ``(`` follows, then it is modulo)::

    expr    := term (("+" | "-") term)*
    term    := factor (("*" | "/" | "mod" | "%" | "of" | implicit "(") factor)*
    factor  := ("+" | "-") factor | power
    power   := postfix ("^" factor)?            right-associative, so -2^2 = -4
    postfix := primary "%"*
    primary := number | "(" expr ")" | "sqrt" factor

Words are rewritten to symbols first (plus, minus, times, divided by, to the power of, percent,
mod, squared, square root of, "add 2 and 3", "divide 9 by 3", ...).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple

MAX_TOKENS = 200
MAX_DEPTH = 50

_NUM = r"(\d+(?:\.\d+)?|\.\d+)"
_TEMPLATES: Tuple[Tuple[str, str], ...] = (
    (rf"\b(?:add|sum\s+of)\s+{_NUM}\s+(?:and|to|plus)\s+{_NUM}", r" \1 + \2 "),
    (rf"\bsubtract\s+{_NUM}\s+from\s+{_NUM}", r" \2 - \1 "),
    (rf"\bdifference\s+between\s+{_NUM}\s+and\s+{_NUM}", r" \1 - \2 "),
    (rf"\b(?:multiply|product\s+of)\s+{_NUM}\s+(?:by|and|with|times)\s+{_NUM}", r" \1 * \2 "),
    (rf"\bdivide\s+{_NUM}\s+(?:by|over)\s+{_NUM}", r" \1 / \2 "),
    (rf"\bremainder\s+(?:of|when)\s+{_NUM}\s+(?:is\s+)?(?:divided\s+by|by|/)\s+{_NUM}", r" \1 mod \2 "),
)
_WORDS: Tuple[Tuple[str, str], ...] = (
    (r"\bdivided\s+by\b", " / "),
    (r"\bmultiplied\s+by\b", " * "),
    (r"\bto\s+the\s+power\s+of\b", " ^ "),
    (r"\braised\s+to(?:\s+the\s+power\s+of)?\b", " ^ "),
    (r"\bto\s+the\s+power\b", " ^ "),
    (r"\bsquare\s+root\s+of\b", " sqrt "),
    (r"\bsquared\b", " ^ 2 "),
    (r"\bcubed\b", " ^ 3 "),
    (r"\bper\s*cent\b", " % "),
    (r"\btimes\b", " * "),
    (r"\bplus\b", " + "),
    (r"\bminus\b", " - "),
    (r"\bover\b", " / "),
    (r"\bmodulo\b", " mod "),
    (r"(?<=[\d)])\s*x\s*(?=[\d(.])", " * "),
)
_SYMBOLS = {"×": "*", "·": "*", "÷": "/", "−": "-", "–": "-", "**": "^", "√": " sqrt "}
_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d+)?|\.\d+)|(?P<op>[-+*/^%()])|(?P<word>[a-z]+)|(?P<other>\S))")
_MATH_WORDS = frozenset({"mod", "of", "sqrt"})
_FILLER = frozenset({
    "what", "whats", "is", "are", "the", "calculate", "calc", "compute", "evaluate", "work", "out",
    "how", "much", "many", "equals", "equal", "answer", "to", "please", "can", "could", "you",
    "tell", "me", "solve", "result", "value", "quick", "hey", "hi", "give", "do", "does", "make",
    "and", "question", "sum", "math", "maths",
})
_FILLER_PUNCT = frozenset("?=!.,:;")


class CalculationError(ValueError):
    """The expression cannot be evaluated; the message is written for the person who asked.

    ``syntax`` is True when the text is not a well-formed expression, False when it is one whose
    value does not exist or is out of range (division by zero, overflow, a negative square root).
    """

    def __init__(self, message: str, syntax: bool = False) -> None:
        super().__init__(message)
        self.syntax = syntax


@dataclass(frozen=True)
class Token:
    """A lexical token: kind is num, op, word or other."""

    kind: str
    text: str


@dataclass(frozen=True)
class Calculation:
    """An evaluated expression: the tokens as shown back to the user, and the number."""

    expression: str
    value: float

    def formatted(self) -> str:
        """The value as people write it: integers without a decimal point, else 10 significant digits."""
        return format_number(self.value)


def normalize(text: str) -> str:
    """Lower-case the text and rewrite operator words and symbols to ASCII operators."""
    s = text.lower().replace("'", "").replace("’", "")
    for symbol, replacement in _SYMBOLS.items():
        s = s.replace(symbol, replacement)
    s = re.sub(r"(?<=\d),(?=\d{3}\b)", "", s)  # thousands separators: 1,000 -> 1000
    for pattern, replacement in _TEMPLATES + _WORDS:
        s = re.sub(pattern, replacement, s)
    return s


def tokenize(text: str) -> List[Token]:
    """Split already-normalized text into tokens."""
    return [Token(m.lastgroup or "other", m.group(m.lastgroup or "other")) for m in _TOKEN.finditer(text)
            if m.lastgroup]


def _is_math(token: Token) -> bool:
    return token.kind in ("num", "op") or (token.kind == "word" and token.text in _MATH_WORDS)


def extract(text: str) -> Tuple[List[Token], bool]:
    """Find the arithmetic in free text.

    Returns the longest run of math tokens that holds a number, and whether the whole text is
    plainly arithmetic (only filler words around it and at least one operator).
    """
    tokens = tokenize(normalize(text))
    runs: List[Tuple[int, int]] = []
    start: Optional[int] = None
    for i, token in enumerate(tokens + [Token("other", "")]):
        if i < len(tokens) and _is_math(token):
            if start is None:
                start = i
        elif start is not None:
            runs.append((start, i))
            start = None
    best: Optional[Tuple[int, int]] = None
    for a, b in runs:
        while a < b and tokens[a].text == "of":
            a += 1
        if any(t.kind == "num" for t in tokens[a:b]) and (best is None or b - a > best[1] - best[0]):
            best = (a, b)
    if best is None:
        return [], False
    run = tokens[best[0]:best[1]]
    rest = tokens[:best[0]] + tokens[best[1]:]
    has_operator = any(t.kind == "op" and t.text not in "()" or t.text in ("mod", "sqrt") for t in run)
    only_filler = all(
        (t.kind == "word" and t.text in _FILLER) or (t.kind == "other" and t.text in _FILLER_PUNCT)
        or t.text == "of"
        for t in rest)
    numbers = sum(1 for t in run if t.kind == "num")
    plainly = has_operator and only_filler and (numbers >= 2 or any(t.text in ("%", "sqrt") for t in run))
    return run, plainly


def looks_like_arithmetic(text: str) -> bool:
    """True when the text is plainly a sum to work out ("what is 2 + 2?", "15% of 240")."""
    if not any(c.isdigit() for c in text):
        return False  # every expression needs a number: skip the rewriting for ordinary questions
    run, plainly = extract(text)
    if not plainly:
        return False
    try:
        _Parser(run).parse()
    except CalculationError as e:
        return not e.syntax  # "1/0" is still arithmetic, answered kindly by the calculator
    return True


def calculate(text: str) -> Calculation:
    """Evaluate the arithmetic found in ``text``. Raises CalculationError with a kind message."""
    run, _ = extract(text)
    if not run:
        raise CalculationError(
            "I couldn't find a calculation in that. Try something like \"12 * (3 + 4)\", "
            "\"15% of 240\" or \"2 to the power of 10\".", syntax=True)
    value = _Parser(run).parse()
    return Calculation(_render(run), value)


def format_number(value: float) -> str:
    """84.0 -> "84", 0.30000000000000004 -> "0.3", 1/3 -> "0.3333333333"."""
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.10g}"


def _render(tokens: Sequence[Token]) -> str:
    shown = {"*": "×", "/": "÷", "sqrt": "√"}
    out = ""
    for i, token in enumerate(tokens):
        text = shown.get(token.text, token.text)
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        is_percent = token.text == "%" and not (following and (following.kind == "num" or following.text == "("))
        if not out or token.text == ")" or is_percent or out.endswith(("(", "√")) or _after_sign(tokens, i):
            out += text
        else:
            out += " " + text
    return out


def _after_sign(tokens: Sequence[Token], i: int) -> bool:
    """True when tokens[i - 1] is a unary + or - (so "-2" is shown without a space)."""
    if i < 1 or tokens[i - 1].text not in ("+", "-"):
        return False
    before = tokens[i - 2] if i >= 2 else None
    return before is None or (before.kind == "op" and before.text != ")") or before.text in _MATH_WORDS


class _Parser:
    """Recursive-descent evaluator over a token list; the grammar is in the module docstring."""

    def __init__(self, tokens: Sequence[Token]) -> None:
        if len(tokens) > MAX_TOKENS:
            raise CalculationError(f"That expression is too long for me (over {MAX_TOKENS} symbols).", syntax=True)
        self.tokens = list(tokens)
        self.pos = 0
        self.depth = 0

    def parse(self) -> float:
        value = self._expr()
        if self.pos != len(self.tokens):
            raise CalculationError(
                f"I couldn't make sense of \"{self.tokens[self.pos].text}\" in that expression. "
                "Check the operators and parentheses?", syntax=True)
        return _finite(value)

    def _peek(self) -> Optional[str]:
        return self.tokens[self.pos].text if self.pos < len(self.tokens) else None

    def _take(self) -> str:
        text = self.tokens[self.pos].text
        self.pos += 1
        return text

    def _starts_primary(self) -> bool:
        if self.pos >= len(self.tokens):
            return False
        token = self.tokens[self.pos]
        return token.kind == "num" or token.text in ("(", "sqrt")

    def _expr(self) -> float:
        value = self._term()
        while self._peek() in ("+", "-"):
            op = self._take()
            right = self._term()
            value = value + right if op == "+" else value - right
        return value

    def _term(self) -> float:
        value = self._factor()
        while True:
            op = self._peek()
            if op in ("*", "/", "mod", "%", "of"):
                self._take()
            elif op == "(":
                op = "*"  # implicit multiplication: 2(3 + 4)
            else:
                return value
            right = self._factor()
            if op in ("*", "of"):
                value = value * right
            elif right == 0:
                raise CalculationError(
                    "Dividing by zero isn't defined — no number times zero gives "
                    f"{format_number(value)}. Try a different divisor?")
            elif op == "/":
                value = value / right
            else:
                value = math.fmod(value, right)  # the remainder takes the dividend's sign, as in C and Java
            value = _finite(value)

    def _factor(self) -> float:
        if self._peek() in ("+", "-"):
            sign = -1.0 if self._take() == "-" else 1.0
            return sign * self._nested(self._factor)
        return self._power()

    def _power(self) -> float:
        base = self._postfix()
        if self._peek() != "^":
            return base
        self._take()
        exponent = self._nested(self._factor)
        if base < 0 and not float(exponent).is_integer():
            raise CalculationError("A negative number to a fractional power isn't a real number.")
        if base == 0 and exponent < 0:
            raise CalculationError("Zero to a negative power would mean dividing by zero, which isn't defined.")
        try:
            return _finite(math.pow(base, exponent))
        except OverflowError:
            raise CalculationError("That result is too large for me to work out.") from None

    def _postfix(self) -> float:
        value = self._primary()
        while self._peek() == "%":
            self.pos += 1
            if self._starts_primary():  # "10 % 3" is modulo: hand the % back to _term
                self.pos -= 1
                break
            value = value / 100.0
        return value

    def _primary(self) -> float:
        text = self._peek()
        if text is None:
            raise CalculationError("That expression ends too early — is a number missing at the end?", syntax=True)
        token = self.tokens[self.pos]
        if token.kind == "num":
            self.pos += 1
            return float(token.text)
        if text == "(":
            self.pos += 1
            value = self._nested(self._expr)
            if self._peek() != ")":
                raise CalculationError("A parenthesis is left open — add the missing \")\"?", syntax=True)
            self.pos += 1
            return value
        if text == "sqrt":
            self.pos += 1
            value = self._nested(self._factor)
            if value < 0:
                raise CalculationError("The square root of a negative number isn't a real number.")
            return math.sqrt(value)
        raise CalculationError(f"I expected a number where \"{text}\" is. Check the expression?", syntax=True)

    def _nested(self, parse: Callable[[], float]) -> float:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise CalculationError("That expression is nested too deeply for me.", syntax=True)
        try:
            return parse()
        finally:
            self.depth -= 1


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise CalculationError("That result is too large for me to work out.")
    return float(f"{value:.12g}")
