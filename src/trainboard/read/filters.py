"""What `Api.runs()` filters on: the store-side `RunQuery`, plus the filters checked here
(every tag of several, config values by equality, range or set), validated at the call."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real
from typing import TYPE_CHECKING, Any

from trainboard.errors import UsageError
from trainboard.store.configpaths import config_value, is_scalar
from trainboard.store.queries import MAX_PATH, ConfigFilter

if TYPE_CHECKING:
    from trainboard.store.queries import RunQuery
    from trainboard.store.records import RunRecord

__all__ = ["RunFilter", "check_config_filters", "config_value", "in_store"]


def _is_number(v: Any) -> bool:
    return isinstance(v, Real) and not isinstance(v, bool)


def _equal(have: Any, want: Any) -> bool:
    """Config equality where True is not 1 (a flag never matches a count)."""
    if isinstance(have, bool) != isinstance(want, bool):
        return False
    try:
        return bool(have == want)
    except Exception:
        return False


def _matches(have: Any, want: Any) -> bool:
    if isinstance(want, tuple):
        lo, hi = want
        if not _is_number(have) or math.isnan(have):
            return False
        return (lo is None or have >= lo) and (hi is None or have <= hi)
    if isinstance(want, set | frozenset):
        return any(_equal(have, w) for w in want)
    return _equal(have, want)


def check_config_filters(config: Mapping[str, Any] | None) -> tuple[tuple[str, Any], ...]:
    """Validate `config=` at the call: a value (equality), a (low, high) range of numbers with
    None for an open end, or a set of accepted values."""
    if config is None:
        return ()
    if not isinstance(config, Mapping):
        raise UsageError(f"runs(): config must be a dict of config filters, got {config!r}")
    out = []
    for key, want in config.items():
        if not isinstance(key, str) or not key:
            raise UsageError(f"runs(): config keys must be non-empty str, got {key!r}")
        if isinstance(want, tuple):
            if len(want) != 2 or not all(b is None or _is_number(b) for b in want):
                raise UsageError(
                    f"runs(): config[{key!r}] range must be (low, high) numbers or None, "
                    f"got {want!r}"
                )
        out.append((key, want))
    return tuple(out)


def in_store(
    config: tuple[tuple[str, Any], ...],
) -> tuple[tuple[ConfigFilter, ...], tuple[tuple[str, Any], ...]]:
    """`config` filters split into those a store answers (ConfigFilter: a single value, or a
    range with at least one end) and those checked here (sets, objects, lists, a range open
    at both ends, names too long to index)."""
    store: list[ConfigFilter] = []
    rest: list[tuple[str, Any]] = []
    for key, want in config:
        f: ConfigFilter | None = None
        if len(key) <= MAX_PATH and "\x00" not in key:
            if isinstance(want, tuple) and want != (None, None):
                f = ConfigFilter(key, "range", want)
            elif is_scalar(want) and not (isinstance(want, str) and "\x00" in want):
                f = ConfigFilter(key, "eq", want)
        if f is None:
            rest.append((key, want))
        else:
            store.append(f)
    return tuple(store), tuple(rest)


@dataclass(frozen=True)
class RunFilter:
    """What `Api.runs()` asked for: `query` goes to the store (with the config filters it
    answers, `in_store`); `tags` (all required) and `config` (the rest) are checked here."""

    query: RunQuery
    tags: tuple[str, ...] = ()
    config: tuple[tuple[str, Any], ...] = ()

    @property
    def in_store_only(self) -> bool:
        return len(self.tags) <= 1 and not self.config

    def accepts(self, run: RunRecord) -> bool:
        if any(t not in run.tags for t in self.tags):
            return False
        for key, want in self.config:
            found, have = config_value(run.config, key)
            if not found or not _matches(have, want):
                return False
        return True

    def describe(self) -> str:
        q = self.query
        parts = [
            f"{name}={value!r}"
            for name, value in (
                ("project", q.project), ("model", q.model), ("status", q.status),
                ("search", q.search),
            )
            if value is not None
        ]  # fmt: skip
        if self.tags:
            parts.append(f"tags={list(self.tags)!r}")
        config = [(f.path, f.value) for f in q.config] + list(self.config)
        if config:
            parts.append(f"config={dict(config)!r}")
        if q.archived is not None:
            parts.append(f"archived={q.archived}")
        return ", ".join(parts) or "no filter"
