"""The verdict's hysteresis (trainboard.analysis.hysteresis): a warning shows once it has held
at PERSIST cuts of the run in a row and goes once it has been absent as long; critical
findings and stalls are not delayed; the cuts sit on a grid that a growing run keeps."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trainboard.analysis.findings import Finding
from trainboard.analysis.health import health_for
from trainboard.analysis.hysteresis import PERSIST, cut_steps, settle
from trainboard.store import open_store
from trainboard.store.records import PointBatch, RunRecord

T0 = 1_700_000_000.0


def _seen(*checks: str) -> dict[str, Finding]:
    return {c: Finding(c, "warning", f"saw {c}", "try") for c in checks}


def test_one_cut_of_a_warning_is_not_shown() -> None:
    history = [_seen(), _seen(), _seen("x"), _seen(), _seen(), _seen("x")]
    assert settle(history) == {}


def test_a_warning_shows_after_persist_cuts_and_goes_after_as_many() -> None:
    on = [_seen()] * 4 + [_seen("x")] * PERSIST
    assert list(settle(on)) == ["x"]
    assert settle(on[:-1]) == {}
    # a gap of fewer than PERSIST cuts does not clear it
    assert list(settle([*on, _seen(), _seen("x")])) == ["x"]
    assert settle(on + [_seen()] * PERSIST) == {}
    # shown from the start only when every one of the first PERSIST cuts had it
    assert list(settle([_seen("x")] * PERSIST)) == ["x"]
    assert settle([_seen("x"), _seen(), _seen("x")]) == {}


def test_a_shown_warning_carries_its_newest_text() -> None:
    newer = {"x": Finding("x", "warning", "newer numbers", "try")}
    assert settle([*[_seen("x")] * PERSIST, newer])["x"].saw == "newer numbers"


def test_cuts_keep_their_grid_as_the_run_grows() -> None:
    assert cut_steps(1) == []
    assert cut_steps(8) == [1, 2, 3, 4, 5, 6, 7]
    a, b = cut_steps(2000), cut_steps(2010)
    assert (
        len(a) == 12 and a[-1] < 2000 and all(y - x == 16 for x, y in zip(a, a[1:], strict=False))
    )
    assert set(a) & set(b) and all(c % 16 == 0 for c in b)


def _write(store_path: Path, losses: list[float], grads: list[float]) -> tuple[object, object]:
    store = open_store(f"sqlite:///{store_path}")
    store.create_run(
        RunRecord("hyst00000001", "p", "h", created_at=T0, config={"max_grad_norm": 1.0})
    )
    steps = np.arange(1, len(losses) + 1)
    times = T0 + steps * 1.0
    store.write_points(
        "hyst00000001",
        {
            "train/loss": PointBatch.of(steps, times, losses),
            "grad_norm": PointBatch.of(steps, times, grads),
        },
    )
    return store, store.get_run("hyst00000001")


def test_health_waits_for_a_warning_to_persist(tmp_path: Path) -> None:
    n = 400
    losses = list(3.0 * np.exp(-np.arange(n) / 100) + 1.0)
    # at the clip on every other step (50%: not "more than half"), and on each of the last
    # 4: the raw check fires on the newest points alone, the verdict waits for more
    grads = [1.0 if i % 2 else 0.5 for i in range(n)]
    grads[-4:] = [1.0] * 4
    store, run = _write(tmp_path / "h.db", losses, grads)
    now = T0 + n + 1
    raw = health_for(store, run, now=now, steady=False)  # type: ignore[arg-type]
    assert [f.check for f in raw.findings] == ["grad_clipped"]
    steady = health_for(store, run, now=now)  # type: ignore[arg-type]
    assert steady.verdict == "healthy", steady.summary


def test_critical_is_not_delayed(tmp_path: Path) -> None:
    n = 200
    losses = list(3.0 * np.exp(-np.arange(n) / 50) + 1.0)
    losses[-1] = float("nan")
    store, run = _write(tmp_path / "c.db", losses, [0.5] * n)
    h = health_for(store, run, now=T0 + n + 1)  # type: ignore[arg-type]
    assert h.verdict == "critical" and h.findings[0].check == "loss_nan"
