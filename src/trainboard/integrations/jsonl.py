"""Import a `train_log.jsonl`: one JSON object per line, e.g.

    {"step": 20, "loss": 2.31, "grad_norm": 0.4, "seconds": 12.5, "tokens": 81920, "lr": 3e-5}

How fields map:
- `step` (an integer ≥ 0) is the x of every value on the line; when no line has one, lines are
  numbered 0, 1, 2...; a file where only some lines have it is malformed.
- `seconds` (elapsed since the start) becomes the wall time: the run starts at the file's
  modification time minus the largest `seconds` (the log ended when it was last written).
  Without it, every point gets that modification time.
- Numbers (and NaN / Infinity, which Python's json reads) become metrics; booleans are config.
- Any other field (text, lists, objects): one value on every line that has it → config (a
  model name, a seed); values that change → text samples at that step (strings as they are,
  anything else as compact JSON).
- `null` means "not logged at this step".

The whole file is parsed and validated before anything is written: a corrupt line raises
ImportFormatError naming the file and the line number, and nothing is stored.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from trainboard.errors import ImportFormatError
from trainboard.store.base import Store
from trainboard.store.records import PointBatch, RunRecord, TextRecord

_RESERVED = ("step", "seconds")


@dataclass
class ParsedLog:
    """A jsonl file, validated: per-key points, texts and config, ready to store."""

    steps: dict[str, list[int]] = field(default_factory=dict)
    offsets: dict[str, list[float]] = field(default_factory=dict)  # seconds since start
    values: dict[str, list[float]] = field(default_factory=dict)
    texts: list[tuple[str, int, float, str]] = field(default_factory=list)  # key, step, s, text
    config: dict[str, Any] = field(default_factory=dict)
    max_step: int | None = None
    max_seconds: float | None = None
    lines: int = 0


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def parse_jsonl(path: str | os.PathLike[str]) -> ParsedLog:
    """Read and validate the whole file; raise ImportFormatError at the first bad line."""
    p = Path(path)
    try:
        raw = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ImportFormatError(f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ImportFormatError(f"{p}: cannot read it as UTF-8 text: {e}") from None

    rows: list[tuple[int, dict[str, Any]]] = []
    for lineno, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise ImportFormatError(f"{p}:{lineno}: not valid JSON ({e.msg})") from None
        if not isinstance(obj, dict):
            raise ImportFormatError(
                f"{p}:{lineno}: expected a JSON object, got {type(obj).__name__}"
            )
        rows.append((lineno, obj))
    if not rows:
        raise ImportFormatError(f"{p}: no JSON lines to import")

    with_step = sum(1 for _, o in rows if "step" in o)
    if 0 < with_step < len(rows):
        lineno = next(n for n, o in rows if "step" not in o)
        raise ImportFormatError(f"{p}:{lineno}: no 'step' (other lines have one)")

    out = ParsedLog(lines=len(rows))
    others: dict[str, list[tuple[int, float | None, Any]]] = {}
    for index, (lineno, obj) in enumerate(rows):
        step = obj.get("step", index)
        if isinstance(step, float) and step.is_integer():
            step = int(step)
        if not isinstance(step, int) or isinstance(step, bool) or step < 0:
            raise ImportFormatError(f"{p}:{lineno}: 'step' must be an integer >= 0, got {step!r}")
        secs = obj.get("seconds")
        if secs is not None and (not _is_number(secs) or not math.isfinite(secs) or secs < 0):
            raise ImportFormatError(
                f"{p}:{lineno}: 'seconds' must be a number >= 0 (elapsed since the start), "
                f"got {secs!r}"
            )
        offset = float(secs) if secs is not None else None
        out.max_step = step if out.max_step is None else max(out.max_step, step)
        if offset is not None:
            out.max_seconds = offset if out.max_seconds is None else max(out.max_seconds, offset)
        for key, v in obj.items():
            if key in _RESERVED or v is None:
                continue
            if not isinstance(key, str) or not key:
                raise ImportFormatError(f"{p}:{lineno}: empty field name")
            if _is_number(v):
                if key in others:
                    raise ImportFormatError(
                        f"{p}:{lineno}: {key!r} is a number here but not on earlier lines"
                    )
                out.steps.setdefault(key, []).append(step)
                out.offsets.setdefault(key, []).append(offset if offset is not None else math.nan)
                out.values.setdefault(key, []).append(float(v))
            else:
                if key in out.values:
                    raise ImportFormatError(
                        f"{p}:{lineno}: {key!r} must be a number like on earlier lines, "
                        f"got {type(v).__name__}"
                    )
                others.setdefault(key, []).append((step, offset, v))

    for key, items in others.items():
        distinct = {json.dumps(v, sort_keys=True) for _, _, v in items}
        if len(distinct) == 1:
            out.config[key] = items[0][2]
        else:
            for step, offset, v in items:
                text = v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))
                out.texts.append((key, step, offset if offset is not None else math.nan, text))
    return out


def import_jsonl(
    store: Store,
    path: str | os.PathLike[str],
    *,
    project: str = "imported",
    name: str | None = None,
    model: str | None = None,
    run_id: str | None = None,
) -> RunRecord:
    """Parse `path` whole, then store it as one finished run; return the stored run."""
    from trainboard.sdk.names import new_run_id

    p = Path(path)
    log = parse_jsonl(p)
    end = p.stat().st_mtime
    start = end - (log.max_seconds or 0.0)

    def wall(offset: float) -> float:
        return start + offset if not math.isnan(offset) else end

    if name is None:
        name = p.parent.name if p.stem == "train_log" and p.parent.name else p.stem
    run = RunRecord(
        id=run_id or new_run_id(),
        project=project,
        name=name,
        model=model if model is not None else _str_or_none(log.config.get("model")),
        status="finished",
        config=log.config,
        total_steps=log.max_step,
        created_at=start,
        finished_at=end if log.max_seconds is None else start + log.max_seconds,
        notes=f"imported from {p}",
    )
    batches: dict[str, PointBatch] = {}
    for key, steps in log.steps.items():
        st = np.asarray(steps, dtype=np.int64)
        order = np.argsort(st, kind="stable")
        times = np.asarray([wall(o) for o in log.offsets[key]], dtype=np.float64)
        values = np.asarray(log.values[key], dtype=np.float64)
        batches[key] = PointBatch(st[order], times[order], values[order])
    texts = [TextRecord(k, s, wall(o), t) for k, s, o, t in log.texts]
    store.import_runs([(run, batches)])  # the run appears with its points, never without
    try:
        if texts:
            store.write_texts(run.id, texts)
    except BaseException:
        store.delete_runs([run.id])  # nothing stored half-way
        raise
    return store.get_run(run.id)


def _str_or_none(v: Any) -> str | None:
    return v if isinstance(v, str) else None
