"""Human text for numbers, shared by the CLI, the API and the UI so a value reads the same
everywhere ("1h 2m 5s", "983,040", "0.98M", an ETA of "—" until it is known).

Every function accepts None (and NaN where a float is expected) and then answers with a
placeholder rather than raising: a progress card must render while a run has logged nothing.
"""

from __future__ import annotations

import math

UNKNOWN = "—"

_UNITS: tuple[tuple[str, int], ...] = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def duration(seconds: float | None) -> str:
    """ "45s", "1m 2s", "1h 2m 5s", "2d 3h 4m": the three largest units from the first non-zero
    one (seconds are dropped once days show: nobody reads them on a 34-day run).

    Fractions are cut, not rounded, so an elapsed clock never runs ahead of itself."""
    if seconds is None or not math.isfinite(seconds):
        return UNKNOWN
    total = int(max(seconds, 0.0))
    if total == 0:
        return "0s"
    parts: list[str] = []
    for unit, size in _UNITS:
        n, total = divmod(total, size)
        if n or parts:
            parts.append(f"{n}{unit}")
        if len(parts) == 3:
            break
    return " ".join(parts)


def eta(seconds: float | None) -> str:
    """The ETA: "—" while unknown, "0s" at the end, else a duration rounded up (a remaining
    0.4 s is not "0s": that is reserved for a run that is done)."""
    if seconds is None or not math.isfinite(seconds):
        return UNKNOWN
    if seconds <= 0:
        return "0s"
    return duration(math.ceil(seconds))


def integer(n: float | None) -> str:
    """ "983,040": an exact count with thousands separators."""
    if n is None or (isinstance(n, float) and not math.isfinite(n)):
        return UNKNOWN
    return f"{round(n):,}"


def millions(n: float | None) -> str:
    """ "0.98M", "12.35M"; past a thousand million "1.23B", then "4.56T" (a token count at a
    glance; the exact count is `integer`)."""
    if n is None or (isinstance(n, float) and not math.isfinite(n)):
        return UNKNOWN
    n = n + 0.0  # -0.0 reads "0.00M", as 0.0 does
    if abs(n) >= 1e12:
        return f"{n / 1e12:.2f}T"
    if abs(n) >= 1e9:
        return f"{n / 1e9:.2f}B"
    return f"{n / 1e6:.2f}M"


def number(x: float | None, digits: int = 4) -> str:
    """A metric value: `digits` decimals for ordinary magnitudes, scientific for tiny ones
    (a learning rate of 3e-05 is not "0.0000"), thousands separated for big ones ("61,440"),
    and "NaN" / "inf" shown, not hidden."""
    if x is None:
        return UNKNOWN
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x != 0 and abs(x) < 10 ** (-digits + 1):
        return f"{x:.{max(digits - 2, 1)}e}"
    if abs(x) >= 1000:
        return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"
    return f"{x:.{digits}f}"


def rate(per_s: float | None, unit: str = "") -> str:
    """ "1.92 steps/s", "15,400 tokens/s": three significant figures below 100, whole above."""
    if per_s is None or not math.isfinite(per_s):
        return UNKNOWN
    text = f"{per_s:,.0f}" if abs(per_s) >= 100 else f"{per_s:.3g}"
    return f"{text} {unit}/s" if unit else f"{text}/s"


def delta_pct(p: float | None) -> str:
    """ "+35.2%": a run's distance to the best run (positive = worse), signed, one decimal."""
    if p is None or not math.isfinite(p):
        return UNKNOWN
    return f"{p:+.1f}%"


def percent(p: float | None, digits: int = 1) -> str:
    """ "6.0%"."""
    if p is None or not math.isfinite(p):
        return UNKNOWN
    return f"{p:.{digits}f}%"
