"""The truth suite: does the health verdict find every injected fault, with no false alarm on
healthy runs, and how far off is the ETA? (DESIGN.md: all / none; ETA within 10% after 10% of a
steady run, within 20% with eval pauses.)

The runs are bench/truth_runs.py's: each check of issue #7 (and the older ones) injected into
a realistic run under at least two naming families, and healthy runs (noisy, slow warm-up,
heavy eval pauses, heavy checkpoint pauses) under every family, finished and still running.
The healthy shapes are also replayed as they train, the verdict asked every few steps as an
open page would: how often it changes per hour (DESIGN.md: at most 1), with the hysteresis
of analysis/hysteresis.py and without it.
They are written into a real SQLite store and judged by `health_for` and `progress_for`, the
functions the API and the CLI call.

bench/truth_compare.py adds the comparisons: the same runs logged the way each tool logs them
(trainboard, Hugging Face, Lightning, the TensorBoard guides, nanoGPT), alone and mixed, must
give the true winner in Compare, `best_run` and the Runs list (`comparisons_agree_fraction`,
target 1.0).

Run as `python -m bench.tb_truth truth --dir DIR [--quick]`; prints one JSON line. The unit
test tests/analysis/test_truth.py runs the same `verdicts`, `eta_errors` and `comparisons`.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from bench.truth_compare import agreement, comparisons
from bench.truth_runs import (
    ETA_FRACTIONS,
    ETA_SHAPES,
    FAMILIES,
    HEALTHY,
    Case,
    cases,
    healthy,
)
from trainboard.analysis.health import health_for
from trainboard.analysis.progress import progress_for
from trainboard.store import open_store
from trainboard.store.base import Store
from trainboard.store.records import PointBatch, RunRecord


def write_case(store: Store, rid: str, case: Case) -> tuple[RunRecord, float]:
    """The case as a stored run; returns the record and the clock to judge it at."""
    keyed = {k: cols for k, cols in case.keyed().items() if len(cols[0])}
    first = min(float(t[0]) for _, t, _ in keyed.values())
    last = max(float(t[-1]) for _, t, _ in keyed.values())
    now = last + case.now_after
    store.create_run(
        RunRecord(
            rid,
            "truth",
            case.name,
            created_at=first - 30.0,
            total_steps=case.total_steps,
            config=case.config,
            heartbeat_at=now,
        )  # fmt: skip
    )
    store.write_points(rid, {k: PointBatch.of(s, t, v) for k, (s, t, v) in keyed.items()})
    if case.status == "finished":
        store.update_run(rid, status="finished", finished_at=last + 1.0)
    return store.get_run(rid), now


def verdicts(store: Store) -> list[dict[str, Any]]:
    """Every case judged: what it injected, what the verdict found."""
    out = []
    for i, case in enumerate(cases()):
        run, now = write_case(store, f"{i:012x}", case)
        h = health_for(store, run, now=now)
        found = [f.check for f in h.findings]
        out.append({"case": case.name, "fault": case.fault, "found": found, "summary": h.summary})
    return out


def eta_errors(store: Store) -> dict[str, dict[float, list[float]]]:
    """Relative ETA error (|eta - real remaining| / real remaining) of running runs cut at each
    of ETA_FRACTIONS, for the steady shapes and the ones with eval pauses."""
    out: dict[str, dict[float, list[float]]] = {}
    n = 0
    for kind, shapes in ETA_SHAPES.items():
        per: dict[float, list[float]] = {f: [] for f in ETA_FRACTIONS}
        for shape in shapes:
            full = healthy(shape)
            end = float(full["loss"][1][-1])
            for frac in ETA_FRACTIONS:
                k = int(shape.steps * frac)
                cut = {role: (s[s <= k], t[s <= k], v[s <= k]) for role, (s, t, v) in full.items()}
                case = Case(f"eta-{kind}-{frac}", "trainboard", None, cut, shape.steps,
                            status="running", now_after=0.0)  # fmt: skip
                run, now = write_case(store, f"e{n:011x}", case)
                n += 1
                p = progress_for(store, run, now=now)
                real = end - now
                err = abs((p.eta_s if p.eta_s is not None else float("inf")) - real) / real
                per[frac].append(err)
        out[kind] = per
    return out


ASK_EVERY = 10  # steps between two looks at a replayed run (a page refreshing as it trains)


def verdict_flips(
    store: Store,
    steady: bool = True,
    family: str = "trainboard",
    ask_every: int = ASK_EVERY,
    shapes: tuple[str, ...] = tuple(HEALTHY),
) -> dict[str, Any]:
    """Each healthy shape replayed as it trains: its points written in step order and the
    verdict asked every ASK_EVERY steps at the clock of the newest point, as an open page
    would. Counts how often the verdict changes (healthy/warning/critical) and what it said;
    the rate is per hour of the runs' own time."""
    flips = 0
    hours = 0.0
    seen: dict[str, int] = {}
    for j, name in enumerate(shapes):
        shape = HEALTHY[name]
        case = Case(f"replay-{name}", family, None, healthy(shape), shape.steps, "running")
        keyed = {k: cols for k, cols in case.keyed().items()}
        rid = f"f{int(steady)}{ask_every:04x}{j:06x}"
        first = min(float(t[0]) for _, t, _ in keyed.values())
        store.create_run(
            RunRecord(rid, "truth", case.name, created_at=first - 30.0, total_steps=shape.steps)
        )
        last_verdict = None
        done = 0
        for upto in range(ask_every, shape.steps + 1, ask_every):
            batch = {}
            for k, (s, t, v) in keyed.items():
                pick = (s > done) & (s <= upto)
                if pick.any():
                    batch[k] = PointBatch.of(s[pick], t[pick], v[pick])
            store.write_points(rid, batch)
            done = upto
            run = store.get_run(rid)
            now = max(float(t[s <= upto][-1]) for s, t, _ in keyed.values() if (s <= upto).any())
            h = health_for(store, run, now=now, steady=steady)
            if h.verdict != "healthy":
                for f in h.findings:
                    seen[f.check] = seen.get(f.check, 0) + 1
            if last_verdict is not None and h.verdict != last_verdict:
                flips += 1
            last_verdict = h.verdict
        loss_t = case.series["loss"][1]
        hours += (float(loss_t[-1]) - float(loss_t[0])) / 3600
    return {"flips": flips, "hours": round(hours, 3), "per_hour": flips / hours, "found": seen}


