"""What is measured, whatever the key: the meaning runs are compared on, and each run's own key.

Real runs come from different tools, and each names the same thing its own way: the eval loss is
`eval/loss` (trainboard, wandb), `eval_loss` (Hugging Face), `val_loss` (Lightning, Keras),
`Loss/validation` (the TensorBoard guides) or `val/loss` (nanoGPT). A `Measure` is that meaning:
a role, a split for quality metrics and perplexities, and the words left once the words that
only say where a value came from are gone ("aux" in `train/aux_loss`, "accuracy" in
`val_acc_epoch`). Runs are compared measure by measure; each run's value comes from its own key
for the measure (`Measure.key_in`), and the table names that key.

A measure reads as its id ("eval_loss", "train_loss", "eval_accuracy", "eval_perplexity"), which
`parse_metric` takes back, as it takes a role name ("quality") or any key: a key only some runs
logged stands for its measure, so `--metric eval_loss` and `--metric val_loss` decide alike.
A key whose role can never decide (a learning rate, a throughput) is its own measure.

A run may say its value is its final one (`define_metric(..., summary="last")`, which the
Optuna callback does for a trial's objective): `value_kind` reads that from a definition.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from trainboard.roles.choose import deciding_metric, keys_with
from trainboard.roles.match import parse_definition, role_of, words
from trainboard.roles.vocabulary import (
    DECIDING_ROLES,
    EVAL_WORDS,
    NEUTRAL,
    ROLES,
    TRAIN_WORDS,
    Goal,
    Role,
    Split,
)

ValueKind = Literal["best", "last"]
"""Which of a run's values is its result: the best over the run (min or max by goal), or the
last one logged (an Optuna trial's objective, define_metric(summary="last"))."""

# spellings of one word that name the same metric
_SAME = {"acc": "accuracy", "ppl": "perplexity", "losses": "loss", "err": "error"}
# words that only say where a value came from or how it was reduced; "loss" is said by the role
_SOURCE = (NEUTRAL | EVAL_WORDS | TRAIN_WORDS | {"perplexity", "ppl"}) - {"score"}


@dataclass(frozen=True)
class Measure:
    """A meaning runs are compared on. `role` is one of the deciding roles (or "other" with
    `key` set: a key that is its own measure); `split` is "train", "eval" or None (for the
    loss roles the role says it); `name` the words that tell metrics of one role apart ("" for
    the plain loss, "accuracy", "aux"). `prefer` is the key a person named: a run that logged
    it uses it, the others their own key for the measure."""

    role: Role
    split: Split | None
    name: str
    key: str | None = None  # a key that is its own measure (no other key stands for it)
    prefer: str | None = None

    @property
    def id(self) -> str:
        """ "eval_loss", "train_aux_loss", "eval_accuracy", "eval_perplexity", or the key."""
        if self.key is not None:
            return self.key
        parts: list[str] = []
        if self.role in ("train_loss", "eval_loss"):
            parts = [self.role.split("_")[0], *self.name.split(), "loss"]
        elif self.role == "perplexity":
            parts = [*([self.split] if self.split else []), *self.name.split(), "perplexity"]
        else:
            parts = [*([self.split] if self.split else []), *(self.name.split() or ["quality"])]
        return "_".join(p for p in parts if p)

    @property
    def text(self) -> str:
        """How it reads in a sentence: "eval loss", "eval accuracy", "train aux loss"."""
        return self.key if self.key is not None else self.id.replace("_", " ")

    def matches(self, key: str, defined: Mapping[str, str] | None = None) -> bool:
        """True when `key` measures this (ignoring `prefer`)."""
        return same_meaning(measure_of(key, defined), self)

    def keys_in(self, keys: Iterable[str], defined: Mapping[str, str] | None = None) -> list[str]:
        """The keys among `keys` that measure this, the one to use first: the key a person
        named, then the plainest (trainboard.roles.choose)."""
        ks = list(keys)
        if self.key is not None:
            return [self.key] if self.key in ks else []
        found = [k for k in keys_with(ks, self.role, defined) if self.matches(k, defined)]
        if self.prefer is not None and self.prefer in found:
            found.remove(self.prefer)
            found.insert(0, self.prefer)
        return found

    def key_in(self, keys: Iterable[str], defined: Mapping[str, str] | None = None) -> str | None:
        """A run's own key for this measure, or None."""
        found = self.keys_in(keys, defined)
        return found[0] if found else None

    def goal(self, keys: Iterable[str], defined: Mapping[str, str] | None = None) -> Goal:
        """Which way is better: as the key a person named, else the first of `keys` that
        measures this, says (its definition, else its role); "min" when nothing says."""
        key = self.prefer or self.key or self.key_in(keys, defined)
        if key is None:
            return "min"
        return role_of(key, defined).goal or "min"


def same_meaning(a: Measure, b: Measure) -> bool:
    if a.key is not None or b.key is not None:
        return a.key == b.key
    if a.role != b.role or a.name != b.name:
        return False
    if a.role in ("train_loss", "eval_loss"):
        return True
    # an unsplit quality metric or perplexity ("accuracy" in Keras) is the train one
    return (a.split or "train") == (b.split or "train")


@functools.lru_cache(maxsize=65536)
def _name(key: str) -> str:
    ws = [_SAME.get(w, w) for w in words(key)]
    kept = [w for w in ws if w not in _SOURCE and w != "loss"]
    return " ".join(kept)


def measure_of(key: str, defined: Mapping[str, str] | None = None) -> Measure:
    """The measure `key` stands for. A key defined as a loss or perplexity is the plain one
    (the run said so); a key whose role cannot decide is its own measure."""
    r = role_of(key, defined)
    if r.role not in DECIDING_ROLES:
        return Measure("other", None, "", key=key)
    if r.explicit and parse_definition(defined.get(key) if defined else None)[0] in (
        "train_loss",
        "eval_loss",
        "perplexity",
    ):
        name = ""
    else:
        name = _name(key)
    if r.role == "quality" and not name:
        name = "score" if r.goal != "min" else "error"
    split = None if r.role in ("train_loss", "eval_loss") else r.split
    return Measure(r.role, split, name)


def named(key: str, defined: Mapping[str, str] | None = None) -> Measure:
    """The measure of a key a person named: that key first wherever it was logged."""
    m = measure_of(key, defined)
    return m if m.key is not None else Measure(m.role, m.split, m.name, prefer=key)


def parse_metric(
    text: str, keysets: Iterable[Iterable[str]], defined: Mapping[str, str] | None = None
) -> Measure | None:
    """What `--metric text` means for runs that logged `keysets`: a key one of them logged
    (standing for its measure, that key first), a measure's id ("eval_loss", "eval_accuracy"),
    another tool's name for a measure they logged (`val_loss` for runs that logged
    `eval/loss`), or a role name ("quality", "perplexity": the plainest key of that role over
    every run, the eval one first). None when it is none of these."""
    logged = sorted({k for ks in keysets for k in ks})
    if text in logged:
        return named(text, defined)
    for k in logged:
        m = measure_of(k, defined)
        if m.key is None and m.id == text:
            return m
    spelled = measure_of(text, defined)  # another tool's name for a measure they logged
    if spelled.key is None and any(spelled.matches(k, defined) for k in logged):
        return spelled
    if text in ROLES and text in DECIDING_ROLES:
        for split in ("eval", None):
            found = keys_with(logged, text, defined, split)
            if found:
                return measure_of(found[0], defined)
    return None


def deciding_measure(
    keysets: Iterable[Iterable[str]], defined: Mapping[str, str] | None = None
) -> Measure | None:
    """The measure that decides "best" when nobody named one: that of the deciding metric over
    every key the runs logged (the eval loss, else the train loss, else an eval quality metric;
    trainboard.roles.choose.deciding_metric). None when nothing with a direction was logged."""
    logged = sorted({k for ks in keysets for k in ks})
    key = deciding_metric(logged, defined)
    return None if key is None else measure_of(key, defined)


def value_kind(key: str | None, defined: Mapping[str, str] | None = None) -> ValueKind:
    """ "last" when the key's definition says its final value is the result, else "best"."""
    if key is None or not defined:
        return "best"
    d = defined.get(key)
    if isinstance(d, str) and "last" in (p.strip().lower() for p in d.split(":")):
        return "last"
    return "best"
