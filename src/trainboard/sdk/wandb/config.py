"""A run's config and summary as wandb scripts use them (`run.config.lr`, `config.update(args)`,
`summary["best"] = v`), and `trainboard.config` doubling as wandb's module-level `config`.

Both are dicts whose writes go straight to the run: the config to the stored config, the
summary to the run's "summary" values (through the writer thread, in order with the points).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from trainboard.errors import UsageError
from trainboard.sdk.validate import as_config, as_float, is_number, jsonable

if TYPE_CHECKING:
    from trainboard.sdk.surface import RunSurface


class _RunDict(dict[str, Any]):
    """A dict of a run's that wandb scripts read and write by attribute as well as by item;
    every write goes through `update`, which each subclass sends to the store."""

    _what = "dict"

    def __init__(self, run: RunSurface | None, values: Mapping[str, Any]) -> None:
        super().__init__(values)
        object.__setattr__(self, "_run", run)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"{self._what} has no key {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self.update({name: value})

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})


class Config(_RunDict):
    """A run's config as wandb scripts use it; writes go to the stored config at once."""

    _what = "config"

    def __delattr__(self, name: str) -> None:
        raise UsageError(f"config: keys cannot be removed (tried {name!r})")

    def update(self, d: Any = None, allow_val_change: bool | None = None, **kw: Any) -> None:  # type: ignore[override]
        """Merge a dict, an argparse Namespace or a dataclass (and keyword values)."""
        values = {**as_config(d, "config.update()"), **as_config(kw, "config.update()")}
        super().update(values)
        run: RunSurface | None = self.__dict__.get("_run")
        if run is not None and values and not run.finished:
            run.update_config(values)

    def setdefaults(self, d: Any) -> None:
        """Set the keys of `d` that the config does not have yet (wandb sweeps use it)."""
        self.update({k: v for k, v in as_config(d).items() if k not in self})

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self.update({key: default})
        return self[key]

    def as_dict(self) -> dict[str, Any]:
        return dict(self)


class Summary(_RunDict):
    """`run.summary`: the last value logged per metric, overridden by what the script set."""

    _what = "summary"

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        run: RunSurface | None = self.__dict__.get("_run")
        if run is not None:
            set_summary(run, {key: None})

    def update(self, d: Any = None, **kw: Any) -> None:  # type: ignore[override]
        values = {**dict(d or {}), **kw}
        for k in values:
            if not isinstance(k, str) or not k:
                raise TypeError(f"summary: keys must be non-empty strings, got {k!r}")
        clean = {k: summary_value(v, k) for k, v in values.items()}
        super().update(clean)
        run: RunSurface | None = self.__dict__.get("_run")
        if run is not None:
            set_summary(run, clean)


def summary_value(v: Any, key: str = "value") -> Any:
    """A summary value the store can keep: numbers (tensors too) as float, else JSON (depth
    and strings checked, naming the key)."""
    if isinstance(v, bool) or v is None:
        return v
    if is_number(v):
        f = as_float(v)
        return int(f) if isinstance(v, int) else f
    return jsonable(v, f"summary[{key!r}]", "summary")


def set_summary(run: RunSurface, values: dict[str, Any]) -> None:
    """Remember `values` as the run's own summary and queue them for the store."""
    own = run.state.wandb_state().own_summary
    for k, v in values.items():
        if v is None:
            own.pop(k, None)
        else:
            own[k] = v
    store_call(run, "write_run_values", "summary", dict(values))


def store_call(run: RunSurface, method: str, *args: Any) -> None:
    """Queue a store call for the run's writer thread, in order with everything logged."""
    w = run.state.writer
    if w is not None:
        w.enqueue_call(method, args)


def summary_of(run: RunSurface) -> Summary:
    st = run.state
    values: dict[str, Any] = {k: as_float(v) for k, v in st.summary.items()}
    if st.wandb is not None:
        values.update(st.wandb.own_summary)
    return Summary(run, values)
