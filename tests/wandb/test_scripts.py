"""Ordinary wandb scripts, unchanged, as real child processes: with `import trainboard as
wandb`, or with `import wandb` under `python -m trainboard.wandb_run`. What they logged is
read back from the store they wrote."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from trainboard.store import open_store
from trainboard.store.base import Store

pytestmark = pytest.mark.slow  # whole wandb scripts in child processes

SCRIPTS = Path(__file__).parent / "scripts"


def _run(home: str, *args: str, runner: bool = False) -> str:
    env = dict(os.environ, TRAINBOARD_HOME=home, TRAINBOARD_SYSTEM_INTERVAL="0")
    for k in ("TRAINBOARD_DB", "TRAINBOARD_URL"):
        env.pop(k, None)
    cmd = [sys.executable, *(["-m", "trainboard.wandb_run"] if runner else []), *args]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=240)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout + p.stderr


def _id(out: str, word: str = "run") -> str:
    return next(line.split()[1] for line in out.splitlines() if line.startswith(word + " "))


def _steps(s: Store, rid: str, key: str) -> list[int]:
    return s.read_series(rid, key).steps.tolist()


def _values(s: Store, rid: str, key: str) -> list[float]:
    return s.read_series(rid, key).values.tolist()


@pytest.mark.slow
def test_nanogpt_style_script_with_import_wandb(tb_home: str) -> None:
    out = _run(tb_home, str(SCRIPTS / "nanogpt_style.py"), runner=True)
    rid = _id(out)
    with open_store() as s:
        run = s.get_run(rid)
        assert (run.project, run.name, run.status) == ("owt", "gpt2-tiny", "finished")
        assert run.config["learning_rate"] == 6e-4 and run.config["max_iters"] == 40
        # `iter` is the script's step counter, so it is the run's step; max_iters its total
        assert _steps(s, rid, "val/loss") == [0, 10, 20, 30, 40]
        assert _values(s, rid, "iter") == [0.0, 10.0, 20.0, 30.0, 40.0]
        assert (run.last_step, run.total_steps) == (40, 40)
        hists = s.read_histograms(rid)
        keys = {h.key for h in hists}
        assert {"parameters/0.weight", "gradients/0.weight", "gradients/2.bias"} <= keys
        # watch(log_freq=10): the 10th, 20th... training forward passes log, at the run's
        # step then (iterations 9, 19, 29, 39: the steps the iterations 0, 10, 20, 30 logged)
        assert sorted({h.step for h in hists if h.key == "gradients/0.weight"}) == [0, 10, 20, 30]
        norms = s.read_series(rid, "gradients/grad_norm")
        assert len(norms) == 4 and all(v > 0 for v in norms.values.tolist())


@pytest.mark.slow
def test_argparse_script_config_update_summary_and_exit_code(tb_home: str) -> None:
    out = _run(tb_home, str(SCRIPTS / "argparse_config.py"), "--lr", "0.05", "--epochs", "4")
    rid = _id(out)
    failed = _id(_run(tb_home, str(SCRIPTS / "argparse_config.py"), "--exit-code", "3"))
    with open_store() as s:
        run = s.get_run(rid)
        assert run.config == {
            "lr": 0.05,
            "epochs": 4,
            "model": "resnet18",
            "exit_code": 0,
            "seed": 7,
        }
        assert run.tags == ["group:ablation", "job_type:train"] and run.notes == "argparse run"
        assert run.status == "finished"
        assert _steps(s, rid, "train/acc") == [0, 1, 2, 3]
        assert s.read_run_values(rid, "summary") == {"best_acc": 0.8, "final_note": "done"}
        bad = s.get_run(failed)
        assert (bad.status, bad.notes) == ("failed", "exit code 3")


def test_nanogpt_progress_follows_its_iter_and_max_iters(tb_home: str, tmp_path: Path) -> None:
    """nanoGPT logs every eval_interval iterations with `iter` in the dict and keeps
    `max_iters` in its config: the run reads "step 20 / 40", its rates and ETA are per
    iteration, and plot's step time is an iteration's, not the gap between two logs."""
    from trainboard.analysis.progress import progress_for
    from trainboard.report.panels import build_panels

    pause = tmp_path / "go"
    env = dict(os.environ, TRAINBOARD_HOME=tb_home, TRAINBOARD_SYSTEM_INTERVAL="0",
               NANOGPT_ITER_SECONDS="0.12", NANOGPT_PAUSE_FILE=str(pause))  # fmt: skip
    for k in ("TRAINBOARD_DB", "TRAINBOARD_URL"):
        env.pop(k, None)
    cmd = [sys.executable, "-m", "trainboard.wandb_run", str(SCRIPTS / "nanogpt_style.py")]
    child = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        with open_store() as s:
            deadline = time.monotonic() + 120
            while child.poll() is None and time.monotonic() < deadline:
                runs = s.list_runs()
                if runs and runs[0].last_step == 20:
                    break
                time.sleep(0.05)
            run = s.list_runs()[0]
            now = time.time()
            p = progress_for(s, run, now=now)
            clock = s.read_series(run.id, "train/loss")
            per_iter = (clock.times[-1] - clock.times[0]) / 20  # the real seconds per iteration
            assert (p.step, p.total_steps, p.percent, p.status) == (20, 40, 50.0, "running")
            assert p.steps_per_s is not None and p.eta_s is not None
            assert 0.7 < p.steps_per_s * per_iter < 1.4  # per iteration, not per log() call
            assert 0.5 < p.eta_s / (20 * per_iter) < 2.0  # 20 iterations to go
    finally:
        pause.touch()
        out, err = child.communicate(timeout=120)
    assert child.returncode == 0, out + err
    with open_store() as s:
        run = s.get_run(_id(out))
        p = progress_for(s, run)
        assert (p.step, p.total_steps, p.percent, p.eta_s) == (40, 40, 100.0, 0.0)
        assert p.steps_per_s == pytest.approx(40 / p.elapsed_s)
        (speed,) = [q for q in build_panels(s, [run], only=["speed"])]
        (line,) = speed.lines
        assert line.key == "step time (s)"
        gaps = np.diff(s.read_series(run.id, "train/loss").times)
        assert line.values.max() < gaps.min() / 5  # an iteration's time, not the 10-iter gap


def test_eval_loop_with_commit_false_shares_the_step(tb_home: str) -> None:
    rid = _id(_run(tb_home, str(SCRIPTS / "eval_commit_false.py")))
    with open_store() as s:
        assert _steps(s, rid, "train/loss") == [0, 1, 2, 3, 4, 5]
        assert _steps(s, rid, "lr") == [0, 1, 2, 3, 4, 5]
        assert _steps(s, rid, "eval/loss") == [0, 2, 4]
        assert _steps(s, rid, "late") == [10] and _steps(s, rid, "after") == [11]


def test_define_metric_with_step_metric_summary_and_goal(tb_home: str) -> None:
    rid = _id(_run(tb_home, str(SCRIPTS / "step_metric.py")))
    with open_store() as s:
        run = s.get_run(rid)
        assert _steps(s, rid, "train/loss") == [8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96]
        # the declared step metric counts up with every call: it is the run's step, and a
        # call without it (the epoch's) stays at its last value
        assert _steps(s, rid, "train/global_step") == [
            8,
            16,
            24,
            32,
            40,
            48,
            56,
            64,
            72,
            80,
            88,
            96,
        ]
        assert _steps(s, rid, "epoch") == [32, 64, 96]
        assert run.last_step == 96
        assert _steps(s, rid, "val/loss") == [0, 1, 2]  # against the epoch
        assert run.goals == {"val/acc": "max", "val/loss": "min"}
        summary = s.read_run_values(rid, "summary")
        assert summary["val/loss"] == {"min": pytest.approx(0.6)}
        assert summary["val/acc"] == {"max": pytest.approx(0.7), "mean": pytest.approx(0.6)}


def test_media_alerts_save_artifacts_and_a_disabled_run(tb_home: str, tmp_path: Path) -> None:
    out = _run(tb_home, str(SCRIPTS / "media_alerts.py"), str(tmp_path))
    rid = _id(out)
    assert "not stored" not in out  # images and tables are media now: no warning
    assert any(line.startswith("disabled ") and line.endswith(" True") for line in out.split("\n"))
    with open_store() as s:
        hists = {h.key: h for h in s.read_histograms(rid)}
        assert hists["weights"].count == 100
        assert hists["binned"].counts == [25.0, 25.0, 25.0, 25.0]
        assert hists["binned"].edges[0] == 0.0 and hists["binned"].edges[-1] == 99.0
        texts = {t.key: t.text for t in s.read_texts(rid)}
        assert texts["report"] == "<h1>Report</h1>"
        assert "preds" not in texts
        media = {(k.key, k.kind, k.count) for k in s.media_keys(rid)}
        assert media == {("preds", "table", 1), ("sample", "image", 1), ("other", "image", 1)}
        assert _values(s, rid, "losses/train") == [1.5]
        assert [(e.title, e.level, e.text) for e in s.read_events(rid)] == [
            ("Loss spike", "warn", "train loss x3"),
            ("Done", "info", "all good"),
        ]
        kept = {(a.name, a.kind) for a in s.list_artifacts(rid)}
        assert kept == {("notes.txt", "file"), ("model/weights.bin", "model")}
        assert [r.name for r in s.list_runs()] == ["media"]  # the disabled run left nothing


def test_show_prints_the_run_summary_and_alerts(tb_home: str, tmp_path: Path) -> None:
    rid = _id(_run(tb_home, str(SCRIPTS / "media_alerts.py"), str(tmp_path)))
    text = _run(tb_home, "-m", "trainboard", "show", rid)
    assert "alerts" in text and "Loss spike" in text and "WARN" in text and "all good" in text
    import json

    doc = json.loads(_run(tb_home, "-m", "trainboard", "show", rid, "--json"))
    assert [e["title"] for e in doc["events"]] == ["Loss spike", "Done"]
    assert doc["run_summary"] == {}
