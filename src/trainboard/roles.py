"""What each metric key *is*: the one vocabulary of metric roles for the whole product.

Progress, health, ranking, compare, the runs list, reports, the CLI, the integrations and the
UI (through the API) ask this module which key is the train loss, the eval loss, the grad
norm..., and which way is better for a key. Two lists of the same thing drift apart; this is
the only one. It imports nothing else from trainboard, so every layer can import it.

Roles (`ROLES`, with a one-line meaning each in `ROLE_TEXT`):

    train_loss     the training objective              min
    eval_loss      the loss on held-out data           min
    perplexity     exp(loss), train or eval            min
    quality        accuracy, F1, BLEU, exact match,    max (min for error, WER, MSE...)
                   reward... (`split` says train/eval)
    grad_norm      the gradient norm                   -
    learning_rate  the learning rate (any param group) -
    tokens         the cumulative count of tokens seen -
    throughput     tokens/s, samples/s, step time      max for rates, min for times
    epoch          the (fractional) epoch              -
    counter        step, global_step, batches, samples -
    system         CPU, RAM, GPU (sys/..., system/...) -
    other          anything else (goal from its words when they say one)

Recognition ignores case and separators ("Loss/validation", "val_loss", "valLoss" and
"VAL-LOSS" are the same words) and knows the common naming families: trainboard and wandb
(`train/loss`, `eval/loss`, `val/loss`), Hugging Face Trainer (`loss`, `eval_loss`,
`grad_norm`, `learning_rate`, `epoch`, `num_input_tokens_seen`, `eval_accuracy`,
`train_runtime`), Lightning (`train_loss`, `val_loss`, `train_loss_step`, `train_loss_epoch`,
`lr-AdamW`), Keras (`loss`, `val_loss`, `accuracy`, `val_accuracy`) and the names the
TensorBoard guides teach (`Loss/train`, `Loss/validation`, `Learning_Rate/lr`,
`Gradient/norm`, `Performance/step_time_ms`, `Performance/tokens_per_sec`, `Training/epoch`,
`Evaluation/hellaswag_accuracy`).

A run can say it outright, and that always wins: `define_metric(key, role=..., goal=...)`
stores a *definition* per key in the run's `goals` mapping (the JSON column that always held
"min"/"max"): "min", "max", a role name, or "role:goal" (`definition`, `parse_definition`).

When several keys share a role (`train/loss` and `train/aux_loss`; Lightning's `train_loss`,
`train_loss_step` and `train_loss_epoch`), `pick` chooses the plainest: an explicit
definition first, then the fewest extra words, then the per-step variant over the per-epoch
one, then (for the train loss) a name that says so ("train/loss" over "loss"), then the
shortest name.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, get_args

Role = Literal[
    "train_loss",
    "eval_loss",
    "perplexity",
    "quality",
    "grad_norm",
    "learning_rate",
    "tokens",
    "throughput",
    "epoch",
    "counter",
    "system",
    "other",
]
Goal = Literal["min", "max"]
Split = Literal["train", "eval"]

ROLES: tuple[Role, ...] = get_args(Role)
GOALS: tuple[Goal, ...] = ("min", "max")

ROLE_TEXT: dict[Role, str] = {
    "train_loss": "train loss",
    "eval_loss": "eval loss",
    "perplexity": "perplexity",
    "quality": "quality metric",
    "grad_norm": "grad norm",
    "learning_rate": "learning rate",
    "tokens": "tokens seen",
    "throughput": "throughput",
    "epoch": "epoch",
    "counter": "counter",
    "system": "system metric",
    "other": "metric",
}
"""How a role reads in a sentence or a label ("best eval loss", "final train loss")."""

SECTIONS: dict[Role, str] = {
    "train_loss": "Loss",
    "eval_loss": "Loss",
    "learning_rate": "Learning rate",
    "grad_norm": "Gradients",
    "throughput": "Throughput",
    "quality": "Quality",
    "perplexity": "Perplexity",
    "tokens": "Metrics",
    "epoch": "Metrics",
    "counter": "Metrics",
    "other": "Metrics",
    "system": "System",
}
"""Which section of the Run page a role's charts sit in; SECTION_ORDER is their order."""
SECTION_ORDER = (
    "Loss", "Learning rate", "Gradients", "Throughput", "Quality", "Perplexity", "Metrics",
    "System",
)  # fmt: skip

