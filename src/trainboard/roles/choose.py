"""Choosing among keys: which one key plays a role in a run, and which metric decides "best".

When several keys share a role the plainest wins (the rule is in trainboard.roles' docs);
this changes when that rule does, not when recognition of one key does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from trainboard.roles.match import MetricRole, parse_definition, role_of, split_of, words
from trainboard.roles.vocabulary import DECIDING_ROLES, NEUTRAL, Role, Split


def _plainness(key: str, r: MetricRole) -> tuple[int, int, int, int, int, str]:
    ws = words(key)
    extra = sum(1 for w in ws if w not in NEUTRAL and not w.isdigit())
    per_epoch = 1 if ws and ws[-1] == "epoch" and len(ws) > 1 else 0
    # "train/loss" says more than "loss" (for a loss; "grad_norm" is as plain as it gets)
    unsplit = 1 if r.role == "train_loss" and split_of(ws) is None else 0
    explicit = r.explicit
    return (0 if explicit else 1, extra, per_epoch, unsplit, len(key), key)


def keys_with(
    keys: Iterable[str],
    role: Role,
    defined: Mapping[str, str] | None = None,
    split: Split | None = None,
) -> list[str]:
    """The keys of `role` (and `split`, when given), plainest first (see the module docs)."""
    found = []
    for k in keys:
        r = role_of(k, defined)
        if r.role == role and (split is None or r.split == split):
            found.append((_plainness(k, r), k))
    return [k for _, k in sorted(found)]


def pick(
    keys: Iterable[str],
    role: Role,
    defined: Mapping[str, str] | None = None,
    split: Split | None = None,
) -> str | None:
    """The one key that plays `role` among `keys`, or None."""
    found = keys_with(keys, role, defined, split)
    return found[0] if found else None


def train_loss_key(keys: Iterable[str], defined: Mapping[str, str] | None = None) -> str | None:
    return pick(keys, "train_loss", defined)


def eval_loss_key(keys: Iterable[str], defined: Mapping[str, str] | None = None) -> str | None:
    return pick(keys, "eval_loss", defined)


def grad_norm_key(keys: Iterable[str], defined: Mapping[str, str] | None = None) -> str | None:
    return pick(keys, "grad_norm", defined)


def learning_rate_key(keys: Iterable[str], defined: Mapping[str, str] | None = None) -> str | None:
    return pick(keys, "learning_rate", defined)


def tokens_key(keys: Iterable[str], defined: Mapping[str, str] | None = None) -> str | None:
    return pick(keys, "tokens", defined)


def epoch_key(keys: Iterable[str], defined: Mapping[str, str] | None = None) -> str | None:
    return pick(keys, "epoch", defined)


def batches_key(keys: Iterable[str], defined: Mapping[str, str] | None = None) -> str | None:
    """The count of batches seen ("batches", "num_batches"), a counter; not the step."""
    found = [k for k in keys_with(keys, "counter", defined) if set(words(k)) & {"batch", "batches"}]
    return found[0] if found else None


def is_system(key: str, defined: Mapping[str, str] | None = None) -> bool:
    return role_of(key, defined).role == "system"


def deciding_metric(keys: Iterable[str], defined: Mapping[str, str] | None = None) -> str | None:
    """The metric that decides "best" when the user named none: the eval loss (it is what
    generalises), else the train loss, else an eval quality metric, else an eval perplexity,
    else any quality metric. None when nothing with a known direction was logged."""
    ks = list(keys)
    for role, split in (
        ("eval_loss", None),
        ("train_loss", None),
        ("quality", "eval"),
        ("perplexity", "eval"),
        ("perplexity", None),
        ("quality", None),
    ):
        k = pick(ks, role, defined, split)  # type: ignore[arg-type]
        if k is not None:
            return k
    return None


def can_decide(key: str, defined: Mapping[str, str] | None = None) -> bool:
    """True when `key` may be the deciding metric (a loss, a quality metric, a perplexity):
    the keys a store's group leaders must cover."""
    return role_of(key, defined).role in DECIDING_ROLES


def defined_roles(definitions: Mapping[str, str]) -> dict[str, str]:
    """Only the roles among stored definitions ({key: role}), for display."""
    out: dict[str, str] = {}
    for k, v in definitions.items():
        role, _ = parse_definition(v)
        if role is not None:
            out[k] = role
    return out
