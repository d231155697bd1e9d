"""analysis.checks: the checks issue #7 added, against series worked out by hand."""

from __future__ import annotations

import math

import numpy as np

from trainboard.analysis.checks import (
    check_eval_flat,
    check_grad_norm_trend,
    check_loss_spikes,
    check_lr_zero,
    check_nonfinite,
)
from trainboard.analysis.health import check_grad_clipped, infer_clip

S = np.arange(1, 201)
FALLING = 3.0 * np.exp(-S / 60.0) + 1.0


def test_nonfinite_names_each_key_and_its_first_step() -> None:
    acc = np.full(10, 0.5)
    acc[3] = math.nan
    grad = np.full(200, 0.4)
    grad[150:] = math.inf
    f = check_nonfinite(
        {"eval/acc": (np.arange(10) * 20, acc), "grad_norm": (S, grad)}, ("grad_norm",)
    )
    assert f is not None and f.severity == "critical"
    assert f.saw == (
        "non-finite values in 2 metrics: eval/acc NaN first at step 60, finite since; "
        "grad_norm inf first at step 151 (still)"
    )
    assert check_nonfinite({"a": (S, FALLING)}) is None
    only_eval = check_nonfinite({"eval/acc": (np.arange(10) * 20, acc)}, ("grad_norm",))
    assert only_eval is not None and only_eval.severity == "warning"


def test_eval_metric_flat_while_the_loss_falls() -> None:
    es = np.arange(20, 201, 20)
    stuck = np.array([0.25, 0.251, 0.249, 0.25, 0.252, 0.248, 0.25, 0.251, 0.25, 0.249])
    f = check_eval_flat(es, stuck, (S, FALLING), "Evaluation/hellaswag_accuracy")
    assert f is not None and f.check == "eval_metric_flat"
    assert f.saw.startswith("Evaluation/hellaswag_accuracy stuck at 0.250 over 10 evals")
    rising = np.linspace(0.25, 0.4, 10)
    assert check_eval_flat(es, rising, (S, FALLING), "acc") is None
    # flat loss too: nothing is learned at all, which loss_not_falling says, not this
    assert check_eval_flat(es, stuck, (S, np.full(200, 2.0)), "acc") is None
    # too few evals to call it
    assert check_eval_flat(es[:4], stuck[:4], (S, FALLING), "acc") is None


def test_loss_spikes_that_recover_are_counted_with_their_steps() -> None:
    rng = np.random.default_rng(3)
    v = FALLING * (1 + 0.02 * rng.standard_normal(200))
    v[80:82] *= 3.0
    v[150] *= 2.5
    f = check_loss_spikes(S, v, key="Loss/train")
    assert f is not None
    assert f.saw.startswith("Loss/train spiked 2 times and recovered, at steps 81, 151")
    # noise alone: no spike; a jump that never recovers is not a spike either
    assert check_loss_spikes(S, FALLING * (1 + 0.02 * rng.standard_normal(200))) is None
    up = FALLING.copy()
    up[120:] *= 3.0
    assert check_loss_spikes(S, up) is None


def test_grad_norm_exploding_and_vanishing() -> None:
    g = np.full(200, 0.5)
    g[180:] = 50.0
    f = check_grad_norm_trend(S, g, key="Gradient/norm")
    assert f is not None and f.check == "grad_exploding" and f.severity == "critical"
    v = np.full(200, 0.5)
    v[180:] = 1e-7
    f = check_grad_norm_trend(S, v)
    assert f is not None and f.check == "grad_vanishing"
    assert check_grad_norm_trend(S, np.linspace(1.0, 0.3, 200)) is None


def test_lr_stuck_at_zero_while_training() -> None:
    lr = np.full(200, 1e-4)
    lr[100:] = 0.0
    f = check_lr_zero(S, lr, last_step=200, total=1000, key="Learning_Rate/lr")
    assert f is not None and f.saw.startswith("Learning_Rate/lr has been 0 since step 101")
    # a schedule that decays to 0 at its very end is not stuck
    decay = np.linspace(1e-4, 0.0, 200)
    decay[-1] = 0.0
    assert check_lr_zero(S, decay, last_step=200, total=200) is None
    end = np.full(200, 1e-4)
    end[195:] = 0.0
    assert check_lr_zero(S, end, last_step=200, total=200) is None


def test_a_constant_grad_norm_is_not_clipping_without_evidence() -> None:
    half = np.full(100, 0.5)
    assert infer_clip(half) is None
    assert check_grad_clipped(half) is None
    assert check_grad_clipped(half, clip=0.5) is not None  # configured: that is evidence
    assert infer_clip(np.full(100, 1.0)) == 1.0  # a common clip value
