"""How NaN and ±inf travel outside Python: as the strings "NaN", "Infinity", "-Infinity".

JSON has no such numbers (orjson would write null and lose them), and a metric that went NaN
is exactly what a person needs to see. The API, the exports, the CLI's --json and the reports
all spell them this way; Python's float(), pandas and JavaScript's Number() read them back.
"""

from __future__ import annotations

import math
from typing import Any, Literal, get_args

Spelled = Literal["NaN", "Infinity", "-Infinity"]  # the type of a spelling (API schemas, wire)
SPELLINGS: tuple[str, ...] = get_args(Spelled)


def spell(v: Any) -> Any:
    """A non-finite float as its string; anything else unchanged."""
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    return v


def spell_all(obj: Any) -> Any:
    """`obj` with every non-finite float, at any depth of dicts, lists and tuples, spelled."""
    if isinstance(obj, float):
        return spell(obj)
    if isinstance(obj, dict):
        return {k: spell_all(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [spell_all(v) for v in obj]
    return obj


def text(v: float) -> str:
    """A float for CSV: repr() (round-trips exactly) or its spelling."""
    return repr(v) if math.isfinite(v) else str(spell(v))


def parse(v: Any) -> float:
    """The inverse, for incoming bodies: a number, one of the spellings, or None (NaN)."""
    if isinstance(v, str):
        if v in SPELLINGS:
            return float(v.replace("Infinity", "inf"))
        raise ValueError(f"expected a number or 'NaN'/'Infinity'/'-Infinity', got {v!r}")
    if v is None:
        return math.nan
    return float(v)
