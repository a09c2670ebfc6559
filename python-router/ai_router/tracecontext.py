"""W3C Trace Context: the trace id of a request's ``traceparent`` header, for the logs.

``traceparent`` is ``version-traceid-parentid-flags`` in lowercase hex (https://www.w3.org/TR/trace-context/):
version 2 digits and not ``ff``; trace-id 32 digits, not all zeros; parent-id 16 digits, not all
zeros; flags 2 digits. Version ``00`` is exactly 55 characters; a higher version is at least 55, and
when longer its 56th character is ``-`` (the fields a later version adds follow it). Anything else is
invalid and ignored: the router does not invent a trace id (the backend always sends one), and never
repeats a malformed header anywhere.
"""

from __future__ import annotations

import re
from typing import List, Optional

HEADER = "traceparent"
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_LENGTH = 55


def trace_id(values: Optional[List[str]]) -> Optional[str]:
    """The 32-hex trace id of the request's ``traceparent`` header values, or None when absent or invalid.

    ``values`` are all the request's ``traceparent`` headers (``headers.get_all``); more than one is
    invalid, as the W3C test suite treats it. Optional whitespace around the value (HTTP OWS) is ignored.
    """
    if not values or len(values) != 1:
        return None
    value = values[0].strip(" \t")
    if len(value) < _LENGTH:
        return None
    match = _TRACEPARENT.fullmatch(value[:_LENGTH])
    if match is None:
        return None
    version, trace, parent, _flags = match.groups()
    if version == "ff":
        return None
    if version == "00" and len(value) != _LENGTH:
        return None
    if len(value) > _LENGTH and value[_LENGTH] != "-":
        return None
    if trace == "0" * 32 or parent == "0" * 16:
        return None
    return trace