def truth(d: Path, quick: bool) -> dict[str, Any]:
    d.mkdir(parents=True, exist_ok=True)
    store = open_store(f"sqlite:///{d / 'truth.db'}")
    t0 = time.perf_counter()
    judged = verdicts(store)
    etas = eta_errors(store)
    ask = 25 if quick else ASK_EVERY
    flips = verdict_flips(store, ask_every=ask)
    before = verdict_flips(store, steady=False, ask_every=ask)
    compared = agreement(comparisons(store, 3 if quick else 12))
    store.close()
    faults = [j for j in judged if j["fault"] is not None]
    missed = [j["case"] for j in faults if j["fault"] not in j["found"]]
    healthy_runs = [j for j in judged if j["fault"] is None]
    alarms = [f"{j['case']}: {', '.join(j['found'])}" for j in healthy_runs if j["found"]]
    result: dict[str, Any] = {
        "faults": len(faults),
        "faults_found": len(faults) - len(missed),
        "faults_missed": len(missed),
        "missed": missed,
        "healthy_runs": len(healthy_runs),
        "false_alarms": len(alarms),
        "alarms": alarms,
        "families": sorted(FAMILIES),
        "verdict_asked_every_steps": ask,
        "verdict_changes_per_hour_healthy": round(flips["per_hour"], 2),
        "verdict_changes_healthy": flips["flips"],
        "verdict_changes_hours": flips["hours"],
        "verdict_changes_findings": flips["found"],
        "verdict_changes_per_hour_without_hysteresis": round(before["per_hour"], 2),
        "verdict_changes_without_hysteresis_findings": before["found"],
        "seconds": round(time.perf_counter() - t0, 1),
        **compared,
    }
    for kind, per in etas.items():
        slug = kind.replace(" ", "_")
        for frac, errs in per.items():
            pct = int(frac * 100)
            result[f"eta_err_{slug}_{pct}_max_pct"] = round(100 * max(errs), 1)
            result[f"eta_err_{slug}_{pct}_median_pct"] = round(100 * statistics.median(errs), 1)
    return result


if __name__ == "__main__":
    from bench.common import workload_main

    workload_main({"truth": truth})
