"""Which metrics can be a run's x axis (analysis.tokenaxis.x_keys): any key that never
decreases and moves, whatever its name, decided once on the server for the Run and Compare
pages (#18)."""

from __future__ import annotations

from trainboard.analysis.tokenaxis import shared_x_keys, x_keys
from trainboard.roles import role_of
from trainboard.roles.steps import STEP_COUNTERS
from trainboard.store import PointBatch, RunRecord, Store


def _run(store: Store, run_id: str, series: dict[str, list[float]]) -> RunRecord:
    store.create_run(RunRecord(id=run_id, project="p", name=run_id))
    store.write_points(
        run_id,
        {k: PointBatch.of(range(len(v)), [float(i) for i in range(len(v))], v)
         for k, v in series.items()},
    )  # fmt: skip
    return store.get_run(run_id)


def test_keys_that_never_decrease_are_x_axes(store: Store) -> None:
    run = _run(store, "aaaaaaaaaaaa", {
        "iter_num": [0, 20, 40, 60],
        "images_seen": [0, 64, 64, 128],  # flat for a while: still never decreases
        "dips_then_ends_high": [1, 3, 2, 4],  # the summary alone cannot tell: it is read
        "loss": [4, 3, 2, 1],
        "constant": [5, 5, 5, 5],
        "step": [0, 1, 2, 3],  # the built-in axis, not a metric choice
        "sys/gpu0/mem": [1, 2, 3, 4],
    })  # fmt: skip
    assert x_keys(store, run) == ["images_seen", "iter_num"]


def test_compare_offers_a_key_only_where_no_run_saw_it_decrease(store: Store) -> None:
    a = _run(store, "aaaaaaaaaaaa", {"iter_num": [0, 1, 2], "acc": [0.1, 0.2, 0.3]})
    b = _run(store, "bbbbbbbbbbbb", {"iter_num": [0, 5, 9], "acc": [0.1, 0.3, 0.2]})
    c = _run(store, "cccccccccccc", {"epoch": [0, 1, 2]})
    assert shared_x_keys(store, [a, b, c]) == ["epoch", "iter_num"]


def test_every_step_counter_reads_as_a_counter() -> None:
    assert {k: role_of(k).role for k in STEP_COUNTERS} == dict.fromkeys(STEP_COUNTERS, "counter")
