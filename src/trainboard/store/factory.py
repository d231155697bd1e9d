"""`open_store(url)`: the engine a store URL names (store/url.py parses it), opened.

Why not in base.py: the contract module imports no engine (base describes, the engines
implement, this factory chooses), so importing the contract never drags in SQLAlchemy and no
engine imports its way back round to itself. Engines are imported only when a URL asks for one.

    sqlite:///path            SQLiteStore (the default, under TRAINBOARD_HOME)
    postgresql://...          PostgresStore (also postgres://, postgresql+psycopg://)
    http://... / https://...  RemoteStore: a trainboard server's API (store/remote/store.py)

Opening a SQL store runs its migrations and writes in the journals of training processes that
died (journal/recovery.py).
"""

from __future__ import annotations

from trainboard import settings
from trainboard.store.base import Store
from trainboard.store.url import StoreURL


def open_store(url: str | None = None) -> Store:
    """Open the store at `url` (default: settings.store_url())."""
    from trainboard.journal.recovery import recover_orphans

    url = url or settings.store_url()
    engine = StoreURL.parse(url).engine
    store: Store
    if engine == "sqlite":
        from trainboard.store.sql.sqlite import SQLiteStore

        store = SQLiteStore(url)
    elif engine == "postgresql":
        from trainboard.store.sql.postgres import PostgresStore

        store = PostgresStore(url)
    else:
        from trainboard.store.remote.store import RemoteStore

        return RemoteStore(url)
    recover_orphans(store, url)
    return store
