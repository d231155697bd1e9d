"""Which way is better for a metric: inferred from its name, or set by define_metric()."""

from __future__ import annotations

import re
from collections.abc import Mapping

from trainboard.store.base import Goal

_MIN_WORDS = ("loss", "perplexity", "ppl", "error", "err", "wer", "cer", "mse", "mae", "rmse")
_MAX_WORDS = (
    "acc", "accuracy", "f1", "bleu", "rouge", "reward", "precision", "recall", "auc",
    "map", "score", "exact_match", "em", "iou", "dice",
)  # fmt: skip
_WORD = re.compile(r"[a-z0-9]+")


def goal_for(key: str, defined: Mapping[str, Goal] | None = None) -> Goal | None:
    """ "min", "max", or None when the name says nothing (lr, grad_norm, tokens...).

    An explicit define_metric() choice wins; otherwise the last name segment that is a known
    word decides ("eval/accuracy" -> max, "val_loss" -> min)."""
    if defined and key in defined:
        return defined[key]
    for word in reversed(_WORD.findall(key.lower())):
        if word in _MIN_WORDS:
            return "min"
        if word in _MAX_WORDS:
            return "max"
    return None


def is_better(a: float, b: float, goal: Goal) -> bool:
    """True when `a` beats `b` (NaN never beats anything)."""
    return a < b if goal == "min" else a > b
