"""A stored run as a document (`RunOut` and `RunDetailOut` in docs/api.md): the one builder
behind GET /runs and /runs/{id}, the read API's `StoredRun.to_json()` and `trainboard show
--json`, so the three never differ.

Every number here comes from trainboard.analysis (progress, ranking, status); this module only
puts them side by side and spells them for JSON. The runs list builds thousands of these per
request, so nothing here reads points: summaries only. It imports nothing of the server: a
notebook reading runs never loads FastAPI.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Mapping, Sequence
from typing import Any, cast

from trainboard.analysis import format as fmt
from trainboard.analysis.colors import metric_colors
from trainboard.analysis.compare import RunRank, rank_in_groups
from trainboard.analysis.health import health_for
from trainboard.analysis.progress import SummaryProgress, progress_for
from trainboard.analysis.rank import Group, group_peers
from trainboard.analysis.status import effective_status
from trainboard.analysis.tokenaxis import x_keys
from trainboard.jsonvalues import spell, spell_all
from trainboard.roles import roles_of, run_keys
from trainboard.store.base import Store
from trainboard.store.queries import GroupLeaders, RunQuery
from trainboard.store.records import MetricSummary, RunRecord

_NO_RANK = RunRank(False, None, None, None)


def summary_json(summary: dict[str, MetricSummary]) -> Any:
    """A run's summaries as JSON. orjson writes a MetricSummary (a dataclass) as the documented
    object by itself, so the common all-finite summary goes out as it is, with no copy; only a
    summary holding NaN/±inf is spelled out field by field."""
    for s in summary.values():
        if (s.last - s.last) + (s.min - s.min) + (s.max - s.max) != 0.0:  # NaN when not finite
            return {k: s.to_json() for k, s in summary.items()}
    return summary


def _clean_config(config: dict[str, Any]) -> dict[str, Any]:
    """`spell_all(config)` without rebuilding a config that holds no float to spell (the usual
    case: configs read from the store were stored as JSON, where NaN became null)."""
    for v in config.values():
        if type(v) is float:
            if v - v != 0.0:
                return cast(dict[str, Any], spell_all(config))
        elif isinstance(v, dict | list | tuple):
            return cast(dict[str, Any], spell_all(config))
    return config


def health_json(store: Store, run: RunRecord, now: float) -> dict[str, Any]:
    """`HealthOut`: the verdict of trainboard.analysis.health (reads downsampled series)."""
    return health_for(store, run, now).to_json()


def detail_progress(store: Store, run: RunRecord, now: float) -> dict[str, Any]:
    """`ProgressOut` with smoothed rates from the newest points (one run's page)."""
    return progress_for(store, run, now).to_json()


def best_label(rank: RunRank) -> str | None:
    """What the list's "best" value is: the measure the run's group is ranked on ("eval loss",
    "train loss", "eval accuracy"), whatever the run's own key for it is called."""
    return rank.measure


_ROLES_JSON: dict[tuple[tuple[str, ...], tuple[tuple[str, str], ...]], dict[str, Any]] = {}


def roles_json(run: RunRecord) -> dict[str, Any]:
    """`RoleOut` of every key the run logged (trainboard.roles, with its definitions).

    Runs of one project log the same keys, so the JSON is made once per set of keys and
    definitions and shared (read-only) between the runs of a list."""
    sig = (tuple(run.summary), tuple(run.goals.items()))
    out = _ROLES_JSON.get(sig)
    if out is None:
        if len(_ROLES_JSON) > 4096:
            _ROLES_JSON.clear()
        out = {k: r.to_json() for k, r in roles_of(run.summary, run.goals).items()}
        _ROLES_JSON[sig] = out
    return out


def _best_text(rank: RunRank) -> str:
    """The run's value, "none" when it logged no key for its group's measure (`best_note`
    says why), "—" when its group has no measure."""
    if rank.metric is not None:
        return fmt.number(rank.best_value)
    return "none" if rank.note is not None else fmt.UNKNOWN


def run_json(
    run: RunRecord,
    rank: RunRank | None = None,
    now: float | None = None,
    progress: dict[str, Any] | None = None,
    *,
    summary_progress: SummaryProgress | None = None,
    host: str | None = None,
    row: bool = False,
) -> dict[str, Any]:
    """`RunOut`: the stored run, its progress, and where it stands in its model group.

    Without `progress`, it comes from the summaries alone (the list's cheap variant, through
    `summary_progress` when many runs share one). `row` leaves out `config` and `summary`,
    which a list row does not show (GET /runs?fields=row): half the bytes to write and parse."""
    now = time.time() if now is None else now
    rank = rank or _NO_RANK
    status = effective_status(run, now, host)
    if progress is None:
        progress = (summary_progress or SummaryProgress(now)).json(run, status)
    out = {
        "id": run.id,
        "name": run.name,
        "project": run.project,
        "model": run.model,
        "status": status,
        "archived": run.archived,
        "chosen": run.chosen,
        "tags": run.tags,
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
        "progress": progress,
        "current_loss": progress["loss"],
        "best_eval_loss": spell(rank.best_value),
        "eval_key": rank.metric,
        "best_label": best_label(rank),
        "best_text": _best_text(rank),
        "best_note": rank.note,
        "delta_text": fmt.delta_pct(rank.delta_pct)
        + (" so far" if status == "running" and rank.delta_pct is not None else ""),
        "group_best": rank.group_best,
        "delta_to_best_pct": spell(rank.delta_pct),
    }
    if not row:
        out["config"] = _clean_config(run.config)
        out["summary"] = summary_json(run.summary)
        out["roles"] = roles_json(run)
        out["keys_by_role"] = run_keys(run.summary, run.goals).to_json()
        out["colors"] = metric_colors(run.summary)
    return out


def runs_json(
    runs: Sequence[RunRecord],
    peers: Mapping[Group, GroupLeaders] | None = None,
    *,
    row: bool = False,
) -> list[dict[str, Any]]:
    """Many runs, ranked within their model groups: against each other, or, with `peers`
    (analysis.rank.group_peers), against every run of the list the page was cut from."""
    ranks = rank_in_groups(runs, peers=peers)
    now = time.time()
    host = socket.gethostname()
    progress = SummaryProgress(now)
    return [
        run_json(r, ranks.get(r.id), now, summary_progress=progress, host=host, row=row)
        for r in runs
    ]


def run_document(store: Store, run: RunRecord, now: float | None = None) -> dict[str, Any]:
    """`run_detail_json` as plain JSON values, exactly as GET /runs/{id} sends it (numpy
    values as lists, NaN and ±inf spelled where the API spells them)."""
    import orjson

    body = run_detail_json(store, run, now)
    opts = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
    out: dict[str, Any] = orjson.loads(orjson.dumps(body, option=opts))
    return out


def run_detail_json(store: Store, run: RunRecord, now: float | None = None) -> dict[str, Any]:
    """`RunDetailOut` (GET /runs/{id}, and trainboard.Api's `run.to_json()`): the run ranked
    within the group the Runs page shows it in (its model, else its project), with its
    progress, health and keys."""
    now = time.time() if now is None else now
    query = RunQuery(model=run.model) if run.model is not None else RunQuery(project=run.project)
    rank = rank_in_groups([run], peers=group_peers(store, query, [run])).get(run.id)
    return {
        "run": run_json(run, rank, now, detail_progress(store, run, now)),
        "health": health_json(store, run, now),
        "keys": sorted(run.summary),
        "x_keys": x_keys(store, run),
        "run_summary": store.read_run_values(run.id, "summary"),  # wandb's run.summary
        "events": [e.__dict__ for e in store.read_events(run.id)],  # alerts
    }
