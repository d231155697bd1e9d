"""Media from `log()` to the store: checked and queued in the caller, encoded and written
by the writer thread.

In the caller (`log_media`): the per-item cap and the per-run budget, checked against the
size as logged (Media.nbytes), so going past either raises at the `log()` call, naming the
key, before anything of that key is queued. Nothing is encoded or read here; each item is
written as logged to the crash journal (journal/media.py), so a killed process loses none.

On the writer thread (journal/media.py's `encode_all`, shared with recovery): each item is
encoded (sdk/mediaencode.py), named by the SHA-256 of its bytes, and written with
`store.write_media` in batches of about `BATCH_BYTES`. Bytes this run has already written are
not sent again (the store keeps them while the run uses them). An item that cannot be encoded
(a file deleted before the writer read it) is left out with one warning naming its key; the
rest are written.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from trainboard import settings
from trainboard.errors import UsageError
from trainboard.sdk.validate import check_key

if TYPE_CHECKING:
    from trainboard.sdk.surface import RunSurface

Media = Any  # trainboard.sdk.media.Media (which imports this module: no cycle)


def _mb(n: int) -> str:
    return f"{n / (1 << 20):.1f} MB"


def log_media(run: RunSurface, key: str, step: int, items: Sequence[Media]) -> None:
    """Queue `items` as the media of `key` at `step` (their order kept as their index)."""
    from trainboard.journal.media import QueuedMedia
    from trainboard.limits import check_text

    check_key("log()", key)
    for item in items:
        if item.caption is not None:
            check_text(f"log(): the caption of {key!r}", item.caption)
    st = run.state
    st.check_open("log()")
    cap = settings.media_max_bytes()
    size = 0
    for item in items:
        n = item.nbytes
        if n > cap:
            raise UsageError(
                f"log(): {key!r}: the {item.kind} is {_mb(n)}, over the cap of {_mb(cap)} per "
                "item (TRAINBOARD_MEDIA_MAX_MB); log a smaller one, or raise the cap"
            )
        size += n
    used = st.media_bytes
    budget = settings.media_budget_bytes()
    if used + size > budget:
        raise UsageError(
            f"log(): {key!r}: this run's media would reach {_mb(used + size)}, over its budget "
            f"of {_mb(budget)} (TRAINBOARD_MEDIA_BUDGET_MB); log media less often, or raise "
            "the budget"
        )
    writer = st.writer
    if writer is None:
        return
    st.media_bytes = used + size
    now = time.time()
    for i, item in enumerate(items):
        snapshot = getattr(item, "snapshot", None)  # a Table: its rows as they are now
        value = snapshot() if snapshot is not None else item
        queued = QueuedMedia(key, step, i, now, value)
        if writer.media_journal is not None:  # kept until the store has it: a kill loses none
            queued.kept = writer.media_journal.keep(queued)
        writer.enqueue_media(queued)
