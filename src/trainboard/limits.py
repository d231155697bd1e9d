"""What every store engine can keep, in one place: the SDK and the ingest route refuse the rest
at the call, so a bad value raises where it was made instead of failing a background write.

Each limit exists because one engine would refuse (or silently change) the value otherwise:

- steps are int64 (both engines store them as BIGINT);
- strings are UTF-8 without NUL (PostgreSQL's text and jsonb reject NUL; neither engine can
  encode a lone surrogate);
- keys, names, projects, models and tags are at most `MAX_KEY_LENGTH` characters (they are
  indexed, and a PostgreSQL btree entry holds at most ~2.7 kB: 256 characters of UTF-8 is at
  most 1 kB);
- values are float64: an int too large for one (10**400) cannot be stored.
"""

from __future__ import annotations

MAX_KEY_LENGTH = 256
"""Longest metric/text/histogram key, run name, project, model or tag, in characters."""

STEP_MAX = 2**63 - 1
"""Largest step (int64); steps are non-negative."""


def text_problem(s: str) -> str | None:
    """Why no store can keep the string `s` as it is (None when every store can)."""
    if "\x00" in s:
        return f"holds a NUL character at index {s.index(chr(0))}"
    try:
        s.encode("utf-8")
    except UnicodeEncodeError as e:
        return f"is not valid UTF-8 (lone surrogate {s[e.start]!r} at index {e.start})"
    return None


def key_problem(s: str) -> str | None:
    """text_problem, plus the length limit of keys and names."""
    if len(s) > MAX_KEY_LENGTH:
        return f"is {len(s)} characters long (at most {MAX_KEY_LENGTH})"
    return text_problem(s)


def step_problem(step: int) -> str | None:
    """Why `step` is not a storable step (None when it is)."""
    if step < 0:
        return f"must be a non-negative int, got {step}"
    if step > STEP_MAX:
        return f"must fit in int64 (at most 2**63 - 1), got {step}"
    return None
