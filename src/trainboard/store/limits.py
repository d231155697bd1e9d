"""What a store can hold: the limits every engine enforces, and the SDK checks at log() time.

Why one module: a value the store can never accept must be refused where it is made (the
`log()` call, the ingest request) with the same rule the store applies, or a writer retries
a batch that can never succeed. Engines call these checks before they write; the SDK and the
ingest route import the same functions (this module imports nothing heavy).

The limits, and where they come from:

- Strings (run names, projects, models, keys, tags, texts, notes, artifact names) are valid
  Unicode without NUL characters: PostgreSQL text cannot hold NUL, and a lone surrogate
  cannot be encoded as UTF-8 for either engine. Both engines refuse both, so a run moves
  between engines unchanged. (Config values are JSON: NUL there is escaped and allowed.)
- Keys (metric, text, histogram), project names and artifact kinds are at most
  MAX_KEY_BYTES bytes in UTF-8: they are indexed, and a PostgreSQL index entry cannot
  exceed about 2.7 kB.
- Steps and other integers are int64 (PostgreSQL BIGINT, SQLite INTEGER); a process id is
  int32.
"""

from __future__ import annotations

from typing import Any

from trainboard.errors import UsageError
from trainboard.limits import INT32_MAX, INT64_MAX, INT64_MIN, MAX_KEY_BYTES

__all__ = ["INT32_MAX", "INT64_MAX", "INT64_MIN", "MAX_KEY_BYTES"]  # the numbers live there


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "...")


def check_text(where: str, value: Any) -> str:
    """`value` as a str a store can hold; UsageError naming `where` otherwise."""
    if not isinstance(value, str):
        raise UsageError(f"{where} must be a str, got {type(value).__name__}")
    if "\x00" in value:
        raise UsageError(f"{where} must not contain NUL (\\x00) characters, got {_shown(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise UsageError(
            f"{where} must be valid Unicode, got a lone surrogate {value[e.start]!r} at index "
            f"{e.start} of {_shown(value)}"
        ) from None
    return value


def check_key(where: str, value: Any) -> str:
    """A non-empty key (metric, text, histogram), project or kind within MAX_KEY_BYTES."""
    text = check_text(where, value)
    if not text:
        raise UsageError(f"{where} must be a non-empty str")
    size = len(text.encode("utf-8"))
    if size > MAX_KEY_BYTES:
        raise UsageError(
            f"{where} is {size} bytes in UTF-8, over the limit of {MAX_KEY_BYTES}: {_shown(text)}"
        )
    return text


def check_int(where: str, value: Any, *, bits: int = 64) -> int:
    """`value` as an int of `bits` bits (64 or 32, signed); UsageError otherwise."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise UsageError(f"{where} must be an int, got {type(value).__name__}")
    v = int(value.__index__())
    lo, hi = (INT64_MIN, INT64_MAX) if bits == 64 else (-INT32_MAX - 1, INT32_MAX)
    if not lo <= v <= hi:
        raise UsageError(f"{where} must fit in int{bits} ({lo} to {hi}), got {v}")
    return v
