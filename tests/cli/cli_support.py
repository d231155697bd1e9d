"""Helpers shared by the CLI tests (a plain module: importing `conftest` by name picks
whichever conftest.py pytest loaded first)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

from click.testing import Result

from trainboard.store.base import Store
from trainboard.store.records import RunRecord

T0 = 1_700_000_000.0

Invoke = Callable[..., Result]


def make_run(store: Store, run_id: str, name: str, **kw: object) -> RunRecord:
    fields: dict[str, object] = {
        "id": run_id, "project": "proj", "name": name, "model": "tiny", "status": "finished",
        "created_at": T0, "finished_at": T0 + 3725.0, "total_steps": 2,
    }  # fmt: skip
    fields.update(kw)
    return store.create_run(RunRecord(**fields))  # type: ignore[arg-type]


def python_m(*args: str, env_home: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python -m trainboard ARGS` in a real child process on the tb_home store."""
    env = dict(os.environ, TRAINBOARD_HOME=env_home, TRAINBOARD_SYSTEM_INTERVAL="0")
    env.pop("TRAINBOARD_DB", None)
    env.pop("TRAINBOARD_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "trainboard", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
