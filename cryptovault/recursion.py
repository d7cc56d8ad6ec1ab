"""The interpreter's recursion limit, kept at the value the process started with.

py_ecc (imported by eth-account, on the first wallet signature check) raises the
limit to 100,000 for the whole process. Python frames then outgrow the C stack long
before the limit stops them: a body of 200 KB of ``[`` sent to any JSON endpoint
overflowed the C stack in the decoder and killed the process with SIGSEGV (every
request in flight lost with it). The libraries we use recurse far less than the
default limit (secp256k1 multiplication recurses once per bit: 256 frames), so the
limit is put back after such an import and checked again at every request: whatever
a library does, deep recursion raises RecursionError, never a crash. Bounded JSON
nesting (``cryptovault.json_input``) is the first line; this is the second.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)

# CPython's default: what every library we run is written and tested for, and far
# below what a thread's C stack holds.
RECURSION_LIMIT = 1000


def recursion_limit_keep() -> None:
    """Put the recursion limit back if anything raised it; cheap enough for every request."""
    current = sys.getrecursionlimit()
    if current != RECURSION_LIMIT:
        if current not in _reported:  # once per value: a test runner may raise it often
            _reported.add(current)
            logger.warning("Recursion limit %d restored to %d", current, RECURSION_LIMIT)
        sys.setrecursionlimit(RECURSION_LIMIT)


_reported: set[int] = set()


@contextmanager
def recursion_limit_kept() -> Iterator[None]:
    """Around an import of a library that changes the limit on import (py_ecc)."""
    try:
        yield
    finally:
        recursion_limit_keep()
