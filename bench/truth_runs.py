"""Synthetic runs with known faults, and healthy ones, for the truth suite (bench/tb_truth.py)
and its unit test (tests/analysis/test_truth.py). Pure numpy: nothing here reads or writes a
store.

A healthy run is what a fine-tune looks like: a loss that falls fast then slowly, with a few
percent of batch noise; a learning rate with linear warm-up and cosine decay to a tenth; a grad
norm that settles; an eval every `eval_every` steps (eval loss and an accuracy that climbs from
chance); cumulative tokens; an epoch counter; step times with jitter, slow first steps
(warm-up: compilation, caches), an eval pause at each eval and a longer checkpoint pause every
`ckpt_every` steps. A faulty run is a healthy one with one fault injected.

Every run can be written under any naming family (FAMILIES): the same roles, other names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

T0 = 1_700_000_000.0

# role -> key, per naming family
FAMILIES: dict[str, dict[str, str]] = {
    "trainboard": {
        "loss": "train/loss", "eval_loss": "eval/loss", "grad": "grad_norm", "lr": "lr",
        "tokens": "tokens", "epoch": "epoch", "acc": "eval/accuracy",
    },
    "hf": {
        "loss": "loss", "eval_loss": "eval_loss", "grad": "grad_norm", "lr": "learning_rate",
        "tokens": "num_input_tokens_seen", "epoch": "epoch", "acc": "eval_accuracy",
    },
    "lightning": {
        "loss": "train_loss_step", "eval_loss": "val_loss", "grad": "grad_2.0_norm_total",
        "lr": "lr-AdamW", "tokens": "tokens_seen", "epoch": "epoch", "acc": "val_acc",
    },
    "keras": {
        "loss": "loss", "eval_loss": "val_loss", "grad": "gradient_norm",
        "lr": "learning_rate", "tokens": "tokens", "epoch": "epoch", "acc": "val_accuracy",
    },
    "tensorboard": {
        "loss": "Loss/train", "eval_loss": "Loss/validation", "grad": "Gradient/norm",
        "lr": "Learning_Rate/lr", "tokens": "Performance/tokens_seen", "epoch": "Training/epoch",
        "acc": "Evaluation/hellaswag_accuracy",
    },
}  # fmt: skip


@dataclass
class Shape:
    """How one synthetic run is made."""

    steps: int = 2000
    step_s: float = 0.5  # seconds a step between pauses
    jitter: float = 0.2  # relative spread of step times
    warmup_steps: int = 20  # these first steps take `warmup_slow`× longer
    warmup_slow: float = 3.0
    eval_every: int = 200
    eval_pause: float = 15.0
    ckpt_every: int = 500
    ckpt_pause: float = 25.0
    noise: float = 0.03  # relative batch noise of the train loss
    tokens_per_step: float = 4096.0
    steps_per_epoch: int = 800
    seed: int = 0


@dataclass
class Case:
    """One run of the suite: its series by role, and what the verdict must say."""

    name: str
    family: str
    fault: str | None  # the check that must fire; None: a healthy run (no finding at all)
    series: dict[str, tuple[Any, Any, Any]]  # role -> steps, times, values
    total_steps: int
    status: str = "finished"
    config: dict[str, Any] = field(default_factory=dict)
    now_after: float = 1.0  # seconds after the last point that the verdict is asked for

    def keyed(self) -> dict[str, tuple[Any, Any, Any]]:
        names = FAMILIES[self.family]
        return {names[role]: cols for role, cols in self.series.items()}


def step_times(shape: Shape, rng: np.random.Generator, slow_from: int | None = None) -> Any:
    """Wall times of steps 1..N: jittered steps, slow warm-up, eval and checkpoint pauses;
    from `slow_from` on, steps take twice as long (a throughput drop)."""
    n = shape.steps
    s = np.arange(1, n + 1)
    dt = shape.step_s * rng.lognormal(0.0, shape.jitter, n)
    dt[: shape.warmup_steps] *= shape.warmup_slow
    dt += np.where(s % shape.eval_every == 0, shape.eval_pause, 0.0)
    dt += np.where(s % shape.ckpt_every == 0, shape.ckpt_pause, 0.0)
    if slow_from is not None:
        dt[slow_from:] *= 2.0
    return T0 + 30.0 + np.cumsum(dt)


def healthy(shape: Shape) -> dict[str, tuple[Any, Any, Any]]:
    rng = np.random.default_rng(shape.seed)
    n = shape.steps
    s = np.arange(1, n + 1)
    t = step_times(shape, rng)
    loss = (1.8 + 2.5 * np.exp(-s / 400)) * (1 + shape.noise * rng.standard_normal(n))
    warm = np.minimum(1.0, s / 100)
    lr = 3e-4 * warm * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * s / n)))
    grad = (1.2 * np.exp(-s / 600) + 0.35) * rng.lognormal(0.0, 0.15, n)
    e = s[s % shape.eval_every == 0]
    te = t[e - 1]
    eval_loss = (1.9 + 2.5 * np.exp(-e / 400)) * (1 + 0.005 * rng.standard_normal(e.size))
    acc = 0.25 + 0.2 * (1 - np.exp(-e / 500)) + 0.004 * rng.standard_normal(e.size)
    return {
        "loss": (s, t, loss),
        "lr": (s, t, lr),
        "grad": (s, t, grad),
        "tokens": (s, t, s * shape.tokens_per_step),
        "epoch": (s, t, s / shape.steps_per_epoch),
        "eval_loss": (e, te, eval_loss),
        "acc": (e, te, acc),
    }


def _with(series: dict[str, tuple[Any, Any, Any]], role: str, values: Any) -> None:
    s, t, _ = series[role]
    series[role] = (s, t, np.asarray(values, dtype=np.float64))


def inject(fault: str, shape: Shape) -> tuple[dict[str, tuple[Any, Any, Any]], dict[str, Any]]:
    """A healthy run's series with `fault` injected; returns (series, extra Case fields)."""
    rng = np.random.default_rng(shape.seed + 1000)
    d = healthy(shape)
    n = shape.steps
    extra: dict[str, Any] = {}
    loss = d["loss"][2].copy()
    if fault == "loss_nan":
        loss[int(0.8 * n) :] = np.nan
        _with(d, "loss", loss)
    elif fault == "nonfinite":  # one eval produced NaN accuracy, and the grad norm one inf
        acc = d["acc"][2].copy()
        acc[3] = np.nan
        _with(d, "acc", acc)
        grad = d["grad"][2].copy()
        grad[int(0.6 * n)] = np.inf
        _with(d, "grad", grad)
    elif fault == "eval_metric_flat":
        _with(d, "acc", 0.25 + 0.004 * rng.standard_normal(d["acc"][0].size))
    elif fault == "loss_spikes":
        for at in (int(0.35 * n), int(0.6 * n), int(0.8 * n)):
            loss[at : at + 3] *= 2.5
        _with(d, "loss", loss)
    elif fault == "grad_exploding":
        grad = d["grad"][2].copy()
        k = int(0.85 * n)
        grad[k:] *= np.exp(np.linspace(0, np.log(200.0), n - k))
        _with(d, "grad", grad)
    elif fault == "grad_vanishing":
        grad = d["grad"][2].copy()
        k = int(0.7 * n)
        grad[k:] *= np.exp(np.linspace(0, np.log(1e-6), n - k))
        _with(d, "grad", grad)
    elif fault == "lr_zero":
        lr = d["lr"][2].copy()
        lr[int(0.6 * n) :] = 0.0
        _with(d, "lr", lr)
    elif fault == "loss_exploding":
        k = int(0.7 * n)
        loss[k:] *= np.exp(np.linspace(0, np.log(4.0), n - k))
        _with(d, "loss", loss)
    elif fault == "loss_not_falling":
        _with(d, "loss", 4.0 * (1 + shape.noise * rng.standard_normal(n)))
    elif fault == "overfitting":
        el = d["eval_loss"][2].copy()
        el[-5:] = el[-6] * np.array([1.01, 1.03, 1.05, 1.07, 1.09])
        _with(d, "eval_loss", el)
    elif fault == "grad_clipped":  # pre-clip norms logged, mostly above the configured 1.0
        _with(d, "grad", 1.0 + np.abs(rng.normal(0.8, 0.4, n)))
        extra["config"] = {"max_grad_norm": 1.0}
    elif fault == "throughput_drop":
        t = step_times(shape, np.random.default_rng(shape.seed), slow_from=int(0.75 * n))
        d = {role: (cols[0], t[cols[0] - 1], cols[2]) for role, cols in d.items()}
    elif fault == "stalled":
        extra["status"] = "running"
        extra["now_after"] = 900.0
    else:
        raise ValueError(f"unknown fault {fault!r}")
    return d, extra


