"""Config values by name: which value a run's config holds under a dotted name, defined once.

Why one place: `Api().runs(config=...)` filters, the runs table's config columns (their
cells and their sort) and the `run_config` index of the SQL stores must all agree on what
`"optim.lr"` means for a run. The rule (`config_value`): a top-level key of exactly that name
wins ({"optim.lr": 1}); else the name is split at its dots and followed through nested
objects ({"optim": {"lr": 1}}). A key below the top level that itself holds a dot is not
reachable by a dotted name.

`scalar_paths` lists every name under which a config holds a single value (a number, a
bool, a string or null), with that value: the rows the SQL stores keep per run
(store/sql/configindex.py), so filtering and sorting by any of them is an index read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

Scalar = bool | int | float | str | None

NUMBER, BOOL, TEXT, NULL = 0, 1, 2, 3
"""The kinds of stored scalar: a bool is not a number (a flag never equals a count)."""


def config_value(config: Mapping[str, Any], key: str) -> tuple[bool, Any]:
    """(found, value) of a config value by its name or dotted path ("optim.lr" reaches
    {"optim": {"lr": ..}}); a top-level key of exactly that name wins."""
    if key in config:
        return True, config[key]
    node: Any = config
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node


def is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, bool | int | float | str)


def scalar_value(config: Mapping[str, Any], key: str) -> Scalar:
    """The single value under `key` (config_value's rule), None where there is none or it is
    an object or a list: the runs table's cell."""
    found, v = config_value(config, key)
    return v if found and is_scalar(v) and v is not None else None


def scalar_paths(config: Mapping[str, Any]) -> dict[str, Scalar]:
    """Every name `config_value` resolves to a single value (null included), with that value:
    each top-level key, and each nested path whose parts hold no dot unless a top-level key
    of the same name wins."""
    out: dict[str, Scalar] = {}
    for key, v in config.items():
        if is_scalar(v):
            out[str(key)] = v
        elif isinstance(v, Mapping) and "." not in str(key):
            for path, leaf in _nested(v, str(key)):
                if path not in config:
                    out[path] = leaf
    return out


def _nested(node: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, Scalar]]:
    for key, v in node.items():
        if "." in str(key):
            continue  # the dotted name would split it: config_value never reaches it
        path = f"{prefix}.{key}"
        if is_scalar(v):
            yield path, v
        elif isinstance(v, Mapping):
            yield from _nested(v, path)


def kind_of(v: Scalar) -> int:
    if v is None:
        return NULL
    if isinstance(v, bool):
        return BOOL
    if isinstance(v, str):
        return TEXT
    return NUMBER
