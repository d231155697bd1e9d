"""`trainboard.init()` with every argument wandb's init takes, so wandb scripts run unchanged.

trainboard's own arguments keep their meaning and their positions (project, name, model,
config, total_steps, tags, resume). wandb's map onto them:

    entity, dir, settings, save_code, magic, anonymous, force, monitor_gym, tensorboard,
    sync_tensorboard, allow_val_change, fork_from, name_prefix, tags_prefix
                accepted, ignored
    resume_from "RUN_ID?_step=N": continue run RUN_ID from its checkpoint at step N (the
                points it logged after N are kept as a superseded attempt)
    id          the run id (a resumed or new run gets exactly this id)
    resume      "allow"/"auto"/True: continue run `id` if it exists, else start it;
                "must": it has to exist; "never"/False/None: start anew;
                any other str is a trainboard run id to continue
    group       the tag "group:<group>"; job_type the tag "job_type:<job_type>"
    mode        "disabled": every call is accepted and nothing is stored; other modes record
    reinit      an active run is finished first, unless reinit="return_previous"
    config_exclude_keys / config_include_keys   filter the config
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from trainboard.errors import RunNotFoundError, UsageError
from trainboard.sdk import context
from trainboard.sdk.run import Run, current_run
from trainboard.sdk.start import _check_init
from trainboard.sdk.start import init as _tb_init
from trainboard.sdk.validate import as_config
from trainboard.sdk.wandb.config import Config

_MODES = ("online", "offline", "disabled", "shared", "dryrun", "run")
_RESUME_WORDS = ("allow", "auto", "must", "never")


def init(
    project: str | None = None,
    name: str | None = None,
    model: str | None = None,
    config: Any = None,
    total_steps: int | None = None,
    tags: Sequence[str] | None = None,
    resume: str | bool | None = None,
    *,
    notes: str | None = None,
    store: str | None = None,
    all_ranks: bool | None = None,
    figures: int | None = None,
    figures_dir: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
    hang_after: float | None = None,
    stop: str = "flag",
    fork: bool = False,
    resume_from_step: int | None = None,
    id: str | None = None,
    group: str | None = None,
    job_type: str | None = None,
    mode: str | None = None,
    reinit: bool | str | None = None,
    config_exclude_keys: Sequence[str] | None = None,
    config_include_keys: Sequence[str] | None = None,
    entity: Any = None,
    dir: Any = None,
    settings: Any = None,
    save_code: Any = None,
    magic: Any = None,
    anonymous: Any = None,
    force: Any = None,
    monitor_gym: Any = None,
    tensorboard: Any = None,
    sync_tensorboard: Any = None,
    allow_val_change: Any = None,
    resume_from: Any = None,
    fork_from: Any = None,
    name_prefix: Any = None,
    tags_prefix: Any = None,
) -> Run:
    """Start (or continue) a run and make it the current run.

    `store` overrides the store URL (default: TRAINBOARD_URL, else TRAINBOARD_DB, else the
    SQLite file under TRAINBOARD_HOME); under torchrun only rank 0 records unless
    `all_ranks=True`. `figures=N` rewrites the run's charts in `figures_dir` every N steps;
    `progress` shows a live progress line on stderr (default: on a terminal). `hang_after`
    is the seconds without a log() that make a hang alert, and `stop="raise"` makes log()
    raise RunStopped once the run is asked to stop (docs/alerts.md). `notes` is
    kept with the run. `resume_from_step=N` with `resume=RUN_ID` continues the run at its
    checkpoint step N (wandb's `resume_from="RUN_ID?_step=N"` too). The wandb arguments
    (`id`, `resume`, `group`, `job_type`, `mode`, `reinit`, `config_exclude_keys`,
    `config_include_keys`) are mapped as the module docstring says; `entity`, `dir`,
    `settings` and the rest are accepted and ignored."""
    if mode is not None and mode not in _MODES:
        raise UsageError(f"init(): mode must be one of {', '.join(_MODES)}, got {mode!r}")
    _check_init(project, name, model, total_steps, tags)
    cfg = as_config(config)
    previous = current_run()
    if previous is not None:
        if reinit == "return_previous":
            return previous
        previous.finish()
    if config_exclude_keys:
        cfg = {k: v for k, v in cfg.items() if k not in set(config_exclude_keys)}
    if config_include_keys:
        cfg = {k: v for k, v in cfg.items() if k in set(config_include_keys)}
    all_tags = list(tags or [])
    if group:
        all_tags.append(f"group:{group}")
    if job_type:
        all_tags.append(f"job_type:{job_type}")
    if mode == "disabled":
        return _disabled(project, name, model, cfg, total_steps, all_tags, notes)
    run_id, resume_id = _resume_plan(id, resume, store)
    from_step = resume_from_step
    if resume_from is not None:
        if resume_from_step is not None or resume_id is not None:
            raise UsageError("init(): resume_from names the run and the step; pass it alone")
        resume_id, from_step = _resume_from(resume_from)
        run_id = None
    return _tb_init(
        project,
        name or run_id,  # a run made with id= and no name is called by its id
        model,
        cfg,
        total_steps,
        all_tags or None,
        resume_id,
        notes=notes,
        store=store,
        all_ranks=all_ranks,
        run_id=run_id,
        figures=figures,
        figures_dir=figures_dir,
        progress=progress,
        hang_after=hang_after,
        stop=stop,
        group=group or None,  # the ranks of one job with one group are one run (sdk/ranks.py)
        fork=fork,
        resume_from_step=from_step,
    )


def _resume_from(value: Any) -> tuple[str, int]:
    """wandb's resume_from="RUN_ID?_step=N" as (run id, step)."""
    run_id, sep, query = value.partition("?") if isinstance(value, str) else ("", "", "")
    name, eq, step = query.partition("=")
    if not run_id or not sep or name != "_step" or not eq or not step.isdigit():
        raise UsageError(
            f'init(): resume_from must be "RUN_ID?_step=N" (N a step >= 0), got {value!r}'
        )
    return run_id, int(step)


def _resume_plan(
    run_id: str | None, resume: str | bool | None, store: str | None
) -> tuple[str | None, str | None]:
    """(id of a new run, id of a run to continue): at most one is set."""
    if isinstance(resume, str) and resume not in _RESUME_WORDS:
        return None, resume  # trainboard's resume=RUN_ID
    if run_id is not None and (not isinstance(run_id, str) or not 0 < len(run_id) <= 64):
        raise UsageError(f"init(): id must be a str of 1 to 64 chars, got {run_id!r}")
    if resume in (None, False, "never") or run_id is None:
        if resume == "must":
            raise UsageError('init(): resume="must" needs the id= of the run to continue')
        return run_id, None
    if _exists(run_id, store):
        return None, run_id
    if resume == "must":
        raise RunNotFoundError(run_id)
    return run_id, None


def _exists(run_id: str, store: str | None) -> bool:
    from trainboard.sdk.selection import open_selected, select_store

    url, remote = select_store(store)
    with open_selected(url, remote) as s:
        try:
            s.get_run(run_id)
        except RunNotFoundError:
            return False
    return True


def _disabled(
    project: str | None,
    name: str | None,
    model: str | None,
    cfg: dict[str, Any],
    total_steps: int | None,
    tags: list[str],
    notes: str | None,
) -> Run:
    """mode="disabled": a run that checks nothing and stores nothing (wandb's no-op run)."""
    import time

    from trainboard.sdk.names import default_name, new_run_id
    from trainboard.store.records import RunRecord

    rid = new_run_id()
    record = RunRecord(
        id=rid,
        project=project or "default",
        name=name or default_name(rid),
        model=model,
        config=cfg,
        tags=tags,
        total_steps=total_steps,
        created_at=time.time(),
        notes=notes,
    )
    run = Run(record, store_url="", writer=None)
    run.state.enabled = False
    run.state.noop = True
    context.set_current(run)
    return run


def detached_config() -> Config:
    """`wandb.config` before init(): a dict that goes nowhere (wandb's is a placeholder)."""
    return Config(None, {})


def _current_config() -> Config:
    run = current_run()
    return run.config if run is not None else detached_config()


class CurrentConfig:
    """`trainboard.config` / `wandb.config`: the current run's config (before init(), one that
    goes nowhere), whichever run is current when it is used, so `from trainboard import config`
    at the top of a script keeps working after init(). Attributes and items read and write
    it; `update()`, `keys()`, `items()`, `get()`, `in`, `len()` and iteration work on it.
    Settings are `trainboard.settings`, a module of their own."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return _current_config()[name]
        except KeyError:
            raise AttributeError(f"the current run's config has no key {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        _current_config().update({name: value})

    def __repr__(self) -> str:
        return repr(_current_config())

    def __getitem__(self, key: str) -> Any:
        return _current_config()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        _current_config().update({key: value})

    def __contains__(self, key: object) -> bool:
        return key in _current_config()

    def __iter__(self) -> Any:
        return iter(_current_config())

    def __len__(self) -> int:
        return len(_current_config())

    def keys(self) -> Any:
        return _current_config().keys()

    def items(self) -> Any:
        return _current_config().items()

    def values(self) -> Any:
        return _current_config().values()

    def get(self, key: str, default: Any = None) -> Any:
        return _current_config().get(key, default)

    def update(self, d: Any = None, allow_val_change: bool | None = None, **kw: Any) -> None:
        _current_config().update(d, **kw)

    def setdefaults(self, d: Any) -> None:
        _current_config().setdefaults(d)

    def setdefault(self, key: str, default: Any = None) -> Any:
        return _current_config().setdefault(key, default)

    def as_dict(self) -> dict[str, Any]:
        return dict(_current_config())
