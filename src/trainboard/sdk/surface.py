"""`RunSurface`: the part of a `Run` that the SDK's helpers call, as a typing protocol.

Why a protocol and not the `Run` class: `Run` (sdk/run.py) reaches every helper beside it
(the end of a run, the exit hooks, the current run, figures, the sentinel, the wandb
surface). Were those helpers to name `Run` in their annotations, each would import run.py
and run.py them: one import loop through the whole SDK, which tests/test_layers.py counts
even for imports made only for annotations. They name this protocol instead; it imports
nothing above `RunState` (sdk/state.py), so the imports point one way: helpers → surface →
state, and run.py → helpers. A helper that needs only what the run holds takes the
`RunState` itself (attached.py, ranks.py).

`Run` satisfies it structurally (mypy checks that wherever a `Run` is passed to a helper);
nothing subclasses it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from trainboard.sdk.state import RunState


class RunSurface(Protocol):
    """What helpers may use of a run: its identity and position, its state, and the public
    methods a helper hands work back to (log, log_text, log_histogram, log_artifact,
    update_config, flush, ask_to_stop)."""

    state: RunState
    interrupted: bool  # SIGINT arrived: the run ends as killed, extras skip their last work

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def project(self) -> str: ...

    @property
    def step(self) -> int: ...

    @property
    def store_url(self) -> str: ...

    @property
    def enabled(self) -> bool: ...

    @property
    def finished(self) -> bool: ...

    @property
    def should_stop(self) -> bool: ...

    @property
    def outcome(self) -> tuple[str, str | None] | None: ...

    @property
    def last_values(self) -> dict[str, Any]: ...

    def log(
        self, data: Mapping[str, Any], step: int | None = None, commit: bool | None = None
    ) -> None: ...

    def log_text(self, key: str, text: str, step: int | None = None) -> None: ...

    def log_histogram(self, key: str, values: Any, step: int | None = None) -> None: ...

    def log_artifact(
        self,
        path: str | os.PathLike[str],
        kind: str = "file",
        step: int | None = None,
        name: str | None = None,
    ) -> Any: ...

    def update_config(self, values: Mapping[str, Any]) -> None: ...

    def flush(self, timeout: float | None = None) -> bool: ...

    def ask_to_stop(self, by: str = "the script") -> None: ...


__all__ = ["RunSurface"]
