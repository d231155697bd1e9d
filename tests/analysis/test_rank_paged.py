"""rank_in_groups over one page of a list, with the rest of each group as peers, ranks exactly
as over the whole list (same deciding metric, best run and deltas)."""

from __future__ import annotations

import math
import random

import pytest

from trainboard.analysis.compare import rank_in_groups
from trainboard.analysis.rank import Group, group_peers
from trainboard.store.base import Store
from trainboard.store.queries import GroupLeaders, RunQuery, leaders_of
from trainboard.store.records import MetricSummary, PointBatch, RunRecord

T0 = 1_700_000_000.0


def by_group(leaders: dict[str | None, GroupLeaders]) -> dict[Group, GroupLeaders]:
    """Leaders by model as ranking groups: every run here is of project "p"."""
    return {(m, None) if m is not None else (None, "p"): g for m, g in leaders.items()}


def _summ(lo: float, hi: float) -> MetricSummary:
    return MetricSummary(
        count=2, last=hi, last_step=1, min=lo, min_step=0, max=hi, max_step=1,
        first_time=T0, last_time=T0 + 1,
    )  # fmt: skip


def _random_runs(seed: int, n: int) -> list[RunRecord]:
    rng = random.Random(seed)
    runs = []
    for i in range(n):
        summary = {}
        # "Val_Aux_Loss" is an eval loss of its own measure (one key per measure and run: a
        # run with two keys for one measure is ranked on its plainest, which peers need not hold)
        for key in ("eval/loss", "train/loss", "acc", "Val_Aux_Loss"):
            if rng.random() < 0.6:
                lo = rng.choice([0.5, 1.0, 1.5, 2.0, 0.0, math.nan])  # ties, zero, NaN
                summary[key] = _summ(lo, lo if math.isnan(lo) else lo + rng.choice([0, 1]))
        goals = {"Val_Aux_Loss": "max"} if rng.random() < 0.1 else {}
        runs.append(
            RunRecord(
                id=f"{i:012x}", project="p", name=f"r{i}",
                model=rng.choice(["m1", "m2", None]), created_at=T0 + rng.choice([0, i]),
                summary=summary, goals=goals,
            )
        )  # fmt: skip
    runs.sort(key=lambda r: (r.created_at, r.id), reverse=True)  # as listed: newest first
    return runs


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("page", [1, 3, 7])
def test_a_page_with_peers_ranks_as_the_whole_list(seed: int, page: int) -> None:
    runs = _random_runs(seed, 25)
    whole = rank_in_groups(runs)
    peers = by_group(leaders_of(runs))
    for at in range(0, len(runs), page):
        part = runs[at : at + page]
        ranked = rank_in_groups(part, peers=peers)
        assert set(ranked) == {r.id for r in part}
        for r in part:
            assert ranked[r.id] == whole[r.id], r.id


def test_without_peers_a_page_ranks_only_within_itself() -> None:
    a = RunRecord("a" * 12, "p", "a", model="m", created_at=T0, summary={"loss": _summ(1, 2)})
    b = RunRecord("b" * 12, "p", "b", model="m", created_at=T0 + 1, summary={"loss": _summ(2, 3)})
    assert rank_in_groups([b])[b.id].group_best  # the bug a page alone has
    ranked = rank_in_groups([b], peers=by_group(leaders_of([b, a])))[b.id]
    assert not ranked.group_best and ranked.best_run == a.id and ranked.delta_pct == 100.0


def test_three_runs_paged_one_per_page_rank_as_unpaged_from_the_store(store: Store) -> None:
    for i, best_eval in enumerate([1.2, 0.9, 1.5]):
        rid = f"{i:012x}"
        store.create_run(RunRecord(rid, "p", f"r{i}", model="m", created_at=T0 + i))
        steps, times = [0, 1], [T0 + i, T0 + i + 1]
        store.write_points(rid, {
            "eval/loss": PointBatch.of(steps, times, [best_eval + 1, best_eval]),
            "train/loss": PointBatch.of(steps, times, [3.0, 0.1 * i]),
        })  # fmt: skip
    whole = rank_in_groups(store.list_runs(RunQuery()))
    assert [r.group_best for r in whole.values()] == [False, True, False]
    for offset in range(3):
        query = RunQuery(limit=1, offset=offset)
        page = store.list_runs(query)
        ranked = rank_in_groups(page, peers=group_peers(store, query, page))
        assert ranked[page[0].id] == whole[page[0].id]
    assert whole["000000000001"].metric == "eval/loss"
    assert whole["000000000000"].delta_pct == pytest.approx(100 * 0.3 / 0.9)
