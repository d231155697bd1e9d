"""The Runs page as a person sees it: groups by model, the best run marked, bulk actions."""

from __future__ import annotations

import re

import pytest
from browser_support import Server, wait_until
from playwright.sync_api import Page, expect

import trainboard
from trainboard import settings
from trainboard.store import open_store
from trainboard.store.records import PointBatch, RunRecord

QWEN = "Qwen/Qwen2.5-7B-Instruct"


def _finished_run(name: str, model: str, eval_loss: float) -> str:
    run = trainboard.init(project="sweep", name=name, model=model, total_steps=20)
    for s in range(1, 21):
        run.log({"train/loss": eval_loss + 1.0 / s}, step=s)
    run.log({"eval/loss": eval_loss}, step=20)
    run.finish()
    return run.id


def _wait_for_runs(server: Server, n: int, **params: str) -> list[dict[str, object]]:
    wait_until(
        lambda: server.api("/runs", **params).json()["total"] == n,
        what=f"{n} runs in the store",
    )
    runs: list[dict[str, object]] = server.api("/runs", **params).json()["runs"]
    return runs


def _row(ui: Page, run_id: str):  # type: ignore[no-untyped-def]
    return ui.locator(f'tr[data-run-id="{run_id}"]')


def test_groups_by_model_and_marks_the_best(server: Server, ui: Page) -> None:
    best = _finished_run("qwen-best", QWEN, 1.0)
    worse = _finished_run("qwen-worse", QWEN, 1.35)
    gpt_best = _finished_run("gpt-best", "gpt2", 2.0)
    gpt_worse = _finished_run("gpt-worse", "gpt2", 3.0)
    runs = {r["id"]: r for r in _wait_for_runs(server, 4)}
    ui.goto(server.url + "/")

    groups = ui.locator("tbody.group")
    expect(groups).to_have_count(2)
    qwen = ui.locator(f'tbody.group[data-model="{QWEN}"]')
    expect(qwen.locator(".group-head")).to_contain_text(QWEN)
    expect(qwen.locator("tr[data-run-id]")).to_have_count(2)
    for winner, loser in ((best, worse), (gpt_best, gpt_worse)):
        expect(_row(ui, winner).get_by_test_id("group-best")).to_be_visible()
        expect(_row(ui, loser).get_by_test_id("group-best")).to_have_count(0)
    # The delta is the API's text ("+35.0% eval loss"), as the Compare table writes it.
    assert runs[worse]["delta_to_best_pct"] is not None
    expect(_row(ui, worse).locator(".delta")).to_have_text("+35.0% eval loss")
    expect(_row(ui, gpt_worse).locator(".delta")).to_have_text("+50.0% eval loss")
    expect(_row(ui, best).locator(".status")).to_have_text("finished")

    ui.get_by_label("group by model").uncheck()
    expect(ui.locator(".group-head")).to_have_count(0)
    expect(ui.locator("tr[data-run-id]")).to_have_count(4)


def test_archive_hides_a_run_and_show_archived_brings_it_back(server: Server, ui: Page) -> None:
    keep = _finished_run("keep", QWEN, 1.0)
    gone = _finished_run("to-archive", QWEN, 2.0)
    _wait_for_runs(server, 2)
    ui.goto(server.url + "/")
    expect(ui.locator("tr[data-run-id]")).to_have_count(2)

    _row(ui, gone).get_by_role("checkbox").check()
    ui.get_by_role("button", name="Archive", exact=True).click()
    expect(_row(ui, gone)).to_have_count(0)
    expect(_row(ui, keep)).to_be_visible()
    assert server.api("/runs").json()["total"] == 1

    ui.get_by_label("show archived").check()
    expect(_row(ui, gone)).to_be_visible()
    expect(_row(ui, gone).locator(".chip", has_text="archived")).to_be_visible()


