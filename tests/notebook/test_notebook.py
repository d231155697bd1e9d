"""A real notebook executed by a real Jupyter kernel (nbclient + ipykernel, the venv's
Python): a run shows itself below its cell and ends in its final state, show() draws stored
runs and their comparison, and %trainboard serves and embeds the dashboard."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

TRAIN = """\
import time
import trainboard
run = trainboard.init(project="nb", name="nb-run", total_steps=60, config={"lr": 1e-3})
evals = {20: 1.5, 40: 1.2, 60: 1.3}
for step in range(1, 61):
    run.log({"train/loss": 2.0 * 0.98 ** step, "tokens": step * 1024}, step=step)
    if step in evals:
        run.log({"eval/loss": evals[step]}, step=step)
    time.sleep(0.04)
run.finish()
"""

SECOND = """\
other = trainboard.init(project="nb", name="nb-other", total_steps=10, progress=False)
for step in range(1, 11):
    other.log({"train/loss": 3.0 - 0.05 * step, "eval/loss": 2.0}, step=step)
other.finish()
"""

SHOW = "import trainboard.notebook\ntrainboard.notebook.show(['nb-run', other])"

MAGIC = """\
%load_ext trainboard.notebook
%trainboard --height 480
"""

FETCH = """\
import urllib.request, json
from trainboard.notebook import start_dashboard
url = start_dashboard()  # the server %trainboard started
with urllib.request.urlopen(url + "api/v1/runs") as r:
    print(r.status, sorted(x["name"] for x in json.load(r)["runs"]))
"""


@pytest.fixture(autouse=True)
def venv_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    """The "python3" kernel is this venv's (ipykernel installs its spec under sys.prefix, and
    jupyter_client runs it with this interpreter); JUPYTER_PATH puts that spec first, so a
    kernel a person installed in ~/.local cannot stand in for it."""
    monkeypatch.setenv("JUPYTER_PATH", os.path.join(sys.prefix, "share", "jupyter"))


def _html(cell: dict) -> list[str]:  # type: ignore[type-arg]
    return [o["data"]["text/html"] for o in cell["outputs"] if "text/html" in o.get("data", {})]


def test_a_notebook_shows_runs_live_show_and_the_dashboard(tb_home: str, tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in (TRAIN, SECOND, SHOW, MAGIC, FETCH)]
    client = nbclient.NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    saved = tmp_path / "trained.ipynb"
    nbformat.write(nb, saved)
    nb = nbformat.read(saved, as_version=4)  # what a person sees on reopening it

    # the training cell: init()'s one line (the run's id and where to see it), then one
    # display, updated in place, left in the run's final state
    [card] = _html(nb.cells[0])
    line, _display = nb.cells[0]["outputs"]
    assert line["name"] == "stderr" and line["text"].count("\n") == 1
    assert line["text"].startswith("trainboard: run nb-run (id ")
    assert 'data-status="finished"' in card and "<b>nb-run</b>" in card
    assert "step 60 / 60" in card and "100.0%" in card and "ETA 0s" in card
    stats = re.search(r'class="trainboard-stats"[^>]*>(.*?)</div>', card)
    assert stats is not None, card
    assert "steps/s" in stats.group(1) and "tok/s" in stats.group(1), stats.group(1)
    assert "0.06M tokens" in stats.group(1) and "train/loss 0.5" in stats.group(1), stats.group(1)
    assert 'class="trainboard-curves"' in card and "<polyline" in card
    assert 'class="trainboard-best"' in card and "best eval 1.2000 @ step 40" in card
    assert "<script" not in card  # static: nothing needs a kernel to draw it again

    # show(): the comparison, then each run's card and curves
    [shown] = _html(nb.cells[2])
    assert shown.index("trainboard-compare") < shown.index('data-run="')
    assert shown.count('class="trainboard-card"') == 2
    assert re.search(r"🏆 nb-run</td>", shown), shown[:800]

    # %trainboard: an iframe on loopback, serving the store the runs are in
    [frame] = _html(nb.cells[3])
    url = re.search(r'<iframe src="(http://127\.0\.0\.1:\d+/)"', frame)
    assert url is not None and 'height="480"' in frame
    out = "".join(o.get("text", "") for o in nb.cells[4]["outputs"])
    assert out.strip() == "200 ['nb-other', 'nb-run']"


def test_example_notebook_runs(tb_home: str, tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "notebook.ipynb"
    nb = nbformat.read(example, as_version=4)
    nb.cells = [c for c in nb.cells if not c.source.startswith("%load_ext")]  # no server here
    nbclient.NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    [card] = _html(nb.cells[1])
    assert 'data-status="finished"' in card and "step 300 / 300" in card
    assert "best eval" in card
    [shown] = _html(nb.cells[2])
    assert "<b>notebook-demo</b>" in shown
