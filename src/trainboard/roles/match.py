"""Matching a key's words against the vocabulary: what one key is, and what a run defined.

This changes when recognition does (a name read wrongly, a new rule for splits or speeds);
the words themselves are data in trainboard.roles.vocabulary.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from trainboard.roles.vocabulary import (
    COUNTER_KEYS,
    DATA_WAIT_KEYS,
    EVAL_WORDS,
    GOAL_ALIASES,
    GRAD_WORDS,
    LOSS_WORDS,
    NORM_WORDS,
    NOT_LOSS,
    PPL_WORDS,
    QUALITY_MAX,
    QUALITY_MIN,
    ROLE_GOAL,
    ROLE_TEXT,
    ROLES,
    SEC_WORDS,
    SECTION_ORDER,
    SECTIONS,
    SPEED_SUBJECTS,
    SYSTEM_FIRST,
    TIME_WORDS,
    TOKEN_WORDS,
    TRAIN_WORDS,
    Goal,
    Role,
    Split,
)

_PER_RANK = re.compile(r"sys/rank[0-9]+/(.+)")  # what each rank reports (sdk/ranks.py)
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_WORD = re.compile(r"[a-z]+[0-9]*|[0-9]+")


def words(key: str) -> tuple[str, ...]:
    """The lowercase words of a key: separators and case changes split it ("Loss/validation"
    -> ("loss", "validation"), "valLoss" -> ("val", "loss"), "lr-AdamW" -> ("lr", "adam", "w"))."""
    return tuple(_WORD.findall(_CAMEL.sub(r"\1_\2", key).lower()))


# --- one key -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricRole:
    """What one key is: its role, which way is better (None: neither), its split (train or
    eval, None when the name does not say), and whether the run defined it explicitly."""

    key: str
    role: Role
    goal: Goal | None
    split: Split | None = None
    explicit: bool = False

    @property
    def text(self) -> str:
        return ROLE_TEXT[self.role]

    @property
    def section(self) -> str:
        return SECTIONS[self.role]

    @property
    def group(self) -> str:
        """The chart this key shares with its other splits: its words without the split
        ones ("train/loss", "Loss/validation" and "val_loss" are all "loss"); a system
        metric keeps a chart of its own, except each rank's of a multi-process job
        ("sys/rank0/steps_per_s", "sys/rank1/steps_per_s"...): one chart per metric, all
        ranks overlaid ("sys/rank*/steps_per_s")."""
        if self.role == "system":
            per_rank = _PER_RANK.match(self.key)
            return f"sys/rank*/{per_rank.group(1)}" if per_rank else self.key
        ws = [w for w in words(self.key) if w not in EVAL_WORDS and w not in TRAIN_WORDS]
        return "_".join(ws) if ws else self.key

    def to_json(self) -> dict[str, object]:
        """RoleOut in docs/api.md: what the UI needs to label, group and order a key."""
        return {
            "role": self.role,
            "goal": self.goal,
            "split": self.split,
            "explicit": self.explicit,
            "text": self.text,
            "group": self.group,
            "section": self.section,
            "section_rank": SECTION_ORDER.index(self.section),
        }


def split_of(ws: tuple[str, ...]) -> Split | None:
    if any(w in EVAL_WORDS for w in ws):
        return "eval"
    if any(w in TRAIN_WORDS for w in ws):
        return "train"
    return None


def _is_speed(ws: tuple[str, ...]) -> Goal | None:
    """ "max" for a rate (tokens_per_sec, it/s, throughput), "min" for a time per step
    (step_time_ms, iter_latency, train_runtime), None when neither."""
    s = set(ws)
    if s & {"throughput", "tps", "ps"} or ("per" in s and s & SEC_WORDS):
        return "max"
    if len(ws) > 1 and ws[-1] in SEC_WORDS and ws[-2] in SPEED_SUBJECTS:
        return "max"  # "tokens/s", "it/s", "samples/sec"
    if s & TIME_WORDS and s & (SPEED_SUBJECTS | {"runtime"}):
        return "min"
    if "runtime" in s:
        return "min"
    return None


@functools.lru_cache(maxsize=65536)
def _infer(key: str) -> tuple[Role, Goal | None, Split | None]:
    ws = words(key)
    s = set(ws)
    split = split_of(ws)
    if not ws:
        return "other", None, None
    if ws[0] in SYSTEM_FIRST:
        return "system", None, None
    if "_".join(ws) in COUNTER_KEYS:
        return "counter", None, split
    if s & PPL_WORDS:
        return "perplexity", "min", split
    speed = _is_speed(ws)
    if s & LOSS_WORDS and not s & NOT_LOSS and speed is None:
        return ("eval_loss" if split == "eval" else "train_loss"), "min", split
    if s & GRAD_WORDS and (s & NORM_WORDS or len(ws) == 1):
        return "grad_norm", None, split
    if "lr" in s or ("learning" in s and "rate" in s) or "learningrate" in s:
        return "learning_rate", None, split
    if speed is not None:
        return "throughput", speed, split
    if s & TOKEN_WORDS:
        return "tokens", None, split
    if ws[-1] in ("epoch", "epochs") and not s & (QUALITY_MAX | QUALITY_MIN):
        return "epoch", None, split  # Lightning's "val_acc_epoch" is an accuracy
    if "exact" in s and "match" in s:
        return "quality", "max", split
    for w in reversed(ws):
        if w in QUALITY_MIN:
            return "quality", "min", split
        if w in QUALITY_MAX:
            return "quality", "max", split
    return "other", None, split


def parse_definition(value: object) -> tuple[Role | None, Goal | None]:
    """A stored definition ("min", "max", "eval_loss", "quality:max") as (role, goal); parts it
    does not know are ignored (a store written by a newer version still reads)."""
    role: Role | None = None
    goal: Goal | None = None
    if not isinstance(value, str):
        return None, None
    for part in value.split(":"):
        p = part.strip().lower()
        if p in GOAL_ALIASES:
            goal = GOAL_ALIASES[p]
        elif p in ROLES:
            role = p
    return role, goal


def definition(
    role: str | None = None,
    goal: str | None = None,
    where: str = "define_metric()",
    *,
    last: bool = False,
) -> str:
    """The stored definition for a role and/or goal ("quality:max"), with ":last" when the
    key's result is its final value rather than its best (`define_metric(summary="last")`,
    an Optuna trial's objective); raises ValueError naming the choices when either is not one
    of them, or when nothing is given."""
    parts: list[str] = []
    if role is not None:
        if role not in ROLES:
            raise ValueError(f"{where}: role must be one of {', '.join(ROLES)}, got {role!r}")
        parts.append(role)
    if goal is not None:
        g = GOAL_ALIASES.get(goal.lower()) if isinstance(goal, str) else None
        if g is None:
            raise ValueError(f"{where}: goal must be 'min' or 'max', got {goal!r}")
        parts.append(g)
    if last:
        parts.append("last")
    if not parts:
        raise ValueError(f"{where}: give a role, a goal or both")
    return ":".join(parts)


def role_of(key: str, defined: Mapping[str, str] | None = None) -> MetricRole:
    """What `key` is. A definition from define_metric() wins (role, goal or both); what it
    leaves out is inferred from the name. A defined role with no defined goal takes that
    role's usual goal (a key defined as "eval_loss" is minimised)."""
    role, goal, split = _infer(key)
    d = defined.get(key) if defined else None
    if d is None:
        return MetricRole(key, role, goal, split)
    drole, dgoal = parse_definition(d)
    if drole is not None and drole != role:
        role, goal = drole, ROLE_GOAL.get(drole, goal)
        if drole in ("train_loss", "eval_loss"):
            split = "eval" if drole == "eval_loss" else "train"
    return MetricRole(key, role, dgoal or goal, split, explicit=True)


def goal_of(key: str, defined: Mapping[str, str] | None = None) -> Goal | None:
    """ "min", "max", or None when nothing says (lr, grad_norm, tokens...)."""
    return role_of(key, defined).goal


def roles_of(
    keys: Iterable[str], defined: Mapping[str, str] | None = None
) -> dict[str, MetricRole]:
    """role_of for every key (the API's per-run `roles`)."""
    return {k: role_of(k, defined) for k in keys}


def data_wait_key(keys: Iterable[str]) -> str | None:
    """The key a script logs for its data-loading wait per step ("data_time", "time/data"...:
    DATA_WAIT_KEYS), or None; the first in sorted order when it logs several."""
    found = sorted(k for k in keys if k in DATA_WAIT_KEYS)
    return found[0] if found else None
