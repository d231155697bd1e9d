"""Alerts: trainboard tells people when a run goes wrong, wherever they are at 3 a.m.

Who fires what, so each alert is said once, from wherever it is seen first:

- the training process (sdk/sentinel.py) fires what it sees: each health verdict that turns
  warning or critical (NaN/inf, exploding loss or gradients, a flat eval metric, loss spikes,
  a learning rate stuck at 0, ...), a hang (no `log()` for `hang_after` seconds: its own
  background thread notices, so a stuck collective is seen with no server running), a metric
  crossing a channel's threshold, an ETA overrun, and how the run ended (failed, killed,
  stopped; finished is off by default);
- the server, when one runs (server/alerting.py), fires what only it can see: a crash, known
  by a heartbeat that stopped.

Each alert fires once per run, kind and episode (alerts/fire.py keeps the episodes fired in
the run's "alerts" values), is kept as a run event, and goes to every channel that takes its
kind and project (alerts/deliver.py: a background thread, retries with backoff, never raises
into training). A client of a team server only records the alert; the server delivers it, so
a channel's secret never leaves the server.
"""

from __future__ import annotations

from trainboard.alerts.kinds import DEFAULT_OFF, KINDS, Alert, kind_of_check, parse_kinds

__all__ = ["DEFAULT_OFF", "KINDS", "Alert", "kind_of_check", "parse_kinds"]
