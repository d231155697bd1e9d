"""The progress line in the training terminal, seen as a person sees it: a real child process
on a pseudo-terminal, its bytes played through a tiny terminal model."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import textwrap
from pathlib import Path

import pytest

from trainboard.analysis.progress import Progress
from trainboard.errors import UsageError
from trainboard.sdk.console import bar, progress_text, wants_progress

SCRIPT = textwrap.dedent(
    """
    import logging, sys, time
    import trainboard
    handler = logging.StreamHandler()  # made before init(): holds the real stderr
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    log = logging.getLogger("train")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    progress = {"none": None, "on": True, "off": False}[sys.argv[2]]
    run = trainboard.init(project="p", name="pty", total_steps=40, store=sys.argv[1],
                          progress=progress)
    for i in range(40):
        run.log({"train/loss": 3 - i * 0.02, "tokens": 1024.0 * (i + 1)}, step=i + 1)
        if i % 10 == 0:
            print(f"hello from print {i}")
            log.info("hello from logging %d", i)
        time.sleep(0.05)
    run.finish()
    print("done")
    """
)


def _env() -> dict[str, str]:
    env = dict(os.environ, TRAINBOARD_SYSTEM_INTERVAL="0", TRAINBOARD_PROGRESS_INTERVAL="0.3")
    for k in ("TRAINBOARD_URL", "TRAINBOARD_DB", "COLUMNS", "LINES"):
        env.pop(k, None)
    return env


def screen(raw: str) -> list[str]:
    """The lines a terminal shows after `raw`: \\r returns to column 0, ESC[2K erases the
    line, \\n ends it; other escape sequences (cursor show/hide) draw nothing."""
    lines: list[str] = []
    cur: list[str] = []
    col = 0
    for token in re.findall(r"\x1b\[[0-9;?]*[A-Za-z]|\r|\n|[^\x1b\r\n]", raw):
        if token == "\r":
            col = 0
        elif token == "\n":
            lines.append("".join(cur).rstrip())
            cur, col = [], 0
        elif token == "\x1b[2K":
            cur = [" "] * len(cur)
        elif token.startswith("\x1b"):
            continue
        else:
            if col < len(cur):
                cur[col] = token
            else:
                cur.append(token)
            col += 1
    if "".join(cur).strip():
        lines.append("".join(cur).rstrip())
    return lines


def run_on_pty(script: Path, db: str, progress: str) -> str:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 140, 0, 0))
    child = subprocess.Popen([sys.executable, str(script), db, progress], stdin=slave,
                             stdout=slave, stderr=slave, env=_env(), close_fds=True)  # fmt: skip
    os.close(slave)
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert child.wait(120) == 0
    return b"".join(chunks).decode()


@pytest.fixture
def script(tmp_path: Path) -> Path:
    p = tmp_path / "train.py"
    p.write_text(SCRIPT)
    return p


def test_live_line_on_a_terminal_with_print_and_logging_above_it(
    script: Path, sqlite_url: str
) -> None:
    raw = run_on_pty(script, sqlite_url, "none")  # the default: on, since stderr is a terminal
    assert "\x1b[?25l" in raw  # the live display hid the cursor while it drew
    shown = screen(raw)
    for i in (0, 10, 20, 30):  # every message whole, on its own line
        assert f"hello from print {i}" in shown
        assert f"INFO hello from logging {i}" in shown
    assert not [ln for ln in shown if "hello" in ln and "━" in ln]  # never torn by the bar
    progress = [ln for ln in shown if ln.startswith("pty ")]
    assert re.fullmatch(
        r"pty ━{20} 40/40 100\.0% \d+s<0s [\d.]+ steps/s [\d,.]+ tok/s loss 2\.2200 finished",
        progress[-1],
    ), progress[-1]
    assert shown[-1] == "done"


def test_off_on_a_terminal_when_asked(script: Path, sqlite_url: str) -> None:
    raw = run_on_pty(script, sqlite_url, "off")
    assert "━" not in raw and "\x1b[?25l" not in raw
    assert "hello from print 30" in screen(raw)


def test_not_a_terminal_off_by_default_plain_lines_when_forced(
    script: Path, sqlite_url: str
) -> None:
    quiet = subprocess.run([sys.executable, str(script), sqlite_url, "none"], env=_env(),
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    assert quiet.returncode == 0
    assert "━" not in quiet.stderr
    assert [ln for ln in quiet.stderr.splitlines() if "pty" in ln] == [
        ln for ln in quiet.stderr.splitlines() if ln.startswith("trainboard: run pty (id ")
    ]  # only init()'s line names the run: no progress lines
    forced = subprocess.run([sys.executable, str(script), sqlite_url, "on"], env=_env(),
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert forced.returncode == 0
    lines = [ln for ln in forced.stderr.splitlines() if ln.startswith("pty ")]
    assert len(lines) >= 2 and "\x1b" not in forced.stderr and "━" not in forced.stderr
    assert re.fullmatch(r"pty 40/40 100\.0% \d+s<0s .* loss 2\.2200 finished", lines[-1])
    assert "INFO hello from logging 10" in forced.stderr


def _progress(**kw: object) -> Progress:
    base: dict[str, object] = dict(
        step=1234, total_steps=2000, percent=61.7, elapsed_s=62.0, eta_s=40.0, steps_per_s=19.8,
        tokens_per_s=81200.0, tokens=5e6, batches=1234, loss=2.31412, loss_key="train/loss",
        grad_norm=None, epoch=None, status="running",
    )  # fmt: skip
    base.update(kw)
    return Progress(**base)  # type: ignore[arg-type]


def test_the_line_reads_like_the_dashboard() -> None:
    assert progress_text(_progress(), "lr3e-5") == (
        "lr3e-5 ━━━━━━━━━━━━         1,234/2,000 61.7% 1m 2s<40s 19.8 steps/s 81,200 tok/s "
        "loss 2.3141"
    )
    unknown = _progress(total_steps=None, percent=None, eta_s=None, steps_per_s=None,
                        tokens_per_s=None, loss=None)  # fmt: skip
    assert progress_text(unknown, "x", with_bar=False) == "x step 1,234 1m 2s"
    assert bar(0.0, 4) == "    " and bar(1.0, 4) == "━━━━" and bar(0.5, 4) == "━━  "
    assert bar(None, 4) == "╺━━━"


def test_progress_argument_checked() -> None:
    with pytest.raises(UsageError, match="progress must be True, False or None, got 'yes'"):
        wants_progress("yes")  # type: ignore[arg-type]
