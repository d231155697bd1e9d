"""What every store engine can keep, in one place: the SDK and the ingest route refuse the rest
at the call, so a bad value raises where it was made instead of failing a background write,
and the engines check the same rules before they write (`check_text`, `check_key`,
`check_int`), so a writer never retries a batch that can never succeed. This module imports
only trainboard.errors, so `import trainboard` stays light.

Each limit exists because one engine would refuse (or silently change) the value otherwise:

- steps are int64 (both engines store them as BIGINT);
- strings are UTF-8 without NUL (PostgreSQL's text and jsonb reject NUL; neither engine can
  encode a lone surrogate);
- keys, names, projects, models and tags are at most `MAX_KEY_BYTES` bytes of UTF-8 (they
  are indexed, and a PostgreSQL btree entry holds at most ~2.7 kB);
- values are float64: an int too large for one (10**400) cannot be stored;
- a config or summary value is nested at most `MAX_JSON_DEPTH` levels (orjson writes at most
  254, and a self-referencing dict never ends).
"""

from __future__ import annotations

from typing import Any

from trainboard.errors import UsageError

MAX_KEY_BYTES = 1024
"""Longest metric/text/histogram key, run name, project, model or tag, in UTF-8 bytes."""

MAX_JSON_DEPTH = 64
"""Deepest nesting of dicts and lists in a config or summary value (the top level is 1)."""

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
INT32_MAX = 2**31 - 1
STEP_MAX = INT64_MAX
"""Largest step (int64); steps are non-negative."""


def text_problem(s: str) -> str | None:
    """Why no store can keep the string `s` as it is (None when every store can)."""
    if "\x00" in s:
        return f"holds a NUL character at index {s.index(chr(0))}"
    return unicode_problem(s)


def unicode_problem(s: str) -> str | None:
    """Why `s` cannot be written as UTF-8 (None when it can). Inside JSON (a config) this is
    the only limit: a NUL is escaped there."""
    try:
        s.encode("utf-8")
    except UnicodeEncodeError as e:
        return f"is not valid UTF-8 (lone surrogate {s[e.start]!r} at index {e.start})"
    return None


def key_problem(s: str) -> str | None:
    """text_problem, plus the length limit of keys and names."""
    problem = text_problem(s)
    if problem is None and len(s) * 4 > MAX_KEY_BYTES:  # only then can it be too long
        size = len(s.encode("utf-8"))
        if size > MAX_KEY_BYTES:
            return f"is {size} bytes in UTF-8 (at most {MAX_KEY_BYTES})"
    return problem


def step_problem(step: int) -> str | None:
    """Why `step` is not a storable step (None when it is)."""
    if step < 0:
        return f"must be a non-negative int, got {step}"
    if step > STEP_MAX:
        return f"must fit in int64 (at most 2**63 - 1), got {step}"
    return None


# the engines' checks: the value itself, or UsageError naming where it came from ---------
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