_GOAL_ALIASES: dict[str, Goal] = {
    "min": "min",
    "max": "max",
    "minimize": "min",
    "maximize": "max",
    "minimise": "min",
    "maximise": "max",
    "lower": "min",
    "higher": "max",
}

# --- words -----------------------------------------------------------------------------------

_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_WORD = re.compile(r"[a-z]+[0-9]*|[0-9]+")
_EVAL_WORDS = frozenset(
    {"eval", "evaluation", "val", "valid", "validation", "dev", "test", "heldout", "holdout"}
)
_TRAIN_WORDS = frozenset({"train", "training", "trainer"})
_SYSTEM_FIRST = frozenset({"sys", "system"})
_LOSS_WORDS = frozenset({"loss", "losses", "nll", "objective"})
_NOT_LOSS = frozenset({"scale", "scaler", "scaling"})  # fp16 "loss_scale" is not a loss
_PPL_WORDS = frozenset({"perplexity", "ppl"})
_QUALITY_MAX = frozenset(
    {"acc", "accuracy", "f1", "bleu", "rouge", "rouge1", "rouge2", "rougel", "rougelsum",
     "reward", "rewards", "precision", "recall", "auc", "auroc", "map", "score", "em", "iou",
     "miou", "dice",
     "top1", "top5", "mcc", "matthews", "pearson", "spearman", "meteor", "chrf", "sacrebleu",
     "return", "returns", "winrate", "pass"}
)  # fmt: skip
_QUALITY_MIN = frozenset({"error", "err", "wer", "cer", "mse", "mae", "rmse", "fid", "ter"})
_GRAD_WORDS = frozenset({"grad", "grads", "gradient", "gradients"})
_NORM_WORDS = frozenset({"norm", "norms", "l2"})
_SEC_WORDS = frozenset({"s", "sec", "secs", "second", "seconds"})
_TIME_WORDS = frozenset({"time", "latency", "duration", "runtime", "ms", "elapsed"})
_SPEED_SUBJECTS = frozenset(
    {"step", "steps", "iter", "iteration", "batch", "tokens", "token", "samples", "sample",
     "examples", "it", "train", "performance", "perf", "forward", "backward", "data"}
)  # fmt: skip
_TOKEN_WORDS = frozenset({"tokens", "token", "toks"})
_COUNTER_KEYS = frozenset(
    {"step", "global_step", "trainer_global_step", "batches", "batch", "samples",
     "samples_seen", "num_samples", "examples_seen", "iteration", "iter", "total_flos",
     "train_global_step", "num_batches"}
)  # fmt: skip
# words that only say where a value came from, not what it is (Lightning's _step/_epoch
# suffixes, TensorBoard-guide group names); they do not make a key less plain
_NEUTRAL = frozenset(
    {"training", "train", "trainer", "evaluation", "eval", "val", "valid", "validation",
     "dev", "test", "metrics", "metric", "performance", "perf", "mean", "avg", "average",
     "epoch", "step", "total", "loss", "losses", "gradient", "grad", "norm", "learning",
     "rate", "lr", "charts", "scalars", "scalar"}
)  # fmt: skip


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
        metric keeps a chart of its own."""
        if self.role == "system":
            return self.key
        ws = [w for w in words(self.key) if w not in _EVAL_WORDS and w not in _TRAIN_WORDS]
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
        }


def _split(ws: tuple[str, ...]) -> Split | None:
    if any(w in _EVAL_WORDS for w in ws):
        return "eval"
    if any(w in _TRAIN_WORDS for w in ws):
        return "train"
    return None


def _is_speed(ws: tuple[str, ...]) -> Goal | None:
    """ "max" for a rate (tokens_per_sec, it/s, throughput), "min" for a time per step
    (step_time_ms, iter_latency, train_runtime), None when neither."""
    s = set(ws)
    if s & {"throughput", "tps", "ps"} or ("per" in s and s & _SEC_WORDS):
        return "max"
    if len(ws) > 1 and ws[-1] in _SEC_WORDS and ws[-2] in _SPEED_SUBJECTS:
        return "max"  # "tokens/s", "it/s", "samples/sec"
    if s & _TIME_WORDS and s & (_SPEED_SUBJECTS | {"runtime"}):
        return "min"
    if "runtime" in s:
        return "min"
    return None


@functools.lru_cache(maxsize=65536)
def _infer(key: str) -> tuple[Role, Goal | None, Split | None]:
    ws = words(key)
    s = set(ws)
    split = _split(ws)
    if not ws:
        return "other", None, None
    if ws[0] in _SYSTEM_FIRST:
        return "system", None, None
    if "_".join(ws) in _COUNTER_KEYS:
        return "counter", None, split
    if s & _PPL_WORDS:
        return "perplexity", "min", split
    speed = _is_speed(ws)
    if s & _LOSS_WORDS and not s & _NOT_LOSS and speed is None:
        return ("eval_loss" if split == "eval" else "train_loss"), "min", split
    if s & _GRAD_WORDS and (s & _NORM_WORDS or len(ws) == 1):
        return "grad_norm", None, split
    if "lr" in s or ("learning" in s and "rate" in s) or "learningrate" in s:
        return "learning_rate", None, split
    if speed is not None:
        return "throughput", speed, split
    if s & _TOKEN_WORDS:
        return "tokens", None, split
    if ws[-1] in ("epoch", "epochs") or ws == ("epoch",):
        return "epoch", None, split
    if "exact" in s and "match" in s:
        return "quality", "max", split
    for w in reversed(ws):
        if w in _QUALITY_MIN:
            return "quality", "min", split
        if w in _QUALITY_MAX:
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
        if p in _GOAL_ALIASES:
            goal = _GOAL_ALIASES[p]
        elif p in ROLES:
            role = p  # type: ignore[assignment]
    return role, goal


def definition(
    role: str | None = None, goal: str | None = None, where: str = "define_metric()"
) -> str:
    """The stored definition for a role and/or goal; raises ValueError naming the choices when
    either is not one of them, or when both are None."""
    parts: list[str] = []
    if role is not None:
        if role not in ROLES:
            raise ValueError(f"{where}: role must be one of {', '.join(ROLES)}, got {role!r}")
        parts.append(role)
    if goal is not None:
        g = _GOAL_ALIASES.get(goal.lower()) if isinstance(goal, str) else None
        if g is None:
            raise ValueError(f"{where}: goal must be 'min' or 'max', got {goal!r}")
        parts.append(g)
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
        role, goal = drole, _ROLE_GOAL.get(drole, goal)
        if drole in ("train_loss", "eval_loss"):
            split = "eval" if drole == "eval_loss" else "train"
    return MetricRole(key, role, dgoal or goal, split, explicit=True)


_ROLE_GOAL: dict[Role, Goal | None] = {
    "train_loss": "min",
    "eval_loss": "min",
    "perplexity": "min",
    "quality": "max",
    "throughput": "max",
}


def goal_of(key: str, defined: Mapping[str, str] | None = None) -> Goal | None:
    """ "min", "max", or None when nothing says (lr, grad_norm, tokens...)."""
    return role_of(key, defined).goal


def roles_of(
    keys: Iterable[str], defined: Mapping[str, str] | None = None
) -> dict[str, MetricRole]:
    """role_of for every key (the API's per-run `roles`)."""
    return {k: role_of(k, defined) for k in keys}


# --- choosing among keys -----------------------------------------------------------------------


def _plainness(key: str, r: MetricRole) -> tuple[int, int, int, int, int, str]:
    ws = words(key)
    extra = sum(1 for w in ws if w not in _NEUTRAL and not w.isdigit())
    per_epoch = 1 if ws and ws[-1] == "epoch" and len(ws) > 1 else 0
    # "train/loss" says more than "loss" (for a loss; "grad_norm" is as plain as it gets)
    unsplit = 1 if r.role == "train_loss" and _split(ws) is None else 0
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


DECIDING_ROLES: frozenset[Role] = frozenset({"train_loss", "eval_loss", "quality", "perplexity"})


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
