"""Reading JSON from outside (request bodies, websocket frames): bounded nesting.

Python's JSON decoder recurses once per nesting level. Deep input (a body of 200 KB
of ``[``) either raises RecursionError (not a ValueError: a 500) or, when some
library has raised the interpreter's recursion limit, overflows the C stack and
kills the process (see ``cryptovault.recursion``). So the nesting depth is measured
first, without recursion, and anything deeper than ``MAX_DEPTH`` is refused before
the decoder sees it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

MAX_DEPTH = 64

# A JSON string (with its escapes) or one structural bracket. Brackets inside
# strings are consumed with the string, so only real nesting is counted.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)


class JsonInputError(ValueError):
    """The text is not JSON we accept; the message says why, for the client."""


def json_depth_check(text: str, max_depth: int = MAX_DEPTH) -> None:
    """Raise JsonInputError if ``text`` nests arrays/objects deeper than ``max_depth``."""
    depth = 0
    for match in _TOKENS.finditer(text):
        lexeme = match.group()
        if lexeme in "[{":
            depth += 1
            if depth > max_depth:
                raise JsonInputError(f"JSON nested deeper than {max_depth} levels.")
        elif lexeme in "]}":
            depth -= 1


def json_loads(
    text: str | bytes,
    max_depth: int = MAX_DEPTH,
    parse_float: Callable[[str], Any] | None = None,
) -> Any:
    """``json.loads`` for untrusted text: JsonInputError for anything it cannot read,
    including nesting past ``max_depth``, invalid UTF-8, NaN/Infinity literals.

    ``parse_float=Decimal`` reads every non-integer number from its own text (money:
    ``Decimal(str(float))`` keeps only the 15-17 digits a float has)."""
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise JsonInputError("JSON must be UTF-8.") from None
    json_depth_check(text, max_depth)
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=parse_float)
    except JsonInputError:
        raise
    except (ValueError, RecursionError) as error:
        raise JsonInputError(f"Malformed JSON: {error}") from None


def _refuse_constant(name: str) -> Any:
    raise JsonInputError(f"{name} is not valid JSON.")
