"""What no store can hold is refused with a UsageError that names the field, on both engines,
and leaves the store working (limits.py)."""

from __future__ import annotations

import numpy as np
import pytest

from trainboard.errors import UsageError
from trainboard.limits import MAX_KEY_BYTES
from trainboard.store import (
    ArtifactRecord,
    HistogramRecord,
    PointBatch,
    RunQuery,
    RunRecord,
    Store,
    TextRecord,
)

T0 = 1_700_000_000.0
RID = "aaaaaaaaaaaa"


def one(step: object = 1, value: float = 1.0) -> PointBatch:
    return PointBatch(np.asarray([step]), np.asarray([T0]), np.asarray([value]))


@pytest.fixture
def run(store: Store) -> Store:
    store.create_run(RunRecord(id=RID, project="p", name="r"))
    return store


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "a\x00b", r"create_run: name must not contain NUL \(\\x00\) characters, got 'a"),
        ("project", "p\ud800", r"create_run: project must be valid Unicode, got a lone surrogate"),
        ("model", "m\x00", "create_run: model must not contain NUL"),
        ("tags", ["ok", "t\x00"], "create_run: tag must not contain NUL"),
        (
            "project",
            "p" * (MAX_KEY_BYTES + 1),
            "create_run: project is 1025 bytes in UTF-8, over the limit of 1024",
        ),  # fmt: skip
        ("pid", 2**40, r"create_run: pid must fit in int32 \(-2147483648 to 2147483647\)"),
        ("total_steps", 2**63, "create_run: total_steps must fit in int64"),
        ("config", {"x": "\ud800"}, "create_run: config cannot be stored as JSON"),
    ],
)
def test_create_run_refuses(store: Store, field: str, value: object, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        fields: dict[str, object] = {"project": "p", "name": "r", field: value}
        store.create_run(RunRecord(id=RID, **fields))  # type: ignore[arg-type]
    assert store.count_runs() == 0


def test_config_may_hold_nul_as_json(run: Store) -> None:
    run.update_run(RID, config={"prompt": "a\x00b"})
    assert run.get_run(RID).config == {"prompt": "a\x00b"}


@pytest.mark.parametrize(
    ("key", "batch", "message"),
    [
        ("k\x00", one(), "write_points: metric key must not contain NUL"),
        ("k\udfff", one(), "write_points: metric key must be valid Unicode"),
        ("k" * 2000, one(), "write_points: metric key is 2000 bytes in UTF-8, over the limit"),
        ("x" * 10_000_000, one(), "write_points: metric key is 10000000 bytes"),
        ("big", one(np.uint64(2**64 - 1)), "'big' has step 18446744073709551615, outside int64"),
        (
            "big",
            PointBatch([1, 2**63], [T0, T0], [1.0, 2.0]),
            r"'big' has step 9.223372036854776e\+18, not an int64",
        ),
        ("frac", one(1.7), "'frac' has step 1.7, not an int64"),
        ("huge", one(1e30), "'huge' has step"),
    ],
)
def test_write_points_refuses_the_batch_and_keeps_working(
    run: Store, key: str, batch: PointBatch, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        run.write_points(RID, {"good": one(1, 2.0), key: batch})
    assert run.metric_keys(RID) == []  # the batch is one transaction: nothing half-written
    run.write_points(RID, {"good": one(1, 2.0)})
    assert run.read_series(RID, "good").values.tolist() == [2.0]


def test_longest_key_fits(run: Store) -> None:
    key = "é" * (MAX_KEY_BYTES // 2)  # 2 bytes each: exactly the limit
    run.write_points(RID, {key: one()})
    assert run.metric_keys(RID) == [key]


def test_texts_histograms_artifacts_refuse(run: Store) -> None:
    with pytest.raises(UsageError, match=r"write_texts: 'samples' text must not contain NUL"):
        run.write_texts(RID, [TextRecord("samples", 1, T0, "model said \x00")])
    with pytest.raises(UsageError, match="write_texts: 'samples' step must fit in int64"):
        run.write_texts(RID, [TextRecord("samples", 2**63, T0, "ok")])
    with pytest.raises(UsageError, match="write_texts: key must be valid Unicode"):
        run.write_texts(RID, [TextRecord("s\ud800", 1, T0, "ok")])
    hist = HistogramRecord("w\x00", 1, T0, [0.0, 1.0], [1.0], 0.0, 1.0, 1, 0.5)
    with pytest.raises(UsageError, match="write_histograms: key must not contain NUL"):
        run.write_histograms(RID, [hist])
    with pytest.raises(UsageError, match="add_artifact: name must not contain NUL"):
        run.add_artifact(RID, ArtifactRecord("a\x00", "checkpoint", None, "p", 1, T0))
    with pytest.raises(UsageError, match="add_artifact: step must fit in int64"):
        run.add_artifact(RID, ArtifactRecord("a", "checkpoint", 2**64, "p", 1, T0))
    assert run.read_texts(RID) == [] and run.read_histograms(RID) == []
    big = "x" * 10_000_000  # a long generated text is a legal text
    run.write_texts(RID, [TextRecord("samples", 1, T0, big)])
    assert run.read_texts(RID)[0].text == big


def test_update_run_refuses(run: Store) -> None:
    with pytest.raises(UsageError, match="update_run: notes must not contain NUL"):
        run.update_run(RID, notes="Traceback \x00")
    with pytest.raises(UsageError, match="update_run: total_steps must fit in int64"):
        run.update_run(RID, total_steps=-(2**63) - 1)
    assert run.get_run(RID).notes is None


def test_reads_refuse_what_no_run_can_hold(run: Store) -> None:
    """A NUL or a lone surrogate in a run id, key or filter is a bad request (400), not a
    database error (PostgreSQL refuses NUL in any text parameter)."""
    with pytest.raises(UsageError, match="get_run: run id must not contain NUL"):
        run.get_run("a\x00")
    with pytest.raises(UsageError, match="read_series: key must not contain NUL"):
        run.read_series(RID, "k\x00")
    with pytest.raises(UsageError, match="list_runs: search must not contain NUL"):
        run.list_runs(RunQuery(search="\x00"))
    with pytest.raises(UsageError, match="list_runs: project must be valid Unicode"):
        run.count_runs(RunQuery(project="\ud800"))
    with pytest.raises(UsageError, match="list_runs: offset must fit in int64"):
        run.list_runs(RunQuery(offset=2**63))
    with pytest.raises(UsageError, match="read_series: since must fit in int64"):
        run.read_series(RID, "k", since=2**63)
    with pytest.raises(UsageError, match="read_series: start must fit in int64"):
        run.read_series(RID, "k", start=-(2**64))
    with pytest.raises(UsageError, match="read_texts: since must fit in int64"):
        run.read_texts(RID, since=2**70)
    with pytest.raises(UsageError, match="delete_runs: run id must not contain NUL"):
        run.delete_runs([RID, "\x00"])
    assert run.count_runs() == 1
