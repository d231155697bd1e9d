"""Runs from different tools are compared on what they measured, not on what they called it:
the same eval loss logged as `eval/loss`, `eval_loss`, `val_loss`, `Loss/validation` and
`val/loss`, over real stores (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from trainboard.analysis.compare import compare, rank_in_groups, total_epochs
from trainboard.analysis.rank import group_peers
from trainboard.analysis.trend import improvement_trend
from trainboard.errors import UsageError
from trainboard.roles import measure_of, parse_metric
from trainboard.store.base import Store
from trainboard.store.queries import RunQuery
from trainboard.store.records import PointBatch, RunRecord

T0 = 1_700_000_000.0
# (tool, eval loss key, train loss key, accuracy key)
NAMINGS = [
    ("trainboard", "eval/loss", "train/loss", "eval/accuracy"),
    ("hf", "eval_loss", "loss", "eval_accuracy"),
    ("lightning", "val_loss", "train_loss_step", "val_acc"),
    ("tb-guide", "Loss/validation", "Loss/train", "Evaluation/accuracy"),
    ("nanogpt", "val/loss", "train/loss", "val/acc"),
]


def add(
    store: Store,
    i: int,
    naming: tuple[str, str, str, str],
    best_eval: float,
    model: str | None = "m",
    project: str = "p",
) -> str:
    rid = f"{i:012x}"
    _, ek, tk, ak = naming
    store.create_run(
        RunRecord(rid, project, f"{naming[0]}-{i}", model=model, status="finished",
                  created_at=T0 + i, finished_at=T0 + i + 50)
    )  # fmt: skip
    steps, times = [10, 20], [T0 + i + 10, T0 + i + 20]
    store.write_points(rid, {
        ek: PointBatch.of(steps, times, [best_eval + 0.5, best_eval]),
        tk: PointBatch.of(steps, times, [3.0, best_eval - 0.1]),
        ak: PointBatch.of(steps, times, [0.5, 1.0 - best_eval / 10]),
    })  # fmt: skip
    return rid


def test_measures_of_each_tools_names() -> None:
    for _, ek, tk, ak in NAMINGS:
        assert measure_of(ek).id == "eval_loss", ek
        assert measure_of(tk).id == "train_loss", tk
        assert measure_of(ak).id == "eval_accuracy", ak
    assert measure_of("train/aux_loss").id == "train_aux_loss"  # not the train loss
    assert measure_of("val_acc_epoch").id == "eval_accuracy"  # Lightning's, not an epoch
    assert measure_of("lr").key == "lr"  # a key that cannot decide is its own measure
    keys = [["eval_loss", "loss"], ["val_loss", "train_loss_step"]]
    m = parse_metric("val_loss", keys)
    assert m is not None and m.key_in(["eval_loss", "loss"]) == "eval_loss"
    q = parse_metric("quality", [["eval_accuracy", "loss"], ["val_acc"]])
    assert q is not None and q.id == "eval_accuracy" and q.key_in(["val_acc"]) == "val_acc"
    assert parse_metric("nope", keys) is None


def test_compare_picks_the_same_winner_whatever_each_run_called_it(store: Store) -> None:
    values = [0.9, 1.0, 0.7, 1.1, 0.8]  # the Lightning run (val_loss) is best
    ids = [add(store, i, n, v) for i, (n, v) in enumerate(zip(NAMINGS, values, strict=True))]
    c = compare(store, ids)
    assert c.metric == "eval_loss" and c.metric_text == "eval loss" and c.goal == "min"
    assert c.best == ids[2]
    assert [r.rank for r in c.runs] == [1, 2, 3, 4, 5]  # none "not ranked"
    assert {r.id: r.key for r in c.runs} == {i: n[1] for i, n in zip(ids, NAMINGS, strict=True)}
    row = next(r for r in c.rows if r.key == "key")  # the table names each run's key
    assert row.label == "key" and c.runs[0].to_json()["text"]["key"] == "val_loss"
    assert next(r for r in c.rows if r.key == "best_value").label == "best eval loss"
    # a key, a measure's id or a role: the same winner
    for metric in ("eval_loss", "val_loss", "Loss/validation", "eval/loss"):
        assert compare(store, ids, metric).best == ids[2], metric
    acc = compare(store, ids, "quality")
    assert acc.metric == "eval_accuracy" and acc.goal == "max" and acc.best == ids[2]
    assert compare(store, ids, "val_acc").best == ids[2]
    train = compare(store, ids, "train_loss")
    assert train.best == ids[2] and [r.rank for r in train.runs] == [1, 2, 3, 4, 5]
    assert c.train_loss_key == "train_loss"
    trend = improvement_trend(store.list_runs(RunQuery()))
    assert trend.metric == "eval loss" and len([p for p in trend.points if p.value]) == 5
    with pytest.raises(UsageError, match="a role works too"):
        compare(store, ids, "bleu")


def test_a_run_without_the_measure_says_so(store: Store) -> None:
    a = add(store, 0, NAMINGS[1], 0.9)
    b = "b" * 12
    store.create_run(RunRecord(b, "p", "no-eval", model="m", created_at=T0 + 5))
    store.write_points(b, {"loss": PointBatch.of([1], [T0 + 6], [0.1])})
    c = compare(store, [a, b])
    assert c.best == a and c.metric == "eval_loss"
    none = c.run(b)
    assert none.rank is None and none.key is None and none.note == "no eval loss logged"
    assert none.to_json()["text"]["best_value"] == "none"
    assert none.to_json()["text"]["key"] == "no eval loss logged"
    rank = rank_in_groups(store.list_runs(RunQuery()))[b]
    assert rank.note == "no eval loss logged" and rank.measure == "eval loss"


def test_the_runs_list_ranks_mixed_keys_and_groups_runs_without_a_model_by_project(
    store: Store,
) -> None:
    # model "m": HF 0.9, Lightning 0.7 (best); no model: project "a" has nanoGPT 0.5 and a
    # TensorBoard-guide run 0.6, project "b" one trainboard run 2.0 (the best of its own)
    add(store, 0, NAMINGS[1], 0.9)
    add(store, 1, NAMINGS[2], 0.7)
    add(store, 2, NAMINGS[4], 0.5, model=None, project="a")
    add(store, 3, NAMINGS[3], 0.6, model=None, project="a")
    add(store, 4, NAMINGS[0], 2.0, model=None, project="b")
    runs = store.list_runs(RunQuery())
    whole = rank_in_groups(runs)
    assert [whole[f"{i:012x}"].group_best for i in range(5)] == [False, True, True, False, True]
    assert whole[f"{0:012x}"].metric == "eval_loss" and whole[f"{1:012x}"].metric == "val_loss"
    assert whole[f"{0:012x}"].measure == "eval loss"
    assert whole[f"{3:012x}"].delta_pct == pytest.approx(20.0)
    assert all(r.best_value is not None for r in whole.values())  # no "—" for other keys
    for offset in range(5):  # one run per page, ranked against the rest of its group
        query = RunQuery(limit=1, offset=offset)
        page = store.list_runs(query)
        assert rank_in_groups(page, peers=group_peers(store, query, page)) == {
            page[0].id: whole[page[0].id]
        }


def test_max_steps_over_epochs_uses_the_epochs_actually_run() -> None:
    from trainboard.store.records import MetricSummary

    ep = MetricSummary(count=2, last=0.35, last_step=30, min=0.1, min_step=10, max=0.35,
                       max_step=30, first_time=T0, last_time=T0 + 1)  # fmt: skip
    hf = RunRecord("a" * 12, "p", "hf", config={"num_train_epochs": 3, "max_steps": 30},
                   summary={"epoch": ep})  # fmt: skip
    assert total_epochs(hf) == 0.35
    plain = RunRecord("b" * 12, "p", "x", config={"num_train_epochs": 3, "max_steps": -1},
                      summary={"epoch": ep})  # fmt: skip
    assert total_epochs(plain) == 3.0
