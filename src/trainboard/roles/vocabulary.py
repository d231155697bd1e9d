"""The vocabulary as data: the roles, how each reads, and the words each naming family uses.

What a role is and which words mean it change together with the families trainboard knows
(a new framework's names, a new kind of metric); how a key's words are matched against them
is trainboard.roles.match, and how one key is chosen among several is trainboard.roles.choose.
"""

from __future__ import annotations

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

# what define_metric(goal=) and a stored definition may say for "min" and "max"
GOAL_ALIASES: dict[str, Goal] = {
    "min": "min",
    "max": "max",
    "minimize": "min",
    "maximize": "max",
    "minimise": "min",
    "maximise": "max",
    "lower": "min",
    "higher": "max",
}

# the usual goal of a role, for a key defined as that role without a goal
ROLE_GOAL: dict[Role, Goal | None] = {
    "train_loss": "min",
    "eval_loss": "min",
    "perplexity": "min",
    "quality": "max",
    "throughput": "max",
}

# the roles that may decide "best" (trainboard.roles.choose.deciding_metric)
DECIDING_ROLES: frozenset[Role] = frozenset({"train_loss", "eval_loss", "quality", "perplexity"})

# --- the words of the naming families ----------------------------------------------------------
# (matched against words(key) in trainboard.roles.match)

EVAL_WORDS = frozenset(
    {"eval", "evaluation", "val", "valid", "validation", "dev", "test", "heldout", "holdout"}
)
TRAIN_WORDS = frozenset({"train", "training", "trainer"})
SYSTEM_FIRST = frozenset({"sys", "system"})
LOSS_WORDS = frozenset({"loss", "losses", "nll", "objective"})
NOT_LOSS = frozenset({"scale", "scaler", "scaling"})  # fp16 "loss_scale" is not a loss
PPL_WORDS = frozenset({"perplexity", "ppl"})
QUALITY_MAX = frozenset(
    {"acc", "accuracy", "f1", "bleu", "rouge", "rouge1", "rouge2", "rougel", "rougelsum",
     "reward", "rewards", "precision", "recall", "auc", "auroc", "map", "score", "em", "iou",
     "miou", "dice",
     "top1", "top5", "mcc", "matthews", "pearson", "spearman", "meteor", "chrf", "sacrebleu",
     "return", "returns", "winrate", "pass"}
)  # fmt: skip
QUALITY_MIN = frozenset({"error", "err", "wer", "cer", "mse", "mae", "rmse", "fid", "ter"})
GRAD_WORDS = frozenset({"grad", "grads", "gradient", "gradients"})
NORM_WORDS = frozenset({"norm", "norms", "l2"})
SEC_WORDS = frozenset({"s", "sec", "secs", "second", "seconds"})
TIME_WORDS = frozenset({"time", "latency", "duration", "runtime", "ms", "elapsed"})
SPEED_SUBJECTS = frozenset(
    {"step", "steps", "iter", "iteration", "batch", "tokens", "token", "samples", "sample",
     "examples", "it", "train", "performance", "perf", "forward", "backward", "data"}
)  # fmt: skip
TOKEN_WORDS = frozenset({"tokens", "token", "toks"})
COUNTER_KEYS = frozenset(
    {"step", "global_step", "trainer_global_step", "batches", "batch", "samples",
     "samples_seen", "num_samples", "examples_seen", "iteration", "iter", "iter_num",
     "total_flos", "train_global_step", "num_batches"}
)  # fmt: skip
# words that only say where a value came from, not what it is (Lightning's _step/_epoch
# suffixes, TensorBoard-guide group names); they do not make a key less plain
NEUTRAL = frozenset(
    {"training", "train", "trainer", "evaluation", "eval", "val", "valid", "validation",
     "dev", "test", "metrics", "metric", "performance", "perf", "mean", "avg", "average",
     "epoch", "step", "total", "loss", "losses", "gradient", "grad", "norm", "learning",
     "rate", "lr", "charts", "scalars", "scalar"}
)  # fmt: skip

# the keys a script logs for the time each step waited for its data loader (seconds); each
# rank of a multi-process job reports the one it logs as sys/rank{r}/data_wait (sdk/ranks.py)
DATA_WAIT_KEYS = frozenset(
    {"data_time", "data_wait", "time/data", "perf/data_time", "dataloader_time",
     "train/data_time", "data_load_time", "time/data_wait"}
)  # fmt: skip
