"""Runs that name the eval loss their own tool's way (`eval_loss`, `val_loss`,
`Loss/validation`, `val/loss`) show a value in the Runs list and are all ranked on Compare,
which names each run's key; a run without an eval loss says so."""

from __future__ import annotations

from browser_support import Server, shot, wait_until
from playwright.sync_api import Page, expect

import trainboard

KEYS = {"hf": "eval_loss", "lightning": "val_loss", "tb-guide": "Loss/validation",
        "nanogpt": "val/loss"}  # fmt: skip
BEST = {"hf": 0.9, "lightning": 0.6, "tb-guide": 0.8, "nanogpt": 0.7}


def _run(name: str, eval_key: str | None, best: float) -> str:
    run = trainboard.init(project="mixed", name=name, total_steps=20)
    for s in range(1, 21):
        row = {"train/loss": 2.0 / s}
        if eval_key is not None and s % 10 == 0:
            row[eval_key] = best + (0.5 if s == 10 else 0.0)
        run.log(row, step=s)
    run.finish()
    return run.id


def test_runs_list_and_compare_show_values_for_mixed_keys(server: Server, ui: Page) -> None:
    ids = {name: _run(name, key, BEST[name]) for name, key in KEYS.items()}
    ids["no-eval"] = _run("no-eval", None, 0.0)
    wait_until(lambda: all(server.api(f"/runs/{r}").json()["run"]["status"] == "finished"
                           for r in ids.values()), what="the runs to finish")  # fmt: skip

    ui.goto(f"{server.url}/?project=mixed")
    for name, best in BEST.items():
        cell = ui.locator(f'tr[data-run-id="{ids[name]}"] td.c-bestval')
        expect(cell).to_contain_text(f"{best:.4f}")
        expect(cell).to_contain_text("eval loss")
    expect(
        ui.locator(f'tr[data-run-id="{ids["lightning"]}"] [data-testid="group-best"]')
    ).to_be_visible()
    expect(ui.get_by_test_id("group-best")).to_have_count(1)
    none = ui.locator(f'tr[data-run-id="{ids["no-eval"]}"] td.c-bestval')
    expect(none).to_contain_text("none")
    expect(none).to_contain_text("no eval loss logged")
    shot(ui, "runs-mixed-keys")

    ui.goto(f"{server.url}/compare?runs={','.join(ids.values())}")
    table = ui.get_by_test_id("compare-table")
    expect(table.locator("tr[data-row=best_value] th")).to_have_text("best eval loss")
    for name, key in KEYS.items():
        expect(table.locator(f'tr[data-row=key] td[data-run-id="{ids[name]}"]')).to_have_text(key)
        expect(
            table.locator(f'tr[data-row=best_value] td[data-run-id="{ids[name]}"]')
        ).to_have_text(f"{BEST[name]:.4f}")
    expect(table.locator(f'tr[data-row=key] td[data-run-id="{ids["no-eval"]}"]')).to_have_text(
        "no eval loss logged"
    )
    winner = table.locator(f'tr[data-row=best_value] td[data-run-id="{ids["lightning"]}"]')
    expect(winner).to_have_attribute("data-best", "true")
    rec = ui.get_by_test_id("recommendation")
    expect(rec.locator("h2")).to_contain_text("lightning")
    expect(rec).to_contain_text("not ranked, no eval loss logged: no-eval")
    expect(ui.get_by_label("deciding metric")).to_have_value("eval_loss")
    expect(
        ui.locator('[data-testid="compare-chart-card"][data-metric="eval_loss"] .uplot-host')
    ).to_be_visible()
    shot(ui, "compare-mixed-keys")
