"""What an alert is: its kinds (what went wrong), and the one value that travels to channels."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from trainboard.errors import UsageError

# kind -> what it means, in words (alert list/--on help, docs/alerts.md)
KINDS: dict[str, str] = {
    "nan": "NaN or inf in a metric",
    "loss_exploding": "the training loss is exploding",
    "loss_spikes": "the training loss spikes",
    "loss_not_falling": "the training loss is not falling",
    "overfitting": "eval loss rising while train loss falls",
    "eval_metric_flat": "an eval metric stopped moving",
    "grad_exploding": "the gradient norm is exploding",
    "grad_vanishing": "the gradient norm is vanishing",
    "grad_clipped": "gradients clipped on most steps",
    "lr_zero": "the learning rate is stuck at 0",
    "throughput_drop": "throughput dropped",
    "stalled": "the run stopped making steps",
    "straggler": "one rank is much slower than the others",
    "hang": "no log() for longer than hang_after",
    "eta_overrun": "the run is well past its estimated end",
    "threshold": "a metric crossed a threshold set on the channel",
    "crashed": "the run's process died (its heartbeat stopped)",
    "failed": "the run ended with an exception",
    "killed": "the run was interrupted (SIGINT/SIGTERM)",
    "stopped": "the run stopped because someone asked it to",
    "finished": "the run finished",
    "wandb": "wandb.alert() / run.alert() from the script",
    "test": "`trainboard alert test`",
}
DEFAULT_OFF = frozenset({"finished", "stopped"})
"""Kinds a channel takes only when named in --on: good news, or news the asker knows."""

_CHECK_KINDS = {"loss_nan": "nan", "nonfinite": "nan"}


def kind_of_check(check: str) -> str:
    """The alert kind of a health check (analysis/health.py) that found something."""
    return _CHECK_KINDS.get(check, check)


def parse_kinds(text: str | None) -> list[str]:
    """`--on` as given ("nan,hang,crashed", "all"); [] means the default kinds."""
    if text is None or not text.strip():
        return []
    names = [n.strip() for n in text.split(",") if n.strip()]
    if names == ["all"]:
        return sorted(KINDS)
    bad = [n for n in names if n not in KINDS]
    if bad:
        raise UsageError(
            f"--on: unknown alert kind {bad[0]!r}; one of: all, {', '.join(sorted(KINDS))}"
        )
    return names


def takes(events: list[str], kind: str) -> bool:
    """Whether a channel with `events` (as stored; [] = the defaults) takes `kind`."""
    if kind == "test":
        return True
    return kind in events if events else kind not in DEFAULT_OFF


@dataclass
class Alert:
    """One alert about one run. `episode` numbers the times the same kind began again
    (a run that recovers from a hang and hangs again is a second episode)."""

    run_id: str
    run_name: str
    project: str
    kind: str
    reason: str  # in words, with the numbers: "NaN in train/loss at step 412"
    level: str = "warn"  # the run event's level: "warn" or "error"
    step: int | None = None
    episode: int = 0
    at: float = field(default_factory=time.time)
    subject: str = ""  # what else tells episodes apart (a threshold: its channel and rule)

    @property
    def episode_key(self) -> str:
        """How the run's "alerts" values remember that this episode was fired."""
        subject = f":{self.subject}" if self.subject else ""
        return f"{self.kind}{subject}#{self.episode}"

    def payload(self, link: str | None) -> dict[str, Any]:
        """The JSON a webhook receives (documented in docs/alerts.md)."""
        return {
            "run": {"id": self.run_id, "name": self.run_name, "project": self.project},
            "kind": self.kind,
            "what": KINDS.get(self.kind, self.kind),
            "reason": self.reason,
            "level": self.level,
            "step": self.step,
            "at": self.at,
            "link": link,
        }

    def headline(self) -> str:
        """One line for chat and email subjects."""
        return f"trainboard: {self.run_name} ({self.project}): {self.reason}"
