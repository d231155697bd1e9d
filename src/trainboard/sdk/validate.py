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

from trainboard.errors import UsageError
from trainboard.limits import (
    MAX_JSON_DEPTH,
    key_problem,
    step_problem,
    text_problem,
    unicode_problem,
)


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


def as_float(value: Any) -> float:
    """The float of a value is_number() accepts: bool, numpy scalars, 0-d tensors. Called off
    the training thread (the writer, summaries): `.item()` syncs a device tensor."""
    if hasattr(value, "item"):
        value = value.item()
    return float(value)


def check_key(where: str, key: object) -> str:
    if type(key) is not str and not isinstance(key, str):
        raise TypeError(f"{where}: keys must be non-empty strings, got {_type_name(key)} {key!r}")
    if not key:
        raise ValueError(f"{where}: keys must be non-empty strings, got ''")
    problem = key_problem(key)
    if problem is not None:
        raise ValueError(f"{where}: key {_short(key)} {problem}")
    return key


def _path(where: str) -> str:
    """Where in a config a value is, cut to 120 characters (the key it is under kept)."""
    return where if len(where) <= 120 else where[:100] + "..." + where[-17:]


def _short(s: str) -> str:
    """A string for an error message: repr() cut to 60 characters."""
    r = repr(s)
    return r if len(r) <= 60 else r[:50] + "..." + r[-7:]


def check_text(where: str, field: str, value: str) -> str:
    """A string stored as is (a name, a text sample): UTF-8, no NUL."""
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(f"{where}: {field} {_short(value)} {problem}")
    return value


def check_name(where: str, field: str, value: str) -> str:
    """A run name, project, model or tag: check_text and at most MAX_KEY_BYTES bytes of UTF-8."""
    problem = key_problem(value)
    if problem is not None:
        raise ValueError(f"{where}: {field} {_short(value)} {problem}")
    return value


def check_item(where: str, key: object, value: object) -> bool:
    """Raise for a bad key or a value that is not a number; for a good one, return whether
    it is a tensor (read by the writer thread, so the caller never syncs a device)."""
    check_key(where, key)
    if is_number(value):
        return (type(value).__module__ or "").startswith("torch")
    numel = _tensor_numel(value)
    if numel is not None:
        raise TypeError(
            f"{where}: {key!r} must be a number, got {_type_name(value)} with {numel} elements "
            "(log a scalar, e.g. .mean(), or use log_histogram())"
        )
    raise TypeError(f"{where}: {key!r} must be a number, got {_type_name(value)}")


def _digits(value: object) -> str:
    """A huge number for an error message: its first digits and how many there are."""
    text = str(value)
    return text if len(text) <= 30 else f"{text[:12]}...({len(text)} digits)"


def _overflow(value: object) -> bool:
    try:
        float(value)  # type: ignore[arg-type]
    except OverflowError:
        return True
    except (TypeError, ValueError):
        pass
    return False


def check_values(where: str, data: dict[str, Any]) -> None:
    """Raise for a value too large for a float64 (10**400): no store can keep it."""
    for value in data.values():
        if type(value) is int and _overflow(value):
            raise bad_value(where, data)


def bad_value(where: str, data: dict[str, Any]) -> Exception:
    """The error for a log() call whose values could not be packed as float64."""
    for key, value in data.items():
        if _overflow(value):
            return ValueError(
                f"{where}: {key!r} = {_digits(value)} is too large for a float64 "
                "(at most ~1.8e308); log a float or its logarithm"
            )
    return TypeError(f"{where}: a value could not be read as a float64: {data!r:.200}")


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
    problem = step_problem(value)
    if problem is not None:
        raise ValueError(f"{where}: step {problem}")
    return value


def check_total_steps(value: object) -> None:
    """Run.total_steps: the planned number of steps, a positive int, or None (unknown)."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
        raise UsageError(f"Run.total_steps must be a positive int or None, got {value!r}")


def jsonable(value: Any, where: str = "config", call: str = "init()", depth: int = 1) -> Any:
    """A config value the store can keep as JSON: containers recursed, numpy scalars unboxed,
    anything else (paths, dtypes, classes) kept as its str(). Strings no store can keep (NUL,
    lone surrogates) and nesting deeper than MAX_JSON_DEPTH raise, naming where in the config
    they are (`call` is the method the value came through)."""
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        if not -(2**63) <= value < 2**64:
            raise ValueError(f"{call}: {where} = {_digits(value)} does not fit in 64 bits")
        return value
    if isinstance(value, str):
        return _json_text(where, value, call)
    if isinstance(value, Mapping | list | tuple | set | frozenset) and depth > MAX_JSON_DEPTH:
        raise ValueError(
            f"{call}: {_path(where)} is nested more than {MAX_JSON_DEPTH} levels deep "
            f"(trainboard.limits.MAX_JSON_DEPTH); no store can keep it: flatten it or store "
            "it as a string"
        )
    if isinstance(value, Mapping):
        return {
            _json_text(f"{where} key", str(k), call): jsonable(
                v, f"{where}[{str(k)!r}]", call, depth + 1
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v, f"{where}[{i}]", call, depth + 1) for i, v in enumerate(value)]
    if (type(value).__module__ or "").startswith("numpy") and hasattr(value, "item"):
        try:
            return jsonable(value.item(), where, call, depth)
        except (TypeError, ValueError):
            pass
    return _json_text(where, str(value), call)


def _json_text(where: str, value: str, call: str = "init()") -> str:
    problem = unicode_problem(value)
    if problem is not None:
        raise ValueError(f"{call}: {where} {_short(value)} {problem}")
    return value


def as_config(config: object, call: str = "init()") -> dict[str, Any]:
    """init(config=...): a dict, an argparse.Namespace, a dataclass or anything with vars()."""
    if config is None:
        return {}
    if isinstance(config, Mapping):
        return jsonable(dict(config), "config", call)  # type: ignore[no-any-return]
    import dataclasses

    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        try:
            fields = dataclasses.asdict(config)
        except RecursionError:
            raise ValueError(
                f"{call}: config is nested more than {MAX_JSON_DEPTH} levels deep"
            ) from None
        return as_config(fields, call)
    if hasattr(config, "__dict__"):
        return as_config(vars(config), call)
    raise TypeError(
        f"{call}: config must be a dict (or a dataclass / argparse.Namespace), "
        f"got {_type_name(config)}"
    )
