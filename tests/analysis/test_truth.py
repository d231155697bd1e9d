"""The truth suite's verdicts (bench/tb_truth.py): every injected fault found, under at least
two naming families, no finding at all on noisy healthy runs, and the ETA within DESIGN.md's
bounds. The timings are the benchmark's business; this checks only what the verdicts say."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.tb_truth import eta_errors, verdict_flips, verdicts  # noqa: E402
from bench.truth_compare import agreement, comparisons  # noqa: E402
from bench.truth_runs import FAULTS  # noqa: E402
from trainboard.store import open_store  # noqa: E402


def test_every_fault_found_and_no_false_alarm(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'truth.db'}") as store:
        judged = verdicts(store)
    faults = [j for j in judged if j["fault"] is not None]
    assert {j["fault"] for j in faults} == set(FAULTS)
    assert all(len(fams) >= 2 for fams in FAULTS.values())
    missed = [(j["case"], j["found"]) for j in faults if j["fault"] not in j["found"]]
    assert missed == []
    alarms = [(j["case"], j["found"]) for j in judged if j["fault"] is None and j["found"]]
    assert alarms == []
    assert sum(j["fault"] is None for j in judged) >= 40


def test_eta_within_ten_percent_steady_and_twenty_with_eval_pauses(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'eta.db'}") as store:
        errs = eta_errors(store)
    for frac, e in errs["steady"].items():
        assert max(e) < 0.10, (frac, e)
    for frac, e in errs["eval pauses"].items():
        assert max(e) < 0.20, (frac, e)


def test_healthy_runs_keep_their_verdict_while_they_train(tmp_path: Path) -> None:
    # the shapes with long eval and checkpoint pauses flipped to "throughput dropped" after
    # each pause; replayed as they train, their verdict now stays put
    with open_store(f"sqlite:///{tmp_path / 'flips.db'}") as store:
        got = verdict_flips(store, ask_every=50, shapes=("eval_pauses", "ckpt_pauses"))
    assert got["flips"] == 0, got
    assert got["hours"] > 0.5


def test_compare_picks_the_true_winner_whatever_each_tool_named_it(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'compare.db'}") as store:
        rows = comparisons(store, experiments=1)
    a = agreement(rows)
    assert a["comparisons"] >= 140 and {r["by"] for r in rows} == {
        "compare", "best_run", "runs_list"
    }  # fmt: skip
    assert a["comparisons_wrong"] == [] and a["comparisons_agree_fraction"] == 1.0
    assert a["runs_list_unranked"] == 0
    assert {r["naming"] for r in rows} >= {"hf", "lightning", "tensorboard", "nanogpt", "mixed0"}
