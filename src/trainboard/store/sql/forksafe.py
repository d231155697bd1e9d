"""SQL engines across os.fork(): a forked child (a DataLoader worker, a multiprocessing pool)
must not reuse or close its parent's database connections.

Why its own module: this follows the process model, not the store contract. One process-wide
hook is registered on import; every engine a store opens is remembered (weakly) so that the
child drops their pools and opens connections of its own.
"""

from __future__ import annotations

import os
import weakref

from sqlalchemy.engine import Engine

_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def track(engine: Engine) -> None:
    """Forget `engine`'s pooled connections in any child this process forks from now on."""
    _ENGINES.add(engine)


def _forget_pools_after_fork() -> None:
    for engine in list(_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_pools_after_fork)
