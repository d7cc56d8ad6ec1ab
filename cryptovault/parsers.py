"""Request body parsers for the API: JSON read with bounded nesting.

DRF's own JSONParser hands the body to ``json.load``, which recurses once per level
of nesting; ours measures the nesting first (``cryptovault.json_input``) and answers
400 ``invalid_json`` for anything malformed or deeper than 64 levels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from cryptovault.json_input import MAX_DEPTH, JsonInputError, json_loads


class BoundedJSONParser(JSONParser):
    """JSON bodies, refused with 400 ``invalid_json`` when malformed or nested too deep."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read()
        try:
            return json_loads(raw.decode(encoding) if isinstance(raw, bytes) else raw, MAX_DEPTH)
        except (JsonInputError, UnicodeDecodeError, LookupError) as error:
            raise ParseError(f"JSON parse error: {error}", code="invalid_json") from None
