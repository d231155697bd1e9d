"""Run colours: one palette file for Python and the web UI, and one rule that gives the runs of
a view distinct colours while each keeps its id's first choice where it can."""

from __future__ import annotations

import json
import random
from pathlib import Path

from trainboard.analysis import colors
from trainboard.analysis.colors import PALETTE, assign_colors, fnv1a, run_color

ROOT = Path(__file__).parents[2]
UI_COLORS = ROOT / "ui" / "src" / "lib" / "colors.ts"


def test_hash_matches_the_typescript_function() -> None:
    # values printed by the TypeScript hash() in node
    assert fnv1a("aaaa00000001") == 2963558406
    assert fnv1a("0123456789ab") == 759979345
    assert fnv1a("run-1") == 1016944636
    assert fnv1a("é€x") == 3306760128  # UTF-16 code units, as charCodeAt reads them
    assert run_color("aaaa00000001") == PALETTE[2963558406 % 20]
    assert run_color("ff00ff00ff00") == PALETTE[1]


def test_one_palette_file_for_python_and_the_ui() -> None:
    data = json.loads(colors.PALETTE_FILE.read_text())
    assert tuple(data["runs"]) == PALETTE and len(set(PALETTE)) == 20
    assert data["status"] == colors.STATUS_COLOURS
    # the UI reads the same file and keeps no list of its own
    ts = UI_COLORS.read_text()
    assert 'import palette from "../../../src/trainboard/analysis/palette.json";' in ts
    assert "#" not in ts.split("palette.json")[1]


def test_metric_colours_keep_splits_apart_and_the_ui_keeps_no_word_list() -> None:
    """The split rule lives here; the UI draws the colours the server sends (the run's
    `colors`, a histogram's `color`) and has no copy of the split words."""
    got = colors.metric_colors(["train/loss", "eval/loss", "val/acc", "test/loss", "lr"])
    assert got["train/loss"] == PALETTE[0] and got["eval/loss"] == got["val/acc"] == PALETTE[1]
    assert got["test/loss"] == PALETTE[2] and got["lr"] == PALETTE[fnv1a("lr") % 20]
    assert colors.metric_color("Train/loss") == PALETTE[0]  # the split word in any case
    assert colors.metric_color("train_loss") == PALETTE[fnv1a("train_loss") % 20]  # no "/"
    ui = ROOT / "ui" / "src"
    sources = [p.read_text() for p in ui.rglob("*.ts*") if p.name != "schema.d.ts"]
    assert not any("metricColor" in t or "validation:" in t for t in sources)


def test_notebook_uses_the_same_status_colours() -> None:
    from trainboard.notebook import render

    assert render.STATUS_COLOURS is colors.STATUS_COLOURS


def test_twenty_runs_get_twenty_colours() -> None:
    rng = random.Random(7)
    for _ in range(200):
        ids = [f"{rng.getrandbits(48):012x}" for _ in range(20)]
        got = assign_colors(ids)
        assert len(set(got.values())) == 20, ids


def test_a_run_keeps_its_first_choice_unless_taken() -> None:
    # run00000000, run0000001c and run00000022 hash to the same colour
    a, b, c = "run00000000", "run0000001c", "run00000022"
    assert run_color(a) == run_color(b) == run_color(c)
    got = assign_colors([c, b, a])
    assert got[a] == run_color(a)  # first in sorted order keeps its choice
    i = PALETTE.index(run_color(a))
    assert got[b] == PALETTE[(i + 1) % 20] and got[c] == PALETTE[(i + 2) % 20]
    # alone, or beside a run that does not collide, a run has its first choice
    assert assign_colors([c]) == {c: run_color(c)}
    # the order runs are listed in does not matter
    assert assign_colors([a, b, c]) == got


def test_past_twenty_runs_colours_repeat() -> None:
    ids = [f"r{i:03d}" for i in range(30)]
    got = assign_colors(ids)
    first = sorted(ids)[:20]
    assert len({got[i] for i in first}) == 20
    assert set(got.values()) == set(PALETTE)
