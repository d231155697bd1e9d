"""`trainboard stop RUN`: ask a running run to stop.

The training process sees it within about 2 s (`run.should_stop`; the HF and Lightning
integrations end training; `init(stop="raise")` raises at the next log()) and the run ends as
"stopped". The rule is analysis.control.request_stop, shared with the Run page and the API.
With TRAINBOARD_URL set (and no TRAINBOARD_DB), the request goes to that server, which needs
a token with write scope.
"""

from __future__ import annotations

import getpass
import os

import typer

from trainboard import settings
from trainboard.analysis.control import request_stop
from trainboard.cli._common import console, handles_errors, open_cli_store, resolve_run
from trainboard.errors import AuthError, ForbiddenError, RunNotFoundError, UsageError


def _user() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"cli:{os.getuid()}"


def _remote_stop(url: str, ref: str) -> str:
    import httpx

    from trainboard.store.remote.wire import API

    token = settings.token()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = httpx.post(f"{url.rstrip('/')}{API}/runs/{ref}/stop", headers=headers, timeout=10)
    if r.status_code == 200:
        return str(r.json()["id"])
    try:
        message = str(r.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        message = r.text[:200]
    errors = {401: AuthError, 403: ForbiddenError, 404: RunNotFoundError}
    raise errors.get(r.status_code, UsageError)(message)


def register(app: typer.Typer) -> None:
    @app.command("stop")
    @handles_errors
    def stop(
        run: str = typer.Argument(..., help="Run id, id prefix or name."),
    ) -> None:
        """Ask a running run to stop; it ends as "stopped" within seconds."""
        remote = settings.remote_url()
        if remote and not os.environ.get("TRAINBOARD_DB"):
            run_id = _remote_stop(remote, run)
            console().print(f"asked run {run_id} to stop (on {remote})")
            return
        with open_cli_store() as store:
            rec = resolve_run(store, run)
            request_stop(store, rec.id, by=_user())
        console().print(
            f"asked run {rec.name} ({rec.id}) to stop; it sees the request within about 2 s"
        )
