"""Config differences and parameter associations, against numbers worked out by hand."""

from __future__ import annotations

import math
from typing import Any

from trainboard.analysis.configdiff import config_diff, flatten_config, spearman
from trainboard.store.records import RunRecord


def run(rid: str, config: dict[str, Any]) -> RunRecord:
    return RunRecord(id=rid, project="p", name=rid, config=config)


def test_flatten_nested() -> None:
    assert flatten_config({"a": 1, "o": {"lr": 2, "b": {"c": [1, 2]}}}) == {
        "a": 1, "o.lr": 2, "o.b.c": [1, 2],
    }  # fmt: skip


def test_spearman_by_hand() -> None:
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    # ties: x ranks 1.5 1.5 3 4, y ranks 1 2 3 4 -> 4.5 / sqrt(4.5 * 5) = 0.948683
    assert math.isclose(spearman([1, 1, 2, 3], [1, 2, 3, 4]) or 0, 4.5 / math.sqrt(22.5))
    assert spearman([1, 1], [2, 3]) is None
    assert spearman([1], [2]) is None


def test_only_differing_params() -> None:
    runs = [
        run("a", {"lr": 1e-3, "bs": 32, "optim": {"name": "adam", "wd": 0.1}}),
        run("b", {"lr": 3e-4, "bs": 32, "optim": {"name": "adam", "wd": 0.0}}),
        run("c", {"lr": 1e-3, "bs": 32, "optim": {"name": "adam"}, "seed": 1}),
    ]
    d = config_diff(runs)
    assert d.params == {
        "lr": {"a": 1e-3, "b": 3e-4, "c": 1e-3},
        "optim.wd": {"a": 0.1, "b": 0.0, "c": None},
        "seed": {"a": None, "b": None, "c": 1},
    }
    assert d.same == 2  # bs, optim.name
    assert d.associations == [] and d.note is None


def test_null_and_missing_are_the_same() -> None:
    runs = [
        run("a", {"lr": 1e-3, "hub_token": None, "optim": {"wd": None}}),
        run("b", {"lr": 1e-3}),
        run("c", {"lr": 1e-3, "hub_token": None, "push": None}),
    ]
    d = config_diff(runs)
    assert d.params == {}
    assert d.same == 4  # lr, hub_token, optim.wd, push: set in none of the runs


def test_associations_need_five_runs() -> None:
    runs = [run(x, {"lr": i}) for i, x in enumerate("abcd")]
    d = config_diff(runs, {"a": 4.0, "b": 3.0, "c": 2.0, "d": 1.0}, "eval/loss", "min")
    assert d.associations == []
    assert d.note == (
        "4 runs have a value of eval/loss: at least 5 are needed to say which parameters go with "
        "better results"
    )


def test_associations_need_three_distinct_values_and_no_ids() -> None:
    # the case: only one of five runs has another warm-up; "idx" just numbers the runs
    runs = [
        run(x, {"warmup_steps": 100 if x == "e" else 0, "idx": i, "seed": 10 * i})
        for i, x in enumerate("abcde")
    ]
    values: dict[str, float | None] = {"a": 1.5, "b": 1.4, "c": 1.3, "d": 1.2, "e": 1.0}
    d = config_diff(runs, values, "eval/loss", "min")
    assert d.associations == []
    assert d.note is not None and d.note.startswith(
        "no differing parameter goes clearly with a better eval/loss (over 5 runs"
    )


def test_numeric_and_categorical_associations() -> None:
    # lr 1..5 vs loss 4,3,2.5,1,0.5: rho = -1 -> higher lr goes with lower (better) loss.
    # optim adam: (4 + 2.5) / 2 = 3.25; sgd: (3 + 1) / 2 = 2.0; lion 0.5 -> lion lowest mean.
    # bs differs but is unrelated: 8,16,32,8,16 -> rho weak; ln: two values only, left out
    runs = [
        run("a", {"lr": 1, "optim": "adam", "bs": 8, "ln": "pre"}),
        run("b", {"lr": 2, "optim": "sgd", "bs": 16, "ln": "post"}),
        run("c", {"lr": 3, "optim": "adam", "bs": 32, "ln": "pre"}),
        run("d", {"lr": 4, "optim": "sgd", "bs": 8, "ln": "post"}),
        run("e", {"lr": 5, "optim": "lion", "bs": 16, "ln": "post"}),
    ]
    vals: dict[str, float | None] = {"a": 4.0, "b": 3.0, "c": 2.5, "d": 1.0, "e": 0.5}
    d = config_diff(runs, vals, "eval/loss", "min")
    by = {a.key: a for a in d.associations}
    assert set(by) == {"lr", "optim"}
    assert by["lr"].rho == -1.0 and by["lr"].best == "higher"
    assert by["lr"].text == "higher lr goes with lower eval/loss (Spearman rho -1.00 over 5 runs)"
    assert by["optim"].means == {"adam": 3.25, "sgd": 2.0, "lion": 0.5}
    assert by["optim"].best == "lion"
    assert by["optim"].text == (
        "optim = lion has the lowest mean eval/loss (adam: 3.25 (2), lion: 0.5 (1), sgd: 2 (2); "
        "runs per value in brackets)"
    )
    # the mirror for a metric to maximise: higher lr goes with *lower* accuracy here
    d = config_diff(runs, vals, "eval/acc", "max")
    by = {a.key: a for a in d.associations}
    assert by["lr"].best == "lower" and by["optim"].best == "adam"


def test_runs_without_value_are_left_out_of_associations() -> None:
    runs = [run(x, {"lr": i}) for i, x in enumerate("abcdef")]
    values: dict[str, float | None] = {"a": 1.0, "b": 2.0, "c": None, "d": 3.0, "e": 4.0, "f": 5}
    d = config_diff(runs, values, "loss", "min")
    assert d.associations[0].n == 5 and d.associations[0].best == "lower"


def test_single_run() -> None:
    d = config_diff([run("a", {"lr": 1})])
    assert d.params == {} and d.same == 1 and d.note == "one run: nothing to compare"
