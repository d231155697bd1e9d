"""trainboard as the `wandb` module, for scripts that `import wandb` and must not change.

    python -m trainboard.wandb_run train.py --lr 3e-4     # runs train.py with this module
                                                        # standing in for wandb
    import trainboard.wandb; trainboard.wandb.install()  # or in code, before `import wandb`

`install()` puts this module in `sys.modules["wandb"]`, so every later `import wandb` (and
`from wandb import ...`) gets trainboard's wandb surface: the same functions and classes as
`import trainboard as wandb` (docs/wandb_compatibility.md), plus the rarely used module
functions in EXTRAS as harmless no-ops.
"""

from __future__ import annotations

import sys
from typing import Any

from trainboard import (
    AlertLevel,
    Artifact,
    Audio,
    Histogram,
    Html,
    Image,
    Molecule,
    Object3D,
    Plotly,
    Run,
    Settings,
    Table,
    Video,
    alert,
    define_metric,
    finish,
    init,
    log,
    log_artifact,
    login,
    save,
    unwatch,
    watch,
)

__version__ = "0.0.0+trainboard"


def setup(*args: Any, **kwargs: Any) -> None:
    """wandb.setup(): nothing to set up."""


def teardown(exit_code: int | None = None) -> None:
    """wandb.teardown(): finish the current run."""
    finish(exit_code=exit_code)


def require(*args: Any, **kwargs: Any) -> None:
    """wandb.require("service") and friends: nothing to require."""


def mark_preempting() -> None:
    """wandb.mark_preempting(): a preempted run ends as killed through the signal handlers."""


def termlog(string: str = "", newline: bool = True, repeat: bool = True, **kwargs: Any) -> None:
    print(f"trainboard: {string}", end="\n" if newline else "", file=sys.stderr)


def termwarn(string: str, **kwargs: Any) -> None:
    termlog(f"WARNING {string}")


def termerror(string: str, **kwargs: Any) -> None:
    termlog(f"ERROR {string}")


def __getattr__(name: str) -> Any:
    """`wandb.run`, `wandb.config`, `wandb.summary`: the current run's."""
    import trainboard

    if name in ("run", "config", "summary"):
        return getattr(trainboard, name)
    raise AttributeError(f"trainboard's wandb stand-in has no attribute {name!r}")


def install() -> None:
    """Make `import wandb` return this module (for scripts that must not change)."""
    sys.modules["wandb"] = sys.modules[__name__]


__all__ = [
    "AlertLevel",
    "Artifact",
    "Audio",
    "Histogram",
    "Html",
    "Image",
    "Molecule",
    "Object3D",
    "Plotly",
    "Run",
    "Settings",
    "Table",
    "Video",
    "alert",
    "define_metric",
    "finish",
    "init",
    "install",
    "log",
    "log_artifact",
    "login",
    "mark_preempting",
    "require",
    "save",
    "setup",
    "teardown",
    "termerror",
    "termlog",
    "termwarn",
    "unwatch",
    "watch",
]
