"""trainboard: a training monitor and experiment tracker.

    import trainboard
    run = trainboard.init(project="qwen-sft", name="lr3e-5", config={"lr": 3e-5},
                          total_steps=2000)
    run.log({"train/loss": 2.31, "lr": 3e-5}, step=20)
    run.finish()                      # or: with trainboard.init(...) as run: ...

The module-level functions act on the current run (the one init() made last in this
context). Importing trainboard is light: no torch, numpy, fastapi or matplotlib until used.
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
from trainboard.sdk.context import current_run as _current_run
from trainboard.sdk.run import Run
from trainboard.sdk.start import init

if typing.TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from trainboard.api import Api

__version__ = "0.1.0"

__all__ = [
    "Api",
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
_LAZY = {"Api": "trainboard.api"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'trainboard' has no attribute {name!r}")


def current_run() -> Run | None:
    """The run module-level calls act on, or None before init() / after finish()."""
    return _current_run()


def _run(where: str) -> Run:
    run = _current_run()
    if run is None:
        raise UsageError(f"trainboard.{where}: no active run; call trainboard.init() first")
    return run


def log(data: Mapping[str, Any], step: int | None = None) -> None:
    """`Run.log` on the current run."""
    _run("log()").log(data, step)


def log_text(key: str, text: str, step: int | None = None) -> None:
    """`Run.log_text` on the current run."""
    _run("log_text()").log_text(key, text, step)


def log_histogram(key: str, values: Any, step: int | None = None) -> None:
    """`Run.log_histogram` on the current run."""
    _run("log_histogram()").log_histogram(key, values, step)


def log_artifact(
    path: str | os.PathLike[str],
    kind: str = "file",
    step: int | None = None,
    name: str | None = None,
    *,
    copy: bool = True,
) -> str | None:
    """`Run.log_artifact` on the current run."""
    return _run("log_artifact()").log_artifact(path, kind=kind, step=step, name=name, copy=copy)


def define_metric(name: str, goal: str | None = None, *, role: str | None = None) -> None:
    """`Run.define_metric` on the current run: what `name` is (`role`, one of
    trainboard.roles.ROLES) and whether "min" or "max" is better for it (`goal`)."""
    _run("define_metric()").define_metric(name, goal, role=role)


def finish(status: str = "finished", notes: str | None = None) -> None:
    """Finish the current run (nothing happens when there is none, as in wandb)."""
    run = _current_run()
    if run is not None:
        run.finish(status, notes)


def _notebook_display(run: Run) -> Any:
    """In a Jupyter kernel, show each new run live below its cell (trainboard.notebook)."""
    from trainboard.notebook import attach

    return attach(run)


if "ipykernel" in sys.modules:  # a notebook: no cost (and no IPython import) anywhere else
    from trainboard.sdk.start import INIT_HOOKS as _INIT_HOOKS

    _INIT_HOOKS.append(_notebook_display)
