"""Printed names are safe (#23): control characters a training script put in a run's name,
project, tags, notes, config, metric keys, summary, texts or alerts never reach the terminal
as they are; every command prints them as visible escapes. Real SDK run in a child process,
real `python -m trainboard` commands reading it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from cli_support import python_m

from trainboard.cli._safe import escape_controls, escape_text

TITLE = "\x1b]0;pwned\x07"  # retitles the terminal window
CLIP = "\x1b]52;c;ZXZpbA==\x07"  # writes the clipboard
CLEAR = "\x1b[2J"  # clears the screen
CSI8 = "\x9b2J"  # the 8-bit CSI, same as ESC [
RLO = "\u202e"  # right-to-left override


def _make_run(home: str) -> None:
    script = textwrap.dedent(
        f"""
        import trainboard
        run = trainboard.init(
            project="p{CLEAR}", name="n{TITLE}x{CSI8}", model="m{RLO}",
            tags=["t{CLIP}"], notes="note{CLEAR}",
            config={{"k{TITLE}": "v{CLIP}", "lr": 0.1}},
        )
        run.log({{"loss{CLEAR}": 1.0, "acc": 0.5}}, step=1)
        run.log({{"loss{CLEAR}": 0.5, "acc": 0.7}}, step=2)
        run.log_text("sample{TITLE}", "text{CLIP}", step=2)
        run.summary["best{TITLE}"] = "s{CLEAR}"
        run.alert("title{TITLE}", "body{CLEAR}")
        run.finish()
        print(run.id)
        """
    )
    env_home = {"TRAINBOARD_HOME": home, "TRAINBOARD_SYSTEM_INTERVAL": "0"}
    import os

    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=dict(os.environ, **env_home),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def _assert_safe(out: str) -> None:
    for raw in ("\x1b", "\x07", "\x9b", RLO):
        assert raw not in out, (raw, out)


def test_every_command_escapes_control_characters(tb_home: str) -> None:
    _make_run(tb_home)
    ls = python_m("ls", env_home=tb_home)
    assert ls.returncode == 0, ls.stderr
    _assert_safe(ls.stdout)
    assert "n\\x1b]0;pwned" in ls.stdout  # (rich drops BEL on its own)
    assert "\\x9b2J" in ls.stdout

    show = python_m("show", "n\x1b]0;pwned\x07x\x9b2J", env_home=tb_home)
    assert show.returncode == 0, show.stderr
    _assert_safe(show.stdout)
    for shown in (
        "note\\x1b[2J",  # notes
        "k\\x1b]0;pwned",  # a config key
        "v\\x1b]52;c;ZXZpbA==",  # a config value
        "loss\\x1b[2J",  # a metric key
        "best\\x1b]0;pwned",  # a summary key
        "title\\x1b]0;pwned",  # an alert
        "body\\x1b[2J",
        "m\\u202e",  # the model, in the panel's title
    ):
        assert shown in show.stdout, (shown, show.stdout)

    js = python_m("show", "--json", "n\x1b]0;pwned\x07x\x9b2J", env_home=tb_home)
    _assert_safe(js.stdout)
    doc = json.loads(js.stdout)  # escaped as JSON, so it reads back as written
    assert doc["run"]["name"] == "n\x1b]0;pwned\x07x\x9b2J"
    assert doc["run"]["model"] == "m\u202e"

    run_id = json.loads(python_m("ls", "--json", env_home=tb_home).stdout)[0]["id"]
    for args in (
        ("compare", run_id),
        *(("compare", run_id, "-f", f) for f in ("md", "csv", "json")),
    ):
        out = python_m(*args, env_home=tb_home)
        assert out.returncode == 0, out.stderr
        _assert_safe(out.stdout)
    archived = python_m("archive", run_id, env_home=tb_home)
    _assert_safe(archived.stdout)
    assert "n\\x1b]0;pwned" in archived.stdout
    missing = python_m("show", "no\x1b[2Jsuch", env_home=tb_home)
    assert missing.returncode == 1
    _assert_safe(missing.stderr)


def test_escaping_keeps_newlines_tabs_and_styles() -> None:
    from rich.text import Text

    assert escape_controls("a\tb\nc\x1bd\x7f") == "a\tb\nc\\x1bd\\x7f"
    styled = Text.assemble(("ab", "bold"), ("\x1b", "red"), ("cd", "dim"))
    out = escape_text(styled)
    assert out.plain == "ab\\x1bcd"
    assert [(s.start, s.end, s.style) for s in out.spans] == [
        (0, 2, "bold"),
        (2, 6, "red"),
        (6, 8, "dim"),
    ]
