"""What one health check found: the shape every check returns and HealthOut lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["warning", "critical"]


@dataclass
class Finding:
    check: str
    severity: Severity
    saw: str  # what the check saw, with the numbers
    try_: str  # what to try ("try" in JSON)

    def to_json(self) -> dict[str, Any]:
        return {"check": self.check, "severity": self.severity, "saw": self.saw, "try": self.try_}
