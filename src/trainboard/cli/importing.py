"""`trainboard import jsonl FILE` and `trainboard import tensorboard LOGDIR`, once or
`--follow`: bring runs logged elsewhere into the store.

`import_app` is a sub-command group, so other formats add `@import_app.command("NAME")`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from trainboard.cli._common import console, handles_errors, open_cli_store

import_app = typer.Typer(help="Import runs from log files.", no_args_is_help=True)


@import_app.command("jsonl")
@handles_errors
def jsonl(
    file: Annotated[Path, typer.Argument(help="A train_log.jsonl: one JSON object per line.")],
    project: str = typer.Option("imported", "--project", help="Project of the new run."),
    name: str | None = typer.Option(None, "--name", help="Run name (default: from the file)."),
    model: str | None = typer.Option(None, "--model", help="Model the run trained."),
    follow: bool = typer.Option(
        False, "--follow", help="Keep reading the file while a job appends to it (Ctrl+C stops)."
    ),
    interval: float = typer.Option(0.5, "--interval", help="Seconds between reads (--follow)."),
) -> None:
    """Import a train_log.jsonl (step, loss, grad_norm, seconds, tokens, ...) as one run;
    with --follow, as a live run while a job still appends to it."""
    from trainboard.integrations.jsonl import import_jsonl

    if follow:
        _follow_jsonl(file, project, name, model, interval)
        return
    with open_cli_store() as store:
        run = import_jsonl(store, file, project=project, name=name, model=model)
        texts = len(store.read_texts(run.id))
    points = sum(s.count for s in run.summary.values())
    console().print(
        f"imported {run.name} ({run.id}) into project {run.project}: {points:,} points in "
        f"{len(run.summary)} metrics, {texts} texts, last step {run.last_step}"
    )


def _follow_jsonl(
    file: Path, project: str, name: str | None, model: str | None, interval: float
) -> None:
    from trainboard.integrations.jsonl_follow import FollowState, follow_jsonl

    out = console()

    def report(state: FollowState, points: int) -> None:
        if points:
            out.print(f"{time.strftime('%H:%M:%S')} {points:,} points (line {state.lines:,})")

    with open_cli_store() as store:
        out.print(f"following {file} (Ctrl+C to stop)")
        try:
            follow_jsonl(
                store, file, project=project, name=name, model=model, interval=interval,
                on_pass=report,
            )  # fmt: skip
        except KeyboardInterrupt:
            out.print("stopped following")


@import_app.command("tensorboard")
@handles_errors
def tensorboard(
    logdir: Annotated[
        Path, typer.Argument(help="A TensorBoard log folder (what tensorboard --logdir reads).")
    ],
    project: str | None = typer.Option(
        None, "--project", help="Project of the runs (default: the folder's name)."
    ),
    follow: bool = typer.Option(
        False, "--follow", help="Keep importing what a running job writes, until Ctrl+C."
    ),
    interval: float = typer.Option(0.5, "--interval", help="Seconds between reads (--follow)."),
) -> None:
    """Import TensorBoard event files: each folder with event files becomes a run (scalars,
    histograms, text, hparams; every point). Importing again adds only what is new."""
    from trainboard.cli._tbimport import follow_logdir, import_once

    with open_cli_store() as store:
        if follow:
            follow_logdir(store, str(logdir), project, interval)
        else:
            import_once(store, str(logdir), project)


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
