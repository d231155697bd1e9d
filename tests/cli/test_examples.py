"""The files in examples/ keep working: the quick start logs a run, the sample
train_log.jsonl imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cli_support import Invoke, python_m

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


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
