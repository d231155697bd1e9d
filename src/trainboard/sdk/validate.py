"""The slow path of input checks: the exact errors a bad `log()` call raises.

`Run.log` inlines the fast path (a str key and a value whose type is exactly float or int);
everything else comes here, so the common case pays for two `type()` checks and nothing more.
Messages say what was wrong, what was expected and what came: "log(): 'train/loss' must be
a number, got str".
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any


def _type_name(value: object) -> str:
    return type(value).__name__


def _tensor_numel(value: Any) -> int | None:
    """Element count of a torch tensor or numpy array (without importing either)."""
    module = type(value).__module__ or ""
    if module.startswith("torch") and hasattr(value, "numel"):
        return int(value.numel())
    if module.startswith("numpy") and hasattr(value, "size") and hasattr(value, "ndim"):
        return int(value.size)
    return None


def is_number(value: object) -> bool:
    """float, int, bool, numpy scalars and 0-d arrays, 0-d torch tensors (real, not complex)."""
    if isinstance(value, numbers.Real):  # bool, Fraction, numpy floating/integer
        return True
    module = type(value).__module__ or ""
    if module.startswith("numpy"):
        kind = getattr(getattr(value, "dtype", None), "kind", "")
        return kind in "biuf" and kind != "" and getattr(value, "ndim", 1) == 0
    if module.startswith("torch") and hasattr(value, "dim") and hasattr(value, "is_complex"):
        return bool(value.dim() == 0 and not value.is_complex())
    return False


def check_key(where: str, key: object) -> str:
    if type(key) is not str and not isinstance(key, str):
        raise TypeError(f"{where}: keys must be non-empty strings, got {_type_name(key)} {key!r}")
    if not key:
        raise ValueError(f"{where}: keys must be non-empty strings, got ''")
    return key


def check_item(where: str, key: object, value: object) -> None:
    """Raise for a bad key or a value that is not a number; return for a good one."""
    check_key(where, key)
    if is_number(value):
        return
    numel = _tensor_numel(value)
    if numel is not None:
        raise TypeError(
            f"{where}: {key!r} must be a number, got {_type_name(value)} with {numel} elements "
            "(log a scalar, e.g. .mean(), or use log_histogram())"
        )
    raise TypeError(f"{where}: {key!r} must be a number, got {_type_name(value)}")


def check_data(data: object) -> dict[str, Any]:
    """log()'s first argument: a dict (any Mapping) of metric name -> number."""
    if isinstance(data, Mapping):
        return dict(data)
    raise TypeError(f"log(): expected a dict of metric name -> number, got {_type_name(data)}")


def check_step(where: str, step: object) -> int:
    """A step is a non-negative int (numpy integers too; bool and float are mistakes)."""
    if isinstance(step, bool) or not hasattr(step, "__index__"):
        raise TypeError(f"{where}: step must be a non-negative int, got {_type_name(step)}")
    value = int(step.__index__())
    if value < 0:
        raise ValueError(f"{where}: step must be a non-negative int, got {value}")
    return value


def jsonable(value: Any) -> Any:
    """A config value the store can keep as JSON: containers recursed, numpy scalars unboxed,
    anything else (paths, dtypes, classes) kept as its str()."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if (type(value).__module__ or "").startswith("numpy") and hasattr(value, "item"):
        try:
            return jsonable(value.item())
        except (TypeError, ValueError):
            pass
    return str(value)


def as_config(config: object) -> dict[str, Any]:
    """init(config=...): a dict, an argparse.Namespace, a dataclass or anything with vars()."""
    if config is None:
        return {}
    if isinstance(config, Mapping):
        return {str(k): jsonable(v) for k, v in config.items()}
    import dataclasses

    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return as_config(dataclasses.asdict(config))
    if hasattr(config, "__dict__"):
        return as_config(vars(config))
    raise TypeError(
        f"init(): config must be a dict (or a dataclass / argparse.Namespace), "
        f"got {_type_name(config)}"
    )
