"""`trainboard ui`: serve the dashboard (the server lives in trainboard.server)."""

from __future__ import annotations

import typer

from trainboard.cli._common import handles_errors

DEFAULT_PORT = 8765


def register(app: typer.Typer) -> None:
    @app.command("ui")
    @handles_errors
    def ui(
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
        port: int = typer.Option(DEFAULT_PORT, "--port", min=0, max=65535, help="Port."),
        no_browser: bool = typer.Option(False, "--no-browser", help="Do not open a browser."),
        token: str | None = typer.Option(
            None, "--token", help="Require this token (needed off loopback; or TRAINBOARD_TOKEN)."
        ),
    ) -> None:
        """Serve the dashboard (http://127.0.0.1:8765 by default) until Ctrl+C."""
        from trainboard.server.app import serve

        serve(host=host, port=port, token=token, open_browser=not no_browser, store_url=None)
