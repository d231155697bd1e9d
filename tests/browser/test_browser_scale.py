"""The Runs, Compare and Sweep pages over a store of 20,000 runs (#24): what a person sees is
right (the newest page first, the count of every run, a sort over every run, the last page,
a comparison and a sweep of runs among thousands). Correctness only: the timings of these
pages at 10 k and 100 k runs are bench/scale.py's."""

from __future__ import annotations

import re

import pytest
from browser_support import Server, wait_until
from playwright.sync_api import Page, expect

from trainboard import settings
from trainboard.store import open_store
from trainboard.store.records import PointBatch, RunRecord

RUNS = 20_000
T0 = 1_700_000_000.0


def _seed() -> None:
    """RUNS runs through the store contract (import_runs, 2,000 a transaction): 20 projects,
    5 models; every 10th run has an eval loss (run i: 10 + (i * 7919 % 1000) / 100, so the
    lowest is a known run)."""
    with open_store(settings.store_url()) as db:
        todo: list[tuple[RunRecord, dict[str, PointBatch]]] = []
        for i in range(RUNS):
            rid = f"{i:012x}"
            run = RunRecord(
                id=rid,
                project=f"team-{i % 20:02d}",
                name=f"run-{i:05d}",
                model=f"m{i % 5}",
                status="finished",
                created_at=T0 + i,
                finished_at=T0 + i + 60,
                config={"lr": (i % 97) / 1000, "seed": i % 7},
            )
            points = {}
            if i % 10 == 0:
                loss = 10 + (i * 7919 % 1000) / 100
                points = {"eval/loss": PointBatch.of([1], [T0 + i], [loss])}
            todo.append((run, points))
            if len(todo) == 2000:
                db.import_runs(todo)
                todo = []


def _shown(ui: Page) -> list[str]:
    """The names of the runs rendered in the table, top to bottom."""
    names: list[str] = ui.locator("tr[data-run-id] .run-link").evaluate_all(
        "els => els.map(e => e.textContent.trim())"
    )
    return names


def _in_view(ui: Page) -> list[str]:
    """The names a person sees: rows inside the scrolling box, below its sticky header."""
    names: list[str] = ui.get_by_test_id("runs-scroll").evaluate(
        """box => {
            const top = box.getBoundingClientRect().top + box.querySelector('thead').offsetHeight;
            const bottom = box.getBoundingClientRect().bottom;
            return [...box.querySelectorAll('tr[data-run-id]')].filter(tr => {
                const r = tr.getBoundingClientRect();
                return r.top >= top - 1 && r.bottom <= bottom + 1;
            }).map(tr => tr.querySelector('.run-link').textContent.trim());
        }"""
    )
    return names


def _scroll_to(ui: Page, fraction: float) -> None:
    """Drag the table's scrollbar: set its scroll position to a fraction of its height."""
    ui.get_by_test_id("runs-scroll").evaluate(
        "(box, f) => { box.scrollTop = f * (box.scrollHeight - box.clientHeight); }", fraction
    )


