"""trainboard: a training monitor and experiment tracker.

    import trainboard
    run = trainboard.init(project="qwen-sft", name="lr3e-5", config={"lr": 3e-5},
                          total_steps=2000)
    run.log({"train/loss": 2.31, "lr": 3e-5}, step=20)
    run.finish()                      # or: with trainboard.init(...) as run: ...

The module-level functions act on the current run (the one init() made last in this
context). Importing trainboard is light: no torch, numpy, fastapi or matplotlib until used.

It is also a wandb stand-in (`import trainboard as wandb`, docs/wandb_compatibility.md):
`init()` takes wandb's arguments, `trainboard.run` / `config` / `summary` are the current
run's (module attributes served by `__getattr__`), and wandb's data types, `watch`, `alert`,
`save` and `Artifact` are here. `trainboard.wandb` is the same surface as a module that can
stand in as `wandb` itself.
"""

from __future__ import annotations

import os
import sys
import typing

from trainboard.errors import (
    ConfirmationRequiredError,
    ImportFormatError,
    MissingExtraError,
    RunNotFoundError,
    StoreError,
    TrainboardError,
    TrainboardWarning,
    UsageError,
)
from trainboard.sdk.media import Audio, Image, Table, Video
from trainboard.sdk.run import Run
from trainboard.sdk.run import current_run as _current_run
from trainboard.sdk.wandb.compat import AlertLevel, Settings
from trainboard.sdk.wandb.datatypes import (
    Artifact,
    Histogram,
    Html,
    Molecule,
    Object3D,
    Plotly,
)
from trainboard.sdk.wandb.init import CurrentConfig as _CurrentConfig
from trainboard.sdk.wandb.init import init

if typing.TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from trainboard.read import Api

__version__ = "0.1.0"

__all__ = [
    "Api",
    "AlertLevel",
    "Artifact",
    "Audio",
    "Histogram",
    "Html",
    "Image",
    "Molecule",
    "Object3D",
    "Plotly",
    "Settings",
    "Table",
    "Video",
    "alert",
    "config",
    "login",
    "save",
    "unwatch",
    "watch",
    "watch_ddp",
    "ConfirmationRequiredError",
    "ImportFormatError",
    "MissingExtraError",
    "Run",
    "RunNotFoundError",
    "StoreError",
    "TrainboardError",
    "TrainboardWarning",
    "UsageError",
    "__version__",
    "current_run",
    "define_metric",
    "finish",
    "init",
    "log",
    "log_artifact",
    "log_histogram",
    "log_text",
]


# Names imported on first use, so `import trainboard` stays light (Api pulls in numpy and the
# store): {name: module that defines it}.
_LAZY = {"Api": "trainboard.read"}


def current_run() -> Run | None:
    """The run module-level calls act on, or None before init() / after finish()."""
    return _current_run()


def _run(where: str) -> Run:
    run = _current_run()
    if run is None:
        raise UsageError(f"trainboard.{where}: no active run; call trainboard.init() first")
    return run


def log(data: Mapping[str, Any], step: int | None = None, commit: bool | None = None) -> None:
    """`Run.log` on the current run (`commit=False`, as in wandb, keeps the step open)."""
    _run("log()").log(data, step, commit)


def log_text(key: str, text: str, step: int | None = None) -> None:
    """`Run.log_text` on the current run."""
    _run("log_text()").log_text(key, text, step)


def log_histogram(key: str, values: Any, step: int | None = None) -> None:
    """`Run.log_histogram` on the current run."""
    _run("log_histogram()").log_histogram(key, values, step)


def log_artifact(
    path: str | os.PathLike[str] | Artifact,
    kind: str = "file",
    step: int | None = None,
    name: str | None = None,
    *,
    copy: bool = True,
    type: str | None = None,
    aliases: Any = None,
    tags: Any = None,
) -> Any:
    """`Run.log_artifact` on the current run (a path, or a wandb-style `Artifact`)."""
    return _run("log_artifact()").log_artifact(
        path, kind=kind, step=step, name=name, copy=copy, type=type
    )


