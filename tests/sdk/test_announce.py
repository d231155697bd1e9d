"""init()'s one line: the run's name and id and where to see it, on stderr, terminal or not."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap

import pytest

from trainboard.sdk.announce import announce, announcement

SCRIPT = textwrap.dedent(
    """
    import sys
    import trainboard
    run = trainboard.init(project="nanogpt", name="bright-fox", store=sys.argv[1])
    run.log({"train/loss": 1.0})
    run.finish()
    print(run.id)
    """
)


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, TRAINBOARD_SYSTEM_INTERVAL="0", **extra)
    for k in ("TRAINBOARD_URL", "TRAINBOARD_DB", "TRAINBOARD_QUIET"):
        if k not in extra:
            env.pop(k, None)
    return env


def test_init_prints_one_line_off_a_terminal(sqlite_url: str) -> None:
    r = subprocess.run([sys.executable, "-c", SCRIPT, sqlite_url], env=_env(),
                       capture_output=True, text=True, timeout=120)  # fmt: skip
    assert r.returncode == 0, r.stderr
    rid = r.stdout.strip()
    assert r.stderr.splitlines() == [
        f"trainboard: run bright-fox (id {rid}) in project nanogpt; see it with "
        f"`TRAINBOARD_DB={sqlite_url} trainboard ui`, then http://127.0.0.1:8765/runs/{rid}"
    ]


@pytest.mark.parametrize("value", ["1", "true"])
def test_quiet_setting_silences_it(sqlite_url: str, value: str) -> None:
    r = subprocess.run([sys.executable, "-c", SCRIPT, sqlite_url],
                       env=_env(TRAINBOARD_QUIET=value),
                       capture_output=True, text=True, timeout=120)  # fmt: skip
    assert r.returncode == 0 and r.stderr == ""


def test_default_store_server_and_password(tb_home: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from trainboard import settings

    default = settings.store_url()
    assert announcement("a", "x1", "p", default, "") == (
        "trainboard: run a (id x1) in project p; see it with `trainboard ui`, then "
        "http://127.0.0.1:8765/runs/x1"
    )
    assert announcement("a", "x1", "p", default, "https://tb.example.org/", resumed=True) == (
        "trainboard: resumed run a (id x1) in project p; see it at https://tb.example.org/runs/x1"
    )
    pg = announcement("a", "x1", "p", "postgresql://me:s3cret@db:5432/tb", "")
    assert (
        "s3cret" not in pg and "TRAINBOARD_DB='postgresql://me:***@db:5432/tb' trainboard ui" in pg
    )
    out = io.StringIO()
    monkeypatch.setenv("TRAINBOARD_QUIET", "1")
    announce("a", "x1", "p", default, "", stream=out)
    assert out.getvalue() == ""
    monkeypatch.setenv("TRAINBOARD_QUIET", "0")
    announce("a", "x1", "p", default, "", stream=out)
    assert out.getvalue().count("\n") == 1
