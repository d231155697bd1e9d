"""The methods and properties a wandb script calls on its run that trainboard's own surface
has no use for (`alert`, `save`, `watch`, `dir`, `entity`...).

`Run` takes them from this base class, so they change with wandb's API and not with
trainboard's; each hands over to trainboard.sdk.wandb.compat or .watch, imported when
first called (a plain trainboard script never loads them). The methods that hand the run
itself over say so with `self: RunSurface` (sdk/surface.py): the helpers take that protocol,
which `Run` satisfies, and this base class is never used alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trainboard.sdk.state import RunState
    from trainboard.sdk.surface import RunSurface


class WandbMethods:
    """The wandb-only part of `trainboard.sdk.run.Run`."""

    state: RunState

    def alert(
        self: RunSurface, title: str, text: str, level: Any = None, wait_duration: Any = None
    ) -> None:
        """Keep an alert (level INFO, WARN or ERROR) as a run event, shown on the Run page."""
        from trainboard.sdk.wandb.compat import alert

        alert(self, title, text, level, wait_duration)

    def save(
        self: RunSurface, glob_str: str, base_path: str | None = None, policy: str = "live"
    ) -> list[str]:
        """Keep files matching `glob_str` as artifacts (kind "file")."""
        from trainboard.sdk.wandb.compat import save

        return save(self, glob_str, base_path, policy)

    def watch(
        self: RunSurface,
        models: Any,
        criterion: Any = None,
        log: str | None = "gradients",
        log_freq: int = 1000,
        idx: int | None = None,
        log_graph: bool = False,
    ) -> None:
        """Log weight and/or gradient histograms and the grad norm of torch models every
        `log_freq` steps (see trainboard.sdk.wandb.watch)."""
        from trainboard.sdk.wandb.watch import watch

        watch(self, models, log=log, log_freq=log_freq)

    def unwatch(self: RunSurface, models: Any = None) -> None:
        from trainboard.sdk.wandb.watch import unwatch

        unwatch(self, models)

    @property
    def dir(self: RunSurface) -> str:
        """Where this run's files are kept (its artifact folder)."""
        from trainboard.sdk.wandb.compat import artifact_dir_of

        return str(artifact_dir_of(self))

    @property
    def entity(self) -> str | None:
        return None

    @property
    def group(self) -> str | None:
        return next((t[6:] for t in self.state.record.tags if t.startswith("group:")), None)

    @property
    def disabled(self) -> bool:
        return self.state.noop

    @property
    def notes(self) -> str | None:
        return self.state.record.notes
