"""Run the demo: the dashboard (optional), the training loop, the live terminal view.

This lives in the CLI layer because it drives the terminal view (`watch`); `trainboard.demo`
holds only the model, data, training loop and dashboard process, and never imports the CLI."""

from __future__ import annotations

import threading

from rich.console import Console
from rich.text import Text

from trainboard.analysis import format as fmt
from trainboard.cli._common import console, err_console, open_cli_store
from trainboard.cli.watch import follow
from trainboard.demo.dashboard import Dashboard, free_port
from trainboard.demo.train import DemoConfig


def run_demo(
    steps: int | None = None,
    *,
    ui: bool = True,
    port: int | None = None,
    project: str = "demo",
    linger: bool = False,
) -> str:
    """Train the demo model with the live view; return the run id.

    With `linger` the dashboard stays up after training until Ctrl-C, so the person who ran
    `make demo` can look around the finished run (the CLI turns it on at a terminal)."""
    cfg = DemoConfig(steps=steps)
    out = console()
    dash: Dashboard | None = None
    if ui:
        dash = Dashboard(free_port() if port is None else port)
        try:
            dash.start()
        except RuntimeError as e:
            err_console().print(Text.assemble(("no dashboard: ", "yellow"), str(e)))
            dash = None

    viewer: threading.Thread | None = None
    training_done = threading.Event()

    def on_start(run: object) -> None:
        nonlocal viewer
        run_id: str = getattr(run, "id")  # noqa: B009 - trainboard.Run without importing it
        total: int = getattr(run, "total_steps")  # noqa: B009
        out.print(
            f"training a character-level GPT on Python's standard library for {total:,} "
            f"steps (run {run_id})"
        )
        if dash is not None:
            out.print(Text.assemble("dashboard: ", (f"{dash.url}/runs/{run_id}", "bold")))
        out.print("Ctrl-C stops the training" + (" and the dashboard" if dash else ""))

        def view() -> None:
            with open_cli_store() as store:
                follow(store, run_id, keep_going=lambda: not training_done.is_set())

        viewer = threading.Thread(target=view, name="trainboard-demo-view", daemon=True)
        viewer.start()

    from trainboard.demo.train import train

    try:
        try:
            run_id = train(cfg, project=project, on_start=on_start)
        finally:
            training_done.set()
            if viewer is not None:
                viewer.join(timeout=10)
        if dash is not None and not linger:
            dash.stop()
        _say_how_it_went(out, run_id, dash, linger)
        if dash is not None and linger:
            try:  # the print is inside: a Ctrl-C that lands during it still ends quietly
                out.print(Text.assemble("the dashboard stays up at ",
                                        (f"{dash.url}/runs/{run_id}", "bold"),
                                        "; press Ctrl-C to stop it"))  # fmt: skip
                dash.wait()
            except KeyboardInterrupt:
                pass
    finally:  # whatever ended the demo (Ctrl-C during training too), the dashboard goes with it
        if dash is not None:
            dash.stop()
    return run_id


def _say_how_it_went(out: Console, run_id: str, dash: Dashboard | None, linger: bool) -> None:
    with open_cli_store() as store:
        run = store.get_run(run_id)
    val = run.summary.get("val/loss")
    acc = run.summary.get("val/accuracy")
    best = f"; best val/loss {fmt.number(val.min)} at step {val.min_step:,}" if val else ""
    best += f", val/accuracy {fmt.percent(100 * acc.last)}" if acc else ""
    out.print(f"run {run.name} ({run.id}) {run.status}{best}")
    if dash is not None and not linger:
        # piped (or --exit): the dashboard went with the training; say so, and how to reopen
        out.print(Text.assemble("the dashboard stopped; reopen it with ", ("trainboard ui", "bold"),
                                f" and go to /runs/{run.id}"))  # fmt: skip
    elif dash is None:
        out.print(Text.assemble("look at it: ", ("trainboard ui", "bold"),
                                f" (then /runs/{run.id}) or trainboard show {run.id}"))  # fmt: skip
