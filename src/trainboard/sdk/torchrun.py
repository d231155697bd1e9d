"""torchrun awareness: only rank 0 records unless asked otherwise.

torchrun sets RANK (global) and LOCAL_RANK (per node). The global rank decides: on a
multi-node job LOCAL_RANK is 0 once per node, but only one process should write the run.
"""

from __future__ import annotations

import os

from trainboard.errors import UsageError


def _env_int(name: str) -> int | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise UsageError(f"{name} must be an integer rank, got {raw!r}") from None


def process_rank() -> int | None:
    """The distributed rank of this process, or None when not launched by torchrun."""
    rank = _env_int("RANK")
    return rank if rank is not None else _env_int("LOCAL_RANK")
