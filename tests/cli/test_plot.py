"""`trainboard plot`: the six-panel figure of runs as a file, and `--all-charts`."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from cli_support import Invoke

sys.path.insert(0, str(Path(__file__).parents[1] / "report"))
from figure_support import make_run

from trainboard.store.base import Store


@pytest.fixture
def two_runs(cli_store: Store) -> list[str]:
    make_run(cli_store, "aaaa00000001", "lr3e-4", seed=1, texts=3)
    make_run(cli_store, "bbbb00000002", "lr1e-3", seed=2)
    return ["aaaa00000001", "bbbb00000002"]


@pytest.mark.parametrize(
    "suffix, magic", [("png", b"\x89PNG"), ("pdf", b"%PDF"), ("svg", b"<?xml")]
)
def test_plot_writes_the_figure(invoke: Invoke, two_runs: list[str], tmp_path: Path,
                                suffix: str, magic: bytes) -> None:  # fmt: skip
    out = tmp_path / f"dashboard.{suffix}"
    r = invoke("plot", "lr3e-4", "bbbb", "-o", str(out), "--smooth", "20", "--dpi", "60",
               "--size", "12x7", "--style", "dark")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert r.output.strip() == f"wrote {out} (6 panels, 2 runs)"
    assert out.read_bytes()[:4] == magic[:4]


def test_plot_refuses_bad_options_before_any_work(invoke: Invoke, two_runs: list[str],
                                                  tmp_path: Path) -> None:  # fmt: skip
    r = invoke("plot", "lr3e-4", "-o", str(tmp_path / "d.jpg"))
    assert r.exit_code == 2 and "cannot tell the format of" in r.output
    r = invoke("plot", "lr3e-4", "-o", str(tmp_path / "d.png"), "--style", "neon")
    assert r.exit_code == 2 and "--style must be one of light, dark, got 'neon'" in r.output
    r = invoke("plot", "lr3e-4", "-o", str(tmp_path / "d.png"), "--size", "wide")
    assert r.exit_code == 2 and "size must be WIDTHxHEIGHT" in r.output
    r = invoke("plot", "lr3e-4", "-o", str(tmp_path / "nowhere" / "d.png"))
    assert r.exit_code == 2 and "does not exist" in r.output
    r = invoke("plot", "nosuchrun", "-o", str(tmp_path / "d.png"))
    assert r.exit_code == 1 and "nosuchrun" in r.output
    assert not list(tmp_path.glob("d.*"))


def test_all_charts_writes_each_runs_set(
    invoke: Invoke, two_runs: list[str], tmp_path: Path
) -> None:
    one = tmp_path / "one"
    r = invoke("plot", "lr3e-4", "--all-charts", "-o", str(one))
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in one.iterdir()) == sorted([
        "accuracy.png", "learning_rate.png", "loss.png", "loss_vs_accuracy.png",
        "metrics_history.json", "recent.png", "text_samples.json", "text_samples.png",
        "throughput.png",
    ])  # fmt: skip
    both = tmp_path / "both"
    r = invoke("plot", *two_runs, "--all-charts", "-o", str(both))
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in both.iterdir()) == two_runs
    assert not (both / "bbbb00000002" / "text_samples.png").exists()  # it has no samples
    assert (both / "bbbb00000002" / "text_samples.json").exists()
