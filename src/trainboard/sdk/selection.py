"""Which store a run, the read API and the notebook open: one selection for all of them
(DESIGN.md: init(store=) > TRAINBOARD_URL > TRAINBOARD_DB > TRAINBOARD_HOME), kept apart from
`Run` so the SDK's helpers (progress line, figures) can open a store without importing the
run module that starts them."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from trainboard import settings
from trainboard.errors import UsageError

if TYPE_CHECKING:
    from trainboard.store.base import Store


def _store_url(store: str, where: str = "init()") -> str:
    """init(store=...): a store URL, or a plain path taken as a SQLite file."""
    from trainboard.store.url import StoreURL  # not at import: it loads the store

    if not isinstance(store, str) or not store:
        raise UsageError(f"{where}: store must be a store URL or a file path, got {store!r}")
    if "://" not in store:
        return f"sqlite:///{os.path.abspath(os.path.expanduser(store))}"
    if not StoreURL.is_sql(store):
        raise UsageError(
            f"{where}: store must start with sqlite:/// or postgresql://, got {store!r}"
        )
    return store


def select_store(store: str | None, where: str = "init()") -> tuple[str, str]:
    """The one store selection (DESIGN.md), shared by init() and trainboard.Api: `store` when
    given, else TRAINBOARD_URL (a remote server) > TRAINBOARD_DB > the SQLite file under
    TRAINBOARD_HOME. Returns (store URL, remote server URL or ""); open it with `open_selected`."""
    from trainboard.store.url import StoreURL  # not at import: it loads the store

    remote = "" if store else settings.remote_url()
    url = _store_url(store, where) if store else settings.store_url()
    if remote and not StoreURL.is_remote(remote):
        raise UsageError(f"TRAINBOARD_URL must be an http:// or https:// URL, got {remote!r}")
    return url, remote


def open_selected(url: str, remote: str, token: str | None = None) -> Store:
    """The store a run writes to: a remote server when TRAINBOARD_URL is set, else a URL.
    `token` (default TRAINBOARD_TOKEN) is sent to a remote server."""
    if remote:
        from trainboard.journal.recovery import recover_orphans
        from trainboard.store.remote.store import RemoteStore

        store: Store = RemoteStore(remote, token)
        recover_orphans(store, remote)
        return store
    from trainboard.store import open_store

    return open_store(url)
