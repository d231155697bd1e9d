"""A run's keys by role, worked out once: which of its keys is the train loss, the eval loss,
the grad norm, the accuracy it is judged on...

Progress (analysis.progress), the figures (report) and the UI (through `keys_by_role` in the
API's run document) all read this one answer; none keeps its own list. It depends only on the
keys a run logged and its define_metric() choices, and runs of one project log the same keys,
so `run_keys` is cached per distinct set (the runs list asks for 10,000 runs per request).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from trainboard.roles.choose import batches_key, keys_with, pick
from trainboard.roles.match import role_of


@dataclass(frozen=True)
class RunKeys:
    """The keys of one run by role (None / empty: the run lacks it), plainest first."""

    train_loss: str | None
    eval_loss: str | None
    grad_norm: str | None
    learning_rate: str | None
    tokens: str | None  # the cumulative token count
    epoch: str | None
    batches: str | None  # a count of batches seen, not the step
    perplexity: tuple[str, ...]  # logged perplexities, train first
    accuracy: tuple[str, ...]  # quality metrics where higher is better, eval first
    step_time: str | None  # a time per step (lower is better)
    throughput: str | None  # a rate (tokens/s, samples/s)

    def to_json(self) -> dict[str, object]:
        """`KeysByRoleOut` in docs/api.md."""
        d = asdict(self)
        d["perplexity"] = list(self.perplexity)
        d["accuracy"] = list(self.accuracy)
        return d


def _split_first(keys: list[str], defined: Mapping[str, str] | None, first: str) -> list[str]:
    return sorted(keys, key=lambda k: 0 if role_of(k, defined).split == first else 1)


@functools.lru_cache(maxsize=4096)
def _cached(names: tuple[str, ...], defined: tuple[tuple[str, str], ...]) -> RunKeys:
    d = dict(defined)
    ks = list(names)
    quality = [k for k in keys_with(ks, "quality", d) if role_of(k, d).goal == "max"]
    speed = keys_with(ks, "throughput", d)
    times = [k for k in speed if role_of(k, d).goal == "min"]
    rates = [k for k in speed if role_of(k, d).goal != "min"]
    return RunKeys(
        train_loss=pick(ks, "train_loss", d),
        eval_loss=pick(ks, "eval_loss", d),
        grad_norm=pick(ks, "grad_norm", d),
        learning_rate=pick(ks, "learning_rate", d),
        tokens=pick(ks, "tokens", d),
        epoch=pick(ks, "epoch", d),
        batches=batches_key(ks, d),
        perplexity=tuple(_split_first(keys_with(ks, "perplexity", d), d, "train")[:2]),
        accuracy=tuple(_split_first(quality, d, "eval")[:2]),
        step_time=times[0] if times else None,
        throughput=rates[0] if rates else None,
    )


def run_keys(keys: Iterable[str], defined: Mapping[str, str] | None = None) -> RunKeys:
    """The run's keys by role, for its logged `keys` and define_metric() choices `defined`."""
    return _cached(tuple(keys), tuple((defined or {}).items()))
