"""Which key plays which part in a figure, asked of the product's one vocabulary of roles.

The figures never keep a list of metric names: every choice here is a question to
`trainboard.roles` (which key is the train loss, the eval loss, an accuracy...). This module
only says which roles each picture wants and how a choice reads in a legend.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from trainboard import roles as _roles

__all__ = ["FigureKeys", "figure_keys", "is_eval"]


FigureKeys = _roles.RunKeys
"""The keys of one run that the pictures draw: the run's keys by role (trainboard.roles)."""


def figure_keys(keys: Iterable[str], defined: Mapping[str, str] | None = None) -> FigureKeys:
    """What a run with metric `keys` (and define_metric() choices `defined`) can draw: the
    same `run_keys` the progress numbers and the UI read."""
    return _roles.run_keys(keys, defined)


def is_eval(key: str, defined: Mapping[str, str] | None = None) -> bool:
    """True for a held-out (eval, validation, test) metric: drawn dashed."""
    return _roles.role_of(key, defined).split == "eval"
