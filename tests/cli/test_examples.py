"""The files in examples/ keep working: the quick start logs a run, the sample
train_log.jsonl imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import Invoke, python_m

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.slow  # the example script in a child process
def test_quickstart_logs_a_run(tb_home: str) -> None:
    env = dict(os.environ, TRAINBOARD_HOME=tb_home, TRAINBOARD_SYSTEM_INTERVAL="0")
    r = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(python_m("show", "quickstart", "--json", env_home=tb_home).stdout)
    assert doc["run"]["status"] == "finished" and doc["run"]["last_step"] == 300
    assert doc["run"]["progress"]["tokens"] == 300 * 8 * 512
    assert doc["keys"] == ["epoch", "eval/loss", "grad_norm", "lr", "tokens", "train/loss"]


def test_sample_jsonl_imports(invoke: Invoke) -> None:
    r = invoke("import", "jsonl", str(EXAMPLES / "train_log.jsonl"), "--name", "sample")
    assert r.exit_code == 0, r.output
    doc = json.loads(invoke("show", "sample", "--json").stdout)
    assert doc["run"]["last_step"] == 200 and doc["run"]["total_steps"] == 200
    assert doc["keys"] == ["eval_loss", "grad_norm", "loss", "lr", "tokens"]
    assert doc["health"]["verdict"] == "healthy"


def _notebook_lines(tb_home: str, tmp_path: Path) -> list[str]:
    """examples/read_runs.ipynb, cell by cell in a real interpreter (matplotlib's Agg backend),
    on the newest run of project "demo" in `tb_home`: what it printed, its figure checked."""
    nb = json.loads((EXAMPLES / "read_runs.ipynb").read_text())
    assert nb["nbformat"] == 4
    cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    script = tmp_path / "notebook.py"
    script.write_text("\n\n".join(cells) + "\nfig.savefig('loss.png')\n")
    env = dict(os.environ, TRAINBOARD_HOME=tb_home, MPLBACKEND="Agg")
    env.pop("TRAINBOARD_DB", None)
    env.pop("TRAINBOARD_URL", None)
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, cwd=tmp_path,
        timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("1 demo run(s); reading ") and lines[0].endswith(": finished")
    assert lines[1].startswith("step 10 / 10, ")
    assert "10 rows, columns ['train/loss', 'val/loss', 'lr']" in lines
    assert any(line.startswith("best val/loss ") for line in lines)
    assert (tmp_path / "loss.png").stat().st_size > 10_000
    return lines


def test_read_runs_notebook_reads_and_plots_a_run_shaped_like_the_demos(
    tb_home: str, tmp_path: Path
) -> None:
    """The notebook on a run logged here with the demo's project, keys and schedule (the
    fast tier's check; the next test runs it on the demo's own run, a model trained)."""
    import trainboard

    run = trainboard.init(project="demo", name="like-demo", total_steps=10,
                          config={"lr": 3e-3, "batch_size": 16})  # fmt: skip
    for step in range(1, 11):
        run.log({"train/loss": 3.0 / step, "lr": 3e-3 * min(1.0, step / 3), "tokens": step * 1024},
                step=step)  # fmt: skip
        if step % 5 == 0:
            run.log({"val/loss": 3.2 / step}, step=step)
            run.log_text("samples", f"def f{step}(): pass", step=step)
    run.finish()
    lines = _notebook_lines(tb_home, tmp_path)
    assert "best val/loss 0.3200 at step 10" in lines
    assert "step 10: 'def f10(): pass'" in lines


@pytest.mark.slow  # the demo trains a model in a child process first
def test_read_runs_notebook_reads_and_plots_the_demo_run(tb_home: str, tmp_path: Path) -> None:
    """examples/read_runs.ipynb on the run `trainboard demo` trained."""
    r = python_m("demo", "--steps", "10", "--no-ui", env_home=tb_home, timeout=280)
    assert r.returncode == 0, r.stderr + r.stdout
    _notebook_lines(tb_home, tmp_path)
