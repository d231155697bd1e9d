"""Fixtures for the CLI tests: a CliRunner over the real app on the `tb_home` SQLite store,
a subprocess runner for `python -m trainboard`, and a run with known points."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from cli_support import T0, Invoke, make_run
from click.testing import Result
from typer.testing import CliRunner

from trainboard.cli import app
from trainboard.store import open_store
from trainboard.store.base import Store
from trainboard.store.records import PointBatch, RunRecord


@pytest.fixture
def invoke(tb_home: str) -> Invoke:
    """Run the CLI in-process: invoke("ls", "--json", input="y\\n")."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return run


@pytest.fixture
def cli_store(tb_home: str) -> Iterator[Store]:
    """The store the CLI sees (TRAINBOARD_HOME's SQLite file)."""
    s = open_store()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def known_run(cli_store: Store) -> RunRecord:
    """train/loss at steps 0,1,2 = 2.5, NaN, 2.0; lr at 0,2 = 0.1, 0.05; val/loss at 2 = inf."""
    run = make_run(cli_store, "aaaa00000001", "known", config={"lr": 0.1, "max_grad_norm": 1.0})
    cli_store.write_points(
        run.id,
        {
            "train/loss": PointBatch.of([0, 1, 2], [T0, T0 + 1, T0 + 2], [2.5, math.nan, 2.0]),
            "lr": PointBatch.of([0, 2], [T0, T0 + 2], [0.1, 0.05]),
            "val/loss": PointBatch.of([2], [T0 + 2], [math.inf]),
        },
    )
    return cli_store.get_run(run.id)