def test_delete_asks_first_and_sends_confirm_only_after(server: Server, ui: Page) -> None:
    victim = _finished_run("victim", "m", 1.0)
    _wait_for_runs(server, 1)
    ui.goto(server.url + "/")
    bodies: list[str] = []
    ui.on(
        "request",
        lambda r: bodies.append(r.post_data or "") if r.url.endswith("/runs/delete") else None,
    )

    _row(ui, victim).get_by_role("checkbox").check()
    ui.get_by_role("button", name="Delete…").click()
    dialog = ui.get_by_role("dialog")
    expect(dialog).to_contain_text("Delete 1 run?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(_row(ui, victim)).to_be_visible()
    assert bodies == []

    ui.get_by_role("button", name="Delete…").click()
    ui.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(_row(ui, victim)).to_have_count(0)
    assert len(bodies) == 1 and '"confirm":true' in bodies[0]
    assert server.api("/runs", archived="all").json()["total"] == 0


def test_compare_button_opens_compare_with_the_selection(server: Server, ui: Page) -> None:
    a = _finished_run("a", QWEN, 1.0)
    b = _finished_run("b", QWEN, 1.1)
    _wait_for_runs(server, 2)
    ui.goto(server.url + "/")
    _row(ui, a).get_by_role("checkbox").check()
    _row(ui, b).get_by_role("checkbox").check()
    ui.get_by_role("button", name="Compare").click()
    wait_until(lambda: "/compare?runs=" in ui.url, what="the Compare page URL")
    ids = ui.url.split("runs=", 1)[1].split("&")[0].split(",")
    assert sorted(ids) == sorted([a, b])


def test_search_and_status_filters(server: Server, ui: Page) -> None:
    _finished_run("alpha-1", "m", 1.0)
    _finished_run("beta-1", "m", 1.0)
    live = trainboard.init(project="sweep", name="alpha-live", model="m", total_steps=10)
    live.log({"train/loss": 1.0}, step=1)
    _wait_for_runs(server, 3)
    ui.goto(server.url + "/")
    expect(ui.locator("tr[data-run-id]")).to_have_count(3)
    ui.get_by_label("search by name").fill("alpha")
    expect(ui.locator("tr[data-run-id]")).to_have_count(2)
    ui.get_by_label("status").select_option("running")
    expect(ui.locator("tr[data-run-id]")).to_have_count(1)
    expect(ui.get_by_role("link", name="alpha-live")).to_be_visible()
    ui.reload()  # filters live in the URL
    expect(ui.locator("tr[data-run-id]")).to_have_count(1)
    live.finish()


@pytest.mark.slow
def test_ten_thousand_runs_are_scrolled_not_rendered_at_once(server: Server, ui: Page) -> None:
    store = open_store(settings.store_url())
    try:
        runs = [
            RunRecord(id=f"r{i:05d}", project="big", name=f"run-{i:05d}", model=f"model-{i % 7}",
                      status="finished", created_at=1.7e9 + i, total_steps=100, last_step=100)
            for i in range(10_000)
        ]  # fmt: skip
        store.import_runs([(r, {}) for r in runs])
    finally:
        store.close()
    ui.goto(server.url + "/")
    count = ui.get_by_test_id("runs-count")
    expect(count).to_contain_text("of 10,000")
    rows = ui.locator("tr[data-run-id]")
    expect(rows.first).to_be_visible()
    assert rows.count() <= 120  # the rows in view and a few around them
    # grouped: model-0's runs come first, under their group's header
    expect(ui.locator("tbody.group").first).to_have_attribute("data-model", "model-0")
    expect(ui.locator(".group-head").first).to_contain_text("model-0")
    box = ui.get_by_test_id("runs-scroll")
    box.evaluate("b => { b.scrollTop = b.scrollHeight; }")
    expect(ui.locator('tbody.group[data-model="model-6"] tr[data-run-id]').last).to_be_visible()
    expect(count).to_contain_text("–10,000 of 10,000")
    ui.get_by_label("group by model").uncheck()
    expect(count).to_have_text(re.compile(r"^1–\d+ of 10,000$"))
    expect(rows.first).to_have_attribute("data-run-id", "r09999")
    ui.get_by_label("search by name").fill("run-09999")
    expect(rows).to_have_count(1)
    expect(count).to_have_text("1–1 of 1")


def test_grouped_runs_ranked_across_blocks(server: Server, ui: Page) -> None:
    """250 runs come in two blocks (200, then 50); each is ranked against every run."""
    store = open_store(settings.store_url())
    try:  # 150 runs of a-model and 100 of b-model, interleaved; each model's oldest run is best
        for i in range(250):
            rid, model = f"r{i:05d}", ("a-model" if i % 5 < 3 else "b-model")
            store.create_run(
                RunRecord(id=rid, project="p", name=f"run-{i:03d}", model=model,
                          status="finished", created_at=1.7e9 + i, finished_at=1.7e9 + i + 10)
            )  # fmt: skip
            loss = 1.0 if i in (0, 3) else 2.0
            store.write_points(rid, {"eval/loss": PointBatch.of([1], [1.7e9 + i + 1], [loss])})
    finally:
        store.close()
    ui.goto(server.url + "/")
    expect(ui.get_by_test_id("runs-count")).to_contain_text("of 250")
    a_model = ui.locator('tbody.group[data-model="a-model"]')
    b_model = ui.locator('tbody.group[data-model="b-model"]')
    expect(a_model.locator("tr[data-run-id]")).to_have_count(150)  # a short list: every row
    expect(b_model.locator("tr[data-run-id]")).to_have_count(100)
    expect(ui.locator(".group-head")).to_have_count(2)
    expect(_row(ui, "r00000").get_by_test_id("group-best")).to_be_visible()
    # b-model's best run came in the second block: marked there, deltas against it everywhere
    expect(_row(ui, "r00003").get_by_test_id("group-best")).to_be_attached()
    expect(ui.get_by_test_id("group-best")).to_have_count(2)
    expect(_row(ui, "r00249").locator(".delta")).to_have_text("+100.0% eval loss")


def test_a_new_run_appears_without_a_reload(server: Server, ui: Page) -> None:
    ui.goto(server.url + "/")
    expect(ui.get_by_text("No runs yet")).to_be_visible()
    ui.evaluate("window.__sameDocument = true")
    run = trainboard.init(project="p", name="fresh", model="m", total_steps=10)
    run.log({"train/loss": 0.25}, step=5)
    row = _row(ui, run.id)
    expect(row).to_be_visible(timeout=20_000)
    expect(row.locator(".status")).to_have_text("running")
    expect(row.locator(".pbar-text")).to_have_text("50.0%", timeout=20_000)
    run.finish()
    expect(row.locator(".status")).to_have_text("finished", timeout=20_000)
    assert ui.evaluate("window.__sameDocument") is True
