"""trainboard.Api on both engines: store selection, filters, lazy paging, ranking, history,
comparison, and errors that name what was asked and what exists."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import trainboard
from trainboard.analysis.compare import compare
from trainboard.cli import app
from trainboard.errors import NotFoundError, RunNotFoundError, StoreError, UsageError
from trainboard.read import Runs, StoredRun
from trainboard.store import open_store
from trainboard.store.base import Store
from trainboard.store.records import (
    ArtifactRecord,
    HistogramRecord,
    PointBatch,
    RunRecord,
    TextRecord,
)

T0 = 1_700_000_000.0
# (id, name, model, lr, batch_size, tags, eval-loss scale, archived)
SWEEP = [
    ("a00000000001", "lr1e-5", "qwen", 1e-5, 32, ["sweep-1"], 1.3, False),
    ("a00000000002", "lr3e-5", "qwen", 3e-5, 32, ["sweep-1", "best-guess"], 1.0, False),
    ("a00000000003", "lr1e-4", "qwen", 1e-4, 64, ["sweep-1"], 1.1, False),
    ("a00000000004", "lr3e-4", "qwen", 3e-4, 32, ["sweep-2"], 2.0, False),
    ("a00000000005", "llama-a", "llama", 3e-5, 32, ["sweep-1"], 0.9, False),
    ("a00000000006", "old", "qwen", 3e-5, 32, ["sweep-1"], 0.5, True),
    ("a00000000007", "other-project", "qwen", 3e-5, 32, [], 0.1, False),
]


def _write_sweep(store: Store) -> None:
    steps = np.arange(1, 201, dtype=np.int64)
    for i, (rid, name, model, lr, bs, tags, scale, archived) in enumerate(SWEEP):
        store.create_run(
            RunRecord(
                id=rid, project="other" if name == "other-project" else "qwen-sft", name=name,
                model=model, status="finished", config={"lr": lr, "batch_size": bs,
                "optim": {"name": "adamw", "betas": [0.9, 0.95]}, "use_flash": True},
                tags=tags, total_steps=200, created_at=T0 + i, finished_at=T0 + i + 400.0,
            )
        )  # fmt: skip
        times = T0 + i + steps * 2.0
        train = 3.0 * scale / np.sqrt(steps)
        evals = steps[steps % 50 == 0]
        store.write_points(
            rid,
            {
                "train/loss": PointBatch(steps, times, train),
                "tokens": PointBatch(steps, times, (steps * 1000).astype(np.float64)),
                "eval/loss": PointBatch(evals, T0 + i + evals * 2.0, 2.0 * scale / np.sqrt(evals)),
                "eval/accuracy": PointBatch(evals, T0 + i + evals * 2.0, 0.5 / scale + evals / 1e4),
            },
        )
        if archived:
            store.set_archived([rid], True)


@pytest.fixture
def sweep(store_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """The SWEEP runs in a fresh store that TRAINBOARD_DB names."""
    monkeypatch.setenv("TRAINBOARD_DB", store_url)
    monkeypatch.setenv("TRAINBOARD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TRAINBOARD_URL", raising=False)
    with open_store(store_url) as s:
        _write_sweep(s)
    yield store_url


@pytest.fixture
def api(sweep: str) -> Iterator[trainboard.Api]:
    with trainboard.Api() as a:
        yield a


def _names(runs: Any) -> list[str]:
    return [r.name for r in runs]


def test_api_reads_the_store_init_writes_to(sweep: str) -> None:
    with trainboard.Api() as api:
        assert api.url == sweep
        assert isinstance(api.runs(), Runs)
    with trainboard.Api(sweep) as api:  # or named outright
        assert api.run("lr3e-5").id == "a00000000002"


def test_a_missing_sqlite_file_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nope" / "runs.db"
    with pytest.raises(StoreError, match=f"no trainboard store at {path}"):
        trainboard.Api(str(path))
    assert not path.exists() and not path.parent.exists()


def test_filters(api: trainboard.Api) -> None:
    assert _names(api.runs()) == [
        "other-project", "llama-a", "lr3e-4", "lr1e-4", "lr3e-5", "lr1e-5"
    ]  # fmt: skip
    qwen = api.runs(project="qwen-sft", model="qwen")
    assert _names(qwen) == ["lr3e-4", "lr1e-4", "lr3e-5", "lr1e-5"]
    assert _names(api.runs(tags=["sweep-1", "best-guess"])) == ["lr3e-5"]
    assert _names(api.runs(tags="sweep-2")) == ["lr3e-4"]
    assert _names(api.runs(search="LR1")) == ["lr1e-4", "lr1e-5"]
    assert _names(api.runs(archived=True)) == ["old"]
    assert len(api.runs(archived=None)) == 7
    assert _names(api.runs(status="finished", model="llama")) == ["llama-a"]
    assert _names(api.runs(status="running")) == []
    assert _names(api.runs(model="qwen", config={"batch_size": 32})) == [
        "other-project", "lr3e-4", "lr3e-5", "lr1e-5"
    ]  # fmt: skip
    ranged = api.runs(project="qwen-sft", config={"lr": (1e-5, 1e-4)})
    assert _names(ranged) == ["llama-a", "lr1e-4", "lr3e-5", "lr1e-5"]
    assert _names(api.runs(config={"lr": (2e-5, None), "batch_size": 32})) == [
        "other-project", "llama-a", "lr3e-4", "lr3e-5"
    ]  # fmt: skip
    assert _names(api.runs(config={"lr": {1e-5, 3e-4}})) == ["lr3e-4", "lr1e-5"]
    assert len(api.runs(config={"optim.name": "adamw", "optim.betas": [0.9, 0.95]})) == 6
    assert len(api.runs(config={"use_flash": 1})) == 0  # True is a flag, not the number 1
    assert len(api.runs(config={"use_flash": True})) == 6
    assert len(api.runs(config={"missing": 1})) == 0


def test_bad_filters_are_refused_at_the_call(api: trainboard.Api) -> None:
    with pytest.raises(UsageError, match="status must be one of running, finished"):
        api.runs(status="done")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=r"config\['lr'\] range must be \(low, high\)"):
        api.runs(config={"lr": (1, 2, 3)})
    with pytest.raises(UsageError, match="tags must be a tag or a list of tags, got"):
        api.runs(tags=[""])


def test_runs_are_read_a_page_at_a_time(
    api: trainboard.Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = api.store.list_runs
    limits: list[int | None] = []

    def counting(query: Any = None) -> list[RunRecord]:
        limits.append(query.limit)
        return real(query)

    monkeypatch.setattr(api.store, "list_runs", counting)
    runs = api.runs(archived=None, page_size=3)
    assert limits == []  # nothing read until used
    assert len(runs) == 7 and limits == []  # a count, not a list
    assert runs[0].name == "other-project" and limits == [1]
    assert runs[-1].name == "lr1e-5" and runs[1].name == "old"
    limits.clear()
    assert _names(runs) == [
        "other-project", "old", "llama-a", "lr3e-4", "lr1e-4", "lr3e-5", "lr1e-5"
    ]  # fmt: skip
    assert limits == [3, 3, 3]
    assert _names(runs[1:3]) == ["old", "llama-a"]
    assert _names(runs[-2:]) == ["lr3e-5", "lr1e-5"]
    assert _names(runs[::3]) == ["other-project", "lr3e-4", "lr1e-5"]
    assert _names(runs[5:1:-2]) == ["lr3e-5", "lr3e-4"]
    assert runs[7:] == []
    with pytest.raises(IndexError, match="run index 7 out of range"):
        runs[7]
    filtered = api.runs(config={"batch_size": 32}, page_size=2)
    assert len(filtered) == 5 and filtered[-1].name == "lr1e-5"
    assert [i[-1] for i in filtered.ids] == ["7", "5", "4", "2", "1"]


def test_a_run_exposes_the_same_objects_the_api_gives(api: trainboard.Api) -> None:
    from trainboard.analysis.health import health_for
    from trainboard.analysis.progress import progress_for

    run = api.run("a00000000002")
    record = api.store.get_run("a00000000002")
    assert (run.id, run.name, run.project, run.model, run.status) == (
        "a00000000002", "lr3e-5", "qwen-sft", "qwen", "finished"
    )  # fmt: skip
    assert run.config["optim"] == {"name": "adamw", "betas": [0.9, 0.95]}
    assert run.tags == ["sweep-1", "best-guess"] and run.keys == sorted(record.summary)
    assert run.summary == record.summary and run.summary["train/loss"].count == 200
    assert run.progress == progress_for(api.store, record)  # a finished run's: no clock
    assert run.progress.step == 200 and run.progress.percent == 100.0
    assert run.progress.tokens == 200_000
    assert run.health.to_json() == health_for(api.store, record).to_json()
    body = run.to_json()
    assert body["run"]["id"] == run.id and body["keys"] == run.keys
    assert body["run"]["progress"]["tokens"] == 200_000
    assert body["run"]["eval_key"] == "eval/loss" and body["run"]["best_eval_loss"] is not None


def test_unknown_runs_name_what_was_asked_and_what_exists(api: trainboard.Api) -> None:
    with pytest.raises(RunNotFoundError) as e:
        api.run("no-such-run")
    msg = str(e.value)
    assert msg.startswith("no run with id, id prefix or name 'no-such-run'; the store holds 7")
    assert "a00000000007 (other-project)" in msg
    with pytest.raises(UsageError, match="'a00000' matches 7 runs: a00000000007"):
        api.run("a00000")


def test_run_by_prefix_and_name(api: trainboard.Api) -> None:
    assert api.run("a00000000005").name == "llama-a"
    assert api.run("llama-a").id == "a00000000005"
    assert api.run("old").archived is True  # archived runs are found by name too


def test_best_run_ranks_as_the_compare_page(api: trainboard.Api) -> None:
    runs = api.runs(project="qwen-sft", model="qwen")
    best = api.best_run(project="qwen-sft", model="qwen", metric="eval/loss")
    assert best.name == "lr3e-5"
    assert best == runs.best("eval/loss") == runs.best()  # eval loss decides by default
    assert best.id == compare(api.store, runs.ids).best
    # the goal comes from the metric's role: accuracy is best at its maximum
    acc = api.best_run(project="qwen-sft", metric="eval/accuracy")
    assert acc.name == "llama-a"
    assert acc.id == compare(api.store, api.runs(project="qwen-sft").ids, "eval/accuracy").best
    assert api.best_run(project="qwen-sft").name == "llama-a"  # across models too


def test_best_run_errors_name_the_metric_and_what_was_logged(api: trainboard.Api) -> None:
    logged = r"\(logged: eval/accuracy, eval/loss, tokens, train/loss\)"
    with pytest.raises(UsageError, match=r"metric 'eval/los' is not logged .*" + logged):
        api.best_run(metric="eval/los")
    with pytest.raises(NotFoundError, match="no runs match project='nope', archived=False"):
        api.best_run(project="nope")


def test_history_is_every_stored_point(api: trainboard.Api) -> None:
    run = api.run("lr3e-5")
    df = run.history(["train/loss", "eval/loss"], x="step")
    assert df.index.name == "step" and list(df.columns) == ["train/loss", "eval/loss"]
    train = api.store.read_series(run.id, "train/loss")
    assert df.index.tolist() == train.steps.tolist()
    assert np.array_equal(df["train/loss"].to_numpy(), train.values)
    ev = df["eval/loss"].dropna()
    assert ev.index.tolist() == [50, 100, 150, 200]
    assert np.array_equal(ev.to_numpy(), api.store.read_series(run.id, "eval/loss").values)
    assert list(run.history().columns) == run.keys  # every key by default
    cols = run.history("train/loss", start=10, end=19, format="numpy")
    assert list(cols) == ["step", "train/loss"] and cols["step"].tolist() == list(range(10, 20))


def test_history_downsamples_with_the_store(api: trainboard.Api) -> None:
    run = api.run("lr3e-5")
    cols = run.history("train/loss", max_points=20, format="numpy")
    s = api.store.read_series(run.id, "train/loss", max_points=20)
    assert np.array_equal(cols["step"], s.steps) and np.array_equal(cols["train/loss"], s.values)
    assert len(s) <= 21 and cols["step"][-1] == 200  # the last point is always kept
    by_time = run.history("train/loss", x="wall_time", max_points=20, format="numpy")
    t = api.store.read_series(run.id, "train/loss", max_points=20, x="time")
    assert np.array_equal(by_time["wall_time"], t.times)


def test_history_on_the_token_axis(api: trainboard.Api) -> None:
    df = api.run("lr3e-5").history(["train/loss"], x="tokens")
    assert df.index.name == "tokens" and df.index[0] == 1000.0 and df.index[-1] == 200_000.0


def test_reading_runs_loads_no_server(sweep: str) -> None:
    """A notebook that reads runs, their documents and their history never loads FastAPI (the
    read API builds run documents with analysis.rundoc, like the server does)."""
    code = (
        "import sys, trainboard\n"
        "run = trainboard.Api().run('lr3e-5')\n"
        "doc = run.to_json()\n"
        "run.history(['train/loss'], x='tokens', format='numpy')\n"
        "print(doc['run']['name'], sorted(m for m in sys.modules if m.split('.')[0] in "
        "('fastapi', 'starlette', 'uvicorn') or m.startswith('trainboard.server')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=os.environ
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "lr3e-5 []"


def test_history_errors(api: trainboard.Api) -> None:
    run = api.run("lr3e-5")
    with pytest.raises(
        NotFoundError,
        match=r"run 'a00000000002' \(lr3e-5\) has no metric 'val/loss'; it logged: eval/accuracy, "
        r"eval/loss, tokens, train/loss",
    ):
        run.history(["train/loss", "val/loss"])
    with pytest.raises(UsageError, match="x must be one of step, wall_time, tokens, got 'time'"):
        run.history(x="time")
    with pytest.raises(UsageError, match="format must be 'pandas' or 'numpy', got 'polars'"):
        run.history(format="polars")  # type: ignore[call-overload]


def test_without_pandas_the_error_gives_the_pip_command(sweep: str) -> None:
    code = (
        "import sys; sys.modules['pandas'] = None\n"
        "import trainboard\n"
        "run = trainboard.Api().run('lr3e-5')\n"
        "print(sorted(run.history('train/loss', format='numpy')))\n"
        "try:\n    run.history('train/loss')\n"
        "except trainboard.MissingExtraError as e:\n    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=os.environ
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "['step', 'train/loss']",
        "history(format='pandas') needs pandas, which is not installed: "
        "pip install 'trainboard[pandas]'",
    ]


def test_summary_frame(api: trainboard.Api) -> None:
    runs = api.runs(project="qwen-sft", model="qwen")
    df = runs.summary_frame(columns=["lr", "eval/loss", "optim.name"], value="best")
    assert df.index.name == "id" and df.index.tolist() == runs.ids
    assert list(df.columns) == [
        "name", "project", "model", "status", "created_at", "lr", "eval/loss", "optim.name"
    ]  # fmt: skip
    row = df.loc["a00000000002"]
    assert row["lr"] == 3e-5 and row["optim.name"] == "adamw"
    assert row["eval/loss"] == api.store.get_run("a00000000002").summary["eval/loss"].min
    last = runs.summary_frame(columns=["eval/accuracy"])  # "last" by default
    assert last.loc["a00000000001", "eval/accuracy"] == pytest.approx(0.5 / 1.3 + 0.02)
    every = runs.summary_frame()
    assert "config.batch_size" in every.columns and "summary.train/loss" in every.columns
    msg = r"no run has a config value or metric 'lrr' \(config: lr, batch_size, optim.name"
    with pytest.raises(NotFoundError, match=msg):
        runs.summary_frame(columns=["lrr"])


def test_compare_equals_the_cli_json(api: trainboard.Api) -> None:
    ids = [r.id for r in api.runs(project="qwen-sft")[:5]]
    got = api.compare(ids, metric="eval/loss")
    result = CliRunner().invoke(app, ["compare", *ids, "--metric", "eval/loss", "--json"])
    assert result.exit_code == 0, result.output
    assert got == json.loads(result.stdout)
    assert got["best"] == "a00000000005" and got["metric"] == "eval/loss"
    assert api.compare(api.runs(project="qwen-sft")[:5]) == api.compare(ids)  # StoredRuns too
    names = api.compare(["lr3e-5", "lr1e-5"])
    assert [r["name"] for r in names["runs"]] == ["lr3e-5", "lr1e-5"]


def test_texts_histograms_and_artifacts(sweep: str, tmp_path: Path) -> None:
    with open_store(sweep) as s:
        s.write_texts("a00000000001", [TextRecord("samples", 5, T0, "def f():")])
        s.write_histograms(
            "a00000000001",
            [HistogramRecord("w", 5, T0, [0.0, 1.0, 2.0], [3.0, 4.0], 0.0, 2.0, 7, 8.0)],
        )
        s.add_artifact("a00000000001", ArtifactRecord("ckpt", "checkpoint", 5, "a/ckpt.pt", 10, T0))
    with trainboard.Api() as api:
        run = api.run("a00000000001")
        assert [(t.key, t.step, t.text) for t in run.texts()] == [("samples", 5, "def f():")]
        assert run.texts("other") == []
        (h,) = run.histograms("w")
        assert (h.edges, h.counts, h.count) == ([0.0, 1.0, 2.0], [3.0, 4.0], 7)
        (a,) = run.artifacts()
        assert (a.name, a.kind, a.step) == ("ckpt", "checkpoint", 5)
        assert run.artifact_path(a) == trainboard.settings.artifacts_dir(sweep) / "a" / "ckpt.pt"


def test_nan_points_and_summaries_come_back(sweep: str) -> None:
    with open_store(sweep) as s:
        s.write_points(
            "a00000000001",
            {"weird": PointBatch.of([1, 2, 3], [T0, T0, T0], [math.nan, 1.0, math.inf])},
        )
    with trainboard.Api() as api:
        run = api.run("a00000000001")
        cols = run.history("weird", format="numpy")
        assert math.isnan(cols["weird"][0]) and cols["weird"][2] == math.inf
        assert run.to_json()["run"]["summary"]["weird"]["last"] == "Infinity"


def test_stored_run_is_a_value(api: trainboard.Api) -> None:
    a, b = api.run("lr3e-5"), api.run("a00000000002")
    assert isinstance(a, StoredRun) and a == b and len({a, b}) == 1
    assert repr(a) == "<StoredRun a00000000002 'lr3e-5' project='qwen-sft' finished>"


def test_runs_facets_count_the_runs_they_list(api: trainboard.Api) -> None:
    from collections import Counter

    every = api.runs(archived=None).facets()
    assert every.project == {"qwen-sft": len(SWEEP) - 1, "other": 1}
    assert every.total == len(SWEEP) == len(api.runs(archived=None))
    by_config = {"lr": (None, 5e-4)}
    for runs in (api.runs(), api.runs(project="qwen-sft"), api.runs(config=by_config)):
        listed = list(runs)
        f = runs.facets()
        assert f.total == len(listed)
        assert f.model == dict(Counter(r.model for r in listed))
        assert f.status == dict(Counter(r.status for r in listed))
