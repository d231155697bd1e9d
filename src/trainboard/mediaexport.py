"""A run's media as files: `trainboard export RUN --media DIR`.

Each item is written as `DIR/<key>/step_<step>_<index>.<ext>` (a key's slashes become
folders; other characters that are not letters, digits, `.`, `_` or `-` become `_`), a table
as its JSON with its media cells beside it in `DIR/<key>/cells/<digest>.<ext>`, and
`DIR/index.json` lists every item: its key, step, index, kind, caption, type, size, SHA-256 and
file (relative to DIR). Bytes are written as stored, so an image comes back as it was logged.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson

from trainboard.store.base import Store

_EXT = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/bmp": "bmp",
    "audio/wav": "wav",
    "audio/mpeg": "mp3",
    "audio/ogg": "ogg",
    "audio/flac": "flac",
    "video/mp4": "mp4",
    "video/webm": "webm",
    "application/json": "json",
}


def _segment(s: str) -> str:
    out = re.sub(r"[^A-Za-z0-9._-]", "_", s)
    return "_" if out in ("", ".", "..") else out


def key_folder(key: str) -> Path:
    """A media key as a relative folder that stays inside the export folder."""
    return Path(*[_segment(p) for p in key.split("/")])


def export_media(store: Store, run_id: str, folder: Path) -> list[dict[str, Any]]:
    """Write every media item of the run under `folder`; return (and write) the index."""
    folder.mkdir(parents=True, exist_ok=True)
    index: list[dict[str, Any]] = []
    for r in store.read_media(run_id):
        sub = key_folder(r.key)
        name = sub / f"step_{r.step:09d}_{r.index}.{_EXT.get(r.mime, 'bin')}"
        (folder / sub).mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(store.read_blob(r.digest)[1])
        entry = {k: v for k, v in asdict(r).items() if k != "uses"}
        entry["file"] = name.as_posix()
        if r.uses:
            cells = {}
            for d in r.uses:
                mime, data = store.read_blob(d)
                cell = sub / "cells" / f"{d}.{_EXT.get(mime, 'bin')}"
                (folder / cell).parent.mkdir(parents=True, exist_ok=True)
                (folder / cell).write_bytes(data)
                cells[d] = cell.as_posix()
            entry["cells"] = cells
        index.append(entry)
    (folder / "index.json").write_bytes(
        orjson.dumps({"run": run_id, "items": index}, option=orjson.OPT_INDENT_2)
    )
    return index