@pytest.mark.slow  # 20,000 runs seeded through the store contract first
def test_runs_compare_and_sweep_pages_over_20k_runs(server: Server, ui: Page) -> None:
    _seed()
    wait_until(lambda: server.api("/runs", limit=1).json()["total"] == RUNS, what="runs stored")
    rows = ui.locator("tr[data-run-id]")

    def order() -> list[str]:
        return rows.evaluate_all("rs => rs.map(r => r.dataset.runId)")

    ui.goto(f"{server.url}/?group=0")
    expect(ui.get_by_test_id("runs-count")).to_contain_text("of 20,000")
    wait_until(lambda: bool(order()), what="rows")
    assert order()[:3] == [f"{i:012x}" for i in (RUNS - 1, RUNS - 2, RUNS - 3)]
    # only the rows in view (and a few around them) are in the page, not 20,000
    assert 10 <= rows.count() <= 120
    seen = _in_view(ui)
    assert seen[0] == f"run-{RUNS - 1:05d}" and len(seen) >= 10
    count = ui.get_by_test_id("runs-count")
    expect(count).to_have_text(f"1–{len(seen)} of 20,000")

    # to the end: the oldest runs, in order, and the count says where we are
    _scroll_to(ui, 1.0)
    wait_until(lambda: _in_view(ui)[-1:] == ["run-00000"], what="the last row in view")
    seen = _in_view(ui)
    assert seen == [f"run-{i:05d}" for i in range(len(seen) - 1, -1, -1)]
    expect(count).to_have_text(f"{RUNS - len(seen) + 1:,}–20,000 of 20,000")
    assert ui.locator("tr.placeholder").count() == 0 or rows.count() >= len(seen)

    # to the middle: the rows there are the runs at those places in the list, no gaps
    _scroll_to(ui, 0.5)
    wait_until(lambda: len(_in_view(ui)) >= 10, what="rows in the middle")
    seen = _in_view(ui)
    top = int(seen[0].split("-")[1])
    assert 9_000 < top < 11_000
    assert seen == [f"run-{i:05d}" for i in range(top, top - len(seen), -1)]
    expect(count).to_have_text(f"{RUNS - top:,}–{RUNS - top + len(seen) - 1:,} of 20,000")

    # reading on from there a row at a time (keyset blocks): still every run, in order
    for _ in range(3):
        ui.get_by_test_id("runs-scroll").evaluate("box => { box.scrollTop += 3000; }")
        wait_until(lambda: len(_in_view(ui)) >= 10, what="rows after scrolling on")
    seen = _in_view(ui)
    top = int(seen[0].split("-")[1])
    assert seen == [f"run-{i:05d}" for i in range(top, top - len(seen), -1)]

    # selecting a row far down the list keeps it selected when it scrolls away and back
    pick = ui.locator(f'tr[data-run-id="{top:012x}"] input[type="checkbox"]')
    pick.check()
    _scroll_to(ui, 0.0)
    wait_until(lambda: _in_view(ui)[:1] == [f"run-{RUNS - 1:05d}"], what="back at the top")
    expect(ui.get_by_text("1 selected")).to_be_visible()

    # sorted by name over every run, not this page: A to Z starts at the oldest run
    ui.locator('th[data-column="name"] button.sort').click()
    wait_until(lambda: order()[:2] == [f"{0:012x}", f"{1:012x}"], what="sorted by name")
    ui.locator('th[data-column="name"] button.sort').click()
    wait_until(lambda: order()[:1] == [f"{RUNS - 1:012x}"], what="sorted by name, Z to A")

    # a project's runs: 1,000 of them, filtered in the store
    _scroll_to(ui, 0.0)
    ui.get_by_label("project").press_sequentially("team-07")
    ui.wait_for_url(re.compile(r"project=team-07"))
    expect(count).to_contain_text(" of 1,000")
    wait_until(lambda: all(int(r, 16) % 20 == 7 for r in order()), what="team-07 only")

    # a name search matching all 20,000: counted up to 10,000 and shown as a lower bound
    ui.goto(f"{server.url}/?group=0&search=run-")
    expect(count).to_contain_text(" of 10,000+")
    assert server.api("/runs", limit=1, search="run-").json()["total_exact"] is False

    # Compare three runs among 20,000; the best is the one with the lowest eval loss
    picked = [f"{i:012x}" for i in (0, 10, 20)]  # losses 10.0, 10.9, 10.18
    ui.goto(f"{server.url}/compare?runs={','.join(picked)}")
    table = ui.get_by_test_id("compare-table")
    best_row = table.locator('tr[data-row="best_value"]')
    expect(best_row.locator("td")).to_have_count(3)
    expect(best_row.locator(f'td[data-run-id="{picked[0]}"]')).to_contain_text("10.0")
    expect(best_row.locator("td[data-best]")).to_have_count(1)

    # the sweep of one project (1,000 trials, every one with a loss): its best trial
    team = range(10, RUNS, 20)
    best = min(team, key=lambda i: (10 + (i * 7919 % 1000) / 100, i))  # ties: the first
    ui.goto(f"{server.url}/sweep?project=team-10")
    expect(ui.get_by_test_id("sweep-summary")).to_contain_text("1000 runs", timeout=60_000)
    expect(ui.get_by_test_id("sweep-best")).to_contain_text(f"Best trial run-{best:05d}")
