"""A run's chart set (written during training and by `plot --all-charts`): every file, each
chart with its lines and titles, JSON that round-trips, atomic replacement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from figure_support import make_run

from trainboard.report.charts import (
    CHART_FILES,
    loss_vs_accuracy,
    recent_window,
    text_table,
    write_atomic,
    write_charts,
)
from trainboard.store import open_store
from trainboard.store.base import Store


@pytest.fixture
def db(sqlite_url: str) -> Store:
    s = open_store(sqlite_url)
    yield s
    s.close()


def test_every_file_of_the_set(db: Store, tmp_path: Path) -> None:
    run = make_run(db, "aaaa00000001", "one", texts=4)
    written = write_charts(db, run.id, tmp_path / "charts", dpi=50)
    assert sorted(p.name for p in written) == sorted(CHART_FILES)
    for p in written:
        data = p.read_bytes()
        assert data[:4] == b"\x89PNG" if p.suffix == ".png" else data[:1] == b"{"
        assert p.stat().st_size > 500, p.name
    history = json.loads((tmp_path / "charts" / "metrics_history.json").read_bytes())
    assert len(history["metrics"]["train/loss"]) == 1000
    assert history["metrics"]["val/loss"][6][0] == 600
    samples = json.loads((tmp_path / "charts" / "text_samples.json").read_bytes())
    assert samples["run"] == run.id
    assert [s["step"] for s in samples["samples"]] == [0, 250, 500, 750]
    assert samples["samples"][0]["text"] == "sample $x$ at 0\nline two"
    assert not list((tmp_path / "charts").glob(".*tmp"))  # no temporary file left behind


def test_charts_a_run_lacks_are_not_written(db: Store, tmp_path: Path) -> None:
    run = make_run(db, "aaaa00000001", "bare", names={"train": "loss"})
    written = {p.name for p in write_charts(db, run.id, tmp_path, dpi=50)}
    assert written == {"loss.png", "throughput.png", "recent.png", "metrics_history.json",
                       "text_samples.json"}  # fmt: skip


def test_scatter_pairs_each_eval_with_its_loss(db: Store) -> None:
    run = make_run(db, "aaaa00000001", "one")
    fig = loss_vs_accuracy(db, run)
    assert fig is not None
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "val/accuracy vs val/loss"
    assert ax.get_xlabel() == "val/loss" and ax.get_ylabel() == "val/accuracy"
    pts = ax.collections[0].get_offsets()
    assert len(pts) == 10
    for x, y in pts:  # accuracy = 1 - loss / 2 at every eval
        assert y == pytest.approx(1 - x / 2)


def test_recent_window_shows_only_the_last_steps(db: Store) -> None:
    run = make_run(db, "aaaa00000001", "one")
    fig = recent_window(db, run, 100, 10)
    assert fig is not None
    assert fig.get_suptitle() == "one: last 100 steps (900–999)"
    loss = next(ax for ax in fig.axes if ax.get_title(loc="left") == "Loss")
    xs = [x for ln in loss.get_lines() if len(ln.get_xdata()) > 2 for x in ln.get_xdata()]
    assert min(xs) == 900 and max(xs) == 999


def test_text_table_newest_first(db: Store) -> None:
    run = make_run(db, "aaaa00000001", "one", texts=3)
    fig = text_table(run, db.read_texts(run.id))
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Text samples (3 in all, newest first)"
    cells = ax.tables[0].get_celld()
    assert [cells[(r, 0)].get_text().get_text() for r in range(4)] == ["step", "666", "333", "0"]
    assert cells[(1, 2)].get_text().get_text() == "sample $x$ at 666 line two"


def test_write_atomic_replaces_whole(tmp_path: Path) -> None:
    p = tmp_path / "a.json"
    write_atomic(p, b"old")
    write_atomic(p, b"new")
    assert p.read_bytes() == b"new" and [x.name for x in tmp_path.iterdir()] == ["a.json"]
