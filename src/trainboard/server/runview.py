"""A stored run as the API shows it (`RunOut` in docs/api.md).

Every number here comes from trainboard.analysis (progress, ranking, status); this module only
puts them side by side and spells them for JSON. The runs list builds thousands of these per
request, so nothing here reads points: summaries only.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from trainboard.analysis.compare import RunRank, rank_in_groups
from trainboard.analysis.health import health_for
from trainboard.analysis.progress import progress_for, progress_from_summary
from trainboard.analysis.status import effective_status
from trainboard.server.jsonio import clean, num
from trainboard.store.base import MetricSummary, RunRecord, Store

_NO_RANK = RunRank(False, None, None, None)


def summary_json(summary: dict[str, MetricSummary]) -> dict[str, dict[str, Any]]:
    """A run's summaries as JSON; the common all-finite case skips the per-field work."""
    out: dict[str, dict[str, Any]] = {}
    for key, s in summary.items():
        d = dict(s.__dict__)
        if not (_finite(s.last) and _finite(s.min) and _finite(s.max)):
            d["last"], d["min"], d["max"] = num(s.last), num(s.min), num(s.max)
        out[key] = d
    return out


def _finite(v: float) -> bool:
    return v - v == 0.0  # False for NaN and ±inf, cheaper than math.isfinite per call


def health_json(store: Store, run: RunRecord, now: float) -> dict[str, Any]:
    """`HealthOut`: the verdict of trainboard.analysis.health (reads downsampled series)."""
    return health_for(store, run, now).to_json()


def detail_progress(store: Store, run: RunRecord, now: float) -> dict[str, Any]:
    """`ProgressOut` with smoothed rates from the newest points (one run's page)."""
    return progress_for(store, run, now).to_json()


def run_json(
    run: RunRecord,
    rank: RunRank | None = None,
    now: float | None = None,
    progress: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`RunOut`: the stored run, its progress, and where it stands in its model group.

    Without `progress`, it comes from the summaries alone (the list's cheap variant)."""
    now = time.time() if now is None else now
    rank = rank or _NO_RANK
    status = effective_status(run, now)
    if progress is None:
        progress = progress_from_summary(run, now=now, status=status).to_json()
    return {
        "id": run.id,
        "name": run.name,
        "project": run.project,
        "model": run.model,
        "status": status,
        "archived": run.archived,
        "tags": run.tags,
        "config": clean(run.config),
        "total_steps": run.total_steps,
        "last_step": run.last_step,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
        "heartbeat_at": run.heartbeat_at,
        "host": run.host,
        "pid": run.pid,
        "goals": run.goals,
        "notes": run.notes,
        "duration_s": progress["elapsed_s"],
        "summary": summary_json(run.summary),
        "progress": progress,
        "current_loss": progress["loss"],
        "best_eval_loss": num(rank.best_value),
        "eval_key": rank.metric,
        "group_best": rank.group_best,
        "delta_to_best_pct": num(rank.delta_pct),
    }


def runs_json(runs: Sequence[RunRecord]) -> list[dict[str, Any]]:
    """Many runs, ranked against each other within their model groups."""
    ranks = rank_in_groups(runs)
    now = time.time()
    return [run_json(r, ranks.get(r.id), now) for r in runs]
