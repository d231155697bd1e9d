"""log_artifact(): copy a file (or a folder, e.g. a Hugging Face checkpoint) next to the store.

The copy is made in the caller, before log_artifact() returns, so the training script may
overwrite or delete its file afterwards (checkpoint rotation) without changing what was kept.
With `copy=False` the record is a reference instead: the file's absolute path, for files too
big to copy (a 7B checkpoint is 15 GB). A reference lies outside the artifact folder, so the
API never serves it, and it goes stale if the script deletes the file.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from trainboard.errors import UsageError

if TYPE_CHECKING:
    from trainboard.store.records import ArtifactRecord


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _free_name(folder: Path, name: str, step: int | None) -> Path:
    """`name`, or `stem-step<N>.ext`, or `stem-2.ext`...: never overwrite a kept artifact."""
    dest = folder / name
    if not dest.exists():
        return dest
    stem, suffix = os.path.splitext(name)
    if step is not None and not (folder / f"{stem}-step{step}{suffix}").exists():
        return folder / f"{stem}-step{step}{suffix}"
    n = 2
    while (folder / f"{stem}-{n}{suffix}").exists():
        n += 1
    return folder / f"{stem}-{n}{suffix}"


def keep(
    source: str | os.PathLike[str],
    *,
    artifacts_dir: Path,
    run_id: str,
    kind: str,
    step: int | None,
    name: str | None,
    wall_time: float,
    copy: bool = True,
) -> ArtifactRecord:
    from trainboard.store.records import ArtifactRecord

    src = Path(source)
    if not src.exists():
        raise UsageError(f"log_artifact(): no file or folder at {str(src)!r}")
    if not copy:
        src = src.resolve()
        return ArtifactRecord(
            name=name or src.name,
            kind=kind,
            step=step,
            path=src.as_posix(),
            size=_size(src),
            wall_time=wall_time,
        )
    folder = artifacts_dir / run_id
    folder.mkdir(parents=True, exist_ok=True)
    dest = _free_name(folder, src.name, step)
    if src.is_dir():
        shutil.copytree(src, dest)
    else:
        shutil.copy2(src, dest)
    return ArtifactRecord(
        name=name or src.name,
        kind=kind,
        step=step,
        path=dest.relative_to(artifacts_dir).as_posix(),
        size=_size(dest),
        wall_time=wall_time,
    )
