"""Firing an alert: say it once, keep it on the run, hand it to its channels.

"Once" is kept in the store, in the run's "alerts" values (`kind#episode` -> when), so a
resumed run, a second server replica or the training process and the server together never
send the same episode twice. On a team server's client (a RemoteStore) the alert is recorded
through the outbox like any write, and the server delivers it when the event arrives
(server/alerting.py): clients never see a channel or its secret.
"""

from __future__ import annotations

import contextlib
import time

from trainboard import settings
from trainboard.alerts.deliver import deliverer
from trainboard.alerts.kinds import DEFAULT_OFF, KINDS, Alert, takes
from trainboard.alerts.rules import Rule, parse_rule
from trainboard.errors import UsageError
from trainboard.store.base import Store
from trainboard.store.records import EventRecord
from trainboard.store.sql import channels
from trainboard.store.sql.channels import ChannelRecord

EVENT_PREFIX = "alert:"
"""Run events of fired alerts have kind "alert:<kind>" ("alert" alone is wandb.alert())."""


def fired(store: Store, run_id: str) -> set[str]:
    """The `kind#episode` keys already fired for the run."""
    return set(store.read_run_values(run_id, "alerts"))


def event_of(alert: Alert) -> EventRecord:
    return EventRecord(
        kind=EVENT_PREFIX + alert.kind,
        title=KINDS.get(alert.kind, alert.kind),
        text=alert.reason,
        level=alert.level,
        wall_time=alert.at,
        step=alert.step,
    )


def alert_of(event: EventRecord, run_id: str, run_name: str, project: str) -> Alert | None:
    """The alert a recorded event stands for (None for other events)."""
    if not event.kind.startswith(EVENT_PREFIX):
        return None
    kind = event.kind[len(EVENT_PREFIX) :]
    return Alert(run_id, run_name, project, kind, event.text, event.level, event.step,
                 at=event.wall_time)  # fmt: skip


def fire(
    store: Store,
    alert: Alert,
    *,
    only: ChannelRecord | None = None,
    base_url: str | None = None,
) -> bool:
    """Record `alert` unless its episode was fired before; deliver it where this process
    may. Returns True when it was new."""
    key = alert.episode_key
    if alert.kind in DEFAULT_OFF and not _wanted(store, alert):
        return False  # good news nobody asked for: not worth an event on every run
    if key in fired(store, alert.run_id):
        return False
    store.write_run_values(alert.run_id, "alerts", {key: alert.at})
    store.add_events(alert.run_id, [event_of(alert)])
    if not store.server_delivers:
        deliver(store, alert, only=only, base_url=base_url)
    return True


def _wanted(store: Store, alert: Alert) -> bool:
    if store.server_delivers:
        return False
    return any(takes(c.events, alert.kind) for c in channels.list_channels(store, alert.project))


def link_to(run_id: str, base: str | None = None) -> str | None:
    base = (base or settings.public_url() or settings.remote_url()).rstrip("/")
    return f"{base}/runs/{run_id}" if base else None


def deliver(
    store: Store,
    alert: Alert,
    *,
    only: ChannelRecord | None = None,
    base_url: str | None = None,
) -> int:
    """Queue `alert` for every channel of its project that takes its kind (or for `only`);
    returns how many. Failures end up on the run as an event, never as an exception."""
    if only is not None:
        targets = [only]
    else:
        targets = [
            c
            for c in channels.list_channels(store, alert.project)
            if alert.kind != "threshold" and takes(c.events, alert.kind)
        ]
    link = link_to(alert.run_id, base_url)

    def note(sentence: str) -> None:
        store.add_events(
            alert.run_id,
            [
                EventRecord(
                    "alert_undelivered",
                    "alert not delivered",
                    sentence,
                    "warn",
                    time.time(),
                    alert.step,
                )
            ],  # fmt: skip
        )

    for channel in targets:
        deliverer().put(channel, alert, link, note)
    return len(targets)


def thresholds(store: Store, project: str) -> list[tuple[ChannelRecord, Rule]]:
    """(channel, rule) for every threshold rule of the project's channels, parsed once (a
    rule the CLI could not have written is skipped)."""
    out = []
    for c in channels.list_channels(store, project):
        for text in c.rules:
            with contextlib.suppress(UsageError):
                out.append((c, parse_rule(text)))
    return out
