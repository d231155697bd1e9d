"""The notebook's card shows the fuller card (#13) with the same texts as `trainboard watch`:
GPU use, the loss trend with its numbers as a tooltip, checkpoint marks on the bar, cost."""

from __future__ import annotations

import html
from pathlib import Path

from trainboard.analysis.card import card_for, card_texts
from trainboard.analysis.progress import progress_for
from trainboard.cli._view import _card_rows
from trainboard.notebook import run_html_for
from trainboard.store import open_store
from trainboard.store.records import ArtifactRecord, PointBatch, RunRecord

T0 = 1_700_000_000.0


def test_notebook_card_has_gpu_trend_checkpoints_and_cost(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'nb.db'}") as store:
        store.create_run(RunRecord(id="nb0000000001", project="p", name="nb", created_at=T0,
                                   total_steps=200, status="finished", finished_at=T0 + 7200,
                                   config={"price_per_hour": 2.5}))  # fmt: skip
        steps = list(range(1, 101))
        store.write_points(
            "nb0000000001",
            {
                "train/loss": PointBatch.of(
                    steps, [T0 + 36 * s for s in steps], [3.0 - s / 100 for s in steps]
                ),
                "sys/gpu0/util": PointBatch.of([1, 2], [T0, T0 + 1], [50.0, 80.0]),
                "sys/gpu0/mem_used_gb": PointBatch.of([2], [T0 + 1], [61.0]),
                "sys/gpu0/mem_percent": PointBatch.of([2], [T0 + 1], [76.0]),
            },
        )
        run = store.get_run("nb0000000001")
        store.add_artifact(run.id, ArtifactRecord("step_50.pt", "checkpoint", 50, "a", 10, T0))
        run = store.get_run(run.id)
        page = html.unescape(run_html_for(store, run))
        card = card_for(store, run, progress_for(store, run))
    texts = card_texts(card)
    assert ("GPU util", "80%") in texts and ("GPU memory", "61.0 GB (76%)") in texts
    assert ("loss trend", "↓ improving") in texts and ("cost", card.cost_text) in texts
    for label, text in texts:
        assert f"{label} {text}" in page  # the notebook says what watch says
    assert f'title="{card.trend_text}"' in page
    assert 'class="trainboard-checkpoint" title="checkpoint step_50.pt at step 50"' in page
    assert "left:25.0%" in page
    watch = [cell for row in _card_rows(card) for cell in row]
    assert all(label in watch and text in watch for label, text in texts)
