"""Which key plays which part in a figure, asked of the product's one vocabulary of roles.

The figures never keep a list of metric names: every choice here is a question to
`trainboard.roles` (which key is the train loss, the eval loss, an accuracy...). This module
only says which roles each picture wants and how a choice reads in a legend.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from trainboard import roles as _roles

__all__ = ["FigureKeys", "figure_keys", "is_eval"]


@dataclass(frozen=True)
class FigureKeys:
    """The keys of one run that the pictures draw (None / empty: the run lacks it)."""

    train_loss: str | None
    eval_loss: str | None
    perplexity: tuple[str, ...]  # logged perplexities, train first
    accuracy: tuple[str, ...]  # quality metrics where higher is better, eval first
    learning_rate: str | None
    grad_norm: str | None
    step_time: str | None  # a time per step (lower is better)
    throughput: str | None  # a rate (tokens/s, samples/s)
    tokens: str | None  # the cumulative token count


def _split_order(keys: list[str], defined: Mapping[str, str] | None, first: str) -> list[str]:
    """Keys with split `first` before the others, plainest first within each."""
    return sorted(keys, key=lambda k: 0 if _roles.role_of(k, defined).split == first else 1)


def figure_keys(keys: Iterable[str], defined: Mapping[str, str] | None = None) -> FigureKeys:
    """What a run with metric `keys` (and define_metric() choices `defined`) can draw."""
    ks = list(keys)
    ppl = _split_order(_roles.keys_with(ks, "perplexity", defined), defined, "train")
    quality = [
        k for k in _roles.keys_with(ks, "quality", defined)
        if _roles.role_of(k, defined).goal == "max"
    ]  # fmt: skip
    speed = _roles.keys_with(ks, "throughput", defined)
    times = [k for k in speed if _roles.role_of(k, defined).goal == "min"]
    rates = [k for k in speed if _roles.role_of(k, defined).goal != "min"]
    return FigureKeys(
        train_loss=_roles.pick(ks, "train_loss", defined),
        eval_loss=_roles.pick(ks, "eval_loss", defined),
        perplexity=tuple(ppl[:2]),
        accuracy=tuple(_split_order(quality, defined, "eval")[:2]),
        learning_rate=_roles.pick(ks, "learning_rate", defined),
        grad_norm=_roles.pick(ks, "grad_norm", defined),
        step_time=times[0] if times else None,
        throughput=rates[0] if rates else None,
        tokens=_roles.pick(ks, "tokens", defined),
    )


def is_eval(key: str, defined: Mapping[str, str] | None = None) -> bool:
    """True for a held-out (eval, validation, test) metric: drawn dashed."""
    return _roles.role_of(key, defined).split == "eval"
