"""`trainboard demo`: train a small GPT on the CPU while trainboard shows it live."""

from __future__ import annotations

import typer

from trainboard.cli._common import handles_errors


def register(app: typer.Typer) -> None:
    @app.command("demo")
    @handles_errors
    def demo(
        steps: int | None = typer.Option(
            None,
            "--steps",
            min=1,
            help="Training steps (default: as many as fit in about two minutes here).",
        ),
        no_ui: bool = typer.Option(False, "--no-ui", help="Terminal view only, no dashboard."),
        port: int | None = typer.Option(None, "--port", help="Dashboard port (default 8765)."),
        project: str = typer.Option("demo", "--project", help="Project of the demo run."),
        keep_serving: bool | None = typer.Option(
            None,
            "--keep-serving/--exit",
            help="Keep the dashboard up after training until Ctrl-C (default: yes at a terminal).",
        ),
    ) -> None:
        """Train a character-level GPT on Python's own source, watched live."""
        import sys

        from trainboard.cli.demo_run import run_demo

        linger = sys.stdin.isatty() if keep_serving is None else keep_serving
        run_demo(steps, ui=not no_ui, port=port, project=project, linger=linger)
