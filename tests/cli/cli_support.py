"""Helpers shared by the CLI tests (a plain module: importing `conftest` by name picks
whichever conftest.py pytest loaded first)."""

from __future__ import annotations

import os
import signal
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
    """`python -m trainboard ARGS` in a real child process on the tb_home store.

    The child leads its own process group, so whatever it starts (the demo's dashboard) is found
    afterwards: a command that leaves a process behind fails the test, and on a timeout the
    whole group is killed, never only the child."""
    env = dict(os.environ, TRAINBOARD_HOME=env_home, TRAINBOARD_SYSTEM_INTERVAL="0")
    env.pop("TRAINBOARD_DB", None)
    env.pop("TRAINBOARD_URL", None)
    cmd = [sys.executable, "-m", "trainboard", *args]
    with subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    ) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except BaseException:
            kill_group(proc.pid)
            raise
    left = kill_group(proc.pid)
    assert not left, f"`trainboard {' '.join(args)}` left a process behind\n{out}\n{err}"
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def kill_group(pgid: int) -> bool:
    """SIGKILL every process left in the group `pgid`; True when there was one."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True
