"""A run's metric history as one table: `StoredRun.history` builds it from the store's series.

Why a wide table (one column per key, rows on the x axis): it is what `df.plot()` and
wandb's `run.history()` users expect. Keys logged at different steps (eval every 100 steps)
leave NaN where a key has no point; `df["eval/loss"].dropna()` gives that key's own points.

The points are the store's (`Store.read_series`, its min/max downsample when `max_points` is
set); the token axis is the one the series API uses (analysis/tokenaxis.py). Nothing here recomputes
a value. One key is returned without a join, so reading a long series costs little more than
the store's read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from trainboard.analysis.tokenaxis import TokenAxis, token_axis, tokens_at
from trainboard.errors import MissingExtraError, NotFoundError, UsageError
from trainboard.store.base import Store
from trainboard.store.queries import XAxis
from trainboard.store.records import RunRecord, Series

if TYPE_CHECKING:
    import pandas as pd

HistoryX = Literal["step", "wall_time", "tokens"]
HistoryFormat = Literal["pandas", "numpy"]
X_AXES: tuple[HistoryX, ...] = ("step", "wall_time", "tokens")
FORMATS: tuple[HistoryFormat, ...] = ("pandas", "numpy")

Column = npt.NDArray[Any]


def require_pandas(where: str) -> Any:
    """pandas, or MissingExtraError with the pip command (pandas is an optional extra)."""
    try:
        import pandas
    except ImportError:
        raise MissingExtraError(where, "pandas", "pandas") from None
    return pandas


def wanted_keys(run: RunRecord, keys: str | Sequence[str] | None) -> list[str]:
    """The keys asked for (every logged key when None), each checked against what the run
    logged: an unknown key is a NotFoundError naming it and the keys that exist."""
    if keys is None:
        return sorted(run.summary)
    wanted = [keys] if isinstance(keys, str) else list(keys)
    if not wanted or not all(isinstance(k, str) and k for k in wanted):
        raise UsageError(f"history(): keys must be a metric name or a list of them, got {keys!r}")
    missing = [k for k in wanted if k not in run.summary]
    if missing:
        logged = ", ".join(sorted(run.summary)) or "none"
        names = ", ".join(repr(k) for k in missing)
        raise NotFoundError(
            f"run {run.id!r} ({run.name}) has no metric {names}; it logged: {logged}"
        )
    return list(dict.fromkeys(wanted))


def _x_of(s: Series, x: HistoryX, tokens: TokenAxis | None) -> Column:
    if x == "step":
        return s.steps
    if x == "wall_time":
        return s.times
    assert tokens is not None
    return tokens_at(s.steps, tokens)


def _sorted(xs: Column, values: Column) -> tuple[Column, Column]:
    """Rows in x order (a resumed run's wall times may step back; steps never do)."""
    if xs.shape[0] < 2 or bool(np.all(xs[1:] >= xs[:-1])):
        return xs, values
    order = np.argsort(xs, kind="stable")
    return xs[order], values[order]


def history_columns(
    store: Store,
    run: RunRecord,
    keys: list[str],
    *,
    x: HistoryX,
    start: int | None,
    end: int | None,
    max_points: int | None,
) -> dict[str, Column]:
    """{x: the x column, key: its values, ...}: the union of every key's x values in order,
    NaN where a key has no point at that x."""
    if x not in X_AXES:
        raise UsageError(f"history(): x must be one of {', '.join(X_AXES)}, got {x!r}")
    if max_points is not None and (isinstance(max_points, bool) or max_points < 2):
        raise UsageError(f"history(): max_points must be an int >= 2, got {max_points!r}")
    tokens = None
    if x == "tokens":
        tokens = token_axis(store, run)
        if tokens is None:
            raise NotFoundError(
                f"run {run.id!r} ({run.name}) logged no finite token count (such as 'tokens' or "
                "'num_input_tokens_seen'), which x='tokens' places points on; use x='step' or "
                "x='wall_time'"
            )
    bucket: XAxis = "time" if x == "wall_time" else "step"
    cols: list[tuple[str, Column, Column]] = []
    for key in keys:
        s = store.read_series(run.id, key, max_points=max_points, x=bucket, start=start, end=end)
        xs, values = _sorted(_x_of(s, x, tokens), s.values)
        cols.append((key, xs, values))
    if len(cols) == 1:
        key, xs, values = cols[0]
        return {x: xs, key: values}
    union = np.unique(np.concatenate([c[1] for c in cols])) if cols else np.empty(0)
    out: dict[str, Column] = {x: union}
    for key, xs, values in cols:
        col = np.full(union.shape[0], np.nan)
        col[np.searchsorted(union, xs)] = values
        out[key] = col
    return out


def as_frame(columns: dict[str, Column], x: str) -> pd.DataFrame:
    """The columns as a DataFrame indexed by the x column."""
    pd = require_pandas("history(format='pandas')")
    index = pd.Index(columns[x], name=x)
    return pd.DataFrame({k: v for k, v in columns.items() if k != x}, index=index, copy=False)