def define_metric(
    name: str,
    goal: str | None = None,
    *,
    role: str | None = None,
    step_metric: str | None = None,
    summary: str | None = None,
    hidden: bool | None = None,
    step_sync: bool | None = None,
    overwrite: bool | None = None,
) -> None:
    """`Run.define_metric` on the current run: what `name` is (`role`, one of
    trainboard.roles.ROLES) and whether "min" or "max" is better for it (`goal`); wandb's
    step_metric, summary, hidden, goal="minimize"|"maximize" and glob names too."""
    _run("define_metric()").define_metric(
        name, goal, role=role, step_metric=step_metric, summary=summary, hidden=hidden
    )


def finish(
    status: str = "finished",
    notes: str | None = None,
    *,
    exit_code: int | None = None,
    quiet: bool | None = None,
) -> None:
    """Finish the current run (nothing happens when there is none, as in wandb);
    `exit_code` other than 0 ends it as failed."""
    run = _current_run()
    if run is not None:
        run.finish(status, notes, exit_code=exit_code)


def alert(title: str, text: str, level: Any = None, wait_duration: Any = None) -> None:
    """`Run.alert` on the current run: kept as a run event, shown on the Run page."""
    _run("alert()").alert(title, text, level, wait_duration)


def save(glob_str: str, base_path: str | None = None, policy: str = "live") -> list[str]:
    """`Run.save` on the current run: matching files are kept as artifacts."""
    return _run("save()").save(glob_str, base_path, policy)


def watch(
    models: Any,
    criterion: Any = None,
    log: str | None = "gradients",
    log_freq: int = 1000,
    idx: int | None = None,
    log_graph: bool = False,
) -> None:
    """`Run.watch` on the current run: histograms and grad norm of torch models."""
    _run("watch()").watch(models, log=log, log_freq=log_freq)


def watch_ddp(model: Any) -> bool:
    """`Run.watch_ddp` on the current run: time this rank's wait in DDP's all-reduce, the
    straggler signal of a job whose ranks synchronise every step."""
    return _run("watch_ddp()").watch_ddp(model)


def unwatch(models: Any = None) -> None:
    """Stop watching torch models (all of them when None)."""
    run = _current_run()
    if run is not None:
        run.unwatch(models)


def login(*args: Any, **kwargs: Any) -> bool:
    """wandb.login(): nothing to log in to (trainboard is local or token-based); True."""
    return True


_WANDB_EXTRAS = (
    "setup",
    "teardown",
    "require",
    "mark_preempting",
    "termlog",
    "termwarn",
    "termerror",
)


def __getattr__(name: str) -> Any:
    """Names imported on first use (_LAZY), and `trainboard.run`, `.summary`: the
    current run's, as wandb's module has them
    (a run or None; before init(), a config that goes nowhere and an empty summary). Other
    wandb module names (setup, require, teardown...) come from trainboard.wandb."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name == "run":
        return _current_run()
    if name == "summary":
        run = _current_run()
        return run.summary if run is not None else {}
    if name in _WANDB_EXTRAS:
        import importlib

        return getattr(importlib.import_module("trainboard.wandb"), name)
    raise AttributeError(f"module 'trainboard' has no attribute {name!r}")


config = _CurrentConfig()
"""wandb's `config`: the current run's config, whichever run is current when it is used."""


def _notebook_display(run: Run) -> Any:
    """In a Jupyter kernel, show each new run live below its cell (trainboard.notebook)."""
    from trainboard.notebook import attach

    return attach(run)


if "ipykernel" in sys.modules:  # a notebook: no cost (and no IPython import) anywhere else
    from trainboard.sdk.start import INIT_HOOKS as _INIT_HOOKS

    _INIT_HOOKS.append(_notebook_display)
