"""A stand-in for `trainboard.roles` (issue #7) until it lands: the same three calls
(`role_of`, `keys_with`, `pick`), so switching is changing one import. Deleted then."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_WORD = re.compile(r"[a-z]+|[0-9]+")
_EVAL = {"eval", "evaluation", "val", "valid", "validation", "dev", "test"}


@dataclass(frozen=True)
class MetricRole:
    key: str
    role: str
    goal: str | None
    split: str | None


def role_of(key: str, defined: Mapping[str, str] | None = None) -> MetricRole:
    ws = _WORD.findall(re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key).lower())
    s = set(ws)
    split = "eval" if s & _EVAL else ("train" if "train" in s else None)
    if ws and ws[0] in ("sys", "system"):
        return MetricRole(key, "system", None, None)
    if s & {"perplexity", "ppl"}:
        return MetricRole(key, "perplexity", "min", split)
    if "loss" in s and not s & {"scale", "time"}:
        return MetricRole(key, "eval_loss" if split == "eval" else "train_loss", "min", split)
    if "grad" in s or "gradient" in s:
        return MetricRole(key, "grad_norm", None, split)
    if "lr" in s or {"learning", "rate"} <= s:
        return MetricRole(key, "learning_rate", None, split)
    if "per" in s or ws[-1:] == ["s"] or "throughput" in s:
        return MetricRole(key, "throughput", "max", split)
    if "time" in s:
        return MetricRole(key, "throughput", "min", split)
    if "tokens" in s:
        return MetricRole(key, "tokens", None, split)
    if s & {"acc", "accuracy", "f1", "bleu", "reward", "match"}:
        return MetricRole(key, "quality", "max", split)
    return MetricRole(key, "other", None, split)


def keys_with(
    keys: Iterable[str], role: str, defined: Mapping[str, str] | None = None
) -> list[str]:
    return sorted((k for k in keys if role_of(k, defined).role == role), key=lambda k: (len(k), k))


def pick(keys: Iterable[str], role: str, defined: Mapping[str, str] | None = None) -> str | None:
    found = keys_with(keys, role, defined)
    return found[0] if found else None
