"""Metric thresholds set on a channel: `--when "eval/loss < 0.5"`.

A rule is `KEY OP NUMBER` with OP one of < <= > >=. It fires (kind "threshold") the first
time the key's last logged value satisfies it, once per run and rule.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from trainboard.errors import UsageError

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
}
_RULE = re.compile(r"^\s*(?P<key>\S+)\s*(?P<op><=|>=|<|>)\s*(?P<num>\S+)\s*$")


@dataclass(frozen=True)
class Rule:
    key: str
    op: str
    threshold: float

    def holds(self, value: float) -> bool:
        return math.isfinite(value) and _OPS[self.op](value, self.threshold)

    def __str__(self) -> str:
        return f"{self.key} {self.op} {self.threshold:g}"


def parse_rule(text: str) -> Rule:
    """A rule from its text; UsageError naming what is wrong."""
    m = _RULE.match(text) if isinstance(text, str) else None
    if m is None:
        raise UsageError(
            f'--when: expected "KEY OP NUMBER" with OP one of < <= > >= '
            f'(e.g. "eval/loss < 0.5"), got {text!r}'
        )
    try:
        threshold = float(m["num"])
    except ValueError:
        raise UsageError(f"--when {text!r}: {m['num']!r} is not a number") from None
    if not math.isfinite(threshold):
        raise UsageError(f"--when {text!r}: the threshold must be a finite number")
    return Rule(m["key"], m["op"], threshold)
