"""How a run ends, whichever way it ends: `finish()`, a `with` block, or sdk/hooks.py (exit,
an uncaught exception, a signal).

Ending is a fixed order that changes apart from logging: the wandb surface's last values
(watch()'s grad norm, save() globs, define_metric(summary=)), then the run stops being
current, its sampler stops, its writer writes everything and then the final status, and only
then are the extras (figures, the progress line) closed, so they draw the last step.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from trainboard.sdk import context, hooks

if TYPE_CHECKING:
    from trainboard.sdk.surface import RunSurface

# what a run may end as by itself ("stopped": it was asked to, and left its loop)
END_STATUSES = ("finished", "failed", "killed", "pruned", "stopped")
FINISH_TIMEOUT = 4.5  # finish() returns within 5 s; the journal keeps what is not written


def end(run: RunSurface, status: str, notes: str | None, timeout: float) -> None:
    """Every way a run ends comes here (Run.finish, Run.__exit__, sdk/hooks.py)."""
    st = run.state
    if st.finished:
        return
    if status not in END_STATUSES:
        raise ValueError(
            f"finish(): status must be one of {', '.join(END_STATUSES)}, got {status!r}"
        )
    if status == "finished" and st.stop_by is not None:
        status, notes = "stopped", notes or f"asked to stop by {st.stop_by}"
    if status != "killed" and st.wandb is not None:
        from trainboard.sdk.wandb.compat import at_finish

        at_finish(run)  # watch()'s last grad norm, save() globs, define_metric(summary=)
    st.finished = True
    context.clear_current(run)
    hooks.forget(run)
    if st.system is not None:
        st.system.stop()
    writer, st.writer = st.writer, None
    st.journal = None
    fields = _final_fields(status, notes)
    with hooks.ending():  # a SIGTERM now waits for the final status to be written
        if st.ranks is not None:  # one rank of a job: its end first (sdk/ranks.py)
            kept = st.ranks.end(status, fields.get("notes"), FINISH_TIMEOUT)
            fields = fields if kept is None else kept
        if writer is not None:
            writer.close(fields, timeout)
    if status == "killed":
        run.interrupted = True  # extras (figures) skip work a shutdown must not wait on
    st.outcome = (status, notes)
    for extra in st.extras:
        extra.close()
    if st.sentinel is not None:  # how the run ended goes out to the alert channels
        st.sentinel.close()


def _final_fields(status: str, notes: str | None) -> dict[str, Any]:
    fields: dict[str, Any] = {"status": status, "finished_at": time.time()}
    if notes is not None:  # an exception's text may hold what no store keeps
        fields["notes"] = (
            notes.encode("utf-8", "backslashreplace").decode().replace("\x00", "\\x00")
        )
    return fields
