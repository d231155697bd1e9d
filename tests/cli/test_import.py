"""`trainboard import jsonl`: a good file round-trips; a corrupt line stores nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cli_support import Invoke

from trainboard.errors import ImportFormatError
from trainboard.integrations.jsonl import parse_jsonl
from trainboard.store.base import Store
from trainboard.store.queries import RunQuery

GOOD = [
    {"step": 10, "loss": 2.5, "grad_norm": 0.9, "seconds": 5.0, "tokens": 10240, "model": "gpt2"},
    {"step": 20, "loss": 2.1, "grad_norm": 0.7, "seconds": 10.0, "tokens": 20480, "model": "gpt2",
     "sample": "def f(x):"},
    {"step": 30, "loss": 1.9, "grad_norm": 0.5, "seconds": 15.0, "tokens": 30720,
     "model": "gpt2", "sample": "class A:", "eval_loss": 2.2},
]  # fmt: skip


def _write(path: Path, lines: list[str], mtime: float = 1_700_000_100.0) -> Path:
    path.write_text("\n".join(lines) + "\n")
    os.utime(path, (mtime, mtime))
    return path


def test_import_good_file(invoke: Invoke, cli_store: Store, tmp_path: Path) -> None:
    rows = GOOD
    (tmp_path / "exp1").mkdir()
    f = _write(tmp_path / "exp1" / "train_log.jsonl", [json.dumps(r) for r in rows] + [""])
    r = invoke("import", "jsonl", str(f), "--project", "old", "--model", "gpt2-small")
    assert r.exit_code == 0, r.output
    (run,) = cli_store.list_runs(RunQuery(archived=None))
    assert run.name == "exp1"  # a file called train_log is named for its folder
    assert r.stdout == (
        f"imported exp1 ({run.id}) into project old: 10 points in 4 metrics, 2 texts, "
        "last step 30\n"
    )
    assert (run.project, run.model, run.status, run.total_steps) == (
        "old",
        "gpt2-small",
        "finished",
        30,
    )
    assert run.config == {"model": "gpt2"}  # the same on every line: config
    assert sorted(run.summary) == ["eval_loss", "grad_norm", "loss", "tokens"]
    loss = cli_store.read_series(run.id, "loss")
    assert loss.steps.tolist() == [10, 20, 30] and loss.values.tolist() == [2.5, 2.1, 1.9]
    # seconds → wall times ending at the file's mtime (1_700_000_100 - 15 + seconds)
    assert loss.times.tolist() == [1_700_000_090.0, 1_700_000_095.0, 1_700_000_100.0]
    assert run.created_at == 1_700_000_085.0 and run.finished_at == 1_700_000_100.0
    texts = cli_store.read_texts(run.id)
    assert [(t.key, t.step, t.text) for t in texts] == [
        ("sample", 20, "def f(x):"), ("sample", 30, "class A:")
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"step": 1, "loss": 2.0}', '{"step": 2, "loss": 1.9'], ":2: not valid JSON"),
        (['{"step": 1, "loss": 2.0}', "[1, 2]"], ":2: expected a JSON object, got list"),
        (['{"step": -1, "loss": 2.0}'], ":1: 'step' must be an integer >= 0, got -1"),
        (['{"step": 1, "seconds": "5s"}'], ":1: 'seconds' must be a number >= 0"),
        (['{"step": 1, "loss": 2.0}', '{"loss": 1.0}'], ":2: no 'step' (other lines have one)"),
        (
            ['{"step": 1, "loss": 2.0}', '{"step": 2, "loss": "low"}'],
            ":2: 'loss' must be a number like on earlier lines, got str",
        ),  # fmt: skip
    ],
)
def test_corrupt_line_stores_nothing(
    invoke: Invoke, cli_store: Store, tmp_path: Path, lines: list[str], message: str
) -> None:
    f = _write(tmp_path / "bad.jsonl", lines)
    r = invoke("import", "jsonl", str(f))
    assert r.exit_code == 2
    assert r.stderr.startswith(f"error: {f}{message}")
    assert "Traceback" not in r.output
    assert cli_store.list_runs(RunQuery(archived=None)) == []


def test_missing_and_empty_files(invoke: Invoke, tmp_path: Path) -> None:
    r = invoke("import", "jsonl", str(tmp_path / "nope.jsonl"))
    assert (
        r.exit_code == 2 and r.stderr.strip() == f"error: {tmp_path / 'nope.jsonl'}: no such file"
    )
    with pytest.raises(ImportFormatError, match="no JSON lines to import"):
        parse_jsonl(_write(tmp_path / "empty.jsonl", [""]))


def test_lines_without_steps_are_numbered(tmp_path: Path) -> None:
    log = parse_jsonl(_write(tmp_path / "l.jsonl", ['{"loss": 3}', '{"loss": 2, "lr": 0.1}']))
    assert log.steps == {"loss": [0, 1], "lr": [1]} and log.max_seconds is None