# the checks the suite injects, each under these naming families
FAULTS: dict[str, tuple[str, ...]] = {
    "loss_nan": ("tensorboard", "hf"),
    "nonfinite": ("lightning", "trainboard"),
    "eval_metric_flat": ("tensorboard", "keras"),
    "loss_spikes": ("hf", "lightning"),
    "grad_exploding": ("tensorboard", "trainboard"),
    "grad_vanishing": ("keras", "hf"),
    "lr_zero": ("lightning", "tensorboard"),
    "loss_exploding": ("trainboard", "keras"),
    "loss_not_falling": ("hf", "tensorboard"),
    "overfitting": ("keras", "lightning"),
    "grad_clipped": ("trainboard", "hf"),
    "throughput_drop": ("tensorboard", "lightning"),
    "stalled": ("hf", "keras"),
}

# healthy shapes: plain, noisy, long warm-up, heavy eval pauses, heavy checkpoint pauses
HEALTHY: dict[str, Shape] = {
    "plain": Shape(noise=0.02, seed=11),
    "noisy": Shape(noise=0.08, jitter=0.35, seed=12),
    "warmup": Shape(warmup_steps=100, warmup_slow=5.0, seed=13),
    "eval_pauses": Shape(eval_every=100, eval_pause=40.0, seed=14),
    "ckpt_pauses": Shape(ckpt_every=250, ckpt_pause=90.0, seed=15),
}


def cases() -> list[Case]:
    """Every fault under its families, and every healthy shape under every family."""
    out = []
    for i, (fault, families) in enumerate(FAULTS.items()):
        for j, family in enumerate(families):
            series, extra = inject(fault, Shape(seed=100 + 10 * i + j))
            out.append(Case(f"{fault}/{family}", family, fault, series, 2000, **extra))
    for name, shape in HEALTHY.items():
        for family in FAMILIES:
            out.append(Case(f"healthy-{name}/{family}", family, None, healthy(shape), 2000))
            out.append(
                Case(
                    f"healthy-{name}-running/{family}",
                    family,
                    None,
                    healthy(shape),
                    4000,
                    status="running",
                )  # fmt: skip
            )
    return out


# ETA: steady runs and runs with eval pauses, asked at these fractions of the run
ETA_FRACTIONS = (0.10, 0.25, 0.50)
ETA_SHAPES: dict[str, list[Shape]] = {
    "steady": [
        Shape(eval_every=10**9, ckpt_every=10**9, warmup_steps=0, seed=s) for s in (21, 22, 23)
    ],
    "eval pauses": [
        Shape(eval_every=100, eval_pause=30.0, ckpt_every=500, ckpt_pause=20.0, seed=s)
        for s in (31, 32, 33)
    ],
}
